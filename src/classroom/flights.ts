/**
 * Messages on their way, for the projector's network picture: each algorithm message a member
 * reports sending is in flight until the receiver reports the step that processed it, joined by
 * the message id (the sender's incarnation and sequence number, see protocol.ts MessageId).
 * Times are the dashboard's clock when each report arrived: the class sees a message leave when
 * its sender says so and land when its receiver acted on it, whatever delay is dialled in.
 *
 * O(1) per send and per receive; bounded by MAX_TRACKED_FLIGHTS (a dropped message never lands)
 * and MAX_RECENT_LANDINGS.
 */
import type { Value } from '../core/types.ts';
import { MAX_RECENT_LANDINGS, MAX_TRACKED_FLIGHTS } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import type { MessageId, SentGroup } from './protocol.ts';

export interface Flight {
  /** Unique per entry of this log (a message re-reported is a new entry): the UI's key. */
  readonly id: number;
  /** Per message: sender, incarnation, sequence number (what joins a receive to its send). */
  readonly key: string;
  readonly from: PeerId;
  readonly to: PeerId;
  /** The algorithm message's type, e.g. 'vote'. */
  readonly kind: string;
  /** The value it carries (a vote's candidate, an accept's value), when it has one. */
  readonly value: Value | undefined;
  readonly sentAtMs: number;
  /** When the receiver reported processing it; undefined while in flight (or held). */
  readonly landedAtMs: number | undefined;
}

export function flightKey(from: PeerId, id: MessageId): string {
  return `${from}>${id.inc}.${id.seq}`;
}

export class FlightLog {
  /** In flight, oldest first (Map keeps insertion order). */
  private readonly open = new Map<string, Flight>();
  /** Receives reported before their send (the receiver's report came first): key → when. */
  private readonly early = new Map<string, number>();
  private landed: Flight[] = [];
  private nextId = 1;

  /** A member reported sending `group` in its incarnation `inc`. */
  sent(from: PeerId, inc: number, group: SentGroup, nowMs: number): void {
    group.to.forEach((to, i) => {
      const key = flightKey(from, { inc, seq: group.firstSeq + i });
      const flight: Flight = { id: this.nextId++, key, from, to, kind: group.kind, value: group.value, sentAtMs: nowMs, landedAtMs: undefined };
      const landedAt = this.early.get(key);
      if (landedAt !== undefined) {
        this.early.delete(key);
        this.land({ ...flight, sentAtMs: Math.min(nowMs, landedAt), landedAtMs: landedAt });
        return;
      }
      this.open.delete(key);
      this.open.set(key, flight);
      if (this.open.size > MAX_TRACKED_FLIGHTS) this.open.delete(this.open.keys().next().value!);
    });
  }

  /** Member `to` reported processing the message `id` from `from`. */
  received(to: PeerId, from: PeerId, id: MessageId, nowMs: number): void {
    const key = flightKey(from, id);
    const flight = this.open.get(key);
    if (flight === undefined) {
      // Our own messages to ourselves, or a receive reported before its send.
      if (from === to) return;
      this.early.set(key, nowMs);
      if (this.early.size > MAX_TRACKED_FLIGHTS) this.early.delete(this.early.keys().next().value!);
      return;
    }
    this.open.delete(key);
    this.land({ ...flight, landedAtMs: nowMs });
  }

  private land(flight: Flight): void {
    this.landed.push(flight);
    if (this.landed.length > 2 * MAX_RECENT_LANDINGS) this.landed = this.landed.slice(-MAX_RECENT_LANDINGS);
  }

  /** In flight (oldest first), then the most recent landings (oldest first). */
  toArray(): Flight[] {
    return [...this.open.values(), ...this.landed.slice(-MAX_RECENT_LANDINGS)];
  }
}
