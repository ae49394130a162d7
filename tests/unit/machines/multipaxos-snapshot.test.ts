/**
 * Multi-Paxos log compaction, on the pure core: the host's snapshot replaces the chosen prefix
 * (accepted values above it stay: they are acceptor state); a follower that lacks chosen slots
 * the leader compacted pulls the leader's snapshot chunk by chunk, each under the frame limit;
 * a candidate whose promise came from an acceptor compacted past its prepare fetches that
 * snapshot instead of counting the promise, and prepares again above it; a restarted node
 * resumes from its stored snapshot plus the slots after it.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, MAX_SNAPSHOT_BYTES, SNAPSHOT_CHUNK_CHARS } from '../../../src/limits.ts';
import {
  hasPromiseQuorum,
  heartbeat,
  initialMpCore,
  lastSlot,
  mpSnapshotIndex,
  MULTIPAXOS_OPTIONS,
  receive,
  slotEntry,
  startCandidacy,
  takeMpSnapshot,
  type MpCore,
  type MpEntry,
  type MpMessage,
  type MpStep,
} from '../../../src/core/multipaxos.ts';
import { parseMultiPaxosMessage } from '../../../src/machines/multipaxos.ts';
import type { Ballot, LogCommand } from '../../../src/core/types.ts';

const members = ['n1', 'n2', 'n3'];
const b = (round: number, node: string): Ballot => ({ round, node });
const cmd = (seq: number): LogCommand => ({ kind: 'command', client: 'c1', seq, command: { op: 'place', order: `o${seq}`, item: 'book' } });
const LEAD = b(5, 'n1');
const accepted = (n: number, ballot = LEAD): MpEntry[] => Array.from({ length: n }, (_, i) => ({ ballot, command: cmd(i + 1) }));
/** A state big enough to need several chunks, with quotes and non-ASCII text. */
const bigState = { machine: { orders: Array.from({ length: 400 }, (_, i) => ({ id: `o${i}`, item: 'café "noir" ☕', state: 'placed' })) }, sessions: { sessions: {}, applied: 0 } };

function node(self: string, extra: Partial<MpCore> = {}): MpCore {
  return { ...initialMpCore(self, members, undefined, MULTIPAXOS_OPTIONS, 64), ...extra };
}

/** n1 leads ballot 5.n1 with `n` slots accepted in it, the first `commit` of them chosen. */
function leaderWith(n: number, commit: number): MpCore {
  return node('n1', { role: 'leader', leader: 'n1', ballot: LEAD, promised: LEAD, maxRound: 5, log: accepted(n), commitIndex: commit, commitKnown: { n2: 0, n3: commit } });
}

function frameBytes(message: MpMessage): number {
  return new TextEncoder().encode(JSON.stringify({ kind: 'algorithm', message })).byteLength;
}

