/**
 * The simulator's mechanics, one fault at a time, on the tiny gossip test double (its `heard`
 * log shows exactly which messages arrived, in which order). Every assertion names the seed.
 */
import { describe, expect, it } from 'vitest';
import { EventQueue, type Scheduled } from '../../../src/sim/queue.ts';
import { DEFAULT_TIMING, nodeIds, Simulation, SimulationError, type SimulationOptions } from '../../../src/sim/simulator.ts';
import { formatEntry, type TraceEntry } from '../../../src/sim/trace.ts';
import { gossipSpec, heardLog, type GossipDurable, type GossipMessage } from './gossip.ts';

const RETRANSMIT = DEFAULT_TIMING.retransmitMs;

function gossip(seed: number, extra: Partial<SimulationOptions<GossipMessage, GossipDurable>> = {}): Simulation<GossipMessage, GossipDurable> {
  return new Simulation({ algorithm: gossipSpec, nodes: 3, seed, ...extra });
}

function heard(sim: Simulation<GossipMessage, GossipDurable>, node: string): string[] {
  return heardLog(sim.view(node));
}

function kinds(trace: readonly TraceEntry[], kind: TraceEntry['kind']): TraceEntry[] {
  return trace.filter((e) => e.kind === kind);
}

describe('event queue', () => {
  it('orders by time, then by insertion order for ties', () => {
    const queue = new EventQueue<Scheduled & { name: string }>();
    for (const [time, name] of [[5, 'a'], [1, 'b'], [5, 'c'], [0, 'd'], [5, 'e'], [1, 'f']] as const) {
      queue.push({ time, seq: 0, name });
    }
    const order: string[] = [];
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) order.push(e.name);
    expect(order).toEqual(['d', 'b', 'f', 'a', 'c', 'e']);
  });

  it('stays a heap under many random pushes and pops', () => {
    const queue = new EventQueue<Scheduled>();
    let x = 12345;
    const rand = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) % 1000;
    let last = { time: -1, seq: -1 };
    for (let i = 0; i < 2000; i++) {
      queue.push({ time: last.time + rand(), seq: 0 });
      if (i % 3 === 0) {
        const e = queue.pop() as Scheduled;
        expect(e.time > last.time || (e.time === last.time && e.seq > last.seq)).toBe(true);
        last = e;
      }
    }
  });
});

