/**
 * Raft log compaction (§7): a snapshot replaces the committed prefix, a follower whose
 * nextIndex fell below the leader's first retained entry is caught up by InstallSnapshot in
 * chunks that each fit a wire frame, a follower keeps a matching suffix, and a restarted node
 * resumes from its stored snapshot plus the entries after it.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, SNAPSHOT_CHUNK_CHARS } from '../../../src/limits.ts';
import {
  appendEntriesTo,
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
  type RaftStep,
} from '../../../src/core/raft.ts';
import { parseRaftMessage } from '../../../src/machines/raft.ts';

const members = ['n1', 'n2', 'n3'];
const e = (term: number, seq: number): RaftEntry => ({ term, command: { kind: 'command', client: 'c1', seq, command: { op: 'place', order: `o${seq}`, item: 'book' } } });
const entries = (n: number, term = 1): RaftEntry[] => Array.from({ length: n }, (_, i) => e(term, i + 1));
/** A state big enough to need several chunks, with quotes and non-ASCII text (the worst case per character). */
const bigState = { machine: { orders: Array.from({ length: 400 }, (_, i) => ({ id: `o${i}`, item: 'café "noir" ☕', state: 'placed' })) }, sessions: { sessions: {}, applied: 0 } };

function leaderWith(log: RaftEntry[], commitIndex: number): RaftCore {
  const base = initialCore('n1', members, undefined, RAFT_OPTIONS);
  return { ...base, role: 'leader', term: 1, leader: 'n1', log, commitIndex, nextIndex: { n2: 1, n3: log.length + 1 }, matchIndex: { n1: log.length, n2: 0, n3: log.length } };
}

function frameBytes(message: RaftMessage): number {
  return new TextEncoder().encode(JSON.stringify({ kind: 'algorithm', message })).byteLength;
}

