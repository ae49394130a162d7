/**
 * The voting machine keeps its tally beside its votes and updates it per vote (VoteTally) instead
 * of recounting every member on every event. These tests hold the kept tally to the recount it
 * replaced: after every event of random schedules (votes, changed votes, resends, requests,
 * strangers, restarts from stored votes), in the pure rules and in the machine itself.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { Prng } from '../../../src/core/prng.ts';
import type { NodeId, Value } from '../../../src/core/types.ts';
import {
  emptyTally,
  hasVoted,
  impatientDecides,
  impatientDecision,
  missingCount,
  missingVoters,
  tallyDecides,
  tallyDecision,
  tallyOf,
  tallyWith,
  withVote,
  type DecisionRule,
  type Votes,
  type VoteTally,
} from '../../../src/core/voting.ts';
import { onceDurable } from '../../../src/core/write-once.ts';
import { majorityWinner, tally } from '../../../src/core/quorum.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { tiebreakSpec } from '../../../src/machines/tiebreak.ts';
import { impatientTiebreakSpec } from '../../../src/machines/impatient-tiebreak.ts';
import { hasPendingSends, type VotingContext, type VotingDurable, type VotingMessage } from '../../../src/machines/voting-machine.ts';
import { nodeIds, TIMING } from '../machines/effects-harness.ts';

const RULES: readonly DecisionRule[] = ['majority', 'tiebreak', 'impatient-tiebreak'];
/** Values students might type, "__proto__" and "constructor" among them. */
const VALUES: readonly Value[] = ['red', 'blue', 'green', '__proto__', 'constructor'];