describe('simulation basics', () => {
  it('names nodes so that string order is numeric order', () => {
    expect(nodeIds(3)).toEqual(['n1', 'n2', 'n3']);
    expect(nodeIds(12).slice(0, 2)).toEqual(['n01', 'n02']);
    expect([...nodeIds(12)].sort()).toEqual(nodeIds(12));
  });

  it('is deterministic: same seed and calls give the same trace; another seed another one', () => {
    const run = (seed: number): string[] => {
      const sim = gossip(seed, { nodes: 5, link: { minDelayMs: 1, maxDelayMs: 80, loss: 0.2, duplicate: 0.2 } });
      sim.propose('n1', 'red', 3);
      sim.propose('n4', 'blue', 7);
      sim.runUntil(400);
      sim.crash('n2');
      sim.runUntil(600);
      sim.restart('n2');
      sim.runUntil(2_000);
      return sim.trace.map(formatEntry);
    };
    for (const seed of [1, 2, 99]) expect(run(seed), `seed ${seed}`).toEqual(run(seed));
    expect(run(1)).not.toEqual(run(2));
  });

  it('delivers on virtual time, with each message delayed within its link bounds', () => {
    const seed = 4;
    const sim = gossip(seed, { link: { minDelayMs: 10, maxDelayMs: 30 } });
    sim.propose('n1', 'red');
    sim.runUntil(1_000);
    const sends = kinds(sim.trace, 'send') as Extract<TraceEntry, { kind: 'send' }>[];
    const delivers = kinds(sim.trace, 'deliver') as Extract<TraceEntry, { kind: 'deliver' }>[];
    expect(sends.length, `seed ${seed}`).toBeGreaterThan(0);
    for (const send of sends) {
      const delay = (send.deliverAt as number) - send.time;
      expect(delay, `seed ${seed} msg ${send.id}`).toBeGreaterThanOrEqual(10);
      expect(delay, `seed ${seed} msg ${send.id}`).toBeLessThanOrEqual(30);
      expect(delivers.find((d) => d.id === send.id)?.time, `seed ${seed} msg ${send.id}`).toBe(send.deliverAt);
    }
    expect(sim.now).toBe(1_000);
    // Steps are numbered and time never goes back.
    for (let i = 1; i < sim.trace.length; i++) {
      const [a, b] = [sim.trace[i - 1] as TraceEntry, sim.trace[i] as TraceEntry];
      expect(b.step >= a.step && b.time >= a.time, `seed ${seed} entry ${i}`).toBe(true);
    }
  });

  it('reorders messages on one link through independent delays', () => {
    const seed = 7;
    const sim = gossip(seed, { nodes: 2, link: { minDelayMs: 1, maxDelayMs: 300 }, timing: { retransmitMs: 10 } });
    // n2 is down, so n1 retransmits to it every 10 ms for a while; then n2 comes back.
    sim.crash('n2');
    sim.propose('n1', 'red');
    sim.runUntil(100);
    sim.restart('n2');
    sim.runUntil(1_000);
    const sends = (kinds(sim.trace, 'send') as Extract<TraceEntry, { kind: 'send' }>[]).filter((s) => s.to === 'n2' && s.time >= 100);
    const overtaken = sends.some((s, i) => sends.slice(i + 1).some((later) => (later.deliverAt as number) < (s.deliverAt as number)));
    expect(overtaken, `seed ${seed}: some later message arrives first`).toBe(true);
  });

  it('rejects bad configuration and bad calls with clear errors', () => {
    expect(() => gossip(1, { link: { loss: 1.5 } })).toThrow(/loss must be a probability/);
    expect(() => gossip(1, { link: { minDelayMs: 10, maxDelayMs: 5 } })).toThrow(/maxDelayMs < minDelayMs/);
    expect(() => gossip(1, { nodes: ['a', 'a'] })).toThrow(/duplicate node id/);
    const sim = gossip(1);
    expect(() => sim.crash('n9')).toThrow(/unknown node "n9"/);
    expect(() => sim.restart('n1')).toThrow(/not down/);
    expect(() => sim.resume('n1')).toThrow(SimulationError);
    expect(() => sim.cut('n1', 'n1')).toThrow(/self-link/);
    expect(() => sim.partition([['n1'], ['n1', 'n2']])).toThrow(/two partition groups/);
    expect(() => sim.deliver(42)).toThrow(/no held message/);
    sim.runUntil(50);
    expect(() => sim.propose('n1', 'red', 10)).toThrow(/in the past/);
    expect(() => sim.runUntil(10)).toThrow(/back in time/);
  });
});

