/**
 * The Paxos synod algorithm's three roles as small pure functions (Lamport, "Paxos Made Simple").
 * The XState machine in src/machines/paxos.ts calls these from its guards and actions; nothing
 * here knows about time, randomness sources, storage or the network.
 *
 * Vocabulary: a *round* is a number a proposer picks; a *ballot* is (round, node id), unique per
 * proposer and totally ordered by `compareBallots`; a value is *chosen* once a majority of
 * acceptors accepted it in one ballot.
 */
import { compareBallots, majorityOf } from './quorum.ts';
import type { Ballot, NodeId, Value } from './types.ts';

/** A value an acceptor accepted, with the ballot it was accepted in. */
export interface AcceptedProposal {
  readonly ballot: Ballot;
  readonly value: Value;
}

/**
 * Paxos wire messages. The sender is never in the payload: it is the transport's peer
 * (`event.from`), so a node cannot speak for another.
 */
export type PaxosMessage =
  /** Phase 1a: "promise to ignore every ballot below this one". */
  | { readonly type: 'prepare'; readonly ballot: Ballot }
  /** Phase 1b: the promise, with the highest-ballot proposal this acceptor accepted, if any. */
  | { readonly type: 'promise'; readonly ballot: Ballot; readonly accepted?: AcceptedProposal | undefined }
  /** Rejection of `ballot` (a prepare or an accept); carries the ballot to beat. */
  | { readonly type: 'nack'; readonly ballot: Ballot; readonly promised: Ballot }
  /** Phase 2a: "accept this value in this ballot". */
  | { readonly type: 'accept'; readonly ballot: Ballot; readonly value: Value }
  /** Phase 2b, sent to every member (they are all learners). */
  | { readonly type: 'accepted'; readonly ballot: Ballot; readonly value: Value }
  /** Catch-up: an undecided node asks whether anyone knows the chosen value. */
  | { readonly type: 'query' }
  /** The value is chosen: sent by a node that knows it. */
  | { readonly type: 'chosen'; readonly value: Value };

export type PaxosMessageType = PaxosMessage['type'];

/**
 * What a Paxos node writes to storage, and gets back as `input.durable` after a restart.
 * `promised`/`accepted` are the acceptor's promise; `proposal` is the proposer's intent (the value
 * it was asked to propose and the highest round it used, so it never reuses a ballot);
 * `decided` is the learner's final value.
 */
