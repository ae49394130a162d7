/**
 * The deterministic simulator every host of "many nodes in one process" uses: the unit tests,
 * the swarm, the `sim` command and the benchmarks. It imports no Node API (only cli.ts does),
 * so a page can run it as it is.
 *
 * Each node is a real XState actor started with `startNode` and a Clock that schedules on the
 * simulator's virtual time. Everything that can happen is an event in one priority queue
 * (message deliveries, timer firings, scheduled proposals) ordered by virtual time, ties broken
 * by insertion order; all randomness (delays, loss, duplication, node PRNG seeds) comes from the
 * run's seed. Same seed, same calls → same trace, bit for bit.
 *
 * Fault model:
 * - links: per directed link a uniform delay [min, max] (independent per message, which is how
 *   messages get reordered), a loss probability and a duplication probability; the fate of a
 *   message is decided when it is sent;
 * - partitions: symmetric groups and one-way cuts, checked when a message is sent;
 * - crash-stop / crash-restart: a crash stops the actor, cancels its timers and discards every
 *   message in flight to it (even if it restarts before they would arrive). A restart starts a
 *   NEW actor whose `durable` input is the last state it persisted. Persisting is synchronous and
 *   happens before any message of the same step is sent (persist-before-reply);
 * - pause/resume (a backgrounded phone): the node's timers and deliveries are deferred, not lost,
 *   and run in their original order when it resumes;
 * - messages to self go through the queue with the self-link's delay, and are never lost,
 *   duplicated, held or partitioned;
 * - manual delivery: messages matched by a hold rule are kept aside until the caller delivers or
 *   drops them one by one.
 */
import { assertNever } from '../core/assert.ts';
import { epochKey } from '../core/log.ts';
import { Prng } from '../core/prng.ts';
import type { AcceptorProbe, CommittedEntry, CompactEvent, Epoch, LogEntryFact, LogSnapshot, LogView, NodeEffect, NodeId, NodeView, PersistOp, SubmitEvent, Timing, Value } from '../core/types.ts';
import { SIM_MAX_STEPS } from '../limits.ts';
import { startNode, type AlgorithmSpec, type Clock, type MachineState, type NodeHandle, type OnceAlgorithmSpec } from '../machines/spec.ts';
import { decisionOf, hardStateOf, onceDurable } from '../core/write-once.ts';
import { EventQueue, type Scheduled } from './queue.ts';
import type { DiscardReason, LinkConfig, LossReason, TraceEntry, TraceLevel } from './trace.ts';

/**
 * Timing the simulator gives every node unless told otherwise. Chosen against DEFAULT_LINK:
 * a round trip is 10–50 ms, so retransmitting every 100 ms and giving a Paxos phase 300 ms
 * leaves room for slow links without stretching fault-free runs.
 */
export const DEFAULT_TIMING: Timing = {
  retransmitMs: 100,
  impatienceMs: 300,
  backoffMs: 100,
  phaseTimeoutMs: 300,
};

/** A LAN-like link: 5–25 ms, no loss, no duplication. */
export const DEFAULT_LINK: LinkConfig = { minDelayMs: 5, maxDelayMs: 25, loss: 0, duplicate: 0 };

export type NodeStatus = 'up' | 'paused' | 'down';

/** Which messages (by sender, receiver and the message itself) manual delivery holds. */
export type HoldRule = (from: NodeId, to: NodeId, message: unknown) => boolean;

/**
 * Chooses message delays instead of the links' uniform draw (PCT priority scheduling, see
 * pct.ts). Loss, duplication, partitions and holds still apply as configured; only the delay of
 * each message that will be delivered comes from here.
 */
export interface DeliverySchedule {
  /** Delay (ms, finite, ≥ 0) of the `sent`-th message of the run (1-based), `message`, sent on from → to. */
  delayMs(from: NodeId, to: NodeId, sent: number, message: unknown): number;
}

export interface SimulationOptions<M, D, S extends AlgorithmSpec<M> = OnceAlgorithmSpec<M, D>> {
  readonly algorithm: S;
  /** Member ids, or a count (ids n1…nN, zero-padded so string order is numeric order). */
  readonly nodes: readonly NodeId[] | number;
  readonly seed: number;
  readonly timing?: Partial<Timing>;
  /** Default link for every directed pair (and self). */
  readonly link?: Partial<LinkConfig>;
  /** 'full' (default) records every message; 'facts' only what the checker needs. */
  readonly trace?: TraceLevel;
  /** Hold messages for manual delivery: all of them (true) or those a rule picks. */
  readonly manual?: boolean | HoldRule;
  /** Runs stop with 'step-limit' past this many steps. */
  readonly maxSteps?: number;
  /** Validate every delivered message with the algorithm's `parseMessage` (on by default). */
  readonly validateMessages?: boolean;
  /** Message delays from a schedule instead of the links' random draw (until `setSchedule`). */
  readonly schedule?: DeliverySchedule;
  /** Log algorithms: called with every `commit` effect, after it is recorded (the host applies it). */
  readonly onCommit?: (node: NodeId, incarnation: number, entries: readonly CommittedEntry[]) => void;
  /**
   * Log algorithms: the node's state machine must now be `state`, the snapshot's (it installed
   * one from a peer, or restarts from the one it stored); its next commit is `snapshot.index + 1`.
   */
  readonly onRestore?: (node: NodeId, incarnation: number, snapshot: LogSnapshot, state: unknown, cause: 'install' | 'restart') => void;
  /**
   * Log algorithms: what some nodes find in storage at their first start (a schedule file's
   * `initial` section, e.g. the Raft paper's Figure 7 logs), as if they had persisted it.
   */
  readonly initialStorage?: Readonly<Record<NodeId, { readonly hard: unknown; readonly entries: readonly unknown[] }>>;
}

export interface HeldMessage {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
  readonly sentAt: number;
}

export interface Decision {
  readonly node: NodeId;
  readonly value: Value;
  readonly time: number;
  readonly step: number;
  readonly incarnation: number;
}

export interface SimulationCounters {
  /** Messages nodes handed to the network (self-messages included, duplicates not). */
  sent: number;
  delivered: number;
  /** Lost on the wire: random loss or a partition. */
  lost: number;
  duplicated: number;
  /** Reached a crashed node, or dropped by hand. */
  discarded: number;
  timers: number;
}

/**
 * Why `runUntil` returned: the deadline came ('time'), the predicate held ('predicate'), nothing
 * is left to happen ('idle': the queue is empty; the clock still moves to a finite deadline), or
 * the run hit its step limit ('step-limit').
 */