describe('network faults', () => {
  it('loses every message on a link with loss 1, but never a message to self', () => {
    const seed = 11;
    const sim = gossip(seed, { link: { loss: 1 } });
    sim.propose('n1', 'red');
    sim.runUntil(1_000);
    expect(heard(sim, 'n1'), `seed ${seed}`).toEqual(['n1:red']);
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual([]);
    expect(sim.counters.lost, `seed ${seed}`).toBeGreaterThan(10); // retransmissions kept trying
    expect(kinds(sim.trace, 'lose').every((e) => e.kind === 'lose' && e.reason === 'loss')).toBe(true);
  });

  it('loses about the configured fraction', () => {
    const seed = 12;
    const sim = gossip(seed, { nodes: 2, link: { loss: 0.3 }, timing: { retransmitMs: 1 } });
    sim.crash('n2');
    sim.propose('n1', 'red');
    sim.runUntil(5_000);
    const sent = sim.counters.lost + sim.counters.discarded;
    expect(sent, `seed ${seed}`).toBeGreaterThan(4_000);
    expect(sim.counters.lost / sent, `seed ${seed}`).toBeGreaterThan(0.25);
    expect(sim.counters.lost / sent, `seed ${seed}`).toBeLessThan(0.35);
  });

  it('duplicates: with duplication 1 every message between two nodes arrives twice', () => {
    const seed = 13;
    const sim = gossip(seed, { link: { duplicate: 1 } });
    sim.propose('n1', 'red');
    sim.runUntil(1_000);
    expect(heard(sim, 'n2').filter((h) => h === 'n1:red'), `seed ${seed}`).toHaveLength(2);
    // Self-messages are never duplicated.
    expect(heard(sim, 'n1').filter((h) => h === 'n1:red'), `seed ${seed}`).toHaveLength(1);
    expect(sim.counters.duplicated, `seed ${seed}`).toBe(kinds(sim.trace, 'duplicate').length);
  });

  it('partitions symmetrically until healed; retransmission then gets through', () => {
    const seed = 14;
    const sim = gossip(seed);
    sim.partition([['n1'], ['n2', 'n3']]);
    sim.propose('n1', 'red');
    sim.propose('n3', 'blue');
    sim.runUntil(1_000);
    expect(heard(sim, 'n1'), `seed ${seed}`).toEqual(['n1:red']);
    expect(heard(sim, 'n2').length, `seed ${seed}`).toBeGreaterThan(0);
    expect(heard(sim, 'n2').every((h) => h.endsWith(':blue')), `seed ${seed}`).toBe(true);
    expect(kinds(sim.trace, 'lose').every((e) => e.kind === 'lose' && e.reason === 'partition')).toBe(true);
    sim.heal();
    sim.runUntil(2_000);
    // n2 and n3 never heard from n1, so they kept retransmitting to it: now it gets through.
    expect(heard(sim, 'n1'), `seed ${seed}`).toEqual(expect.arrayContaining(['n2:blue', 'n3:blue']));
  });

  it('cuts one way only', () => {
    const seed = 15;
    const sim = gossip(seed, { nodes: 2 });
    sim.cut('n1', 'n2');
    sim.propose('n1', 'red');
    sim.propose('n2', 'blue');
    sim.runUntil(1_000);
    expect(heard(sim, 'n1'), `seed ${seed}`).toContain('n2:blue');
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual(['n2:blue']);
  });

  it('changes one directed link without touching the others', () => {
    const sim = gossip(16);
    sim.setLink('n1', 'n2', { loss: 0.5, minDelayMs: 100, maxDelayMs: 200 });
    expect(sim.link('n1', 'n2')).toEqual({ minDelayMs: 100, maxDelayMs: 200, loss: 0.5, duplicate: 0 });
    expect(sim.link('n2', 'n1').loss).toBe(0);
    expect(sim.trace.at(-1)).toMatchObject({ kind: 'link', from: 'n1', to: 'n2' });
  });
});

