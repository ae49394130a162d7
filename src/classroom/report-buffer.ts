/**
 * What a member's node tells the dashboard, coalesced: every step of the node is noted here as
 * a compact fact (why it happened, what it sent with which message ids, whether it persisted,
 * what it decided), and at most once per frame the facts since the last report go out as one
 * delta report, split in parts when one would not fit in a message. A decision and a stop are
 * reported at once; a dashboard that (re)connects gets a full report.
 *
 * Nothing here runs per recipient or per step beyond appending a fact: the view is read, and the
 * report serialised (to check its size), once per report.
 */
import type { NodeEffect, NodeView, Value } from '../core/types.ts';
import { decisionOf } from '../core/write-once.ts';
import { isBoundedString, isRecord } from '../core/validate.ts';
import {
  MAX_EVIDENCE_PER_REPORT,
  MAX_FEED_ENTRIES_PER_REPORT,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_SEQ,
  MAX_PENDING_STEPS,
  MAX_STEPS_PER_REPORT,
  MAX_VALUE_LENGTH,
} from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import {
  REPORT_VERSION,
  type Evidence,
  type IncarnationStart,
  type MessageId,
  type NodeReport,
  type Refusal,
  type SentGroup,
  type StepCause,
  type StepFact,
} from './protocol.ts';
import { summarizeMessage } from './summary.ts';
import type { LogReport } from './log-protocol.ts';

/**
 * Room left in a message for the envelopes around a report ({"type":"app","payload":{"type":
 * "report","decision":…,"report":…}}): the report itself must fit in what remains.
 */
const ENVELOPE_BYTES = 256;
const REPORT_BUDGET_BYTES = MAX_MESSAGE_BYTES - ENVELOPE_BYTES;

const encoder = new TextEncoder();

/** UTF-8 size of a JSON text, without encoding it when the length alone decides. */
function fits(text: string): boolean {
  if (text.length > REPORT_BUDGET_BYTES) return false;
  if (text.length * 3 <= REPORT_BUDGET_BYTES) return true;
  return encoder.encode(text).byteLength <= REPORT_BUDGET_BYTES;
}

export interface ReportBufferOptions {
  readonly incarnation: number;
  readonly seed: number;
  /** How this incarnation started (timing, durable state): in full reports, for replays. */
  readonly start?: IncarnationStart;
  readonly restarted: boolean;
  readonly self: PeerId;
  readonly now: () => number;
  readonly scheduleFrame: (flush: () => void) => void;
  /**
   * At most one scheduled report per this many ms (default 0: once per frame). Reports that go
   * at once (a decision, evidence, a full report) do not wait for it. See REPORT_INTERVAL_MS_PER_MEMBER.
   */
  readonly minIntervalMs?: number;
  /**
   * Runs `fn` after `ms` (the host's timer): how a report that must wait for minIntervalMs waits,
   * rather than asking for frame after frame (each requested frame is a rendering pass in a tab).
   * Without it, the wait is frame by frame.
   */
  readonly after?: (fn: () => void, ms: number) => void;
  /** The node's view now (read once per report). */
  readonly view: () => NodeView;
  /** Every value this node was asked to propose (for full reports). */
  readonly proposed: () => readonly Value[];
  /** Whether the node stopped itself (a storage write failed): every report then says so. */
  readonly stopped?: () => 'storage-full' | undefined;
  readonly onReport: (reports: readonly NodeReport[]) => void;
  /** Replicated logs only: the log part of the next report (see LogReporter). */
  readonly log?: LogReporter;
}

/**
 * Where a log node's report part comes from. `take` hands over what goes in this report (a
 * bounded chunk of commits, the window, the state rows); `pending` says whether anything is
 * waiting (commits not yet reported, a changed log), so the buffer reports, and keeps reporting
 * one chunk per frame, until it is all out.
 */
export interface LogReporter {
  pending(): boolean;
  take(full: boolean): LogReport;
}

/** Builds one step's facts while the host carries out its effects. */
export interface StepRecorder {
  /** The id of the message of this send effect (call once per send, in order). */
  idOf(effect: NodeEffect<unknown, unknown> & { readonly type: 'send' }): MessageId;
  /** The step's effects are carried out: note it, and report (at once if it decided). */
  done(): void;
}

interface OpenGroup {
  readonly message: unknown;
  readonly to: PeerId[];
  readonly firstSeq: number;
}

export class ReportBuffer {
  private steps: StepFact[] = [];
  private droppedSteps = 0;
  private proposedSince: Value[] = [];
  private refusals: Refusal[] = [];
  private readonly evidence = new Map<string, Evidence>();
  private lastView: NodeView | undefined;
  private nextReport = 0;
  private lastSeq = 0;
  private scheduled = false;
  /** When the last report went out (options.now()), for minIntervalMs. */
  private lastReportAt = Number.NEGATIVE_INFINITY;
  /** The cause of the step under way (set by the host before it drives the machine). */
  private cause: StepCause | undefined;
  private causeTaken = false;
  private readonly startedAt: number;

