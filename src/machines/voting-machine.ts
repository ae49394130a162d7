/**
 * The one machine behind majority, tiebreak and impatient tiebreak voting. The three algorithms
 * share every message and every step (propose a candidate, vote once for the first candidate
 * heard, count each voter's first vote) and differ only in their `DecisionRule`, so each of
 * their files is a thin `createVotingMachine(rule)` plus its own spec.
 *
 * Messages: `candidate{value}` (a proposal to vote on), `vote{value, needYours?}` (my one vote;
 * `needYours`: "I have not heard your vote, send it to me"), `voteRequest` (the same question from
 * a node that has no vote to send: a listen-only one). Every broadcast includes the sender
 * itself; sends to self go through the host like any message.
 *
 * No acknowledgements. A vote is broadcast once, when cast. What a lost or discarded vote needs
 * is learned from whose vote is missing, every timing.retransmitMs:
 * - my candidate to each member whose vote I have not heard (a member that voted needs none);
 * - my vote, with `needYours`, to each member whose vote I have not heard: that member has not
 *   voted yet (or its vote to me was lost), and may be missing mine;
 * - a listen-only node, undecided, sends `voteRequest` to each other member whose vote it lacks.
 * Whoever receives `needYours` or a `voteRequest` answers with its own vote at once, so two
 * members that each heard the other stop, and one that missed a vote asks until it has it.
 * A vote that crossed the other member's on the wire needs no further frame: each heard the
 * other's. An undisturbed decision of N members costs (N − 1) candidates and N(N − 1) votes,
 * half of what one acknowledgement per vote cost.
 * Stopping rule: a node goes quiet (no timer at all) once it has heard every member's vote, or
 * (without a proposal or a vote of its own) has nothing to send; nothing it could send would
 * change anyone's tally. Crashed members keep being asked, so they catch up when they come back;
 * a node restarted from storage needs no resend of its own: whoever lacks its vote asks for it.
 *
 * Persist-before-reply: the proposal, my vote and every vote I record are persisted before the
 * message of the same step (candidate, vote) is sent: a vote on the wire is one its sender stored,
 * so it never votes twice across restarts. A node's decision is persisted too, so a restarted node
 * reports the value it decided, never another one.
 *
 * Checks against one lying member (docs/threat-model.md), each with its cost in messages:
 * - votes keyed by the connection's peer, members only, first vote only: 0;
 * - a member voting again for another value is refused by name ('refused' effect), its first
 *   vote stands and the second is not answered: 0.
 * Not checked (see the threat model): a vote for a value nobody proposed; equivocation.
 */
import { enqueueActions, not, setup, type SnapshotFrom } from 'xstate';
import { assertNever } from '../core/assert.ts';
import { majorityOf } from '../core/quorum.ts';
import type { NodeEffect, NodeEvent, NodeId, NodeInput, NodeView, Timing, Value } from '../core/types.ts';
import { isRecord } from '../core/validate.ts';
import {
  hasVoted,
  impatientDecides,
  missingCount,
  missingVoters,
  tallyDecides,
  tallyOf,
  tallyWith,
  withVote,
  type DecisionRule,
  type Votes,
  type VoteTally,
} from '../core/voting.ts';
import { commitDecision, persistHard, restoreOnce, type OnceDurable } from '../core/write-once.ts';
import type { OnceAlgorithmSpec } from './spec.ts';
import { isValue, listNodes, optionalValue, parseByType } from './wire.ts';

export type VotingMessage =
  | { readonly type: 'candidate'; readonly value: Value }
  /** `needYours`: present (true) only on a resend to a member whose vote the sender has not heard. */
  | { readonly type: 'vote'; readonly value: Value; readonly needYours?: true }
  | { readonly type: 'voteRequest' };

/** What a voting node persists; restored from `NodeInput.durable` after a restart. */
export interface VotingDurable {
  /** The value I proposed (tryInitialize), resent until every member has voted. */
  readonly proposal: Value | undefined;
  /** My one vote, for the first candidate I heard. Never changes once cast. */
  readonly vote: Value | undefined;
  /** The first vote heard from each member, keyed by the sender the transport reported. */
  readonly votes: Votes;
  readonly decided: Value | undefined;
}

