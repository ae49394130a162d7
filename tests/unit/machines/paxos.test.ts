import { describe, expect, it } from 'vitest';
import { initialTransition, SimulatedClock, transition } from 'xstate';
import type { PaxosDurable, PaxosMessage } from '../../../src/core/paxos.ts';
import type { Ballot, Timing } from '../../../src/core/types.ts';
import { paxosAmnesiaSpec } from '../../../src/machines/paxos-amnesia.ts';
import { paxosSpec, type PaxosEffect, type PaxosEvent, type PaxosSnapshot } from '../../../src/machines/paxos.ts';
import { onceDurable } from '../../../src/core/write-once.ts';
import { startNode } from '../../../src/machines/spec.ts';
import { decided, persisted } from './effects-harness.ts';

const timing: Timing = { retransmitMs: 50, impatienceMs: 100, backoffMs: 40, phaseTimeoutMs: 200 };
const three = ['n1', 'n2', 'n3'];
const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
const b = (round: number, node: string): Ballot => ({ round, node });

/** Drives one machine with `transition`, collecting the effects each step emits. */
class Driver {
  snapshot: PaxosSnapshot;
  effects: PaxosEffect[];
  constructor(
    readonly machine = paxosSpec.machine,
    members = three,
    durable?: PaxosDurable,
  ) {
    const [snapshot, actions] = initialTransition(machine, { self: 'n1', members, seed: 1, timing, durable: onceDurable(durable) });
    this.snapshot = snapshot as PaxosSnapshot;
    this.effects = emitted(actions);
  }
  send(event: PaxosEvent): PaxosEffect[] {
    const [snapshot, actions] = transition(this.machine, this.snapshot, event);
    this.snapshot = snapshot as PaxosSnapshot;
    this.effects = emitted(actions);
    return this.effects;
  }
  receive(from: string, message: PaxosMessage): PaxosEffect[] {
    return this.send({ type: 'receive', from, message });
  }
  get view() {
    return paxosSpec.view(this.snapshot);
  }
  get probe() {
    return paxosSpec.probe?.(this.snapshot);
  }
}

function emitted(actions: readonly { type: string; params?: unknown }[]): PaxosEffect[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: PaxosEffect }).event);
}

function sends(effects: readonly PaxosEffect[]) {
  return effects.flatMap((e) => (e.type === 'send' ? [{ to: e.to, message: e.message }] : []));
}

describe('paxos acceptor', () => {
  it('persists the promise before replying, and replies only to the sender', () => {
    const node = new Driver();
    const effects = node.receive('n2', { type: 'prepare', ballot: b(1, 'n2') });
    expect(effects.map((e) => e.type)).toEqual(['persistLog', 'send']);
    expect(effects[0]).toEqual(persisted(expect.objectContaining({ promised: b(1, 'n2') })));
    expect(effects[1]).toEqual({ type: 'send', to: 'n2', message: { type: 'promise', ballot: b(1, 'n2') } });
  });

  it('persists the accepted proposal before telling every learner', () => {
    const node = new Driver();
    const effects = node.receive('n2', { type: 'accept', ballot: b(1, 'n2'), value: 'red' });
    expect(effects.map((e) => e.type)).toEqual(['persistLog', 'send', 'send', 'send']);
    expect(effects[0]).toEqual(persisted(expect.objectContaining({ promised: b(1, 'n2'), accepted: { ballot: b(1, 'n2'), value: 'red' } })));
    expect(sends(effects)).toEqual(
      three.map((to) => ({ to, message: { type: 'accepted', ballot: b(1, 'n2'), value: 'red' } })),
    );
  });

  it('rejects lower ballots with a nack, and its promise never decreases', () => {
    const node = new Driver();
    node.receive('n3', { type: 'prepare', ballot: b(2, 'n3') });
    const promisedSeen: Ballot[] = [];
    const steps: Array<[string, Extract<PaxosMessage, { type: 'prepare' | 'accept' }>]> = [
      ['n2', { type: 'prepare', ballot: b(1, 'n2') }],
      ['n2', { type: 'prepare', ballot: b(2, 'n2') }],
      ['n2', { type: 'accept', ballot: b(2, 'n2'), value: 'red' }],
    ];
    for (const [from, message] of steps) {
      const effects = node.receive(from, message);
      expect(effects).toEqual([
        { type: 'send', to: 'n2', message: { type: 'nack', ballot: message.ballot, promised: b(2, 'n3') } },
      ]);
      promisedSeen.push(node.probe!.promised!);
    }
    expect(promisedSeen).toEqual([b(2, 'n3'), b(2, 'n3'), b(2, 'n3')]);
    expect(node.probe!.accepted).toBeUndefined();

    node.receive('n3', { type: 'accept', ballot: b(2, 'n3'), value: 'blue' });
    const later = node.receive('n2', { type: 'prepare', ballot: b(3, 'n2') });
    expect(sends(later)).toEqual([
      { to: 'n2', message: { type: 'promise', ballot: b(3, 'n2'), accepted: { ballot: b(2, 'n3'), value: 'blue' } } },
    ]);
    expect(node.probe).toEqual({ promised: b(3, 'n2'), accepted: { ballot: b(2, 'n3'), value: 'blue' } });
  });

  it('ignores non-members and prepares or accepts made in another node’s name', () => {
    const node = new Driver();
    expect(node.receive('intruder', { type: 'prepare', ballot: b(9, 'intruder') })).toEqual([]);
    expect(node.receive('n2', { type: 'prepare', ballot: b(9, 'n3') })).toEqual([]);
    expect(node.receive('n2', { type: 'accept', ballot: b(9, 'n3'), value: 'red' })).toEqual([]);
    expect(node.probe).toEqual({ promised: undefined, accepted: undefined });
  });
});

