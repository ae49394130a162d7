import { createActor, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { AcceptorProbe, LogDurable, LogEntryFact, LogView, NodeEffect, NodeEvent, NodeInput, NodeView } from '../core/types.ts';
import type { OnceDurable } from '../core/write-once.ts';

import type { AlgorithmName } from './names.ts';

// The names live in names.ts (no XState there: the router reads them on every page).
export { ALGORITHM_NAMES, isAlgorithmName, type AlgorithmName } from './names.ts';

// Replicated-log algorithms' names live in names.ts too (no XState there: the classroom's
// message parser checks them on every page).
export { isLogAlgorithmName, LOG_ALGORITHM_NAMES, type LogAlgorithmName } from './names.ts';
import type { LogAlgorithmName } from './names.ts';

/** What every spec has, write-once or log: the machine and how to read it. */
interface SpecCommon<M> {
  /** Short label for menus: "Paxos (synod)". */
  readonly label: string;
  /** One sentence for teachers: which property it keeps and which it lacks. */
  readonly summary: string;
  /** Deliberately unsafe (kept to be caught by the checker); the UI labels it as broken. */
  readonly broken: boolean;
  readonly machine: AnyStateMachine;
  /** Boundary validation of this algorithm's messages. */
  parseMessage(raw: unknown): M | undefined;
  /** Reads a snapshot of the machine for the UI and the checker (phase, waiting for…). */
  view(snapshot: SnapshotFrom<AnyStateMachine>): NodeView;
}

/**
 * A write-once algorithm: a log of length one. Its machine takes `NodeInput<OnceDurable<H>>`
 * (its state in `hard`), the events `NodeEvent<M>`, and emits `NodeEffect<M, H>`: one `hard` op
 * per persist, and its decision as the commit of one entry at index 1 (core/write-once.ts).
 */
export interface OnceAlgorithmSpec<M = unknown, H = unknown> extends SpecCommon<M> {
  readonly kind: 'once';
  readonly name: AlgorithmName;
  /** Paxos-family only: acceptor state for the invariant checker. */
  probe?(snapshot: SnapshotFrom<AnyStateMachine>): AcceptorProbe;
  /**
   * A live host may coalesce this algorithm's persists per event-loop turn: write the turn's last
   * durable state once, then send the turn's messages (persist-before-reply still holds, for the
   * whole turn). Safe for an algorithm whose durable state is one value each persist replaces,
   * and worth it when a burst of messages each costs a write (voting: one per vote heard).
   */
  readonly persistPerTurn?: boolean;
  /** Only for the type: what the machine stores. */
  readonly durableType?: OnceDurable<H>;
}

/**
 * A log algorithm: the machine takes `NodeInput<LogDurable<H, E>>`, the events
 * `LogNodeEvent<M>`, and emits `NodeEffect<M, H, E>`.
 */
export interface LogAlgorithmSpec<M = unknown, H = unknown, E = unknown> extends SpecCommon<M> {
  readonly kind: 'log';
  readonly name: LogAlgorithmName;
  /** Raft counts terms, Multi-Paxos ballots: what `epoch` in its views and commits carries. */
  readonly epochKind: 'term' | 'ballot';
  /** The typed log view: role, term or ballot, commit index, a window of entries, the quorum. */
  logView(snapshot: SnapshotFrom<AnyStateMachine>): LogView;
  /**
   * Every entry the node holds, for the checkers: Raft's log; a Multi-Paxos node's accepted and
   * chosen slots (a leader's: what it will propose after phase 1).
   */
  logEntries(snapshot: SnapshotFrom<AnyStateMachine>): readonly LogEntryFact[];
  /** Only for the type: what the machine stores. */
  readonly durableType?: LogDurable<H, E>;
}

/**
 * What a host needs to know about one algorithm, write-once (`kind: 'once'`) or log
 * (`kind: 'log'`): one contract, with the log-only members on the log variant. `M` is its
 * message union, `H` its hard state, `E` its log entry.
 */
export type AlgorithmSpec<M = unknown, H = unknown, E = unknown> = OnceAlgorithmSpec<M, H> | LogAlgorithmSpec<M, H, E>;

/**
 * The clock a host gives a node: XState schedules `after` delays on it. Virtual time in the
 * simulator, the browser's timers in a tab. (Structurally XState's own `Clock`, which it does
 * not export.)
 */
export interface Clock {
  /** `label`: the delayed event's type (e.g. `xstate.after.retransmit.voting.waiting`), for hosts that name timers. */
  setTimeout(fn: () => void, timeoutMs: number, label?: string): unknown;
  clearTimeout(id: unknown): void;
}

/** A running node: an XState actor plus the effect plumbing every host shares. */
export interface NodeHandle<M, Ev extends { readonly type: string } = NodeEvent<M>> {
  send(event: Ev): void;
  view(): NodeView;
  probe(): AcceptorProbe | undefined;
  /** Log algorithms only: the typed log view. */
  logView(): LogView | undefined;
  /** Log algorithms only: every entry the node holds. */
  logEntries(): readonly LogEntryFact[] | undefined;
  /**
   * The machine's state as the explorer needs it to carry on from here: state value, context
   * and the delayed events (`after` timers) pending, by event type. Read-only inspection.
   */
  machineState(): MachineState;
  stop(): void;
}

/** A running node's machine state, detached from its actor (plain data a worker can receive). */
export interface MachineState {
  readonly value: unknown;
  readonly context: unknown;
  readonly timers: readonly string[];
}

/**
 * Starts one node of `spec`. `clock` is the host's (virtual in the simulator, real in a tab).
 * `onEffects` receives each step's effects as one batch, in emission order, after the step;
 * a host must carry out every `persistLog` in the batch before any `send` of the same batch.
 */
export function startNode<M, D, Ev extends { readonly type: string } = NodeEvent<M>, Ef = NodeEffect<M, unknown, unknown>>(
  spec: AlgorithmSpec<M>,
  input: NodeInput<D>,
  clock: Clock,
  onEffects: (effects: readonly Ef[]) => void,
): NodeHandle<M, Ev> {
  let batch: Ef[] = [];
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
    // XState's scheduler records the event it schedules just before it asks the clock: the newest entry.
    setTimeout: (fn, ms) => clock.setTimeout(() => step(fn), ms, newestScheduled()),
    clearTimeout: (id) => clock.clearTimeout(id),
  };
  const actor = createActor(spec.machine, { input, clock: stepClock });
  // `_scheduledEvents` is XState's private field: no public API names a pending delayed event, and
  // the explorer, schedule files and solo links name timers by it. An upgrade that renames it or
  // records after setTimeout fails tests/unit/machines/xstate-scheduled-events.test.ts.
  function newestScheduled(): string | undefined {
    const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
    return scheduled[scheduled.length - 1]?.event.type;
  }
  actor.on('*', (emitted) => {
    batch.push(emitted as unknown as Ef);
  });
  step(() => actor.start());
  return {
    send: (event) => step(() => actor.send(event)),
    view: () => spec.view(actor.getSnapshot()),
    probe: () => (spec.kind === 'once' && spec.probe ? spec.probe(actor.getSnapshot()) : undefined),
    logView: () => (spec.kind === 'log' ? spec.logView(actor.getSnapshot()) : undefined),
    logEntries: () => (spec.kind === 'log' ? spec.logEntries(actor.getSnapshot()) : undefined),
    machineState: () => {
      const snapshot = actor.getSnapshot() as { readonly value: unknown; readonly context: unknown };
      const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
      return { value: snapshot.value, context: snapshot.context, timers: scheduled.map((e) => e.event.type).sort() };
    },
    stop: () => actor.stop(),
  };
}
