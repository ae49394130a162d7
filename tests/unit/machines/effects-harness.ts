/**
 * Test drivers for the write-once machines (coordinator and the voting family). Not a test file.
 *
 * - `PureCluster` drives every node with `initialTransition` / `transition` (no actors, no
 *   timers: delayed `after` events are simply not taken) and holds every sent message until the
 *   test delivers or drops it, so a test chooses the exact delivery order.
 * - `LiveCluster` runs real actors through `startNode` on one `SimulatedClock`, for retransmission
 *   and timeouts. Messages are held the same way.
 */
import { initialTransition, SimulatedClock, transition, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { NodeEffect, NodeEvent, NodeId, NodeView, Timing, Value } from '../../../src/core/types.ts';
import { decisionOf, hardStateOf, onceDurable } from '../../../src/core/write-once.ts';
import { startNode, type NodeHandle, type OnceAlgorithmSpec } from '../../../src/machines/spec.ts';

export const TIMING: Timing = { retransmitMs: 100, impatienceMs: 1_000, backoffMs: 50, phaseTimeoutMs: 500 };

/** n01 … nNN: zero-padded so string order (the bully and tiebreak order) matches the numbers. */
export function nodeIds(count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `n${String(i + 1).padStart(2, '0')}`);
}

/** The effects a step emitted, in order: emitted events are `xstate.emit` actions. */
export function effectsOf<M, D>(actions: readonly { readonly type: string; readonly params?: unknown }[]): NodeEffect<M, D>[] {
  return actions
    .filter((action) => action.type === 'xstate.emit')
    .map((action) => (action.params as { event: NodeEffect<M, D> }).event);
}

/**
 * The effects of a write-once machine, written out as the contract says (not built with the
 * machines' own helpers, so a machine that emits another shape fails): a persist is one `hard`
 * op with the whole state; a decision is the commit of one entry at index 1.
 */
export function persisted(state: unknown) {
  return { type: 'persistLog', ops: [{ op: 'hard', state }] } as const;
}

export function decided(value: Value) {
  return { type: 'commit', entries: [{ index: 1, command: { kind: 'command', client: 'write-once', seq: 1, command: { value } } }] } as const;
}

export interface Envelope<M> {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: M;
}

type Effect<M> = NodeEffect<M, unknown>;

/** What every cluster records: messages in flight, decisions, persisted state. */
abstract class Recorder<M> {
  held: Envelope<M>[] = [];
  readonly decisions = new Map<NodeId, Value>();
  readonly durable = new Map<NodeId, unknown>();
  readonly sent: Envelope<M>[] = [];
  /** Every 'refused' effect: which node blamed whom, and why. */
  readonly refusals: { readonly node: NodeId; readonly from: NodeId; readonly reason: string; readonly detail: string }[] = [];

  protected record(node: NodeId, effects: readonly Effect<M>[]): void {
    for (const effect of effects) {
      // A write-once machine is a log of length one: one `hard` op, one commit at index 1.
      if (effect.type === 'persistLog') this.durable.set(node, hardStateOf(effect.ops));
      else if (effect.type === 'send') {
        const envelope = { from: node, to: effect.to, message: effect.message };
        this.held.push(envelope);
        this.sent.push(envelope);
      } else if (effect.type === 'refused') {
        this.refusals.push({ node, from: effect.from, reason: effect.reason, detail: effect.detail });
      } else if (effect.type === 'commit') {
        const value = decisionOf(effect.entries);
        const before = this.decisions.get(node);
        if (before !== undefined && before !== value) throw new Error(`${node} changed its decision`);
        this.decisions.set(node, value);
      } else {
        throw new Error(`${node}: a write-once machine emitted '${effect.type}'`);
      }
    }
  }

  protected abstract receive(envelope: Envelope<M>): void;
  abstract isUp(node: NodeId): boolean;

  /** Delivers held messages matching `which`, in send order, including those they cause, until none match. */
  deliver(which: (envelope: Envelope<M>) => boolean = () => true, maxDeliveries = 100_000): number {
    let delivered = 0;
    for (;;) {
      const index = this.held.findIndex(which);
      if (index < 0) return delivered;
      const [envelope] = this.held.splice(index, 1);
      if (envelope === undefined) return delivered;
      if (this.isUp(envelope.to)) this.receive(envelope);
      if (++delivered > maxDeliveries) throw new Error('delivery did not settle');
    }
  }

  /** Drops held messages matching `which` (message loss). */
  drop(which: (envelope: Envelope<M>) => boolean): number {
    const before = this.held.length;
    this.held = this.held.filter((envelope) => !which(envelope));
    return before - this.held.length;
  }
}

export class PureCluster<M> extends Recorder<M> {
  readonly snapshots = new Map<NodeId, SnapshotFrom<AnyStateMachine>>();
  /** Effects of the most recent step per node. */
  readonly lastEffects = new Map<NodeId, Effect<M>[]>();

