/**
 * The explorer: every run a small group of nodes can have, in FLP's model, searched state by
 * state. Where the simulator samples schedules by seed, this enumerates them:
 *
 * - every message in flight may be delivered next, in any order (a message is delivered at most
 *   once: the network of FLP neither loses nor duplicates, so a retransmission of a message
 *   still in flight is the same message);
 * - any node's pending timer may fire next (time does not exist, only order);
 * - up to `maxCrashes` nodes may crash at any moment (a crashed node's inbound messages are
 *   gone, as in the simulator, and nothing sent to it while it is down ever reaches it); with
 *   `maxRestarts`, a crashed node may restart from what it last persisted, with a fresh
 *   incarnation seed (the simulator's `nodeSeed`);
 * - with `loss`, any message to another node may also be dropped (off by default: with loss,
 *   almost every state can stay undecided forever, which says nothing).
 *
 * The machines are the single source of truth: each step is XState's pure `transition` on the
 * algorithm's own machine, never a second copy of the algorithm. What makes it fast enough is
 * that a node's step depends only on its own state and the event, so node states are interned
 * (equal states get one id) and every (node state, event) step is computed once and cached;
 * a global state is then a handful of small integers in one flat pool, found again through an
 * open-addressing hash table over those integers (no string keys, no per-state objects).
 *
 * Order of work: seeded random walks first (a share of the budget), because runs that only get
 * stuck after every message has been delivered (a split vote, a tally waiting for a crashed
 * voter) lie deeper than a breadth-first search reaches; then the breadth-first search, which
 * makes every violation it finds the shortest one. After the search, valence is computed over
 * the explored graph: from each state, which decided values are still reachable. That answers
 * the FLP question ("can the outcome still go either way?"), finds the critical step (two
 * messages to one node whose order decides), and proves "no decision is reachable" only where
 * the search was not cut short.
 *
 * No partial-order reduction: deliveries to different nodes commute, but a persistent set must
 * also cover messages other nodes may send later to the same receiver, which we cannot bound
 * without knowing the algorithm; a reduction we cannot argue sound would make "none found" a lie.
 * A staged `prefix` (the FLP scene) is what keeps the 5-node question small.
 */
import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { NodeEffect, NodeId, Timing, Value } from '../core/types.ts';
import { decisionOf, hardStateOf, onceDurable } from '../core/write-once.ts';
import type { MachineState, OnceAlgorithmSpec } from '../machines/spec.ts';
import type { RunState } from '../sim/simulator.ts';
import {
  EXPLORE_MAX_FAULTS,
  EXPLORE_MAX_NODES,
  EXPLORE_MAX_STATES,
  EXPLORE_MAX_VALUES,
  EXPLORE_WALK_BUDGET_SHARE,
  EXPLORE_WALK_FAULT_WINDOW,
  EXPLORE_WALK_MAX_STEPS,
  EXPLORE_WALKS,
} from '../limits.ts';
import { nextInt, seedPrng, type PrngState } from '../core/prng.ts';
import { assertNever } from '../core/assert.ts';
import { nodeSeed } from '../sim/simulator.ts';

/** Timing is irrelevant to the explorer (time is order only), but machines need one. */
const EXPLORE_TIMING: Timing = { retransmitMs: 100, impatienceMs: 300, backoffMs: 100, phaseTimeoutMs: 300 };

export interface Proposal {
  readonly node: NodeId;
  readonly value: Value;
}

/**
 * A step of a staged start, matched against what is in flight then: a delivery or drop names the
 * message by sender, receiver and kind (and by its exact payload when several match); `settle`
 * delivers everything in flight not addressed to `except`, oldest first, until nothing is left
 * (the simulator's "run with messages to n5 held").
 */
export type PrefixStep =
  | { readonly do: 'deliver' | 'drop'; readonly from: NodeId; readonly to: NodeId; readonly kind?: string; readonly message?: unknown }
  | { readonly do: 'crash' | 'restart'; readonly node: NodeId }
  | { readonly do: 'timer'; readonly node: NodeId; readonly timer: string }
  | { readonly do: 'settle'; readonly except: readonly NodeId[] };

export interface ExploreOptions {
  readonly algorithm: OnceAlgorithmSpec;
  readonly nodes: readonly NodeId[];
  /**
   * tryInitialize calls, applied before the search starts (FLP's inputs). With `start`, the
   * proposals the run already made: they are part of that state and are not applied again.
   */
  readonly proposals: readonly Proposal[];
  /**
   * Carry on from a simulator run's state (`Simulation.runState()`, solo mode) instead of
   * booting fresh nodes: each node's machine state, timers and storage, what is in flight, and
   * the crashes so far (which count against `maxCrashes`). Node names must match `nodes`.
   */
  readonly start?: RunState;
  /** Applied after the proposals, before the search: the search starts where it leaves off. */
  readonly prefix?: readonly PrefixStep[];
  readonly maxCrashes: number;
  readonly maxRestarts?: number;
  readonly loss?: boolean;
  /**
   * Timers may fire (phase timeouts, backoff, impatience, queries). Default true. Without them
   * the search is far smaller and still finds Agreement violations that need no timeout, but a
   * run that "stays undecided" then says nothing about algorithms that retry on a timeout.
   */
  readonly timers?: boolean;
  /** Longest schedule explored, in steps after the prefix; deeper states are cut (and make answers "unknown"). */
  readonly maxDepth: number;
  readonly maxStates?: number;
  /** Wall-clock budget; the host's clock (performance.now in Node or a worker). */
  readonly budgetMs?: number;
  readonly now?: () => number;
  /** Seed of the nodes' PRNGs (Paxos backoff draws) and of the random walks. */
  readonly seed?: number;
  /** Random walks tried before the breadth-first search (0: none). */
  readonly walks?: number;
  /** Stop at the first violation (the shortest, in BFS order). Default true; false explores on. */
  readonly stopAtViolation?: boolean;
  /**
   * A narrower adversary, like the one solo mode's hold gives the user: only messages to these
   * nodes (and, with `kinds`, only of these kinds) wait for the adversary, in any order and at
   * any time; every other message is delivered as soon as it is sent, oldest first. Its runs are
   * a subset of FLP's, so a value it reaches is reachable in FLP's model too, while "only red"
   * holds for this adversary, not necessarily for FLP's. Undefined: FLP's adversary, which
   * orders every message.
   */
  readonly adversary?: { readonly to: readonly NodeId[]; readonly kinds?: readonly string[] };
}

/** One step of a schedule, as a person would read it. */
export type ExploreStep =
  | { readonly do: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly kind: string; readonly message: unknown }
  | { readonly do: 'drop'; readonly from: NodeId; readonly to: NodeId; readonly kind: string; readonly message: unknown }
  | { readonly do: 'timer'; readonly node: NodeId; readonly timer: string }
  | { readonly do: 'crash'; readonly node: NodeId }
  | { readonly do: 'restart'; readonly node: NodeId };

export type ExploreProperty = 'agreement' | 'termination';

