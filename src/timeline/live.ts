/**
 * A live decision as a space-time diagram, built from the members' coalesced reports as they
 * arrive, and every node's state at any step rebuilt with the pure machines.
 *
 * Building: each report is applied in time proportional to its size. Every step fact a report
 * lists becomes one step of the diagram (its column), in the order the dashboard heard of it;
 * each recipient of a send becomes a message line, joined to its receipt by the message id the
 * receiver reports ({inc, seq} of the sender). A receiver may report before its sender (they
 * report on their own frames): such a receive, and the node's later steps, wait ("park") until
 * the send is known, so a line never runs backwards in time. A sender whose report never comes
 * cannot stall a lane for good: after MAX_PARK_MS, or beyond MAX_PARKED_STEPS_PER_NODE, the
 * oldest goes unjoined. The receive's own report carries the message, so the replay of the
 * receiver never needs the sender's report.
 *
 * Replaying: a node's incarnation is deterministic given its start (members, seed, timing, the
 * durable state it started from) and its inputs in order (proposals, messages received, its own
 * timers by ordinal), all in its own reports. On demand (the scrubber moved), each node's machine is re-run forward from
 * where its replay stood, and the view after each step is kept, so stepping back costs a lookup.
 * Each replayed step is checked against what the node reported (how many messages it sent,
 * whether it persisted, what it decided, its view at the end of each report): a replay that
 * disagrees says where, instead of showing states the node never had.
 */
import { assertNever } from '../core/assert.ts';
import type { LogNodeEvent, NodeEffect, NodeId, NodeView } from '../core/types.ts';
import type { IncarnationStart, NodeReport, StepFact } from '../classroom/protocol.ts';
import { sameView } from '../classroom/report-buffer.ts';
import { startNode, type AlgorithmSpec, type Clock, type NodeHandle } from '../machines/spec.ts';
import { decisionOf, onceDurable } from '../core/write-once.ts';

/** What a diagram replays: a write-once algorithm, or a book's log algorithm (Raft, Multi-Paxos). */
export type ReplayedSpec = AlgorithmSpec;
import { MAX_PARK_MS, MAX_PARKED_STEPS_PER_NODE, MAX_TIMELINE_STEPS } from '../limits.ts';
import { columnIndex, type MessageFate, type Timeline, type TimelineMessage, type TimelinePoint } from './timeline.ts';

/** One entry of LiveTimeline.prefix: a node's step (with its incarnation), or the mark of a crash. */
export type PrefixEvent =
  | {
      readonly kind: 'step';
      readonly step: number;
      readonly node: NodeId;
      readonly inc: number;
      /** Its incarnation's place among the node's (0: the first). */
      readonly incIndex: number;
      readonly fact: StepFact;
      /** Why its incarnation cannot be replayed, if it cannot. */
      readonly gap: string | undefined;
    }
  | { readonly kind: 'crash'; readonly step: number; readonly node: NodeId };

/** A node's state at one step of the diagram, as the replay rebuilt it. */
export type ReplayedNode =
  /** The replayed view; `reported` is true where it was checked against the node's own report. */
  | { readonly kind: 'view'; readonly view: NodeView }
  /** Nothing of this node is known yet at this step. */
  | { readonly kind: 'not-started' }
  /** Between an incarnation's last step and its restart. */
  | { readonly kind: 'crashed' }
  /** The replay cannot show this step, and why (a missing report, a replay that disagreed). */
  | { readonly kind: 'unavailable'; readonly why: string }
  /** The replay ran out of this frame's time before it got there: ask again next frame. */
  | { readonly kind: 'pending' };

interface PlacedStep {
  readonly step: number;
  readonly fact: StepFact;
}