export type RunStop = 'time' | 'predicate' | 'idle' | 'step-limit';

/** One node of `Simulation.runState()`. */
export interface RunStateNode {
  readonly id: NodeId;
  readonly status: NodeStatus;
  readonly incarnation: number;
  /** The running incarnation's machine state; undefined while down. */
  readonly machine: MachineState | undefined;
  /** The JSON of what it last persisted (where a restart begins). */
  readonly durable: string | undefined;
  /** Every value it decided, over all its incarnations. */
  readonly decided: readonly Value[];
}

/** A message that can still arrive: queued, held for manual delivery, or deferred at a paused node. */
export interface RunStateMessage {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
  readonly held: boolean;
}

/**
 * The run's state right now, as plain data (the explorer carries on from it): every node's
 * machine state, timers and storage, and every message still able to arrive. Messages to a
 * node that crashed after they were sent are not in it: the simulator will discard them.
 */
export interface RunState {
  readonly nodes: readonly RunStateNode[];
  readonly inFlight: readonly RunStateMessage[];
  /** Crashes so far (a restarted node's crash counts). */
  readonly crashes: number;
  readonly restarts: number;
}

export class SimulationError extends Error {
  override readonly name = 'SimulationError';
}

interface Delivery extends Scheduled {
  readonly kind: 'deliver';
  readonly to: number;
  /** The receiver's incarnation when the message was sent: a crash in between discards it. */
  readonly incarnation: number;
  readonly from: number;
  readonly id: number;
  readonly message: unknown;
}
interface TimerFiring extends Scheduled {
  readonly kind: 'timer';
  readonly to: number;
  readonly incarnation: number;
  readonly fn: () => void;
  /** What the node asked for (for `fireTimer`, which picks a node's timer by its delay). */
  readonly delayMs: number;
  /** The delayed event's type (see Clock.setTimeout), for fireTimer and the trace. */
  readonly label: string | undefined;
  cancelled: boolean;
}
interface ScheduledProposal extends Scheduled {
  readonly kind: 'propose';
  readonly to: number;
  readonly value: Value;
}
/** A client command for a log algorithm, scheduled like a proposal. */
interface ScheduledSubmit extends Scheduled {
  readonly kind: 'submit';
  readonly to: number;
  readonly submission: Submission;
}
type QueuedEvent = Delivery | TimerFiring | ScheduledProposal | ScheduledSubmit;

/** What a client hands a log algorithm: (client, seq) names it, `command` is opaque to the log. */
export type Submission = Omit<SubmitEvent, 'type'>;

/** Events the simulator sends a node: the write-once ones, and `submit` for log algorithms. */
type HostEvent<M> = { readonly type: 'tryInitialize'; readonly value: Value } | { readonly type: 'receive'; readonly from: NodeId; readonly message: M } | SubmitEvent | CompactEvent;

interface HeldEntry extends HeldMessage {
  readonly fromIndex: number;
  readonly toIndex: number;
  readonly incarnation: number;
}

interface SimNode<M> {
  readonly id: NodeId;
  readonly index: number;
  status: NodeStatus;
  incarnation: number;
  handle: NodeHandle<M, HostEvent<M>> | undefined;
  /** Durable storage: the JSON of the last persisted state, as a browser's storage would keep it. */
  durable: string | undefined;
  /** Log algorithms' storage: the hard state's JSON and each entry's JSON by index (see PersistOp). */
  durableHard: string | undefined;
  durableLog: Map<number, string>;
  /** Log algorithms: the stored snapshot (it replaced the entries up to its index). */
  durableSnapshot: LogSnapshot | undefined;
  /** Log algorithms: the role and epoch last recorded, so a trace line marks each change. */
  lastRole: string | undefined;
  /** Value decided by the current incarnation, and when. */
  decided: Value | undefined;
  decidedAt: number;
  /** Events that came due while paused, in due order. */
  deferred: QueuedEvent[];
  lastProbe: AcceptorProbe | undefined;
}

export function nodeIds(count: number): NodeId[] {
  if (!Number.isInteger(count) || count < 1) throw new SimulationError(`node count must be a positive integer, got ${count}`);
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `n${String(i + 1).padStart(width, '0')}`);
}

export class Simulation<M = unknown, D = unknown, S extends AlgorithmSpec<M> = OnceAlgorithmSpec<M, D>> {
  readonly algorithm: S;
  readonly seed: number;
  readonly members: readonly NodeId[];
  readonly timing: Timing;
  readonly traceLevel: TraceLevel;
  readonly trace: TraceEntry[] = [];
  readonly decisions: Decision[] = [];
  readonly counters: SimulationCounters = { sent: 0, delivered: 0, lost: 0, duplicated: 0, discarded: 0, timers: 0 };
  /** Timers set and neither fired nor cleared (stale incarnations are skipped where read). */
  private readonly pendingTimers = new Set<TimerFiring>();
  readonly maxSteps: number;

  private nowMs = 0;
  private stepIndex = 0;
  private nextMessageId = 1;
  private readonly full: boolean;
  private readonly validate: boolean;
  private readonly prng: Prng;
  private readonly queue = new EventQueue<QueuedEvent>();
  private readonly nodes: SimNode<M>[];
  private readonly indexOf = new Map<NodeId, number>();
  private readonly n: number;
  // Directed link parameters, indexed from * n + to.
  private readonly minDelay: Float64Array;
  private readonly maxDelay: Float64Array;
  private readonly loss: Float64Array;
  private readonly duplicate: Float64Array;
  /** 1 where from → to is cut by a partition or a one-way cut. */
  private readonly blocked: Uint8Array;
  private holdRule: HoldRule | undefined;
  private holdSelf = false;
  private schedule: DeliverySchedule | undefined;
  private readonly heldMessages = new Map<number, HeldEntry>();
  /** Queued deliveries carried out early (deliverNow): skipped when their time comes. */
  private readonly takenEarly = new Set<number>();
  private readonly onCommit: SimulationOptions<M, D, S>['onCommit'];
  private readonly onRestore: SimulationOptions<M, D, S>['onRestore'];
  /** Compactions asked for while a node's effects are being carried out: handed over right after. */
  private readonly compactions: { readonly node: SimNode<M>; readonly incarnation: number; readonly event: CompactEvent }[] = [];
  private effectsDepth = 0;