export interface ExploreViolation {
  readonly property: ExploreProperty;
  readonly message: string;
  /** The schedule from the start (prefix included) that leads there. */
  readonly steps: readonly ExploreStep[];
  /** How many of `steps` are the staged prefix. */
  readonly prefixSteps: number;
  /** Found by the breadth-first search (no shorter one exists), or by a random walk (not necessarily shortest). */
  readonly foundBy: 'search' | 'walk';
}

/** The values still decidable from a state; `complete` false when the search was cut below it. */
export interface Valence {
  readonly values: readonly Value[];
  readonly complete: boolean;
}

export interface CriticalStep {
  /** The node both messages are on their way to. */
  readonly node: NodeId;
  readonly first: { readonly from: NodeId; readonly kind: string; readonly message: unknown; readonly leadsTo: readonly Value[] };
  readonly second: { readonly from: NodeId; readonly kind: string; readonly message: unknown; readonly leadsTo: readonly Value[] };
  /** From the search's start (after the prefix) to the bivalent state. */
  readonly steps: readonly ExploreStep[];
}

export interface ExploreResult {
  readonly statesExplored: number;
  readonly transitionsComputed: number;
  readonly nodeStates: number;
  readonly cutByDepth: number;
  readonly exhausted: boolean;
  /** Why the search stopped early, if it did. */
  readonly stoppedBy: 'states' | 'time' | 'violation' | undefined;
  readonly maxDepth: number;
  /**
   * Every schedule of at most this many steps (after the prefix) was generated and checked:
   * the bound behind "no Agreement violation in K states".
   */
  readonly completeDepth: number;
  /** Valence of the state the search started from (after the prefix). */
  readonly initialValence: Valence;
  /** Agreement first (safety), else a reachable state that can never decide. */
  readonly violation: ExploreViolation | null;
  readonly critical: CriticalStep | null;
  readonly walks: { readonly tried: number; readonly steps: number; readonly ms: number };
  readonly wallMs: number;
}

export class ExploreError extends Error {
  override readonly name = 'ExploreError';
}

// ---- node states, interned --------------------------------------------------------------

interface LocalState {
  readonly snapshot: SnapshotFrom<AnyStateMachine>;
  /** Pending delayed events (the `after` timers) by interned id, sorted. */
  readonly timers: readonly number[];
  /** What it last persisted, as the simulator stores it (JSON text): where a restart begins. */
  readonly durable: string | undefined;
}

interface LocalStep {
  readonly next: number;
  readonly sends: readonly number[];
  /** Bit set of the values this step decided. */
  readonly decided: number;
}

interface Message {
  readonly from: number;
  readonly to: number;
  readonly payload: unknown;
  readonly kind: string;
}

/** Maps (Paxos promises, accepted-by) have no JSON form of their own: key them by their entries. */
function keyReplacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? { '#map': [...value.entries()] } : value;
}

/** Interning tables and the step cache: everything that is per node, shared by all global states. */
class Nodes {
  readonly locals: LocalState[] = [];
  private readonly localIds = new Map<string, number>();
  readonly messages: Message[] = [];
  private readonly messageIds = new Map<string, number>();
  readonly timerNames: string[] = [];
  readonly timerIsRetransmit: boolean[] = [];
  private readonly timerIds = new Map<string, number>();
  /** Per local state: event code (message id × 2, or timer id × 2 + 1) → step. */
  private readonly steps: (Map<number, LocalStep> | undefined)[] = [];
  readonly values: Value[] = [];
  transitionsComputed = 0;

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly members: readonly NodeId[],
  ) {}

  /** Restarts by (state it crashed in, incarnation): a restart depends on nothing else. */
  private readonly restarts = new Map<number, LocalStep>();

  /** The node's restart from what `crashedIn` persisted, as incarnation `incarnation` (≤ 15). */
  restart(node: number, crashedIn: number, incarnation: number, seed: number): LocalStep {
    const key = crashedIn * 16 + incarnation;
    const cached = this.restarts.get(key);
    if (cached !== undefined) return cached;
    const step = this.boot(node, (this.locals[crashedIn] as LocalState).durable, seed);
    this.restarts.set(key, step);
    return step;
  }

  /** A node's first state (or its restart from `durable`) and what starting did. */
  boot(node: number, durable: string | undefined, seed: number): LocalStep {
    const [snapshot, actions] = initialTransition(this.machine, {
      self: this.members[node],
      members: this.members,
      seed,
      timing: EXPLORE_TIMING,
      // As the simulator does: the stored state comes back as parsed JSON, in the log's `hard`.
      durable: onceDurable(durable === undefined ? undefined : (JSON.parse(durable) as unknown)),
    });
    return this.record(node, snapshot, [], durable, actions);
  }

  propose(node: number, local: number, value: Value): LocalStep {
    const state = this.locals[local] as LocalState;
    const [snapshot, actions] = transition(this.machine, state.snapshot, { type: 'tryInitialize', value });
    return this.record(node, snapshot, state.timers, state.durable, actions);
  }

  /** The node's step on message `message` (code 2m) or timer `timer` (code 2t+1), computed once. */
  step(node: number, local: number, code: number): LocalStep {
    let cache = this.steps[local];
    if (cache === undefined) {
      cache = new Map();
      this.steps[local] = cache;
    }
    const cached = cache.get(code);
    if (cached !== undefined) return cached;
    const state = this.locals[local] as LocalState;
    this.transitionsComputed++;
    let result: LocalStep;
    if ((code & 1) === 0) {
      const message = this.messages[code >>> 1] as Message;
      const event = { type: 'receive', from: this.members[message.from], message: message.payload };
      const [snapshot, actions] = transition(this.machine, state.snapshot, event);
      result = this.record(node, snapshot, state.timers, state.durable, actions);
    } else {
      const timer = code >>> 1;
      const [snapshot, actions] = transition(this.machine, state.snapshot, { type: this.timerNames[timer] as string });
      result = this.record(node, snapshot, state.timers.filter((t) => t !== timer), state.durable, actions);
    }
    cache.set(code, result);
    return result;
  }

  bits(value: Value): number {
    let index = this.values.indexOf(value);
    if (index < 0) {
      if (this.values.length >= EXPLORE_MAX_VALUES) throw new ExploreError(`the explorer tracks at most ${EXPLORE_MAX_VALUES} values`);
      this.values.push(value);
      index = this.values.length - 1;
    }
    return 1 << index;
  }

  private record(
    node: number,
    snapshot: SnapshotFrom<AnyStateMachine>,
    timersBefore: readonly number[],
    durableBefore: string | undefined,
    actions: readonly { readonly type: string; readonly params?: unknown }[],
  ): LocalStep {
    const timers = new Set(timersBefore);
    let durable = durableBefore;
    const sends: number[] = [];
    let decided = 0;
    for (const action of actions) {
      const params = action.params as Record<string, unknown> | undefined;
      if (action.type === 'xstate.raise' && params !== undefined && params['delay'] !== undefined) {
        const event = params['event'] as { type: string } | undefined;
        if (event !== undefined) timers.add(this.internTimer(event.type));
      } else if (action.type === 'xstate.cancel' && params !== undefined && typeof params['sendId'] === 'string') {
        timers.delete(this.internTimer(params['sendId']));
      } else if (action.type === 'xstate.emit' && params !== undefined) {
        const effect = params['event'] as NodeEffect<unknown, unknown>;
        switch (effect.type) {
          case 'persistLog':
            durable = JSON.stringify(hardStateOf(effect.ops));
            break;
          case 'send':
            sends.push(this.internMessage(node, this.members.indexOf(effect.to), effect.message));
            break;
          case 'commit':
            decided |= this.bits(decisionOf(effect.entries));
            break;
          default:
            // Effects a later contract adds (e.g. 'refused') change nothing the explorer tracks.
            break;
        }
      }
    }
    const local: LocalState = { snapshot, timers: [...timers].sort((a, b) => a - b), durable };
    return { next: this.internLocal(local), sends, decided };
  }

  private internLocal(local: LocalState): number {
    // The state value and context are the node's whole state (its PRNG included); timers and
    // durable state are ours. Equal keys are equal node states.
    const key = JSON.stringify([local.snapshot.value, local.snapshot.context, local.timers, local.durable ?? null], keyReplacer);
    const known = this.localIds.get(key);
    if (known !== undefined) return known;
    this.locals.push(local);
    this.localIds.set(key, this.locals.length - 1);
    return this.locals.length - 1;
  }

  /** A node state taken from a running actor (value, context, pending timers) and its storage. */
  adopt(state: MachineState, durable: string | undefined): number {
    const snapshot = this.machine.resolveState({ value: state.value as never, context: state.context as never });
    const timers = [...new Set(state.timers.map((t) => this.internTimer(t)))].sort((a, b) => a - b);
    return this.internLocal({ snapshot, timers, durable });
  }

  /** A crashed node: only its storage matters (a restart begins there), the snapshot is a placeholder. */
  adoptDown(node: number, durable: string | undefined, seed: number): number {
    const [snapshot] = initialTransition(this.machine, {
      self: this.members[node],
      members: this.members,
      seed,
      timing: EXPLORE_TIMING,
      durable: onceDurable(durable === undefined ? undefined : (JSON.parse(durable) as unknown)),
    });
    return this.internLocal({ snapshot, timers: [], durable });
  }

  message(from: number, to: number, payload: unknown): number {
    return this.internMessage(from, to, payload);
  }

  private internTimer(name: string): number {
    const known = this.timerIds.get(name);
    if (known !== undefined) return known;
    this.timerNames.push(name);
    // XState names `after` events by the delay's name: `xstate.after.retransmit.<state id>`.
    this.timerIsRetransmit.push(name.startsWith('xstate.after.retransmit.'));
    this.timerIds.set(name, this.timerNames.length - 1);
    return this.timerNames.length - 1;
  }

  private internMessage(from: number, to: number, payload: unknown): number {
    if (to < 0) throw new ExploreError(`${this.members[from]} sent to a non-member`);
    const key = `${from}>${to}:${JSON.stringify(payload, keyReplacer)}`;
    const known = this.messageIds.get(key);
    if (known !== undefined) return known;
    const kind = typeof payload === 'object' && payload !== null && typeof (payload as { type?: unknown }).type === 'string' ? (payload as { type: string }).type : '?';
    this.messages.push({ from, to, payload, kind });
    this.messageIds.set(key, this.messages.length - 1);
    return this.messages.length - 1;
  }
}