describe('crashes, restarts and pauses', () => {
  it('a crash discards the messages in flight to the node and its timers', () => {
    const seed = 21;
    const sim = gossip(seed, { link: { minDelayMs: 50, maxDelayMs: 50 } });
    sim.propose('n1', 'red');
    sim.runUntil(10);
    sim.crash('n2');
    sim.restart('n2'); // back before the message would have arrived: it was in flight at the crash
    sim.runUntil(60);
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual([]);
    expect(kinds(sim.trace, 'discard')).toContainEqual(expect.objectContaining({ to: 'n2', reason: 'receiver-down' }));
    // n1 had no reply from n2 yet; its retransmission reaches the new incarnation.
    sim.runUntil(1_000);
    expect(heard(sim, 'n2'), `seed ${seed}`).toContain('n1:red');

    const quiet = gossip(seed);
    quiet.propose('n1', 'red');
    quiet.crash('n1');
    const crashedAt = quiet.steps;
    quiet.runUntil(5_000);
    const n1Timers = quiet.trace.filter((e) => e.kind === 'timer' && e.node === 'n1' && e.step > crashedAt);
    expect(n1Timers, `seed ${seed}: a crashed node's timers never fire`).toEqual([]);
    expect(quiet.counters.timers, `seed ${seed}: the others' timers do`).toBeGreaterThan(0);
    expect(quiet.view('n1')).toBeUndefined();
    expect(() => quiet.propose('n1', 'blue')).toThrow(/down/);
  });

  it('a restarted node is a new actor started from what it persisted (persisted before it sent)', () => {
    const seed = 22;
    const sim = gossip(seed);
    sim.propose('n1', 'red');
    // Persist-before-reply: in the proposal's step, the persist precedes every send.
    const step = sim.trace.filter((e) => e.kind === 'propose')[0]?.step;
    const ofStep = sim.trace.filter((e) => e.step === step).map((e) => e.kind);
    expect(ofStep.indexOf('persist')).toBeLessThan(ofStep.indexOf('send'));
    sim.runUntil(1_000);
    sim.crash('n1');
    sim.crash('n3');
    expect(sim.decidedValue('n1')).toBeUndefined();
    sim.restart('n1');
    expect(sim.view('n1')?.fields.find((f) => f.label === 'restored')?.value, `seed ${seed}`).toBe('true');
    expect(sim.decidedValue('n1'), `seed ${seed}`).toBe('red');
    expect(heard(sim, 'n1'), `seed ${seed}: the heard log was not persisted`).toEqual([]);
    expect(sim.trace.filter((e) => e.kind === 'restart')).toEqual([expect.objectContaining({ node: 'n1', incarnation: 1, durable: true })]);

    const fresh = gossip(seed);
    fresh.crash('n2');
    fresh.restart('n2');
    expect(fresh.view('n2')?.fields.find((f) => f.label === 'restored')?.value).toBe('false');
    expect(fresh.trace.at(-1)).toMatchObject({ kind: 'restart', durable: false });
  });

  it('pause defers deliveries and timers, in order, until resume; nothing is lost', () => {
    const seed = 23;
    const sim = gossip(seed, { link: { minDelayMs: 5, maxDelayMs: 5 } });
    sim.pause('n2');
    sim.propose('n1', 'red');
    sim.runUntil(20);
    sim.propose('n3', 'blue');
    sim.runUntil(500);
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual([]);
    expect(sim.status('n2')).toBe('paused');
    sim.resume('n2');
    expect(sim.trace.at(-1)).toMatchObject({ kind: 'resume', node: 'n2' });
    sim.runUntil(501);
    // Deferred in arrival order: n1's red (t=5), then n3's relay of red (t≈10+), then blue...
    const log = heard(sim, 'n2');
    expect(log[0], `seed ${seed}`).toBe('n1:red');
    expect(log, `seed ${seed}`).toContain('n3:red');
    expect(sim.decidedValue('n2'), `seed ${seed}`).toBe('red');
  });

  it('a paused node crashed loses what was deferred for it', () => {
    const seed = 24;
    const sim = gossip(seed);
    sim.pause('n2');
    sim.propose('n1', 'red');
    sim.runUntil(50);
    sim.crash('n2');
    sim.restart('n2');
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual([]);
    sim.runUntil(51);
    expect(heard(sim, 'n2'), `seed ${seed}`).toEqual([]);
  });
});