interface Incarnation {
  readonly node: NodeId;
  readonly inc: number;
  /** Its place among the node's incarnations (0: the first the dashboard heard of). */
  readonly index: number;
  seed: number | undefined;
  start: IncarnationStart | undefined;
  /** The number the next report of this incarnation must carry. */
  nextReport: number;
  /** Why a replay from the start is impossible (a report missed, steps dropped), once known. */
  gap: string | undefined;
  readonly steps: PlacedStep[];
  /** `steps[i].step`, beside them for the binary search of each scrub. */
  readonly stepNumbers: number[];
  /** Views the node reported, by the index of its last step placed when the report came. */
  readonly reportedViews: Map<number, NodeView>;
  /** The crash point's step, once a later incarnation of the node appeared (or the dashboard saw it go down). */
  crashedAt: number | undefined;
  /** The crash was the dashboard's word (markCrashed), not a restart's: a report of this incarnation takes it back. */
  crashMarked: boolean;
  replay: NodeReplay | undefined;
}

interface Lane {
  readonly node: NodeId;
  readonly incarnations: Incarnation[];
  readonly byInc: Map<number, Incarnation>;
  /** Steps waiting for a send to be known, oldest first (with the incarnation they belong to). */
  readonly parked: { readonly incarnation: Incarnation; readonly fact: StepFact; readonly atMs: number; readonly view?: NodeView }[];
}

interface KnownSend {
  /** Index in `messages`. */
  readonly index: number;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 120);
}

function sendKey(from: NodeId, inc: number, seq: number): string {
  return `${from}\n${inc}\n${seq}`;
}

export class LiveTimeline {
  private readonly lanes = new Map<NodeId, Lane>();
  private readonly points: TimelinePoint[] = [];
  private readonly messages: TimelineMessage[] = [];
  private readonly columns: number[] = [];
  private readonly pointSteps: number[] = [];
  private readonly messageSteps: number[] = [];
  private readonly sends = new Map<string, KnownSend>();
  /** Receives waiting for their send: key → the lane parked on it. */
  private readonly waiting = new Map<string, Lane>();
  private lastStep = 0;
  private changes = 0;
  private snapshot: { readonly version: number; readonly timeline: Timeline } | undefined;
  /** The diagram stopped growing at MAX_TIMELINE_STEPS. */
  truncated = false;

  constructor(
    readonly members: readonly NodeId[],
    private readonly spec: ReplayedSpec,
  ) {
    for (const node of members) this.lanes.set(node, { node, incarnations: [], byInc: new Map(), parked: [] });
  }

  /** Bumped by every change: the UI rebuilds its picture only when it moved. */
  get version(): number {
    return this.changes;
  }

  /** Applies one member's report (already validated): O(size of the report), amortised. */
  add(node: NodeId, report: NodeReport, atMs: number): void {
    const lane = this.lanes.get(node);
    if (lane === undefined) return;
    const incarnation = this.incarnationOf(lane, report);
    if (report.n !== incarnation.nextReport && incarnation.gap === undefined) {
      incarnation.gap = `a report of ${node} never arrived (got number ${report.n}, expected ${incarnation.nextReport})`;
    }
    if (report.droppedSteps > 0 && incarnation.gap === undefined) {
      incarnation.gap = `${node} dropped ${report.droppedSteps} steps it could not report`;
    }
    incarnation.nextReport = report.n + 1;
    // Marked crashed, and yet it reports: it was only unreachable (a frozen tab that came back).
    if (incarnation.crashMarked && report.steps.length > 0) this.unmarkCrash(incarnation);
    if (report.seed !== undefined) incarnation.seed = report.seed;
    if (report.start !== undefined) incarnation.start = report.start;
    const last = report.steps.length - 1;
    report.steps.forEach((fact, i) => {
      const view = i === last ? report.view : undefined;
      lane.parked.push({ incarnation, fact, atMs, ...(view !== undefined ? { view } : {}) });
    });
    // A report with no steps can still say the node's view (nothing new to place).
    if (report.steps.length === 0 && report.view !== undefined && lane.parked.length === 0) {
      const placed = incarnation.steps.length - 1;
      if (placed >= 0) incarnation.reportedViews.set(placed, report.view);
    }
    this.drain(lane);
    this.releaseStale(atMs);
    this.changes++;
  }

