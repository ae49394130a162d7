/**
 * One test per named safety mutant (tests/mutation/safety-mutants.ts): each pins down the exact
 * rule the mutant breaks, once through the pure function and once through the machine a host
 * runs, so the test still fails if the rule moves between the two. Only public functions,
 * machines and messages are used, so the cores can be restructured freely underneath.
 *
 * `npm run test:safety-mutants` proves these tests fail on each mutant; here they must pass.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import {
  chosenIn,
  completesMajority,
  nextBallot,
  onAccept,
  onPrepare,
  promiseQuorum,
  recordAccepted,
  valueToPropose,
  type AcceptedProposal,
  type PaxosDurable,
  type PaxosMessage,
} from '../../../src/core/paxos.ts';
import { compareBallots, isMajority, majorityOf, majorityWinner, tally } from '../../../src/core/quorum.ts';
import type { Ballot, NodeEffect, NodeView, Timing } from '../../../src/core/types.ts';
import { tallyDecision, withVote } from '../../../src/core/voting.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { hardStateOf, onceDurable } from '../../../src/core/write-once.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { tiebreakSpec } from '../../../src/machines/tiebreak.ts';

const timing: Timing = { retransmitMs: 50, impatienceMs: 100, backoffMs: 40, phaseTimeoutMs: 200 };
const three = ['n1', 'n2', 'n3'];
const b = (round: number, node: string): Ballot => ({ round, node });
const proposal = (round: number, node: string, value: string): AcceptedProposal => ({ ballot: b(round, node), value });

type Effect = NodeEffect<unknown, unknown>;

/** One node of any algorithm, stepped with `transition`: effects of the last step, view, durable state. */
class Node {
  snapshot: SnapshotFrom<AnyStateMachine>;
  effects: Effect[] = [];
  durable: unknown;
  constructor(
    readonly spec: OnceAlgorithmSpec,
    readonly self: string,
    readonly members: readonly string[],
    durable?: unknown,
  ) {
    this.durable = durable;
    const [snapshot, actions] = initialTransition(spec.machine, { self, members, seed: 1, timing, durable: onceDurable(durable) });
    this.snapshot = snapshot;
    this.record(actions);
  }
  receive(from: string, message: unknown): Effect[] {
    return this.step({ type: 'receive', from, message });
  }
  propose(value: string): Effect[] {
    return this.step({ type: 'tryInitialize', value });
  }
  /** A new incarnation started from what this one persisted. */
  restarted(): Node {
    return new Node(this.spec, this.self, this.members, this.durable);
  }
  get view(): NodeView {
    return this.spec.view(this.snapshot);
  }
  sent(type: string): Array<{ to: string; message: Record<string, unknown> }> {
    return this.effects.flatMap((e) =>
      e.type === 'send' && (e.message as { type: string }).type === type ? [{ to: e.to, message: e.message as Record<string, unknown> }] : [],
    );
  }
  private step(event: unknown): Effect[] {
    const [snapshot, actions] = transition(this.spec.machine, this.snapshot, event as never);
    this.snapshot = snapshot;
    return this.record(actions);
  }
  private record(actions: readonly { type: string; params?: unknown }[]): Effect[] {
    this.effects = actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: Effect }).event);
    for (const effect of this.effects) if (effect.type === 'persistLog') this.durable = hardStateOf(effect.ops);
    return this.effects;
  }
}

const paxos = (self = 'n1', durable?: PaxosDurable) => new Node(paxosSpec, self, three, durable);
const field = (node: Node, label: string) => node.view.fields.find((f) => f.label === label)?.value;

/** A proposer n1 of three that has sent prepare for its first ballot (1.n1). */
function preparingProposer(): Node {
  const node = paxos('n1');
  node.propose('red');
  expect(node.sent('prepare').map((s) => s.message.ballot)).toEqual([b(1, 'n1'), b(1, 'n1'), b(1, 'n1')]);
  return node;
}

