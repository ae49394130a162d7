/**
 * The quiet heartbeat (only links idle for HEARTBEAT_INTERVAL_MS get one) on fake time: the
 * failure-detection bounds hold at every phase of the beat, busy links carry no beats, and an
 * idle room sends about half the frames of the old beat-every-second rule.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOWN_AFTER_MS, HEARTBEAT_INTERVAL_MS, LIVENESS_CHECK_MS, SUSPECT_AFTER_MS } from '../../../src/limits.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerStatus } from '../../../src/transport/types.ts';

type Msg = { readonly n: number };
const parse = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as Msg).n === 'number' ? { n: (raw as Msg).n } : undefined;

const LINK_DELAY_MS = 5;
const STEP_MS = 5;

function statusOf(transport: MemoryTransport<Msg>, id: string): PeerStatus | undefined {
  return transport.peers().find((p) => p.id === id)?.status;
}

/** Advances fake time in small steps until `watcher` sees `peer` with `status`; returns the time taken. */
function timeUntil(watcher: MemoryTransport<Msg>, peer: string, status: PeerStatus, limitMs: number): number {
  for (let elapsed = 0; elapsed <= limitMs; elapsed += STEP_MS) {
    if (statusOf(watcher, peer) === status) return elapsed;
    vi.advanceTimersByTime(STEP_MS);
  }
  throw new Error(`${peer} not ${status} within ${limitMs} ms`);
}

