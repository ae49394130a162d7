/**
 * NodeStore, as a book's replica uses it: a log's durable state written op by op (hard state, appends, truncations, puts),
 * read back exactly, with unreadable entries told apart from a first start, and a step's writes
 * bounded by what it wrote, not by the log's length.
 */
import { describe, expect, it } from 'vitest';
import { NodeStore, readStoredNode, removeStoredNode, storedNodeIds, storeKey as logKey, type NodeFacts } from '../../../src/classroom/node-store.ts';
import type { BookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { MemoryStore, type DurableStore } from '../../../src/classroom/storage.ts';

const book: BookAnnouncement = { id: 'b1-x', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: ['n1', 'n2', 'n3'], startedAt: 0 };
const facts: NodeFacts = { kind: 'book', book };
/** The book's one store adapter, opened as a replica opens it. */
const open = (store: DurableStore): NodeStore => new NodeStore(store, facts);
/** What the one reader finds (its facts are the book's whenever the log reads). */
const readBack = (store: DurableStore) => readStoredNode(store, 'b1-x');

/** Counts writes, to check a step's cost. */
class CountingStore extends MemoryStore {
  writes = 0;
  override save(key: string, value: unknown): void {
    this.writes++;
    super.save(key, value);
  }
}

describe('NodeStore (a book replica)', () => {
  it('reads back what the ops wrote: appends, a truncation, a put and the hard state', () => {
    const store = new MemoryStore();
    const log = open(store);
    expect(log.read).toEqual({ kind: 'absent' });
    log.apply([{ op: 'hard', state: { term: 2, votedFor: 'n1' } }, { op: 'append', from: 1, entries: ['a', 'b', 'c'] }]);
    log.apply([{ op: 'truncate', from: 2 }, { op: 'append', from: 2, entries: ['B'] }]);
    log.apply([{ op: 'put', index: 5, entry: 'e' }]);
    const again = readBack(store);
    expect(again).toEqual({
      kind: 'ok',
      facts,
      from: 'current',
      durable: { hard: { term: 2, votedFor: 'n1' }, entries: [{ index: 1, entry: 'a' }, { index: 2, entry: 'B' }, { index: 5, entry: 'e' }] },
    });
  });

  it('costs what a step wrote, however long the log is', () => {
    const store = new CountingStore();
    const log = open(store);
    for (let i = 1; i <= 1_000; i++) log.apply([{ op: 'append', from: i, entries: [`e${i}`] }]);
    store.writes = 0;
    log.apply([{ op: 'append', from: 1_001, entries: ['x', 'y'] }]);
    // Two entries and the small meta key: not 1,002 entries rewritten.
    expect(store.writes).toBe(3);
  });

  it('refuses an append that does not continue the log (it would corrupt it silently)', () => {
    const log = open(new MemoryStore());
    log.apply([{ op: 'append', from: 1, entries: ['a'] }]);
    expect(() => log.apply([{ op: 'append', from: 3, entries: ['c'] }])).toThrow(/truncate first/);
  });

  it('an entry that is there but unreadable makes the log unreadable, never a fresh start', () => {
    const store = new MemoryStore();
    const log = open(store);
    log.apply([{ op: 'append', from: 1, entries: ['a', 'b'] }]);
    store.saveText(logKey('b1-x', 'e:2'), '{not json');
    // Its facts still read: a reopened tab restarts it at once, listen-only.
    expect(readBack(store)).toEqual({ kind: 'unreadable', facts, from: 'current' });
    const other = new MemoryStore();
    other.saveText(logKey('b1-x', 'meta'), '{"version":99,"last":0}');
    expect(readBack(other)).toEqual({ kind: 'unreadable' });
  });

  it('a failed write throws, so the node stops before it sends anything', () => {
    const full: DurableStore = Object.assign(new MemoryStore(), {
      save: () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
    });
    expect(() => open(full).apply([{ op: 'append', from: 1, entries: ['a'] }])).toThrow();
  });
});

describe('NodeStore (a write-once decision: a log of length one)', () => {
  const decision = { id: 'd1-x', seq: 1, algorithm: 'paxos', scenario: 'colors', members: ['n1', 'n2', 'n3'], startedAt: 0 } as const;
  const decisionFacts: NodeFacts = { kind: 'decision', decision: { ...decision, members: [...decision.members] }, proposed: [] };

  it('a first start stores the facts and the meta; each step then writes its hard state alone', () => {
    const store = new CountingStore();
    const node = new NodeStore(store, decisionFacts);
    expect(node.read).toEqual({ kind: 'absent' });
    expect(node.open()).toBe(true);
    expect(store.keys('').sort()).toEqual([logKey('d1-x', 'decision'), logKey('d1-x', 'meta')]);
    store.writes = 0;
    for (let round = 1; round <= 5; round++) expect(node.write([{ op: 'hard', state: { promised: { round, node: 'n2' } } }])).toBe(true);
    // One write per step: neither the announcement nor the meta is rewritten.
    expect(store.writes).toBe(5);
    expect(node.saveFacts({ ...decisionFacts, proposed: ['red'] })).toBe(true);
    expect(store.writes).toBe(6);
    expect(readStoredNode(store, 'd1-x')).toEqual({
      kind: 'ok',
      from: 'current',
      facts: { ...decisionFacts, proposed: ['red'] },
      durable: { hard: { promised: { round: 5, node: 'n2' } }, entries: [] },
    });
  });

  it('a write that fails changes nothing in memory', () => {
    let full = false;
    const store: DurableStore = Object.assign(new MemoryStore(), {
      save(this: MemoryStore, key: string, value: unknown) {
        if (full) throw new DOMException('quota', 'QuotaExceededError');
        MemoryStore.prototype.save.call(this, key, value);
      },
    });
    const node = open(store);
    node.apply([{ op: 'append', from: 1, entries: ['a'] }]);
    full = true;
    expect(node.write([{ op: 'append', from: 2, entries: ['b', 'c'] }])).toBe(false);
    expect(node.lastIndex).toBe(1);
    const decided = new NodeStore(store, decisionFacts);
    full = false;
    expect(decided.open()).toBe(true);
    full = true;
    expect(decided.saveFacts({ ...decisionFacts, proposed: ['red'] })).toBe(false);
    // The proposal it could not store is not shown: the node never acts on state it could not keep.
    expect(decided.facts).toEqual(decisionFacts);
  });

  it('refuses another kind of node under the same id: a book is not a decision', () => {
    const store = new MemoryStore();
    open(store).apply([{ op: 'hard', state: { term: 1 } }]);
    const asDecision = new NodeStore(store, { ...decisionFacts, decision: { ...decisionFacts.decision, id: 'b1-x' } } as NodeFacts);
    expect(asDecision.read).toEqual({ kind: 'unreadable' });
  });

  it('lists and removes the nodes stored in either format', () => {
    const store = new MemoryStore();
    open(store).apply([{ op: 'append', from: 1, entries: ['a'] }]);
    new NodeStore(store, decisionFacts).open();
    store.saveText('node:d2-y', '{"version":1}');
    store.save('settings', 5);
    expect(storedNodeIds(store).sort()).toEqual(['b1-x', 'd1-x', 'd2-y']);
    for (const id of ['b1-x', 'd1-x', 'd2-y']) removeStoredNode(store, id);
    expect(store.keys('')).toEqual(['settings']);
  });
});
