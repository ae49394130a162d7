/**
 * One lying member against Paxos: bounded and plausible rounds, `chosen` claims that need
 * corroboration or a checking ballot, and blame that falls on the liar, never on an honest node.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { chosenWitnessesNeeded, roundVerdict, type PaxosDurable, type PaxosMessage } from '../../../src/core/paxos.ts';
import type { Ballot, Timing } from '../../../src/core/types.ts';
import { LIARS_TOLERATED, MAX_ROUND, MAX_ROUND_FLAG_STEP, MAX_ROUND_STEP } from '../../../src/limits.ts';
import { parsePaxosDurable, parsePaxosMessage, paxosSpec, type PaxosEffect, type PaxosSnapshot } from '../../../src/machines/paxos.ts';
import { Simulation } from '../../../src/sim/simulator.ts';

const timing: Timing = { retransmitMs: 50, impatienceMs: 100, backoffMs: 40, phaseTimeoutMs: 200 };
const three = ['n1', 'n2', 'n3'];
const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
const b = (round: number, node: string): Ballot => ({ round, node });

class Driver {
  snapshot: PaxosSnapshot;
  effects: PaxosEffect[];
  constructor(members = three, durable?: PaxosDurable) {
    const [snapshot, actions] = initialTransition(paxosSpec.machine, { self: 'n1', members, seed: 1, timing, durable });
    this.snapshot = snapshot as PaxosSnapshot;
    this.effects = emitted(actions);
  }
  receive(from: string, message: PaxosMessage): PaxosEffect[] {
    const [snapshot, actions] = transition(paxosSpec.machine, this.snapshot, { type: 'receive', from, message });
    this.snapshot = snapshot as PaxosSnapshot;
    this.effects = emitted(actions);
    return this.effects;
  }
  propose(value: string): PaxosEffect[] {
    const [snapshot, actions] = transition(paxosSpec.machine, this.snapshot, { type: 'tryInitialize', value });
    this.snapshot = snapshot as PaxosSnapshot;
    this.effects = emitted(actions);
    return this.effects;
  }
  get context() {
    return this.snapshot.context;
  }
}

function emitted(actions: readonly { type: string; params?: unknown }[]): PaxosEffect[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: PaxosEffect }).event);
}

const refusals = (effects: readonly PaxosEffect[]) => effects.filter((e) => e.type === 'refused');
const sendsOf = (effects: readonly PaxosEffect[]) => effects.filter((e) => e.type === 'send');

describe('rounds are bounded at the boundary', () => {
  it('refuses 2^53 − 1 and anything above MAX_ROUND in every message and in storage', () => {
    const huge = 2 ** 53 - 1;
    expect(parsePaxosMessage({ type: 'prepare', ballot: b(huge, 'n2') })).toBeUndefined();
    expect(parsePaxosMessage({ type: 'nack', ballot: b(1, 'n1'), promised: b(huge, 'n2') })).toBeUndefined();
    expect(parsePaxosMessage({ type: 'accepted', ballot: b(MAX_ROUND + 1, 'n2'), value: 'red' })).toBeUndefined();
    expect(parsePaxosMessage({ type: 'promise', ballot: b(1, 'n1'), accepted: { ballot: b(huge, 'n2'), value: 'x' } })).toBeUndefined();
    expect(parsePaxosMessage({ type: 'prepare', ballot: b(MAX_ROUND, 'n2') })).toEqual({ type: 'prepare', ballot: b(MAX_ROUND, 'n2') });
    expect(parsePaxosDurable({ promised: b(huge, 'n2') })).toBeUndefined();
    expect(parsePaxosDurable({ proposal: { value: 'red', round: huge } })).toBeUndefined();
    expect(parsePaxosDurable({ round: huge })).toBeUndefined();
    expect(parsePaxosDurable({ round: 7 })).toEqual(expect.objectContaining({ round: 7 }));
  });

  it('keeps every sum it forms exact', () => {
    expect(Number.isSafeInteger(MAX_ROUND + MAX_ROUND_FLAG_STEP + 1)).toBe(true);
    expect(MAX_ROUND_FLAG_STEP).toBeLessThan(MAX_ROUND - 1);
  });
});

describe('plausibility of rounds', () => {
  it('adopts a step, drops up to the flag step quietly, and refuses beyond, measured against the others', () => {
    const seen = new Map([
      ['n1', 10],
      ['n3', 12],
    ]);
    const verdict = (round: number, node: string) => roundVerdict(seen, b(round, node), MAX_ROUND_STEP, MAX_ROUND_FLAG_STEP, MAX_ROUND);
    expect(verdict(12 + MAX_ROUND_STEP, 'n2')).toBe('adopt');
    expect(verdict(13 + MAX_ROUND_STEP, 'n2')).toBe('ignore');
    expect(verdict(12 + MAX_ROUND_FLAG_STEP, 'n2')).toBe('ignore');
    expect(verdict(13 + MAX_ROUND_FLAG_STEP, 'n2')).toBe('refuse');
    expect(verdict(MAX_ROUND + 1, 'n2')).toBe('refuse');
    // A chooser's own earlier rounds are no yardstick for its next one: n3 cannot ratchet itself up.
    expect(verdict(11 + MAX_ROUND_STEP, 'n3')).toBe('ignore');
  });

  it('refuses a prepare far above every round, names the liar, and neither promises nor raises its round', () => {
    const node = new Driver();
    const effects = node.receive('n2', { type: 'prepare', ballot: b(MAX_ROUND - 1, 'n2') });
    expect(sendsOf(effects)).toEqual([]);
    expect(refusals(effects)).toEqual([{ type: 'refused', from: 'n2', reason: 'implausible', detail: expect.stringContaining(String(MAX_ROUND - 1)) }]);
    expect(node.context.acceptor.promised).toBeUndefined();
    expect(node.context.highestRound).toBe(0);
    // Its next ballot stays small and valid for everyone.
    const proposing = node.propose('red');
    expect(sendsOf(proposing)[0]).toMatchObject({ message: { type: 'prepare', ballot: b(1, 'n1') } });
  });

  it('blames the chooser of a relayed round, not the honest acceptor that relays it', () => {
    const node = new Driver();
    node.propose('red');
    // n2 (honest) nacks with the promise a liar n3 extracted from it: n3 is named, not n2.
    const effects = node.receive('n2', { type: 'nack', ballot: b(1, 'n1'), promised: b(2 * MAX_ROUND_FLAG_STEP, 'n3') });
    expect(refusals(effects).map((r) => (r.type === 'refused' ? r.from : ''))).toEqual(['n3']);
    expect(node.context.highestRound).toBe(1);
  });

  it('an honest proposer that beats a liar one step up is dropped quietly by a lagging peer, never flagged', () => {
    const node = new Driver();
    // n2 was pushed by a liar to one step above: its honest next ballot is one more.
    const effects = node.receive('n2', { type: 'prepare', ballot: b(MAX_ROUND_STEP + 1, 'n2') });
    expect(refusals(effects)).toEqual([]);
  });

  it('refuses impossible relays: a nack naming a lower promise, a promise reporting a higher accepted ballot', () => {
    const node = new Driver();
    node.propose('red');
    expect(refusals(node.receive('n2', { type: 'nack', ballot: b(1, 'n1'), promised: b(0, 'n2') }))).toHaveLength(1);
    const promise: PaxosMessage = { type: 'promise', ballot: b(1, 'n1'), accepted: { ballot: b(2, 'n3'), value: 'evil' } };
    expect(refusals(node.receive('n2', promise))).toEqual([expect.objectContaining({ from: 'n2', reason: 'implausible' })]);
    expect(node.context.promises.has('n2')).toBe(false);
  });

  it('refuses a report of another value in its own ballot (a liar slipping its value into an honest ballot)', () => {
    const node = new Driver();
    node.propose('red');
    node.receive('n1', { type: 'promise', ballot: b(1, 'n1') });
    node.receive('n2', { type: 'promise', ballot: b(1, 'n1') });
    expect(node.context.proposing).toBe('red');
    const effects = node.receive('n3', { type: 'accepted', ballot: b(1, 'n1'), value: 'evil' });
    expect(refusals(effects)).toEqual([expect.objectContaining({ from: 'n3' })]);
    expect(node.context.acceptedBy.has('n3')).toBe(false);
  });

  it('a proposer whose highest round is MAX_ROUND starts no ballot it could not finish', () => {
    const node = new Driver(three, { promised: b(MAX_ROUND, 'n1') });
    expect(sendsOf(node.propose('red'))).toEqual([]);
    expect(node.snapshot.matches({ undecided: 'idle' })).toBe(true);
  });
});

describe('chosen claims', () => {
  it('needs one witness more than the liars tolerated, never more than the other members', () => {
    expect(chosenWitnessesNeeded(3, LIARS_TOLERATED)).toBe(2);
    expect(chosenWitnessesNeeded(5, LIARS_TOLERATED)).toBe(2);
    expect(chosenWitnessesNeeded(2, LIARS_TOLERATED)).toBe(1);
  });

  it('one member\'s claim is not believed; a second member\'s makes it', () => {
    const node = new Driver(five);
    node.receive('n2', { type: 'chosen', value: 'evil' });
    expect(node.context.decided).toBeUndefined();
    node.receive('n2', { type: 'chosen', value: 'evil' }); // the same liar again counts once
    expect(node.context.decided).toBeUndefined();
    node.receive('n3', { type: 'chosen', value: 'evil' });
    expect(node.context.decided).toBe('evil');
  });

  it('a member contradicting its own claim is refused by name', () => {
    const node = new Driver(five);
    node.receive('n2', { type: 'chosen', value: 'red' });
    expect(refusals(node.receive('n2', { type: 'chosen', value: 'blue' }))).toEqual([
      expect.objectContaining({ from: 'n2', reason: 'unverified-claim' }),
    ]);
  });
});

describe('checking a claim with a ballot (simulator)', () => {
  it('a liar\'s lone `chosen` is disproved by a value-less ballot: liar named, nobody decides its value', () => {
    const sim = new Simulation({ algorithm: paxosSpec, nodes: 5, seed: 3, link: { minDelayMs: 5, maxDelayMs: 10 } });
    sim.runFor(10);
    // n5 lies: it tells n1 that "evil" was chosen (a message a real n5 could send from the console).
    sim.inject('n5', 'n1', { type: 'chosen', value: 'evil' });
    sim.runFor(2_000);
    expect(sim.decisions.filter((d) => d.value === 'evil')).toEqual([]);
    const refused = sim.trace.filter((e) => e.kind === 'refuse');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused.map((e) => (e.kind === 'refuse' ? e.from : '')))).toEqual(new Set(['n5']));
  });

  it('a restarted node whose only decided peer is up learns the outcome through a ballot (crash-fault liveness)', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const sim = new Simulation({ algorithm: paxosSpec, nodes: 3, seed, link: { minDelayMs: 5, maxDelayMs: 15 }, trace: 'facts' });
      sim.propose('n1', 'red');
      sim.runUntil((s) => s.view('n1')?.decided !== undefined && s.view('n2')?.decided !== undefined, { maxTime: 5_000 });
      const value = sim.view('n1')?.decided;
      expect(value, `seed ${seed}`).toBe('red');
      // n3 is down when it happens, n1 goes down after: only n2 can tell n3, and one word is not enough.
      sim.crash('n3');
      sim.crash('n1');
      sim.restart('n3');
      sim.runUntil((s) => s.view('n3')?.decided !== undefined, { maxTime: 30_000 });
      expect(sim.view('n3')?.decided, `seed ${seed}`).toBe('red');
      expect(sim.trace.filter((e) => e.kind === 'refuse'), `seed ${seed}`).toEqual([]);
    }
  });
});
