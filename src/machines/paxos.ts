/**
 * Paxos (the synod algorithm, Lamport's "Paxos Made Simple"): every node is proposer, acceptor
 * and learner at once.
 *
 * Keeps Agreement and Validity always, whatever the network and crashes do, because an acceptor
 * persists its promise and its accepted proposal before it replies, and a proposer adopts the
 * highest-ballot value among a majority of promises. Keeps Termination only once the network is
 * eventually timely and a majority is up: FLP says no algorithm can promise more, so duelling
 * proposers can in principle pre-empt each other forever; randomised, growing backoff makes that
 * ever less likely.
 *
 * Role logic lives in pure functions (src/core/paxos.ts); this file wires them into one XState
 * machine. The proposer's phase is the state (idle → preparing → accepting, backing off after a
 * pre-emption or timeout); the acceptor and learner answer messages in every undecided state.
 *
 * `createPaxosMachine({ acceptorRemembers: false })` is the deliberately broken amnesia variant
 * (src/machines/paxos-amnesia.ts): same algorithm, but a restarted acceptor forgets its promise.
 *
 * Checks against one lying member (docs/threat-model.md), each with its cost in messages:
 * - rounds within MAX_ROUND (parser): 0;
 * - round plausibility, blame on the ballot's chooser (judge, roundVerdict): 0;
 * - relayed ballots name members; a nack's promise is above the ballot it rejects; a promise's
 *   accepted ballot is not above the ballot promised: 0;
 * - one ballot, one value: a report of another value in my own ballot or in the one my acceptor
 *   accepted is refused, and the learner counts (ballot, value) pairs: 0;
 * - `chosen` believed only from LIARS_TOLERATED + 1 distinct members: 0;
 * - an uncorroborated claim is checked by a value-less ballot (verifying): n prepares + n promises,
 *   plus n accepts + n² accepted when a value is found; at most once per claimer;
 * - a contradicting `chosen` (own earlier claim; in safe Paxos, my decision): 0.
 * A refusal is a 'refused' effect naming the member; the host flags it.
 */