  constructor(options: SimulationOptions<M, D, S>) {
    this.algorithm = options.algorithm;
    this.seed = options.seed;
    this.members = typeof options.nodes === 'number' ? nodeIds(options.nodes) : [...options.nodes];
    if (this.members.length === 0) throw new SimulationError('a simulation needs at least one node');
    this.n = this.members.length;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.traceLevel = options.trace ?? 'full';
    this.full = this.traceLevel === 'full';
    this.validate = options.validateMessages ?? true;
    this.maxSteps = options.maxSteps ?? SIM_MAX_STEPS;
    this.onCommit = options.onCommit;
    this.onRestore = options.onRestore;
    // A stream of its own for the network, so node seeds and network draws never shift each other.
    this.prng = Prng.fromSeed((options.seed ^ 0x5eed1e55) >>> 0);
    const pairs = this.n * this.n;
    this.minDelay = new Float64Array(pairs);
    this.maxDelay = new Float64Array(pairs);
    this.loss = new Float64Array(pairs);
    this.duplicate = new Float64Array(pairs);
    this.blocked = new Uint8Array(pairs);
    this.members.forEach((id, index) => {
      if (this.indexOf.has(id)) throw new SimulationError(`duplicate node id "${id}"`);
      this.indexOf.set(id, index);
    });
    this.applyLink(undefined, undefined, { ...DEFAULT_LINK, ...options.link });
    this.setManual(options.manual ?? false);
    this.schedule = options.schedule;
    this.nodes = this.members.map((id, index) => ({
      id,
      index,
      status: 'up',
      incarnation: 0,
      handle: undefined,
      durable: undefined,
      durableHard: undefined,
      durableLog: new Map(),
      durableSnapshot: undefined,
      lastRole: undefined,
      decided: undefined,
      decidedAt: 0,
      deferred: [],
      // A fresh acceptor has promised nothing: only changes from that are worth a trace line.
      lastProbe: EMPTY_PROBE,
    }));
    for (const [id, stored] of Object.entries(options.initialStorage ?? {})) {
      const node = this.node(id);
      if (stored.hard !== undefined) node.durableHard = JSON.stringify(stored.hard);
      stored.entries.forEach((entry, i) => node.durableLog.set(i + 1, JSON.stringify(entry)));
    }
    for (const node of this.nodes) {
      this.stepIndex++;
      this.record({ kind: 'start', step: this.stepIndex, time: 0, node: node.id, incarnation: 0 });
      this.boot(node);
    }
  }

  // ---- clock and inspection ------------------------------------------------------------------

  /** Current virtual time, in ms. */
  get now(): number {
    return this.nowMs;
  }

  /** Index of the last step taken (processed event or outside action). */
  get steps(): number {
    return this.stepIndex;
  }

  /** Events waiting in the queue (cancelled timers included until they are skipped). */
  get pending(): number {
    return this.queue.size;
  }

  status(node: NodeId): NodeStatus {
    return this.node(node).status;
  }

  /** The node's view, or undefined while it is down. */
  view(node: NodeId): NodeView | undefined {
    return this.node(node).handle?.view();
  }

  views(): Record<NodeId, NodeView | undefined> {
    const views: Record<NodeId, NodeView | undefined> = {};
    for (const node of this.nodes) views[node.id] = node.handle?.view();
    return views;
  }

  probe(node: NodeId): AcceptorProbe | undefined {
    return this.node(node).handle?.probe();
  }

  /** Log algorithms: the node's typed log view, or undefined while it is down. */
  logView(node: NodeId): LogView | undefined {
    return this.node(node).handle?.logView();
  }

  /** Log algorithms: every entry the node holds now (for the log-matching audit), or undefined while it is down. */
  logEntries(node: NodeId): readonly LogEntryFact[] | undefined {
    return this.node(node).handle?.logEntries();
  }

  /** Log algorithms: how many entries the node's storage holds (the persisted log's length). */
  storedEntries(node: NodeId): number {
    return this.node(node).durableLog.size;
  }

  /** Log algorithms: the last index the node's stored snapshot covers (0: none). */
  storedSnapshotIndex(node: NodeId): number {
    return this.node(node).durableSnapshot?.index ?? 0;
  }

  /**
   * Log algorithms: the host applied `node`'s committed prefix up to `index` and hands it that
   * state to compact its log (a `compact` event). Asked while the node's effects are being
   * carried out (from `onCommit`), it is handed over right after them, as one more step of the
   * same instant; a node that is not up ignores it.
   */
  compact(node: NodeId, index: number, state: unknown): void {
    const target = this.node(node);
    const event: CompactEvent = { type: 'compact', index, state };
    if (this.effectsDepth > 0) {
      this.compactions.push({ node: target, incarnation: target.incarnation, event });
      return;
    }
    if (target.status !== 'up' || target.handle === undefined) return;
    (target.handle as NodeHandle<M, HostEvent<M>>).send(event);
  }

  /** Value decided by the node's current incarnation (undefined if down or undecided). */
  decidedValue(node: NodeId): Value | undefined {
    return this.node(node).decided;
  }

  liveNodes(): NodeId[] {
    return this.nodes.filter((node) => node.status !== 'down').map((node) => node.id);
  }

  /** Every node that is not down has decided (in its current incarnation). */
  allLiveDecided(): boolean {
    for (const node of this.nodes) if (node.status !== 'down' && node.decided === undefined) return false;
    return true;
  }

  /** When the last node that is not down decided, if they all have (in their current incarnation). */
  allLiveDecidedAt(): number | undefined {
    let latest = 0;
    for (const node of this.nodes) {
      if (node.status === 'down') continue;
      if (node.decided === undefined) return undefined;
      if (node.decidedAt > latest) latest = node.decidedAt;
    }
    return latest;
  }

  /** Inspection for the explorer: see RunState. Changes nothing. */
  runState(): RunState {
    const decided = new Map<NodeId, Value[]>();
    for (const d of this.decisions) {
      const list = decided.get(d.node) ?? [];
      if (!list.includes(d.value)) list.push(d.value);
      decided.set(d.node, list);
    }
    const inFlight: RunStateMessage[] = [];
    const canArrive = (to: number, incarnation: number): boolean => {
      const receiver = this.nodes[to] as SimNode<M>;
      return receiver.status !== 'down' && receiver.incarnation === incarnation;
    };
    const queued = [...this.queue.items(), ...this.nodes.flatMap((node) => node.deferred)].filter((e): e is Delivery => e.kind === 'deliver');
    queued.sort((a, b) => a.time - b.time || a.seq - b.seq);
    for (const e of queued) {
      if (!canArrive(e.to, e.incarnation) || this.takenEarly.has(e.id)) continue;
      inFlight.push({ id: e.id, from: this.members[e.from] as NodeId, to: this.members[e.to] as NodeId, message: e.message, held: false });
    }
    for (const h of this.heldMessages.values()) {
      if (!canArrive(h.toIndex, h.incarnation)) continue;
      inFlight.push({ id: h.id, from: h.from, to: h.to, message: h.message, held: true });
    }
    let restarts = 0;
    let down = 0;
    const nodes = this.nodes.map((node): RunStateNode => {
      restarts += node.incarnation;
      if (node.status === 'down') down++;
      return {
        id: node.id,
        status: node.status,
        incarnation: node.incarnation,
        machine: node.handle?.machineState(),
        durable: node.durable,
        decided: decided.get(node.id) ?? [],
      };
    });
    return { nodes, inFlight, crashes: restarts + down, restarts };
  }

