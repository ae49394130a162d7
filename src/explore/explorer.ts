/**
 * The explorer: every run a small group of nodes can have, in FLP's model, searched state by
 * state. Where the simulator samples schedules by seed, this enumerates them:
 *
 * - every message in flight may be delivered next, in any order (a message is delivered at most
 *   once: the network of FLP neither loses nor duplicates, so a retransmission of a message
 *   still in flight is the same message);
 * - any node's pending timer may fire next (time does not exist, only order);
 * - up to `maxCrashes` nodes may crash at any moment (a crashed node's inbound messages are
 *   gone); with `maxRestarts`, a crashed node may restart from what it persisted;
 * - with `loss`, any message may also be dropped (off by default: with loss, almost every state
 *   can stay undecided forever, which says nothing).
 *
 * The machines are the single source of truth: each step is XState's pure `transition` on the
 * algorithm's own machine, never a second copy of the algorithm. What makes it fast enough is
 * that a node's step depends only on its own state and the event, so node states are interned
 * (equal states get one id) and every (node state, event) step is computed once and cached;
 * a global state is then a handful of small integers, hashed to a string key.
 *
 * After the search, valence is computed over the explored graph: from each state, which
 * decided values are still reachable. That answers the FLP question ("can the outcome still go
 * either way?"), finds the critical step (two messages to one node whose order decides), and
 * proves "no decision is reachable" only where the search was not cut short.
 */
import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { NodeEffect, NodeId, Timing, Value } from '../core/types.ts';
import type { AlgorithmSpec } from '../machines/spec.ts';
import { EXPLORE_MAX_STATES, EXPLORE_MAX_VALUES, EXPLORE_WALK_MAX_STEPS, EXPLORE_WALKS } from '../limits.ts';
import { nextInt, seedPrng } from '../core/prng.ts';
import { assertNever } from '../core/assert.ts';

/** Timing is irrelevant to the explorer (time is order only), but machines need one. */
const EXPLORE_TIMING: Timing = { retransmitMs: 100, impatienceMs: 300, backoffMs: 100, phaseTimeoutMs: 300 };

export interface Proposal {
  readonly node: NodeId;
  readonly value: Value;
}

export interface ExploreOptions {
  readonly algorithm: AlgorithmSpec;
  readonly nodes: readonly NodeId[];
  /** tryInitialize calls, applied before the search starts (FLP's inputs). */
  readonly proposals: readonly Proposal[];
  readonly maxCrashes: number;
  readonly maxRestarts?: number;
  readonly loss?: boolean;
  /** Timers may fire (retransmissions, phase timeouts, impatience). Default true. */
  readonly timers?: boolean;
  /** Longest schedule explored, in steps; deeper states are cut (and make answers "unknown"). */
  readonly maxDepth: number;
  readonly maxStates?: number;
  /** Wall-clock budget; the host's clock (performance.now in Node or a worker). */
  readonly budgetMs?: number;
  readonly now?: () => number;
  /** Seed of the nodes' PRNGs (Paxos backoff draws): part of each node's state. */
  readonly seed?: number;
  /** Random walks tried when the breadth-first search finds nothing (see walkToQuiet). */
  readonly walks?: number;
  /** Stop at the first violation (the shortest, in BFS order). Default true; false explores on. */
  readonly stopAtViolation?: boolean;
}

/** One step of a schedule, as a person would read it. */
export type ExploreStep =
  | { readonly do: 'deliver'; readonly from: NodeId; readonly to: NodeId; readonly kind: string; readonly message: unknown }
  | { readonly do: 'drop'; readonly from: NodeId; readonly to: NodeId; readonly kind: string }
  | { readonly do: 'timer'; readonly node: NodeId; readonly timer: string }
  | { readonly do: 'crash'; readonly node: NodeId }
  | { readonly do: 'restart'; readonly node: NodeId };

export type ExploreProperty = 'agreement' | 'termination';

export interface ExploreViolation {
  readonly property: ExploreProperty;
  readonly message: string;
  /** The shortest schedule found that leads there from the start. */
  readonly steps: readonly ExploreStep[];
}

/** The values still decidable from a state; `complete` false when the search was cut below it. */
export interface Valence {
  readonly values: readonly Value[];
  readonly complete: boolean;
}