import { and, enqueueActions, setup, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import {
  acceptedTally,
  adoptRound,
  backoffDelay,
  chosenWitnessesNeeded,
  claimCount,
  highestAccepted,
  roundVerdict,
  phaseTimeoutDelay,
  chosenIn,
  completesMajority,
  nextBallot,
  nextQueryInterval,
  onAccept,
  onPrepare,
  promiseQuorum,
  recordAccepted,
  sameBallot,
  takeoverQuietMs,
  valueToPropose,
  type AcceptedBy,
  type AcceptedProposal,
  type AcceptorState,
  type ChosenClaims,
  type PaxosDurable,
  type PaxosMessage,
  type PaxosMessageType,
  type Promises,
  type RoundsBy,
  type RoundVerdict,
} from '../core/paxos.ts';
import { LIARS_TOLERATED, MAX_NODE_ID_LENGTH, MAX_ROUND, MAX_ROUND_FLAG_STEP, MAX_ROUND_STEP } from '../limits.ts';
import { assertNever } from '../core/assert.ts';
import { nextFloat, seedPrng, type PrngState } from '../core/prng.ts';
import { ballotLabel, compareBallots, majorityOf } from '../core/quorum.ts';
import type { AcceptorProbe, Ballot, NodeEffect, NodeEvent, NodeId, NodeInput, NodeView, Timing, Value } from '../core/types.ts';
import { isBoundedString, isNonNegativeInteger, isRecord, type UnknownRecord } from '../core/validate.ts';
import { commitDecision, persistHard, restoreOnce, type OnceDurable } from '../core/write-once.ts';
import type { AlgorithmName, OnceAlgorithmSpec } from './spec.ts';
import { isValue, listNodes, optionalValue, parseByType, type MessageParsers } from './wire.ts';

export type PaxosEvent = NodeEvent<PaxosMessage>;
export type PaxosEffect = NodeEffect<PaxosMessage, PaxosDurable, never>;
export type PaxosInput = NodeInput<OnceDurable<PaxosDurable>>;
/** A write-once log of length one: persists one `hard` op, decides by committing index 1. */
const persist = (state: PaxosDurable): PaxosEffect => persistHard(state);

export interface PaxosContext {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly timing: Timing;
  readonly prng: PrngState;
  /** Highest round seen anywhere (own ballots, prepares, accepts, nacks): the next ballot goes above it. */
  readonly highestRound: number;
  readonly acceptor: AcceptorState;
  /** Proposer: the value this node proposes (its own, or one it took over); undefined while idle. */
  readonly proposal: Value | undefined;
  /** Proposer: the last ballot this node used. */
  readonly ballot: Ballot | undefined;
  /** Proposer: phase 1 replies for `ballot`. */
  readonly promises: Promises;
  /** Proposer: the value sent in phase 2 of `ballot`. */
  readonly proposing: Value | undefined;
  /** Proposer: ballots that failed in a row, which grows the backoff. */
  readonly failures: number;
  /** Proposer: the backoff drawn for the current `backing off` state. */
  readonly backoffDelayMs: number;
  /** Learner: each acceptor's highest accepted proposal heard of. */
  readonly acceptedBy: AcceptedBy;
  readonly decided: Value | undefined;
  /** Idle node: how long it has heard no proposer at all (see takeover). */
  readonly quietMs: number;
  /** Idle node: time until it asks for the decision again; doubles while nothing happens. */
  readonly queryIntervalMs: number;
  /** Its stored state was unreadable: it plays learner only (see initialContext). */
  readonly listenOnly: boolean;
  /** The highest round each member chose, as adopted here (see roundVerdict): the yardstick of plausibility. */
  readonly roundsBy: RoundsBy;
  /** `chosen` claims not yet corroborated, first per member (see decideFromChosen). */
  readonly claims: ChosenClaims;
  /** Members whose claim a value-less ballot disproved: their later claims are not checked again. */
  readonly refuted: readonly NodeId[];
  /** The current ballot has no value of its own: it checks a `chosen` claim (see verifyClaims). */
  readonly verifying: boolean;
}

export interface PaxosOptions {
  /** false: the acceptor ignores its persisted promise/accepted on restart (unsafe on purpose). */
  readonly acceptorRemembers: boolean;
}

function initialContext(input: PaxosInput, { acceptorRemembers }: PaxosOptions): PaxosContext {
  // Unreadable storage: this node may have promised or used ballots it can no longer recall, so
  // it must neither promise, accept nor propose again. It only listens, and learns the decision.
  const { state: durable, unreadable: listenOnly } = restoreOnce(input.durable, parsePaxosDurable);
  const acceptor: AcceptorState = acceptorRemembers
    ? { promised: durable?.promised, accepted: durable?.accepted }
    : { promised: undefined, accepted: undefined };
  const proposal = durable?.proposal;
  const highestRound = Math.max(
    proposal?.round ?? 0,
    durable?.round ?? 0,
    acceptor.promised?.round ?? 0,
    acceptor.accepted?.ballot.round ?? 0,
  );
  return {
    self: input.self,
    members: input.members,
    timing: input.timing,
    prng: seedPrng(input.seed),
    highestRound,
    acceptor,
    proposal: proposal?.value,
    ballot: proposal === undefined ? undefined : { round: proposal.round, node: input.self },
    promises: new Map(),
    proposing: undefined,
    failures: 0,
    backoffDelayMs: 0,
    acceptedBy: new Map(),
    decided: durable?.decided,
    quietMs: 0,
    queryIntervalMs: input.timing.retransmitMs,
    listenOnly,
    // What it stored is its own: the yardstick starts from it.
    roundsBy: new Map([[input.self, highestRound]]),
    claims: new Map(),
    refuted: [],
    verifying: false,
  };
}

/** What this node writes to storage now: the acceptor's promise, the proposer's intent, the decision. */
function durableOf(context: PaxosContext): PaxosDurable {
  const { acceptor, proposal, ballot, decided } = context;
  return {
    promised: acceptor.promised,
    accepted: acceptor.accepted,
    proposal: proposal === undefined || ballot === undefined ? undefined : { value: proposal, round: ballot.round },
    decided,
    round: ballot?.round,
  };
}

type MessageOf<T extends PaxosMessageType> = Extract<PaxosMessage, { type: T }>;

/** The message of a `receive` event of this type from a member; undefined otherwise (non-members are ignored). */
function incoming<T extends PaxosMessageType>(
  context: PaxosContext,
  event: PaxosEvent,
  type: T,
): MessageOf<T> | undefined {
  if (event.type !== 'receive' || event.message.type !== type || !context.members.includes(event.from)) return undefined;
  if (judge(context, event.from, event.message).verdict !== 'adopt') return undefined;
  return event.message as MessageOf<T>;
}

/** The ballots a message names, each with the member that chose its round. */
function ballotsIn(message: PaxosMessage): Ballot[] {
  switch (message.type) {
    case 'prepare':
    case 'accept':
    case 'accepted':
      return [message.ballot];
    case 'promise':
      return message.accepted === undefined ? [message.ballot] : [message.ballot, message.accepted.ballot];
    case 'nack':
      return [message.ballot, message.promised];
    case 'query':
    case 'chosen':
      return [];
    default:
      return assertNever(message, 'Paxos message');
  }
}

/** Why a message is not adopted, and whom to blame: a refusal names a member, with the evidence. */
interface Judgement {
  readonly verdict: RoundVerdict;
  readonly culprit?: NodeId;
  readonly detail?: string;
}

/**
 * The stateful checks on a member's message (the parser already bounded every field):
 * - every round is plausible (roundVerdict); a refusal names the ballot's node, who chose the
 *   round, when it is a member (the sender may be an honest acceptor relaying a liar's ballot);
 * - relayed ballots name members (honest acceptors only take ballots from members);
 * - a nack names a promise above the ballot it rejects, and a promise reports an accepted
 *   ballot no higher than the one it promises (an honest acceptor cannot do otherwise).
 * Costs no message: it reads what arrived.
 */
function judge(context: PaxosContext, from: NodeId, message: PaxosMessage): Judgement {
  if (message.type === 'nack' && compareBallots(message.promised, message.ballot) <= 0) {
    return { verdict: 'refuse', culprit: from, detail: `nack of ${ballotLabel(message.ballot)} names the lower promise ${ballotLabel(message.promised)}` };
  }
  if (message.type === 'promise' && message.accepted !== undefined && compareBallots(message.accepted.ballot, message.ballot) > 0) {
    return { verdict: 'refuse', culprit: from, detail: `promise for ${ballotLabel(message.ballot)} reports a higher accepted ${ballotLabel(message.accepted.ballot)}` };
  }
  const carried = valueCarried(message);
  if (carried !== undefined && !sameValueAsKnown(context, carried)) {
    return {
      verdict: 'refuse',
      culprit: from,
      detail: `reports "${carried.value}" in ballot ${ballotLabel(carried.ballot)}, which carries another value`,
    };
  }
  for (const ballot of ballotsIn(message)) {
    if (ballot.node === context.self) continue;
    if (!context.members.includes(ballot.node)) {
      return { verdict: 'refuse', culprit: from, detail: `ballot ${ballotLabel(ballot)} names a non-member` };
    }
    const verdict = roundVerdict(context.roundsBy, ballot, MAX_ROUND_STEP, MAX_ROUND_FLAG_STEP, MAX_ROUND);
    if (verdict === 'refuse') {
      return { verdict, culprit: ballot.node, detail: `round ${ballot.round} is far above every round the others have shown (${context.highestRound})` };
    }
    if (verdict === 'ignore') return { verdict };
  }
  return { verdict: 'adopt' };
}

/** The (ballot, value) an acceptor reports having accepted in this message, if any. */
function valueCarried(message: PaxosMessage): AcceptedProposal | undefined {
  if (message.type === 'accepted') return { ballot: message.ballot, value: message.value };
  if (message.type === 'promise') return message.accepted;
  return undefined;
}

/**
 * One ballot carries one value. This node knows the value of its own current ballot and of the
 * proposal its acceptor accepted; a report of another value in either ballot is a lie (a liar
 * slipping its value into an honest ballot).
 */
function sameValueAsKnown(context: PaxosContext, reported: AcceptedProposal): boolean {
  if (context.proposing !== undefined && sameBallot(reported.ballot, context.ballot) && reported.value !== context.proposing) return false;
  const mine = context.acceptor.accepted;
  return !(mine !== undefined && sameBallot(reported.ballot, mine.ballot) && reported.value !== mine.value);
}

/** The judgement of this event's message when it is refused (a member's impossible message). */
function refusalOf(context: PaxosContext, event: PaxosEvent): Judgement | undefined {
  if (event.type !== 'receive' || !context.members.includes(event.from)) return undefined;
  const judgement = judge(context, event.from, event.message);
  return judgement.verdict === 'refuse' ? judgement : undefined;
}

/** Highest round and per-chooser rounds after adopting the ballots of an accepted message. */
function adopted(context: PaxosContext, message: PaxosMessage): Pick<PaxosContext, 'highestRound' | 'roundsBy'> {
  let { highestRound, roundsBy } = context;
  for (const ballot of ballotsIn(message)) {
    highestRound = raiseRound(highestRound, ballot);
    roundsBy = adoptRound(roundsBy, ballot);
  }
  return { highestRound, roundsBy };
}

/** Prepares and accepts must come from the node their ballot names: nobody proposes in another's name. */
function ownBallot<T extends 'prepare' | 'accept'>(context: PaxosContext, event: PaxosEvent, type: T): MessageOf<T> | undefined {
  const message: MessageOf<'prepare' | 'accept'> | undefined = incoming(context, event, type);
  if (message === undefined || event.type !== 'receive' || message.ballot.node !== event.from) return undefined;
  return message as MessageOf<T>;
}

function senderOf(event: PaxosEvent): NodeId {
  if (event.type !== 'receive') throw new Error(`Paxos: '${event.type}' has no sender`);
  return event.from;
}

/** A value this node has seen accepted, which it may carry on proposing if the proposer vanished. */
function knownValue(context: PaxosContext): Value | undefined {
  if (context.acceptor.accepted !== undefined) return context.acceptor.accepted.value;
  for (const proposal of context.acceptedBy.values()) return proposal.value;
  return undefined;
}

/** A proposer is active: the idle node's silence count and question interval start over. */
function heardProposer(context: PaxosContext): Pick<PaxosContext, 'quietMs' | 'queryIntervalMs'> {
  return { quietMs: 0, queryIntervalMs: context.timing.retransmitMs };
}

function raiseRound(highestRound: number, ballot: Ballot): number {
  return ballot.round > highestRound ? ballot.round : highestRound;
}

/** The learner's view after hearing `accepted` from an acceptor. */
function afterAccepted(context: PaxosContext, event: PaxosEvent): AcceptedBy {
  const message = incoming(context, event, 'accepted');
  return message === undefined ? context.acceptedBy : recordAccepted(context.acceptedBy, senderOf(event), message);
}

/** The promise in this event, if it answers the current ballot. */
function promiseForMyBallot(context: PaxosContext, event: PaxosEvent): MessageOf<'promise'> | undefined {
  const message = incoming(context, event, 'promise');
  return message !== undefined && sameBallot(message.ballot, context.ballot) ? message : undefined;
}

/** Promises for the current ballot including this event's (the caller checked it is one). */
function promisesWith(context: PaxosContext, event: PaxosEvent, message: MessageOf<'promise'>): Promises {
  return new Map(context.promises).set(senderOf(event), message.accepted ?? null);
}

/** Promises for my ballot with this event's, or undefined when the event is no such promise. */
function promisesIfMine(context: PaxosContext, event: PaxosEvent): Promises | undefined {
  const message = promiseForMyBallot(context, event);
  return message === undefined ? undefined : promisesWith(context, event, message);
}

/** Claims after `claimer` says `value` was chosen: its first claim stands. */
function claimsWith(context: PaxosContext, claimer: NodeId, value: Value): ChosenClaims {
  return context.claims.has(claimer) ? context.claims : new Map(context.claims).set(claimer, value);
}

/** Whether this `chosen` contradicts what the sender claimed before, or (in safe Paxos) what this node decided. */
function contradicts(context: PaxosContext, event: PaxosEvent, strict: boolean): boolean {
  const message = incoming(context, event, 'chosen');
  if (message === undefined) return false;
  if (context.decided !== undefined) return strict && message.value !== context.decided;
  const earlier = context.claims.get(senderOf(event));
  return earlier !== undefined && earlier !== message.value;
}

/** A proposer may start another ballot: its next round (one above the highest) stays within MAX_ROUND. */
function roundLeft(context: PaxosContext): boolean {
  return context.highestRound < MAX_ROUND;
}

/** Promises a value-less ballot needs, all without an accepted value, to show a claim false despite one liar. */
function refutingPromises(memberCount: number): number {
  return Math.min(memberCount, majorityOf(memberCount) + LIARS_TOLERATED);
}

export function createPaxosMachine(options: PaxosOptions) {
  return setup({
    types: {
      context: {} as PaxosContext,
      events: {} as PaxosEvent,
      input: {} as PaxosInput,
      emitted: {} as PaxosEffect,
    },
    delays: {
      retransmit: ({ context }) => context.timing.retransmitMs,
      phaseTimeout: ({ context }) => phaseTimeoutDelay(context.timing.phaseTimeoutMs, context.failures),
      backoff: ({ context }) => context.backoffDelayMs,
      query: ({ context }) => context.queryIntervalMs,
    },
    guards: {
      alreadyDecided: ({ context }) => context.decided !== undefined,
      hasProposal: ({ context }) => context.proposal !== undefined,
      validTryInitialize: ({ context, event }) =>
        !context.listenOnly && roundLeft(context) && event.type === 'tryInitialize' && isValue(event.value),
      roundLeft: ({ context }) => roundLeft(context),
      isVerifying: ({ context }) => context.verifying,
      isRefused: ({ context, event }) => refusalOf(context, event) !== undefined,
      isChosen: ({ context, event }) => incoming(context, event, 'chosen') !== undefined,
      /** A member's claim contradicts its earlier one, or (safe Paxos only) the value this node decided. */
      chosenContradicts: ({ context, event }) => contradicts(context, event, options.acceptorRemembers),
      /** A member disproved before is not checked again: its claims are dropped. */
      fromRefuted: ({ context, event }) =>
        event.type === 'receive' && event.message.type === 'chosen' && context.refuted.includes(event.from),
      /** Enough distinct members say this value was chosen that one liar cannot be all of them. */
      chosenCorroborated: ({ context, event }) => {
        const message = incoming(context, event, 'chosen');
        if (message === undefined) return false;
        const claims = claimsWith(context, senderOf(event), message.value);
        return claimCount(claims, message.value) >= chosenWitnessesNeeded(context.members.length, LIARS_TOLERATED);
      },
      hasClaimToCheck: ({ context }) => !context.listenOnly && roundLeft(context) && context.claims.size > 0,
      isAccepted: ({ context, event }) => incoming(context, event, 'accepted') !== undefined,
      acceptedDecides: ({ context, event }) => {
        const message = incoming(context, event, 'accepted');
        return message !== undefined && completesMajority(context.acceptedBy, senderOf(event), message, context.members.length);
      },
      isPrepare: ({ context, event }) => !context.listenOnly && ownBallot(context, event, 'prepare') !== undefined,
      isAccept: ({ context, event }) => !context.listenOnly && ownBallot(context, event, 'accept') !== undefined,
      isNack: ({ context, event }) => incoming(context, event, 'nack') !== undefined,
      isPromiseForMyBallot: ({ context, event }) => promiseForMyBallot(context, event) !== undefined,
      /** A majority of promises, and a value to carry on: my own, or (checking a claim) the highest accepted. */
      promiseCompletesQuorum: ({ context, event }) => {
        const promises = promisesIfMine(context, event);
        if (promises === undefined || !promiseQuorum(context.promises, senderOf(event), context.members.length)) return false;
        return context.proposal !== undefined || highestAccepted(promises) !== undefined;
      },
      /**
       * Checking a claim: more than a majority promised (so one lying promiser cannot hide the
       * chosen value) and none accepted anything, so nothing was chosen: the claim was false.
       */
      promisesRefuteClaims: ({ context, event }) => {
        const promises = promisesIfMine(context, event);
        return (
          context.verifying &&
          promises !== undefined &&
          promises.size >= refutingPromises(context.members.length) &&
          highestAccepted(promises) === undefined
        );
      },
      nackPreemptsMyBallot: ({ context, event }) => {
        const message = incoming(context, event, 'nack');
        return (
          message !== undefined &&
          context.ballot !== undefined &&
          sameBallot(message.ballot, context.ballot) &&
          compareBallots(message.promised, context.ballot) > 0
        );
      },
      quietLongEnoughToTakeOver: ({ context }) =>
        !context.listenOnly &&
        roundLeft(context) &&
        knownValue(context) !== undefined &&
        context.quietMs + context.queryIntervalMs >= takeoverQuietMs(context.timing.phaseTimeoutMs, context.timing.backoffMs),
      asksForDecision: ({ context, event }) =>
        incoming(context, event, 'query') !== undefined ||
        ownBallot(context, event, 'prepare') !== undefined ||
        ownBallot(context, event, 'accept') !== undefined,
    },
    actions: {
      // --- Acceptor: persist, then reply (persist-before-reply). ---------------------------
      acceptorPrepare: enqueueActions(({ context, event, enqueue }) => {
        const message = ownBallot(context, event, 'prepare');
        if (message === undefined) return;
        const step = onPrepare(context.acceptor, message.ballot);
        enqueue.assign({ acceptor: step.acceptor, ...adopted(context, message), ...heardProposer(context) });
        if (step.changed) enqueue.emit(persist(durableOf({ ...context, acceptor: step.acceptor })));
        enqueue.emit({ type: 'send', to: senderOf(event), message: step.reply });
      }),
      acceptorAccept: enqueueActions(({ context, event, enqueue }) => {
        const message = ownBallot(context, event, 'accept');
        if (message === undefined) return;
        const step = onAccept(context.acceptor, message.ballot, message.value);
        enqueue.assign({ acceptor: step.acceptor, ...adopted(context, message), ...heardProposer(context) });
        if (step.changed) enqueue.emit(persist(durableOf({ ...context, acceptor: step.acceptor })));
        if (step.reply.type === 'accepted') {
          // Every member is a learner: tell them all, so each can count a majority itself.
          for (const to of context.members) enqueue.emit({ type: 'send', to, message: step.reply });
        } else {
          enqueue.emit({ type: 'send', to: senderOf(event), message: step.reply });
        }
      }),

      // --- Learner ---------------------------------------------------------------------------
      learnAccepted: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'accepted');
        if (message === undefined) return;
        const acceptedBy = afterAccepted(context, event);
        enqueue.assign({ acceptedBy, ...adopted(context, message), ...heardProposer(context) });
      }),
      decideFromAccepted: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'accepted');
        const acceptedBy = afterAccepted(context, event);
        const chosen = message === undefined ? undefined : chosenIn(acceptedBy, message.ballot, context.members.length);
        if (message === undefined || chosen === undefined) return;
        const decidedContext = { ...context, acceptedBy, decided: chosen };
        enqueue.assign({ acceptedBy, decided: chosen });
        enqueue.emit(persist(durableOf(decidedContext)));
        // Announce to members not known to have accepted this ballot: those that did are hearing
        // the same accepted messages, and anyone still in the dark asks (query) until answered.
        for (const to of context.members) {
          if (to !== context.self && !sameBallot(acceptedBy.get(to)?.ballot, message.ballot)) {
            enqueue.emit({ type: 'send', to, message: { type: 'chosen', value: chosen } });
          }
        }
        enqueue.emit(commitDecision(chosen));
      }),
      decideFromChosen: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'chosen');
        if (message === undefined) return;
        enqueue.assign({ decided: message.value, claims: new Map() });
        enqueue.emit(persist(durableOf({ ...context, decided: message.value })));
        enqueue.emit(commitDecision(message.value));
      }),
      recordClaim: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'chosen');
        if (message !== undefined) enqueue.assign({ claims: claimsWith(context, senderOf(event), message.value) });
      }),
      refuseContradiction: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'chosen');
        if (message === undefined) return;
        const earlier = context.decided ?? context.claims.get(senderOf(event));
        enqueue.emit({
          type: 'refused',
          from: senderOf(event),
          reason: 'unverified-claim',
          detail: `claims "${message.value}" was chosen, but ${context.decided === undefined ? `it claimed "${earlier}" before` : `"${earlier}" was`}`,
        });
      }),
      refuseMessage: enqueueActions(({ context, event, enqueue }) => {
        const refusal = refusalOf(context, event);
        if (refusal === undefined || refusal.culprit === undefined) return;
        enqueue.emit({ type: 'refused', from: refusal.culprit, reason: 'implausible', detail: refusal.detail ?? 'implausible message' });
      }),
      answerChosen: enqueueActions(({ context, event, enqueue }) => {
        if (context.decided === undefined || event.type !== 'receive' || event.from === context.self) return;
        enqueue.emit({ type: 'send', to: senderOf(event), message: { type: 'chosen', value: context.decided } });
      }),
      queryPeers: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({
          quietMs: context.quietMs + context.queryIntervalMs,
          queryIntervalMs: nextQueryInterval(context.queryIntervalMs, context.timing.retransmitMs),
        });
        for (const to of context.members) {
          if (to !== context.self) enqueue.emit({ type: 'send', to, message: { type: 'query' } });
        }
      }),

      // --- Proposer --------------------------------------------------------------------------
      adoptValue: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'tryInitialize') return;
        enqueue.assign({ proposal: event.value, failures: 0 });
      }),
      takeOver: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({ proposal: knownValue(context), failures: 0, ...heardProposer(context) });
      }),
      beginBallot: enqueueActions(({ context, enqueue }) => {
        const ballot = nextBallot(context.highestRound, context.self);
        const next = { ...context, ballot, highestRound: ballot.round };
        enqueue.assign({ ballot, highestRound: ballot.round, promises: new Map(), proposing: undefined });
        // The round is durable before any prepare carries it: a restarted proposer never reuses it.
        enqueue.emit(persist(durableOf(next)));
        const message: PaxosMessage = { type: 'prepare', ballot };
        for (const to of context.members) enqueue.emit({ type: 'send', to, message });
      }),
      recordPromise: enqueueActions(({ context, event, enqueue }) => {
        const message = promiseForMyBallot(context, event);
        if (message !== undefined) enqueue.assign({ promises: promisesWith(context, event, message) });
      }),
      chooseValueToPropose: enqueueActions(({ context, event, enqueue }) => {
        const promises = promisesIfMine(context, event);
        if (promises === undefined) return;
        const proposing = context.proposal === undefined ? highestAccepted(promises)?.value : valueToPropose(promises, context.proposal);
        if (proposing !== undefined) enqueue.assign({ promises, proposing });
      }),
      startVerifying: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({ verifying: true, failures: 0, ...heardProposer(context) });
      }),
      /** The claimers said a value was chosen; more than a majority of acceptors accepted nothing. */
      refuteClaims: enqueueActions(({ context, enqueue }) => {
        for (const [claimer, value] of context.claims) {
          enqueue.emit({
            type: 'refused',
            from: claimer,
            reason: 'unverified-claim',
            detail: `claims "${value}" was chosen, but more than a majority of acceptors accepted nothing`,
          });
        }
        enqueue.assign({ refuted: [...context.refuted, ...context.claims.keys()], claims: new Map(), verifying: false, promises: new Map() });
      }),
      dropClaims: enqueueActions(({ enqueue }) => {
        enqueue.assign({ claims: new Map(), verifying: false, promises: new Map() });
      }),
      sendAccepts: enqueueActions(({ context, enqueue }) => {
        const { ballot, proposing } = context;
        if (ballot === undefined || proposing === undefined) return;
        const message: PaxosMessage = { type: 'accept', ballot, value: proposing };
        for (const to of context.members) enqueue.emit({ type: 'send', to, message });
      }),
      resendPrepares: enqueueActions(({ context, enqueue }) => {
        const { ballot, promises } = context;
        if (ballot === undefined) return;
        const message: PaxosMessage = { type: 'prepare', ballot };
        for (const to of context.members) if (!promises.has(to)) enqueue.emit({ type: 'send', to, message });
      }),
      resendAccepts: enqueueActions(({ context, enqueue }) => {
        const { ballot, proposing, acceptedBy } = context;
        if (ballot === undefined || proposing === undefined) return;
        const message: PaxosMessage = { type: 'accept', ballot, value: proposing };
        for (const to of context.members) {
          if (!sameBallot(acceptedBy.get(to)?.ballot, ballot)) enqueue.emit({ type: 'send', to, message });
        }
      }),
      noteNack: enqueueActions(({ context, event, enqueue }) => {
        const message = incoming(context, event, 'nack');
        if (message !== undefined) enqueue.assign(adopted(context, message));
      }),
      drawBackoff: enqueueActions(({ context, enqueue }) => {
        const [uniform, prng] = nextFloat(context.prng);
        const backoffDelayMs = backoffDelay(context.timing.backoffMs, context.failures, uniform);
        enqueue.assign({ prng, backoffDelayMs, failures: context.failures + 1 });
      }),
    },
  }).createMachine({
    id: 'paxos',
    context: ({ input }) => initialContext(input, options),
    initial: 'starting',
    states: {
      // Transient: a restarted node resumes where its durable state says it was.
      starting: {
        always: [
          { guard: 'alreadyDecided', target: 'decided' },
          { guard: and(['hasProposal', 'roundLeft']), target: 'undecided.preparing' },
          { target: 'undecided.idle' },
        ],
      },
      undecided: {
        initial: 'idle',
        on: {
          receive: [
            // Checked first: an impossible message is refused (its chooser named), never acted on.
            { guard: 'isRefused', actions: 'refuseMessage' },
            { guard: 'chosenContradicts', actions: 'refuseContradiction' },
            { guard: 'fromRefuted' },
            { guard: 'chosenCorroborated', target: 'decided', actions: 'decideFromChosen' },
            { guard: 'isChosen', actions: 'recordClaim' },
            { guard: 'acceptedDecides', target: 'decided', actions: 'decideFromAccepted' },
            { guard: 'isAccepted', actions: 'learnAccepted' },
            { guard: 'isPrepare', actions: 'acceptorPrepare' },
            { guard: 'isAccept', actions: 'acceptorAccept' },
            { guard: 'isNack', actions: 'noteNack' },
          ],
        },
        states: {
          // No value to propose: answer as acceptor/learner, and keep asking for the decision,
          // ever less often while nothing happens.
          idle: {
            on: {
              tryInitialize: { guard: 'validTryInitialize', target: 'preparing', actions: 'adoptValue' },
            },
            after: {
              query: [
                { guard: 'quietLongEnoughToTakeOver', target: 'backingOff', actions: 'takeOver' },
                // One member's word is not enough: check it with a ballot of no value of its own.
                { guard: 'hasClaimToCheck', target: 'preparing', actions: 'startVerifying' },
                { target: 'idle', reenter: true, actions: 'queryPeers' },
              ],
            },
          },
          // Phase 1: a fresh ballot; wait for a majority of promises.
          preparing: {
            entry: 'beginBallot',
            on: {
              receive: [
                { guard: 'promiseCompletesQuorum', target: 'accepting', actions: 'chooseValueToPropose' },
                { guard: 'promisesRefuteClaims', target: 'idle', actions: 'refuteClaims' },
                { guard: 'isPromiseForMyBallot', actions: 'recordPromise' },
                { guard: 'nackPreemptsMyBallot', target: 'backingOff', actions: 'noteNack' },
              ],
            },
            // A claim check that cannot finish gives up quietly: the claim may be true, with too few acceptors up.
            after: { phaseTimeout: [{ guard: 'isVerifying', target: 'idle', actions: 'dropClaims' }, { target: 'backingOff' }] },
            initial: 'waiting',
            states: {
              // A child state so its retransmit timer can restart without restarting the phase timeout.
              waiting: { after: { retransmit: { target: 'waiting', reenter: true, actions: 'resendPrepares' } } },
            },
          },
          // Phase 2: ask every acceptor to accept; the learner role counts the accepted replies.
          accepting: {
            entry: 'sendAccepts',
            on: {
              receive: { guard: 'nackPreemptsMyBallot', target: 'backingOff', actions: 'noteNack' },
            },
            after: { phaseTimeout: 'backingOff' },
            initial: 'waiting',
            states: {
              waiting: { after: { retransmit: { target: 'waiting', reenter: true, actions: 'resendAccepts' } } },
            },
          },
          // Pre-empted or timed out: wait a random, growing delay, then try a higher ballot.
          backingOff: {
            entry: 'drawBackoff',
            after: { backoff: [{ guard: 'roundLeft', target: 'preparing' }, { target: 'idle' }] },
          },
        },
      },
      // Final value known; stays up to tell anyone who asks (or who still prepares/accepts).
      // Still an acceptor (unless listen-only): a node that restarted without enough decided
      // peers to corroborate a `chosen` claim learns the outcome through a ballot of its own.
      decided: {
        on: {
          receive: [
            { guard: 'isRefused', actions: 'refuseMessage' },
            { guard: 'chosenContradicts', actions: 'refuseContradiction' },
            { guard: 'isPrepare', actions: ['acceptorPrepare', 'answerChosen'] },
            { guard: 'isAccept', actions: ['acceptorAccept', 'answerChosen'] },
            { guard: 'asksForDecision', actions: 'answerChosen' },
          ],
        },
      },
    },
  });
}