  constructor(
    private readonly machine: AnyStateMachine,
    readonly members: readonly NodeId[],
    readonly timing: Timing = TIMING,
  ) {
    super();
  }

  /** Starts `nodes` (default: every member), optionally from the state it stored (its log's `hard`). */
  start(nodes: readonly NodeId[] = this.members, durable?: unknown): this {
    for (const self of nodes) {
      const [snapshot, actions] = initialTransition(this.machine, {
        self,
        members: this.members,
        seed: 1,
        timing: this.timing,
        durable: onceDurable(durable),
      });
      this.snapshots.set(self, snapshot);
      this.step(self, actions);
    }
    return this;
  }

  isUp(node: NodeId): boolean {
    return this.snapshots.has(node);
  }

  send(node: NodeId, event: NodeEvent<M>): Effect<M>[] {
    const snapshot = this.snapshots.get(node);
    if (snapshot === undefined) throw new Error(`${node} is not running`);
    const [next, actions] = transition(this.machine, snapshot, event);
    this.snapshots.set(node, next);
    return this.step(node, actions);
  }

  propose(node: NodeId, value: Value): Effect<M>[] {
    return this.send(node, { type: 'tryInitialize', value });
  }

  snapshot(node: NodeId): SnapshotFrom<AnyStateMachine> {
    const snapshot = this.snapshots.get(node);
    if (snapshot === undefined) throw new Error(`${node} is not running`);
    return snapshot;
  }

  protected receive(envelope: Envelope<M>): void {
    this.send(envelope.to, { type: 'receive', from: envelope.from, message: envelope.message });
  }

  private step(node: NodeId, actions: readonly { type: string; params?: unknown }[]): Effect<M>[] {
    const effects = effectsOf<M, unknown>(actions);
    this.lastEffects.set(node, effects);
    this.record(node, effects);
    return effects;
  }
}

export class LiveCluster<M, D> extends Recorder<M> {
  readonly clock = new SimulatedClock();
  private readonly handles = new Map<NodeId, NodeHandle<M>>();

  constructor(
    private readonly spec: OnceAlgorithmSpec<M, D>,
    readonly members: readonly NodeId[],
    readonly timing: Timing = TIMING,
  ) {
    super();
  }

  start(nodes: readonly NodeId[] = this.members, durable?: (node: NodeId) => D | undefined): this {
    for (const self of nodes) {
      const handle = startNode(
        this.spec,
        { self, members: this.members, seed: 1, timing: this.timing, durable: onceDurable(durable?.(self)) },
        this.clock,
        (effects) => this.record(self, effects),
      );
      this.handles.set(self, handle);
    }
    return this;
  }

  /** Crash: the node's actor stops (its timers with it); messages to it are discarded. */
  crash(node: NodeId): void {
    this.handles.get(node)?.stop();
    this.handles.delete(node);
  }

  isUp(node: NodeId): boolean {
    return this.handles.has(node);
  }

  propose(node: NodeId, value: Value): void {
    this.handle(node).send({ type: 'tryInitialize', value });
  }

  view(node: NodeId): NodeView {
    return this.handle(node).view();
  }

  /**
   * Advances virtual time by `ms` in steps of `stepMs`. (SimulatedClock fires due timers at the
   * end of each increment, so small steps keep periodic timers on schedule.)
   */
  advance(ms: number, stepMs = 10): void {
    for (let t = 0; t < ms; t += stepMs) this.clock.increment(Math.min(stepMs, ms - t));
  }

  protected receive(envelope: Envelope<M>): void {
    this.handle(envelope.to).send({ type: 'receive', from: envelope.from, message: envelope.message });
  }

  private handle(node: NodeId): NodeHandle<M> {
    const handle = this.handles.get(node);
    if (handle === undefined) throw new Error(`${node} is not running`);
    return handle;
  }
}

/**
 * The 25-node split of the story, for any voting machine: three proposers (red, blue, green)
 * and each node first hears "its" colour, so 9 vote red, 5 blue and 11 green; then everything
 * else is delivered in send order until nothing is in flight.
 */
export function splitVoteOf25<M extends { readonly type: string; readonly value?: string }>(
  machine: AnyStateMachine,
): PureCluster<M> {
  const members = nodeIds(25);
  const colourFor = (node: NodeId): Value => {
    const i = members.indexOf(node);
    return i < 9 ? 'red' : i < 14 ? 'blue' : 'green';
  };
  const cluster = new PureCluster<M>(machine, members).start();
  cluster.propose('n01', 'red');
  cluster.propose('n10', 'blue');
  cluster.propose('n15', 'green');
  cluster.deliver((e) => e.message.type === 'candidate' && e.message.value === colourFor(e.to));
  cluster.deliver();
  return cluster;
}
