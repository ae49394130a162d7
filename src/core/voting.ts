/**
 * Pure rules shared by the three voting algorithms (majority, tiebreak, impatient tiebreak).
 * They differ only in *when* a tally decides; everything else (vote once, count each voter's
 * first vote, who still needs what) is here, free of XState, clocks and the network.
 *
 * Votes are keyed by the voter's node id as the transport reported it (the connection's peer),
 * never by anything inside a message. Node ids and values are untrusted text ("constructor",
 * "__proto__"), so lookups use `Object.hasOwn` and new records are built with computed keys,
 * which always create own properties.
 */
import { isMajority, majorityWinner, tally } from './quorum.ts';
import type { NodeId, Value } from './types.ts';

/** voter -> the first value that voter voted for. */
export type Votes = Readonly<Record<NodeId, Value>>;

/** When a tally decides. All three decide at once on a strict majority of all members. */
export type DecisionRule =
  /** Only a strict majority decides: a split vote waits forever. */
  | 'majority'
  /** Also: once every member has voted and nobody has a majority, the smallest candidate wins. */
  | 'tiebreak'
  /** As tiebreak, and after a timeout the smallest candidate *seen so far* wins (unsafe). */
  | 'impatient-tiebreak';

export function hasVoted(votes: Votes, voter: NodeId): boolean {
  return Object.hasOwn(votes, voter);
}

/** Each voter's first vote counts: a later, different vote from the same voter is ignored. */
export function withVote(votes: Votes, voter: NodeId, value: Value): Votes {
  return hasVoted(votes, voter) ? votes : { ...votes, [voter]: value };
}

/** Members whose vote this node has not heard yet, in member order. */
export function missingVoters(members: readonly NodeId[], votes: Votes): NodeId[] {
  return members.filter((member) => !hasVoted(votes, member));
}

export function allVotesIn(members: readonly NodeId[], votes: Votes): boolean {
  return missingVoters(members, votes).length === 0;
}

/**
 * The tiebreaker: the smallest value (string order) among those with at least one vote.
 * Deterministic, so nodes holding the same tally pick the same value.
 */
export function smallestCandidate(votes: Votes): Value | undefined {
  let smallest: Value | undefined;
  for (const value of Object.values(votes)) if (smallest === undefined || value < smallest) smallest = value;
  return smallest;
}

/**
 * What this tally decides under `rule` without any timeout: a strict majority of all members
 * always decides; the tiebreak rules also decide once every member's vote is in.
 * Undefined means "keep waiting". `votes` holds members' votes only (callers record nothing else).
 */
export function tallyDecision(rule: DecisionRule, members: readonly NodeId[], votes: Votes): Value | undefined {
  const winner = majorityWinner(tally(votes), members.length);
  if (winner !== undefined || rule === 'majority') return winner;
  return allVotesIn(members, votes) ? smallestCandidate(votes) : undefined;
}

/**
 * What an impatient node decides when its patience runs out: the tiebreaker over the partial
 * tally it happens to hold. Two nodes holding different partial tallies can decide different
 * values, which is exactly why this rule breaks Agreement.
 */
export function impatientDecision(votes: Votes): Value | undefined {
  return smallestCandidate(votes);
}

/**
 * The count of the votes a node holds, kept beside them and updated per vote, so that what a
 * node checks on every event (does the tally decide? whose vote is still missing?) costs the
 * same whatever the room's size: a recount of every member per event is what made a vote at
 * N = 40 cost a tab forty times a vote at N = 1. Always equal to `tallyOf(votes, memberCount)`
 * for the votes it was built with (tests/unit/core/vote-tally.test.ts checks that over random
 * schedules).
 */
export interface VoteTally {
  /** Votes per value (prototype-less: a value typed as "__proto__" is an ordinary key). */
  readonly counts: Readonly<Record<Value, number>>;
  /** How many voters' votes are in (votes hold members' votes only). */
  readonly heard: number;
  /** The value holding a strict majority of all members, once one does. */
  readonly majority: Value | undefined;
}

/** A recount of `votes`: for a node's start (its stored votes) and for tests; O(votes). */
export function tallyOf(votes: Votes, memberCount: number): VoteTally {
  let tallied = emptyTally();
  for (const value of Object.values(votes)) tallied = tallyWith(tallied, value, memberCount);
  return tallied;
}

export function emptyTally(): VoteTally {
  return { counts: Object.create(null) as Record<Value, number>, heard: 0, majority: undefined };
}

/**
 * The tally with one more voter's first vote for `value` (the caller checked the voter had not
 * voted). Copies the counts, one per distinct value, never the votes: only `value` can have just
 * reached a majority.
 */
export function tallyWith(tallied: VoteTally, value: Value, memberCount: number): VoteTally {
  const counts = Object.assign(Object.create(null) as Record<Value, number>, tallied.counts);
  const count = (counts[value] ?? 0) + 1;
  counts[value] = count;
  const majority = tallied.majority ?? (isMajority(count, memberCount) ? value : undefined);
  return { counts, heard: tallied.heard + 1, majority };
}

/** How many members' votes are still missing. */
export function missingCount(tallied: VoteTally, memberCount: number): number {
  return memberCount - tallied.heard;
}

/**
 * `tallyDecision` from the kept tally: the same answer in O(1) while votes are missing (the
 * tiebreak looks at the distinct values only once every vote is in).
 */
export function tallyDecides(rule: DecisionRule, tallied: VoteTally, memberCount: number): Value | undefined {
  if (tallied.majority !== undefined || rule === 'majority') return tallied.majority;
  return tallied.heard >= memberCount ? smallestOf(Object.keys(tallied.counts)) : undefined;
}

/** `impatientDecision` from the kept tally: the smallest value with a vote. */
export function impatientDecides(tallied: VoteTally): Value | undefined {
  return smallestOf(Object.keys(tallied.counts));
}

function smallestOf(values: readonly Value[]): Value | undefined {
  let smallest: Value | undefined;
  for (const value of values) if (smallest === undefined || value < smallest) smallest = value;
  return smallest;
}
