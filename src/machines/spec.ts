import { createActor, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { AcceptorProbe, NodeEffect, NodeEvent, NodeInput, NodeView } from '../core/types.ts';

import type { AlgorithmName } from './names.ts';

// The names live in names.ts (no XState there: the router reads them on every page).
export { ALGORITHM_NAMES, isAlgorithmName, type AlgorithmName } from './names.ts';

/**
 * What a host needs to know about one algorithm. `M` is its message union, `D` its durable state.
 * The machine must accept `NodeInput<D>`, the events `NodeEvent<M>`, and emit `NodeEffect<M, D>`.
 */
export interface AlgorithmSpec<M = unknown, D = unknown> {
  readonly name: AlgorithmName;
  /** Short label for menus: "Paxos (synod)". */
  readonly label: string;
  /** One sentence for teachers: which property it keeps and which it lacks. */
  readonly summary: string;
  /** Deliberately unsafe (kept to be caught by the checker); the UI labels it as broken. */
  readonly broken: boolean;
  readonly machine: AnyStateMachine;
  /** Boundary validation of this algorithm's messages. */
  parseMessage(raw: unknown): M | undefined;
  /** Reads a snapshot of the machine for the UI and the checker. */
  view(snapshot: SnapshotFrom<AnyStateMachine>): NodeView;
  /** Paxos-family only: acceptor state for the invariant checker. */
  probe?(snapshot: SnapshotFrom<AnyStateMachine>): AcceptorProbe;
}

/**
 * The clock a host gives a node: XState schedules `after` delays on it. Virtual time in the
 * simulator, the browser's timers in a tab. (Structurally XState's own `Clock`, which it does
 * not export.)
 */
export interface Clock {
  setTimeout(fn: () => void, timeoutMs: number): unknown;
  clearTimeout(id: unknown): void;
}

/** A running node: an XState actor plus the effect plumbing every host shares. */
export interface NodeHandle<M> {
  send(event: NodeEvent<M>): void;
  view(): NodeView;
  probe(): AcceptorProbe | undefined;
  stop(): void;
}

/**
 * Starts one node of `spec`. `clock` is the host's (virtual in the simulator, real in a tab).
 * `onEffects` receives each step's effects as one batch, in emission order, after the step;
 * a host must carry out every `persist` in the batch before any `send` of the same batch.
 */
export function startNode<M, D>(
  spec: AlgorithmSpec<M, D>,
  input: NodeInput<D>,
  clock: Clock,
  onEffects: (effects: readonly NodeEffect<M, D>[]) => void,
): NodeHandle<M> {
  let batch: NodeEffect<M, D>[] = [];
  let depth = 0;
  // Runs one step (an event, a timer firing, the start) and hands its effects over as one batch.
  const step = (run: () => void): void => {
    depth++;
    try {
      run();
    } finally {
      depth--;
    }
    if (depth > 0 || batch.length === 0) return;
    const effects = batch;
    batch = [];
    onEffects(effects);
  };
  // Delayed (`after`) transitions fire through the clock: wrap it so they are steps too.
  const stepClock: Clock = {
    setTimeout: (fn, ms) => clock.setTimeout(() => step(fn), ms),
    clearTimeout: (id) => clock.clearTimeout(id),
  };
  const actor = createActor(spec.machine, { input, clock: stepClock });
  actor.on('*', (emitted) => {
    batch.push(emitted as unknown as NodeEffect<M, D>);
  });
  step(() => actor.start());
  return {
    send: (event) => step(() => actor.send(event)),
    view: () => spec.view(actor.getSnapshot()),
    probe: () => (spec.probe ? spec.probe(actor.getSnapshot()) : undefined),
    stop: () => actor.stop(),
  };
}