/** Delivers messages back and forth between leader n1 and follower n2 until nothing more is sent. */
function converse(leader: RaftCore, follower: RaftCore, first: RaftMessage): { leader: RaftCore; follower: RaftCore; toFollower: RaftMessage[]; followerSteps: RaftStep[] } {
  let queue: { to: string; message: RaftMessage }[] = [{ to: 'n2', message: first }];
  const toFollower: RaftMessage[] = [];
  const followerSteps: RaftStep[] = [];
  for (let hops = 0; queue.length > 0 && hops < 200; hops++) {
    const next: { to: string; message: RaftMessage }[] = [];
    for (const { to, message } of queue) {
      expect(parseRaftMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
      if (to === 'n2') {
        toFollower.push(message);
        const s = receive(follower, 'n1', message);
        follower = s.core;
        followerSteps.push(s);
        next.push(...s.sends.filter((o) => o.to === 'n1'));
      } else if (to === 'n1') {
        const s = receive(leader, 'n2', message);
        leader = s.core;
        next.push(...s.sends.filter((o) => o.to === 'n2'));
      }
    }
    queue = next;
  }
  return { leader, follower, toFollower, followerSteps };
}

describe('raft snapshots', () => {
  it('compacts the committed prefix with one snapshot write, and only committed entries', () => {
    const leader = leaderWith(entries(30), 26);
    expect(takeSnapshot(leader, 28, bigState).persist).toEqual([]); // above the commit index: refused
    const s = takeSnapshot(leader, 24, bigState);
    expect(s.persist).toHaveLength(1);
    expect(s.persist[0]?.op).toBe('snapshot');
    expect(snapshotIndex(s.core)).toBe(24);
    expect(s.core.log).toHaveLength(6);
    expect(lastIndex(s.core)).toBe(30);
    expect(termAt(s.core, 24)).toBe(1);
    expect(termAt(s.core, 10)).toBe(-1); // compacted
    expect(takeSnapshot(s.core, 20, bigState).persist).toEqual([]); // at or below the snapshot: refused
  });

  it('a follower far behind gets InstallSnapshot in chunks under the frame limit, then the entries after it', () => {
    const leader = takeSnapshot(leaderWith(entries(30), 30), 24, bigState).core;
    const text = JSON.stringify(bigState);
    expect(text.length).toBeGreaterThan(2 * SNAPSHOT_CHUNK_CHARS);
    const first = appendEntriesTo(leader, 'n2').message;
    expect(first.type).toBe('installSnapshot');
    const follower = { ...initialCore('n2', members, undefined, RAFT_OPTIONS), term: 1 };
    const result = converse(leader, follower, first);
    const chunks = result.toFollower.filter((m) => m.type === 'installSnapshot');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const m of result.toFollower) expect(frameBytes(m)).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(snapshotIndex(result.follower)).toBe(24);
    expect(result.follower.snapshot?.data).toBe(text);
    // Persisted before the reply, and handed to the host to restore its state machine.
    const installing = result.followerSteps.find((s) => s.restore !== undefined) as RaftStep;
    expect(installing.persist[0]).toEqual({ op: 'snapshot', snapshot: { index: 24, term: 1, data: text } });
    expect(installing.restore?.state).toEqual(bigState);
    // The entries after the snapshot follow as AppendEntries, and commit.
    expect(lastIndex(result.follower)).toBe(30);
    expect(result.follower.commitIndex).toBe(30);
    expect(result.leader.matchIndex.n2).toBe(30);
  });

  it('a lost chunk is resent from what the follower acknowledged (the heartbeat retransmits)', () => {
    const leader = takeSnapshot(leaderWith(entries(30), 30), 24, bigState).core;
    const follower = { ...initialCore('n2', members, undefined, RAFT_OPTIONS), term: 1 };
    const chunk0 = appendEntriesTo(leader, 'n2').message;
    const afterFirst = receive(follower, 'n1', chunk0);
    const ack = afterFirst.sends[0]?.message as RaftMessage;
    expect(ack).toMatchObject({ type: 'snapshotReply', offset: SNAPSHOT_CHUNK_CHARS, done: false });
    const leaderAcked = receive(leader, 'n2', ack).core;
    // The next chunk is lost; the heartbeat sends it again from the acknowledged offset.
    const resent = appendEntriesTo(leaderAcked, 'n2').message;
    expect(resent).toMatchObject({ type: 'installSnapshot', offset: SNAPSHOT_CHUNK_CHARS });
    // A duplicate of the first chunk only re-acknowledges.
    expect(receive(afterFirst.core, 'n1', chunk0).sends[0]?.message).toMatchObject({ type: 'snapshotReply', offset: SNAPSHOT_CHUNK_CHARS, done: false });
  });

  it('the follower keeps its log suffix when it holds the snapshot\'s last entry, and drops a conflicting log', () => {
    const leader = takeSnapshot(leaderWith(entries(30), 30), 24, { small: true }).core;
    const matching = { ...initialCore('n2', members, undefined, RAFT_OPTIONS), term: 1, log: entries(28) };
    const kept = receive(matching, 'n1', appendEntriesTo(leader, 'n2').message);
    expect(snapshotIndex(kept.core)).toBe(24);
    expect(kept.core.log).toEqual(entries(28).slice(24));
    expect(kept.persist).toEqual([{ op: 'snapshot', snapshot: leader.snapshot }]);
    const conflicting = { ...initialCore('n2', members, undefined, RAFT_OPTIONS), term: 1, log: entries(28, 0).map((x, i) => (i >= 20 ? { ...x, term: 0 } : { ...x, term: 1 })) };
    const dropped = receive(conflicting, 'n1', appendEntriesTo(leader, 'n2').message);
    expect(dropped.core.log).toEqual([]);
    expect(dropped.persist).toEqual([{ op: 'snapshot', snapshot: leader.snapshot }, { op: 'truncate', from: 25 }]);
    expect(dropped.core.commitIndex).toBe(24);
  });

  it('a restarted node restores from its snapshot and the suffix after it', () => {
    const snapshot = { index: 24, term: 2, data: JSON.stringify({ small: true }) };
    const durable = { hard: { term: 3, votedFor: 'n1' }, snapshot, entries: [25, 26, 27].map((index) => ({ index, entry: e(3, index) })) };
    const restored = initialCore('n2', members, durable, RAFT_OPTIONS);
    expect(restored.listenOnly).toBe(false);
    expect(restored.commitIndex).toBe(24);
    expect(lastIndex(restored)).toBe(27);
    expect(termAt(restored, 24)).toBe(2);
    expect(termAt(restored, 26)).toBe(3);
    // A hole above the snapshot, or a snapshot that is not JSON, is unreadable: listen-only, never a fresh start.
    expect(initialCore('n2', members, { ...durable, entries: [{ index: 26, entry: e(3, 26) }] }, RAFT_OPTIONS).listenOnly).toBe(true);
    expect(initialCore('n2', members, { ...durable, snapshot: { ...snapshot, data: '{not json' } }, RAFT_OPTIONS).listenOnly).toBe(true);
  });

  it('refuses malformed or oversized snapshot chunks at the boundary', () => {
    const ok = { type: 'installSnapshot', term: 1, lastIncludedIndex: 5, lastIncludedTerm: 1, offset: 0, data: '{}', done: true };
    expect(parseRaftMessage(ok)).toEqual(ok);
    expect(parseRaftMessage({ ...ok, data: 'x'.repeat(SNAPSHOT_CHUNK_CHARS + 1) })).toBeUndefined();
    expect(parseRaftMessage({ ...ok, lastIncludedIndex: 0 })).toBeUndefined();
    expect(parseRaftMessage({ ...ok, offset: -1 })).toBeUndefined();
    expect(parseRaftMessage({ ...ok, done: 'yes' })).toBeUndefined();
    expect(parseRaftMessage({ type: 'snapshotReply', term: 1, lastIncludedIndex: 5, offset: 10, done: false })).toEqual({ type: 'snapshotReply', term: 1, lastIncludedIndex: 5, offset: 10, done: false });
    expect(parseRaftMessage({ type: 'snapshotReply', term: 1, lastIncludedIndex: 5, offset: 10 })).toBeUndefined();
  });
});