describe('acceptor-never-persists: promises and accepts are durable before the reply', () => {
  it('a restarted acceptor still refuses the ballot below its promise and still reports what it accepted', () => {
    const acceptor = paxos('n3');
    acceptor.receive('n2', { type: 'prepare', ballot: b(2, 'n2') } satisfies PaxosMessage);
    expect(acceptor.sent('promise')).toHaveLength(1);
    acceptor.receive('n2', { type: 'accept', ballot: b(2, 'n2'), value: 'blue' } satisfies PaxosMessage);
    expect(acceptor.sent('accepted')).toHaveLength(3);

    const back = acceptor.restarted();
    back.receive('n1', { type: 'prepare', ballot: b(1, 'n1') } satisfies PaxosMessage);
    expect(back.sent('nack')).toEqual([{ to: 'n1', message: { type: 'nack', ballot: b(1, 'n1'), promised: b(2, 'n2') } }]);
    back.receive('n1', { type: 'prepare', ballot: b(3, 'n1') } satisfies PaxosMessage);
    expect(back.sent('promise')[0]?.message.accepted).toEqual(proposal(2, 'n2', 'blue'));
  });
});

describe('proposer-ignores-accepted-values and adopt-lowest-ballot-value', () => {
  it('valueToPropose takes the value of the highest accepted ballot, whatever the order of the promises', () => {
    const low = proposal(1, 'n2', 'blue');
    const high = proposal(3, 'n1', 'green');
    const mid = proposal(2, 'n3', 'red');
    for (const order of [[low, high, mid], [high, mid, low], [mid, low, high]]) {
      const promises = new Map(order.map((p, i) => [`n${i + 1}`, p] as const));
      expect(valueToPropose(promises, 'own')).toBe('green');
    }
    expect(valueToPropose(new Map([['n1', null], ['n2', low]]), 'own')).toBe('blue');
    expect(valueToPropose(new Map([['n1', null], ['n2', null]]), 'own')).toBe('own');
  });

  it('the proposer sends accepts for the value of the highest-ballot promise, not the lowest nor its own', () => {
    const node = preparingProposer();
    // Relayed ballots name members (n1–n3): the safety checks refuse a ballot of a stranger.
    node.receive('n2', { type: 'promise', ballot: b(1, 'n1'), accepted: proposal(0, 'n2', 'blue') } satisfies PaxosMessage);
    expect(node.sent('accept')).toEqual([]);
    node.receive('n3', { type: 'promise', ballot: b(1, 'n1'), accepted: proposal(0, 'n3', 'green') } satisfies PaxosMessage);
    const accepts = node.sent('accept');
    expect(accepts).toHaveLength(3);
    // 0.n3 > 0.n2: same round, the node id breaks the tie.
    expect(accepts.every((s) => s.message.value === 'green')).toBe(true);
  });
});

describe('quorum-floor-half and majority-two-count-ge-n', () => {
  it('a majority is strictly more than half of all members', () => {
    expect([1, 2, 3, 4, 5, 6, 25].map(majorityOf)).toEqual([1, 2, 2, 3, 3, 4, 13]);
    expect(isMajority(2, 4)).toBe(false);
    expect(isMajority(3, 4)).toBe(true);
    expect(isMajority(3, 6)).toBe(false);
    expect(majorityWinner(tally({ a: 'red', b: 'red', c: 'blue', d: 'blue' }), 4)).toBeUndefined();
  });

  it('a 2–2 split of four voters decides nothing under majority voting', () => {
    const four = ['n1', 'n2', 'n3', 'n4'];
    const node = new Node(majoritySpec, 'n1', four);
    node.receive('n1', { type: 'vote', value: 'red' });
    node.receive('n2', { type: 'vote', value: 'red' });
    expect(node.view.decided).toBeUndefined();
    node.receive('n3', { type: 'vote', value: 'blue' });
    node.receive('n4', { type: 'vote', value: 'blue' });
    expect(node.view.decided).toBeUndefined();
  });

  it('a Paxos proposer of four needs three promises, and a learner of four needs three accepted', () => {
    const four = ['n1', 'n2', 'n3', 'n4'];
    const proposer = new Node(paxosSpec, 'n1', four);
    proposer.propose('red');
    proposer.receive('n1', { type: 'promise', ballot: b(1, 'n1') });
    proposer.receive('n2', { type: 'promise', ballot: b(1, 'n1') });
    expect(proposer.sent('accept')).toEqual([]);
    proposer.receive('n3', { type: 'promise', ballot: b(1, 'n1') });
    expect(proposer.sent('accept')).toHaveLength(4);

    const learner = new Node(paxosSpec, 'n4', four);
    learner.receive('n1', { type: 'accepted', ballot: b(1, 'n1'), value: 'red' });
    learner.receive('n2', { type: 'accepted', ballot: b(1, 'n1'), value: 'red' });
    expect(learner.view.decided).toBeUndefined();
    learner.receive('n3', { type: 'accepted', ballot: b(1, 'n1'), value: 'red' });
    expect(learner.view.decided).toBe('red');
  });
});