export interface PaxosDurable {
  readonly promised?: Ballot | undefined;
  readonly accepted?: AcceptedProposal | undefined;
  readonly proposal?: { readonly value: Value; readonly round: number } | undefined;
  readonly decided?: Value | undefined;
  /**
   * The highest round this node used for a ballot of its own, value or not (a ballot that only
   * checks a `chosen` claim has no value of its own): a restarted node never reuses it.
   */
  readonly round?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Ballots

export function sameBallot(a: Ballot | undefined, b: Ballot | undefined): boolean {
  return a !== undefined && b !== undefined && a.round === b.round && a.node === b.node;
}

/**
 * The ballot a proposer uses next: a round above every round it has seen, tagged with its id.
 * Callers only start a ballot while highestRoundSeen < MAX_ROUND (every parser refuses rounds
 * above MAX_ROUND), so the next round is always one that every member accepts.
 */
export function nextBallot(highestRoundSeen: number, self: NodeId): Ballot {
  return { round: highestRoundSeen + 1, node: self };
}

// ---------------------------------------------------------------------------------------------
// Acceptor

export interface AcceptorState {
  /** Highest ballot this acceptor promised; it ignores every lower one. Never decreases. */
  readonly promised: Ballot | undefined;
  /** The last proposal it accepted (always in a ballot ≤ promised). */
  readonly accepted: AcceptedProposal | undefined;
}

export interface AcceptorStep {
  readonly acceptor: AcceptorState;
  readonly reply: PaxosMessage;
  /** The acceptor's state changed: the host must persist it before the reply leaves. */
  readonly changed: boolean;
}

/**
 * Phase 1b. A prepare at or above the promise is answered with a promise (a repeated prepare for
 * the promised ballot is re-answered, since the first answer may have been lost; only a strictly
 * higher ballot changes state). A lower one gets a nack naming the ballot to beat.
 */
export function onPrepare(acceptor: AcceptorState, ballot: Ballot): AcceptorStep {
  const { promised, accepted } = acceptor;
  if (promised !== undefined && compareBallots(ballot, promised) < 0) {
    return { acceptor, reply: { type: 'nack', ballot, promised }, changed: false };
  }
  const changed = promised === undefined || compareBallots(ballot, promised) > 0;
  return {
    acceptor: changed ? { promised: ballot, accepted } : acceptor,
    reply: { type: 'promise', ballot, accepted },
    changed,
  };
}

/**
 * Phase 2b. Accept unless promised to a higher ballot. Accepting also raises the promise to this
 * ballot (so accepted ≤ promised always holds). Re-accepting the same proposal changes nothing.
 */
export function onAccept(acceptor: AcceptorState, ballot: Ballot, value: Value): AcceptorStep {
  const { promised, accepted } = acceptor;
  if (promised !== undefined && compareBallots(ballot, promised) < 0) {
    return { acceptor, reply: { type: 'nack', ballot, promised }, changed: false };
  }
  const changed = !sameBallot(promised, ballot) || !sameBallot(accepted?.ballot, ballot);
  return {
    acceptor: changed ? { promised: ballot, accepted: { ballot, value } } : acceptor,
    reply: { type: 'accepted', ballot, value },
    changed,
  };
}

// ---------------------------------------------------------------------------------------------
// Proposer

/**
 * Phase 1 replies for the current ballot: who promised, and what each had accepted (or null).
 * Maps, not objects: node ids are keys, and an id like "constructor" must stay an ordinary key.
 */
export type Promises = ReadonlyMap<NodeId, AcceptedProposal | null>;

/** Whether a promise from `promiser` makes a majority of promises (a repeated promise counts once). */
export function promiseQuorum(promises: Promises, promiser: NodeId, memberCount: number): boolean {
  const count = promises.size + (promises.has(promiser) ? 0 : 1);
  return count >= majorityOf(memberCount);
}

/**
 * The heart of Paxos safety: if any promiser accepted something, a value may already be chosen,
 * and only the one accepted in the highest ballot can be; propose it. Otherwise the field is
 * clear and the proposer's own value is safe.
 */
export function valueToPropose(promises: Promises, own: Value): Value {
  return highestAccepted(promises)?.value ?? own;
}

/**
 * The backoff multiplier stops doubling here: 2 × backoffMs × 8 bounds how long a pre-empted
 * proposer stays quiet, so a healed network decides within a few seconds of virtual time even
 * after many failed ballots.
 */
export const MAX_BACKOFF_FACTOR = 8;

/**
 * Randomised exponential backoff after a failed ballot: uniform in
 * [backoffMs, 2·backoffMs) × min(2^failures, MAX_BACKOFF_FACTOR), where `failures` counts the
 * earlier failed ballots and `uniform` ∈ [0, 1) comes from the node's seeded PRNG. Randomness is
 * what breaks the symmetry of duelling proposers; growth makes a collision ever less likely.
 */
export function backoffDelay(backoffMs: number, failures: number, uniform: number): number {
  const factor = Math.min(2 ** Math.max(0, failures), MAX_BACKOFF_FACTOR);
  return Math.floor(backoffMs * (1 + uniform) * factor);
}

/**
 * How long a proposer waits for a quorum in one phase: timing.phaseTimeoutMs, doubled with each
 * failed ballot up to MAX_BACKOFF_FACTOR. A fixed timeout is not enough: on a slow but healthy
 * network whose round trip exceeds it, the proposer would abandon every ballot just before its
 * replies arrive. Eventual synchrony means delays are bounded, not that we know the bound, so
 * the timeout must grow until it covers the real round trip.
 */
export function phaseTimeoutDelay(phaseTimeoutMs: number, failures: number): number {
  return phaseTimeoutMs * Math.min(2 ** Math.max(0, failures), MAX_BACKOFF_FACTOR);
}

/**
 * An idle node's questions ("is it decided?") slow down by doubling up to this many retransmit
 * periods: a node that missed the decision still learns it within 8 periods of asking, while a
 * room of idle tabs waiting for someone to propose sends 8× fewer questions than at full rate.
 */
export const MAX_QUERY_INTERVAL_FACTOR = 8;

/** The idle node's next question interval: doubled, capped at MAX_QUERY_INTERVAL_FACTOR periods. */
export function nextQueryInterval(currentMs: number, retransmitMs: number): number {
  return Math.min(currentMs * 2, retransmitMs * MAX_QUERY_INTERVAL_FACTOR);
}

/**
 * How long (ms) an idle node hears no proposer at all before it takes over with a value it has
 * seen accepted: longer than a live proposer's longest silence (its longest phase timeout plus
 * its largest backoff), so it only steps in when the proposer is gone.
 */
export function takeoverQuietMs(phaseTimeoutMs: number, backoffMs: number): number {
  return MAX_BACKOFF_FACTOR * (phaseTimeoutMs + 2 * backoffMs);
}

// ---------------------------------------------------------------------------------------------
// Learner

/**
 * Each acceptor's highest accepted proposal as this learner heard it. An acceptor only ever
 * accepts higher ballots, so its latest is its highest; a stale (reordered) report is dropped.
 */
export type AcceptedBy = ReadonlyMap<NodeId, AcceptedProposal>;

/** Returns `acceptedBy` itself when the report is not newer, so callers can skip an update. */
export function recordAccepted(acceptedBy: AcceptedBy, acceptor: NodeId, proposal: AcceptedProposal): AcceptedBy {
  const previous = acceptedBy.get(acceptor);
  if (previous !== undefined && compareBallots(proposal.ballot, previous.ballot) <= 0) return acceptedBy;
  return new Map(acceptedBy).set(acceptor, proposal);
}

/**
 * Whether hearing `proposal` from `acceptor` makes its ballot chosen: the check a learner runs on
 * every accepted message, so it counts in place instead of copying `acceptedBy`.
 */
export function completesMajority(
  acceptedBy: AcceptedBy,
  acceptor: NodeId,
  proposal: AcceptedProposal,
  memberCount: number,
): boolean {
  const previous = acceptedBy.get(acceptor);
  // The acceptor counts for this ballot if the report is news, or if it already had it.
  const counts = previous === undefined || compareBallots(proposal.ballot, previous.ballot) >= 0;
  let count = counts ? 1 : 0;
  for (const [node, accepted] of acceptedBy) if (node !== acceptor && sameProposal(accepted, proposal)) count++;
  return count >= majorityOf(memberCount);
}

/**
 * Same ballot and same value. An honest ballot carries one value, so for honest acceptors this
 * is the same ballot; counting the value too means a liar's report of another value in an honest
 * ballot counts for that other value only, never towards the honest one's majority, nor lends it its value.
 */
function sameProposal(a: AcceptedProposal, b: AcceptedProposal): boolean {
  return sameBallot(a.ballot, b.ballot) && a.value === b.value;
}

export function acceptedCount(acceptedBy: AcceptedBy, ballot: Ballot): number {
  let count = 0;
  for (const proposal of acceptedBy.values()) if (sameBallot(proposal.ballot, ballot)) count++;
  return count;
}

/** The value chosen in `ballot`, if a majority of all members accepted that value there. */
export function chosenIn(acceptedBy: AcceptedBy, ballot: Ballot, memberCount: number): Value | undefined {
  const counts = new Map<Value, number>();
  for (const proposal of acceptedBy.values()) {
    if (!sameBallot(proposal.ballot, ballot)) continue;
    const count = (counts.get(proposal.value) ?? 0) + 1;
    if (count >= majorityOf(memberCount)) return proposal.value;
    counts.set(proposal.value, count);
  }
  return undefined;
}

/** Accepted counts per value in the highest ballot this learner has heard of (for the UI). */
export function acceptedTally(acceptedBy: AcceptedBy): Record<Value, number> {
  let highest: Ballot | undefined;
  for (const proposal of acceptedBy.values()) {
    if (highest === undefined || compareBallots(proposal.ballot, highest) > 0) highest = proposal.ballot;
  }
  // Prototype-less, as in quorum.tally: a value typed as "__proto__" stays an ordinary key.
  const counts = Object.create(null) as Record<Value, number>;
  for (const proposal of acceptedBy.values()) {
    if (sameBallot(proposal.ballot, highest)) counts[proposal.value] = (counts[proposal.value] ?? 0) + 1;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Plausibility of rounds and claims (defence against one lying member; see docs/threat-model.md)

/**
 * The highest round each member chose (a ballot's `node` chose its round), as far as this node
 * adopted it; this node's own ballots and stored rounds are under its own id.
 */
export type RoundsBy = ReadonlyMap<NodeId, number>;

/** What a node does with a ballot it hears of: take it into account, drop it quietly, or refuse its chooser. */
export type RoundVerdict = 'adopt' | 'ignore' | 'refuse';

/**
 * The highest round chosen by anyone but `chooser`: what the rest of the class has shown this
 * node. Excluding the chooser is what stops a liar from raising its own yardstick message after
 * message: each of its jumps needs an honest ballot after it.
 */
export function roundBaseExcluding(roundsBy: RoundsBy, chooser: NodeId): number {
  let base = 0;
  for (const [node, round] of roundsBy) if (node !== chooser && round > base) base = round;
  return base;
}

/**
 * A ballot's round is adopted when it is at most `step` above what the others have shown (an
 * honest proposer's next round is one above the highest it adopted, so honest rounds stay
 * within one step plus a few rounds of lag of everyone's view); it is refused, and its chooser
 * named, when it is more than `flagStep` above; in between it is dropped like a lost message (it
 * may be an honest proposer beating a liar's jump that this node has not seen yet: never flag
 * what may be honest). `maxRound` is the bound every parser enforces.
 */
export function roundVerdict(roundsBy: RoundsBy, ballot: Ballot, step: number, flagStep: number, maxRound: number): RoundVerdict {
  if (ballot.round > maxRound) return 'refuse';
  const base = roundBaseExcluding(roundsBy, ballot.node);
  if (ballot.round <= base + step) return 'adopt';
  return ballot.round > base + flagStep ? 'refuse' : 'ignore';
}

/** `roundsBy` after adopting `ballot` (the same map when it adds nothing). */
export function adoptRound(roundsBy: RoundsBy, ballot: Ballot): RoundsBy {
  const previous = roundsBy.get(ballot.node);
  if (previous !== undefined && previous >= ballot.round) return roundsBy;
  return new Map(roundsBy).set(ballot.node, ballot.round);
}

/**
 * The accepted proposal of the highest ballot among the promises, if any promiser accepted
 * anything: what a value-less ballot (one that checks a claim) must carry on.
 */
export function highestAccepted(promises: Promises): AcceptedProposal | undefined {
  let best: AcceptedProposal | undefined;
  for (const accepted of promises.values()) {
    if (accepted !== null && (best === undefined || compareBallots(accepted.ballot, best.ballot) > 0)) best = accepted;
  }
  return best;
}

/**
 * Distinct members whose `chosen` claims a node needs before it believes them without checking:
 * one more than the liars tolerated, but never more than the other members (with two members
 * there is nobody to corroborate, and no defence against a lie is possible).
 */
export function chosenWitnessesNeeded(memberCount: number, liarsTolerated: number): number {
  return Math.max(1, Math.min(liarsTolerated + 1, memberCount - 1));
}

/**
 * Claims of `chosen` heard, first claim per member: a later, different claim from the same
 * member is a contradiction no honest node makes (a decided value never changes).
 */
export type ChosenClaims = ReadonlyMap<NodeId, Value>;

export function claimCount(claims: ChosenClaims, value: Value): number {
  let count = 0;
  for (const claimed of claims.values()) if (claimed === value) count++;
  return count;
}
