/**
 * A solo run as the dashboard's trace export (version 3), so a run played alone can be saved,
 * shared as a file and replayed (solo mode's "Replay an exported trace", or branched again).
 *
 * The simulator's full trace already holds every step: what caused it (a start or restart, a
 * proposal, a delivery, a timer), what it sent, whether it wrote storage, what it decided. Each
 * step becomes the StepFact a live tab would have reported: sends numbered per incarnation
 * (its message ids), receives naming the sender's id for the message, timers by ordinal. The
 * ordinal (the timer the incarnation scheduled k-th) is not in the simulator's trace, so each
 * incarnation is re-run with its pure machine here, on a clock that counts what it schedules;
 * the same re-run gives the view each report carries, which the importer checks its replay by.
 */
import { assertNever } from '../core/assert.ts';
import type { DecisionAnnouncement, NodeReport, SentGroup, StepCause, StepFact } from '../classroom/protocol.ts';
import { REPORT_VERSION } from '../classroom/protocol.ts';
import { summarizeMessage } from '../classroom/summary.ts';
import type { NodeEffect, NodeId, NodeView, Value } from '../core/types.ts';
import { MAX_TRACE_ENTRIES } from '../limits.ts';
import { startNode, type Clock, type NodeHandle } from '../machines/spec.ts';
import { nodeSeed, type Simulation } from '../sim/simulator.ts';
import type { TraceEntry } from '../sim/trace.ts';
import { TRACE_FORMAT, TRACE_VERSION } from '../timeline/trace-format.ts';

interface PendingStep {
  readonly node: NodeId;
  readonly at: number;
  readonly cause: StepCause;
  readonly sent: SentGroup[];
  persisted: boolean;
  decided?: Value;
  /** For a timer: the delayed event's type the simulator fired. */
  readonly timerLabel?: string;
}

interface Incarnation {
  readonly node: NodeId;
  readonly index: number;
  /** The number its message ids and reports carry: unique per node and incarnation. */
  readonly inc: number;
  readonly startedAt: number;
  readonly durable: unknown;
  nextSeq: number;
  readonly steps: PendingStep[];
}

/** Re-runs one incarnation to number its timers and read its views (as the importer will). */
class Rerun {
  readonly views: NodeView[] = [];
  private readonly handle: NodeHandle<unknown>;
  private readonly timers: ({ readonly label: string | undefined; readonly due: number; readonly fire: () => void } | undefined)[] = [];
  private now = 0;

  constructor(sim: Simulation, incarnation: Incarnation) {
    const clock: Clock = {
      setTimeout: (fire, ms, label) => {
        this.timers.push({ fire, label, due: this.now + ms });
        return this.timers.length;
      },
      clearTimeout: (id) => {
        if (typeof id === 'number') this.timers[id - 1] = undefined;
      },
    };
    const members = sim.members;
    this.handle = startNode(
      sim.algorithm,
      { self: incarnation.node, members, seed: nodeSeed(sim.seed, members.indexOf(incarnation.node), incarnation.index), timing: sim.timing, durable: incarnation.durable },
      clock,
      (_effects: readonly NodeEffect<unknown, unknown>[]) => undefined,
    );
  }