/** Delivers messages back and forth between n1 and n2 until nothing more is sent. */
function converse(n1: MpCore, n2: MpCore, first: MpMessage): { n1: MpCore; n2: MpCore; toN2: MpMessage[]; n2Steps: MpStep[] } {
  let queue: { to: string; message: MpMessage }[] = [{ to: 'n2', message: first }];
  const toN2: MpMessage[] = [];
  const n2Steps: MpStep[] = [];
  for (let hops = 0; queue.length > 0 && hops < 200; hops++) {
    const next: { to: string; message: MpMessage }[] = [];
    for (const { to, message } of queue) {
      expect(parseMultiPaxosMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
      if (to === 'n2') {
        toN2.push(message);
        const s = receive(n2, 'n1', message);
        n2 = s.core;
        n2Steps.push(s);
        next.push(...s.sends.filter((o) => o.to === 'n1'));
      } else if (to === 'n1') {
        const s = receive(n1, 'n2', message);
        n1 = s.core;
        next.push(...s.sends.filter((o) => o.to === 'n2'));
      }
    }
    queue = next;
  }
  return { n1, n2, toN2, n2Steps };
}

describe('multipaxos snapshots: compaction', () => {
  it('replaces the chosen prefix with one snapshot write; accepted slots above it stay', () => {
    const leader = leaderWith(30, 26);
    const s = takeMpSnapshot(leader, 24, { small: true });
    expect(s.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 0, data: '{"small":true}' } }]);
    expect(s.sends).toEqual([]);
    expect(mpSnapshotIndex(s.core)).toBe(24);
    expect(s.core.log).toHaveLength(6);
    expect(lastSlot(s.core)).toBe(30);
    expect(slotEntry(s.core, 25)).toEqual(leader.log[24]);
    expect(slotEntry(s.core, 30)).toEqual(leader.log[29]);
    expect(slotEntry(s.core, 24)).toBeUndefined(); // compacted
    expect(s.core.commitIndex).toBe(26);
    // A second snapshot above the first slices relative to it.
    const again = takeMpSnapshot(s.core, 26, { small: 2 });
    expect(again.core.log).toEqual(leader.log.slice(26));
    expect(slotEntry(again.core, 27)).toEqual(leader.log[26]);
  });

  it('refuses: above the commit index, at or below the snapshot, a listen-only node, a state too big', () => {
    const leader = leaderWith(30, 26);
    expect(takeMpSnapshot(leader, 27, {}).persist).toEqual([]); // not chosen yet
    expect(takeMpSnapshot(leader, 26, {}).persist).toHaveLength(1); // exactly the commit index is fine
    const snapped = takeMpSnapshot(leader, 20, {}).core;
    expect(takeMpSnapshot(snapped, 20, {}).persist).toEqual([]);
    expect(takeMpSnapshot(snapped, 19, {}).persist).toEqual([]);
    expect(takeMpSnapshot(snapped, 21, {}).persist).toHaveLength(1);
    expect(takeMpSnapshot({ ...leader, listenOnly: true }, 24, {}).persist).toEqual([]);
    const tooBig = takeMpSnapshot(leader, 24, 'x'.repeat(MAX_SNAPSHOT_BYTES));
    expect(tooBig.persist).toEqual([]);
    expect(tooBig.core).toBe(leader);
  });
});