export type PaxosMachine = ReturnType<typeof createPaxosMachine>;
export type PaxosSnapshot = SnapshotFrom<PaxosMachine>;

export const paxosMachine = createPaxosMachine({ acceptorRemembers: true });

/** Snapshots reach `view`/`probe` typed as any machine's; these are always a Paxos machine's. */
function asPaxos(snapshot: SnapshotFrom<AnyStateMachine>): PaxosSnapshot {
  return snapshot as PaxosSnapshot;
}

export type PaxosPhase = 'idle' | 'preparing' | 'accepting' | 'backing off' | 'decided';

export function paxosPhase(snapshot: PaxosSnapshot): PaxosPhase {
  if (snapshot.matches('decided')) return 'decided';
  if (snapshot.matches({ undecided: 'preparing' })) return 'preparing';
  if (snapshot.matches({ undecided: 'accepting' })) return 'accepting';
  if (snapshot.matches({ undecided: 'backingOff' })) return 'backing off';
  return 'idle';
}

/** What the node waits for, as a sentence and as the members it waits on. */
function waitingFor(phase: PaxosPhase, context: PaxosContext): { readonly text: string; readonly on: readonly NodeId[] } {
  const { ballot, members } = context;
  const majority = majorityOf(members.length);
  switch (phase) {
    case 'decided':
      return { text: 'nothing: the value is chosen', on: [] };
    case 'idle':
      return context.listenOnly
        ? { text: 'a peer that knows the chosen value (its stored promises were unreadable, so it only listens)', on: [] }
        : { text: 'a proposal, or a peer that knows the chosen value', on: [] };
    case 'backing off':
      return {
        text: `a random backoff of ${context.backoffDelayMs} ms, then a ballot above round ${context.highestRound}`,
        on: [],
      };
    case 'preparing': {
      const missing = members.filter((m) => !context.promises.has(m));
      const needed = majority - context.promises.size;
      return { text: `promises from ${needed} more of ${listNodes(missing)}`, on: missing };
    }
    case 'accepting': {
      const missing = members.filter((m) => !sameBallot(context.acceptedBy.get(m)?.ballot, ballot));
      const needed = majority - (members.length - missing.length);
      return { text: `accepted from ${needed} more of ${listNodes(missing)}`, on: missing };
    }
    default:
      return assertNever(phase, 'Paxos phase');
  }
}

