/**
 * Time as the transports see it: a wall clock for "how long since I heard from p" and timers
 * for heartbeats and retries. Injected so unit tests run on fake time; in a tab it is the
 * browser's own. Structurally a superset of the `Clock` hosts give XState (src/machines/spec.ts).
 */
export interface TransportClock {
  now(): number;
  setTimeout(fn: () => void, timeoutMs: number): unknown;
  clearTimeout(id: unknown): void;
}

export const systemClock: TransportClock = {
  now: () => Date.now(),
  setTimeout: (fn, timeoutMs) => globalThis.setTimeout(fn, timeoutMs),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof globalThis.setTimeout>),
};

/** Calls `fn` every `periodMs` on `clock` until the returned function is called. */
export function every(clock: TransportClock, periodMs: number, fn: () => void): () => void {
  return repeat(clock, () => periodMs, fn);
}

/**
 * Calls `fn` at every multiple of `periodMs` of the clock's time (on the beat, not `periodMs`
 * after whenever it started), until the returned function is called. Every node of one process
 * then ticks in the same instant: the robots of a process (up to ROBOTS_PER_PROCESS) send their
 * liveness frames together, and a receiving robot process takes the burst in a few wake-ups of
 * its main thread instead of one per frame. Each wake-up costs a walk over every connection's
 * native callback handles (node-datachannel's thread-safe functions, all walked by libuv whenever
 * any one fires; 7 per robot connection, src/robots/lean-native.ts): in an idle 40-node room the
 * robots' main threads spent most of their time there. Tabs tick on the beat too; their own
 * clocks set its phase.
 */
export function onTheBeat(clock: TransportClock, periodMs: number, fn: () => void): () => void {
  return repeat(clock, () => periodMs - (((clock.now() % periodMs) + periodMs) % periodMs), fn);
}

function repeat(clock: TransportClock, nextInMs: () => number, fn: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      arm(); // re-arm first so a throwing `fn` cannot stop the beat
      fn();
    }, nextInMs());
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