describe('paxos proposer', () => {
  it('persists its intent and round, then sends prepare to every member (itself included)', () => {
    const node = new Driver();
    const effects = node.send({ type: 'tryInitialize', value: 'red' });
    expect(effects[0]).toEqual(persisted(expect.objectContaining({ proposal: { value: 'red', round: 1 } })));
    expect(sends(effects)).toEqual(three.map((to) => ({ to, message: { type: 'prepare', ballot: b(1, 'n1') } })));
    expect(node.view.phase).toBe('preparing');
    expect(node.view.waitingFor).toBe('promises from 2 more of n1, n2, n3');
    expect(node.send({ type: 'tryInitialize', value: 'blue' })).toEqual([]);
  });

  it('ignores a tryInitialize whose value is too long to send', () => {
    const node = new Driver();
    expect(node.send({ type: 'tryInitialize', value: 'x'.repeat(1000) })).toEqual([]);
    expect(node.view.phase).toBe('idle');
  });

  it('proposes its own value when no promiser accepted anything', () => {
    const node = new Driver();
    node.send({ type: 'tryInitialize', value: 'red' });
    expect(node.receive('n2', { type: 'promise', ballot: b(1, 'n1') })).toEqual([]);
    expect(node.view.waitingFor).toBe('promises from 1 more of n1, n3');
    const effects = node.receive('n3', { type: 'promise', ballot: b(1, 'n1') });
    expect(sends(effects)).toEqual(three.map((to) => ({ to, message: { type: 'accept', ballot: b(1, 'n1'), value: 'red' } })));
    expect(node.view.phase).toBe('accepting');
  });

  it('adopts the value accepted in the highest ballot among a majority of promises', () => {
    const node = new Driver(paxosSpec.machine, five);
    node.receive('n3', { type: 'prepare', ballot: b(3, 'n3') }); // raises the round this node must beat
    const start = node.send({ type: 'tryInitialize', value: 'red' });
    expect(sends(start)[0]?.message).toEqual({ type: 'prepare', ballot: b(4, 'n1') });
    node.receive('n2', { type: 'promise', ballot: b(4, 'n1'), accepted: { ballot: b(2, 'n2'), value: 'blue' } });
    node.receive('n3', { type: 'promise', ballot: b(4, 'n1'), accepted: { ballot: b(3, 'n3'), value: 'green' } });
    // A promise for some other ballot does not count.
    expect(node.receive('n4', { type: 'promise', ballot: b(1, 'n1') })).toEqual([]);
    const effects = node.receive('n5', { type: 'promise', ballot: b(4, 'n1') });
    expect(sends(effects).map((s) => s.message)).toEqual(
      five.map(() => ({ type: 'accept', ballot: b(4, 'n1'), value: 'green' })),
    );
    expect(node.view.fields).toContainEqual({ label: 'proposing', value: 'green' });
  });

  it('backs off on a nack for its ballot, but not on a stale nack', () => {
    const node = new Driver();
    node.send({ type: 'tryInitialize', value: 'red' });
    node.receive('n2', { type: 'nack', ballot: b(0, 'n1'), promised: b(7, 'n2') });
    expect(node.view.phase).toBe('preparing');
    node.receive('n2', { type: 'nack', ballot: b(1, 'n1'), promised: b(5, 'n3') });
    expect(node.view.phase).toBe('backing off');
    expect(node.view.waitingFor).toMatch(/^a random backoff of \d+ ms, then a ballot above round 7$/);
  });
});

