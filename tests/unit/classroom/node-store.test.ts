/**
 * NodeStore, as a book's replica uses it: a log's durable state written op by op (hard state, appends, truncations, puts),
 * read back exactly, with unreadable entries told apart from a first start, and a step's writes
 * bounded by what it wrote, not by the log's length.
 */
import { describe, expect, it } from 'vitest';
import { NodeStore, readStoredNode, storeKey as logKey, type NodeFacts } from '../../../src/classroom/node-store.ts';
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