export function paxosView(snapshot: SnapshotFrom<AnyStateMachine>): NodeView {
  const paxos = asPaxos(snapshot);
  const context = paxos.context;
  const phase = paxosPhase(paxos);
  const waiting = waitingFor(phase, context);
  const accepted = context.acceptor.accepted;
  return {
    phase,
    waitingFor: waiting.text,
    waitingOn: waiting.on,
    decided: context.decided,
    tally: acceptedTally(context.acceptedBy),
    fields: [
      { label: 'ballot', value: ballotLabel(context.ballot) },
      { label: 'proposing', value: context.proposing ?? context.proposal ?? '—' },
      { label: 'promised', value: ballotLabel(context.acceptor.promised) },
      { label: 'accepted', value: accepted === undefined ? '—' : `${accepted.value} in ${ballotLabel(accepted.ballot)}` },
      { label: 'round', value: String(context.highestRound) },
    ],
  };
}

export function paxosProbe(snapshot: SnapshotFrom<AnyStateMachine>): AcceptorProbe {
  const { acceptor } = asPaxos(snapshot).context;
  return { promised: acceptor.promised, accepted: acceptor.accepted };
}

// ---------------------------------------------------------------------------------------------
// Boundary validation

/** A round: an integer in 0..MAX_ROUND (a larger one, e.g. 2^53 − 1, is a protocol error, whoever sent it). */
function isRound(raw: unknown): raw is number {
  return isNonNegativeInteger(raw) && raw <= MAX_ROUND;
}