/** The counts as plain entries, sorted: prototype-less records compare by content. */
function entries(counts: Readonly<Record<Value, number>>): [Value, number][] {
  return Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function expectSameTally(kept: VoteTally, votes: Votes, memberCount: number): void {
  expect(entries(kept.counts)).toEqual(entries(tally(votes)));
  expect(kept.heard).toBe(Object.keys(votes).length);
  expect(kept.majority).toBe(majorityWinner(tally(votes), memberCount));
  expect(kept).toEqual(tallyOf(votes, memberCount));
}

describe('VoteTally: the kept tally equals a recount', () => {
  it.each([1, 2, 5, 10, 40])('after every vote of random schedules, N = %i', (n) => {
    const members = nodeIds(n);
    for (let seed = 1; seed <= (n > 10 ? 8 : 30); seed++) {
      const prng = Prng.fromSeed(seed);
      const values = VALUES.slice(0, prng.int(1, VALUES.length));
      let votes: Votes = {};
      let kept = emptyTally();
      for (let event = 0; event < 3 * n; event++) {
        const voter = prng.pick(members);
        const value = prng.pick(values);
        // A voter's later vote (the same or another value) changes nothing: the first counts.
        if (!hasVoted(votes, voter)) kept = tallyWith(kept, value, n);
        votes = withVote(votes, voter, value);
        expectSameTally(kept, votes, n);
        expect(missingCount(kept, n)).toBe(missingVoters(members, votes).length);
        for (const rule of RULES) expect(tallyDecides(rule, kept, n)).toBe(tallyDecision(rule, members, votes));
        expect(impatientDecides(kept)).toBe(impatientDecision(votes));
      }
    }
  });

  it('names the majority the moment it forms, and keeps it', () => {
    const members = nodeIds(5);
    let kept = emptyTally();
    kept = tallyWith(kept, 'red', 5);
    kept = tallyWith(kept, 'blue', 5);
    kept = tallyWith(kept, 'red', 5);
    expect(kept.majority).toBeUndefined();
    expect(tallyDecides('majority', kept, 5)).toBeUndefined();
    kept = tallyWith(kept, 'red', 5);
    expect(kept.majority).toBe('red');
    kept = tallyWith(kept, 'blue', 5);
    expect(tallyDecides('tiebreak', kept, 5)).toBe('red');
    expect(missingCount(kept, members.length)).toBe(0);
  });

  it('tiebreaks only once every vote is in, on the smallest value', () => {
    let kept = emptyTally();
    for (const value of ['red', 'blue', 'green']) kept = tallyWith(kept, value, 4);
    expect(tallyDecides('tiebreak', kept, 4)).toBeUndefined();
    kept = tallyWith(kept, 'green', 4);
    expect(tallyDecides('tiebreak', kept, 4)).toBe('blue');
    expect(tallyDecides('majority', kept, 4)).toBeUndefined();
  });
});

type Snapshot = SnapshotFrom<typeof majoritySpec.machine>;

/** What the guards recounted before the tally was kept: each target list, from all the members. */
function recountedPendingSends(c: VotingContext): boolean {
  const missing = missingVoters(c.members, c.votes);
  const candidates = c.proposal === undefined ? [] : missing;
  const votes = c.vote === undefined ? [] : missing;
  const requests = c.vote !== undefined || !c.listenOnly || c.decided !== undefined ? [] : missing.filter((m) => m !== c.self);
  return candidates.length > 0 || votes.length > 0 || requests.length > 0;
}

function randomMessage(prng: Prng, values: readonly Value[]): VotingMessage {
  switch (prng.int(0, 4)) {
    case 0:
      return { type: 'candidate', value: prng.pick(values) };
    case 1:
      return { type: 'vote', value: prng.pick(values), needYours: true };
    case 2:
      return { type: 'voteRequest' };
    default:
      return { type: 'vote', value: prng.pick(values) };
  }
}

describe('the voting machine keeps its tally per event', () => {
  const specs = [majoritySpec, tiebreakSpec, impatientTiebreakSpec] as const;

  it.each(specs.map((spec) => [spec.name, spec] as const))('%s: equal to a recount after every event, over random schedules', (_, spec) => {
    for (let seed = 1; seed <= 25; seed++) {
      const prng = Prng.fromSeed(seed);
      const n = prng.int(1, 12);
      const members = nodeIds(n);
      const self = prng.pick(members);
      const values = VALUES.slice(0, prng.int(1, 3));
      // Some nodes restart from stored votes, some with unreadable storage (listen-only).
      const stored: Votes = Object.fromEntries(members.filter(() => prng.chance(0.3)).map((m) => [m, prng.pick(values)]));
      const start = prng.int(0, 2);
      // Unreadable storage is a stored state the parser refuses (the node restarts listen-only).
      const durable: unknown = start === 0 ? undefined : start === 1 ? { proposal: undefined, vote: undefined, votes: stored, decided: undefined } : 'garbage';
      let [snapshot] = initialTransition(spec.machine, { self, members, seed, timing: TIMING, durable: onceDurable(durable as VotingDurable) }) as [Snapshot, unknown];
      const check = (): void => {
        const c = snapshot.context as VotingContext;
        expectSameTally(c.tallied, c.votes, n);
        expect(hasPendingSends(c)).toBe(recountedPendingSends(c));
      };
      check();
      for (let event = 0; event < 4 * n + 4; event++) {
        const from: NodeId = prng.chance(0.05) ? 'stranger' : prng.pick(members);
        const next = prng.chance(0.1)
          ? transition(spec.machine, snapshot, { type: 'tryInitialize', value: prng.pick(values) })
          : transition(spec.machine, snapshot, { type: 'receive', from, message: randomMessage(prng, values) });
        snapshot = next[0] as Snapshot;
        check();
      }
    }
  });

  it('a stale kept tally is caught: the recount differs', () => {
    // The check above can fail: a context whose tally missed a vote is not equal to its recount.
    const members = nodeIds(3);
    const votes: Votes = { n01: 'red', n02: 'red' };
    const stale = tallyWith(emptyTally(), 'red', 3);
    expect(() => expectSameTally(stale, votes, members.length)).toThrow();
  });
});
