import type { Ballot, NodeId, Value } from './types.ts';

/** Strict majority of a fixed member set: more than half. 3 of 5, 13 of 25, 2 of 3. */
export function majorityOf(memberCount: number): number {
  return Math.floor(memberCount / 2) + 1;
}

export function isMajority(count: number, memberCount: number): boolean {
  return count >= majorityOf(memberCount);
}

/** Count votes per value from a map of voter -> value. */
export function tally(votes: Readonly<Record<NodeId, Value>>): Record<Value, number> {
  // Values are typed by students: a prototype-less object keeps "constructor" or "__proto__"
  // an ordinary candidate.
  const counts = Object.create(null) as Record<Value, number>;
  for (const value of Object.values(votes)) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The value holding a strict majority of all members, if any. */
export function majorityWinner(counts: Readonly<Record<Value, number>>, memberCount: number): Value | undefined {
  for (const [value, count] of Object.entries(counts)) if (isMajority(count, memberCount)) return value;
  return undefined;
}

/** Total order on ballots: round first, then node id. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export function ballotLabel(b: Ballot | undefined): string {
  return b === undefined ? '—' : `${b.round}.${b.node}`;
}