describe('manual delivery', () => {
  it('holds messages until the caller delivers or drops them, in the order the caller picks', () => {
    const seed = 31;
    const sim = gossip(seed, { manual: (_from, to) => to === 'n3' });
    sim.propose('n1', 'red');
    sim.propose('n2', 'blue');
    sim.runUntil(50);
    const held = sim.held();
    // n1 and n2 each told n3; n1 and n2 learned from each other (unheld) nothing new.
    const toN3 = held.filter((h) => h.to === 'n3');
    expect(toN3.map((h) => `${h.from}:${(h.message as GossipMessage).value}`).sort(), `seed ${seed}`).toEqual(['n1:red', 'n2:blue']);
    expect(heard(sim, 'n3')).toEqual([]);
    const blue = toN3.find((h) => h.from === 'n2') as (typeof toN3)[number];
    const red = toN3.find((h) => h.from === 'n1') as (typeof toN3)[number];
    sim.deliver(blue.id);
    expect(sim.decidedValue('n3'), `seed ${seed}: the first message delivered decides`).toBe('blue');
    sim.drop(red.id);
    expect(sim.held().some((h) => h.id === red.id || h.id === blue.id)).toBe(false);
    expect(sim.trace.filter((e) => e.kind === 'discard' && e.reason === 'dropped-by-hand')).toHaveLength(1);
    // Self-messages are never held.
    expect(heard(sim, 'n3')).toEqual(['n2:blue']);
    sim.runUntil(100);
    expect(heard(sim, 'n3')).toContain('n3:blue');
  });

  it('manual mode can hold everything and be switched off', () => {
    const sim = gossip(32, { manual: true });
    sim.propose('n1', 'red');
    sim.runUntil(1_000);
    expect(heard(sim, 'n2')).toEqual([]);
    expect(sim.held().length).toBeGreaterThan(2);
    sim.setManual(false);
    sim.runUntil(2_000);
    expect(heard(sim, 'n2')).toContain('n1:red');
  });
});

describe('running', () => {
  it('runUntil a predicate stops as soon as it holds, or at maxTime, or when idle', () => {
    const seed = 41;
    const sim = gossip(seed);
    sim.propose('n1', 'red');
    expect(sim.runUntil((s) => s.allLiveDecided(), { maxTime: 10_000 })).toBe('predicate');
    expect(sim.allLiveDecidedAt()).toBe(sim.now);
    expect(sim.runUntil(() => false, { maxTime: 10_000 }), `seed ${seed}: gossip goes quiet`).toBe('idle');
    const waiting = gossip(seed);
    expect(waiting.runUntil((s) => s.allLiveDecided(), { maxTime: 300 })).toBe('idle');
    const retrying = gossip(seed, { link: { loss: 1 } });
    retrying.propose('n1', 'red');
    expect(retrying.runUntil((s) => s.allLiveDecided(), { maxTime: 3 * RETRANSMIT + 1 })).toBe('time');
    expect(retrying.now).toBe(3 * RETRANSMIT + 1);
  });

  it('stops at the step limit', () => {
    const sim = gossip(42, { link: { loss: 1 }, maxSteps: 50, timing: { retransmitMs: 1 } });
    sim.propose('n1', 'red');
    expect(sim.runUntil(100_000)).toBe('step-limit');
    expect(sim.steps).toBe(50);
  });

  it('records only the checker\'s facts at trace level "facts"', () => {
    const sim = gossip(43, { trace: 'facts' });
    sim.propose('n1', 'red');
    sim.crash('n2');
    sim.restart('n2');
    sim.runUntil(1_000);
    const recorded = new Set(sim.trace.map((e) => e.kind));
    expect([...recorded].sort()).toEqual(['crash', 'decide', 'propose', 'restart', 'start']);
    expect(sim.counters.delivered).toBeGreaterThan(0);
  });

  it('rejects a message the algorithm itself would refuse at the boundary', () => {
    const bad = { ...gossipSpec, parseMessage: () => undefined };
    const sim = new Simulation({ algorithm: bad, nodes: 2, seed: 44 });
    sim.propose('n1', 'red');
    expect(() => sim.runUntil(100)).toThrow(/seed 44: n1 sent n\d a message its own algorithm rejects/);
  });
});