export interface CriticalStep {
  /** The node both messages are on their way to. */
  readonly node: NodeId;
  readonly first: { readonly from: NodeId; readonly kind: string; readonly leadsTo: readonly Value[] };
  readonly second: { readonly from: NodeId; readonly kind: string; readonly leadsTo: readonly Value[] };
  readonly steps: readonly ExploreStep[];
}

export interface ExploreResult {
  readonly statesExplored: number;
  readonly transitionsComputed: number;
  readonly cutByDepth: number;
  readonly exhausted: boolean;
  /** Why the search stopped early, if it did. */
  readonly stoppedBy: 'states' | 'time' | 'violation' | undefined;
  readonly initialValence: Valence;
  /** Agreement first (safety), else a reachable state that can never decide. */
  readonly violation: ExploreViolation | null;
  readonly critical: CriticalStep | null;
  readonly wallMs: number;
}

// ---- node states, interned --------------------------------------------------------------

interface LocalState {
  readonly snapshot: SnapshotFrom<AnyStateMachine>;
  /** Pending delayed events (the `after` timers), sorted. */
  readonly timers: readonly string[];
  /** What it last persisted: where a restart begins. */
  readonly durable: unknown;
}

interface LocalStep {
  readonly next: number;
  readonly sends: readonly number[];
  readonly decided: readonly Value[];
}

interface Message {
  readonly from: number;
  readonly to: number;
  readonly payload: unknown;
  readonly kind: string;
}

type Event = { readonly type: 'receive'; readonly from: NodeId; readonly message: unknown } | { readonly type: string };

/** Interning tables and the step cache: everything that is per node, shared by all global states. */
class Nodes {
  readonly locals: LocalState[] = [];
  private readonly localIds = new Map<string, number>();
  readonly messages: Message[] = [];
  private readonly messageIds = new Map<string, number>();
  private readonly steps = new Map<string, LocalStep>();
  transitionsComputed = 0;

  constructor(
    private readonly machine: AnyStateMachine,
    private readonly members: readonly NodeId[],
  ) {}

  /** A node's first state (or its restart from `durable`) and what starting did. */
  boot(node: number, durable: unknown, seed: number): LocalStep {
    const [snapshot, actions] = initialTransition(this.machine, {
      self: this.members[node],
      members: this.members,
      seed,
      timing: EXPLORE_TIMING,
      durable,
    });
    return this.record(node, snapshot, [], durable, actions);
  }

  /** The node's step on `event`, computed once per (node state, event). */
  step(node: number, local: number, event: Event, eventKey: string): LocalStep {
    const key = `${local}|${eventKey}`;
    const cached = this.steps.get(key);
    if (cached !== undefined) return cached;
    const state = this.locals[local];
    if (state === undefined) throw new Error(`unknown local state ${local}`);
    this.transitionsComputed++;
    const [snapshot, actions] = transition(this.machine, state.snapshot, event);
    const timers = event.type.startsWith('xstate.after.') ? state.timers.filter((t) => t !== event.type) : state.timers;
    const result = this.record(node, snapshot, timers, state.durable, actions);
    this.steps.set(key, result);
    return result;
  }

  private record(
    node: number,
    snapshot: SnapshotFrom<AnyStateMachine>,
    timersBefore: readonly string[],
    durableBefore: unknown,
    actions: readonly { readonly type: string; readonly params?: unknown }[],
  ): LocalStep {
    const timers = new Set(timersBefore);
    let durable = durableBefore;
    const sends: number[] = [];
    const decided: Value[] = [];
    for (const action of actions) {
      const params = action.params as Record<string, unknown> | undefined;
      if (action.type === 'xstate.raise' && params !== undefined && params['delay'] !== undefined) {
        const event = params['event'] as { type: string } | undefined;
        if (event !== undefined) timers.add(event.type);
      } else if (action.type === 'xstate.cancel' && params !== undefined && typeof params['sendId'] === 'string') {
        timers.delete(params['sendId']);
      } else if (action.type === 'xstate.emit' && params !== undefined) {
        const effect = params['event'] as NodeEffect<unknown, unknown>;
        switch (effect.type) {
          case 'persist':
            durable = effect.state;
            break;
          case 'send':
            sends.push(this.internMessage(node, this.members.indexOf(effect.to), effect.message));
            break;
          case 'decided':
            decided.push(effect.value);
            break;
          default:
            // Effects a later contract adds (e.g. 'refused') change nothing the explorer tracks.
            break;
        }
      }
    }
    const local: LocalState = { snapshot, timers: [...timers].sort(), durable };
    return { next: this.internLocal(local), sends, decided };
  }