/** A fresh ballot (round: 0..MAX_ROUND; node: 1–64 characters), or undefined. */
function parseBallot(raw: unknown): Ballot | undefined {
  if (!isRecord(raw) || !isRound(raw.round) || !isBoundedString(raw.node, MAX_NODE_ID_LENGTH)) {
    return undefined;
  }
  return { round: raw.round, node: raw.node };
}

function parseAcceptedProposal(raw: unknown): AcceptedProposal | undefined {
  if (!isRecord(raw) || !isValue(raw.value)) return undefined;
  const ballot = parseBallot(raw.ballot);
  return ballot === undefined ? undefined : { ballot, value: raw.value };
}

function parseBallotAndValue<T extends 'accept' | 'accepted'>(type: T, raw: UnknownRecord) {
  const ballot = parseBallot(raw.ballot);
  return ballot === undefined || !isValue(raw.value) ? undefined : { type, ballot, value: raw.value };
}

/** One parser per message type; built once, since the simulator validates every delivery. */
const MESSAGE_PARSERS: MessageParsers<PaxosMessage> = {
  prepare: (r) => {
    const ballot = parseBallot(r.ballot);
    return ballot === undefined ? undefined : { type: 'prepare', ballot };
  },
  promise: (r) => {
    const ballot = parseBallot(r.ballot);
    if (ballot === undefined) return undefined;
    if (r.accepted === undefined) return { type: 'promise', ballot };
    const accepted = parseAcceptedProposal(r.accepted);
    return accepted === undefined ? undefined : { type: 'promise', ballot, accepted };
  },
  nack: (r) => {
    const ballot = parseBallot(r.ballot);
    const promised = parseBallot(r.promised);
    return ballot === undefined || promised === undefined ? undefined : { type: 'nack', ballot, promised };
  },
  accept: (r) => parseBallotAndValue('accept', r),
  accepted: (r) => parseBallotAndValue('accepted', r),
  query: () => ({ type: 'query' }),
  chosen: (r) => (isValue(r.value) ? { type: 'chosen', value: r.value } : undefined),
};

