/**
 * A node's algorithm clock that the teacher can freeze: while frozen no timer fires (no
 * retransmission, no impatience, no Paxos phase timeout), and on thaw every timer resumes with
 * the time it had left, so pausing a room to talk changes nothing the algorithms can observe
 * except that the world stood still.
 */
import type { TransportClock } from '../transport/clock.ts';

interface Timer {
  readonly fn: () => void;
  /** Base clock's handle while armed; undefined while frozen. */
  handle: unknown;
  /** When it fires, on the base clock (valid while armed). */
  dueAt: number;
  /** Time left when frozen. */
  remainingMs: number;
}

export class FreezableClock {
  private readonly timers = new Set<Timer>();
  private frozenFlag = false;

  constructor(private readonly base: TransportClock) {}

  get frozen(): boolean {
    return this.frozenFlag;
  }

  /** Timers waiting (armed or frozen): for tests and the dashboard's "n timers stand still". */
  get pending(): number {
    return this.timers.size;
  }

  setTimeout(fn: () => void, timeoutMs: number): unknown {
    const ms = Math.max(0, timeoutMs);
    const timer: Timer = { fn, handle: undefined, dueAt: this.base.now() + ms, remainingMs: ms };
    this.timers.add(timer);
    if (!this.frozenFlag) this.arm(timer);
    return timer;
  }

  clearTimeout(id: unknown): void {
    const timer = id as Timer;
    if (!this.timers.delete(timer)) return;
    if (timer.handle !== undefined) this.base.clearTimeout(timer.handle);
  }

  /** Time left on a pending timer (frozen: what it had left when frozen); undefined once fired or cleared. */
  remainingMs(id: unknown): number | undefined {
    const timer = id as Timer;
    if (!this.timers.has(timer)) return undefined;
    return this.frozenFlag ? timer.remainingMs : Math.max(0, timer.dueAt - this.base.now());
  }

  freeze(): void {
    if (this.frozenFlag) return;
    this.frozenFlag = true;
    const now = this.base.now();
    for (const timer of this.timers) {
      this.base.clearTimeout(timer.handle);
      timer.handle = undefined;
      timer.remainingMs = Math.max(0, timer.dueAt - now);
    }
  }

  thaw(): void {
    if (!this.frozenFlag) return;
    this.frozenFlag = false;
    // In the order they were set: equal remaining times fire as they would have.
    for (const timer of this.timers) this.arm(timer);
  }

  private arm(timer: Timer): void {
    timer.dueAt = this.base.now() + timer.remainingMs;
    timer.handle = this.base.setTimeout(() => {
      if (!this.timers.delete(timer)) return;
      timer.fn();
    }, timer.remainingMs);
  }
}