  // ---- outside actions (each is one step) ----------------------------------------------------

  /**
   * Asks `node` to propose `value` (a local `tryInitialize`). Without `atTime` it happens now;
   * with it, it is scheduled like any event (deferred if the node is paused then, ignored if it
   * is down).
   */
  propose(node: NodeId, value: Value, atTime?: number): void {
    const target = this.node(node);
    if (atTime !== undefined) {
      if (!(atTime >= this.nowMs)) throw new SimulationError(`cannot schedule a proposal in the past (${atTime} < ${this.nowMs})`);
      this.queue.push({ kind: 'propose', time: atTime, seq: 0, to: target.index, value });
      return;
    }
    if (target.status !== 'up') throw new SimulationError(`cannot propose on ${node}: it is ${target.status}`);
    this.stepIndex++;
    this.applyProposal(target, value);
  }

  /**
   * Hands `node` a client command (a `submit` event). Without `atTime` it happens now; with it,
   * it is scheduled like a proposal (deferred if the node is paused then, ignored if it is down).
   */
  submit(node: NodeId, submission: Submission, atTime?: number): void {
    const target = this.node(node);
    if (atTime !== undefined) {
      if (!(atTime >= this.nowMs)) throw new SimulationError(`cannot schedule a submit in the past (${atTime} < ${this.nowMs})`);
      this.queue.push({ kind: 'submit', time: atTime, seq: 0, to: target.index, submission });
      return;
    }
    if (target.status !== 'up') throw new SimulationError(`cannot submit on ${node}: it is ${target.status}`);
    this.stepIndex++;
    this.applySubmit(target, submission);
  }

  crash(node: NodeId): void {
    const target = this.node(node);
    if (target.status === 'down') throw new SimulationError(`${node} is already down`);
    this.stepIndex++;
    target.status = 'down';
    target.decided = undefined;
    target.deferred = [];
    const handle = target.handle;
    target.handle = undefined;
    handle?.stop();
    this.record({ kind: 'crash', step: this.stepIndex, time: this.nowMs, node: target.id });
  }

  restart(node: NodeId): void {
    const target = this.node(node);
    if (target.status !== 'down') throw new SimulationError(`cannot restart ${node}: it is ${target.status}, not down`);
    this.stepIndex++;
    target.incarnation++;
    target.status = 'up';
    this.record({
      kind: 'restart',
      step: this.stepIndex,
      time: this.nowMs,
      node: target.id,
      incarnation: target.incarnation,
      durable: target.durable !== undefined,
    });
    this.boot(target);
  }

  pause(node: NodeId): void {
    const target = this.node(node);
    if (target.status !== 'up') throw new SimulationError(`cannot pause ${node}: it is ${target.status}`);
    this.stepIndex++;
    target.status = 'paused';
    this.record({ kind: 'pause', step: this.stepIndex, time: this.nowMs, node: target.id });
  }

  resume(node: NodeId): void {
    const target = this.node(node);
    if (target.status !== 'paused') throw new SimulationError(`cannot resume ${node}: it is ${target.status}`);
    this.stepIndex++;
    target.status = 'up';
    const deferred = target.deferred;
    target.deferred = [];
    this.record({ kind: 'resume', step: this.stepIndex, time: this.nowMs, node: target.id, deferred: deferred.length });
    // Everything that came due while the phone slept runs now, in its original order.
    for (const event of deferred) {
      event.time = this.nowMs;
      this.queue.push(event);
    }
  }

  /**
   * Symmetric partition: nodes in different groups cannot reach each other. Nodes listed in no
   * group form one more group together. Adds to partitions and cuts already in place.
   */
  partition(groups: readonly (readonly NodeId[])[]): void {
    const groupOf = new Int32Array(this.n).fill(-1);
    groups.forEach((group, g) => {
      for (const id of group) {
        const index = this.node(id).index;
        if (groupOf[index] !== -1) throw new SimulationError(`${id} is in two partition groups`);
        groupOf[index] = g;
      }
    });
    for (let a = 0; a < this.n; a++) {
      for (let b = 0; b < this.n; b++) {
        if (a !== b && groupOf[a] !== groupOf[b]) this.blocked[a * this.n + b] = 1;
      }
    }
    this.stepIndex++;
    const listed = new Set(groups.flat());
    const rest = this.members.filter((id) => !listed.has(id));
    const recorded = rest.length > 0 ? [...groups.map((g) => [...g]), rest] : groups.map((g) => [...g]);
    this.record({ kind: 'partition', step: this.stepIndex, time: this.nowMs, groups: recorded });
  }

  /** One-way partition: messages from `from` to `to` are lost; the other direction still works. */
  cut(from: NodeId, to: NodeId): void {
    const a = this.node(from).index;
    const b = this.node(to).index;
    if (a === b) throw new SimulationError('a node always reaches itself; cannot cut a self-link');
    this.blocked[a * this.n + b] = 1;
    this.stepIndex++;
    this.record({ kind: 'cut', step: this.stepIndex, time: this.nowMs, from, to });
  }

  /** Removes every partition and cut (link delays, loss and duplication stay as configured). */
  heal(): void {
    this.blocked.fill(0);
    this.stepIndex++;
    this.record({ kind: 'heal', step: this.stepIndex, time: this.nowMs });
  }

  /**
   * Changes the directed link from → to ('*' = every node, self-links included). Only the given
   * fields change.
   */
  setLink(from: NodeId | '*', to: NodeId | '*', config: Partial<LinkConfig>): void {
    const a = from === '*' ? undefined : this.node(from).index;
    const b = to === '*' ? undefined : this.node(to).index;
    this.applyLink(a, b, config);
    this.stepIndex++;
    this.record({ kind: 'link', step: this.stepIndex, time: this.nowMs, from, to, config: { ...config } });
  }

