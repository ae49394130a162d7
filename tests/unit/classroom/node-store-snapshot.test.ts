/**
 * NodeStore compaction: a snapshot op rewrites the store once (the snapshot key, the entries it
 * covers removed), the log reads back as snapshot + suffix, appends continue after it, and a
 * version-1 store (before compaction existed) is migrated instead of made unreadable.
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

class CountingStore extends MemoryStore {
  writes = 0;
  removes = 0;
  override save(key: string, value: unknown): void {
    this.writes++;
    super.save(key, value);
  }
  override remove(key: string): void {
    this.removes++;
    super.remove(key);
  }
}

const snapshot = { index: 4, term: 2, data: JSON.stringify({ machine: {}, sessions: { sessions: {}, applied: 0 } }) };

describe('NodeStore (a book replica) snapshots', () => {
  it('compacts once per snapshot and reads back snapshot + suffix; appends after it cost what they write', () => {
    const store = new CountingStore();
    const log = open(store);
    log.apply([{ op: 'hard', state: { term: 2 } }, { op: 'append', from: 1, entries: ['a', 'b', 'c', 'd', 'e', 'f'] }]);
    store.writes = 0;
    log.apply([{ op: 'snapshot', snapshot }]);
    expect(store.removes).toBe(4); // entries 1–4 leave storage, once
    expect(store.writes).toBeLessThanOrEqual(3); // the snapshot and the meta
    expect(store.exists(logKey('b1-x', 'e:1'))).toBe(false);
    store.writes = 0;
    log.apply([{ op: 'append', from: 7, entries: ['g'] }]);
    expect(store.writes).toBe(2); // one entry and the meta: not the log's length
    expect(readBack(store)).toEqual({
      kind: 'ok',
      facts,
      from: 'current',
      durable: { hard: { term: 2 }, snapshot, entries: [{ index: 5, entry: 'e' }, { index: 6, entry: 'f' }, { index: 7, entry: 'g' }] },
    });
  });

  it('a snapshot past the stored log (installed from a leader) leaves an empty suffix that appends continue', () => {
    const store = new MemoryStore();
    const log = open(store);
    log.apply([{ op: 'append', from: 1, entries: ['a'] }, { op: 'snapshot', snapshot }, { op: 'truncate', from: 5 }]);
    log.apply([{ op: 'append', from: 5, entries: ['e'] }]);
    expect(readBack(store)).toEqual({ kind: 'ok', facts, from: 'current', durable: { hard: undefined, snapshot, entries: [{ index: 5, entry: 'e' }] } });
  });

  it('migrates a version-1 store (no compaction yet) and reads a missing or broken snapshot as unreadable', () => {
    const store = new MemoryStore();
    // The bytes a version-1 replica stored: its book, its meta without `base`, its hard state and entries.
    store.save(logKey('b1-x', 'book'), book);
    store.save(logKey('b1-x', 'meta'), { version: 1, last: 2 });
    store.save(logKey('b1-x', 'hard'), { term: 1 });
    store.save(logKey('b1-x', 'e:1'), 'a');
    store.save(logKey('b1-x', 'e:2'), 'b');
    const log = open(store);
    expect(log.read).toEqual({ kind: 'ok', facts, from: 'log-v1', durable: { hard: { term: 1 }, entries: [{ index: 1, entry: 'a' }, { index: 2, entry: 'b' }] } });
    log.apply([{ op: 'append', from: 3, entries: ['c'] }]);
    expect(store.load(logKey('b1-x', 'meta'))).toEqual({ version: 3, last: 3, base: 0 });
    expect(readBack(store)).toMatchObject({ kind: 'ok', from: 'current' });
    store.save(logKey('b1-x', 'meta'), { version: 2, last: 3, base: 2 });
    expect(readBack(store)).toMatchObject({ kind: 'unreadable' }); // base 2 but no snapshot key
    store.save(logKey('b1-x', 'snap'), { index: 2, term: 1, data: '{broken' });
    expect(readBack(store)).toMatchObject({ kind: 'unreadable' });
    store.save(logKey('b1-x', 'meta'), { version: 4, last: 3, base: 0 });
    expect(readBack(store)).toMatchObject({ kind: 'unreadable' }); // a newer layout: this code cannot vouch for it
  });
});