describe('promise-for-lower-ballot and accept-below-promise', () => {
  it('the pure acceptor nacks both a prepare and an accept below its promise, and keeps the promise', () => {
    const acceptor = { promised: b(3, 'n2'), accepted: proposal(2, 'n2', 'blue') };
    for (const step of [onPrepare(acceptor, b(2, 'n9')), onAccept(acceptor, b(2, 'n9'), 'red')]) {
      expect(step.reply).toEqual({ type: 'nack', ballot: b(2, 'n9'), promised: b(3, 'n2') });
      expect(step.acceptor).toEqual(acceptor);
      expect(step.changed).toBe(false);
    }
  });

  it('the machine answers a lower prepare or accept with a nack, and accepts nothing below its promise', () => {
    const acceptor = paxos('n3');
    acceptor.receive('n2', { type: 'prepare', ballot: b(2, 'n2') });
    acceptor.receive('n1', { type: 'prepare', ballot: b(1, 'n1') });
    expect(acceptor.sent('promise')).toEqual([]);
    expect(acceptor.sent('nack')).toHaveLength(1);
    acceptor.receive('n1', { type: 'accept', ballot: b(1, 'n1'), value: 'red' });
    expect(acceptor.sent('accepted')).toEqual([]);
    expect(acceptor.sent('nack')).toHaveLength(1);
    expect(paxosSpec.probe?.(acceptor.snapshot)).toEqual({ promised: b(2, 'n2'), accepted: undefined });
  });
});

describe('learner-counts-value-across-ballots', () => {
  // n1 accepted red in ballot 1.n1 and n2 accepted red in 2.n2: red has two acceptors of three,
  // yet no single ballot has a majority, so nothing is chosen (a third ballot may still choose blue).
  const split = new Map([
    ['n1', proposal(1, 'n1', 'red')],
    ['n2', proposal(2, 'n2', 'red')],
  ]);

  it('the pure learner counts acceptors per ballot, never per value', () => {
    expect(completesMajority(new Map([['n1', proposal(1, 'n1', 'red')]]), 'n2', proposal(2, 'n2', 'red'), 3)).toBe(false);
    expect(chosenIn(split, b(2, 'n2'), 3)).toBeUndefined();
    expect(chosenIn(split, b(1, 'n1'), 3)).toBeUndefined();
    const sameBallot = recordAccepted(split, 'n3', proposal(2, 'n2', 'red'));
    expect(chosenIn(sameBallot, b(2, 'n2'), 3)).toBe('red');
  });

  it('a learner that hears red accepted in two different ballots does not decide', () => {
    const learner = paxos('n3');
    learner.receive('n1', { type: 'accepted', ballot: b(1, 'n1'), value: 'red' });
    learner.receive('n2', { type: 'accepted', ballot: b(2, 'n2'), value: 'red' });
    expect(learner.view.decided).toBeUndefined();
    learner.receive('n1', { type: 'accepted', ballot: b(2, 'n2'), value: 'red' });
    expect(learner.view.decided).toBe('red');
  });
});

describe('restart-forgets-accepted', () => {
  it('a restarted acceptor reports the proposal it accepted before the crash in its next promise', () => {
    const acceptor = paxos('n2');
    acceptor.receive('n1', { type: 'accept', ballot: b(1, 'n1'), value: 'red' });
    const back = acceptor.restarted();
    expect(paxosSpec.probe?.(back.snapshot)).toEqual({ promised: b(1, 'n1'), accepted: proposal(1, 'n1', 'red') });
    back.receive('n3', { type: 'prepare', ballot: b(2, 'n3') });
    expect(back.sent('promise')).toEqual([{ to: 'n3', message: { type: 'promise', ballot: b(2, 'n3'), accepted: proposal(1, 'n1', 'red') } }]);
  });
});