  link(from: NodeId, to: NodeId): LinkConfig {
    const i = this.node(from).index * this.n + this.node(to).index;
    return {
      minDelayMs: this.minDelay[i] as number,
      maxDelayMs: this.maxDelay[i] as number,
      loss: this.loss[i] as number,
      duplicate: this.duplicate[i] as number,
    };
  }

  /** Writes a free-text line into the trace (phase markers for a teacher reading a replay). */
  note(text: string): void {
    this.stepIndex++;
    this.record({ kind: 'note', step: this.stepIndex, time: this.nowMs, text });
  }

  /** From now on message delays come from `schedule`, or (undefined) from the links again. */
  setSchedule(schedule: DeliverySchedule | undefined): void {
    this.schedule = schedule;
  }

  // ---- manual delivery ---------------------------------------------------------------------

  /**
   * From now on hold every message (true), none (false), or those `rule` picks. Messages to self
   * are never held unless `includeSelf` is set: the explorer's model, where a node's message to
   * itself is a delivery like any other, is what a replayed counterexample needs.
   */
  setManual(rule: boolean | HoldRule, options: { readonly includeSelf?: boolean } = {}): void {
    this.holdRule = rule === true ? () => true : rule === false ? undefined : rule;
    this.holdSelf = options.includeSelf === true && this.holdRule !== undefined;
  }

  /** Messages waiting for the caller, oldest first. */
  held(): HeldMessage[] {
    return [...this.heldMessages.values()].map(({ id, from, to, message, sentAt }) => ({ id, from, to, message, sentAt }));
  }

  /**
   * Fires one of the node's pending timers now, as one step, ahead of its time: the earliest
   * one, or the earliest that `which` names. A string names a delayed event's type (its label,
   * see Clock.setTimeout, or the state prefix of an `xstate.after.` label); a function picks by
   * delay and label. This is how a schedule or a solo counterexample replays the explorer's
   * "this timer fires next" (in the explorer, time is only order). Throws when the node is not up
   * or has no such timer.
   */
  fireTimer(node: NodeId, which: string | ((timer: { readonly delayMs: number; readonly label: string | undefined }) => boolean) = () => true): void {
    const target = this.node(node);
    if (target.status !== 'up') throw new SimulationError(`cannot fire a timer of ${node}: it is ${target.status}`);
    const match = typeof which === 'string' ? (t: { readonly label: string | undefined }) => t.label !== undefined && (t.label === which || t.label.startsWith(`xstate.after.${which}.`)) : which;
    const candidates = [...this.pendingTimers].filter((t) => t.to === target.index && !t.cancelled && t.incarnation === target.incarnation && match(t));
    candidates.sort((a, b) => a.time - b.time || a.seq - b.seq);
    const timer = candidates[0];
    if (timer === undefined) throw new SimulationError(typeof which === 'string' ? `${node} has no pending timer ${which}` : `${node} has no pending timer that matches`);
    // The queued copy is skipped from now on; this one fires at the current time.
    timer.cancelled = true;
    this.pendingTimers.delete(timer);
    this.stepIndex++;
    this.apply({ ...timer, time: this.nowMs, cancelled: false });
  }

  /**
   * Delivers a held message now, as one step: deferred if its receiver is paused, discarded if
   * the receiver crashed since the message was sent (as for any message in flight).
   */
  deliver(id: number): void {
    const entry = this.takeHeld(id);
    this.stepIndex++;
    const event: Delivery = {
      kind: 'deliver',
      time: this.nowMs,
      seq: 0,
      to: entry.toIndex,
      incarnation: entry.incarnation,
      from: entry.fromIndex,
      id: entry.id,
      message: entry.message,
    };
    this.apply(event);
  }

  /**
   * Delivers `message` to `to` now, as if `from` had sent it, as one step: a lying member's
   * message, for attack scenarios (a member's tab can send anything its algorithm's parser
   * accepts). Unlike `deliver`, nothing was sent: `from`'s machine never produced it.
   */
  inject(from: NodeId, to: NodeId, message: M): void {
    const sender = this.node(from);
    const receiver = this.node(to);
    this.stepIndex++;
    const event: Delivery = {
      kind: 'deliver',
      time: this.nowMs,
      seq: 0,
      to: receiver.index,
      incarnation: receiver.incarnation,
      from: sender.index,
      id: this.nextMessageId++,
      message,
    };
    this.apply(event);
  }

  /**
   * Delivers a message now that is on its way (queued, not held), ahead of its time, as one
   * step: an explorer schedule's "this message next". Discarded like any other if its receiver
   * crashed since it was sent.
   */
  deliverNow(id: number): void {
    const event = this.queue.items().find((e): e is Delivery => e.kind === 'deliver' && e.id === id && !this.takenEarly.has(e.id));
    if (event === undefined) throw new SimulationError(`no message with id ${id} is on its way`);
    this.takenEarly.add(id);
    this.stepIndex++;
    this.apply(event);
  }

  /** Drops a held message: it is never delivered. */
  drop(id: number): void {
    const entry = this.takeHeld(id);
    this.stepIndex++;
    this.counters.discarded++;
    this.recordDiscard(entry.id, entry.fromIndex, entry.toIndex, 'dropped-by-hand');
  }

  // ---- running -----------------------------------------------------------------------------

  /** Processes the next due event. Returns false when nothing is left to do. */
  step(): boolean {
    const event = this.nextLive();
    if (event === undefined) return false;
    this.queue.pop();
    this.nowMs = event.time;
    this.stepIndex++;
    this.apply(event);
    return true;
  }

  /**
   * Runs until virtual time `target` (every event due at or before it is processed, then the
   * clock reads `target`), or until `target(sim)` holds, the queue is empty, virtual time would
   * pass `maxTime`, or the step limit is reached.
   */
  runUntil(target: number | ((sim: this) => boolean), options: { readonly maxTime?: number } = {}): RunStop {
    const deadline = typeof target === 'number' ? target : (options.maxTime ?? Number.POSITIVE_INFINITY);
    const predicate = typeof target === 'number' ? undefined : target;
    if (!(deadline >= this.nowMs)) throw new SimulationError(`cannot run back in time (${deadline} < ${this.nowMs})`);
    for (;;) {
      if (predicate !== undefined && predicate(this)) return 'predicate';
      if (this.stepIndex >= this.maxSteps) return 'step-limit';
      const next = this.nextLive();
      if (next === undefined || next.time > deadline) {
        if (deadline !== Number.POSITIVE_INFINITY) this.nowMs = deadline;
        return next === undefined ? 'idle' : 'time';
      }
      this.step();
    }
  }

