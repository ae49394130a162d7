/**
 * Relayed liveness (relay.ts, core.ts) on fake time, in rooms big enough to relay: the detection
 * bounds of direct heartbeats still hold for a frozen node (also when it is a hub), a live idle
 * room never suspects anyone, a link that dies alone never makes its live peer down, a node no
 * relay covers is kept by probes, and the idle room sends well under half the frames a beat on
 * every link would (slow beats go one way, to each link's dialler).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DOWN_AFTER_MS,
  HEARTBEAT_INTERVAL_MS,
  LIVENESS_CHECK_MS,
  MAX_KNOWN_PEERS,
  MAX_NODE_ID_LENGTH,
  RELAY_HUBS,
  RELAY_INTERVAL_MS,
  RELAY_LINK_BEAT_MS,
  PROBE_AFTER_MS,
  RELAY_MIN_ROOM,
  SUSPECT_AFTER_MS,
} from '../../../src/limits.ts';
import { isDialler } from '../../../src/transport/pacing.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import { digestOf, relayHubs, relaysLiveness } from '../../../src/transport/relay.ts';
import type { PeerStatus } from '../../../src/transport/types.ts';
import { decodeFrame } from '../../../src/transport/wire.ts';

type Msg = { readonly n: number };
const parse = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as Msg).n === 'number' ? { n: (raw as Msg).n } : undefined;

const LINK_DELAY_MS = 5;
const STEP_MS = 5;
/** Big enough to relay; the frame count is checked in a bigger room, where relaying pays most. */
const ROOM = RELAY_MIN_ROOM + 1;
const BIG_ROOM = 20;

function statusOf(transport: MemoryTransport<Msg>, id: string): PeerStatus | undefined {
  return transport.peers().find((p) => p.id === id)?.status;
}

describe('relay.ts (pure)', () => {
  it('hubs are the smallest student ids; the teacher only when no student can be one', () => {
    const s = (id: string) => ({ id, role: 'student' as const });
    const h = (id: string) => ({ id, role: 'host' as const });
    expect(relayHubs([s('m'), h('a'), s('c'), s('b')], 2)).toEqual(['b', 'c']);
    expect(relayHubs([h('a'), s('z')], 2)).toEqual(['z', 'a']);
    expect(relaysLiveness(RELAY_MIN_ROOM - 1)).toBe(false);
    expect(relaysLiveness(RELAY_MIN_ROOM)).toBe(true);
  });

  it('a digest lists whole ages under DOWN_AFTER_MS, freshest first, never a peer not heard', () => {
    const now = 100_000;
    const digest = digestOf(
      [
        ['a', now - 2_000.4],
        ['b', now - 10],
        ['c', undefined],
        ['d', now - DOWN_AFTER_MS],
      ],
      now,
    );
    expect(digest).toEqual([
      ['b', 10],
      ['a', 2_000],
    ]);
  });

  it('the wire refuses a digest with a bad id, a bad age, extra keys or too many entries', () => {
    const ok = (heard: unknown): boolean => decodeFrame(JSON.stringify({ type: 'digest', heard }), parse).ok;
    expect(ok([['k3x9', 0]])).toBe(true);
    expect(ok([['', 0]])).toBe(false);
    expect(ok([['x'.repeat(MAX_NODE_ID_LENGTH + 1), 0]])).toBe(false);
    expect(ok([[7, 0]])).toBe(false);
    expect(ok([['k3x9', -1]])).toBe(false);
    expect(ok([['k3x9', 1.5]])).toBe(false);
    expect(ok([['k3x9', DOWN_AFTER_MS]])).toBe(false);
    expect(ok([['k3x9', 1, 2]])).toBe(false);
    expect(ok('k3x9')).toBe(false);
    expect(ok(Array.from({ length: MAX_KNOWN_PEERS + 1 }, () => ['k3x9', 1]))).toBe(false);
    expect(decodeFrame(JSON.stringify({ type: 'digest', heard: [], from: 'x' }), parse).ok).toBe(false);
  });
});