  private internLocal(local: LocalState): number {
    // The state value and context are the node's whole state (its PRNG included); timers and
    // durable state are ours. Equal keys are equal node states.
    const key = JSON.stringify([local.snapshot.value, local.snapshot.context, local.timers, local.durable]);
    const known = this.localIds.get(key);
    if (known !== undefined) return known;
    this.locals.push(local);
    this.localIds.set(key, this.locals.length - 1);
    return this.locals.length - 1;
  }

  private internMessage(from: number, to: number, payload: unknown): number {
    const key = `${from}>${to}:${JSON.stringify(payload)}`;
    const known = this.messageIds.get(key);
    if (known !== undefined) return known;
    const kind = typeof payload === 'object' && payload !== null && typeof (payload as { type?: unknown }).type === 'string' ? (payload as { type: string }).type : '?';
    this.messages.push({ from, to, payload, kind });
    this.messageIds.set(key, this.messages.length - 1);
    return this.messages.length - 1;
  }
}

// ---- global states ------------------------------------------------------------------------

interface GlobalState {
  /** Local state id per node, or -1 while crashed. */
  readonly locals: readonly number[];
  /** Messages in flight: distinct ids, sorted. */
  readonly inflight: readonly number[];
  /** Bit set of values each node has decided in any incarnation (bit i = values[i]). */
  readonly decided: readonly number[];
  readonly crashes: number;
  readonly restarts: number;
  /** Durable state of crashed nodes lives in their last local state: kept here by id. */
  readonly downAt: readonly number[];
}

function keyOf(state: GlobalState): string {
  return `${state.locals.join(',')}|${state.inflight.join(',')}|${state.decided.join(',')}|${state.crashes}.${state.restarts}|${state.downAt.join(',')}`;
}

type Action =
  | { readonly kind: 'deliver'; readonly message: number }
  | { readonly kind: 'drop'; readonly message: number }
  | { readonly kind: 'timer'; readonly node: number; readonly timer: string }
  | { readonly kind: 'crash'; readonly node: number }
  | { readonly kind: 'restart'; readonly node: number };

export function explore(options: ExploreOptions): ExploreResult {
  return new Search(options).run();
}

class Search {
  private readonly nodes: Nodes;
  private readonly values: Value[] = [];
  private readonly states: GlobalState[] = [];
  private readonly ids = new Map<string, number>();
  private readonly parent: number[] = [];
  private readonly via: (Action | undefined)[] = [];
  private readonly depth: number[] = [];
  /** Successors of each expanded state (CSR: edgeStart[i]..edgeStart[i+1]). */
  private edges: Int32Array = new Int32Array(1 << 16);
  private edgeCount = 0;
  private readonly edgeStart: number[] = [];
  /** State ids not expanded (depth or size limit): their futures are unknown. */
  private readonly cut = new Set<number>();
  private readonly maxStates: number;
  private readonly now: () => number;
  private agreementAt: number | undefined;
  /** The first state (BFS order) where nothing can happen any more and someone up is undecided. */
  private quietAt: number | undefined;

  constructor(private readonly options: ExploreOptions) {
    this.nodes = new Nodes(options.algorithm.machine, options.nodes);
    this.maxStates = Math.min(options.maxStates ?? EXPLORE_MAX_STATES, EXPLORE_MAX_STATES);
    this.now = options.now ?? (() => Date.now());
  }