  /** Applies a step; returns the timer ordinal for a timer step. */
  apply(step: PendingStep, message: unknown): number | undefined {
    this.now = step.at;
    let ordinal: number | undefined;
    switch (step.cause.kind) {
      case 'start':
        break;
      case 'propose':
        this.handle.send({ type: 'tryInitialize', value: step.cause.value });
        break;
      case 'receive':
        this.handle.send({ type: 'receive', from: step.cause.from, message });
        break;
      case 'timer': {
        let best: number | undefined;
        this.timers.forEach((t, i) => {
          if (t !== undefined && t.label === step.timerLabel && (best === undefined || t.due < this.timers[best]!.due)) best = i;
        });
        if (best === undefined) throw new Error(`${step.node}'s timer ${step.timerLabel ?? ''} cannot be matched`);
        const timer = this.timers[best]!;
        this.timers[best] = undefined;
        timer.fire();
        ordinal = best + 1;
        break;
      }
      case 'compact':
        // Solo mode exports write-once runs: only a book's replica compacts.
        throw new Error(`${step.node} compacted a log: a write-once export has no such step`);
      default: {
        const never: never = step.cause;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
    this.views.push(this.handle.view());
    return ordinal;
  }

  view(): NodeView {
    return this.handle.view();
  }
}

/**
 * The run as a version 3 trace file's object (JSON.stringify it to save). Write-once algorithms
 * only (what solo mode's diagram runs); throws when the simulator's trace is not full.
 */
export function soloTraceExport(sim: Simulation, decisionId = 'solo-run'): object {
  if (sim.traceLevel !== 'full') throw new Error('a trace export needs the simulator’s full trace');
  const incarnations: Incarnation[] = [];
  const current = new Map<NodeId, Incarnation>();
  const lastDurable = new Map<NodeId, unknown>();
  /** Simulator message id → the sender's message id, and what it carried. */
  const ids = new Map<number, { inc: number; seq: number }>();
  const messages = new Map<PendingStep, unknown>();
  let open: { readonly step: number; readonly pending: PendingStep } | undefined;

  const begin = (node: NodeId, at: number): Incarnation => {
    const index = incarnations.filter((i) => i.node === node).length;
    const incarnation: Incarnation = {
      node,
      index,
      inc: (sim.members.indexOf(node) + 1) * 1_000 + index + 1,
      startedAt: at,
      durable: index === 0 ? undefined : lastDurable.get(node),
      nextSeq: 1,
      steps: [],
    };
    incarnations.push(incarnation);
    current.set(node, incarnation);
    return incarnation;
  };
  const openStep = (entry: TraceEntry, node: NodeId, cause: StepCause, extra: { timerLabel?: string; message?: unknown } = {}): void => {
    const incarnation = current.get(node);
    if (incarnation === undefined) return;
    // Reports count whole milliseconds (virtual time has fractions).
    const pending: PendingStep = { node, at: Math.max(0, Math.floor(entry.time - incarnation.startedAt)), cause, sent: [], persisted: false, ...(extra.timerLabel !== undefined ? { timerLabel: extra.timerLabel } : {}) };
    incarnation.steps.push(pending);
    if (cause.kind === 'receive') messages.set(pending, extra.message);
    open = { step: entry.step, pending };
  };

  for (const entry of sim.trace) {
    if (open !== undefined && open.step !== entry.step) open = undefined;
    switch (entry.kind) {
      case 'start':
      case 'restart':
        begin(entry.node, entry.time);
        openStep(entry, entry.node, { kind: 'start' });
        continue;
      case 'propose':
        openStep(entry, entry.node, { kind: 'propose', value: entry.value });
        continue;
      case 'timer':
        openStep(entry, entry.node, { kind: 'timer' }, entry.timer !== undefined ? { timerLabel: entry.timer } : {});
        continue;
      case 'crash':
        current.delete(entry.node);
        open = undefined;
        continue;
      case 'deliver': {
        const id = ids.get(entry.id);
        if (id !== undefined) openStep(entry, entry.to, { kind: 'receive', from: entry.from, id, message: entry.message }, { message: entry.message });
        continue;
      }
      case 'send': {
        const incarnation = current.get(entry.from);
        if (incarnation === undefined) continue;
        const seq = incarnation.nextSeq++;
        ids.set(entry.id, { inc: incarnation.inc, seq });
        const { kind, summary } = summarizeMessage(entry.message);
        const record = entry.message as { value?: unknown };
        const value = typeof record?.value === 'string' ? record.value : undefined;
        const group: SentGroup = { to: [entry.to], firstSeq: seq, kind, summary, ...(value !== undefined ? { value } : {}) };
        if (open?.pending.node === entry.from) open.pending.sent.push(group);
        continue;
      }
      case 'persist':
        lastDurable.set(entry.node, entry.state);
        if (open?.pending.node === entry.node) open.pending.persisted = true;
        continue;
      case 'decide':
        if (open?.pending.node === entry.node) open.pending.decided = entry.value;
        continue;
      // The rest start no step and belong to none.
      case 'duplicate':
      case 'lose':
      case 'hold':
      case 'discard':
      case 'probe':
      case 'pause':
      case 'resume':
      case 'partition':
      case 'cut':
      case 'heal':
      case 'link':
      case 'note':
      case 'submit':
      case 'refuse':
      case 'role':
      case 'commit':
      case 'snapshot':
        break;
      default:
        assertNever(entry, 'trace entry');
    }
  }

  const entries: { atMs: number; node: NodeId; report: NodeReport }[] = [];
  for (const incarnation of incarnations) {
    const rerun = new Rerun(sim, incarnation);
    const facts: StepFact[] = incarnation.steps.map((step) => {
      const ordinal = rerun.apply(step, messages.get(step));
      const cause: StepCause = step.cause.kind === 'timer' ? { kind: 'timer', timer: ordinal! } : step.cause;
      return { at: step.at, cause, sent: step.sent, persisted: step.persisted, ...(step.decided !== undefined ? { decided: step.decided } : {}) };
    });
    // One report per step, as a tab reports on the frame after each step (its first is full and
    // says how it started): the importer then hears sends before the receives that need them.
    const reports = Math.max(1, facts.length);
    for (let n = 0; n < reports; n++) {
      const fact = facts[n];
      const report: NodeReport = {
        version: REPORT_VERSION,
        inc: incarnation.inc,
        n,
        full: n === 0,
        ...(n === 0 ? { seed: nodeSeed(sim.seed, sim.members.indexOf(incarnation.node), incarnation.index), start: { timing: sim.timing, ...(incarnation.durable !== undefined ? { durable: incarnation.durable } : {}) } } : {}),
        view: fact === undefined ? rerun.view() : rerun.views[n]!,
        proposed: fact?.cause.kind === 'propose' ? [fact.cause.value] : [],
        evidence: [],
        steps: fact === undefined ? [] : [fact],
        droppedSteps: 0,
        refusals: [],
        restarted: incarnation.index > 0,
      };
      entries.push({ atMs: incarnation.startedAt + (fact?.at ?? 0), node: incarnation.node, report });
    }
  }
  if (entries.length > MAX_TRACE_ENTRIES) throw new Error(`this run has ${entries.length} steps; a trace holds at most ${MAX_TRACE_ENTRIES}`);
  // The order the dashboard would have heard them in: by time (a stable sort keeps each node's in order).
  entries.sort((a, b) => a.atMs - b.atMs);
  const decision: DecisionAnnouncement = { id: decisionId, seq: 1, algorithm: sim.algorithm.name, scenario: 'colors', members: [...sim.members], startedAt: 0 };
  return { format: TRACE_FORMAT, version: TRACE_VERSION, decision, names: {}, entries };
}