  /**
   * The dashboard judges `node` crashed (its tab closed for good, or the teacher crashed it): its
   * newest incarnation ends here, drawn as a crash, so a tab that never comes back is not shown
   * as up forever. A restart later adds only its restart mark; a report of the same incarnation
   * (it was only unreachable) takes the mark back. Nothing happens for a node the dashboard never
   * heard from in this decision, or one already marked.
   */
  markCrashed(node: NodeId, atMs: number): boolean {
    const lane = this.lanes.get(node);
    if (lane === undefined) return false;
    // Gone for good: its steps still waiting for a send will wait forever when the sender is gone
    // too (two tabs closed at once), and no later report would release them. They are placed
    // now, unjoined, as a stale wait is, so the lane can end in its crash (found by the e2e on a
    // quiet machine, where both closed tabs left receives of each other's messages parked).
    if (lane.parked.length > 0 && lane.incarnations.at(-1)?.crashedAt === undefined) this.releaseLane(lane);
    // An incarnation with no step placed yet (the tab closed before any step of this decision
    // reached the dashboard) still ends in a crash: the card says crashed, so does the lane.
    const incarnation = lane.incarnations.at(-1);
    if (incarnation === undefined) return false;
    if (incarnation.crashedAt !== undefined || lane.parked.length > 0 || this.lastStep + 1 > MAX_TIMELINE_STEPS) return false;
    incarnation.crashedAt = this.nextStep();
    incarnation.crashMarked = true;
    this.point({ node, step: incarnation.crashedAt, time: atMs, kind: 'crash' });
    this.changes++;
    return true;
  }

  private unmarkCrash(incarnation: Incarnation): void {
    const step = incarnation.crashedAt;
    incarnation.crashedAt = undefined;
    incarnation.crashMarked = false;
    const index = this.points.findIndex((p) => p.kind === 'crash' && p.node === incarnation.node && p.step === step);
    if (index !== -1) {
      this.points.splice(index, 1);
      this.pointSteps.splice(index, 1);
    }
    this.changes++;
  }

  /** Places every parked step of `lane` now, without waiting for the sends they name. */
  private releaseLane(lane: Lane): void {
    for (const [key, waiting] of this.waiting) if (waiting === lane) this.waiting.delete(key);
    while (lane.parked.length > 0) this.placeHead(lane, false).forEach((released) => this.drain(released));
  }

  /** Lanes that waited too long for a sender's report go on without it (O(parked lanes)). */
  private releaseStale(nowMs: number): void {
    for (const [key, lane] of this.waiting) {
      const head = lane.parked[0];
      if (head === undefined || head.atMs > nowMs - MAX_PARK_MS) continue;
      this.waiting.delete(key);
      this.placeHead(lane, false).forEach((released) => this.drain(released));
      this.drain(lane);
    }
  }

  /** Everything parked is placed (an imported trace is complete: nothing more will come). */
  finish(): void {
    for (const lane of this.lanes.values()) {
      while (lane.parked.length > 0) this.placeHead(lane, true);
    }
    this.waiting.clear();
    this.changes++;
  }

  /** The diagram's data; a new object whenever something changed (same arrays, grown). */
  get timeline(): Timeline {
    if (this.snapshot?.version !== this.changes) {
      this.snapshot = {
        version: this.changes,
        timeline: {
          nodes: this.members,
          points: this.points,
          messages: this.messages,
          columns: this.columns,
          pointSteps: this.pointSteps,
          messageSteps: this.messageSteps,
          lastStep: this.lastStep,
        },
      };
    }
    return this.snapshot.timeline;
  }

  /**
   * Every member's state after step `step` of the diagram, rebuilt by replay. A replay costs what
   * the node's own steps cost (a 30-member broadcast is a few ms), so a first scrub far into a
   * long run is spread over frames: past `deadline` (a performance.now() reading) the nodes not
   * yet replayed that far are 'pending', and the next call goes on from where this one stopped.
   */
  statesAt(step: number, deadline = Number.POSITIVE_INFINITY): Map<NodeId, ReplayedNode> {
    return new Map(this.members.map((node) => [node, this.stateAt(node, step, deadline)] as const));
  }