export interface VotingContext extends VotingDurable {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly timing: Timing;
  /**
   * Stored state was present but unreadable: this node may have voted before it crashed, so it
   * must not vote (or propose) again. It still asks for and counts the others' votes and decides
   * from them, like Paxos's listen-only node.
   */
  readonly listenOnly: boolean;
  /**
   * The count of `votes`, updated with each vote recorded (never recounted per event): what the
   * guards run on every event read it in O(1). Derived from `votes`, so never persisted.
   */
  readonly tallied: VoteTally;
  /** `members` as a set: whether a sender is a member is asked of every message. */
  readonly memberSet: ReadonlySet<NodeId>;
}

type VotingEvent = NodeEvent<VotingMessage>;
type VotingEffect = NodeEffect<VotingMessage, VotingDurable, never>;
/** A write-once log of length one: persists one `hard` op, decides by committing index 1. */
const persist = (state: VotingDurable): VotingEffect => persistHard(state);

export function parseVotingMessage(raw: unknown): VotingMessage | undefined {
  return parseByType<VotingMessage>(raw, {
    candidate: (r) => (isValue(r.value) ? { type: 'candidate', value: r.value } : undefined),
    vote: (r) => {
      if (!isValue(r.value)) return undefined;
      if (r.needYours === undefined) return { type: 'vote', value: r.value };
      return r.needYours === true ? { type: 'vote', value: r.value, needYours: true } : undefined;
    },
    voteRequest: () => ({ type: 'voteRequest' }),
  });
}

/**
 * Validates stored durable state (it comes back from a tab's storage, which anything could have
 * written). Votes from non-members are dropped. Undefined for anything malformed: the node then
 * starts fresh rather than trusting it.
 */
export function parseVotingDurable(raw: unknown, members: readonly NodeId[]): VotingDurable | undefined {
  if (!isRecord(raw) || !isRecord(raw.votes)) return undefined;
  const proposal = optionalValue(raw.proposal);
  const vote = optionalValue(raw.vote);
  const decided = optionalValue(raw.decided);
  if (!proposal.ok || !vote.ok || !decided.ok) return undefined;
  const entries: [NodeId, Value][] = [];
  for (const member of members) {
    if (!Object.hasOwn(raw.votes, member)) continue;
    const value = raw.votes[member];
    if (!isValue(value)) return undefined;
    entries.push([member, value]);
  }
  // fromEntries defines own properties, so a member called "__proto__" is just a key.
  const votes: Votes = Object.fromEntries(entries);
  return { proposal: proposal.value, vote: vote.value, votes, decided: decided.value };
}

function durableOf(context: VotingDurable): VotingDurable {
  return { proposal: context.proposal, vote: context.vote, votes: context.votes, decided: context.decided };
}

/** The message of type `type` in a `receive` event, with its sender. */
function received<T extends VotingMessage['type']>(
  event: VotingEvent,
  type: T,
): { readonly from: NodeId; readonly message: Extract<VotingMessage, { readonly type: T }> } | undefined {
  if (event.type !== 'receive' || event.message.type !== type) return undefined;
  return { from: event.from, message: event.message as Extract<VotingMessage, { readonly type: T }> };
}

/** Members that still need my candidate: those whose vote I have not heard. */
function candidateTargets(context: VotingContext): NodeId[] {
  return context.proposal === undefined ? [] : missingVoters(context.members, context.votes);
}

/**
 * Members my vote is resent to: those whose vote I have not heard. Each either has not voted yet
 * (and may lack mine) or voted and its vote to me was lost; the resend asks for theirs, and once
 * it arrives neither side has anything left to send to the other.
 */
function voteTargets(context: VotingContext): NodeId[] {
  return context.vote === undefined ? [] : missingVoters(context.members, context.votes);
}

/**
 * Members a listen-only node asks for their vote: it has no vote to resend, and the others may
 * have heard its vote before its storage was lost, so nobody resends theirs to it unasked. Only
 * while undecided (a decided node needs no vote), never itself (nobody else holds its vote).
 */
function requestTargets(context: VotingContext): NodeId[] {
  if (context.vote !== undefined || !context.listenOnly || context.decided !== undefined) return [];
  return missingVoters(context.members, context.votes).filter((member) => member !== context.self);
}

