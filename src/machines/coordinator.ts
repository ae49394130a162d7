/**
 * Coordinator (bully algorithm). Keeps Agreement and Validity: one node, the member with the
 * highest id, holds the write-once variable and keeps the first value written to it. Lacks
 * Termination (and so fault tolerance): if the coordinator crashes, every other node keeps asking
 * it and waits forever.
 *
 * Messages: `initialize{value}` (please write this value), `ask` (what is the value?),
 * `value{value}` (the coordinator's answer: the value it kept, first write wins).
 *
 * Retransmission, every timing.retransmitMs until this node knows the value: a proposer resends
 * `initialize` to the coordinator, and every node other than the coordinator sends `ask`. This
 * is how it survives lost messages and restarts; once a node knows the value it goes quiet.
 * The coordinator answers every `initialize` and `ask` once it has a value, and ignores `ask`
 * before that (the asker will ask again).
 *
 * Persist-before-reply: the coordinator persists the value it keeps before it answers anyone,
 * so a restarted coordinator answers with the same value. Every node also persists its proposal
 * and what it learned, so a restart neither forgets a pending proposal nor the decision.
 *
 * Checks against one lying member (docs/threat-model.md), each with its cost in messages:
 * - only the coordinator's `value` counts; a `value` from anyone else is refused by name: 0;
 * - `initialize`/`ask` sent to a member that is not the coordinator is refused by name: 0;
 * - a coordinator changing its answer is refused by name: 0.
 * Not checked: a coordinator that lies the same way to everyone (the coordinator is trusted by
 * design: that is the lesson).
 */
import { enqueueActions, setup, type SnapshotFrom } from 'xstate';
import type { NodeEffect, NodeEvent, NodeId, NodeInput, NodeView, Timing, Value } from '../core/types.ts';
import { isRecord } from '../core/validate.ts';
import { commitDecision, persistHard, restoreOnce, type OnceDurable } from '../core/write-once.ts';
import type { OnceAlgorithmSpec } from './spec.ts';
import { isValue, optionalValue, parseByType } from './wire.ts';

export type CoordinatorMessage =
  | { readonly type: 'initialize'; readonly value: Value }
  | { readonly type: 'ask' }
  | { readonly type: 'value'; readonly value: Value };

export interface CoordinatorDurable {
  /** The value this node asked to write (tryInitialize), resent until it learns the outcome. */
  readonly proposal: Value | undefined;
  /** The coordinator: the value it kept. Any other node: the value the coordinator told it. */
  readonly decided: Value | undefined;
}

export interface CoordinatorContext extends CoordinatorDurable {
  /**
   * Stored state was present but unreadable. A coordinator in that state must never keep a new
   * first write (it may already have answered another value before it crashed), so it stays
   * silent: safe, though the decision may then hang, as a crashed coordinator's does.
   */
  readonly storageLost: boolean;
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly timing: Timing;
  readonly coordinator: NodeId;
}

type CoordinatorEvent = NodeEvent<CoordinatorMessage>;
type CoordinatorEffect = NodeEffect<CoordinatorMessage, CoordinatorDurable, never>;
/** A write-once log of length one: persists one `hard` op, decides by committing index 1. */
const persist = (state: CoordinatorDurable): CoordinatorEffect => persistHard(state);

/** The bully algorithm: the member with the highest id (string order) coordinates. */
export function electCoordinator(members: readonly NodeId[], self: NodeId): NodeId {
  return members.reduce((highest, member) => (member > highest ? member : highest), self);
}

export function parseCoordinatorMessage(raw: unknown): CoordinatorMessage | undefined {
  return parseByType<CoordinatorMessage>(raw, {
    initialize: (r) => (isValue(r.value) ? { type: 'initialize', value: r.value } : undefined),
    ask: () => ({ type: 'ask' }),
    value: (r) => (isValue(r.value) ? { type: 'value', value: r.value } : undefined),
  });
}

/** Validates stored durable state; undefined (start fresh) for anything malformed. */
export function parseCoordinatorDurable(raw: unknown): CoordinatorDurable | undefined {
  if (!isRecord(raw)) return undefined;
  const proposal = optionalValue(raw.proposal);
  const decided = optionalValue(raw.decided);
  if (!proposal.ok || !decided.ok) return undefined;
  return { proposal: proposal.value, decided: decided.value };
}