  stateAt(node: NodeId, step: number, deadline = Number.POSITIVE_INFINITY): ReplayedNode {
    const lane = this.lanes.get(node);
    if (lane === undefined) return { kind: 'not-started' };
    // The incarnation under way at `step`: the last one whose life began at or before it. Between
    // a crash and the restart the node is down (an incarnation whose steps all went unreported,
    // the tab closed before its next frame, has a crash mark and nothing else).
    let incarnation: Incarnation | undefined;
    let crashed = false;
    for (const candidate of lane.incarnations) {
      const first = candidate.steps[0]?.step;
      if (first !== undefined && first <= step) {
        incarnation = candidate;
        crashed = false;
      }
      if (candidate.crashedAt !== undefined && candidate.crashedAt <= step) crashed = true;
    }
    if (crashed) return { kind: 'crashed' };
    if (incarnation === undefined) {
      // Before its first step: the first incarnation's start state, if it can be replayed.
      const first = lane.incarnations[0];
      if (first === undefined) return { kind: 'not-started' };
      return this.replayed(first, -1, deadline);
    }
    const index = columnIndex(incarnation.stepNumbers, step + 1) - 1;
    return this.replayed(incarnation, index, deadline);
  }

  /**
   * Every step placed up to `step`, in the diagram's order, with the incarnation it belongs to,
   * and the crash marks: what "branch from here" re-enacts in the simulator (ui/trace-branch.ts).
   */
  prefix(step: number): PrefixEvent[] {
    const events: PrefixEvent[] = [];
    for (const lane of this.lanes.values()) {
      for (const incarnation of lane.incarnations) {
        for (const placed of incarnation.steps) {
          if (placed.step > step) break;
          events.push({ kind: 'step', step: placed.step, node: lane.node, inc: incarnation.inc, incIndex: incarnation.index, fact: placed.fact, gap: incarnation.gap });
        }
        if (incarnation.crashedAt !== undefined && incarnation.crashedAt <= step) events.push({ kind: 'crash', step: incarnation.crashedAt, node: lane.node });
      }
    }
    return events.sort((a, b) => a.step - b.step);
  }

  /**
   * The label (the delayed event's type) of the timer `node`'s incarnation `inc` scheduled
   * `ordinal`-th, once its replay got that far (statesAt past the step that set it).
   */
  timerLabel(node: NodeId, inc: number, ordinal: number): string | undefined {
    return this.lanes.get(node)?.byInc.get(inc)?.replay?.timerLabels[ordinal - 1];
  }

  /** Where a replay disagreed with what a node reported, per node (empty when all agree so far). */
  disagreements(): Map<NodeId, string> {
    const out = new Map<NodeId, string>();
    for (const lane of this.lanes.values()) {
      for (const incarnation of lane.incarnations) {
        const problem = incarnation.replay?.problem;
        if (problem !== undefined) out.set(lane.node, problem);
      }
    }
    return out;
  }

  private replayed(incarnation: Incarnation, index: number, deadline: number): ReplayedNode {
    if (incarnation.gap !== undefined) return { kind: 'unavailable', why: incarnation.gap };
    if (incarnation.seed === undefined || incarnation.start === undefined) {
      return { kind: 'unavailable', why: 'its reports do not say how it started (a tab of an older version)' };
    }
    if (incarnation.start.durableOmitted === true) return { kind: 'unavailable', why: 'it restarted from a stored log too large to carry in its report' };
    if (incarnation.replay === undefined && performance.now() > deadline) return { kind: 'pending' };
    if (incarnation.replay === undefined) {
      // What a report says is a claim (an imported file, a lying member): a machine that throws
      // on it makes this node unavailable, never the page.
      try {
        incarnation.replay = new NodeReplay(this.spec, {
          self: incarnation.node,
          members: this.members,
          seed: incarnation.seed,
          timing: incarnation.start.timing,
          durable: incarnation.start.durable,
        });
      } catch (error) {
        incarnation.gap = `its machine could not start from what its report says (${errorText(error)})`;
        return { kind: 'unavailable', why: incarnation.gap };
      }
    }
    const replay = incarnation.replay;
    while (replay.applied <= index && replay.problem === undefined) {
      if (performance.now() > deadline) return { kind: 'pending' };
      const placed = incarnation.steps[replay.applied];
      if (placed === undefined) break;
      try {
        replay.apply(placed.fact);
      } catch (error) {
        replay.problem = `the replay of step ${replay.applied + 1} failed (${errorText(error)})`;
      }
      const reported = incarnation.reportedViews.get(replay.applied - 1);
      if (reported !== undefined && replay.problem === undefined) replay.check(reported);
    }
    if (replay.problem !== undefined && replay.applied <= index + 1) return { kind: 'unavailable', why: replay.problem };
    const view = index < 0 ? replay.startView : replay.views[index];
    return view === undefined ? { kind: 'unavailable', why: replay.problem ?? 'not replayed' } : { kind: 'view', view };
  }