describe('quiet heartbeats on fake time', () => {
  let network: MemoryNetwork;
  const open: MemoryTransport<Msg>[] = [];
  const join = (id: string): MemoryTransport<Msg> => {
    const transport = network.createTransport(id, { name: id.toUpperCase(), role: 'student', parse });
    open.push(transport);
    return transport;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    network = new MemoryNetwork({ delayMs: LINK_DELAY_MS });
  });
  afterEach(() => {
    for (const transport of open.splice(0)) transport.close();
    vi.useRealTimers();
  });

  it('a silent peer is suspected and then down within the bounds, whatever the phase of its last beat', () => {
    const suspectedAfter: number[] = [];
    const downAfter: number[] = [];
    // Freeze the sleeper at every phase of its beat period (one new pair per phase).
    for (let phase = 0; phase < HEARTBEAT_INTERVAL_MS + LIVENESS_CHECK_MS; phase += 125) {
      network = new MemoryNetwork({ delayMs: LINK_DELAY_MS }); // a fresh pair per phase
      const watcher = join('w');
      const sleeper = join('s');
      vi.advanceTimersByTime(3 * HEARTBEAT_INTERVAL_MS + phase);
      expect(statusOf(watcher, sleeper.self)).toBe('connected');
      network.freeze(sleeper.self);
      suspectedAfter.push(timeUntil(watcher, sleeper.self, 'suspected', 2 * SUSPECT_AFTER_MS));
      downAfter.push(suspectedAfter.at(-1)! + timeUntil(watcher, sleeper.self, 'down', 2 * DOWN_AFTER_MS));
      for (const transport of open.splice(0)) transport.close();
    }
    // Last frame heard at most one beat period (+ one check) before the freeze, checked every LIVENESS_CHECK_MS.
    const earliest = (threshold: number): number => threshold - HEARTBEAT_INTERVAL_MS - LIVENESS_CHECK_MS;
    const latest = (threshold: number): number => threshold + LIVENESS_CHECK_MS + LINK_DELAY_MS;
    for (const t of suspectedAfter) expect(t).toBeGreaterThanOrEqual(earliest(SUSPECT_AFTER_MS));
    for (const t of suspectedAfter) expect(t).toBeLessThanOrEqual(latest(SUSPECT_AFTER_MS));
    for (const t of downAfter) expect(t).toBeGreaterThanOrEqual(earliest(DOWN_AFTER_MS));
    for (const t of downAfter) expect(t).toBeLessThanOrEqual(latest(DOWN_AFTER_MS));
    // No worse than before (beats every second, suspected after 3 s, down after 10 s: ≤ 4 s and ≤ 11 s).
    expect(Math.max(...suspectedAfter)).toBeLessThanOrEqual(4_000 + LIVENESS_CHECK_MS + LINK_DELAY_MS);
    expect(Math.max(...downAfter)).toBeLessThanOrEqual(11_000 + LIVENESS_CHECK_MS + LINK_DELAY_MS);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(suspectedAfter)).toBeLessThanOrEqual(3_600);
    expect(mean(downAfter)).toBeLessThanOrEqual(10_600);
  });

  it('a closed tab is down at the others one link delay later (goodbye); a crashed one at once (server push)', () => {
    const [a, b, c] = [join('a'), join('b'), join('c')];
    vi.advanceTimersByTime(3 * HEARTBEAT_INTERVAL_MS);
    b.close();
    expect(timeUntil(a, 'b', 'down', 100)).toBeLessThanOrEqual(LINK_DELAY_MS + STEP_MS);
    network.kill('c');
    expect(statusOf(a, 'c')).toBe('down');
  });

  it('a link that carries messages carries no heartbeats, and its peer stays connected', () => {
    const [a, b] = [join('a'), join('b')];
    vi.advanceTimersByTime(3 * HEARTBEAT_INTERVAL_MS);
    const before = { a: a.stats().heartbeats, b: b.stats().heartbeats };
    for (let t = 0; t < 20_000; t += 500) {
      a.send('b', { n: t });
      vi.advanceTimersByTime(500);
      expect(statusOf(b, 'a')).toBe('connected');
      expect(statusOf(a, 'b')).toBe('connected');
    }
    expect(a.stats().heartbeats - before.a).toBe(0);
    // b sent nothing: it beats, about once per interval (at most one check late).
    const bBeats = b.stats().heartbeats - before.b;
    expect(bBeats).toBeGreaterThanOrEqual(Math.floor(20_000 / (HEARTBEAT_INTERVAL_MS + LIVENESS_CHECK_MS)));
    expect(bBeats).toBeLessThanOrEqual(Math.ceil(20_000 / HEARTBEAT_INTERVAL_MS));
  });

  it('an idle room sends one beat per link per interval, about half the old one-per-second', () => {
    const room = ['a', 'b', 'c', 'd', 'e'].map(join);
    vi.advanceTimersByTime(3 * HEARTBEAT_INTERVAL_MS);
    const before = room.map((t) => t.stats().heartbeats);
    const windowMs = 60_000;
    vi.advanceTimersByTime(windowMs);
    const links = room.length * (room.length - 1);
    const beats = room.reduce((sum, t, i) => sum + t.stats().heartbeats - before[i]!, 0);
    expect(beats / links).toBeGreaterThanOrEqual(windowMs / (HEARTBEAT_INTERVAL_MS + LIVENESS_CHECK_MS) - 1);
    expect(beats / links).toBeLessThanOrEqual(windowMs / HEARTBEAT_INTERVAL_MS + 1);
    expect(beats / links).toBeLessThanOrEqual(0.55 * (windowMs / 1_000)); // the old rule: one per second
    for (const t of room) for (const p of t.peers()) expect(p.status).toBe('connected');
  });

  it('stats().lastConnectedAt is when a peer last became connected: set as the room grows, kept while it idles, moved by a peer back from silence', () => {
    const a = join('a');
    expect(a.stats().lastConnectedAt).toBeUndefined();
    const b = join('b');
    const joinedAt = Date.now();
    timeUntil(a, b.self, 'connected', SUSPECT_AFTER_MS);
    const first = a.stats().lastConnectedAt!;
    expect(first).toBeGreaterThanOrEqual(joinedAt);
    expect(first).toBeLessThanOrEqual(Date.now());
    vi.advanceTimersByTime(5 * HEARTBEAT_INTERVAL_MS); // idle: beats, nobody newly connected
    expect(a.stats().lastConnectedAt).toBe(first);
    const c = join('c');
    timeUntil(a, c.self, 'connected', SUSPECT_AFTER_MS);
    const second = a.stats().lastConnectedAt!;
    expect(second).toBeGreaterThan(first);
    network.freeze(b.self);
    timeUntil(a, b.self, 'suspected', 2 * SUSPECT_AFTER_MS);
    expect(a.stats().lastConnectedAt).toBe(second);
    network.thaw(b.self);
    timeUntil(a, b.self, 'connected', 2 * SUSPECT_AFTER_MS);
    expect(a.stats().lastConnectedAt!).toBeGreaterThan(second);
  });
});