describe('ballot-order-ignores-node', () => {
  it('ballots of one round are ordered by node id', () => {
    expect(compareBallots(b(1, 'n1'), b(1, 'n2'))).toBeLessThan(0);
    expect(compareBallots(b(1, 'n2'), b(1, 'n1'))).toBeGreaterThan(0);
    expect(compareBallots(b(1, 'n2'), b(1, 'n2'))).toBe(0);
  });

  it('an acceptor that promised 1.n2 refuses 1.n1 and accepts nothing in it', () => {
    const acceptor = paxos('n3');
    acceptor.receive('n2', { type: 'prepare', ballot: b(1, 'n2') });
    acceptor.receive('n1', { type: 'prepare', ballot: b(1, 'n1') });
    expect(acceptor.sent('nack')).toHaveLength(1);
    acceptor.receive('n1', { type: 'accept', ballot: b(1, 'n1'), value: 'red' });
    expect(acceptor.sent('accepted')).toEqual([]);
  });
});

describe('repeated-promise-counted-twice', () => {
  it('the pure count counts each promiser once', () => {
    expect(promiseQuorum(new Map([['n2', null]]), 'n2', 3)).toBe(false);
    expect(promiseQuorum(new Map([['n2', null]]), 'n3', 3)).toBe(true);
    expect(promiseQuorum(new Map([['n1', null], ['n2', null]]), 'n2', 5)).toBe(false);
  });

  it('the same promise delivered twice (a retransmitted prepare answered twice) is not a quorum', () => {
    const node = preparingProposer();
    const promise: PaxosMessage = { type: 'promise', ballot: b(1, 'n1') };
    node.receive('n2', promise);
    node.receive('n2', promise);
    expect(node.sent('accept')).toEqual([]);
    expect(node.view.phase).toBe('preparing');
    node.receive('n3', promise);
    expect(node.sent('accept')).toHaveLength(3);
  });
});

describe('round-reused', () => {
  it('the next ballot is above every round seen', () => {
    expect(nextBallot(0, 'n1')).toEqual(b(1, 'n1'));
    expect(nextBallot(7, 'n2')).toEqual(b(8, 'n2'));
  });

  it('after a nack naming 5.n3, the retry uses round 6; every ballot of a proposer is new', () => {
    const actor = paxos('n1');
    actor.propose('red');
    const first = actor.sent('prepare')[0]?.message.ballot as Ballot;
    // A restart resumes proposing: its ballot must be above the one it used before the crash.
    const back = actor.restarted();
    const second = back.sent('prepare')[0]?.message.ballot as Ballot;
    expect(compareBallots(second, first)).toBeGreaterThan(0);
    back.receive('n2', { type: 'nack', ballot: second, promised: b(5, 'n3') });
    expect(field(back, 'round')).toBe('5');
  });
});

describe('tiebreak-one-vote-missing', () => {
  it('the tiebreak waits for every vote; a majority alone decides early', () => {
    const four = ['n1', 'n2', 'n3', 'n4'];
    expect(tallyDecision('tiebreak', four, { n1: 'red', n2: 'blue', n3: 'green' })).toBeUndefined();
    expect(tallyDecision('tiebreak', four, { n1: 'red', n2: 'blue', n3: 'green', n4: 'blue' })).toBe('blue');
    expect(tallyDecision('tiebreak', three, { n1: 'red', n2: 'blue' })).toBeUndefined();
    expect(tallyDecision('tiebreak', three, { n1: 'red', n2: 'red' })).toBe('red');
  });

  it('a tiebreak node holding a 1–1 tally of three members does not decide', () => {
    const node = new Node(tiebreakSpec, 'n1', three);
    node.receive('n1', { type: 'vote', value: 'red' });
    node.receive('n2', { type: 'vote', value: 'blue' });
    expect(node.view.decided).toBeUndefined();
    node.receive('n3', { type: 'vote', value: 'green' });
    expect(node.view.decided).toBe('blue');
  });
});

describe('later-vote-overwrites-first', () => {
  it('withVote keeps a voter’s first vote', () => {
    const first = withVote({}, 'n2', 'red');
    expect(withVote(first, 'n2', 'blue')).toEqual({ n2: 'red' });
    expect(withVote(first, 'n3', 'blue')).toEqual({ n2: 'red', n3: 'blue' });
  });

  it('a node counts only the first vote a member sends, even if the member then sends another', () => {
    const node = new Node(majoritySpec, 'n1', three);
    node.receive('n2', { type: 'vote', value: 'red' });
    node.receive('n2', { type: 'vote', value: 'blue' });
    expect(node.view.tally).toEqual({ red: 1 });
    node.receive('n3', { type: 'vote', value: 'blue' });
    expect(node.view.decided).toBeUndefined();
  });
});
