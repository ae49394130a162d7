/**
 * A run as a space-time (Lamport) diagram's data: one lane per node, points on a lane for what
 * a node did (proposed, persisted, decided, crashed, restarted, a timer fired), and messages as
 * lines from a send on one lane to its receipt on another (or to where it was lost).
 *
 * Pure data, built from the simulator's full trace today; the live room's coalesced reports carry
 * the same facts (message ids joining sends to receives) and can be adapted to the same shape.
 * The diagram draws it, the scrubber moves a cursor over its steps.
 */
import type { NodeId, Value } from '../core/types.ts';
import { summarizeMessage } from '../classroom/summary.ts';
import type { TraceEntry } from '../sim/trace.ts';
import { assertNever } from '../core/assert.ts';

export type PointKind = 'propose' | 'persist' | 'decide' | 'crash' | 'restart' | 'timer' | 'pause' | 'resume';

export interface TimelinePoint {
  readonly node: NodeId;
  /** The run's step (the simulator's step counter): the diagram's x order and the scrubber's unit. */
  readonly step: number;
  readonly time: number;
  readonly kind: PointKind;
  /** The value proposed or decided, for its colour and label. */
  readonly value?: Value;
}

/** What became of a message, as far as the run has got. */
export type MessageFate =
  | { readonly kind: 'received'; readonly step: number; readonly time: number }
  | { readonly kind: 'lost'; readonly step: number; readonly time: number; readonly why: string }
  | { readonly kind: 'held' }
  | { readonly kind: 'in-flight' };

export interface TimelineMessage {
  /** The simulator's message id (a duplicate is its own message with its own id). */
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly step: number;
  readonly time: number;
  /** The message's type (vote, prepare, accept…). */
  readonly kind: string;
  readonly summary: string;
  /** The value the message carries, when it carries one (a vote for red, accept blue). */
  readonly value?: Value;
  readonly fate: MessageFate;
}

export interface Timeline {
  readonly nodes: readonly NodeId[];
  /** Sorted by step. */
  readonly points: readonly TimelinePoint[];
  /** Sorted by the step they were sent at. */
  readonly messages: readonly TimelineMessage[];
  /** The steps at which anything on the diagram happens, ascending and distinct: its columns. */
  readonly columns: readonly number[];
  /** `points[i].step` and `messages[i].step`, kept beside them for binary searches per frame. */
  readonly pointSteps: readonly number[];
  readonly messageSteps: readonly number[];
  readonly lastStep: number;
}

/** The string a message carries as its value, if any: `value`, or a `candidate`/`vote` string. */
export function messageValue(message: unknown): Value | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const record = message as Record<string, unknown>;
  for (const key of ['value', 'candidate', 'vote'] as const) {
    const field = record[key];
    if (typeof field === 'string') return field;
  }
  return undefined;
}

interface MutableMessage {
  id: number;
  from: NodeId;
  to: NodeId;
  step: number;
  time: number;
  kind: string;
  summary: string;
  value?: Value;
  fate: MessageFate;
}

