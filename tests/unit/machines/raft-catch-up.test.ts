/**
 * Raft catch-up across a snapshot (§7), rule by rule on the pure core, beside the end-to-end
 * conversations of raft-snapshot.test.ts: which chunk the leader sends and when, what a
 * follower's acknowledgement moves, what a follower does with a chunk of a snapshot it already
 * holds or of an older term, what it persists and truncates when it installs one, how an
 * AppendEntries that reaches into a follower's snapshot is trimmed, and how log repair (the
 * conflicting-term shortcut) falls back to the snapshot once nextIndex is compacted away.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES, SNAPSHOT_CHUNK_CHARS } from '../../../src/limits.ts';
import {
  appendEntriesTo,
  heartbeat,
  initialCore,
  lastIndex,
  RAFT_OPTIONS,
  receive,
  snapshotIndex,
  takeSnapshot,
  termAt,
  type RaftCore,
  type RaftEntry,
  type RaftMessage,
} from '../../../src/core/raft.ts';
import type { LogSnapshot } from '../../../src/core/types.ts';

const members = ['n1', 'n2', 'n3'];
const e = (term: number, seq: number): RaftEntry => ({ term, command: { kind: 'command', client: 'c1', seq, command: { op: 'place', order: `o${seq}`, item: 'book' } } });
const entries = (n: number, term = 1): RaftEntry[] => Array.from({ length: n }, (_, i) => e(term, i + 1));
/** Text of about three chunks. */
const bigState = { orders: Array.from({ length: 300 }, (_, i) => ({ id: `o${i}`, item: 'book "x" ☕', state: 'placed' })) };
const TEXT = JSON.stringify(bigState);

function node(self: string, extra: Partial<RaftCore> = {}): RaftCore {
  return { ...initialCore(self, members, undefined, RAFT_OPTIONS), ...extra };
}

/** Leader n1 of term 2, log of 30 entries (1–20 of term 1, 21–30 of term 2), all committed, snapshot at 24. */
function compactedLeader(state: unknown = bigState): RaftCore {
  const log = [...entries(20, 1), ...entries(10, 2).map((x, i) => e(2, 21 + i))];
  const leader = node('n1', { role: 'leader', term: 2, leader: 'n1', log, commitIndex: 30, nextIndex: { n2: 1, n3: 31 }, matchIndex: { n1: 30, n2: 0, n3: 30 } });
  return takeSnapshot(leader, 24, state).core;
}

const reply = (extra: Partial<Extract<RaftMessage, { type: 'snapshotReply' }>> = {}): RaftMessage => ({ type: 'snapshotReply', term: 2, lastIncludedIndex: 24, offset: SNAPSHOT_CHUNK_CHARS, done: false, ...extra });
const chunk = (extra: Partial<Extract<RaftMessage, { type: 'installSnapshot' }>> = {}): RaftMessage => ({ type: 'installSnapshot', term: 2, lastIncludedIndex: 24, lastIncludedTerm: 2, offset: 0, data: '{"k":1}', done: true, ...extra });