  constructor(private readonly options: ReportBufferOptions) {
    this.startedAt = options.now();
  }

  /** The host is about to drive the machine for `cause` (a proposal, a message). */
  beginStep(cause: StepCause): void {
    this.cause = cause;
    this.causeTaken = false;
  }

  /** The machine is done with the cause: a step that had no effect is still a step (a receive to join). */
  endStep(): void {
    const cause = this.cause;
    this.cause = undefined;
    if (cause !== undefined && !this.causeTaken) this.push({ at: this.elapsed(), cause, sent: [], persisted: false });
    this.schedule();
  }

  /**
   * A step with effects: its cause is the one begun, else a timer (or the start, before the node runs).
   * A write-once node's effects; a log host hands over only its writes and sends (its commits are reported as log parts).
   */
  stepOf(effects: readonly NodeEffect<unknown, unknown>[], started: boolean): StepRecorder {
    const cause: StepCause = this.cause ?? (started ? { kind: 'timer' } : { kind: 'start' });
    if (this.cause !== undefined) this.causeTaken = true;
    const groups: OpenGroup[] = [];
    let persisted = false;
    let decided: Value | undefined;
    for (const effect of effects) {
      // A write-once node's commit is its decision (index 1); a log host passes no commits here.
      if (effect.type === 'persistLog') persisted = true;
      else if (effect.type === 'commit') decided = decisionOf(effect.entries);
    }
    return {
      idOf: (effect) => {
        this.lastSeq = this.lastSeq >= MAX_MESSAGE_SEQ ? 1 : this.lastSeq + 1;
        const last = groups.at(-1);
        // A broadcast emits the same message object to each member in a row: one group.
        if (last !== undefined && last.message === effect.message && last.firstSeq + last.to.length === this.lastSeq) {
          last.to.push(effect.to);
        } else {
          groups.push({ message: effect.message, to: [effect.to], firstSeq: this.lastSeq });
        }
        return { inc: this.options.incarnation, seq: this.lastSeq };
      },
      done: () => {
        const evidenceBefore = this.evidence.size;
        const sent = groups.map((g) => this.sentGroup(g));
        this.push({ at: this.elapsed(), cause, sent, persisted, ...(decided !== undefined ? { decided } : {}) });
        // A decision goes out at once (before the node even runs, its first report carries it),
        // and so does a step that sent a value not sent before (a vote, an accept): it is the
        // evidence the dashboard weighs decisions with, and a node sends only one or two per
        // ballot. The same value sent again (a vote resent to, or asked for by, a member that
        // lacks it: up to one per member in a slow room) is no new evidence and waits for the
        // next scheduled report like any other step: an immediate report per answer cost a tab
        // a report (view, serialisation, a frame of several KB) and a render per inbound message.
        const newEvidence = this.evidence.size > evidenceBefore || sent.some((g) => g.value !== undefined && !this.evidence.has(evidenceKey(g.kind, g.value)));
        if ((decided !== undefined || newEvidence) && started) this.flush(false);
        else this.schedule();
      },
    };
  }

  noteProposed(value: Value): void {
    if (this.proposedSince.length < MAX_FEED_ENTRIES_PER_REPORT) this.proposedSince.push(value);
  }

  noteRefusal(refusal: Refusal): void {
    if (this.refusals.length < MAX_FEED_ENTRIES_PER_REPORT) this.refusals.push(refusal);
    this.schedule();
  }

