/**
 * A deliberately tiny algorithm for testing the SIMULATOR's mechanics, not consensus: a node
 * learns a value from a local proposal or the first message it hears, persists it, decides it
 * at once, and tells every member it has not heard from yet, retransmitting on a timer until it
 * has heard from all of them. Its `heard` log records every message received, in order, which
 * lets the tests see exactly what the network did (loss, duplicates, order, partitions, pauses).
 * Not an agreement algorithm: two proposers can make it decide two values, which is what the
 * checker tests lean on.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { NodeEffect, NodeId, NodeInput, Timing, Value } from '../../../src/core/types.ts';
import { commitDecision, persistHard, type OnceDurable } from '../../../src/core/write-once.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';

export interface GossipMessage {
  readonly type: 'value';
  readonly value: Value;
}
export interface GossipDurable {
  readonly known: Value;
}

interface Context {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly timing: Timing;
  readonly known: Value | undefined;
  /** Every message received, as "from:value", in arrival order. */
  readonly heard: readonly string[];
  readonly restoredFromDurable: boolean;
}

type Event =
  | { readonly type: 'tryInitialize'; readonly value: Value }
  | { readonly type: 'receive'; readonly from: NodeId; readonly message: GossipMessage };

function missing(context: Context): NodeId[] {
  const heardFrom = new Set(context.heard.map((h) => h.split(':')[0]));
  return context.members.filter((m) => m !== context.self && !heardFrom.has(m));
}

const gossipMachine = setup({
  types: {
    context: {} as Context,
    events: {} as Event,
    input: {} as NodeInput<OnceDurable<GossipDurable>>,
    emitted: {} as NodeEffect<GossipMessage, GossipDurable, never>,
  },
  delays: {
    retransmit: ({ context }) => context.timing.retransmitMs,
  },
  guards: {
    restored: ({ context }) => context.known !== undefined,
    heardFromAll: ({ context }) => missing(context).length === 0,
  },
  actions: {
    hear: assign({
      heard: ({ context, event }) =>
        event.type === 'receive' ? [...context.heard, `${event.from}:${event.message.value}`] : context.heard,
    }),
    learn: assign({
      known: ({ event }) => (event.type === 'receive' ? event.message.value : event.value),
    }),
    announce: enqueueActions(({ context, enqueue }) => {
      const known = context.known as Value;
      enqueue.emit(persistHard({ known }));
      enqueue.emit(commitDecision(known));
      for (const to of context.members) enqueue.emit({ type: 'send', to, message: { type: 'value', value: known } });
    }),
    announceRestored: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(commitDecision(context.known as Value));
    }),
    retransmit: enqueueActions(({ context, enqueue }) => {
      for (const to of missing(context)) enqueue.emit({ type: 'send', to, message: { type: 'value', value: context.known as Value } });
    }),
  },
}).createMachine({
  id: 'gossip',
  context: ({ input }) => ({
    self: input.self,
    members: input.members,
    timing: input.timing,
    known: input.durable?.hard?.known,
    heard: [],
    restoredFromDurable: input.durable !== undefined,
  }),
  initial: 'booting',
  states: {
    booting: {
      always: [{ guard: 'restored', target: 'knowing', actions: 'announceRestored' }, { target: 'idle' }],
    },
    idle: {
      on: {
        tryInitialize: { target: 'knowing', actions: ['learn', 'announce'] },
        receive: { target: 'knowing', actions: ['hear', 'learn', 'announce'] },
      },
    },
    knowing: {
      on: { receive: { actions: 'hear' } },
      after: {
        retransmit: [{ guard: 'heardFromAll', target: 'done' }, { target: 'knowing', reenter: true, actions: 'retransmit' }],
      },
    },
    done: {
      on: { receive: { actions: 'hear' } },
    },
  },
});

function parseMessage(raw: unknown): GossipMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  return record['type'] === 'value' && typeof record['value'] === 'string' ? { type: 'value', value: record['value'] } : undefined;
}

function contextOf(snapshot: unknown): Context {
  return (snapshot as { context: Context }).context;
}

export const gossipSpec: OnceAlgorithmSpec<GossipMessage, GossipDurable> = {
  kind: 'once',
  // The name only labels traces; this test algorithm is not one of the product's.
  name: 'majority',
  label: 'Gossip (simulator test double)',
  summary: 'Learns the first value it hears; exists only to exercise the simulator.',
  broken: true,
  machine: gossipMachine,
  parseMessage,
  view(snapshot) {
    const context = contextOf(snapshot);
    const tally: Record<Value, number> = {};
    for (const h of context.heard) {
      const value = h.slice(h.indexOf(':') + 1);
      tally[value] = (tally[value] ?? 0) + 1;
    }
    return {
      phase: context.known === undefined ? 'idle' : 'knowing',
      waitingFor: missing(context).join(', '),
      decided: context.known,
      tally,
      fields: [
        { label: 'heard', value: context.heard.join(' ') },
        { label: 'restored', value: String(context.restoredFromDurable) },
      ],
    };
  },
};

/** The heard log of a node, from its view. */
export function heardLog(view: { readonly fields: ReadonlyArray<{ readonly label: string; readonly value: string }> } | undefined): string[] {
  const field = view?.fields.find((f) => f.label === 'heard');
  return field === undefined || field.value === '' ? [] : field.value.split(' ');
}