describe('raft catch-up: the leader', () => {
  it('takes the snapshot term from the entry it covers, and refuses a listen-only node or a state too big', () => {
    const leader = compactedLeader();
    expect(leader.snapshot).toEqual({ index: 24, term: 2, data: TEXT });
    expect(leader.log).toHaveLength(6);
    expect(termAt(leader, 24)).toBe(2);
    const full = node('n1', { term: 1, log: entries(5), commitIndex: 5 });
    expect(takeSnapshot(full, 5, {}).persist).toHaveLength(1); // the whole log: exactly the commit index
    expect(takeSnapshot(full, 5, {}).core.log).toEqual([]);
    expect(takeSnapshot({ ...full, listenOnly: true }, 3, {}).persist).toEqual([]);
    const tooBig = takeSnapshot(full, 3, 'x'.repeat(MAX_SNAPSHOT_BYTES));
    expect(tooBig.persist).toEqual([]);
    expect(tooBig.core).toBe(full);
    // A commit index beyond its own log (it cannot compact what it does not hold).
    expect(takeSnapshot({ ...full, commitIndex: 9 }, 7, {}).persist).toEqual([]);
  });

  it('sends the snapshot only when the entry before nextIndex is compacted away; at the snapshot index, entries after it', () => {
    const leader = compactedLeader();
    expect(appendEntriesTo(leader, 'n2').message).toMatchObject({ type: 'installSnapshot', lastIncludedIndex: 24, lastIncludedTerm: 2, offset: 0, done: false });
    expect(appendEntriesTo({ ...leader, nextIndex: { n2: 24 } }, 'n2').message.type).toBe('installSnapshot');
    // prev = 24, the snapshot's own index: its term is known, entries 25… go as AppendEntries.
    const at = appendEntriesTo({ ...leader, nextIndex: { n2: 25 } }, 'n2').message;
    expect(at).toEqual({ type: 'appendEntries', term: 2, prevLogIndex: 24, prevLogTerm: 2, entries: leader.log, leaderCommit: 30 });
    const later = appendEntriesTo({ ...leader, nextIndex: { n2: 28 } }, 'n2').message;
    expect(later).toMatchObject({ type: 'appendEntries', prevLogIndex: 27, prevLogTerm: 2, entries: leader.log.slice(3) });
  });

  it('each chunk starts where the follower acknowledged; a stale or foreign acknowledgement restarts from 0, clamped to the text', () => {
    const leader = compactedLeader();
    const send = (sent: RaftCore['snapshotSent']) => appendEntriesTo({ ...leader, snapshotSent: sent }, 'n2').message;
    expect(send({ n2: { index: 24, offset: SNAPSHOT_CHUNK_CHARS } })).toMatchObject({ offset: SNAPSHOT_CHUNK_CHARS, data: TEXT.slice(SNAPSHOT_CHUNK_CHARS, 2 * SNAPSHOT_CHUNK_CHARS), done: false });
    expect(send({ n2: { index: 12, offset: SNAPSHOT_CHUNK_CHARS } })).toMatchObject({ offset: 0, data: TEXT.slice(0, SNAPSHOT_CHUNK_CHARS) });
    expect(send({ n3: { index: 24, offset: SNAPSHOT_CHUNK_CHARS } })).toMatchObject({ offset: 0 });
    expect(send({ n2: { index: 24, offset: TEXT.length + 99 } })).toMatchObject({ offset: TEXT.length, data: '', done: true });
    // The last chunk says done.
    const lastStart = Math.floor(TEXT.length / SNAPSHOT_CHUNK_CHARS) * SNAPSHOT_CHUNK_CHARS;
    expect(send({ n2: { index: 24, offset: lastStart } })).toMatchObject({ offset: lastStart, data: TEXT.slice(lastStart), done: true });
  });

  it('an acknowledgement of part of the current snapshot records it and sends the next chunk at once', () => {
    const leader = compactedLeader();
    const s = receive(leader, 'n2', reply());
    expect(s.core.snapshotSent).toEqual({ n2: { index: 24, offset: SNAPSHOT_CHUNK_CHARS } });
    expect(s.sends).toHaveLength(1);
    expect(s.sends[0]?.message).toMatchObject({ type: 'installSnapshot', offset: SNAPSHOT_CHUNK_CHARS });
    expect(s.core.matchIndex.n2).toBe(0);
    expect(s.core.nextIndex.n2).toBe(1);
    expect(s.persist).toEqual([]);
    // Another follower's transfer is left as it was.
    const both = receive({ ...leader, snapshotSent: { n3: { index: 24, offset: 7 } } }, 'n2', reply());
    expect(both.core.snapshotSent).toEqual({ n3: { index: 24, offset: 7 }, n2: { index: 24, offset: SNAPSHOT_CHUNK_CHARS } });
  });

  it('an acknowledgement of an older snapshot forgets that transfer and starts the current one over', () => {
    const leader = { ...compactedLeader(), snapshotSent: { n2: { index: 24, offset: 2 * SNAPSHOT_CHUNK_CHARS } } };
    const s = receive(leader, 'n2', reply({ lastIncludedIndex: 12 }));
    expect(s.core.snapshotSent).toEqual({});
    expect(s.sends[0]?.message).toMatchObject({ type: 'installSnapshot', lastIncludedIndex: 24, offset: 0 });
  });

  it('a follower that holds the snapshot: matchIndex and nextIndex move past it, and the entries after it go at once', () => {
    // n3 lags too, so nothing past the snapshot is committed yet.
    const leader = { ...compactedLeader(), commitIndex: 24, matchIndex: { n1: 30, n2: 0, n3: 0 }, snapshotSent: { n2: { index: 24, offset: SNAPSHOT_CHUNK_CHARS } } };
    const s = receive(leader, 'n2', reply({ offset: TEXT.length, done: true }));
    expect(s.core.snapshotSent).toEqual({});
    expect(s.core.matchIndex.n2).toBe(24);
    expect(s.core.nextIndex.n2).toBe(25);
    expect(s.sends).toEqual([{ to: 'n2', message: { type: 'appendEntries', term: 2, prevLogIndex: 24, prevLogTerm: 2, entries: leader.log, leaderCommit: 24 } }]);
    // Never lowers what is known: a follower known to match further keeps it.
    const ahead = receive({ ...leader, matchIndex: { ...leader.matchIndex, n2: 27 }, nextIndex: { ...leader.nextIndex, n2: 28 } }, 'n2', reply({ done: true }));
    expect(ahead.core.matchIndex.n2).toBe(27);
    expect(ahead.core.nextIndex.n2).toBe(28);
    // Never claims more than the leader holds.
    const tooFar = receive(leader, 'n2', reply({ lastIncludedIndex: 99, done: true }));
    expect(tooFar.core.matchIndex.n2).toBe(30);
  });

  it('ignores snapshot acknowledgements of another term, from outside the group, or when it no longer leads', () => {
    const leader = compactedLeader();
    for (const [from, message, core] of [
      ['n2', reply({ term: 1 }), leader],
      ['n9', reply(), leader],
      ['n2', reply(), { ...leader, role: 'follower' as const }],
      ['n2', reply({ done: true }), { ...leader, role: 'candidate' as const }],
    ] as const) {
      const s = receive(core, from, message);
      expect(s.sends).toEqual([]);
      expect(s.core.snapshotSent).toEqual(core.snapshotSent);
      expect(s.core.matchIndex).toEqual(core.matchIndex);
    }
  });

  it('log repair that backs nextIndex into the compacted prefix sends the snapshot; within the log, entries', () => {
    const leader = { ...compactedLeader(), nextIndex: { n2: 31, n3: 31 }, matchIndex: { n1: 30, n2: 0, n3: 30 } };
    // The follower's log is too short: nextIndex = its length + 1, below the snapshot.
    const short = receive(leader, 'n2', { type: 'appendReply', term: 2, success: false, matchIndex: 0, conflictIndex: 5 });
    expect(short.core.nextIndex.n2).toBe(5);
    expect(short.sends[0]?.message).toMatchObject({ type: 'installSnapshot', offset: 0 });
    // A conflicting term the leader only had in the compacted prefix: not searched there, the
    // follower's first index of it is used, and that is the snapshot again.
    const compactedTerm = receive(leader, 'n2', { type: 'appendReply', term: 2, success: false, matchIndex: 0, conflictIndex: 10, conflictTerm: 1 });
    expect(compactedTerm.core.nextIndex.n2).toBe(10);
    expect(compactedTerm.sends[0]?.message.type).toBe('installSnapshot');
    // A conflicting term the leader holds after the snapshot: just past its last entry of it.
    const retained = receive(leader, 'n2', { type: 'appendReply', term: 2, success: false, matchIndex: 0, conflictIndex: 26, conflictTerm: 2 });
    expect(retained.core.nextIndex.n2).toBe(31);
  });

  it('after a success with more to send the next batch goes at once; when the follower is caught up, nothing', () => {
    const log = entries(100);
    const leader = node('n1', { role: 'leader', term: 1, leader: 'n1', log, nextIndex: { n2: 1, n3: 101 }, matchIndex: { n1: 100, n2: 0, n3: 100 } });
    const first = appendEntriesTo(leader, 'n2').message;
    const sent = first.type === 'appendEntries' ? first.entries.length : 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(100);
    const acked = receive(leader, 'n2', { type: 'appendReply', term: 1, success: true, matchIndex: sent, conflictIndex: 0 });
    expect(acked.sends).toHaveLength(1);
    expect(acked.sends[0]?.message).toMatchObject({ type: 'appendEntries', prevLogIndex: sent });
    const done = receive(leader, 'n2', { type: 'appendReply', term: 1, success: true, matchIndex: 100, conflictIndex: 0 });
    expect(done.sends).toEqual([]);
  });

  it('a heartbeat carries the snapshot to a follower that needs it and AppendEntries to the others', () => {
    const beat = heartbeat(compactedLeader());
    expect(beat.sends.map((s) => [s.to, s.message.type])).toEqual([['n2', 'installSnapshot'], ['n3', 'appendEntries']]);
  });
});