  /**
   * Sends what changed since the last report (or everything, when `full`), now. Splits the steps
   * over several reports when one would not fit in a message; the last part carries the view.
   */
  flush(full: boolean): void {
    const view = this.options.view();
    const viewChanged = this.lastView === undefined || !sameView(view, this.lastView);
    const first = this.nextReport === 0;
    const nothing =
      this.steps.length === 0 && this.proposedSince.length === 0 && this.refusals.length === 0 && this.droppedSteps === 0;
    const logPending = this.options.log?.pending() ?? false;
    if (!full && !first && !viewChanged && nothing && !logPending) return;
    const log = this.options.log?.take(full || first);
    const tail = {
      full: full || first,
      view: full || first || viewChanged ? view : undefined,
      proposed: full || first ? [...this.options.proposed()] : this.proposedSince,
      evidence: full || first ? [...this.evidence.values()] : [],
      refusals: this.refusals,
      log,
    };
    const steps = this.steps;
    let dropped = this.droppedSteps;
    this.steps = [];
    this.proposedSince = [];
    this.refusals = [];
    this.droppedSteps = 0;
    this.lastView = view;
    const reports: NodeReport[] = [];
    const emit = (part: readonly StepFact[], last: boolean): void => {
      const report = this.report(part, last ? tail : undefined, last ? dropped : 0);
      if (fits(JSON.stringify(report))) {
        // Numbered only once it is sure to go: numbers stay gapless across a split.
        this.nextReport = report.n >= MAX_MESSAGE_SEQ ? 0 : report.n + 1;
        reports.push(report);
        return;
      }
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        emit(part.slice(0, half), false);
        emit(part.slice(half), last);
        return;
      }
      // One step alone too large for a message (none of our algorithms sends that much in one
      // step): say it was dropped rather than send what the dashboard would refuse.
      if (last) {
        dropped += part.length;
        emit([], true);
      } else {
        dropped += part.length;
      }
    };
    for (let i = 0; i < steps.length || i === 0; i += MAX_STEPS_PER_REPORT) {
      emit(steps.slice(i, i + MAX_STEPS_PER_REPORT), i + MAX_STEPS_PER_REPORT >= steps.length);
    }
    this.lastReportAt = this.options.now();
    this.options.onReport(reports);
    // A log with more commits than one report carries sends the rest in the next frames.
    if (this.options.log?.pending()) this.schedule();
  }

  private report(
    steps: readonly StepFact[],
    tail:
      | {
          full: boolean;
          view: NodeView | undefined;
          proposed: readonly Value[];
          evidence: readonly Evidence[];
          refusals: readonly Refusal[];
          log: LogReport | undefined;
        }
      | undefined,
    droppedSteps: number,
  ): NodeReport {
    const n = this.nextReport;
    return {
      version: REPORT_VERSION,
      inc: this.options.incarnation,
      n,
      full: tail?.full ?? false,
      ...(tail?.full ? { seed: this.options.seed } : {}),
      ...(tail?.full && this.options.start !== undefined ? { start: this.options.start } : {}),
      ...(tail?.view !== undefined ? { view: tail.view } : {}),
      proposed: tail?.proposed ?? [],
      evidence: tail?.evidence ?? [],
      steps,
      droppedSteps,
      refusals: tail?.refusals ?? [],
      restarted: this.options.restarted,
      ...(this.options.stopped?.() === 'storage-full' ? { stopped: 'storage-full' as const } : {}),
      ...(tail?.log !== undefined ? { log: tail.log } : {}),
    };
  }

  private sentGroup(group: OpenGroup): SentGroup {
    const { kind, summary } = summarizeMessage(group.message);
    const raw = isRecord(group.message) ? group.message.value : undefined;
    const value = isBoundedString(raw, MAX_VALUE_LENGTH) ? raw : undefined;
    if (value !== undefined) {
      const key = evidenceKey(kind, value);
      if (!this.evidence.has(key) && this.evidence.size < MAX_EVIDENCE_PER_REPORT) this.evidence.set(key, { kind, value });
    }
    return { to: group.to, firstSeq: group.firstSeq, kind, summary, ...(value !== undefined ? { value } : {}) };
  }

  private push(step: StepFact): void {
    if (this.steps.length >= MAX_PENDING_STEPS) {
      this.steps.shift();
      this.droppedSteps++;
    }
    this.steps.push(step);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const onFrame = (): void => {
      // Too soon after the last report (an immediate one went meanwhile): wait again.
      if (this.waitMs() > 0) return wait();
      this.scheduled = false;
      this.flush(false);
    };
    // Too soon after the last report: the facts keep piling up here until the interval is over.
    const wait = (): void => {
      const ms = this.waitMs();
      if (ms > 0 && this.options.after !== undefined) this.options.after(() => this.options.scheduleFrame(onFrame), ms);
      else this.options.scheduleFrame(onFrame);
    };
    wait();
  }

  /** How much longer the next scheduled report must wait for minIntervalMs (0: it may go). */
  private waitMs(): number {
    return Math.max(0, (this.options.minIntervalMs ?? 0) - (this.options.now() - this.lastReportAt));
  }

  private elapsed(): number {
    return Math.max(0, Math.round(this.options.now() - this.startedAt));
  }
}

/** One piece of evidence: a message kind sent with a value. */
function evidenceKey(kind: string, value: Value): string {
  return `${kind}\n${value}`;
}

/** Two views say the same (a node's view is small: a few fields). */
export function sameView(a: NodeView, b: NodeView): boolean {
  if (a.phase !== b.phase || a.waitingFor !== b.waitingFor || a.decided !== b.decided) return false;
  if (!sameList(a.waitingOn ?? [], b.waitingOn ?? [])) return false;
  const ta = Object.entries(a.tally);
  const tb = b.tally;
  if (ta.length !== Object.keys(tb).length || ta.some(([value, count]) => tb[value] !== count)) return false;
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => f.label === b.fields[i]?.label && f.value === b.fields[i]?.value);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