/** Builds the diagram's data from a full-level trace (facts-level traces have no messages). */
export function timelineFromTrace(nodes: readonly NodeId[], trace: readonly TraceEntry[]): Timeline {
  const points: TimelinePoint[] = [];
  const messages = new Map<number, MutableMessage>();
  const columns = new Set<number>();
  let lastStep = 0;
  const point = (entry: TraceEntry & { node: NodeId }, kind: PointKind, value?: Value): void => {
    points.push({ node: entry.node, step: entry.step, time: entry.time, kind, ...(value === undefined ? {} : { value }) });
    columns.add(entry.step);
  };
  const settle = (id: number, fate: MessageFate, step: number): void => {
    const message = messages.get(id);
    if (message === undefined) return;
    message.fate = fate;
    columns.add(step);
  };
  for (const entry of trace) {
    lastStep = Math.max(lastStep, entry.step);
    switch (entry.kind) {
      case 'propose':
        point(entry, 'propose', entry.value);
        break;
      case 'persist':
        point(entry, 'persist');
        break;
      case 'decide':
        point(entry, 'decide', entry.value);
        break;
      case 'crash':
        point(entry, 'crash');
        break;
      case 'restart':
        point(entry, 'restart');
        break;
      case 'timer':
        point(entry, 'timer');
        break;
      case 'pause':
        point(entry, 'pause');
        break;
      case 'resume':
        point(entry, 'resume');
        break;
      case 'send': {
        const { kind, summary } = summarizeMessage(entry.message);
        const value = messageValue(entry.message);
        messages.set(entry.id, {
          id: entry.id,
          from: entry.from,
          to: entry.to,
          step: entry.step,
          time: entry.time,
          kind,
          summary,
          ...(value === undefined ? {} : { value }),
          fate: { kind: 'in-flight' },
        });
        columns.add(entry.step);
        break;
      }
      case 'duplicate': {
        const original = messages.get(entry.copyOf);
        if (original === undefined) break;
        messages.set(entry.id, { ...original, id: entry.id, step: entry.step, time: entry.time, fate: { kind: 'in-flight' } });
        columns.add(entry.step);
        break;
      }
      case 'hold':
        settle(entry.id, { kind: 'held' }, entry.step);
        break;
      case 'deliver':
        settle(entry.id, { kind: 'received', step: entry.step, time: entry.time }, entry.step);
        break;
      case 'lose':
        settle(entry.id, { kind: 'lost', step: entry.step, time: entry.time, why: entry.reason === 'partition' ? 'link cut' : 'lost' }, entry.step);
        break;
      case 'discard':
        settle(
          entry.id,
          { kind: 'lost', step: entry.step, time: entry.time, why: entry.reason === 'receiver-down' ? `${entry.to} down` : 'dropped' },
          entry.step,
        );
        break;
      case 'start':
      case 'probe':
      case 'refuse':
      case 'submit':
      case 'commit':
      case 'role':
      case 'snapshot':
      case 'partition':
      case 'cut':
      case 'heal':
      case 'link':
      case 'note':
        break;
      default:
        assertNever(entry, 'trace entry');
    }
  }
  const sorted = [...messages.values()].sort((a, b) => a.step - b.step || a.id - b.id);
  return {
    nodes,
    points,
    messages: sorted,
    columns: [...columns].sort((a, b) => a - b),
    pointSteps: points.map((p) => p.step),
    messageSteps: sorted.map((m) => m.step),
    lastStep,
  };
}

/** The step at which a message stops being drawn as travelling, or undefined while it travels. */
export function messageEndStep(message: TimelineMessage): number | undefined {
  return message.fate.kind === 'received' || message.fate.kind === 'lost' ? message.fate.step : undefined;
}

/** Index of the first column ≥ `step` (binary search): columns are the diagram's x positions. */
export function columnIndex(columns: readonly number[], step: number): number {
  let low = 0;
  let high = columns.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((columns[mid] ?? Number.POSITIVE_INFINITY) < step) low = mid + 1;
    else high = mid;
  }
  return low;
}

export interface Window {
  /** First and last column shown (inclusive). */
  readonly firstColumn: number;
  readonly lastColumn: number;
  readonly points: readonly TimelinePoint[];
  /** Messages whose line crosses the window: sent before its end, not settled before its start. */
  readonly messages: readonly TimelineMessage[];
}

/**
 * What is visible when the diagram shows `width` columns ending at the cursor's column (or the
 * first `width` columns when the cursor is near the start). Only these are drawn, so a run of
 * 5,000 messages costs what one screenful costs.
 */
export function visibleWindow(timeline: Timeline, cursorStep: number, width: number): Window {
  const total = timeline.columns.length;
  const cursorColumn = Math.min(total - 1, columnIndex(timeline.columns, cursorStep));
  const lastColumn = Math.max(0, Math.min(total - 1, Math.max(cursorColumn, width - 1)));
  const firstColumn = Math.max(0, lastColumn - width + 1);
  const firstStep = timeline.columns[firstColumn] ?? 0;
  const lastStep = timeline.columns[lastColumn] ?? 0;
  const points = timeline.points.slice(
    columnIndex(timeline.pointSteps, firstStep),
    columnIndex(timeline.pointSteps, lastStep + 1),
  );
  const sentBy = columnIndex(timeline.messageSteps, lastStep + 1);
  const messages: TimelineMessage[] = [];
  // Messages still travelling that were sent before the window all run from its left edge to the
  // cursor, one over the other: a crashed receiver's retransmissions pile up thousands. Only the
  // newest per link is drawn (held ones are each the user's to deliver, and all drawn).
  const olderInFlight = new Map<string, TimelineMessage>();
  for (let i = 0; i < sentBy; i++) {
    const message = timeline.messages[i];
    if (message === undefined) continue;
    const end = messageEndStep(message);
    if (end !== undefined) {
      if (end >= firstStep) messages.push(message);
    } else if (message.step >= firstStep || message.fate.kind === 'held') {
      messages.push(message);
    } else {
      olderInFlight.set(`${message.from}\n${message.to}`, message);
    }
  }
  messages.push(...olderInFlight.values());
  return { firstColumn, lastColumn, points, messages };
}
