/** What the contract suite cannot do in real time: silence-based liveness, rate limits, on fake time. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DOWN_AFTER_MS, HEARTBEAT_INTERVAL_MS, MAX_INBOUND_PER_PEER_PER_SECOND, SUSPECT_AFTER_MS } from '../../../src/limits.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import { PROTOCOL_VERSION } from '../../../src/transport/signaling-protocol.ts';
import type { PeerInfo } from '../../../src/transport/types.ts';

type Msg = { readonly n: number };
const parse = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as Msg).n === 'number' ? { n: (raw as Msg).n } : undefined;

function statusOf(transport: MemoryTransport<Msg>, id: string): PeerInfo['status'] | undefined {
  return transport.peers().find((p) => p.id === id)?.status;
}

describe('MemoryNetwork on fake time', () => {
  let network: MemoryNetwork;
  let a: MemoryTransport<Msg>;
  let b: MemoryTransport<Msg>;

  beforeEach(() => {
    vi.useFakeTimers();
    network = new MemoryNetwork({ delayMs: 5 });
    a = network.createTransport('a', { name: 'Ada', role: 'host', parse });
    b = network.createTransport('b', { name: 'Bob', role: 'student', parse });
    vi.advanceTimersByTime(50);
  });
  afterEach(() => {
    a.close();
    b.close();
    vi.useRealTimers();
  });

  it('meshes with names from the hello and roles from the registry', () => {
    expect(a.peers()).toEqual([{ id: 'b', name: 'Bob', role: 'student', status: 'connected' }]);
    expect(b.peers()).toEqual([{ id: 'a', name: 'Ada', role: 'host', status: 'connected' }]);
  });

  it('a hello cannot promote a peer to teacher: roles are the registry’s word', () => {
    b.sendRawFrame('a', JSON.stringify({ type: 'hello', name: 'Mallory', role: 'host', protocol: PROTOCOL_VERSION }));
    vi.advanceTimersByTime(50);
    expect(a.peers()).toEqual([{ id: 'b', name: 'Mallory', role: 'student', status: 'connected' }]);
  });

  it('heartbeats keep an idle peer connected', () => {
    vi.advanceTimersByTime(10 * DOWN_AFTER_MS);
    expect(statusOf(a, 'b')).toBe('connected');
  });

  it('a frozen peer is suspected after SUSPECT_AFTER_MS, down after DOWN_AFTER_MS, and back when it thaws', () => {
    const seen: PeerInfo['status'][] = [];
    a.onPeers((peers) => {
      const status = peers.find((p) => p.id === 'b')?.status;
      if (status && seen.at(-1) !== status) seen.push(status);
    });
    network.freeze('b');
    vi.advanceTimersByTime(SUSPECT_AFTER_MS - HEARTBEAT_INTERVAL_MS);
    expect(statusOf(a, 'b')).toBe('connected');
    vi.advanceTimersByTime(2 * HEARTBEAT_INTERVAL_MS);
    expect(statusOf(a, 'b')).toBe('suspected');
    vi.advanceTimersByTime(DOWN_AFTER_MS);
    expect(statusOf(a, 'b')).toBe('down');
    expect(a.send('b', { n: 1 })).toBe(false); // down: not reachable
    network.thaw('b');
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS + 50);
    expect(statusOf(a, 'b')).toBe('connected');
    expect(seen).toEqual(['suspected', 'down', 'connected']);
  });

  it('a killed peer is down as soon as the hub notices, with no goodbye', () => {
    network.kill('b');
    expect(statusOf(a, 'b')).toBe('down');
  });

  it('rate-limits a flooding peer per second and recovers the next second', () => {
    const received: number[] = [];
    b.onMessage((_from, message) => received.push(message.n));
    const frame = JSON.stringify({ type: 'app', payload: { n: 0 } });
    for (let i = 0; i < MAX_INBOUND_PER_PEER_PER_SECOND + 100; i++) a.sendRawFrame('b', frame);
    vi.advanceTimersByTime(10);
    // Heartbeats from a in the same window also count toward its budget.
    expect(received.length).toBeLessThanOrEqual(MAX_INBOUND_PER_PEER_PER_SECOND);
    expect(received.length).toBeGreaterThan(MAX_INBOUND_PER_PEER_PER_SECOND - 5);
    expect(b.stats().rejected['rate-limited']).toBeGreaterThanOrEqual(100);
    vi.advanceTimersByTime(1_000);
    expect(a.send('b', { n: 7 })).toBe(true);
    vi.advanceTimersByTime(10);
    expect(received.at(-1)).toBe(7);
  });

  it('a throwing handler does not stop delivery to the others', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const original = globalThis.reportError;
    (globalThis as { reportError?: unknown }).reportError = undefined;
    const got: number[] = [];
    b.onMessage(() => {
      throw new Error('buggy subscriber');
    });
    b.onMessage((_from, message) => got.push(message.n));
    a.send('b', { n: 3 });
    vi.advanceTimersByTime(10);
    expect(got).toEqual([3]);
    expect(errors).toHaveBeenCalled();
    (globalThis as { reportError?: unknown }).reportError = original;
    errors.mockRestore();
  });

  it('keeps each link FIFO even when delays vary', () => {
    let delay = 50;
    network.setDelay(() => (delay = delay === 50 ? 1 : 50));
    const got: number[] = [];
    b.onMessage((_from, message) => got.push(message.n));
    for (let n = 0; n < 10; n++) a.send('b', { n });
    vi.advanceTimersByTime(1_000);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a reloaded node (same id, new transport) is seen again as connected', () => {
    b.close();
    expect(statusOf(a, 'b')).toBe('down');
    b = network.createTransport('b', { name: 'Bob', role: 'student', parse });
    vi.advanceTimersByTime(50);
    expect(statusOf(a, 'b')).toBe('connected');
  });

  it('refuses a second live transport with the same id', () => {
    expect(() => network.createTransport('a', { name: 'Imposter', role: 'student', parse })).toThrow(/taken/);
  });
});