/**
 * Whether a retransmit would send anything (candidateTargets, voteTargets or requestTargets is
 * not empty), from the kept tally in O(1): the resend state checks it after every event.
 */
export function hasPendingSends(context: VotingContext): boolean {
  const missing = missingCount(context.tallied, context.members.length);
  if (missing === 0) return false;
  if (context.proposal !== undefined || context.vote !== undefined) return true;
  if (!context.listenOnly || context.decided !== undefined) return false;
  // A listen-only node asks the others only: its own missing vote is nobody else's to send.
  const selfMissing = context.memberSet.has(context.self) && !hasVoted(context.votes, context.self);
  return missing > (selfMissing ? 1 : 0);
}

/**
 * My vote, when the event is a member asking for it (`needYours` or `voteRequest`) and I have one
 * to give; my own resend to myself needs no answer.
 */
function answerTo(context: VotingContext, event: VotingEvent): Value | undefined {
  if (event.type !== 'receive' || event.from === context.self) return undefined;
  const asks = event.message.type === 'voteRequest' || (event.message.type === 'vote' && event.message.needYours === true);
  return asks ? context.vote : undefined;
}

function sendTo(targets: readonly NodeId[], message: VotingMessage): VotingEffect[] {
  return targets.map((to) => ({ type: 'send', to, message }));
}