  private incarnationOf(lane: Lane, report: NodeReport): Incarnation {
    const known = lane.byInc.get(report.inc);
    if (known !== undefined) return known;
    const incarnation: Incarnation = {
      node: lane.node,
      inc: report.inc,
      index: lane.incarnations.length,
      seed: undefined,
      start: undefined,
      nextReport: 0,
      gap: undefined,
      steps: [],
      stepNumbers: [],
      reportedViews: new Map(),
      crashedAt: undefined,
      crashMarked: false,
      replay: undefined,
    };
    lane.incarnations.push(incarnation);
    lane.byInc.set(incarnation.inc, incarnation);
    return incarnation;
  }

  /** Places the lane's parked steps in order until one waits for a send nobody reported yet. */
  private drain(first: Lane): void {
    const queue = [first];
    while (queue.length > 0) {
      const lane = queue.shift()!;
      while (lane.parked.length > 0) {
        const head = lane.parked[0]!;
        const cause = head.fact.cause;
        if (cause.kind === 'receive' && !this.sends.has(sendKey(cause.from, cause.id.inc, cause.id.seq))) {
          if (lane.parked.length <= MAX_PARKED_STEPS_PER_NODE) {
            this.waiting.set(sendKey(cause.from, cause.id.inc, cause.id.seq), lane);
            break;
          }
          this.waiting.delete(sendKey(cause.from, cause.id.inc, cause.id.seq));
        }
        queue.push(...this.placeHead(lane, false));
      }
    }
  }

  /** Places the lane's oldest parked step; returns the lanes that were waiting on what it sent. */
  private placeHead(lane: Lane, final: boolean): Lane[] {
    const { incarnation, fact, atMs, view } = lane.parked.shift()!;
    const released: Lane[] = [];
    if (this.lastStep + 3 > MAX_TIMELINE_STEPS) {
      this.truncated = true;
      return released;
    }
    if (incarnation.steps.length === 0) this.beginIncarnation(lane, incarnation, atMs);
    const step = this.nextStep();
    incarnation.steps.push({ step, fact });
    incarnation.stepNumbers.push(step);
    if (view !== undefined) incarnation.reportedViews.set(incarnation.steps.length - 1, view);
    const cause = fact.cause;
    switch (cause.kind) {
      case 'propose':
        this.point({ node: lane.node, step, time: atMs, kind: 'propose', value: cause.value });
        break;
      case 'timer':
        this.point({ node: lane.node, step, time: atMs, kind: 'timer' });
        break;
      case 'receive': {
        const known = this.sends.get(sendKey(cause.from, cause.id.inc, cause.id.seq));
        if (known !== undefined) this.settle(known.index, { kind: 'received', step, time: atMs });
        break;
      }
      case 'start':
      case 'compact':
        break;
      default:
        assertNever(cause, 'step cause');
    }
    if (fact.persisted) this.point({ node: lane.node, step, time: atMs, kind: 'persist' });
    if (fact.decided !== undefined) this.point({ node: lane.node, step, time: atMs, kind: 'decide', value: fact.decided });
    for (const group of fact.sent) {
      group.to.forEach((to, i) => {
        const key = sendKey(lane.node, incarnation.inc, group.firstSeq + i);
        const index = this.messages.length;
        this.messages.push({
          id: index,
          from: lane.node,
          to,
          step,
          time: atMs,
          kind: group.kind,
          summary: group.summary,
          ...(group.value !== undefined ? { value: group.value } : {}),
          fate: { kind: 'in-flight' },
        });
        this.messageSteps.push(step);
        this.sends.set(key, { index });
        const waiter = final ? undefined : this.waiting.get(key);
        if (waiter !== undefined) {
          this.waiting.delete(key);
          released.push(waiter);
        }
      });
    }
    return released;
  }