describe('paxos learner', () => {
  it('decides only on a majority of accepted in one ballot, then announces to the others', () => {
    const node = new Driver(paxosSpec.machine, five);
    const red1 = { type: 'accepted', ballot: b(1, 'n2'), value: 'red' } as const;
    const red2 = { type: 'accepted', ballot: b(2, 'n3'), value: 'red' } as const;
    node.receive('n2', red1);
    node.receive('n2', red1); // a duplicate counts once
    node.receive('n3', red1);
    expect(node.view.tally).toEqual({ red: 2 });
    node.receive('n4', red2); // three acceptors accepted red, but in two ballots
    node.receive('n5', red2);
    expect(node.view.decided).toBeUndefined();
    expect(node.view.tally).toEqual({ red: 2 });
    const effects = node.receive('n2', red2);
    expect(effects.map((e) => e.type)).toEqual(['persistLog', 'send', 'commit']);
    expect(effects[0]).toEqual(persisted(expect.objectContaining({ decided: 'red' })));
    // n2, n4, n5 accepted the deciding ballot and hear each other; n3 is the one to tell.
    expect(sends(effects)).toEqual([{ to: 'n3', message: { type: 'chosen', value: 'red' } }]);
    expect(effects.at(-1)).toEqual(decided('red'));
    expect(node.view.phase).toBe('decided');
  });

  it('once decided, answers queries, prepares and accepts with the chosen value and never changes it', () => {
    const node = new Driver();
    // One member's word is not enough (it could be a liar); two distinct members' is.
    node.receive('n2', { type: 'chosen', value: 'blue' });
    expect(node.view.decided).toBeUndefined();
    node.receive('n3', { type: 'chosen', value: 'blue' });
    expect(node.view.decided).toBe('blue');
    expect(sends(node.receive('n3', { type: 'query' }))).toEqual([{ to: 'n3', message: { type: 'chosen', value: 'blue' } }]);
    // Still an acceptor (so a restarted peer can learn through a ballot), and it says the value.
    expect(sends(node.receive('n2', { type: 'prepare', ballot: b(9, 'n2') }))).toEqual([
      { to: 'n2', message: { type: 'promise', ballot: b(9, 'n2') } },
      { to: 'n2', message: { type: 'chosen', value: 'blue' } },
    ]);
    // In safe Paxos a different `chosen` can only be a lie: refused, its sender named.
    expect(node.receive('n3', { type: 'chosen', value: 'red' })).toEqual([
      { type: 'refused', from: 'n3', reason: 'unverified-claim', detail: expect.stringContaining('"red"') },
    ]);
    expect(node.send({ type: 'tryInitialize', value: 'red' })).toEqual([]);
    expect(node.view.decided).toBe('blue');
  });
});

