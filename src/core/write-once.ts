/**
 * A write-once algorithm as a log of length one (issue 7): the helpers that let the six
 * write-once machines speak the one contract of types.ts, and their hosts read it.
 *
 * - Its durable state is the log's `hard` part; it has no entries. It persists with one
 *   `persistLog` of one `{ op: 'hard', state }` op, rewriting its whole (small) state.
 * - Its decision is the `commit` of exactly one entry at index 1, whose command is
 *   `decisionCommand(value)`; no term or ballot (the value is all there is to agree on).
 *
 * Pure: no clock, storage or randomness.
 */
import type { CommittedEntry, LogCommand, LogDurable, NodeEffect, PersistOp, Value } from './types.ts';
import { isRecord } from './validate.ts';

/** What a write-once machine takes as `durable`: its state in `hard`, no entries. */
export type OnceDurable<D> = LogDurable<D, never>;

/** A write-once decision as the log command it is: client 'write-once', seq 1, `{ value }`. */
export function decisionCommand(value: Value): LogCommand {
  return { kind: 'command', client: 'write-once', seq: 1, command: { value } };
}

/** The decided value inside a write-once decision's command. */
export function decidedValueOf(command: LogCommand): Value | undefined {
  if (command.kind !== 'command') return undefined;
  const payload = command.command as { readonly value?: unknown } | null;
  return typeof payload?.value === 'string' ? payload.value : undefined;
}

/** The effect a write-once machine persists its whole state with. */
export function persistHard<M, D>(state: D): NodeEffect<M, D, never> {
  return { type: 'persistLog', ops: [{ op: 'hard', state }] };
}

/** The effect a write-once machine decides `value` with: index 1, never retracted. */
export function commitDecision<M, D>(value: Value): NodeEffect<M, D, never> {
  return { type: 'commit', entries: [{ index: 1, command: decisionCommand(value) }] };
}

/**
 * The value a write-once machine's `commit` decides. A write-once machine commits exactly one
 * entry, at index 1: anything else is a machine bug, and the host says so rather than guess.
 */
export function decisionOf(entries: readonly CommittedEntry[]): Value {
  const [entry] = entries;
  const value = entry === undefined ? undefined : decidedValueOf(entry.command);
  if (entries.length !== 1 || entry?.index !== 1 || value === undefined) {
    throw new Error(`a write-once machine commits one decision at index 1, not ${JSON.stringify(entries)}`);
  }
  return value;
}

/**
 * The state a write-once machine's `persistLog` writes: its `hard` op's. A write-once host keeps
 * one state and no entries, so a log op from such a machine is a bug, said out loud.
 */
export function hardStateOf<D>(ops: readonly PersistOp<D, unknown>[]): D {
  const op = ops.length === 1 ? ops[0] : undefined;
  if (op?.op !== 'hard') throw new Error(`a write-once machine persists one 'hard' op, not ${JSON.stringify(ops.map((o) => o.op))}`);
  return op.state;
}

/**
 * The log-shaped `durable` a host starts a write-once machine from, around the state it stored
 * (exactly what the last `hard` op gave it: hosts keep storing those bytes, so nothing stored
 * before this contract changes). `undefined` (nothing stored) stays a first start; anything else,
 * the host's unreadable marker included, goes in `hard` for the machine to validate.
 */
export function onceDurable<D>(stored: D | undefined): OnceDurable<D> | undefined {
  return stored === undefined ? undefined : { hard: stored, entries: [] };
}

/**
 * What a write-once machine restores from its `durable` input: its state (undefined on a first
 * start), and whether storage was present but unreadable, which makes it listen-only (it may
 * have promised or voted before and cannot say what). A `durable` that is not write-once shaped
 * (not log-shaped, or holding entries) is unreadable too: never a fresh start.
 */
export function restoreOnce<D>(durable: unknown, parse: (raw: unknown) => D | undefined): { readonly state: D | undefined; readonly unreadable: boolean } {
  if (durable === undefined) return { state: undefined, unreadable: false };
  if (!isRecord(durable) || !Array.isArray(durable.entries) || durable.entries.length > 0) return { state: undefined, unreadable: true };
  if (durable.hard === undefined) return { state: undefined, unreadable: false };
  const state = parse(durable.hard);
  return { state, unreadable: state === undefined };
}