  /** Runs for `ms` of virtual time. */
  runFor(ms: number): RunStop {
    return this.runUntil(this.nowMs + ms);
  }

  // ---- internals ---------------------------------------------------------------------------

  private node(id: NodeId): SimNode<M> {
    const index = this.indexOf.get(id);
    if (index === undefined) throw new SimulationError(`unknown node "${id}" (members: ${this.members.join(', ')})`);
    return this.nodes[index] as SimNode<M>;
  }

  /** The next event worth processing, skipping cancelled timers and timers of dead incarnations. */
  private nextLive(): QueuedEvent | undefined {
    for (;;) {
      const event = this.queue.peek();
      if (event === undefined) return undefined;
      if (event.kind === 'deliver' && this.takenEarly.delete(event.id)) {
        this.queue.pop();
        continue;
      }
      if (event.kind !== 'timer') return event;
      const node = this.nodes[event.to] as SimNode<M>;
      if (!event.cancelled && node.status !== 'down' && node.incarnation === event.incarnation) return event;
      this.pendingTimers.delete(event);
      this.queue.pop();
    }
  }

  private apply(event: QueuedEvent): void {
    const node = this.nodes[event.to] as SimNode<M>;
    if (event.kind === 'deliver' && (node.status === 'down' || node.incarnation !== event.incarnation)) {
      this.counters.discarded++;
      this.recordDiscard(event.id, event.from, event.to, 'receiver-down');
      return;
    }
    if (node.status === 'down') return; // a scheduled proposal for a node that is down: nobody asks
    if (node.status === 'paused') {
      node.deferred.push(event);
      return;
    }
    const handle = node.handle as NodeHandle<M, HostEvent<M>>;
    switch (event.kind) {
      case 'deliver': {
        const from = this.members[event.from] as NodeId;
        if (this.validate && this.algorithm.parseMessage(event.message) === undefined) {
          throw new SimulationError(
            `seed ${this.seed}: ${from} sent ${node.id} a message its own algorithm rejects: ${JSON.stringify(event.message)}`,
          );
        }
        this.counters.delivered++;
        if (this.full) {
          this.record({ kind: 'deliver', step: this.stepIndex, time: this.nowMs, id: event.id, from, to: node.id, message: event.message });
        }
        handle.send({ type: 'receive', from, message: event.message as M });
        break;
      }
      case 'timer':
        this.pendingTimers.delete(event);
        this.counters.timers++;
        if (this.full) this.record({ kind: 'timer', step: this.stepIndex, time: this.nowMs, node: node.id, ...(event.label === undefined ? {} : { timer: event.label }) });
        event.fn();
        break;
      case 'propose':
        this.applyProposal(node, event.value);
        return;
      case 'submit':
        this.applySubmit(node, event.submission);
        return;
      default:
        assertNever(event, 'queued event');
    }
    this.recordProbe(node);
  }

  private applyProposal(node: SimNode<M>, value: Value): void {
    this.record({ kind: 'propose', step: this.stepIndex, time: this.nowMs, node: node.id, value });
    (node.handle as NodeHandle<M, HostEvent<M>>).send({ type: 'tryInitialize', value });
    this.recordProbe(node);
  }

  private applySubmit(node: SimNode<M>, submission: Submission): void {
    this.record({ kind: 'submit', step: this.stepIndex, time: this.nowMs, node: node.id, ...submission });
    (node.handle as NodeHandle<M, HostEvent<M>>).send({ type: 'submit', ...submission });
    this.recordProbe(node);
  }

  /** Starts the node's current incarnation from its durable storage. */
  private boot(node: SimNode<M>): void {
    const incarnation = node.incarnation;
    const clock: Clock = {
      setTimeout: (fn, ms, label) => {
        const firing: TimerFiring = {
          kind: 'timer',
          time: this.nowMs + Math.max(0, ms),
          seq: 0,
          to: node.index,
          incarnation,
          fn,
          delayMs: Math.max(0, ms),
          label,
          cancelled: false,
        };
        this.pendingTimers.add(firing);
        return this.queue.push(firing);
      },
      clearTimeout: (id) => {
        (id as TimerFiring).cancelled = true;
        this.pendingTimers.delete(id as TimerFiring);
      },
    };
    node.decided = undefined;
    node.lastRole = undefined;
    // A write-once node's storage is the JSON of its one state (its `hard`), as a tab keeps it.
    const durable = this.algorithm.kind === 'log' ? this.restoreLog(node) : onceDurable(node.durable === undefined ? undefined : (JSON.parse(node.durable) as unknown));
    // A restart from a snapshot: the host loads the state machine from it before the node runs
    // (its commits continue after the snapshot's index), as a server reads its snapshot file.
    if (node.durableSnapshot !== undefined) this.restoreFrom(node, node.durableSnapshot, 'restart');
    node.handle = startNode<M, unknown, HostEvent<M>, HostEffect<M>>(
      this.algorithm,
      { self: node.id, members: this.members, seed: nodeSeed(this.seed, node.index, incarnation), timing: this.timing, durable },
      clock,
      (effects) => this.handleEffects(node, incarnation, effects),
    );
    // A machine that kept its decision in durable state shows it without committing it again.
    if (node.decided === undefined) {
      const restored = node.handle.view().decided;
      if (restored !== undefined) this.recordDecision(node, restored);
    }
    this.recordProbe(node);
  }

  /** A log algorithm's storage as its `LogDurable` input; undefined when nothing was ever stored. */
  private restoreLog(node: SimNode<M>): unknown {
    if (node.durableHard === undefined && node.durableLog.size === 0 && node.durableSnapshot === undefined) return undefined;
    const entries = [...node.durableLog.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([index, json]) => ({ index, entry: JSON.parse(json) as unknown }));
    const hard = node.durableHard === undefined ? undefined : (JSON.parse(node.durableHard) as unknown);
    return node.durableSnapshot === undefined ? { hard, entries } : { hard, entries, snapshot: node.durableSnapshot };
  }

  /** The node's state machine becomes the snapshot's: recorded for the checkers, handed to the host. */
  private restoreFrom(node: SimNode<M>, snapshot: LogSnapshot, cause: 'install' | 'restart', state?: unknown): void {
    this.record({ kind: 'snapshot', step: this.stepIndex, time: this.nowMs, node: node.id, incarnation: node.incarnation, index: snapshot.index, cause });
    this.onRestore?.(node.id, node.incarnation, snapshot, state === undefined ? (JSON.parse(snapshot.data) as unknown) : state, cause);
  }

