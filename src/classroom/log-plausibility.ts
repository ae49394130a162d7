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
 * Pure and O(report + members). A Raft report is judged on its term only (implausibleRaft):
 * a term far above every term the other members reported, by the same margin as a round.
 *
 * Messages between replicas (EpochPlausibility, run by each live replica before its machine
 * sees a peer's message) follow the write-once Paxos rule on rounds (core/paxos.ts
 * roundVerdict): an epoch is taken in when it is at most a step above the highest epoch chosen
 * by anyone but its chooser, dropped like a lost message a little beyond, and refused with its
 * chooser named far beyond. Multi-Paxos ballots name their chooser; a Raft term is chosen by
 * the candidate that asks for votes with it and carried by the leader that won it, while a reply
 * only echoes the replier's term (it counts toward nothing, or a liar could raise the yardstick
 * by bouncing its own jump off an honest node).
 */
import { assertNever } from '../core/assert.ts';
import { adoptRound, roundVerdict, type RoundsBy, type RoundVerdict } from '../core/paxos.ts';
import type { Ballot, Epoch, LogRole } from '../core/types.ts';
import { isRecord } from '../core/validate.ts';
import { MAX_ROUND, MAX_ROUND_FLAG_STEP, MAX_ROUND_STEP, MAX_TERM, RAFT_TERM_FLAG_STEP, RAFT_TERM_STEP } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import type { LogReport } from './log-protocol.ts';

export type ImplausibleReport =
  | { readonly kind: 'ballot-of-stranger'; readonly ballot: Ballot }
  | { readonly kind: 'round-jump'; readonly round: number; readonly othersHighest: number }
  | { readonly kind: 'term-jump'; readonly term: number; readonly othersHighest: number }
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

/**
 * What in a Raft replica's `log` no message could have produced: a term more than
 * RAFT_TERM_FLAG_STEP above the highest term any other member of the book reported so far (an
 * honest node's term is one it chose or adopted, within RAFT_TERM_STEP of the others').
 */
export function implausibleRaft(log: LogReport, othersHighestTerm: number): ImplausibleReport[] {
  if (log.epoch.kind !== 'term' || log.epoch.term <= othersHighestTerm + RAFT_TERM_FLAG_STEP) return [];
  return [{ kind: 'term-jump', term: log.epoch.term, othersHighest: othersHighestTerm }];
}

/** Why a peer's message was not taken in, and whom to blame (refusals only). */
export interface EpochJudgement {
  readonly verdict: RoundVerdict;
  /** The member whose epoch it is (a ballot's chooser, a term's sender). */
  readonly culprit?: PeerId;
  readonly detail?: string;
}

/** Raft messages whose term their sender chose (as candidate) or won (as leader). */
const TERM_CHOSEN_BY_SENDER: ReadonlySet<unknown> = new Set(['requestVote', 'appendEntries', 'installSnapshot']);

function ballotOf(raw: unknown): Ballot | undefined {
  return isRecord(raw) && typeof raw.round === 'number' && typeof raw.node === 'string' ? { round: raw.round, node: raw.node } : undefined;
}

/** Every ballot a Multi-Paxos message carries: its own, a nack's promise, a promise's accepted entries. */
function ballotsIn(message: Readonly<Record<string, unknown>>): Ballot[] {
  const out: Ballot[] = [];
  for (const raw of [message.ballot, message.promised]) {
    const ballot = ballotOf(raw);
    if (ballot !== undefined) out.push(ballot);
  }
  if (Array.isArray(message.entries)) {
    for (const entry of message.entries) {
      const ballot = isRecord(entry) ? ballotOf(entry.ballot) : undefined;
      if (ballot !== undefined) out.push(ballot);
    }
  }
  return out;
}

/**
 * One live replica's judge of its peers' epochs (see the header). Its memory is one number per
 * member. `noteOwn` after each step credits the replica's own choices (its ballot; its term as
 * candidate or leader, and the term it restarted with); `judge` decides on a parsed message and,
 * when it is taken in, credits the epochs its chooser chose.
 */
export class EpochPlausibility {
  private chosen: RoundsBy = new Map();

  constructor(
    private readonly self: PeerId,
    private readonly members: readonly PeerId[],
  ) {}

  /** The replica's own epoch after a step: what it chose itself counts toward the others' yardstick. */
  noteOwn(epoch: Epoch, role: LogRole, started: boolean): void {
    if (epoch.kind === 'ballot') {
      if (epoch.ballot.node === this.self) this.chosen = adoptRound(this.chosen, epoch.ballot);
    } else if (role !== 'follower' || !started) {
      this.chosen = adoptRound(this.chosen, { round: epoch.term, node: this.self });
    }
  }

  /** A member's message, parsed by the algorithm: take it in, drop it, or refuse its epoch's chooser. */
  judge(from: PeerId, message: unknown, currentEpoch: Epoch): EpochJudgement {
    if (!isRecord(message) || from === this.self) return { verdict: 'adopt' };
    if (currentEpoch.kind === 'term') return this.judgeTerm(from, message, currentEpoch.term);
    for (const ballot of ballotsIn(message)) {
      if (ballot.round === 0 || ballot.node === this.self) continue;
      if (!this.members.includes(ballot.node)) return { verdict: 'refuse', culprit: from, detail: `ballot ${ballot.round}.${ballot.node} names a non-member` };
      const verdict = roundVerdict(this.chosen, ballot, MAX_ROUND_STEP, MAX_ROUND_FLAG_STEP, MAX_ROUND);
      if (verdict === 'refuse') return { verdict, culprit: ballot.node, detail: `round ${ballot.round} is far above every round the others chose` };
      if (verdict === 'ignore') return { verdict };
    }
    for (const ballot of ballotsIn(message)) if (ballot.round > 0 && ballot.node !== this.self) this.chosen = adoptRound(this.chosen, ballot);
    return { verdict: 'adopt' };
  }

  private judgeTerm(from: PeerId, message: Readonly<Record<string, unknown>>, currentTerm: number): EpochJudgement {
    const term = message.term;
    // No term (a forwarded command), or nothing new to take in: a term at or below ours changes nothing.
    if (typeof term !== 'number' || term <= currentTerm) return { verdict: 'adopt' };
    const verdict = roundVerdict(this.chosen, { round: term, node: from }, RAFT_TERM_STEP, RAFT_TERM_FLAG_STEP, MAX_TERM);
    if (verdict === 'refuse') return { verdict, culprit: from, detail: `term ${term} is far above every term the others chose` };
    if (verdict === 'adopt' && TERM_CHOSEN_BY_SENDER.has(message.type)) this.chosen = adoptRound(this.chosen, { round: term, node: from });
    return { verdict };
  }
}

/** The claim in words, for the projector. */
export function implausibleText(problem: ImplausibleReport): string {
  switch (problem.kind) {
    case 'ballot-of-stranger':
      return `claims ballot ${problem.ballot.round}.${problem.ballot.node}, which no member of this book chose`;
    case 'round-jump':
      return `claims round ${problem.round}, far above any round the others used (${problem.othersHighest})`;
    case 'term-jump':
      return `claims term ${problem.term}, far above any term the others reported (${problem.othersHighest})`;
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
