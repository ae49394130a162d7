/**
 * Manual time for classroom tests: timers run only when the test advances the clock, in due
 * order (ties in scheduling order), including timers scheduled while advancing.
 */
import type { TransportClock } from '../../../src/transport/clock.ts';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

export class FakeClock implements TransportClock {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, timeoutMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, timeoutMs), fn });
    return id;
  }

  clearTimeout(id: unknown): void {
    if (typeof id === 'number') this.timers.delete(id);
  }

  /** Runs every timer due within the next `ms`, then leaves the clock at now + ms. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.earliestDue(end);
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.time = next.due;
      next.fn();
    }
    this.time = end;
  }

  /** Advances in `stepMs` steps until `done()` holds; fails after `limitMs` of fake time. */
  advanceUntil(done: () => boolean, limitMs: number, stepMs = 10): void {
    const end = this.time + limitMs;
    while (!done()) {
      if (this.time >= end) throw new Error(`condition not reached within ${limitMs} ms of fake time`);
      this.advance(stepMs);
    }
  }

  private earliestDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.due > end) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) best = timer;
    }
    return best;
  }
}