export function createVotingMachine(rule: DecisionRule) {
  return setup({
    types: {
      context: {} as VotingContext,
      input: {} as NodeInput<OnceDurable<VotingDurable>>,
      events: {} as VotingEvent,
      emitted: {} as VotingEffect,
    },
    delays: {
      retransmit: ({ context }) => context.timing.retransmitMs,
      impatience: ({ context }) => context.timing.impatienceMs,
    },
    guards: {
      /** One proposal per node, only while undecided, only a valid value (peers would refuse it). */
      canPropose: ({ context, event }) =>
        event.type === 'tryInitialize' &&
        isValue(event.value) &&
        !context.listenOnly &&
        context.proposal === undefined &&
        context.decided === undefined,
      /** Non-members cannot propose, vote or acknowledge. */
      fromStranger: ({ context, event }) => event.type === 'receive' && !context.memberSet.has(event.from),
      /** Vote once: only the first candidate heard gets my vote. */
      isFirstCandidate: ({ context, event }) =>
        received(event, 'candidate') !== undefined && context.vote === undefined && !context.listenOnly,
      isVote: ({ event }) => received(event, 'vote') !== undefined,
      /** A member votes again for another value: honest voters vote once and resend that vote only. */
      isChangedVote: ({ context, event }) => {
        const incoming = received(event, 'vote');
        return incoming !== undefined && hasVoted(context.votes, incoming.from) && context.votes[incoming.from] !== incoming.message.value;
      },
      isVoteRequest: ({ event }) => received(event, 'voteRequest') !== undefined,
      restoredDecision: ({ context }) => context.decided !== undefined,
      tallyDecides: ({ context }) => tallyDecides(rule, context.tallied, context.members.length) !== undefined,
      heardAnyVote: ({ context }) => Object.keys(context.votes).length > 0,
      hasPendingSends: ({ context }) => hasPendingSends(context),
    },
    actions: {
      propose: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'tryInitialize') return;
        const next = { ...context, proposal: event.value };
        enqueue.assign({ proposal: event.value });
        enqueue.emit(persist(durableOf(next)));
        for (const effect of sendTo(context.members, { type: 'candidate', value: event.value })) enqueue.emit(effect);
      }),
      voteForCandidate: enqueueActions(({ context, event, enqueue }) => {
        const candidate = received(event, 'candidate');
        if (candidate === undefined) return;
        const vote = candidate.message.value;
        enqueue.assign({ vote });
        enqueue.emit(persist(durableOf({ ...context, vote })));
        for (const effect of sendTo(context.members, { type: 'vote', value: vote })) enqueue.emit(effect);
      }),
      /** Records the sender's first vote (durably); answers with my vote when the sender asked for it. */
      recordVote: enqueueActions(({ context, event, enqueue }) => {
        const incoming = received(event, 'vote');
        if (incoming === undefined) return;
        // A listen-only node keeps its unreadable storage as it is: overwriting it with a state
        // that has no vote would let a later restart vote again. A decided node's stored decision
        // is final, so the votes it hears after it (about half a room's) are kept in memory only,
        // for its tally and its resends: a restart re-asks those members, and each is one storage
        // write fewer per frame in a big room.
        if (!hasVoted(context.votes, incoming.from)) {
          const votes = withVote(context.votes, incoming.from, incoming.message.value);
          enqueue.assign({ votes, tallied: tallyWith(context.tallied, incoming.message.value, context.members.length) });
          if (!context.listenOnly && context.decided === undefined) enqueue.emit(persist(durableOf({ ...context, votes })));
        }
        const answer = answerTo(context, event);
        if (answer !== undefined) enqueue.emit({ type: 'send', to: incoming.from, message: { type: 'vote', value: answer } });
      }),
      /** A member without a vote of its own asked for mine: the answer is my stored vote. */
      answerRequest: enqueueActions(({ context, event, enqueue }) => {
        const request = received(event, 'voteRequest');
        const answer = answerTo(context, event);
        if (request !== undefined && answer !== undefined) enqueue.emit({ type: 'send', to: request.from, message: { type: 'vote', value: answer } });
      }),
      /** The first vote stands (never overwritten); the member that tried to change it is named. */
      refuseChangedVote: enqueueActions(({ context, event, enqueue }) => {
        const incoming = received(event, 'vote');
        if (incoming === undefined) return;
        const first = context.votes[incoming.from];
        enqueue.emit({
          type: 'refused',
          from: incoming.from,
          reason: 'implausible',
          detail: `voted "${incoming.message.value}" after voting "${first}"; the first vote counts`,
        });
      }),
      retransmit: enqueueActions(({ context, enqueue }) => {
        if (context.proposal !== undefined) {
          for (const effect of sendTo(candidateTargets(context), { type: 'candidate', value: context.proposal })) enqueue.emit(effect);
        }
        if (context.vote !== undefined) {
          for (const effect of sendTo(voteTargets(context), { type: 'vote', value: context.vote, needYours: true })) enqueue.emit(effect);
        }
        for (const effect of sendTo(requestTargets(context), { type: 'voteRequest' })) enqueue.emit(effect);
      }),
      decideOnTally: enqueueActions(({ context, enqueue }) => {
        const decided = tallyDecides(rule, context.tallied, context.members.length);
        if (decided === undefined) return;
        enqueue.assign({ decided });
        // A listen-only node never writes: it stays listen-only across restarts.
        if (!context.listenOnly) enqueue.emit(persist(durableOf({ ...context, decided })));
      }),
      decideImpatiently: enqueueActions(({ context, enqueue }) => {
        const decided = impatientDecides(context.tallied);
        if (decided === undefined) return;
        enqueue.assign({ decided });
        // A listen-only node never writes: it stays listen-only across restarts.
        if (!context.listenOnly) enqueue.emit(persist(durableOf({ ...context, decided })));
      }),
      announceDecision: enqueueActions(({ context, enqueue }) => {
        if (context.decided !== undefined) enqueue.emit(commitDecision(context.decided));
      }),
    },
  }).createMachine({
    id: rule,
    context: ({ input }) => {
      const { state: durable, unreadable } = restoreOnce(input.durable, (raw) => parseVotingDurable(raw, input.members));
      const votes = durable?.votes ?? {};
      return {
        self: input.self,
        members: [...input.members],
        timing: input.timing,
        proposal: durable?.proposal,
        vote: durable?.vote,
        votes,
        decided: durable?.decided,
        listenOnly: unreadable,
        tallied: tallyOf(votes, input.members.length),
        memberSet: new Set(input.members),
      };
    },
    type: 'parallel',
    on: {
      tryInitialize: { guard: 'canPropose', actions: 'propose' },
      receive: [
        { guard: 'fromStranger' },
        { guard: 'isFirstCandidate', actions: 'voteForCandidate' },
        { guard: 'isChangedVote', actions: 'refuseChangedVote' },
        { guard: 'isVote', actions: 'recordVote' },
        { guard: 'isVoteRequest', actions: 'answerRequest' },
      ],
    },
    states: {
      outcome: {
        initial: 'undecided',
        states: {
          undecided: {
            always: [
              { guard: 'restoredDecision', target: 'decided' },
              { guard: 'tallyDecides', target: 'decided', actions: 'decideOnTally' },
            ],
            // Only the impatient rule has a clock. It starts once this node holds any vote (at
            // once after a restart with stored votes); when it runs out, the partial tally decides.
            ...(rule === 'impatient-tiebreak'
              ? {
                  initial: 'noVotesYet',
                  states: {
                    noVotesYet: { always: { guard: 'heardAnyVote', target: 'counting' } },
                    counting: {
                      after: { impatience: { guard: 'heardAnyVote', target: '#decided', actions: 'decideImpatiently' } },
                    },
                  },
                }
              : {}),
          },
          decided: { id: 'decided', entry: 'announceDecision' },
        },
      },
      resend: {
        initial: 'quiet',
        states: {
          quiet: { always: { guard: 'hasPendingSends', target: 'armed' } },
          armed: {
            always: { guard: not('hasPendingSends'), target: 'quiet' },
            after: { retransmit: { target: 'armed', reenter: true, actions: 'retransmit' } },
          },
        },
      },
    },
  });
}

