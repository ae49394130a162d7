/**
 * What the two live hosts share: `LiveNode` (one write-once decision) and `LiveLogNode` (one
 * replica of a replicated log) run different machines, but the network adversary treats their
 * inbound messages alike. `HeldInbox` is that part, once: each inbound message is judged by the
 * teacher's rules (pass, with its slowness; hold for the teacher; lost to a partition or a cut),
 * held messages wait in a bounded list (retransmissions merged) until the teacher delivers,
 * drops, duplicates or steps them, a change of rules re-judges what is held, and the teacher's
 * screen going away releases everything. The list lives in memory only: a crash forgets it, as a
 * real network forgets what was in flight.
 */
import { assertNever } from '../core/assert.ts';
import type { Value } from '../core/types.ts';
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
import type { HeldReport, MessageId } from './protocol.ts';

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