describe('multipaxos snapshots: catching up a follower', () => {
  it('a follower behind the compacted prefix pulls the snapshot in chunks under the frame limit, then gets the slots after it', () => {
    const leader = takeMpSnapshot(leaderWith(30, 30), 24, bigState).core;
    const text = JSON.stringify(bigState);
    expect(text.length).toBeGreaterThan(2 * SNAPSHOT_CHUNK_CHARS);
    const beat = heartbeat(leader).sends.find((s) => s.to === 'n2')?.message as MpMessage;
    const result = converse(leader, node('n2'), beat);
    const chunks = result.toN2.filter((m) => m.type === 'snapshotChunk');
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks[0]).toMatchObject({ index: 24, offset: 0, done: false });
    expect(chunks.map((m) => m.type === 'snapshotChunk' && m.offset)).toEqual(chunks.map((_, i) => i * SNAPSHOT_CHUNK_CHARS));
    expect(chunks.at(-1)).toMatchObject({ done: true });
    for (const m of result.toN2) expect(frameBytes(m)).toBeLessThan(MAX_MESSAGE_BYTES);
    // Installed once, persisted, and handed to the host to restore its state machine.
    const installing = result.n2Steps.filter((s) => s.restore !== undefined);
    expect(installing).toHaveLength(1);
    expect(installing[0]?.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 0, data: text } }]);
    expect(installing[0]?.restore?.state).toEqual(bigState);
    expect(installing[0]?.commits).toEqual([]);
    expect(mpSnapshotIndex(result.n2)).toBe(24);
    expect(result.n2.snapshot?.data).toBe(text);
    expect(result.n2.inbox).toBeUndefined();
    // Installing, it told the leader where it stands, so the chosen slots after the snapshot
    // came in the same exchange (learned in the leader's ballot), not at the next heartbeat.
    expect(installing[0]?.sends).toEqual([{ to: 'n1', message: { type: 'accepted', ballot: LEAD, slots: [], commitIndex: 24, behind: true } }]);
    expect(result.n2.commitIndex).toBe(30);
    expect(lastSlot(result.n2)).toBe(30);
    expect(slotEntry(result.n2, 30)).toEqual({ ballot: LEAD, command: cmd(30) });
    expect(result.n2Steps.flatMap((s) => s.commits.map((c) => c.index))).toEqual([25, 26, 27, 28, 29, 30]);
    expect(result.n1.commitKnown.n2).toBe(30);
    // The next heartbeat finds it caught up: no snapshot again, nothing new to commit.
    const next = heartbeat(result.n1).sends.find((s) => s.to === 'n2')?.message as MpMessage;
    const after = converse(result.n1, result.n2, next);
    expect(after.toN2.filter((m) => m.type === 'snapshotChunk')).toEqual([]);
    expect(after.n2Steps.flatMap((s) => s.commits)).toEqual([]);
    expect(after.n2.commitIndex).toBe(30);
  });

  it('a behind follower the leader has not compacted past gets the chosen entries, not the snapshot', () => {
    const leader = takeMpSnapshot(leaderWith(30, 30), 24, { small: true }).core;
    const reply = receive(leader, 'n2', { type: 'accepted', ballot: LEAD, slots: [], commitIndex: 24, behind: true });
    expect(reply.sends).toHaveLength(1);
    const accept = reply.sends[0]?.message;
    expect(accept?.type).toBe('accept');
    expect(accept?.type === 'accept' && accept.entries.map((e) => e.slot)).toEqual([25, 26, 27, 28, 29, 30]);
    expect(accept?.type === 'accept' && accept.commitIndex).toBe(30);
    // Just below the snapshot: the snapshot, from its start.
    const under = receive(leader, 'n2', { type: 'accepted', ballot: LEAD, slots: [], commitIndex: 23, behind: true });
    expect(under.sends.map((s) => s.message)).toEqual([{ type: 'snapshotChunk', index: 24, offset: 0, data: '{"small":true}', done: true }]);
    // Not behind: nothing to send.
    expect(receive(leader, 'n2', { type: 'accepted', ballot: LEAD, slots: [], commitIndex: 0, behind: false }).sends).toEqual([]);
  });

  it('answers a snapshot request from the offset asked, from 0 for an older snapshot, clamped to its end; without one, nothing', () => {
    const leader = takeMpSnapshot(leaderWith(30, 30), 24, bigState).core;
    const text = JSON.stringify(bigState);
    const at = receive(leader, 'n2', { type: 'snapshotRequest', index: 24, offset: SNAPSHOT_CHUNK_CHARS }).sends;
    expect(at).toEqual([{ to: 'n2', message: { type: 'snapshotChunk', index: 24, offset: SNAPSHOT_CHUNK_CHARS, data: text.slice(SNAPSHOT_CHUNK_CHARS, 2 * SNAPSHOT_CHUNK_CHARS), done: false } }]);
    const older = receive(leader, 'n2', { type: 'snapshotRequest', index: 12, offset: SNAPSHOT_CHUNK_CHARS }).sends[0]?.message;
    expect(older).toMatchObject({ type: 'snapshotChunk', index: 24, offset: 0, data: text.slice(0, SNAPSHOT_CHUNK_CHARS) });
    const past = receive(leader, 'n2', { type: 'snapshotRequest', index: 24, offset: text.length + 50 }).sends[0]?.message;
    expect(past).toEqual({ type: 'snapshotChunk', index: 24, offset: text.length, data: '', done: true });
    expect(receive(leaderWith(30, 30), 'n2', { type: 'snapshotRequest', index: 24, offset: 0 }).sends).toEqual([]);
  });

  it('a chunk of a snapshot it already holds (at or below its commit index) is dropped, with the transfer of it', () => {
    const follower = node('n2', { commitIndex: 24, inbox: { from: 'n1', index: 24, term: 0, data: '{"a"' } });
    const dup = receive(follower, 'n1', { type: 'snapshotChunk', index: 24, offset: 4, data: ':1}', done: true });
    expect(dup.persist).toEqual([]);
    expect(dup.sends).toEqual([]);
    expect(dup.restore).toBeUndefined();
    expect(dup.core.inbox).toBeUndefined();
    // An older one leaves a transfer of another snapshot alone.
    const other = node('n2', { commitIndex: 24, inbox: { from: 'n1', index: 30, term: 0, data: '{"a"' } });
    const old = receive(other, 'n1', { type: 'snapshotChunk', index: 20, offset: 0, data: '{}', done: true });
    expect(old.core).toBe(other);
    expect(old.sends).toEqual([]);
  });

  it('installing keeps the accepted slots above the snapshot and drops the leader bookkeeping of slots it covers', () => {
    const mine = accepted(28, b(2, 'n3'));
    const follower = node('n2', { log: mine, promised: LEAD });
    const s = receive(follower, 'n1', { type: 'snapshotChunk', index: 24, offset: 0, data: '{"k":1}', done: true });
    expect(s.persist).toEqual([{ op: 'snapshot', snapshot: { index: 24, term: 0, data: '{"k":1}' } }]);
    expect(s.restore).toEqual({ snapshot: { index: 24, term: 0, data: '{"k":1}' }, state: { k: 1 } });
    expect(s.core.commitIndex).toBe(24);
    expect(s.core.log).toEqual(mine.slice(24));
    expect(lastSlot(s.core)).toBe(28);
    expect(s.sends).toEqual([]); // a follower has nothing to prepare
    // A snapshot past everything it holds leaves an empty log, not a negative slice.
    const short = receive(node('n2', { log: accepted(3) }), 'n1', { type: 'snapshotChunk', index: 24, offset: 0, data: '{}', done: true });
    expect(short.core.log).toEqual([]);
    expect(lastSlot(short.core)).toBe(24);
    // Acks kept are only those above what the snapshot covers.
    const withAcks = node('n2', { log: mine, acks: { 23: ['n2'], 24: ['n2'], 25: ['n2', 'n3'], 27: ['n2'] } });
    const acked = receive(withAcks, 'n1', { type: 'snapshotChunk', index: 24, offset: 0, data: '{}', done: true });
    expect(acked.core.acks).toEqual({ 25: ['n2', 'n3'], 27: ['n2'] });
  });

  it('a partial chunk is kept and the next one asked for; an out-of-order one asks again from what it holds', () => {
    const first = receive(node('n2'), 'n1', { type: 'snapshotChunk', index: 24, offset: 0, data: '{"k":', done: false });
    expect(first.core.inbox).toEqual({ from: 'n1', index: 24, term: 0, data: '{"k":' });
    expect(first.sends).toEqual([{ to: 'n1', message: { type: 'snapshotRequest', index: 24, offset: 5 } }]);
    expect(first.persist).toEqual([]);
    const skipped = receive(first.core, 'n1', { type: 'snapshotChunk', index: 24, offset: 9, data: '2}', done: true });
    expect(skipped.sends).toEqual([{ to: 'n1', message: { type: 'snapshotRequest', index: 24, offset: 5 } }]);
    expect(skipped.restore).toBeUndefined();
  });
});

