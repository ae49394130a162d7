/**
 * How the one live host of a machine (MachineHost, machine-host.ts) plugs into its tab, for a
 * write-once decision (LiveNode) and a log replica (LiveLogNode) alike: NodeHostOptions
 * (transport, storage, clocks, ids, reports, the adversary), how a storage failure shows
 * (hostView), what an unreadable store starts the machine from (startingDurable).
 *
 * The network adversary treats their inbound messages alike too. `HeldInbox` is that part, once: each inbound message is judged by the
 * teacher's rules (pass, with its slowness; hold for the teacher; lost to a partition or a cut),
 * held messages wait in a bounded list (retransmissions merged) until the teacher delivers,
 * drops, duplicates or steps them, a change of rules re-judges what is held, and the teacher's
 * screen going away releases everything. The list lives in memory only: a crash forgets it, as a
 * real network forgets what was in flight.
 */
import { assertNever } from '../core/assert.ts';
import type { NodeView, Timing, Value } from '../core/types.ts';
import type { Clock } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';
import {
  command as heldCommand,
  emptyHeld,
  hold,
  judge,
  NO_ADVERSARY,
  rejudge,
  releaseAll,
  summaries,
  type AdversaryRules,
  type HeldCommand,
  type HeldList,
} from './adversary.ts';
import type { HeldReport, MessageId, NodeReport, Refusal } from './protocol.ts';
import type { DurableStore } from './storage.ts';

/** A message held for the teacher: what the node delivers when it is released. */
interface HeldPayload {
  readonly from: PeerId;
  readonly message: unknown;
  readonly id: MessageId;
}

/**
 * The clock a host hands its machine. A host that shows a timer's countdown asks how long it has
 * left: the teacher's pause freezes the clock (FreezableClock), so "due at" alone would be wrong.
 */
export interface HostClock extends Clock {
  readonly remainingMs?: (id: unknown) => number | undefined;
}

/** How a host plugs into its tab: the same for a decision's node and a book's replica. */
export interface NodeHostOptions {
  readonly self: PeerId;
  /** The tab's storage, scoped to this room and this node. */
  readonly store: DurableStore;
  /** The algorithm's clock: the teacher's pause freezes it (FreezableClock), so no timeout fires. */
  readonly clock: HostClock;
  /**
   * The tab's own clock, for host plumbing that must run while the algorithm's clock is frozen
   * by the teacher's pause: the end of a write turn (its messages must still leave, to be held
   * at their receivers). Defaults to `clock`.
   */
  readonly hostClock?: Clock;
  /** Seed for the node's PRNG (Paxos backoff, Raft election timeouts), drawn by the tab, not by the algorithm. */
  readonly seed: number;
  /** This incarnation's id, drawn by the tab: names its messages (MessageId) and its reports. */
  readonly incarnation: number;
  readonly timing: Timing;
  /** The tab's clock reading, ms: when each step happened, for the reports. */
  readonly now: () => number;
  /**
   * Runs `flush` once, at the next animation frame (or a fallback timer); reports are coalesced
   * to one per frame through it. Tests inject fake time.
   */
  readonly scheduleFrame: (flush: () => void) => void;
  /** Hands one algorithm message, with its id, to the transport. */
  readonly sendAlgorithmMessage: (to: PeerId, message: unknown, id: MessageId) => void;
  /** The message delay, ms, read at each delivery. */
  readonly deliveryDelayMs: () => number;
  /**
   * Called at most once per frame (and at once on a decision or a stop) with what changed since
   * the last report, in one or more reports that each fit in a message.
   */
  readonly onReport: (reports: readonly NodeReport[]) => void;
  /** The network adversary's rules now (the teacher's dashboard sets them). */
  readonly adversary?: () => AdversaryRules;
  /** The messages this node holds changed: the classroom tells the hosts. */
  readonly onHeld?: (held: HeldReport) => void;
}

/**
 * What the machine starts from: its stored durable state, nothing (a first start), or, when what
 * was stored cannot be read, UNREADABLE_DURABLE, which every machine refuses and so starts
 * listen-only: it may have promised or voted before and cannot say what, so it must never start
 * fresh (`undefined` would be the amnesia bug).
 */
export const UNREADABLE_DURABLE = null;

export function startingDurable(read: { readonly kind: 'absent' } | { readonly kind: 'unreadable' } | { readonly kind: 'ok'; readonly durable: unknown }): unknown {
  if (read.kind === 'ok') return read.durable;
  return read.kind === 'unreadable' ? UNREADABLE_DURABLE : undefined;
}

/** The storage state a host adds to its machine's view. */
export type HostStorage = 'ok' | 'full' | 'unreadable';

/** The machine's view with what went wrong with storage: a failed write stopped the node; unreadable storage made it listen-only. */
export function hostView(view: NodeView, storage: HostStorage): NodeView {
  switch (storage) {
    case 'ok':
      return view;
    case 'full':
      return { ...view, storage: 'full', phase: 'stopped', waitingFor: 'nothing: storage full, this node stopped', waitingOn: [] };
    case 'unreadable':
      return { ...view, storage: 'unreadable' };
    default:
      return assertNever(storage, 'host storage');
  }
}

/**
 * What the live host does with inbound algorithm messages and the teacher's hold: members only,
 * parsed by the algorithm, then through the held inbox; a stopped node does nothing. Each node
 * says who its members are and how its algorithm parses a message.
 */