describe('relayed liveness on fake time', () => {
  let network: MemoryNetwork;
  const open: MemoryTransport<Msg>[] = [];
  const room = (size = ROOM): MemoryTransport<Msg>[] =>
    Array.from({ length: size }, (_, i) => `n${String(i).padStart(2, '0')}`).map((id) => {
      const transport = network.createTransport(id, { name: id.toUpperCase(), role: 'student', parse });
      open.push(transport);
      return transport;
    });

  beforeEach(() => {
    vi.useFakeTimers();
    network = new MemoryNetwork({ delayMs: LINK_DELAY_MS });
  });
  afterEach(() => {
    for (const transport of open.splice(0)) transport.close();
    vi.useRealTimers();
  });

  /** Advances time in small steps; returns, per watcher, when it first saw `peer` with `status` (Infinity if never). */
  function firstSeen(watchers: readonly MemoryTransport<Msg>[], peer: string, status: PeerStatus, limitMs: number): number[] {
    const seen = watchers.map(() => Number.POSITIVE_INFINITY);
    for (let elapsed = 0; elapsed <= limitMs; elapsed += STEP_MS) {
      watchers.forEach((w, i) => {
        if (seen[i] === Number.POSITIVE_INFINITY && statusOf(w, peer) === status) seen[i] = elapsed;
      });
      if (seen.every(Number.isFinite)) break;
      vi.advanceTimersByTime(STEP_MS);
    }
    return seen;
  }

  it('an idle room stays connected everywhere and sends fewer frames than a beat on every link', () => {
    const nodes = room(BIG_ROOM);
    vi.advanceTimersByTime(5_000);
    const before = nodes.reduce((sum, t) => sum + t.stats().heartbeats, 0);
    const windowMs = 30_000;
    for (let t = 0; t < windowMs; t += 250) {
      vi.advanceTimersByTime(250);
      for (const n of nodes) expect(n.peers().every((p) => p.status === 'connected'), `${n.self} at ${t} ms`).toBe(true);
    }
    const frames = nodes.reduce((sum, t) => sum + t.stats().heartbeats, 0) - before;
    const directBeats = (BIG_ROOM * (BIG_ROOM - 1) * windowMs) / HEARTBEAT_INTERVAL_MS;
    // Hubs: one digest per open link per interval; the others: one beat per hub per interval,
    // and a slow beat on each link between two of them, one way (to its dialler); no probes.
    // (With the slow beat both ways, 112 frames/s here: more than 1.1 × this.)
    const others = BIG_ROOM - RELAY_HUBS;
    const relayed =
      ((RELAY_HUBS * (BIG_ROOM - 1) + others * RELAY_HUBS) * windowMs) / RELAY_INTERVAL_MS + ((others * (others - 1)) / 2) * (windowMs / RELAY_LINK_BEAT_MS);
    expect(frames).toBeLessThanOrEqual(relayed * 1.1);
    // 60 % of a beat on every link at 20 nodes (43 % at 41: the saving grows with the room).
    expect(frames).toBeLessThan(directBeats * 0.65);
  });

  for (const which of ['an ordinary node', 'a hub'] as const) {
    it(`${which} that freezes is suspected and down everywhere within the direct-beat bounds; nobody else is`, () => {
      const nodes = room();
      vi.advanceTimersByTime(5_000 + 37);
      const sleeper = which === 'a hub' ? nodes[0]! : nodes[7]!;
      const others = nodes.filter((n) => n !== sleeper);
      network.freeze(sleeper.self);
      const suspected = firstSeen(others, sleeper.self, 'suspected', 2 * SUSPECT_AFTER_MS);
      const down = firstSeen(others, sleeper.self, 'down', 2 * DOWN_AFTER_MS).map((t) => t + Math.max(...suspected));
      // Its last frame to anyone left at most one relay interval (+ a check) before the freeze.
      const latest = (threshold: number): number => threshold + LIVENESS_CHECK_MS + LINK_DELAY_MS;
      for (const t of suspected) expect(t).toBeLessThanOrEqual(latest(SUSPECT_AFTER_MS));
      for (const t of suspected) expect(t).toBeGreaterThanOrEqual(SUSPECT_AFTER_MS - RELAY_INTERVAL_MS - 2 * LIVENESS_CHECK_MS);
      for (const t of down) expect(t).toBeLessThanOrEqual(latest(DOWN_AFTER_MS) + STEP_MS * others.length);
      // The others never doubted one another meanwhile (a frozen hub is replaced, not a blackout).
      for (const n of others) expect(n.peers().filter((p) => p.id !== sleeper.self).every((p) => p.status === 'connected'), n.self).toBe(true);
    });
  }

  it('while a room forms (the hubs keep changing), no node stops seeing a live peer it has seen', () => {
    const nodes: MemoryTransport<Msg>[] = [];
    const seen = new Map<string, Set<string>>(); // watcher -> peers it has seen connected
    const check = (t: number): void => {
      for (const n of nodes) {
        const mine = seen.get(n.self) ?? new Set<string>();
        seen.set(n.self, mine);
        for (const p of n.peers()) {
          if (p.status === 'connected') mine.add(p.id);
          else expect(mine.has(p.id), `${n.self} lost ${p.id} (${p.status}) at ${t} ms`).toBe(false);
        }
      }
    };
    // Ids joining in descending order: every newcomer is the room's smallest, so the hubs keep
    // changing and each node's view of them lags the others'.
    const ids = Array.from({ length: BIG_ROOM }, (_, i) => `n${String(BIG_ROOM - i).padStart(2, '0')}`);
    let t = 0;
    for (const id of ids) {
      nodes.push(network.createTransport(id, { name: id.toUpperCase(), role: 'student', parse }));
      open.push(nodes.at(-1)!);
      for (const end = t + 700; t < end; t += 50) {
        vi.advanceTimersByTime(50);
        check(t);
      }
    }
    for (const end = t + 3 * DOWN_AFTER_MS; t < end; t += 250) {
      vi.advanceTimersByTime(250);
      check(t);
    }
    for (const n of nodes) expect(n.peers().filter((p) => p.status === 'connected')).toHaveLength(BIG_ROOM - 1);
  });

  /** A formed room of BIG_ROOM in which one ordinary node's links to both hubs are dead: no relay carries its signs. */
  function cutOffFromHubs(): { nodes: MemoryTransport<Msg>[]; hubA: MemoryTransport<Msg>; hubB: MemoryTransport<Msg>; lonely: MemoryTransport<Msg> } {
    const nodes = room(BIG_ROOM);
    vi.advanceTimersByTime(5_000);
    const [hubA, hubB, lonely] = [nodes[0]!, nodes[1]!, nodes[9]!];
    network.cut(lonely.self, hubA.self);
    network.cut(lonely.self, hubB.self);
    return { nodes, hubA, hubB, lonely };
  }

  it('a node cut off from both hubs (no relay carries its signs) stays connected to everyone else, both ways: probes ask, it answers', () => {
    const { nodes, hubA, hubB, lonely } = cutOffFromHubs();
    const rest = nodes.filter((n) => n !== lonely && n !== hubA && n !== hubB);
    const probesBefore = nodes.reduce((sum, n) => sum + n.stats().heartbeats, 0);
    for (let t = 0; t < 3 * DOWN_AFTER_MS; t += 250) {
      vi.advanceTimersByTime(250);
      for (const n of rest) {
        expect(statusOf(n, lonely.self), `${n.self} sees ${lonely.self} at ${t} ms`).toBe('connected');
        expect(statusOf(lonely, n.self), `${lonely.self} sees ${n.self} at ${t} ms`).toBe('connected');
      }
    }
    // Bounded: about one probe and one answer per peer of it per PROBE_AFTER_MS, both ways, on top of the idle room's frames.
    const extra = nodes.reduce((sum, n) => sum + n.stats().heartbeats, 0) - probesBefore;
    expect(extra).toBeLessThan(200 * (3 * DOWN_AFTER_MS / 1_000)); // the idle room of 20 alone sends ~93/s
  });

  it('a peer that never answers is probed once per PROBE_AFTER_MS, not on every check', () => {
    const { lonely } = cutOffFromHubs();
    const before = lonely.stats().heartbeats;
    const windowMs = 3 * DOWN_AFTER_MS;
    vi.advanceTimersByTime(windowMs);
    // Its liveness frames: beats to the two hubs it now counts (every RELAY_INTERVAL_MS), and at
    // most one frame per PROBE_AFTER_MS to each of the 19 others (a probe as their signs age, or
    // an answer to theirs), the two cut hubs included. Measured 7.8/s; probing the cut hubs on
    // every check instead: 14.5/s.
    const perSecond = (lonely.stats().heartbeats - before) / (windowMs / 1_000);
    const expected = RELAY_HUBS / (RELAY_INTERVAL_MS / 1_000) + (BIG_ROOM - 1) / (PROBE_AFTER_MS / 1_000);
    expect(perSecond).toBeLessThanOrEqual(expected);
  });

  it("in an idle relaying room, a link's dialler hears the other end at least every RELAY_LINK_BEAT_MS, and sends it nothing (the slow beat goes one way)", () => {
    const nodes = room(BIG_ROOM);
    vi.advanceTimersByTime(5_000);
    const carried = new Map<string, number[]>(); // "from>to" -> times frames left
    network.setDelay((from, to) => {
      const key = `${from}>${to}`;
      carried.set(key, [...(carried.get(key) ?? []), Date.now()]);
      return LINK_DELAY_MS;
    });
    const started = Date.now();
    const windowMs = 4 * RELAY_LINK_BEAT_MS;
    vi.advanceTimersByTime(windowMs);
    const hubs = new Set([nodes[0]!.self, nodes[1]!.self]);
    const ordinary = nodes.filter((n) => !hubs.has(n.self));
    for (const a of ordinary) {
      for (const b of ordinary) {
        if (a === b || !isDialler(a.self, b.self)) continue; // a dials b
        const heard = [started, ...(carried.get(`${b.self}>${a.self}`) ?? []), started + windowMs];
        const gaps = heard.slice(1).map((t, i) => t - heard[i]!);
        expect(Math.max(...gaps), `${a.self} hears ${b.self}`).toBeLessThanOrEqual(RELAY_LINK_BEAT_MS + LIVENESS_CHECK_MS);
        expect(carried.get(`${a.self}>${b.self}`) ?? [], `${a.self} sends ${b.self}`).toEqual([]);
      }
    }
  });

  it('a probe is answered with one heartbeat at once, and a burst of probes with no more than one per check interval', () => {
    const [a, b] = [network.createTransport('pa', { name: 'A', role: 'student', parse }), network.createTransport('pb', { name: 'B', role: 'student', parse })];
    open.push(a, b);
    vi.advanceTimersByTime(5_000);
    const beatsOfB = (): number => b.stats().heartbeats;
    const before = beatsOfB();
    a.sendRawFrame(b.self, JSON.stringify({ type: 'probe' }));
    vi.advanceTimersByTime(LINK_DELAY_MS);
    expect(beatsOfB()).toBe(before + 1);
    for (let i = 0; i < 10; i++) a.sendRawFrame(b.self, JSON.stringify({ type: 'probe' }));
    vi.advanceTimersByTime(LINK_DELAY_MS);
    expect(beatsOfB()).toBe(before + 1); // it just answered: the link carried a frame this check interval
    expect(decodeFrame(JSON.stringify({ type: 'probe', from: 'x' }), parse).ok).toBe(false);
  });

  it('a node that thaws is connected again everywhere', () => {
    const nodes = room();
    vi.advanceTimersByTime(5_000);
    network.freeze(nodes[5]!.self);
    vi.advanceTimersByTime(SUSPECT_AFTER_MS + 1_000);
    network.thaw(nodes[5]!.self);
    vi.advanceTimersByTime(3 * RELAY_INTERVAL_MS);
    for (const n of nodes) expect(n.peers().every((p) => p.status === 'connected'), n.self).toBe(true);
  });

  it('a link that dies alone never makes its live peer down, at either end, nor anywhere else', () => {
    const nodes = room();
    vi.advanceTimersByTime(5_000);
    // One link between two ordinary nodes, and one between a hub and an ordinary node.
    for (const [a, b] of [
      [nodes[6]!, nodes[9]!],
      [nodes[0]!, nodes[4]!],
    ] as const) {
      network.cut(a.self, b.self);
      for (let t = 0; t < 3 * DOWN_AFTER_MS; t += 250) {
        vi.advanceTimersByTime(250);
        expect(statusOf(a, b.self)).not.toBe('down');
        expect(statusOf(b, a.self)).not.toBe('down');
      }
      for (const n of nodes) expect(n.peers().filter((p) => p.status === 'down'), n.self).toEqual([]);
      network.heal(a.self, b.self);
    }
  });

  it('a goodbye still makes a node down at once, and no relayed sign brings it back', () => {
    const nodes = room();
    vi.advanceTimersByTime(5_000);
    const leaver = nodes[3]!;
    leaver.close();
    vi.advanceTimersByTime(LINK_DELAY_MS + 1);
    for (const n of nodes.filter((x) => x !== leaver)) expect(statusOf(n, leaver.self)).toBe('down');
    vi.advanceTimersByTime(5 * RELAY_INTERVAL_MS);
    for (const n of nodes.filter((x) => x !== leaver)) expect(statusOf(n, leaver.self)).toBe('down');
  });
});