describe('multipaxos snapshots: a candidate and compacted acceptors', () => {
  it('an acceptor reports what it compacted and the accepted slots above it, from the first one it holds', () => {
    const acceptor = takeMpSnapshot(node('n2', { log: accepted(30, b(2, 'n3')), commitIndex: 26, promised: b(2, 'n3'), maxRound: 2 }), 24, {}).core;
    // A page that starts inside the snapshot reports from the first slot above it.
    const s = receive(acceptor, 'n1', { type: 'prepare', ballot: LEAD, from: 22 });
    const promise = s.sends[0]?.message;
    expect(promise?.type).toBe('promise');
    if (promise?.type !== 'promise') return;
    expect(promise.compacted).toBe(24);
    expect(promise.more).toBe(false);
    expect(promise.entries.map((e) => e.slot)).toEqual([25, 26, 27, 28, 29, 30]);
    expect(promise.entries[0]).toEqual({ slot: 25, ballot: b(2, 'n3'), command: cmd(25) });
    // Above the snapshot, from where the prepare asked.
    const high = receive(acceptor, 'n1', { type: 'prepare', ballot: b(6, 'n1'), from: 28 }).sends[0]?.message;
    expect(high?.type === 'promise' && high.entries.map((e) => e.slot)).toEqual([28, 29, 30]);
    // An acceptor with no snapshot reports 0.
    const plain = receive(node('n2'), 'n1', { type: 'prepare', ballot: LEAD, from: 1 }).sends[0]?.message;
    expect(plain?.type === 'promise' && plain.compacted).toBe(0);
  });

  it('an accept of slots its snapshot covers is acknowledged without storing them again', () => {
    const acceptor = takeMpSnapshot(node('n2', { log: accepted(26), commitIndex: 26, promised: LEAD, maxRound: 5 }), 24, {}).core;
    const s = receive(acceptor, 'n1', { type: 'accept', ballot: LEAD, entries: [{ slot: 23, command: cmd(23) }, { slot: 24, command: cmd(24) }, { slot: 27, command: cmd(27) }], commitIndex: 26 });
    expect(s.persist).toEqual([{ op: 'put', index: 27, entry: { ballot: LEAD, command: cmd(27) } }]);
    expect(s.sends.at(-1)?.message).toEqual({ type: 'accepted', ballot: LEAD, slots: [23, 24, 27], commitIndex: 26, behind: false });
    expect(lastSlot(s.core)).toBe(27);
  });

  it('a promise from an acceptor compacted at or past the prepare is not counted: the candidate fetches its snapshot', () => {
    const started = startCandidacy(node('n1', { maxRound: 4 }));
    const ballot = started.core.ballot as Ballot;
    const compacted = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: [], more: false, compacted: 1 });
    expect(compacted.sends).toEqual([{ to: 'n2', message: { type: 'snapshotRequest', index: 1, offset: 0 } }]);
    expect(compacted.core.promises).toEqual(started.core.promises);
    expect(hasPromiseQuorum(compacted.core)).toBe(false);
    // Compacted below the prepare: an ordinary promise, and a quorum.
    const below = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: [], more: false, compacted: 0 });
    expect(below.sends).toEqual([]);
    expect(hasPromiseQuorum(below.core)).toBe(true);
    const none = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: [], more: false });
    expect(hasPromiseQuorum(none.core)).toBe(true);
  });

  it('a candidate that installs a snapshot prepares again from the first slot it does not cover', () => {
    const started = startCandidacy(node('n1', { maxRound: 4, log: accepted(30, b(2, 'n3')) }));
    const ballot = started.core.ballot as Ballot;
    const s = receive(started.core, 'n2', { type: 'snapshotChunk', index: 24, offset: 0, data: '{"k":1}', done: true });
    expect(s.persist[0]).toEqual({ op: 'snapshot', snapshot: { index: 24, term: 0, data: '{"k":1}' } });
    expect(s.restore?.state).toEqual({ k: 1 });
    expect(s.core.role).toBe('candidate');
    expect(s.core.ballot).toEqual(ballot);
    expect(s.core.prepareFrom).toBe(25);
    expect(s.core.pageFrom).toBe(25);
    expect(s.sends).toEqual([
      { to: 'n2', message: { type: 'prepare', ballot, from: 25 } },
      { to: 'n3', message: { type: 'prepare', ballot, from: 25 } },
    ]);
    // Its own promise for the new page holds what it accepted above the snapshot, nothing below.
    expect(Object.keys(s.core.promises)).toEqual(['n1']);
    expect(s.core.promises.n1?.entries.map((e) => e.slot)).toEqual([25, 26, 27, 28, 29, 30]);
    expect(s.core.reported).toEqual({});
    // A promise for the old page no longer counts; one for the new page does.
    expect(hasPromiseQuorum(receive(s.core, 'n3', { type: 'promise', ballot, from: 1, entries: [], more: false }).core)).toBe(false);
    const won = receive(s.core, 'n3', { type: 'promise', ballot, from: 25, entries: [], more: false, compacted: 0 });
    expect(hasPromiseQuorum(won.core)).toBe(true);
  });
});