export abstract class InboxHost {
  protected stopped = false;
  protected abstract readonly inbox: HeldInbox;
  protected abstract isMember(peer: PeerId): boolean;
  protected abstract parseMessage(raw: unknown): unknown;
  abstract noteRefusal(peer: PeerId, reason: Refusal['reason']): void;

  /** An algorithm message from `from` (the connection's peer): members only, parsed by the algorithm. */
  receive(from: PeerId, raw: unknown, id: MessageId): void {
    if (this.stopped) return;
    if (!this.isMember(from)) return this.noteRefusal(from, 'not-a-member');
    const message = this.parseMessage(raw);
    if (message === undefined) return this.noteRefusal(from, 'bad-algorithm-message');
    this.inbox.receive(from, message, id);
  }

  /** The teacher acted on a held message: deliver, drop, duplicate or step (the oldest). */
  commandHeld(cmd: HeldCommand): void {
    if (!this.stopped) this.inbox.command(cmd);
  }

  /** The rules changed: what they no longer hold is delivered in arrival order, or lost if cut off. */
  rulesChanged(): void {
    if (!this.stopped) this.inbox.rulesChanged();
  }

  /** The teacher's screen is gone: every held message is delivered, in arrival order. */
  releaseHeld(): void {
    if (!this.stopped) this.inbox.releaseAll();
  }

  /** What this node holds, for the dashboard. */
  heldReport(): HeldReport {
    return this.inbox.report();
  }
}

/** A host's HeldInbox, wired to its options: `deliver` runs one message as one step of the machine. */
export function inboxFor(
  options: NodeHostOptions,
  deliver: HeldInboxOptions['deliver'],
  carriedValue?: HeldInboxOptions['carriedValue'],
): HeldInbox {
  return new HeldInbox({
    self: options.self,
    now: options.now,
    rules: options.adversary,
    clock: options.clock,
    deliveryDelayMs: options.deliveryDelayMs,
    deliver,
    onHeld: options.onHeld,
    carriedValue,
  });
}

export interface HeldInboxOptions {
  readonly self: PeerId;
  readonly now: () => number;
  /** The adversary's rules now; absent: the network as it is. */
  readonly rules?: (() => AdversaryRules) | undefined;
  /** The clock message delays wait on (the algorithm's: the teacher's pause freezes it). */
  readonly clock: Clock;
  /** The dashboard's message-delay setting, read at each delivery. */
  readonly deliveryDelayMs: () => number;
  /** Hands one message to the machine, as one step. */
  readonly deliver: (from: PeerId, message: unknown, id: MessageId) => void;
  /** The held list changed (the classroom tells the hosts). */
  readonly onHeld?: ((held: HeldReport) => void) | undefined;
  /** The value a held message carries, for the teacher's list (default: its `value` field). */
  readonly carriedValue?: ((message: unknown) => Value | undefined) | undefined;
}

export class HeldInbox {
  private held: HeldList<HeldPayload> = emptyHeld();
  /** Messages lost to a partition or a cut. */
  private lost = 0;

  constructor(private readonly options: HeldInboxOptions) {}

  /** A parsed message from a member: passed on after the delay, held, or lost, as the rules say. */
  receive(from: PeerId, message: unknown, id: MessageId): void {
    const verdict = judge(this.rules(), from, this.options.self);
    switch (verdict.kind) {
      case 'pass':
        return this.deliverAfterDelay(from, message, id, verdict.extraDelayMs);
      case 'hold':
        this.held = hold(this.held, from, message, { from, message, id }, this.options.now(), this.options.carriedValue?.(message));
        return this.changed();
      case 'lost':
        this.lost++;
        return this.changed();
      default:
        return assertNever(verdict, 'adversary verdict');
    }
  }

  /** The teacher acted on a held message: deliver, drop, duplicate or step (the oldest). */
  command(cmd: HeldCommand): void {
    const outcome = heldCommand(this.held, cmd);
    this.held = outcome.list;
    for (const { from, message, id } of outcome.deliver) this.options.deliver(from, message, id);
    this.changed();
  }

  /** The rules changed: what they no longer hold is delivered in arrival order, or lost if cut off. */
  rulesChanged(): void {
    const out = rejudge(this.held, this.rules(), this.options.self);
    this.held = out.list;
    this.lost += out.lost;
    for (const { from, message, id } of out.deliver) this.options.deliver(from, message, id);
    this.changed();
  }

  /** The teacher's screen is gone: every held message is delivered, in arrival order. */
  releaseAll(): void {
    const out = releaseAll(this.held);
    this.held = out.list;
    for (const { from, message, id } of out.deliver) this.options.deliver(from, message, id);
    this.changed();
  }

  report(): HeldReport {
    return { entries: summaries(this.held, this.options.now()), overflowed: this.held.overflowed, crashed: false, lost: this.lost };
  }

  private deliverAfterDelay(from: PeerId, message: unknown, id: MessageId, extraDelayMs: number): void {
    const delayMs = this.options.deliveryDelayMs() + extraDelayMs;
    if (delayMs > 0) this.options.clock.setTimeout(() => this.options.deliver(from, message, id), delayMs);
    else this.options.deliver(from, message, id);
  }

  private rules(): AdversaryRules {
    return this.options.rules?.() ?? NO_ADVERSARY;
  }

  private changed(): void {
    this.options.onHeld?.(this.report());
  }
}