  /** Applies typed storage operations in order; a machine that appends out of place has a bug. */
  private persistOps(node: SimNode<M>, ops: readonly PersistOp<unknown, unknown>[]): void {
    for (const op of ops) {
      switch (op.op) {
        case 'hard':
          node.durableHard = JSON.stringify(op.state);
          break;
        case 'truncate':
          for (const index of [...node.durableLog.keys()]) if (index >= op.from) node.durableLog.delete(index);
          break;
        case 'append': {
          const base = node.durableSnapshot?.index ?? 0;
          if (op.from !== base + node.durableLog.size + 1) {
            throw new SimulationError(`seed ${this.seed}: ${node.id} appended at index ${op.from} to a stored log of ${node.durableLog.size} entries after a snapshot through ${base}`);
          }
          op.entries.forEach((entry, i) => node.durableLog.set(op.from + i, JSON.stringify(entry)));
          break;
        }
        case 'put':
          node.durableLog.set(op.index, JSON.stringify(op.entry));
          break;
        case 'snapshot':
          // One write per snapshot: the prefix it covers leaves storage.
          node.durableSnapshot = op.snapshot;
          for (const index of [...node.durableLog.keys()]) if (index <= op.snapshot.index) node.durableLog.delete(index);
          break;
        default:
          assertNever(op, 'persist operation');
      }
    }
  }

  private handleEffects(node: SimNode<M>, incarnation: number, effects: readonly HostEffect<M>[]): void {
    if (node.incarnation !== incarnation || node.status === 'down') return;
    this.effectsDepth++;
    try {
      this.carryOut(node, effects);
    } finally {
      this.effectsDepth--;
    }
    if (this.effectsDepth === 0) this.handOverCompactions();
  }

  /** Compactions asked for during effects, in order, to nodes still in the incarnation that asked. */
  private handOverCompactions(): void {
    while (this.compactions.length > 0) {
      const { node, incarnation, event } = this.compactions.shift() as (typeof this.compactions)[number];
      if (node.status !== 'up' || node.incarnation !== incarnation || node.handle === undefined) continue;
      (node.handle as NodeHandle<M, HostEvent<M>>).send(event);
    }
  }

  private carryOut(node: SimNode<M>, effects: readonly HostEffect<M>[]): void {
    const once = this.algorithm.kind === 'once';
    // Persist-before-reply: every write of the step lands before any of its messages leaves.
    for (const effect of effects) {
      if (effect.type !== 'persistLog') continue;
      if (once) {
        // A write-once node keeps one state (its `hard`); the trace keeps recording that state,
        // as it did before the one contract, so stored traces and the explorer read the same.
        const state = this.hostBug(() => hardStateOf(effect.ops), node);
        node.durable = JSON.stringify(state);
        if (this.full) this.record({ kind: 'persist', step: this.stepIndex, time: this.nowMs, node: node.id, state });
        continue;
      }
      this.persistOps(node, effect.ops);
      if (this.full) this.record({ kind: 'persist', step: this.stepIndex, time: this.nowMs, node: node.id, state: effect.ops });
    }
    for (const effect of effects) {
      switch (effect.type) {
        case 'persistLog':
          break;
        case 'commit': {
          if (once) {
            // A write-once node's commit of index 1 is its decision. The trace keeps its `decide`
            // entry for it (not a `commit` one), so schedule files, solo links, the timeline and
            // exported traces read as before; a repeated announcement of the same value is not a
            // new decision, a different one is (the checker flags it).
            const value = this.hostBug(() => decisionOf(effect.entries), node);
            if (node.decided !== value) this.recordDecision(node, value);
            break;
          }
          this.record({ kind: 'commit', step: this.stepIndex, time: this.nowMs, node: node.id, incarnation: node.incarnation, entries: effect.entries });
          this.onCommit?.(node.id, node.incarnation, effect.entries);
          break;
        }
        case 'restore':
          this.restoreFrom(node, effect.snapshot, 'install', effect.state);
          break;
        case 'send':
          this.transmit(node, effect.to, effect.message);
          break;
        case 'refused':
          this.record({ kind: 'refuse', step: this.stepIndex, time: this.nowMs, node: node.id, from: effect.from, reason: effect.reason, detail: effect.detail });
          break;
        default:
          assertNever(effect, 'node effect');
      }
    }
  }