function durableOf(context: CoordinatorDurable): CoordinatorDurable {
  return { proposal: context.proposal, decided: context.decided };
}

function isCoordinator(context: CoordinatorContext): boolean {
  return context.self === context.coordinator;
}

function messageType(event: CoordinatorEvent): CoordinatorMessage['type'] | undefined {
  return event.type === 'receive' ? event.message.type : undefined;
}

export const coordinatorMachine = setup({
  types: {
    context: {} as CoordinatorContext,
    input: {} as NodeInput<OnceDurable<CoordinatorDurable>>,
    events: {} as CoordinatorEvent,
    emitted: {} as CoordinatorEffect,
  },
  delays: {
    retransmit: ({ context }) => context.timing.retransmitMs,
  },
  guards: {
    /** One proposal per node, only while undecided, only a valid value (the coordinator would refuse it). */
    canPropose: ({ context, event }) =>
      event.type === 'tryInitialize' && isValue(event.value) && context.proposal === undefined && context.decided === undefined,
    fromStranger: ({ context, event }) => event.type === 'receive' && !context.members.includes(event.from),
    restoredDecision: ({ context }) => context.decided !== undefined,
    /** Something to (re)send while undecided: questions to the coordinator, or my proposal. */
    hasRequests: ({ context }) => !isCoordinator(context) || context.proposal !== undefined,
    /** The coordinator's variable is still empty and someone writes to it: first write wins. */
    isFirstWrite: ({ context, event }) => isCoordinator(context) && !context.storageLost && messageType(event) === 'initialize',
    /** Only the coordinator's answer counts: the sender is the connection's peer, never a field. */
    isAnswerFromCoordinator: ({ context, event }) =>
      event.type === 'receive' && event.message.type === 'value' && event.from === context.coordinator && !isCoordinator(context),
    /**
     * Messages no honest member sends: a `value` from anyone but the coordinator, or a write or
     * question sent to a member that is not the coordinator (everyone elects the same one).
     */
    isMisdirected: ({ context, event }) =>
      event.type === 'receive' &&
      event.from !== context.self &&
      (event.message.type === 'value' ? event.from !== context.coordinator : !isCoordinator(context)),
    /** The coordinator answers another value than the one it answered before: it contradicts itself. */
    isContradictingAnswer: ({ context, event }) =>
      event.type === 'receive' &&
      event.message.type === 'value' &&
      event.from === context.coordinator &&
      !isCoordinator(context) &&
      context.decided !== undefined &&
      event.message.value !== context.decided,
    /** A member writes or asks after the coordinator has its value (its own resends need no answer). */
    isRequestToAnswer: ({ context, event }) =>
      isCoordinator(context) &&
      event.type === 'receive' &&
      event.from !== context.self &&
      (event.message.type === 'initialize' || event.message.type === 'ask'),
  },
  actions: {
    propose: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'tryInitialize') return;
      enqueue.assign({ proposal: event.value });
      enqueue.emit(persist(durableOf({ ...context, proposal: event.value })));
    }),
    sendRequests: enqueueActions(({ context, enqueue }) => {
      if (context.proposal !== undefined) {
        enqueue.emit({ type: 'send', to: context.coordinator, message: { type: 'initialize', value: context.proposal } });
      }
      if (!isCoordinator(context)) enqueue.emit({ type: 'send', to: context.coordinator, message: { type: 'ask' } });
    }),
    /** Persist the kept value first, then answer the writer (unless the writer is me). */
    keepFirstWrite: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive' || event.message.type !== 'initialize') return;
      const decided = event.message.value;
      enqueue.assign({ decided });
      enqueue.emit(persist(durableOf({ ...context, decided })));
      if (event.from !== context.self) enqueue.emit({ type: 'send', to: event.from, message: { type: 'value', value: decided } });
    }),
    learnValue: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive' || event.message.type !== 'value') return;
      const decided = event.message.value;
      enqueue.assign({ decided });
      enqueue.emit(persist(durableOf({ ...context, decided })));
    }),
    answer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive' || context.decided === undefined) return;
      enqueue.emit({ type: 'send', to: event.from, message: { type: 'value', value: context.decided } });
    }),
    refuseMisdirected: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive') return;
      const detail =
        event.message.type === 'value'
          ? `announced a value, but ${context.coordinator} is the coordinator`
          : `sent '${event.message.type}' to ${context.self}, who is not the coordinator`;
      enqueue.emit({ type: 'refused', from: event.from, reason: 'implausible', detail });
    }),
    refuseContradiction: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'receive' || event.message.type !== 'value') return;
      enqueue.emit({
        type: 'refused',
        from: event.from,
        reason: 'unverified-claim',
        detail: `answered "${event.message.value}" after answering "${context.decided ?? ''}"`,
      });
    }),
    announceDecision: enqueueActions(({ context, enqueue }) => {
      if (context.decided !== undefined) enqueue.emit(commitDecision(context.decided));
    }),
  },
}).createMachine({
  id: 'coordinator',
  context: ({ input }) => {
    const { state: durable, unreadable } = restoreOnce(input.durable, parseCoordinatorDurable);
    return {
      self: input.self,
      members: [...input.members],
      timing: input.timing,
      coordinator: electCoordinator(input.members, input.self),
      proposal: durable?.proposal,
      decided: durable?.decided,
      storageLost: unreadable,
    };
  },
  initial: 'undecided',
  states: {
    undecided: {
      always: { guard: 'restoredDecision', target: 'decided' },
      on: {
        // Re-entering `requesting` sends the new proposal at once and restarts the period.
        tryInitialize: { guard: 'canPropose', target: '.requesting', reenter: true, actions: 'propose' },
        receive: [
          { guard: 'fromStranger' },
          { guard: 'isMisdirected', actions: 'refuseMisdirected' },
          { guard: 'isFirstWrite', target: 'decided', actions: 'keepFirstWrite' },
          { guard: 'isAnswerFromCoordinator', target: 'decided', actions: 'learnValue' },
        ],
      },
      initial: 'idle',
      states: {
        /** Only the coordinator, before anyone (itself included) proposed: nothing to send. */
        idle: { always: { guard: 'hasRequests', target: 'requesting' } },
        requesting: {
          entry: 'sendRequests',
          after: { retransmit: { target: 'requesting', reenter: true } },
        },
      },
    },
    decided: {
      entry: 'announceDecision',
      on: {
        receive: [
          { guard: 'fromStranger' },
          { guard: 'isMisdirected', actions: 'refuseMisdirected' },
          { guard: 'isContradictingAnswer', actions: 'refuseContradiction' },
          { guard: 'isRequestToAnswer', actions: 'answer' },
        ],
      },
    },
  },
});