  /** A later incarnation of a node: the earlier one crashed (its tab closed), this one restarted. */
  private beginIncarnation(lane: Lane, incarnation: Incarnation, atMs: number): void {
    const previous = lane.incarnations[incarnation.index - 1];
    if (previous === undefined) return;
    // A crash the dashboard marked is now certain: the node restarted.
    previous.crashMarked = false;
    if (previous.crashedAt === undefined) {
      previous.crashedAt = this.nextStep();
      this.point({ node: lane.node, step: previous.crashedAt, time: atMs, kind: 'crash' });
    }
    this.point({ node: lane.node, step: this.nextStep(), time: atMs, kind: 'restart' });
  }

  private nextStep(): number {
    this.lastStep++;
    this.columns.push(this.lastStep);
    return this.lastStep;
  }

  private point(point: TimelinePoint): void {
    this.points.push(point);
    this.pointSteps.push(point.step);
  }

  /** Messages are immutable objects: a settled one is replaced, so a view holding the old one stays true. */
  private settle(index: number, fate: MessageFate): void {
    const message = this.messages[index];
    if (message !== undefined) this.messages[index] = { ...message, fate };
  }
}

/**
 * One incarnation of one node, re-run with its pure machine on a clock that never fires by
 * itself: a recorded timer step fires the timer of that ordinal, so the replay takes exactly the
 * steps the node took, in its order.
 */
class NodeReplay {
  readonly views: NodeView[] = [];
  readonly startView: NodeView;
  /** Steps applied so far (the index of the next one). */
  applied = 0;
  problem: string | undefined;
  private readonly handle: NodeHandle<unknown, LogNodeEvent<unknown>>;
  private readonly timers: ({ readonly fire: () => void; readonly due: number } | undefined)[] = [];
  /** Each timer's label by ordinal (what the simulator fires a timer by, for "branch from here"). */
  readonly timerLabels: (string | undefined)[] = [];
  private effects: NodeEffect<unknown, unknown>[] = [];
  private now = 0;

  constructor(
    private readonly spec: ReplayedSpec,
    input: { self: NodeId; members: readonly NodeId[]; seed: number; timing: IncarnationStart['timing']; durable: unknown },
  ) {
    const clock: Clock = {
      setTimeout: (fire, ms, label) => {
        this.timers.push({ fire, due: this.now + ms });
        this.timerLabels.push(label);
        return this.timers.length;
      },
      clearTimeout: (id) => {
        if (typeof id === 'number') this.timers[id - 1] = undefined;
      },
    };
    // A write-once node's report carries the state it stored (as a tab stores it): its log's `hard`.
    const durable = spec.kind === 'log' ? input.durable : onceDurable(input.durable);
    this.handle = startNode<unknown, unknown, LogNodeEvent<unknown>>(spec, { ...input, durable }, clock, (effects) => this.effects.push(...effects));
    this.startView = this.handle.view();
  }