describe('paxos restart (durable state)', () => {
  const durable: PaxosDurable = {
    promised: b(4, 'n3'),
    accepted: { ballot: b(3, 'n2'), value: 'blue' },
    proposal: { value: 'red', round: 2 },
  };

  it('keeps its promise and accepted proposal, and resumes proposing above every round it knew', () => {
    const node = new Driver(paxosSpec.machine, three, durable);
    expect(node.probe).toEqual({ promised: b(4, 'n3'), accepted: { ballot: b(3, 'n2'), value: 'blue' } });
    expect(node.view.phase).toBe('preparing');
    expect(node.effects[0]).toEqual(persisted(expect.objectContaining({ proposal: { value: 'red', round: 5 }, promised: b(4, 'n3') })));
    expect(sends(node.effects)[0]?.message).toEqual({ type: 'prepare', ballot: b(5, 'n1') });
    expect(sends(node.receive('n2', { type: 'prepare', ballot: b(4, 'n2') }))[0]?.message.type).toBe('nack');
  });

  it('amnesia forgets the promise and accepted proposal, yet never reuses its own round', () => {
    const node = new Driver(paxosAmnesiaSpec.machine, three, durable);
    expect(node.probe).toEqual({ promised: undefined, accepted: undefined });
    expect(sends(node.effects)[0]?.message).toEqual({ type: 'prepare', ballot: b(3, 'n1') });
    const promise = sends(node.receive('n2', { type: 'prepare', ballot: b(3, 'n2') }))[0]?.message;
    expect(promise).toEqual({ type: 'promise', ballot: b(3, 'n2') }); // no accepted 'blue' any more
  });

  it('a decided node restarts decided, silently', () => {
    const node = new Driver(paxosSpec.machine, three, { ...durable, decided: 'blue' });
    expect(node.effects).toEqual([]);
    expect(node.view.phase).toBe('decided');
    expect(node.view.decided).toBe('blue');
  });

  it('with unreadable storage it neither promises, accepts nor proposes, but still learns', () => {
    const corrupt = { promised: { round: -1, node: 'n2' } } as unknown as PaxosDurable;
    const node = new Driver(paxosSpec.machine, three, corrupt);
    expect(node.view.phase).toBe('idle');
    expect(node.view.waitingFor).toMatch(/only listens/);
    expect(node.receive('n2', { type: 'prepare', ballot: b(1, 'n2') })).toEqual([]);
    expect(node.receive('n2', { type: 'accept', ballot: b(1, 'n2'), value: 'red' })).toEqual([]);
    expect(node.send({ type: 'tryInitialize', value: 'blue' })).toEqual([]);
    expect(node.probe).toEqual({ promised: undefined, accepted: undefined });
    node.receive('n2', { type: 'chosen', value: 'red' });
    node.receive('n3', { type: 'chosen', value: 'red' });
    expect(node.view.decided).toBe('red');
  });

  it('specs are labelled: paxos safe, amnesia broken', () => {
    expect(paxosSpec.broken).toBe(false);
    expect(paxosAmnesiaSpec.broken).toBe(true);
    expect(paxosAmnesiaSpec.name).toBe('paxos-amnesia');
    expect(paxosAmnesiaSpec.summary).toMatch(/Agreement/);
  });
});