export type VotingMachine = ReturnType<typeof createVotingMachine>;

/** Reads a voting node's snapshot for the UI and the checker. */
export function votingView(rule: DecisionRule): (snapshot: SnapshotFrom<VotingMachine>) => NodeView {
  return (snapshot) => {
    const c = snapshot.context;
    const n = c.members.length;
    const missing = missingVoters(c.members, c.votes);
    const fields = [
      { label: 'rule', value: ruleDescription(rule, c.timing) },
      { label: 'my candidate', value: c.proposal ?? '—' },
      { label: 'my vote', value: c.listenOnly ? 'none: storage unreadable, only listening' : (c.vote ?? 'not cast yet') },
      { label: 'votes heard', value: `${n - missing.length} of ${n}` },
      { label: 'majority needs', value: String(majorityOf(n)) },
    ];
    const common = { decided: c.decided, tally: c.tallied.counts, fields };
    if (c.decided !== undefined) return { ...common, phase: 'decided', waitingFor: 'nothing: decided', waitingOn: [] };
    if (rule === 'majority' && missing.length === 0) {
      return {
        ...common,
        phase: 'split vote',
        waitingFor: `a majority that can never come: all ${n} votes are in and none has ${majorityOf(n)}`,
        waitingOn: [],
      };
    }
    if (c.vote === undefined && missing.length === n) {
      return { ...common, phase: 'idle', waitingFor: 'a candidate to vote for', waitingOn: [] };
    }
    return { ...common, phase: 'voting', waitingFor: `votes from ${listNodes(missing)}`, waitingOn: missing };
  };
}

function ruleDescription(rule: DecisionRule, timing: Timing): string {
  switch (rule) {
    case 'majority':
      return 'a strict majority of all members decides';
    case 'tiebreak':
      return 'majority, or the smallest candidate once every vote is in';
    case 'impatient-tiebreak':
      return `majority, or the smallest candidate seen after waiting ${timing.impatienceMs} ms`;
    default:
      return assertNever(rule, 'decision rule');
  }
}

/** What distinguishes the three voting algorithms' specs: their rule and how the UI names them. */
export interface VotingSpecOptions<R extends DecisionRule> {
  readonly rule: R;
  readonly label: string;
  readonly summary: string;
  readonly broken: boolean;
}

/** The spec of one voting algorithm: the shared machine, parser and view, with its own rule. */
export function createVotingSpec<R extends DecisionRule>(
  options: VotingSpecOptions<R>,
): OnceAlgorithmSpec<VotingMessage, VotingDurable> & { readonly name: R; readonly machine: VotingMachine } {
  return {
    kind: 'once',
    name: options.rule,
    label: options.label,
    summary: options.summary,
    broken: options.broken,
    machine: createVotingMachine(options.rule),
    parseMessage: parseVotingMessage,
    view: votingView(options.rule),
    // A room's votes arrive in a burst, each one a persist of the whole vote table: the host
    // writes once per turn and sends the turn's messages (answers to resends) after that write.
    persistPerTurn: true,
  };
}