/**
 * Boundary validation of a Paxos message from the wire: a fresh object with only the known
 * fields, or undefined for anything malformed (non-objects, unknown types, bad ballots, values
 * that are empty or longer than MAX_VALUE_LENGTH).
 */
export function parsePaxosMessage(raw: unknown): PaxosMessage | undefined {
  return parseByType(raw, MESSAGE_PARSERS);
}

/**
 * Validates durable state read back from storage (anything could have written a tab's storage).
 * Undefined for anything malformed; the node then only listens (it cannot vouch for promises
 * it can no longer read).
 */
export function parsePaxosDurable(raw: unknown): PaxosDurable | undefined {
  if (!isRecord(raw)) return undefined;
  const promised = raw.promised === undefined ? undefined : parseBallot(raw.promised);
  const accepted = raw.accepted === undefined ? undefined : parseAcceptedProposal(raw.accepted);
  const decided = optionalValue(raw.decided);
  if ((raw.promised !== undefined && promised === undefined) || (raw.accepted !== undefined && accepted === undefined)) {
    return undefined;
  }
  if (!decided.ok) return undefined;
  let proposal: PaxosDurable['proposal'];
  if (raw.proposal !== undefined) {
    const p = raw.proposal;
    if (!isRecord(p) || !isValue(p.value) || !isRound(p.round)) return undefined;
    proposal = { value: p.value, round: p.round };
  }
  if (raw.round !== undefined && !isRound(raw.round)) return undefined;
  return { promised, accepted, proposal, decided: decided.value, round: raw.round };
}

export interface PaxosSpecOptions extends PaxosOptions {
  readonly name: Extract<AlgorithmName, 'paxos' | 'paxos-amnesia'>;
  readonly label: string;
  readonly summary: string;
  readonly broken: boolean;
}

/** A Paxos-family spec: the machine plus the shared parser, view and probe. */
export function createPaxosSpec(options: PaxosSpecOptions): OnceAlgorithmSpec<PaxosMessage, PaxosDurable> {
  return {
    kind: 'once',
    name: options.name,
    label: options.label,
    summary: options.summary,
    broken: options.broken,
    machine: options.acceptorRemembers ? paxosMachine : createPaxosMachine(options),
    parseMessage: parsePaxosMessage,
    view: paxosView,
    probe: paxosProbe,
  };
}

export const paxosSpec = createPaxosSpec({
  name: 'paxos',
  label: 'Paxos (synod)',
  summary:
    'Keeps Agreement and Validity through message loss, crashes and restarts; decides once the network is timely again and a majority is up (Termination is not guaranteed: FLP).',
  broken: false,
  acceptorRemembers: true,
});