  apply(fact: StepFact): void {
    // A start step is the machine's start, which the constructor ran.
    if (fact.cause.kind !== 'start') this.effects = [];
    this.now = fact.at;
    const cause = fact.cause;
    switch (cause.kind) {
      case 'start':
        break;
      case 'propose':
        if (this.spec.kind === 'log') {
          // A book's command: the replica handed its machine this (client, seq, command).
          if (cause.submit === undefined) {
            this.problem = 'its report does not say which command it submitted (a tab of an older version)';
            return;
          }
          this.handle.send({ type: 'submit', client: cause.submit.client, seq: cause.submit.seq, command: cause.submit.command });
        } else {
          this.handle.send({ type: 'tryInitialize', value: cause.value });
        }
        break;
      case 'compact':
        this.problem = `it compacted its log at index ${cause.index}: the state it compacted is not in its reports, so the replay stops here`;
        return;
      case 'receive': {
        const message = cause.message === undefined ? undefined : this.spec.parseMessage(cause.message);
        if (message === undefined) {
          this.problem =
            cause.message === undefined
              ? `its report does not say what ${cause.from} sent it (a tab of an older version)`
              : `what it received from ${cause.from} is not a message of this algorithm`;
          return;
        }
        this.handle.send({ type: 'receive', from: cause.from, message });
        break;
      }
      case 'timer': {
        const index = cause.timer !== undefined ? cause.timer - 1 : this.earliestTimer();
        const timer = index === undefined ? undefined : this.timers[index];
        if (timer === undefined) {
          this.problem = `a timer fired that the replayed machine had not set (or had cancelled)`;
          return;
        }
        this.timers[index!] = undefined;
        timer.fire();
        break;
      }
      default:
        assertNever(cause, 'step cause');
    }
    this.compare(fact);
    this.views.push(this.sameAsLast(this.handle.view()));
    this.applied++;
  }

  /** The replay's view must be what the node reported at the end of one of its reports. */
  check(reported: NodeView): void {
    const replayed = this.views[this.applied - 1];
    if (replayed !== undefined && !sameView(replayed, reported)) {
      this.problem = `the replay shows "${replayed.phase}" where the node reported "${reported.phase}" (step ${this.applied})`;
    }
  }

  private compare(fact: StepFact): void {
    const sent = this.effects.filter((e) => e.type === 'send').length;
    const reportedSent = fact.sent.reduce((n, g) => n + g.to.length, 0);
    const persisted = this.effects.some((e) => e.type === 'persistLog');
    // A write-once node's commit (index 1) is its decision; a log node's commits are not reported as steps' decisions.
    const commit = this.spec.kind === 'once' ? this.effects.find((e) => e.type === 'commit') : undefined;
    const decided = commit === undefined ? undefined : { value: decisionOf(commit.entries) };
    // The start's effects were collected in the constructor; they are this fact's.
    if (fact.cause.kind === 'start') this.effects = [];
    if (sent !== reportedSent || persisted !== fact.persisted || decided?.value !== fact.decided) {
      this.problem = `the replay of step ${this.applied + 1} sent ${sent} messages where the node reported ${reportedSent}`;
      if (persisted !== fact.persisted) this.problem = `the replay of step ${this.applied + 1} disagrees on writing storage`;
      if (decided?.value !== fact.decided) this.problem = `the replay of step ${this.applied + 1} decided ${decided?.value ?? 'nothing'}, the node ${fact.decided ?? 'nothing'}`;
    }
  }

  /** Older tabs did not number timers: the one due first is the one the clock fired. */
  private earliestTimer(): number | undefined {
    let best: number | undefined;
    this.timers.forEach((timer, i) => {
      if (timer !== undefined && (best === undefined || timer.due < this.timers[best]!.due)) best = i;
    });
    return best;
  }

  /** Consecutive steps that change nothing visible share one view object. */
  private sameAsLast(view: NodeView): NodeView {
    const last = this.views.at(-1) ?? this.startView;
    return sameView(view, last) ? last : view;
  }
}

/** A report as the dashboard received it (dashboard.ts TraceEntry, an exported trace's entry). */
export interface ReceivedReport {
  readonly atMs: number;
  readonly node: NodeId;
  readonly report: NodeReport;
}

/**
 * A LiveTimeline fed from the dashboard's append-only list of received reports: each call reads
 * only the entries added since the last one, so a frame costs what arrived during it.
 */
export class ReportFeed {
  readonly timeline: LiveTimeline;
  private consumed = 0;

  constructor(members: readonly NodeId[], spec: ReplayedSpec) {
    this.timeline = new LiveTimeline(members, spec);
  }

  catchUp(entries: readonly ReceivedReport[]): LiveTimeline {
    for (; this.consumed < entries.length; this.consumed++) {
      const entry = entries[this.consumed]!;
      this.timeline.add(entry.node, entry.report, entry.atMs);
    }
    return this.timeline;
  }
}
