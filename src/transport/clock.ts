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
  let handle: unknown;
  let stopped = false;
  const arm = (): void => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      arm(); // re-arm first so a throwing `fn` cannot stop the beat
      fn();
    }, periodMs);
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