  run(): ExploreResult {
    const started = this.now();
    const initial = this.initialState();
    this.add(initial, -1, undefined, 0);
    let stoppedBy: ExploreResult['stoppedBy'];
    let cutByDepth = 0;
    for (let i = 0; i < this.states.length; i++) {
      this.edgeStart[i] = this.edgeCount;
      const state = this.states[i] as GlobalState;
      if ((this.depth[i] ?? 0) >= this.options.maxDepth) {
        this.cut.add(i);
        cutByDepth++;
        continue;
      }
      if (this.states.length >= this.maxStates || (i % 1024 === 0 && this.options.budgetMs !== undefined && this.now() - started > this.options.budgetMs)) {
        stoppedBy ??= this.states.length >= this.maxStates ? 'states' : 'time';
        for (let j = i; j < this.states.length; j++) this.cut.add(j);
        for (let j = i; j < this.states.length; j++) this.edgeStart[j] = this.edgeCount;
        break;
      }
      let progress = false;
      for (const action of this.actions(state)) {
        if (action.kind !== 'crash') progress = true;
        const next = this.apply(state, action);
        const id = this.add(next, i, action, (this.depth[i] ?? 0) + 1);
        this.pushEdge(id);
      }
      // Nothing left to deliver, no timer to fire, nobody to restart: the run is over here.
      // Anyone up and undecided stays so forever (BFS order: the shortest such schedule).
      if (!progress && this.quietAt === undefined && this.someUpUndecided(state)) this.quietAt = i;
      if (this.options.stopAtViolation !== false && (this.agreementAt !== undefined || this.quietAt !== undefined)) {
        stoppedBy = 'violation';
        for (let j = i + 1; j < this.states.length; j++) {
          this.cut.add(j);
          this.edgeStart[j] = this.edgeCount;
        }
        break;
      }
    }
    this.edgeStart[this.states.length] = this.edgeCount;
    const valence = this.valence();
    const violation = this.findViolation(valence) ?? this.walkToQuiet(started);
    return {
      statesExplored: this.states.length,
      transitionsComputed: this.nodes.transitionsComputed,
      cutByDepth,
      exhausted: this.cut.size === 0,
      stoppedBy,
      initialValence: this.valenceOf(valence, 0),
      violation,
      critical: this.findCritical(valence),
      wallMs: Math.round(this.now() - started),
    };
  }

  private initialState(): GlobalState {
    const n = this.options.nodes.length;
    const locals: number[] = [];
    const inflight = new Set<number>();
    const decided = new Array<number>(n).fill(0);
    for (let node = 0; node < n; node++) {
      const boot = this.nodes.boot(node, undefined, (this.options.seed ?? 1) + node);
      locals.push(boot.next);
      for (const m of boot.sends) inflight.add(m);
    }
    for (const { node, value } of this.options.proposals) {
      const index = this.options.nodes.indexOf(node);
      if (index < 0) throw new Error(`unknown proposer ${node}`);
      const event: Event = { type: 'tryInitialize', value } as Event;
      const step = this.nodes.step(index, locals[index] as number, event, `p:${value}`);
      locals[index] = step.next;
      for (const m of step.sends) inflight.add(m);
      decided[index] = (decided[index] ?? 0) | this.bits(step.decided);
    }
    return { locals, inflight: [...inflight].sort((a, b) => a - b), decided, crashes: 0, restarts: 0, downAt: new Array<number>(n).fill(-1) };
  }

  /**
   * Breadth-first search proves things about short schedules; a run that only gets stuck after
   * every message has been delivered (a split vote, a tally waiting for a crashed voter) lies
   * deeper than it can reach. So, when it found nothing, seeded random walks follow single
   * schedules to their end: one that ends with nothing left to happen and a live node undecided
   * is a real schedule into "undecided forever" (not necessarily the shortest).
   */
  private walkToQuiet(started: number): ExploreViolation | null {
    if (this.options.proposals.length === 0) return null;
    let prng = seedPrng(this.options.seed ?? 1);
    const walks = this.options.walks ?? EXPLORE_WALKS;
    for (let walk = 0; walk < walks; walk++) {
      if (this.options.budgetMs !== undefined && this.now() - started > this.options.budgetMs) return null;
      let state = this.states[0] as GlobalState;
      const steps: Action[] = [];
      for (let depth = 0; depth < EXPLORE_WALK_MAX_STEPS; depth++) {
        const actions = [...this.actions(state)];
        const moves = actions.filter((a) => a.kind !== 'crash');
        if (moves.length === 0) {
          if (this.someUpUndecided(state) && !disagrees(state.decided)) {
            const undecided = state.locals.map((l, i) => (l >= 0 && state.decided[i] === 0 ? this.options.nodes[i] : undefined)).filter((x) => x !== undefined);
            return {
              property: 'termination',
              message: `nothing is left to happen and ${undecided.join(', ')} never decide${undecided.length === 1 ? 's' : ''}`,
              steps: steps.map((a) => this.describe(a)),
            };
          }
          break;
        }
        // A crash is one move among the others, at most as often as a delivery.
        let pick: number;
        [pick, prng] = nextInt(prng, 0, actions.length - 1);
        const action = actions[pick] as Action;
        steps.push(action);
        state = this.apply(state, action);
      }
    }
    return null;
  }

