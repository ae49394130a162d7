/**
 * Checkable lies in a Multi-Paxos replica's report (the live order book's counterpart of the
 * write-once Paxos rule on rounds, machines/paxos.ts, and of the evidence checks): a report whose
 * ballot or commit index no message of the algorithm could have produced is not believed. The
 * dashboard keeps the member's last believable state, shows the claim, and flags the sender.
 *
 * - a ballot chosen by nobody in the book: ballots are chosen by members only (round 0 is "none");
 * - a round far above every round the *other* members reported: an honest node picks the highest
 *   round it heard of plus one, and what it heard came from them. The margin is the write-once
 *   rule's MAX_ROUND_FLAG_STEP (2^30), so reports that lag behind the messages never trip it;
 * - a commit index beyond the node's own log (a slot is committed only once it is held), applied
 *   commands beyond the commit index, or a reported commit or window entry beyond the last index.
 *
 * Pure and O(report + members). Raft's reports are not judged here (its term rule differs).
 */
import { assertNever } from '../core/assert.ts';
import type { Ballot } from '../core/types.ts';
import { MAX_ROUND_FLAG_STEP } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import type { LogReport } from './log-protocol.ts';

export type ImplausibleReport =
  | { readonly kind: 'ballot-of-stranger'; readonly ballot: Ballot }
  | { readonly kind: 'round-jump'; readonly round: number; readonly othersHighest: number }
  | { readonly kind: 'commit-beyond-log'; readonly commitIndex: number; readonly lastIndex: number }
  | { readonly kind: 'applied-beyond-commit'; readonly applied: number; readonly commitIndex: number }
  | { readonly kind: 'entry-beyond-log'; readonly index: number; readonly lastIndex: number };

/**
 * What in `log`, reported by `from`, no Multi-Paxos message could have produced (empty: plausible).
 * `othersHighestRound`: the highest ballot round any other member of the book reported so far.
 */
export function implausibleMultiPaxos(log: LogReport, members: readonly PeerId[], othersHighestRound: number): ImplausibleReport[] {
  const found: ImplausibleReport[] = [];
  if (log.epoch.kind !== 'ballot') return found;
  const { ballot } = log.epoch;
  if (ballot.round > 0 && !members.includes(ballot.node)) found.push({ kind: 'ballot-of-stranger', ballot });
  if (ballot.round > othersHighestRound + MAX_ROUND_FLAG_STEP) found.push({ kind: 'round-jump', round: ballot.round, othersHighest: othersHighestRound });
  if (log.commitIndex > log.lastIndex) found.push({ kind: 'commit-beyond-log', commitIndex: log.commitIndex, lastIndex: log.lastIndex });
  if (log.applied > log.commitIndex) found.push({ kind: 'applied-beyond-commit', applied: log.applied, commitIndex: log.commitIndex });
  const beyond = [...log.commits, ...log.window].find((e) => e.index > log.lastIndex);
  if (beyond !== undefined) found.push({ kind: 'entry-beyond-log', index: beyond.index, lastIndex: log.lastIndex });
  return found;
}

/** The claim in words, for the projector. */
export function implausibleText(problem: ImplausibleReport): string {
  switch (problem.kind) {
    case 'ballot-of-stranger':
      return `claims ballot ${problem.ballot.round}.${problem.ballot.node}, which no member of this book chose`;
    case 'round-jump':
      return `claims round ${problem.round}, far above any round the others used (${problem.othersHighest})`;
    case 'commit-beyond-log':
      return `claims commit index ${problem.commitIndex} with only ${problem.lastIndex} entries in its log`;
    case 'applied-beyond-commit':
      return `claims ${problem.applied} commands applied with commit index ${problem.commitIndex}`;
    case 'entry-beyond-log':
      return `reports an entry at index ${problem.index} beyond its last index ${problem.lastIndex}`;
    default:
      return assertNever(problem, 'implausible report');
  }
}
