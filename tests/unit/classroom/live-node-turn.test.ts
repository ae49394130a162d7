/**
 * Voting persists once per event-loop turn (issue 11): a burst of votes is one write, the
 * turn's messages (my vote, answers to resends) leave only after that write, a failed write sends none of the turn's messages, and a decision
 * is stored before the node can show it. Paxos (no `persistPerTurn`) still writes every step.
 */
import { describe, expect, it } from 'vitest';
import { liveTiming } from '../../../src/classroom/classroom.ts';
import { FreezableClock } from '../../../src/classroom/freezable-clock.ts';
import { LiveNode } from '../../../src/classroom/live-node.ts';
import { storeKey } from '../../../src/classroom/node-store.ts';
import type { DecisionAnnouncement } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { VotingDurable } from '../../../src/machines/voting-machine.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { LIVE_RETRANSMIT_MS_PER_MEMBER } from '../../../src/limits.ts';
import { FakeClock } from './fake-clock.ts';

const members = ['n1', 'n2', 'n3', 'n4', 'n5'];

class CountingStore extends MemoryStore {
  full = false;
  /** Each write, with what the node had sent by then (`durable`: the hard state, if that is what it wrote). */
  readonly writes: { readonly sentBefore: number; readonly key: string; readonly durable: unknown }[] = [];
  constructor(private readonly sent: () => number) {
    super();
  }
  override save(key: string, value: unknown): void {
    if (this.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.writes.push({ sentBefore: this.sent(), key, durable: key === storeKey('d1', 'hard') ? value : undefined });
    super.save(key, value);
  }
}

/**
 * `paused`: the node runs as in a room the teacher paused: its algorithm clock is a frozen
 * FreezableClock over the tab's clock, which is passed as `hostClock` (as Classroom does).
 * `clock` is always the tab's clock, the one the test advances.
 */
function start(spec: OnceAlgorithmSpec = majoritySpec, { paused = false } = {}) {
  const clock = new FakeClock();
  const algorithmClock = new FreezableClock(clock);
  if (paused) algorithmClock.freeze();
  const sent: { to: string; message: { type: string } }[] = [];
  const store = new CountingStore(() => sent.length);
  const decision: DecisionAnnouncement = { id: 'd1', seq: 1, algorithm: spec === majoritySpec ? 'majority' : 'paxos', scenario: 'colors', members, startedAt: 0 };
  const node = new LiveNode({
    self: 'n1',
    decision,
    spec,
    store,
    clock: paused ? algorithmClock : clock,
    ...(paused ? { hostClock: clock } : {}),
    seed: 1,
    timing: liveTiming(0, members.length),
    sendAlgorithmMessage: (to, message) => sent.push({ to, message: message as { type: string } }),
    deliveryDelayMs: () => 0,
    onReport: () => {},
    incarnation: 1,
    now: () => clock.now(),
    scheduleFrame: (flush) => clock.setTimeout(flush, 16),
  });
  store.writes.length = 0; // the first-start entry
  let seq = 0;
  const receive = (from: string, message: unknown): void => node.receive(from, message, { inc: 9, seq: ++seq });
  return { node, sent, store, clock, algorithmClock, receive };
}

const stored = (store: MemoryStore): VotingDurable => store.load(storeKey('d1', 'hard')) as VotingDurable;

describe('voting on a live node, one write per turn', () => {
  it('a candidate and two votes heard in one turn cost one write, and the vote and the answer leave after it', () => {
    const { sent, store, clock, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    receive('n2', { type: 'vote', value: 'red' });
    // n3 resends its vote, asking for mine: the answer waits for the turn's write too.
    receive('n3', { type: 'vote', value: 'red', needYours: true });
    expect(store.writes).toEqual([]);
    expect(sent).toEqual([]);
    clock.advance(0);
    // One write for the three messages, before anything left; then a turn of its own for my own
    // vote, which reaches me through the host after the turn that cast it.
    const votesIn = store.writes.map((w) => Object.keys((w.durable as VotingDurable).votes).sort());
    expect(votesIn).toEqual([['n2', 'n3'], ['n1', 'n2', 'n3']]);
    // Each turn's write is the hard state alone: neither the announcement nor the meta is rewritten.
    expect(store.writes.map((w) => w.key)).toEqual([storeKey('d1', 'hard'), storeKey('d1', 'hard')]);
    expect(store.writes[0]!.sentBefore).toBe(0);
    expect(store.writes[0]!.durable).toMatchObject({ vote: 'red' });
    // My vote to the four others first (the step that cast it), then the answer to n3, in order.
    expect(sent.map((s) => `${s.message.type}→${s.to}`)).toEqual(['vote→n2', 'vote→n3', 'vote→n4', 'vote→n5', 'vote→n3']);
  });

  it('without a turn in between, a later turn writes again: the batching is per turn, not forever', () => {
    const { sent, store, clock, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    clock.advance(0);
    const writes = store.writes.length;
    receive('n2', { type: 'vote', value: 'red', needYours: true });
    expect(sent).toHaveLength(4);
    clock.advance(0);
    expect(store.writes).toHaveLength(writes + 1);
    expect(store.writes.at(-1)!.sentBefore).toBe(4);
    expect(sent.at(-1)).toEqual({ to: 'n2', message: { type: 'vote', value: 'red' } });
  });

  it('an answer that needs no write (a resend heard again) still waits behind an unwritten turn', () => {
    const { sent, clock, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    receive('n3', { type: 'vote', value: 'red', needYours: true });
    receive('n3', { type: 'vote', value: 'red', needYours: true }); // asked again: answered again, nothing new to store
    receive('n4', { type: 'voteRequest' });
    expect(sent).toEqual([]);
    clock.advance(0);
    expect(sent.slice(4).map((s) => `${s.message.type}→${s.to}`)).toEqual(['vote→n3', 'vote→n3', 'vote→n4']);
  });

  it('a vote heard without a question costs a write and no message', () => {
    const { sent, store, clock, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    clock.advance(0);
    const before = sent.length;
    for (const voter of ['n2', 'n3']) receive(voter, { type: 'vote', value: 'red' });
    clock.advance(0);
    expect(sent.length).toBe(before);
    expect(stored(store).votes).toMatchObject({ n2: 'red', n3: 'red' });
  });

  it('a decision is written at once, before the node shows it', () => {
    const { node, store, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    for (const voter of ['n2', 'n3', 'n4']) receive(voter, { type: 'vote', value: 'red' });
    expect(node.view().decided).toBe('red');
    expect(store.writes).toHaveLength(1);
    expect(stored(store)).toMatchObject({ decided: 'red', votes: { n2: 'red', n3: 'red', n4: 'red' } });
  });

  it('a failed write sends none of the turn’s messages and stops the node', () => {
    const { node, sent, store, clock, receive } = start();
    store.full = true;
    receive('n2', { type: 'candidate', value: 'red' });
    receive('n2', { type: 'vote', value: 'red' });
    clock.advance(10_000);
    expect(sent).toEqual([]);
    expect(node.stoppedForStorage).toBe(true);
    expect(node.view()).toMatchObject({ storage: 'full', phase: 'stopped' });
  });

  it('a stop ends the turn first: what the node did before it stopped is stored and sent', () => {
    const { node, sent, store, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    node.stop();
    expect(stored(store).vote).toBe('red');
    expect(sent.filter((s) => s.message.type === 'vote')).toHaveLength(4);
  });

  it('in a paused room the turn still ends on the tab’s clock: the votes are written and leave (to be held at their receivers)', () => {
    // Regression (6688975): the end of a write turn was scheduled on the algorithm's clock, which
    // the pause freezes, so a paused room's votes and acks never left and a demonstration that
    // holds messages saw nothing to hold.
    const { sent, store, clock, algorithmClock, receive } = start(majoritySpec, { paused: true });
    receive('n2', { type: 'candidate', value: 'red' });
    receive('n3', { type: 'vote', value: 'red', needYours: true });
    expect(sent).toEqual([]);
    clock.advance(0);
    expect(algorithmClock.frozen).toBe(true);
    expect(store.writes.length).toBeGreaterThanOrEqual(1);
    expect(store.writes[0]!.sentBefore).toBe(0);
    expect(sent.map((s) => `${s.message.type}→${s.to}`)).toEqual(['vote→n2', 'vote→n3', 'vote→n4', 'vote→n5', 'vote→n3']);
    // Only the host's turn ran: the algorithm's own timers (retransmission) still stand still.
    clock.advance(60_000);
    expect(sent.filter((s) => s.message.type === 'vote')).toHaveLength(5);
  });

  it('Paxos still writes and sends in the same step (no persistPerTurn)', () => {
    const { sent, store, receive } = start(paxosSpec);
    receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } });
    expect(store.writes).toHaveLength(1);
    expect(sent).toContainEqual({ to: 'n2', message: { type: 'promise', ballot: { round: 1, node: 'n2' } } });
  });
});

describe('the live retransmit timer grows with the room', () => {
  it('by LIVE_RETRANSMIT_MS_PER_MEMBER per member, on top of the message-delay rule', () => {
    expect(liveTiming(0, 40).retransmitMs - liveTiming(0, 5).retransmitMs).toBe(35 * LIVE_RETRANSMIT_MS_PER_MEMBER);
    expect(liveTiming(100, 10).retransmitMs).toBe(liveTiming(0, 10).retransmitMs + 200);
  });

  it('a majority voter of a 5-node room resends its vote only when that timer runs out, only to those whose vote it lacks', () => {
    const { sent, clock, receive } = start();
    receive('n2', { type: 'candidate', value: 'red' });
    clock.advance(0);
    receive('n2', { type: 'vote', value: 'red' });
    receive('n3', { type: 'vote', value: 'red' });
    clock.advance(0);
    const before = sent.length;
    const retransmitMs = liveTiming(0, members.length).retransmitMs;
    clock.advance(retransmitMs - 10);
    expect(sent.length).toBe(before);
    clock.advance(20);
    // n1 (self) heard through the host's own delivery; n2's and n3's votes heard: only n4 and n5 are asked.
    expect(sent.slice(before)).toEqual([
      { to: 'n4', message: { type: 'vote', value: 'red', needYours: true } },
      { to: 'n5', message: { type: 'vote', value: 'red', needYours: true } },
    ]);
  });
});