describe('raft catch-up: the follower', () => {
  it('a chunk of an older term is refused with its own term, changing nothing; a listen-only node says nothing', () => {
    const follower = node('n2', { term: 3 });
    const s = receive(follower, 'n1', chunk({ term: 2 }));
    expect(s.sends).toEqual([{ to: 'n1', message: { type: 'snapshotReply', term: 3, lastIncludedIndex: 24, offset: 0, done: false } }]);
    expect(s.core).toBe(follower);
    expect(s.persist).toEqual([]);
    const deaf = node('n2', { term: 2, listenOnly: true });
    expect(receive(deaf, 'n1', chunk())).toEqual({ core: deaf, persist: [], sends: [], commits: [], restore: undefined });
  });

  it('a current chunk makes a candidate a follower of the sender and hands it the submits it held', () => {
    const candidate = node('n2', { term: 2, role: 'candidate', votes: ['n2'], pending: [{ client: 'c1', seq: 4, command: 'x' }] });
    const s = receive(candidate, 'n1', chunk({ done: false, data: '{"k":' }));
    expect(s.core).toMatchObject({ role: 'follower', leader: 'n1', votes: [], pending: [] });
    expect(s.sends).toEqual([
      { to: 'n1', message: { type: 'forward', client: 'c1', seq: 4, command: 'x' } },
      { to: 'n1', message: { type: 'snapshotReply', term: 2, lastIncludedIndex: 24, offset: 5, done: false } },
    ]);
    expect(s.core.inbox).toEqual({ from: 'n1', index: 24, term: 2, data: '{"k":' });
    expect(s.persist).toEqual([]); // nothing durable until the last chunk
  });

  it('a snapshot it already holds (at or below its commit index) is acknowledged as done, and an unfinished transfer dropped', () => {
    const follower = node('n2', { term: 2, log: entries(24), commitIndex: 24, inbox: { from: 'n1', index: 24, term: 2, data: '{' } });
    const s = receive(follower, 'n1', chunk({ offset: 10, data: 'abcd', done: false }));
    expect(s.sends).toEqual([{ to: 'n1', message: { type: 'snapshotReply', term: 2, lastIncludedIndex: 24, offset: 14, done: true } }]);
    expect(s.core.inbox).toBeUndefined();
    expect(s.persist).toEqual([]);
    expect(s.restore).toBeUndefined();
    expect(s.core.log).toEqual(follower.log);
  });

  it('installing over a shorter conflicting log truncates nothing; over a longer one, from the index after the snapshot', () => {
    const shortConflict = node('n2', { term: 2, log: entries(10, 1) });
    const s = receive(shortConflict, 'n1', chunk());
    expect(s.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 2, data: '{"k":1}' } }]);
    expect(s.core.log).toEqual([]);
    expect(lastIndex(s.core)).toBe(24);
    expect(s.core.commitIndex).toBe(24);
    expect(s.restore).toEqual({ snapshot: { index: 24, term: 2, data: '{"k":1}' }, state: { k: 1 } });
    expect(s.sends).toEqual([{ to: 'n1', message: { type: 'snapshotReply', term: 2, lastIncludedIndex: 24, offset: 7, done: true } }]);
    // Exactly as long as the snapshot, with another term at its index: nothing after it to cut.
    const same = receive(node('n2', { term: 2, log: entries(24, 1) }), 'n1', chunk());
    expect(same.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 2, data: '{"k":1}' } }]);
    expect(same.core.log).toEqual([]);
    const longer = receive(node('n2', { term: 2, log: entries(26, 1) }), 'n1', chunk());
    expect(longer.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 2, data: '{"k":1}' } }, { op: 'truncate', from: 25 }]);
  });

  it('a follower with its own snapshot keeps the matching suffix relative to it', () => {
    const own: LogSnapshot = { index: 10, term: 2, data: '{}' };
    const log = entries(20, 2).map((x, i) => e(2, 11 + i)); // indexes 11–30, term 2
    const follower = node('n2', { term: 2, snapshot: own, log, commitIndex: 10 });
    const s = receive(follower, 'n1', chunk());
    expect(snapshotIndex(s.core)).toBe(24);
    expect(s.core.log).toEqual(log.slice(14)); // 25–30 stay
    expect(lastIndex(s.core)).toBe(30);
    expect(s.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 2, data: '{"k":1}' } }]);
    expect(s.core.commitIndex).toBe(24);
  });

  it('an AppendEntries that reaches into its snapshot is trimmed to what lies above it', () => {
    const follower = node('n2', { term: 2, snapshot: { index: 24, term: 2, data: '{}' }, log: [e(2, 25)], commitIndex: 24 });
    // prev 20 is compacted here; entries 21–27: 21–24 are in the snapshot, 25 matches, 26–27 are new.
    const s = receive(follower, 'n1', { type: 'appendEntries', term: 2, prevLogIndex: 20, prevLogTerm: 1, entries: [21, 22, 23, 24, 25, 26, 27].map((i) => e(2, i)), leaderCommit: 27 });
    expect(s.persist).toEqual([{ op: 'append', from: 26, entries: [e(2, 26), e(2, 27)] }]);
    expect(lastIndex(s.core)).toBe(27);
    expect(s.commits.map((c) => c.index)).toEqual([25, 26, 27]);
    expect(s.sends).toEqual([{ to: 'n1', message: { type: 'appendReply', term: 2, success: true, matchIndex: 27, conflictIndex: 0 } }]);
    // Everything it carries is in the snapshot: a success up to the snapshot, nothing written.
    const old = receive(follower, 'n1', { type: 'appendEntries', term: 2, prevLogIndex: 18, prevLogTerm: 1, entries: [19, 20].map((i) => e(1, i)), leaderCommit: 20 });
    expect(old.persist).toEqual([]);
    expect(old.core.log).toEqual(follower.log);
    expect(old.sends[0]?.message).toMatchObject({ type: 'appendReply', success: true, matchIndex: 24 });
  });

  it('a follower with a snapshot reports the first index of a conflicting term no lower than just above it', () => {
    const follower = node('n2', { term: 3, snapshot: { index: 10, term: 1, data: '{}' }, log: [e(1, 11), e(1, 12), e(1, 13)], commitIndex: 10 });
    const s = receive(follower, 'n1', { type: 'appendEntries', term: 3, prevLogIndex: 13, prevLogTerm: 2, entries: [], leaderCommit: 10 });
    expect(s.sends).toEqual([{ to: 'n1', message: { type: 'appendReply', term: 3, success: false, matchIndex: 0, conflictIndex: 11, conflictTerm: 1 } }]);
  });
});