export function coordinatorView(snapshot: SnapshotFrom<typeof coordinatorMachine>): NodeView {
  const c = snapshot.context;
  const amCoordinator = isCoordinator(c);
  const fields = [
    { label: 'coordinator', value: amCoordinator ? `${c.coordinator} (me)` : c.coordinator },
    { label: 'role', value: amCoordinator ? 'coordinator: keeps the first value written' : 'asks the coordinator' },
    { label: 'my proposal', value: c.proposal ?? '—' },
    { label: 'value', value: c.decided ?? 'unknown yet' },
  ];
  const common = { decided: c.decided, tally: {}, fields };
  if (c.decided !== undefined) return { ...common, phase: 'decided', waitingFor: 'nothing: decided', waitingOn: [] };
  if (amCoordinator && c.storageLost) {
    return { ...common, phase: 'storage lost', waitingFor: 'nothing it may safely do: its stored value is unreadable', waitingOn: [] };
  }
  if (amCoordinator) {
    return { ...common, phase: 'coordinating', waitingFor: 'a first value from any member', waitingOn: [] };
  }
  return { ...common, phase: 'asking', waitingFor: `an answer from coordinator ${c.coordinator}`, waitingOn: [c.coordinator] };
}

export const coordinatorSpec: OnceAlgorithmSpec<CoordinatorMessage, CoordinatorDurable> = {
  kind: 'once',
  name: 'coordinator',
  label: 'Coordinator (bully)',
  summary:
    'Keeps Agreement and Validity (the highest-id node keeps the first value written) but not Termination: if the coordinator crashes, everyone waits forever.',
  broken: false,
  machine: coordinatorMachine,
  parseMessage: parseCoordinatorMessage,
  view: coordinatorView,
};