describe('paxos timing (startNode + SimulatedClock)', () => {
  function start(members = three) {
    const clock = new SimulatedClock();
    const log: PaxosEffect[] = [];
    const node = startNode<PaxosMessage, unknown, PaxosEvent, PaxosEffect>(paxosSpec, { self: 'n1', members, seed: 7, timing }, clock, (effects) => log.push(...effects));
    return { clock, log, node };
  }

  it('an idle node asks the others for the decision, ever less often while nothing happens', () => {
    const { clock, log, node } = start();
    const queryTimes = (untilMs: number): number[] => {
      const times: number[] = [];
      while (clock.now() < untilMs) {
        log.length = 0;
        clock.increment(1);
        const queries = sends(log).filter((s) => s.message.type === 'query');
        if (queries.length > 0) {
          expect(queries.map((q) => q.to)).toEqual(['n2', 'n3']);
          times.push(clock.now());
        }
      }
      return times;
    };
    // Every 50, 100, 200, then at most 8 × 50 ms.
    expect(queryTimes(1_600)).toEqual([50, 150, 350, 750, 1_150, 1_550]);
    expect(node.view().phase).toBe('idle'); // it knows no value, so it has nothing to take over
    // A proposer shows up: questions go back to the full rate after the pending one.
    node.send({ type: 'receive', from: 'n2', message: { type: 'prepare', ballot: b(1, 'n2') } });
    expect(queryTimes(2_100)).toEqual([1_950, 2_050]);
    // Once decided, it goes quiet for good.
    node.send({ type: 'receive', from: 'n3', message: { type: 'chosen', value: 'red' } });
    node.send({ type: 'receive', from: 'n2', message: { type: 'chosen', value: 'red' } });
    expect(queryTimes(10_000)).toEqual([]);
    node.stop();
  });

  it('retransmits prepares to members that have not promised, then backs off after the phase timeout', () => {
    const { clock, log, node } = start();
    node.send({ type: 'tryInitialize', value: 'red' });
    node.send({ type: 'receive', from: 'n2', message: { type: 'promise', ballot: b(1, 'n1') } });
    log.length = 0;
    clock.increment(timing.retransmitMs);
    expect(sends(log)).toEqual(['n1', 'n3'].map((to) => ({ to, message: { type: 'prepare', ballot: b(1, 'n1') } })));
    clock.increment(timing.phaseTimeoutMs - timing.retransmitMs);
    expect(node.view().phase).toBe('backing off');
    log.length = 0;
    clock.increment(2 * timing.backoffMs);
    expect(node.view().phase).toBe('preparing');
    expect(log[0]).toEqual(persisted(expect.objectContaining({ proposal: { value: 'red', round: 2 } })));
    expect(sends(log).map((s) => s.message)).toEqual(three.map(() => ({ type: 'prepare', ballot: b(2, 'n1') })));
    node.stop();
  });

  it('after a nack, waits a random backoff in [backoffMs, 2·backoffMs), then retries above the ballot to beat', () => {
    const { clock, log, node } = start();
    node.send({ type: 'tryInitialize', value: 'red' });
    node.send({ type: 'receive', from: 'n3', message: { type: 'nack', ballot: b(1, 'n1'), promised: b(5, 'n3') } });
    const delay = Number(/backoff of (\d+) ms/.exec(node.view().waitingFor)?.[1]);
    expect(delay).toBeGreaterThanOrEqual(timing.backoffMs);
    expect(delay).toBeLessThan(2 * timing.backoffMs);
    log.length = 0;
    clock.increment(delay - 1);
    expect(log).toEqual([]);
    clock.increment(1);
    expect(sends(log)[0]?.message).toEqual({ type: 'prepare', ballot: b(6, 'n1') });
    // A second failure doubles the range.
    node.send({ type: 'receive', from: 'n3', message: { type: 'nack', ballot: b(6, 'n1'), promised: b(6, 'n3') } });
    const second = Number(/backoff of (\d+) ms/.exec(node.view().waitingFor)?.[1]);
    expect(second).toBeGreaterThanOrEqual(2 * timing.backoffMs);
    expect(second).toBeLessThan(4 * timing.backoffMs);
    node.stop();
  });

  it('draws its backoff from the seeded PRNG: same seed, same delays; other seed, other delays', () => {
    const delays = (seed: number) => {
      const clock = new SimulatedClock();
      const node = startNode(paxosSpec, { self: 'n1', members: three, seed, timing }, clock, () => {});
      node.send({ type: 'tryInitialize', value: 'red' });
      const out: number[] = [];
      for (let failure = 1; failure <= 4; failure++) {
        const round = Number(node.view().fields.find((f) => f.label === 'ballot')?.value.split('.')[0]);
        node.send({ type: 'receive', from: 'n2', message: { type: 'nack', ballot: b(round, 'n1'), promised: b(round, 'n2') } });
        const delay = Number(/backoff of (\d+) ms/.exec(node.view().waitingFor)?.[1]);
        out.push(delay);
        clock.increment(delay);
        expect(node.view().phase).toBe('preparing');
      }
      node.stop();
      return out;
    };
    expect(delays(11)).toEqual(delays(11));
    expect(delays(11)).not.toEqual(delays(12));
  });
});