  private someUpUndecided(state: GlobalState): boolean {
    return state.locals.some((local, node) => local >= 0 && state.decided[node] === 0);
  }

  private bits(values: readonly Value[]): number {
    let bits = 0;
    for (const value of values) {
      let index = this.values.indexOf(value);
      if (index < 0) {
        if (this.values.length >= EXPLORE_MAX_VALUES) throw new Error(`the explorer tracks at most ${EXPLORE_MAX_VALUES} values`);
        this.values.push(value);
        index = this.values.length - 1;
      }
      bits |= 1 << index;
    }
    return bits;
  }

  private *actions(state: GlobalState): Generator<Action> {
    for (const message of state.inflight) {
      yield { kind: 'deliver', message };
      if (this.options.loss === true) yield { kind: 'drop', message };
    }
    yield* this.timerActions(state);
    for (let node = 0; node < state.locals.length; node++) {
      if ((state.locals[node] ?? -1) >= 0 && state.crashes < this.options.maxCrashes) yield { kind: 'crash', node };
      if ((state.locals[node] ?? -1) < 0 && state.restarts < (this.options.maxRestarts ?? 0)) yield { kind: 'restart', node };
    }
  }

  private *timerActions(state: GlobalState): Generator<Action> {
    if (this.options.timers === false) return;
    for (let node = 0; node < state.locals.length; node++) {
      const local = state.locals[node] ?? -1;
      if (local < 0) continue;
      for (const timer of this.nodes.locals[local]?.timers ?? []) {
        // FLP's network loses nothing, so retransmitting can only repeat a message already in
        // flight (or already delivered): those timers matter only when loss is explored.
        if (this.options.loss !== true && isRetransmission(timer)) continue;
        yield { kind: 'timer', node, timer };
      }
    }
  }

  private apply(state: GlobalState, action: Action): GlobalState {
    const locals = [...state.locals];
    const decided = [...state.decided];
    const downAt = [...state.downAt];
    let inflight = state.inflight;
    let { crashes, restarts } = state;
    const take = (step: LocalStep, node: number): void => {
      locals[node] = step.next;
      if (step.sends.length > 0) inflight = mergeSorted(inflight, step.sends);
      if (step.decided.length > 0) decided[node] = (decided[node] ?? 0) | this.bits(step.decided);
    };
    switch (action.kind) {
      case 'deliver': {
        const message = this.nodes.messages[action.message] as Message;
        inflight = inflight.filter((m) => m !== action.message);
        const local = locals[message.to] ?? -1;
        if (local >= 0) {
          const from = this.options.nodes[message.from] as NodeId;
          take(this.nodes.step(message.to, local, { type: 'receive', from, message: message.payload }, `m${action.message}`), message.to);
        }
        break;
      }
      case 'drop':
        inflight = inflight.filter((m) => m !== action.message);
        break;
      case 'timer':
        take(this.nodes.step(action.node, locals[action.node] as number, { type: action.timer }, `t:${action.timer}`), action.node);
        break;
      case 'crash':
        downAt[action.node] = locals[action.node] as number;
        locals[action.node] = -1;
        crashes++;
        // A crashed node never processes what was on its way to it.
        inflight = inflight.filter((m) => this.nodes.messages[m]?.to !== action.node);
        break;
      case 'restart': {
        const before = this.nodes.locals[downAt[action.node] as number];
        restarts++;
        downAt[action.node] = -1;
        take(this.nodes.boot(action.node, before?.durable, (this.options.seed ?? 1) + action.node + 1000 * restarts), action.node);
        break;
      }
      default:
        assertNever(action, 'explorer action');
    }
    return { locals, inflight, decided, crashes, restarts, downAt };
  }