  /** A write-once machine that broke its shape of the contract: a bug, named with the seed. */
  private hostBug<T>(read: () => T, node: SimNode<M>): T {
    try {
      return read();
    } catch (error) {
      throw new SimulationError(`seed ${this.seed}: ${node.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private recordDecision(node: SimNode<M>, value: Value): void {
    node.decided = value;
    node.decidedAt = this.nowMs;
    const decision: Decision = { node: node.id, value, time: this.nowMs, step: this.stepIndex, incarnation: node.incarnation };
    this.decisions.push(decision);
    this.record({ kind: 'decide', ...decision });
  }

  private transmit(sender: SimNode<M>, toId: NodeId, message: M): void {
    const toIndex = this.indexOf.get(toId);
    if (toIndex === undefined) {
      throw new SimulationError(`seed ${this.seed}: ${sender.id} sent a message to "${toId}", who is not a member`);
    }
    const from = sender.index;
    const link = from * this.n + toIndex;
    const id = this.nextMessageId++;
    this.counters.sent++;
    const receiver = this.nodes[toIndex] as SimNode<M>;
    if ((from !== toIndex || this.holdSelf) && this.holdRule !== undefined && this.holdRule(sender.id, toId, message)) {
      if (this.full) {
        this.record({ kind: 'send', step: this.stepIndex, time: this.nowMs, id, from: sender.id, to: toId, message, deliverAt: undefined });
        this.record({ kind: 'hold', step: this.stepIndex, time: this.nowMs, id, from: sender.id, to: toId });
      }
      this.heldMessages.set(id, {
        id,
        from: sender.id,
        to: toId,
        message,
        sentAt: this.nowMs,
        fromIndex: from,
        toIndex,
        incarnation: receiver.incarnation,
      });
      return;
    }
    let lostTo: LossReason | undefined;
    if (from !== toIndex) {
      if (this.blocked[link] === 1) lostTo = 'partition';
      else if (this.prng.chance(this.loss[link] as number)) lostTo = 'loss';
    }
    const deliverAt = lostTo === undefined ? this.nowMs + this.delayOf(link, sender.id, toId, message) : undefined;
    if (this.full) {
      this.record({ kind: 'send', step: this.stepIndex, time: this.nowMs, id, from: sender.id, to: toId, message, deliverAt });
    }
    if (lostTo !== undefined) {
      this.counters.lost++;
      if (this.full) this.record({ kind: 'lose', step: this.stepIndex, time: this.nowMs, id, from: sender.id, to: toId, reason: lostTo });
      return;
    }
    this.enqueueDelivery(deliverAt as number, from, toIndex, receiver.incarnation, id, message);
    if (from !== toIndex && this.prng.chance(this.duplicate[link] as number)) {
      const copyId = this.nextMessageId++;
      const copyAt = this.nowMs + this.drawDelay(link);
      this.counters.duplicated++;
      if (this.full) {
        this.record({ kind: 'duplicate', step: this.stepIndex, time: this.nowMs, id: copyId, copyOf: id, from: sender.id, to: toId, deliverAt: copyAt });
      }
      this.enqueueDelivery(copyAt, from, toIndex, receiver.incarnation, copyId, message);
    }
  }

  private enqueueDelivery(time: number, from: number, to: number, incarnation: number, id: number, message: unknown): void {
    this.queue.push({ kind: 'deliver', time, seq: 0, to, incarnation, from, id, message });
  }

  private delayOf(link: number, from: NodeId, to: NodeId, message: unknown): number {
    if (this.schedule === undefined) return this.drawDelay(link);
    const ms = this.schedule.delayMs(from, to, this.counters.sent, message);
    if (!(ms >= 0 && Number.isFinite(ms))) throw new SimulationError(`seed ${this.seed}: the schedule gave ${from} → ${to} a delay of ${ms} ms`);
    return ms;
  }

  private drawDelay(link: number): number {
    const min = this.minDelay[link] as number;
    const max = this.maxDelay[link] as number;
    return max > min ? min + this.prng.float() * (max - min) : min;
  }

  private applyLink(from: number | undefined, to: number | undefined, config: Partial<LinkConfig>): void {
    checkLink(config);
    for (let a = 0; a < this.n; a++) {
      if (from !== undefined && a !== from) continue;
      for (let b = 0; b < this.n; b++) {
        if (to !== undefined && b !== to) continue;
        const i = a * this.n + b;
        if (config.minDelayMs !== undefined) this.minDelay[i] = config.minDelayMs;
        if (config.maxDelayMs !== undefined) this.maxDelay[i] = config.maxDelayMs;
        if (config.loss !== undefined) this.loss[i] = config.loss;
        if (config.duplicate !== undefined) this.duplicate[i] = config.duplicate;
        if ((this.maxDelay[i] as number) < (this.minDelay[i] as number)) {
          throw new SimulationError(`link ${this.members[a]} → ${this.members[b]}: maxDelayMs < minDelayMs`);
        }
      }
    }
  }

  private takeHeld(id: number): HeldEntry {
    const entry = this.heldMessages.get(id);
    if (entry === undefined) throw new SimulationError(`no held message with id ${id}`);
    this.heldMessages.delete(id);
    return entry;
  }

  private recordDiscard(id: number, from: number, to: number, reason: DiscardReason): void {
    if (!this.full && reason === 'receiver-down') return;
    this.record({
      kind: 'discard',
      step: this.stepIndex,
      time: this.nowMs,
      id,
      from: this.members[from] as NodeId,
      to: this.members[to] as NodeId,
      reason,
    });
  }

  /** Records the acceptor's state when it changed (Paxos family only), and a log node's role change. */
  private recordProbe(node: SimNode<M>): void {
    const handle = node.handle;
    if (handle !== undefined && this.algorithm.kind === 'log') this.recordRole(node, handle);
    if (handle === undefined || this.algorithm.kind !== 'once' || this.algorithm.probe === undefined) return;
    const probe = handle.probe();
    if (probe === undefined || sameProbe(probe, node.lastProbe)) return;
    node.lastProbe = probe;
    this.record({ kind: 'probe', step: this.stepIndex, time: this.nowMs, node: node.id, incarnation: node.incarnation, probe });
  }

  /**
   * A log node's role or epoch changed: one trace line. On becoming leader it carries the
   * leader's whole log, which the leader-completeness checker compares with what was committed.
   */
  private recordRole(node: SimNode<M>, handle: NodeHandle<M, HostEvent<M>>): void {
    const view = handle.logView() as LogView;
    const key = `${view.role}|${epochKey(view.epoch)}`;
    if (key === node.lastRole) return;
    node.lastRole = key;
    this.record({
      kind: 'role',
      step: this.stepIndex,
      time: this.nowMs,
      node: node.id,
      incarnation: node.incarnation,
      role: view.role,
      epoch: view.epoch,
      log: view.role === 'leader' ? handle.logEntries() : undefined,
      ...(view.role === 'leader' && view.snapshotIndex > 0 ? { snapshotIndex: view.snapshotIndex } : {}),
    });
  }

  private record(entry: TraceEntry): void {
    this.trace.push(entry);
  }
}

function checkLink(config: Partial<LinkConfig>): void {
  for (const key of ['loss', 'duplicate'] as const) {
    const p = config[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new SimulationError(`${key} must be a probability in [0, 1], got ${p}`);
  }
  for (const key of ['minDelayMs', 'maxDelayMs'] as const) {
    const ms = config[key];
    if (ms !== undefined && !(ms >= 0 && Number.isFinite(ms))) throw new SimulationError(`${key} must be a finite delay ≥ 0, got ${ms}`);
  }
}

/** Each node (and each incarnation of it) gets its own PRNG stream, derived from the run's seed. */
export function nodeSeed(seed: number, index: number, incarnation: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b) + Math.imul(incarnation, 0xc2b2ae35)) >>> 0;
}

const EMPTY_PROBE: AcceptorProbe = { promised: undefined, accepted: undefined };

function sameProbe(a: AcceptorProbe, b: AcceptorProbe | undefined): boolean {
  if (b === undefined) return false;
  return sameOptionalBallot(a.promised, b.promised) && sameAccepted(a.accepted, b.accepted);
}

/** Unlike core/paxos.ts sameBallot, two absent ballots are equal here: both mean "nothing promised". */
function sameOptionalBallot(a: AcceptorProbe['promised'], b: AcceptorProbe['promised']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.round === b.round && a.node === b.node);
}

function sameAccepted(a: AcceptorProbe['accepted'], b: AcceptorProbe['accepted']): boolean {
  return a === b || (a !== undefined && b !== undefined && a.value === b.value && sameOptionalBallot(a.ballot, b.ballot));
}

/** Effects the simulator carries out: any machine's, write-once or log. */
type HostEffect<M> = NodeEffect<M, unknown, unknown>;