// ---- global states, flat ------------------------------------------------------------------
//
// A global state is a run of int32s: [header, decided, local_0 … local_{n-1}, in-flight ids…]
// - header: crashes (bits 0–3), restarts (4–7), node i's incarnation (bits 8+4i…11+4i);
// - decided: node i's decided values, all incarnations, as a bit set at bits 6i…6i+5;
// - local_i: the node's interned state id, or −(id + 1) while it is down (id: its state when it
//   crashed, whose durable part is where a restart begins);
// - in flight: distinct message ids, ascending.

const HEAD = 2;
const DECIDED_BITS = 6;

/** Action codes: kind in the low 3 bits. */
const A_DELIVER = 0;
const A_DROP = 1;
const A_TIMER = 2;
const A_CRASH = 3;
const A_RESTART = 4;

function crashesOf(header: number): number {
  return header & 15;
}
function restartsOf(header: number): number {
  return (header >>> 4) & 15;
}
function incarnationOf(header: number, node: number): number {
  return (header >>> (8 + 4 * node)) & 15;
}

/** Growable int32 buffer. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }
  grow(atLeast: number): void {
    let size = this.data.length * 2;
    while (size < atLeast) size *= 2;
    const bigger = new Int32Array(size);
    bigger.set(this.data);
    this.data = bigger;
  }
}

function hashInts(buf: Int32Array, length: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    h ^= h >>> 15;
  }
  return h;
}

export function explore(options: ExploreOptions): ExploreResult {
  return new Search(options).run();
}

class Search {
  private readonly nodes: Nodes;
  private readonly n: number;
  private readonly members: readonly NodeId[];
  /** All states, back to back; starts.data[i] is where state i begins (starts has one more entry). */
  private readonly pool = new IntList(1 << 16);
  private readonly starts = new IntList(1 << 12);
  private readonly hashes = new IntList(1 << 12);
  private table = new Int32Array(1 << 14);
  private readonly parent = new IntList(1 << 12);
  private readonly via = new IntList(1 << 12);
  private readonly depth = new IntList(1 << 12);
  /** Successors of each expanded state (CSR: edgeStart[i]..edgeStart[i+1]). */
  private readonly edges = new IntList(1 << 14);
  private readonly edgeStart = new IntList(1 << 12);
  /** 1 for states not expanded (depth or size limit): their futures are unknown. */
  private cut = new Uint8Array(1 << 12);
  private cutCount = 0;
  private readonly maxStates: number;
  private readonly now: () => number;
  private readonly maxRestarts: number;
  private readonly timersOn: boolean;
  private readonly retransmitOn: boolean;
  /** Scratch: the state being expanded, a successor under construction, and actions. */
  private cur = new Int32Array(64);
  private curLength = 0;
  private out = new Int32Array(64);
  private outLength = 0;
  private actions = new Int32Array(64);
  private agreementAt = -1;
  /** The first state (BFS order) where nothing can happen any more and someone up is undecided. */
  private quietAt = -1;
  private prefixSteps: ExploreStep[] = [];
  /** Per message id: 1 when it waits for the adversary, 0 when the network delivers it at once, -1 not yet known. */
  private controlledCache: number[] = [];
  private readonly eager: boolean;
  /** The search's first state (after prefix and eager deliveries), for replaying paths. */
  private root = new Int32Array(0);

  constructor(private readonly options: ExploreOptions) {
    const n = options.nodes.length;
    if (n < 1 || n > EXPLORE_MAX_NODES) throw new ExploreError(`the explorer takes 1 to ${EXPLORE_MAX_NODES} nodes, got ${n}`);
    if (new Set(options.nodes).size !== n) throw new ExploreError('node names must be distinct');
    const faults = [options.maxCrashes, options.maxRestarts ?? 0];
    if (faults.some((f) => !Number.isInteger(f) || f < 0 || f > EXPLORE_MAX_FAULTS)) {
      throw new ExploreError(`crashes and restarts must be whole numbers from 0 to ${EXPLORE_MAX_FAULTS}`);
    }
    if (!Number.isInteger(options.maxDepth) || options.maxDepth < 0) throw new ExploreError('the depth must be a whole number ≥ 0');
    this.n = n;
    this.members = options.nodes;
    this.nodes = new Nodes(options.algorithm.machine, options.nodes);
    this.maxStates = Math.min(options.maxStates ?? EXPLORE_MAX_STATES, EXPLORE_MAX_STATES);
    this.now = options.now ?? (() => Date.now());
    this.maxRestarts = options.maxRestarts ?? 0;
    this.timersOn = options.timers !== false;
    // FLP's network loses nothing, so retransmitting can only repeat a message already in flight
    // (a set: no change) or already delivered (a duplicate, which FLP's network never makes).
    // They matter only when something can be lost: with loss, and with restarts, since a crash
    // discards what was on its way to the node and a restarted node learns it again only from
    // retransmissions (voting sends nothing else after a restart).
    this.retransmitOn = options.loss === true || this.maxRestarts > 0;
    for (const name of options.adversary?.to ?? []) {
      if (!options.nodes.includes(name)) throw new ExploreError(`adversary: unknown node ${name}`);
    }
    this.eager = options.adversary !== undefined;
  }

  run(): ExploreResult {
    const started = this.now();
    this.loadStart();
    if (this.eager) {
      this.out.set(this.cur.subarray(0, this.curLength));
      this.outLength = this.curLength;
      this.deliverEagerly(undefined);
      this.ensureCur(this.outLength);
      this.cur.set(this.out.subarray(0, this.outLength));
      this.curLength = this.outLength;
    }
    this.root = this.cur.slice(0, this.curLength);
    const walk = this.walk(started);
    const root = this.curLength;
    this.out.set(this.cur.subarray(0, root));
    this.outLength = root;
    this.intern(-1, 0, 0);
    let stoppedBy: ExploreResult['stoppedBy'];
    let cutByDepth = 0;
    let maxDepth = 0;
    let completeDepth = -1;
    const stopAtViolation = this.options.stopAtViolation !== false;
    const budgetMs = this.options.budgetMs;
    let count = 1;
    for (let i = 0; i < count; i++) {
      this.edgeStart.push(this.edges.length);
      const depth = this.depth.data[i] as number;
      if (depth > maxDepth) maxDepth = depth;
      if (depth >= this.options.maxDepth) {
        this.markCut(i);
        cutByDepth++;
        continue;
      }
      if (count >= this.maxStates || ((i & 1023) === 0 && budgetMs !== undefined && this.now() - started > budgetMs)) {
        stoppedBy = count >= this.maxStates ? 'states' : 'time';
        // BFS goes depth by depth: every state up to this one's depth has been generated.
        completeDepth = depth;
        this.cutFrom(i, count);
        break;
      }
      this.load(i);
      const actions = this.listActions();
      let progress = false;
      for (let a = 0; a < actions; a++) {
        const action = this.actions[a] as number;
        if ((action & 7) !== A_CRASH) progress = true;
        this.advance(action);
        const id = this.intern(i, action, depth + 1);
        this.edges.push(id);
      }
      count = this.starts.length;
      // Nothing left to deliver, no timer to fire, nobody to restart: the run is over here.
      // Anyone up and undecided stays so forever (BFS order: the shortest such schedule).
      if (!progress && this.quietAt < 0 && this.someUpUndecided(this.cur)) this.quietAt = i;
      if (stopAtViolation && (this.agreementAt >= 0 || this.quietAt >= 0)) {
        stoppedBy = 'violation';
        completeDepth = depth;
        this.cutFrom(i + 1, count);
        break;
      }
    }
    const states = this.starts.length;
    while (this.edgeStart.length < states) this.edgeStart.push(this.edges.length);
    this.edgeStart.push(this.edges.length);
    const valence = this.valence();
    // A shortest Agreement violation from the search, else one a walk found (safety first),
    // else the search's shortest run that stays undecided, else a walk's.
    const searched = this.findViolation(valence);
    const violation =
      searched?.property === 'agreement' ? searched : walk.violation?.property === 'agreement' ? walk.violation : (searched ?? walk.violation);
    return {
      statesExplored: states,
      transitionsComputed: this.nodes.transitionsComputed,
      nodeStates: this.nodes.locals.length,
      cutByDepth,
      exhausted: this.cutCount === 0,
      stoppedBy,
      maxDepth,
      completeDepth: completeDepth >= 0 ? completeDepth : Math.min(this.options.maxDepth, maxDepth),
      initialValence: this.valenceOf(valence, 0),
      violation,
      critical: this.findCritical(valence),
      walks: { tried: walk.tried, steps: walk.steps, ms: Math.round(walk.ms) },
      wallMs: Math.round(this.now() - started),
    };
  }

  // ---- the start: boots, proposals, the staged prefix ----------------------------------------

  private loadStart(): void {
    if (this.options.start !== undefined) {
      this.loadRun(this.options.start);
      for (const [index, step] of (this.options.prefix ?? []).entries()) this.applyPrefixStep(step, index);
      return;
    }
    const n = this.n;
    this.ensureCur(HEAD + n);
    this.cur[0] = 0;
    this.cur[1] = 0;
    const inflight = new Set<number>();
    const locals: number[] = [];
    let decided = 0;
    for (let node = 0; node < n; node++) {
      const boot = this.nodes.boot(node, undefined, nodeSeed(this.seed(), node, 0));
      locals.push(boot.next);
      for (const m of boot.sends) inflight.add(m);
      decided |= boot.decided << (DECIDED_BITS * node);
    }
    for (const { node, value } of this.options.proposals) {
      const index = this.members.indexOf(node);
      if (index < 0) throw new ExploreError(`unknown proposer ${node}`);
      const step = this.nodes.propose(index, locals[index] as number, value);
      locals[index] = step.next;
      for (const m of step.sends) inflight.add(m);
      decided |= step.decided << (DECIDED_BITS * index);
    }
    this.cur[1] = decided;
    for (let i = 0; i < n; i++) this.cur[HEAD + i] = locals[i] as number;
    const sorted = [...inflight].sort((a, b) => a - b);
    this.ensureCur(HEAD + n + sorted.length);
    this.cur.set(sorted, HEAD + n);
    this.curLength = HEAD + n + sorted.length;
    for (const [index, step] of (this.options.prefix ?? []).entries()) this.applyPrefixStep(step, index);
  }

  /** The global state of a simulator run (see ExploreOptions.start). */
  private loadRun(run: RunState): void {
    const n = this.n;
    if (run.nodes.length !== n || run.nodes.some((node, i) => node.id !== this.members[i])) {
      throw new ExploreError(`the run's nodes (${run.nodes.map((node) => node.id).join(', ')}) are not the explorer's (${this.members.join(', ')})`);
    }
    if (run.crashes > EXPLORE_MAX_FAULTS || run.restarts > EXPLORE_MAX_FAULTS || run.nodes.some((node) => node.incarnation > 15)) {
      throw new ExploreError(`the explorer follows at most ${EXPLORE_MAX_FAULTS} crashes and restarts; this run has ${run.crashes} and ${run.restarts}`);
    }
    let header = run.crashes | (run.restarts << 4);
    let decided = 0;
    this.ensureCur(HEAD + n);
    run.nodes.forEach((node, i) => {
      header |= node.incarnation << (8 + 4 * i);
      for (const value of node.decided) decided |= this.nodes.bits(value) << (DECIDED_BITS * i);
      if (node.status === 'down' || node.machine === undefined) {
        this.cur[HEAD + i] = -this.nodes.adoptDown(i, node.durable, nodeSeed(this.seed(), i, node.incarnation)) - 1;
      } else {
        // A paused node is up here: what was deferred is in flight, its timers still pending.
        this.cur[HEAD + i] = this.nodes.adopt(node.machine, node.durable);
      }
    });
    this.cur[0] = header;
    this.cur[1] = decided;
    const inflight = new Set<number>();
    for (const m of run.inFlight) {
      const from = this.members.indexOf(m.from);
      const to = this.members.indexOf(m.to);
      if (from < 0 || to < 0) throw new ExploreError(`a message ${m.from} → ${m.to} names a non-member`);
      // Interned in the run's delivery order, so "oldest first" (the eager network) keeps it.
      inflight.add(this.nodes.message(from, to, m.message));
    }
    const sorted = [...inflight].sort((a, b) => a - b);
    this.ensureCur(HEAD + n + sorted.length);
    this.cur.set(sorted, HEAD + n);
    this.curLength = HEAD + n + sorted.length;
  }

  private applyPrefixStep(step: PrefixStep, index: number): void {
    const where = `prefix step ${index + 1} (${step.do})`;
    const node = (name: NodeId): number => {
      const i = this.members.indexOf(name);
      if (i < 0) throw new ExploreError(`${where}: unknown node ${name}`);
      return i;
    };
    switch (step.do) {
      case 'deliver':
      case 'drop': {
        const from = node(step.from);
        const to = node(step.to);
        const wanted = step.message === undefined ? undefined : JSON.stringify(step.message, keyReplacer);
        const matches: number[] = [];
        for (let i = HEAD + this.n; i < this.curLength; i++) {
          const id = this.cur[i] as number;
          const m = this.nodes.messages[id] as Message;
          if (m.from !== from || m.to !== to || (step.kind !== undefined && m.kind !== step.kind)) continue;
          if (wanted !== undefined && JSON.stringify(m.payload, keyReplacer) !== wanted) continue;
          matches.push(id);
        }
        if (matches.length === 0) throw new ExploreError(`${where}: no message ${step.from} → ${step.to}${step.kind === undefined ? '' : ` (${step.kind})`} is in flight`);
        if (matches.length > 1) throw new ExploreError(`${where}: ${matches.length} messages ${step.from} → ${step.to} match; name the message`);
        this.prefixAction(((matches[0] as number) << 3) | (step.do === 'deliver' ? A_DELIVER : A_DROP), where);
        return;
      }
      case 'crash':
        this.prefixAction((node(step.node) << 3) | A_CRASH, where);
        return;
      case 'restart':
        this.prefixAction((node(step.node) << 3) | A_RESTART, where);
        return;
      case 'timer': {
        const n = node(step.node);
        const local = this.cur[HEAD + n] as number;
        const timers = local < 0 ? [] : (this.nodes.locals[local] as LocalState).timers;
        const timer = timers.find((t) => this.nodes.timerNames[t] === step.timer || this.nodes.timerNames[t]?.startsWith(`xstate.after.${step.timer}.`));
        if (timer === undefined) throw new ExploreError(`${where}: ${step.node} has no pending timer ${step.timer}`);
        this.prefixAction((((timer << 4) | n) << 3) | A_TIMER, where);
        return;
      }
      case 'settle': {
        const except = new Set(step.except.map(node));
        for (let guard = 0; guard < 100_000; guard++) {
          let pick = -1;
          for (let i = HEAD + this.n; i < this.curLength; i++) {
            const id = this.cur[i] as number;
            if (!except.has((this.nodes.messages[id] as Message).to)) {
              pick = id;
              break;
            }
          }
          if (pick < 0) return;
          this.prefixAction((pick << 3) | A_DELIVER, where);
        }
        throw new ExploreError(`${where}: the run never settles`);
      }
      default:
        assertNever(step, 'prefix step');
    }
  }

  private prefixAction(action: number, where: string): void {
    const count = this.listActions(true);
    let enabled = false;
    for (let a = 0; a < count; a++) if (this.actions[a] === action) enabled = true;
    if (!enabled) throw new ExploreError(`${where}: not possible here (${this.describe(action).do} is not enabled)`);
    this.prefixSteps.push(this.describe(action));
    this.applyAction(action);
    this.ensureCur(this.outLength);
    this.cur.set(this.out.subarray(0, this.outLength));
    this.curLength = this.outLength;
  }

  private seed(): number {
    return this.options.seed ?? 1;
  }

  // ---- the hot path: actions and successors ----------------------------------------------

  private ensureCur(length: number): void {
    if (this.cur.length < length) {
      const bigger = new Int32Array(length * 2);
      bigger.set(this.cur);
      this.cur = bigger;
    }
  }

  private load(id: number): void {
    const start = this.starts.data[id] as number;
    const end = id + 1 < this.starts.length ? (this.starts.data[id + 1] as number) : this.pool.length;
    const length = end - start;
    this.ensureCur(length);
    this.cur.set(this.pool.data.subarray(start, end));
    this.curLength = length;
  }

  /**
   * Fills `actions` with every action the adversary may take in `cur`; returns how many.
   * `everything` (a staged prefix): also skipped retransmissions and eagerly delivered messages.
   */
  private listActions(everything = false): number {
    const n = this.n;
    const cur = this.cur;
    const header = cur[0] as number;
    let count = 0;
    const room = (this.curLength - HEAD - n) * 2 + n * 18 + 8;
    if (this.actions.length < room) this.actions = new Int32Array(room * 2);
    const actions = this.actions;
    const loss = this.options.loss === true;
    for (let i = HEAD + n; i < this.curLength; i++) {
      const m = cur[i] as number;
      if (!everything && this.eager && !this.isControlled(m)) continue;
      actions[count++] = (m << 3) | A_DELIVER;
      // A message to oneself never leaves the node: the simulator never loses it either.
      if (loss) {
        const message = this.nodes.messages[m] as Message;
        if (message.from !== message.to) actions[count++] = (m << 3) | A_DROP;
      }
    }
    if (this.timersOn) {
      for (let node = 0; node < n; node++) {
        const local = cur[HEAD + node] as number;
        if (local < 0) continue;
        const timers = (this.nodes.locals[local] as LocalState).timers;
        for (let t = 0; t < timers.length; t++) {
          const timer = timers[t] as number;
          if (!everything && !this.retransmitOn && this.nodes.timerIsRetransmit[timer] === true) continue;
          if (count >= this.actions.length) this.actions = growInts(this.actions);
          this.actions[count++] = (((timer << 4) | node) << 3) | A_TIMER;
        }
      }
    }
    const crashes = crashesOf(header);
    const restarts = restartsOf(header);
    for (let node = 0; node < n; node++) {
      const up = (cur[HEAD + node] as number) >= 0;
      if (count + 2 >= this.actions.length) this.actions = growInts(this.actions);
      if (up && crashes < this.options.maxCrashes) this.actions[count++] = (node << 3) | A_CRASH;
      if (!up && restarts < this.maxRestarts && incarnationOf(header, node) < 15) this.actions[count++] = (node << 3) | A_RESTART;
    }
    return count;
  }

  private isControlled(m: number): boolean {
    const known = this.controlledCache[m];
    if (known !== undefined && known >= 0) return known === 1;
    const adversary = this.options.adversary;
    const message = this.nodes.messages[m] as Message;
    const controlled =
      adversary === undefined ||
      (adversary.to.includes(this.members[message.to] as NodeId) && (adversary.kinds === undefined || adversary.kinds.includes(message.kind)));
    this.controlledCache[m] = controlled ? 1 : 0;
    return controlled;
  }

  /** The adversary's step: `action`, then (with adversaryFor) what the network delivers at once. */
  private advance(action: number): void {
    this.applyAction(action);
    if (this.eager) this.deliverEagerly(undefined);
  }

  /**
   * Delivers, oldest first, every message in `out` that does not wait for the adversary, until
   * none is left (each delivery may send more). `log` collects them for a readable schedule.
   */
  private deliverEagerly(log: number[] | undefined): void {
    const saved = this.cur;
    const savedLength = this.curLength;
    let scratch = new Int32Array(this.outLength + 64);
    for (let guard = 0; guard < EXPLORE_WALK_MAX_STEPS * 10; guard++) {
      let pick = -1;
      for (let i = HEAD + this.n; i < this.outLength; i++) {
        const m = this.out[i] as number;
        if (!this.isControlled(m)) {
          pick = m;
          break;
        }
      }
      if (pick < 0) {
        this.cur = saved;
        this.curLength = savedLength;
        return;
      }
      if (scratch.length < this.outLength) scratch = new Int32Array(this.outLength * 2);
      scratch.set(this.out.subarray(0, this.outLength));
      this.cur = scratch;
      this.curLength = this.outLength;
      const action = (pick << 3) | A_DELIVER;
      log?.push(action);
      this.applyAction(action);
    }
    throw new ExploreError('messages keep flowing without the adversary: the eager network never settles');
  }

  /** A path of adversary actions from the root, with the network's eager deliveries spelled out. */
  private spell(actions: readonly number[]): ExploreStep[] {
    if (!this.eager) return actions.map((a) => this.describe(a));
    const saved = this.cur;
    const savedLength = this.curLength;
    const all: number[] = [];
    this.cur = this.root.slice();
    this.curLength = this.root.length;
    for (const action of actions) {
      all.push(action);
      this.applyAction(action);
      this.deliverEagerly(all);
      this.cur = this.out.slice(0, this.outLength);
      this.curLength = this.outLength;
    }
    this.cur = saved;
    this.curLength = savedLength;
    return all.map((a) => this.describe(a));
  }

  /** Writes the successor of `cur` under `action` into `out`. */
  private applyAction(action: number): void {
    const n = this.n;
    const cur = this.cur;
    const len = this.curLength;
    if (this.out.length < len + 64) this.out = new Int32Array((len + 64) * 2);
    const out = this.out;
    for (let i = 0; i < HEAD + n; i++) out[i] = cur[i] as number;
    const payload = action >>> 3;
    let step: LocalStep | undefined;
    let node = -1;
    let removeMessage = -1;
    let removeTo = -1;
    switch (action & 7) {
      case A_DELIVER: {
        const message = this.nodes.messages[payload] as Message;
        removeMessage = payload;
        node = message.to;
        const local = cur[HEAD + node] as number;
        // Crashes remove what is in flight to the node, so a delivery always finds it up.
        if (local >= 0) step = this.nodes.step(node, local, payload << 1);
        break;
      }
      case A_DROP:
        removeMessage = payload;
        break;
      case A_TIMER: {
        node = payload & 15;
        step = this.nodes.step(node, cur[HEAD + node] as number, ((payload >>> 4) << 1) | 1);
        break;
      }
      case A_CRASH:
        node = payload;
        out[HEAD + node] = -(cur[HEAD + node] as number) - 1;
        out[0] = (cur[0] as number) + 1;
        removeTo = node;
        break;
      case A_RESTART: {
        node = payload;
        const header = cur[0] as number;
        const incarnation = incarnationOf(header, node) + 1;
        out[0] = ((header + 16) & ~(15 << (8 + 4 * node))) | (incarnation << (8 + 4 * node));
        step = this.nodes.restart(node, -(cur[HEAD + node] as number) - 1, incarnation, nodeSeed(this.seed(), node, incarnation));
        break;
      }
      default:
        throw new ExploreError(`unknown action code ${action}`);
    }
    // In flight: the old set minus the delivered/dropped message (or everything to a crashed
    // node), merged with what the step sent to nodes that are up.
    let sends: readonly number[] = EMPTY;
    if (step !== undefined) {
      out[HEAD + node] = step.next;
      if (step.decided !== 0) out[1] = (out[1] as number) | (step.decided << (DECIDED_BITS * node));
      sends = step.sends;
    }
    let o = HEAD + n;
    let s = 0;
    const sendCount = sends.length;
    // Sends are few and unsorted: insert each in order while copying.
    const sorted = sendCount <= 1 ? sends : [...sends].sort((a, b) => a - b);
    for (let i = HEAD + n; i < len; i++) {
      const m = cur[i] as number;
      while (s < sendCount && (sorted[s] as number) < m) o = this.pushSend(out, o, sorted[s++] as number);
      if (s < sendCount && sorted[s] === m) s++;
      if (m === removeMessage) continue;
      if (removeTo >= 0 && (this.nodes.messages[m] as Message).to === removeTo) continue;
      out[o++] = m;
    }
    while (s < sendCount) o = this.pushSend(out, o, sorted[s++] as number);
    this.outLength = o;
  }

  /** Appends a sent message unless its receiver is down (the simulator discards those), or it repeats the last one. */
  private pushSend(out: Int32Array, o: number, m: number): number {
    const to = (this.nodes.messages[m] as Message).to;
    if ((out[HEAD + to] as number) < 0) return o;
    if (o > HEAD + this.n && out[o - 1] === m) return o;
    out[o] = m;
    return o + 1;
  }

  /** Finds `out` among the known states, or adds it; returns its id. */
  private intern(parent: number, action: number, depth: number): number {
    const out = this.out;
    const length = this.outLength;
    const hash = hashInts(out, length);
    const mask = this.table.length - 1;
    const pool = this.pool.data;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot] as number;
      if (entry === 0) break;
      const id = entry - 1;
      if (this.hashes.data[id] !== hash) continue;
      const start = this.starts.data[id] as number;
      const end = id + 1 < this.starts.length ? (this.starts.data[id + 1] as number) : this.pool.length;
      if (end - start !== length) continue;
      let equal = true;
      for (let k = 0; k < length; k++) {
        if (pool[start + k] !== out[k]) {
          equal = false;
          break;
        }
      }
      if (equal) return id;
    }
    const id = this.starts.length;
    this.starts.push(this.pool.length);
    if (this.pool.length + length > this.pool.data.length) this.pool.grow(this.pool.length + length);
    this.pool.data.set(out.subarray(0, length), this.pool.length);
    this.pool.length += length;
    this.hashes.push(hash);
    this.parent.push(parent);
    this.via.push(action);
    this.depth.push(depth);
    if (this.agreementAt < 0 && disagrees(out[1] as number, this.n)) this.agreementAt = id;
    if ((id + 1) * 2 > this.table.length) this.rehash();
    else this.place(hash, id);
    return id;
  }

  private place(hash: number, id: number): void {
    const mask = this.table.length - 1;
    let slot = hash & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = id + 1;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2);
    for (let id = 0; id < this.starts.length; id++) this.place(this.hashes.data[id] as number, id);
  }

  private markCut(id: number): void {
    if (this.cut.length <= id) {
      const bigger = new Uint8Array(Math.max(this.cut.length * 2, id + 1));
      bigger.set(this.cut);
      this.cut = bigger;
    }
    if (this.cut[id] === 0) this.cutCount++;
    this.cut[id] = 1;
  }

  private cutFrom(from: number, to: number): void {
    for (let j = from; j < to; j++) this.markCut(j);
  }

  private someUpUndecided(state: Int32Array): boolean {
    const decided = state[1] as number;
    for (let node = 0; node < this.n; node++) {
      if ((state[HEAD + node] as number) >= 0 && ((decided >>> (DECIDED_BITS * node)) & 63) === 0) return true;
    }
    return false;
  }

  private undecidedNames(state: Int32Array): NodeId[] {
    const decided = state[1] as number;
    return this.members.filter((_m, node) => (state[HEAD + node] as number) >= 0 && ((decided >>> (DECIDED_BITS * node)) & 63) === 0);
  }

  // ---- random walks ----------------------------------------------------------------------

  /**
   * Seeded random walks from the start, each to the end of its schedule: one that ends with
   * nothing left to happen and a live node undecided is a real schedule into "undecided
   * forever"; one where two values get decided breaks Agreement. Neither is necessarily the
   * shortest: the search that follows replaces them with a shorter one when it finds one.
   */
  private walk(started: number): { violation: ExploreViolation | null; tried: number; steps: number; ms: number } {
    const walks = this.options.walks ?? EXPLORE_WALKS;
    const budget = this.options.budgetMs === undefined ? Infinity : this.options.budgetMs * EXPLORE_WALK_BUDGET_SHARE;
    const root = this.cur.slice(0, this.curLength);
    const rootLength = this.curLength;
    let prng: PrngState = seedPrng(this.seed() ^ 0x3a1c);
    let tried = 0;
    let total = 0;
    let found: ExploreViolation | null = null;
    let agreement: ExploreViolation | null = null;
    const path: number[] = [];
    // Walk on after a run that stays undecided: an Agreement violation matters more.
    for (; tried < walks && agreement === null; tried++) {
      if (this.now() - started > budget) break;
      this.ensureCur(rootLength);
      this.cur.set(root.subarray(0, rootLength));
      this.curLength = rootLength;
      path.length = 0;
      let faultFrom: number;
      [faultFrom, prng] = nextInt(prng, 0, EXPLORE_WALK_FAULT_WINDOW);
      for (let depth = 0; depth < EXPLORE_WALK_MAX_STEPS; depth++) {
        const count = this.listActions();
        let moves = 0;
        for (let a = 0; a < count; a++) if (((this.actions[a] as number) & 7) !== A_CRASH) moves++;
        if (moves === 0) {
          if (found === null && this.someUpUndecided(this.cur)) found = this.termination(this.cur, path, 'walk');
          break;
        }
        // Faults come at a moment drawn per walk: picked like any other step from the start,
        // a crash lands in the first few steps almost every time, and the violations we look
        // for (a restart after a decision, a voter lost mid-count) need it later.
        let allowed = count;
        if (depth < faultFrom) {
          allowed = 0;
          for (let a = 0; a < count; a++) {
            const kind = (this.actions[a] as number) & 7;
            if (kind !== A_CRASH && kind !== A_RESTART) this.actions[allowed++] = this.actions[a] as number;
          }
          if (allowed === 0) allowed = this.listActions();
        }
        let pick: number;
        [pick, prng] = nextInt(prng, 0, allowed - 1);
        const action = this.actions[pick] as number;
        path.push(action);
        total++;
        this.advance(action);
        this.ensureCur(this.outLength);
        this.cur.set(this.out.subarray(0, this.outLength));
        this.curLength = this.outLength;
        if (disagrees(this.cur[1] as number, this.n)) {
          agreement = this.agreement(this.cur, path, 'walk');
          break;
        }
      }
    }
    this.ensureCur(rootLength);
    this.cur.set(root.subarray(0, rootLength));
    this.curLength = rootLength;
    return { violation: agreement ?? found, tried, steps: total, ms: this.now() - started };
  }

  private agreement(state: Int32Array, path: readonly number[], foundBy: ExploreViolation['foundBy']): ExploreViolation {
    return {
      property: 'agreement',
      message: `nodes decide different values: ${this.describeDecisions(state[1] as number)}`,
      steps: [...this.prefixSteps, ...this.spell(path)],
      prefixSteps: this.prefixSteps.length,
      foundBy,
    };
  }

  private termination(state: Int32Array, path: readonly number[], foundBy: ExploreViolation['foundBy']): ExploreViolation {
    const undecided = this.undecidedNames(state);
    return {
      property: 'termination',
      message: `nothing is left to happen and ${undecided.join(', ')} never decide${undecided.length === 1 ? 's' : ''}`,
      steps: [...this.prefixSteps, ...this.spell(path)],
      prefixSteps: this.prefixSteps.length,
      foundBy,
    };
  }

  // ---- after the search ----------------------------------------------------------------------

  private stateDecided(id: number): number {
    return this.pool.data[(this.starts.data[id] as number) + 1] as number;
  }

  /**
   * Reachable decided values per state (bit sets), and whether that answer is complete (no cut
   * state reachable). A fixpoint over reversed edges: each state's bits flow to its predecessors.
   */
  private valence(): { bits: Int32Array; unknown: Uint8Array } {
    const n = this.starts.length;
    const bits = new Int32Array(n);
    const unknown = new Uint8Array(n);
    const edges = this.edges.data;
    const edgeCount = this.edges.length;
    const edgeStart = this.edgeStart.data;
    const reverseStart = new Int32Array(n + 1);
    for (let i = 0; i < edgeCount; i++) reverseStart[(edges[i] as number) + 1]!++;
    for (let i = 0; i < n; i++) reverseStart[i + 1]! += reverseStart[i]!;
    const fill = reverseStart.slice();
    const reverse = new Int32Array(edgeCount);
    for (let from = 0; from < n; from++) {
      for (let e = edgeStart[from] as number; e < (edgeStart[from + 1] as number); e++) {
        const to = edges[e] as number;
        reverse[fill[to]!++] = from;
      }
    }
    const queue = new IntList(1024);
    for (let i = 0; i < n; i++) {
      const packed = this.stateDecided(i);
      let own = 0;
      for (let node = 0; node < this.n; node++) own |= (packed >>> (DECIDED_BITS * node)) & 63;
      bits[i] = own;
      unknown[i] = i < this.cut.length ? (this.cut[i] as number) : 0;
      if (own !== 0 || unknown[i] === 1) queue.push(i);
    }
    while (queue.length > 0) {
      const to = queue.data[--queue.length] as number;
      for (let r = reverseStart[to] as number; r < (reverseStart[to + 1] as number); r++) {
        const from = reverse[r] as number;
        const merged = (bits[from] as number) | (bits[to] as number);
        const merge = (unknown[from] as number) | (unknown[to] as number);
        if (merged !== bits[from] || merge !== unknown[from]) {
          bits[from] = merged;
          unknown[from] = merge;
          queue.push(from);
        }
      }
    }
    return { bits, unknown };
  }

  private valenceOf(valence: { bits: Int32Array; unknown: Uint8Array }, id: number): Valence {
    return { values: this.valuesOf(valence.bits[id] ?? 0), complete: valence.unknown[id] === 0 };
  }

  private findViolation(valence: { bits: Int32Array; unknown: Uint8Array }): ExploreViolation | null {
    if (this.agreementAt >= 0) {
      this.load(this.agreementAt);
      return this.agreement(this.cur, this.pathTo(this.agreementAt), 'search');
    }
    // Without any proposal nobody is asked to decide: staying undecided is no violation.
    if (this.options.proposals.length === 0) return null;
    if (this.quietAt >= 0) {
      this.load(this.quietAt);
      return this.termination(this.cur, this.pathTo(this.quietAt), 'search');
    }
    // BFS order is shortest-first: the first state from which no decision is reachable, with
    // nothing cut below it, is the shortest schedule into "undecided forever".
    for (let i = 0; i < this.starts.length; i++) {
      if ((valence.bits[i] ?? 0) === 0 && valence.unknown[i] === 0) {
        this.load(i);
        let up = 0;
        for (let node = 0; node < this.n; node++) if ((this.cur[HEAD + node] as number) >= 0) up++;
        return {
          property: 'termination',
          message: `no decision is reachable from here (${up} of ${this.n} nodes up), whatever the order of what follows`,
          steps: [...this.prefixSteps, ...this.spell(this.pathTo(i))],
          prefixSteps: this.prefixSteps.length,
          foundBy: 'search',
        };
      }
    }
    return null;
  }

  /**
   * The first bivalent state (BFS order) where delivering one of two messages to the same node
   * makes the outcome univalent one way, and the other the other way (FLP's critical step).
   */
  private findCritical(valence: { bits: Int32Array; unknown: Uint8Array }): CriticalStep | null {
    const single = (x: number): boolean => x !== 0 && (x & (x - 1)) === 0;
    const edges = this.edges.data;
    const edgeStart = this.edgeStart.data;
    for (let i = 0; i < this.starts.length; i++) {
      const b = valence.bits[i] ?? 0;
      if (single(b) || b === 0 || valence.unknown[i] === 1) continue;
      // Recompute the actions of state i: edges are stored in the same order.
      this.load(i);
      const count = this.listActions();
      const first = edgeStart[i] as number;
      if ((edgeStart[i + 1] as number) - first !== count) continue;
      const byReceiver = new Map<number, { message: number; bits: number }[]>();
      for (let a = 0; a < count; a++) {
        const action = this.actions[a] as number;
        if ((action & 7) !== A_DELIVER) continue;
        const to = edges[first + a] as number;
        if (valence.unknown[to] === 1) continue;
        const message = this.nodes.messages[action >>> 3] as Message;
        const list = byReceiver.get(message.to) ?? [];
        list.push({ message: action >>> 3, bits: valence.bits[to] ?? 0 });
        byReceiver.set(message.to, list);
      }
      for (const [receiver, options] of byReceiver) {
        for (const a of options) {
          for (const c of options) {
            if (single(a.bits) && single(c.bits) && a.bits < c.bits) {
              const ma = this.nodes.messages[a.message] as Message;
              const mc = this.nodes.messages[c.message] as Message;
              return {
                node: this.members[receiver] as NodeId,
                first: { from: this.members[ma.from] as NodeId, kind: ma.kind, message: ma.payload, leadsTo: this.valuesOf(a.bits) },
                second: { from: this.members[mc.from] as NodeId, kind: mc.kind, message: mc.payload, leadsTo: this.valuesOf(c.bits) },
                steps: this.spell(this.pathTo(i)),
              };
            }
          }
        }
      }
    }
    return null;
  }

  private valuesOf(bits: number): Value[] {
    return this.nodes.values.filter((_v, i) => (bits & (1 << i)) !== 0);
  }

  private describeDecisions(packed: number): string {
    return this.members
      .map((name, node) => {
        const b = (packed >>> (DECIDED_BITS * node)) & 63;
        return b === 0 ? undefined : `${name} ${this.valuesOf(b).join('+')}`;
      })
      .filter((s) => s !== undefined)
      .join(', ');
  }

  private pathTo(id: number): number[] {
    const actions: number[] = [];
    for (let at = id; (this.parent.data[at] as number) >= 0; at = this.parent.data[at] as number) actions.push(this.via.data[at] as number);
    return actions.reverse();
  }

  private describe(action: number): ExploreStep {
    const name = (i: number): NodeId => this.members[i] as NodeId;
    const payload = action >>> 3;
    const kind = action & 7;
    switch (kind) {
      case A_DELIVER:
      case A_DROP: {
        const m = this.nodes.messages[payload] as Message;
        return { do: kind === A_DELIVER ? 'deliver' : 'drop', from: name(m.from), to: name(m.to), kind: m.kind, message: m.payload };
      }
      case A_TIMER:
        return { do: 'timer', node: name(payload & 15), timer: this.nodes.timerNames[payload >>> 4] as string };
      case A_CRASH:
        return { do: 'crash', node: name(payload) };
      case A_RESTART:
        return { do: 'restart', node: name(payload) };
      default:
        throw new ExploreError(`unknown action code ${action}`);
    }
  }
}

const EMPTY: readonly number[] = [];

function growInts(a: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

/** Two values decided, by two nodes or by one node across its incarnations. */
function disagrees(packed: number, n: number): boolean {
  let all = 0;
  for (let node = 0; node < n; node++) {
    const d = (packed >>> (DECIDED_BITS * node)) & 63;
    if ((d & (d - 1)) !== 0) return true;
    all |= d;
  }
  return (all & (all - 1)) !== 0;
}