  private add(state: GlobalState, parent: number, via: Action | undefined, depth: number): number {
    const key = keyOf(state);
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = this.states.length;
    this.states.push(state);
    this.ids.set(key, id);
    this.parent.push(parent);
    this.via.push(via);
    this.depth.push(depth);
    if (this.agreementAt === undefined && disagrees(state.decided)) this.agreementAt = id;
    return id;
  }

  private pushEdge(to: number): void {
    if (this.edgeCount >= this.edges.length) {
      const bigger = new Int32Array(this.edges.length * 2);
      bigger.set(this.edges);
      this.edges = bigger;
    }
    this.edges[this.edgeCount++] = to;
  }

  /**
   * Reachable decided values per state (bit sets), and whether that answer is complete (no cut
   * state reachable). A fixpoint over reversed edges: each state's bits flow to its predecessors.
   */
  private valence(): { bits: Int32Array; unknown: Uint8Array } {
    const n = this.states.length;
    const bits = new Int32Array(n);
    const unknown = new Uint8Array(n);
    const reverseStart = new Int32Array(n + 1);
    for (let i = 0; i < this.edgeCount; i++) reverseStart[(this.edges[i] as number) + 1]!++;
    for (let i = 0; i < n; i++) reverseStart[i + 1]! += reverseStart[i]!;
    const fill = reverseStart.slice();
    const reverse = new Int32Array(this.edgeCount);
    for (let from = 0; from < n; from++) {
      for (let e = this.edgeStart[from] ?? 0; e < (this.edgeStart[from + 1] ?? 0); e++) {
        const to = this.edges[e] as number;
        reverse[fill[to]!++] = from;
      }
    }
    const queue: number[] = [];
    for (let i = 0; i < n; i++) {
      const state = this.states[i] as GlobalState;
      let own = 0;
      for (const d of state.decided) own |= d;
      bits[i] = own;
      unknown[i] = this.cut.has(i) ? 1 : 0;
      if (own !== 0 || unknown[i] === 1) queue.push(i);
    }
    while (queue.length > 0) {
      const to = queue.pop() as number;
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
    const b = valence.bits[id] ?? 0;
    return { values: this.values.filter((_v, i) => (b & (1 << i)) !== 0), complete: valence.unknown[id] === 0 };
  }

  private findViolation(valence: { bits: Int32Array; unknown: Uint8Array }): ExploreViolation | null {
    if (this.agreementAt !== undefined) {
      const state = this.states[this.agreementAt] as GlobalState;
      return { property: 'agreement', message: `nodes decide different values: ${this.describeDecisions(state)}`, steps: this.path(this.agreementAt) };
    }
    if (this.options.proposals.length === 0) return null;
    if (this.quietAt !== undefined) {
      const state = this.states[this.quietAt] as GlobalState;
      const undecided = state.locals.map((l, i) => (l >= 0 && state.decided[i] === 0 ? this.options.nodes[i] : undefined)).filter((x) => x !== undefined);
      return {
        property: 'termination',
        message: `nothing is left to happen and ${undecided.join(', ')} never decide${undecided.length === 1 ? 's' : ''}`,
        steps: this.path(this.quietAt),
      };
    }
    // BFS order is shortest-first: the first state from which no decision is reachable, with
    // nothing cut below it, is the shortest schedule into "undecided forever".
    for (let i = 0; i < this.states.length; i++) {
      if ((valence.bits[i] ?? 0) === 0 && valence.unknown[i] === 0) {
        const state = this.states[i] as GlobalState;
        const up = state.locals.filter((l) => l >= 0).length;
        return {
          property: 'termination',
          message: `no decision is reachable from here (${up} of ${state.locals.length} nodes up), whatever the order of what follows`,
          steps: this.path(i),
        };
      }
    }
    return null;
  }

  /** The first bivalent state where the order of two messages to one node decides the outcome. */
  private findCritical(valence: { bits: Int32Array; unknown: Uint8Array }): CriticalStep | null {
    for (let i = 0; i < this.states.length; i++) {
      const b = valence.bits[i] ?? 0;
      if ((b & (b - 1)) === 0) continue; // fewer than two values reachable
      const byReceiver = new Map<number, { message: number; bits: number }[]>();
      for (let e = this.edgeStart[i] ?? 0; e < (this.edgeStart[i + 1] ?? 0); e++) {
        const to = this.edges[e] as number;
        const action = this.via[to];
        if (action?.kind !== 'deliver' || this.parent[to] !== i) continue;
        const message = this.nodes.messages[action.message] as Message;
        if (valence.unknown[to] === 1) continue;
        const list = byReceiver.get(message.to) ?? [];
        list.push({ message: action.message, bits: valence.bits[to] ?? 0 });
        byReceiver.set(message.to, list);
      }
      for (const [receiver, options] of byReceiver) {
        for (const a of options) {
          for (const c of options) {
            const single = (x: number): boolean => x !== 0 && (x & (x - 1)) === 0;
            if (single(a.bits) && single(c.bits) && a.bits !== c.bits) {
              const ma = this.nodes.messages[a.message] as Message;
              const mc = this.nodes.messages[c.message] as Message;
              return {
                node: this.options.nodes[receiver] as NodeId,
                first: { from: this.options.nodes[ma.from] as NodeId, kind: ma.kind, leadsTo: this.valuesOf(a.bits) },
                second: { from: this.options.nodes[mc.from] as NodeId, kind: mc.kind, leadsTo: this.valuesOf(c.bits) },
                steps: this.path(i),
              };
            }
          }
        }
      }
    }
    return null;
  }

  private valuesOf(bits: number): Value[] {
    return this.values.filter((_v, i) => (bits & (1 << i)) !== 0);
  }

  private describeDecisions(state: GlobalState): string {
    return state.decided
      .map((b, i) => (b === 0 ? undefined : `${this.options.nodes[i]} ${this.valuesOf(b).join('+')}`))
      .filter((s) => s !== undefined)
      .join(', ');
  }

  private path(id: number): ExploreStep[] {
    const steps: ExploreStep[] = [];
    for (let at = id; (this.parent[at] ?? -1) >= 0; at = this.parent[at] as number) {
      const action = this.via[at];
      if (action !== undefined) steps.push(this.describe(action));
    }
    return steps.reverse();
  }

  private describe(action: Action): ExploreStep {
    const name = (i: number): NodeId => this.options.nodes[i] as NodeId;
    switch (action.kind) {
      case 'deliver': {
        const m = this.nodes.messages[action.message] as Message;
        return { do: 'deliver', from: name(m.from), to: name(m.to), kind: m.kind, message: m.payload };
      }
      case 'drop': {
        const m = this.nodes.messages[action.message] as Message;
        return { do: 'drop', from: name(m.from), to: name(m.to), kind: m.kind };
      }
      case 'timer':
        return { do: 'timer', node: name(action.node), timer: action.timer };
      case 'crash':
        return { do: 'crash', node: name(action.node) };
      case 'restart':
        return { do: 'restart', node: name(action.node) };
      default:
        return assertNever(action, 'explorer action');
    }
  }
}

/** XState names `after` events by the delay's name: `xstate.after.retransmit.<state id>`. */
function isRetransmission(timer: string): boolean {
  return timer.startsWith('xstate.after.retransmit.');
}

function disagrees(decided: readonly number[]): boolean {
  let all = 0;
  for (const d of decided) {
    if ((d & (d - 1)) !== 0) return true; // one node, two values across incarnations
    all |= d;
  }
  return (all & (all - 1)) !== 0;
}

/** Sorted union of a sorted list of ids and a few new ones (a message in flight is there once). */
function mergeSorted(sorted: readonly number[], added: readonly number[]): readonly number[] {
  const result = [...sorted];
  for (const id of added) {
    let low = 0;
    let high = result.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((result[mid] as number) < id) low = mid + 1;
      else high = mid;
    }
    if (result[low] !== id) result.splice(low, 0, id);
  }
  return result;
}