describe('multipaxos snapshots: restart', () => {
  it('restores the snapshot and the slots after it; an entry the snapshot covers is skipped; a bad snapshot is listen-only', () => {
    const snapshot = { index: 24, term: 0, data: '{"k":1}' };
    const entry = (slot: number) => ({ index: slot, entry: { ballot: b(3, 'n1'), command: cmd(slot) } });
    const durable = { hard: { promised: b(3, 'n1') }, snapshot, entries: [entry(20), entry(25), entry(27)] };
    const restored = initialMpCore('n2', members, durable, MULTIPAXOS_OPTIONS, 64);
    expect(restored.listenOnly).toBe(false);
    expect(restored.snapshot).toEqual(snapshot);
    expect(restored.commitIndex).toBe(24);
    expect(lastSlot(restored)).toBe(27);
    expect(restored.log).toEqual([{ ballot: b(3, 'n1'), command: cmd(25) }, undefined, { ballot: b(3, 'n1'), command: cmd(27) }]);
    expect(slotEntry(restored, 20)).toBeUndefined();
    expect(initialMpCore('n2', members, { ...durable, snapshot: { ...snapshot, data: '{not json' } }, MULTIPAXOS_OPTIONS, 64).listenOnly).toBe(true);
    expect(initialMpCore('n2', members, { ...durable, snapshot: { ...snapshot, index: 0 } }, MULTIPAXOS_OPTIONS, 64).listenOnly).toBe(true);
  });
});
