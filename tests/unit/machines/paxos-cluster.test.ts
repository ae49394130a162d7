/**
 * Small hand-driven Paxos clusters: real actors (startNode) on one SimulatedClock, with every
 * message held in flight until the test delivers, drops or reorders it. The full simulator lives
 * in src/sim; these scenarios pin down the story the lesson tells.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { PaxosDurable, PaxosMessage } from '../../../src/core/paxos.ts';
import { Prng } from '../../../src/core/prng.ts';
import { decisionOf, hardStateOf, onceDurable } from '../../../src/core/write-once.ts';
import type { NodeHandle, OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import type { NodeId, Timing, Value } from '../../../src/core/types.ts';
import { paxosAmnesiaSpec } from '../../../src/machines/paxos-amnesia.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { startNode } from '../../../src/machines/spec.ts';
import { takeoverQuietMs } from '../../../src/core/paxos.ts';

const timing: Timing = { retransmitMs: 50, impatienceMs: 100, backoffMs: 40, phaseTimeoutMs: 200 };

interface Flight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: PaxosMessage;
}
type FlightFilter = (flight: Flight) => boolean;

class Cluster {
  readonly clock = new SimulatedClock();
  readonly nodes = new Map<NodeId, NodeHandle<PaxosMessage> | undefined>();
  readonly durable = new Map<NodeId, PaxosDurable>();
  readonly decisions: Array<{ node: NodeId; value: Value }> = [];
  readonly phasesSeen = new Map<NodeId, Set<string>>();
  inFlight: Flight[] = [];
  private starts = 0;

  constructor(
    readonly spec: OnceAlgorithmSpec<PaxosMessage, PaxosDurable>,
    readonly members: readonly NodeId[],
    private readonly seed = 1,
  ) {
    for (const id of members) this.start(id);
  }

  start(id: NodeId): void {
    const input = { self: id, members: this.members, seed: this.seed * 1000 + this.starts++, timing, durable: onceDurable(this.durable.get(id)) };
    const handle = startNode(this.spec, input, this.clock, (effects) => {
      // Persist-before-reply: within a step, no persist may follow a send.
      const firstSend = effects.findIndex((e) => e.type === 'send');
      const lastPersist = effects.findLastIndex((e) => e.type === 'persistLog');
      expect(firstSend === -1 || lastPersist < firstSend, `${id} sent before persisting`).toBe(true);
      for (const effect of effects) {
        if (effect.type === 'persistLog') this.durable.set(id, hardStateOf(effect.ops) as PaxosDurable);
        else if (effect.type === 'send') this.inFlight.push({ from: id, to: effect.to, message: effect.message });
        else if (effect.type === 'commit') this.decisions.push({ node: id, value: decisionOf(effect.entries) });
      }
    });
    this.nodes.set(id, handle);
    this.notePhase(id);
  }

  crash(id: NodeId): void {
    this.nodes.get(id)?.stop();
    this.nodes.set(id, undefined);
  }

  node(id: NodeId): NodeHandle<PaxosMessage> {
    const handle = this.nodes.get(id);
    if (handle === undefined) throw new Error(`${id} is down`);
    return handle;
  }

  propose(id: NodeId, value: Value): void {
    this.node(id).send({ type: 'tryInitialize', value });
  }

  phase(id: NodeId): string {
    return this.node(id).view().phase;
  }

  decided(id: NodeId): Value | undefined {
    return this.nodes.get(id)?.view().decided;
  }

  /** Delivers every message in flight now that matches (not the ones these deliveries cause). */
  deliver(filter: FlightFilter): number {
    const chosen = this.inFlight.filter(filter);
    this.inFlight = this.inFlight.filter((f) => !filter(f));
    for (const flight of chosen) this.deliverOne(flight);
    return chosen.length;
  }

  drop(filter: FlightFilter): void {
    this.inFlight = this.inFlight.filter((f) => !filter(f));
  }

  /**
   * Runs the network: delivers messages in the order `pick` chooses (dropping each with
   * probability `loss`), keeps the ones matching `hold` in flight, and lets virtual time pass
   * only when nothing else is in flight.
   */
  run(options: {
    until: () => boolean;
    maxMs: number;
    pick?: (count: number) => number;
    loss?: number;
    prng?: Prng;
    hold?: FlightFilter;
  }): void {
    const { until, maxMs, pick = () => 0, loss = 0, prng, hold = () => false } = options;
    const deadline = this.clock.now() + maxMs;
    while (!until()) {
      if (this.clock.now() > deadline) throw new Error(`no progress within ${maxMs} ms`);
      const held = this.inFlight.filter(hold);
      const deliverable = this.inFlight.filter((f) => !hold(f));
      if (deliverable.length === 0) {
        this.clock.increment(1);
        for (const id of this.members) this.notePhase(id);
        continue;
      }
      const [flight] = deliverable.splice(pick(deliverable.length), 1);
      this.inFlight = [...held, ...deliverable];
      if (flight !== undefined && !(prng?.chance(loss) ?? false)) this.deliverOne(flight);
    }
  }

  allLiveDecided(): boolean {
    return [...this.nodes.values()].every((node) => node === undefined || node.view().decided !== undefined);
  }

  private deliverOne({ from, to, message }: Flight): void {
    this.nodes.get(to)?.send({ type: 'receive', from, message });
    this.notePhase(to);
  }

  private notePhase(id: NodeId): void {
    const phase = this.nodes.get(id)?.view().phase;
    if (phase === undefined) return;
    const seen = this.phasesSeen.get(id) ?? new Set<string>();
    seen.add(phase);
    this.phasesSeen.set(id, seen);
  }
}

const is =
  (type: PaxosMessage['type'], from?: NodeId, to?: NodeId): FlightFilter =>
  (f) =>
    f.message.type === type && (from === undefined || f.from === from) && (to === undefined || f.to === to);

const three = ['n1', 'n2', 'n3'];

describe('duelling proposers (3 nodes, hand-driven)', () => {
  it('pre-empt each other, back off at random, and converge on one value everywhere', () => {
    const cluster = new Cluster(paxosSpec, three);
    cluster.propose('n1', 'red');
    cluster.propose('n3', 'blue');

    // n1 wins phase 1 with ballot 1.n1 ...
    cluster.deliver(is('prepare', 'n1'));
    cluster.deliver(is('promise', undefined, 'n1'));
    expect(cluster.phase('n1')).toBe('accepting');
    // ... but n3's prepare 1.n3 (higher: same round, larger id) reaches every acceptor first,
    cluster.deliver(is('prepare', 'n3'));
    // so n1's accepts are refused and n1 backs off.
    cluster.deliver(is('accept', 'n1'));
    expect(cluster.deliver(is('nack', undefined, 'n1'))).toBe(3);
    expect(cluster.phase('n1')).toBe('backing off');
    expect(cluster.durable.get('n2')?.accepted).toBeUndefined();

    // n3 reaches phase 2, but its accepts are held while n1 comes back with a higher round.
    cluster.deliver(is('promise', undefined, 'n3'));
    expect(cluster.phase('n3')).toBe('accepting');
    cluster.run({ until: () => cluster.inFlight.some(is('prepare', 'n1')), maxMs: 1_000, hold: is('accept', 'n3') });
    expect(cluster.inFlight.find(is('prepare', 'n1'))?.message).toEqual({ type: 'prepare', ballot: { round: 2, node: 'n1' } });
    cluster.deliver(is('prepare', 'n1'));
    cluster.deliver(is('accept', 'n3'));
    cluster.deliver(is('nack', undefined, 'n3'));
    expect(cluster.phase('n3')).toBe('backing off');

    // From here the network is fair; randomised backoff lets one proposer finish first.
    cluster.run({ until: () => cluster.allLiveDecided(), maxMs: 5_000 });
    const values = three.map((id) => cluster.decided(id));
    expect(new Set(values).size).toBe(1);
    expect(['red', 'blue']).toContain(values[0]);
    expect(cluster.decisions).toHaveLength(3);
    expect(cluster.phasesSeen.get('n1')).toContain('backing off');
    expect(cluster.phasesSeen.get('n3')).toContain('backing off');
  });

  it('converge under random delivery order and 15% loss, for every seed', () => {
    let duels = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const prng = Prng.fromSeed(seed);
      const cluster = new Cluster(paxosSpec, three, seed);
      cluster.propose('n1', 'red');
      cluster.propose('n2', 'blue');
      cluster.run({
        until: () => cluster.allLiveDecided() && cluster.inFlight.length === 0,
        maxMs: 20_000,
        pick: (n) => prng.int(0, n - 1),
        loss: 0.15,
        prng,
      });
      const decided = new Set(cluster.decisions.map((d) => d.value));
      expect(decided.size, `seed ${seed}`).toBe(1);
      expect(three.every((id) => cluster.decided(id) !== undefined), `seed ${seed}`).toBe(true);
      if (['n1', 'n2'].some((id) => cluster.phasesSeen.get(id)?.has('backing off'))) duels++;
    }
    expect(duels).toBeGreaterThan(0);
  });
});

describe('crash and restart', () => {
  it('a proposer that restarts keeps its value, uses a fresh round, and gets it chosen', () => {
    const cluster = new Cluster(paxosSpec, three);
    cluster.propose('n1', 'red');
    cluster.drop(is('prepare', 'n1'));
    cluster.crash('n1');
    cluster.start('n1');
    expect(cluster.inFlight.filter(is('prepare', 'n1')).map((f) => f.message)).toEqual(
      three.map(() => ({ type: 'prepare', ballot: { round: 2, node: 'n1' } })),
    );
    cluster.run({ until: () => cluster.allLiveDecided(), maxMs: 1_000 });
    expect(three.map((id) => cluster.decided(id))).toEqual(['red', 'red', 'red']);
  });

  it('if the proposer dies for good, a node that saw its value accepted takes over and finishes', () => {
    const cluster = new Cluster(paxosSpec, three);
    cluster.propose('n1', 'red');
    cluster.deliver(is('prepare', 'n1'));
    cluster.deliver(is('promise', undefined, 'n1'));
    cluster.deliver(is('accept', 'n1', 'n2')); // only n2 accepts before n1 dies
    cluster.crash('n1');
    cluster.drop((f) => f.to === 'n1' || f.from === 'n1');
    const crashedAt = cluster.clock.now();
    cluster.run({ until: () => cluster.allLiveDecided(), maxMs: 10_000 });
    expect([cluster.decided('n2'), cluster.decided('n3')]).toEqual(['red', 'red']);
    // Nobody stepped in while a live proposer could still have been backing off.
    expect(cluster.clock.now() - crashedAt).toBeGreaterThanOrEqual(takeoverQuietMs(timing.phaseTimeoutMs, timing.backoffMs));
  });

  /**
   * The textbook counterexample: red is chosen by n1 and n2; n2 restarts; n3 then gathers promises
   * from itself and n2 only. A remembering n2 reports red, so n3 proposes red. An amnesiac n2
   * reports nothing, so n3 gets blue chosen: Agreement is broken.
   */
  function redChosenThenN2Restarts(spec: OnceAlgorithmSpec<PaxosMessage, PaxosDurable>): Cluster {
    const cluster = new Cluster(spec, three);
    const n3Hears = (f: Flight) => f.to === 'n3';
    cluster.propose('n1', 'red');
    cluster.drop(n3Hears);
    cluster.deliver(is('prepare', 'n1'));
    cluster.deliver(is('promise', undefined, 'n1'));
    cluster.drop(n3Hears);
    cluster.deliver(is('accept', 'n1'));
    cluster.drop(n3Hears);
    cluster.deliver(is('accepted', undefined, 'n1'));
    expect(cluster.decided('n1')).toBe('red');
    cluster.inFlight = [];

    cluster.crash('n2');
    cluster.start('n2');
    cluster.propose('n3', 'blue');
    cluster.drop(is('prepare', 'n3', 'n1'));
    cluster.deliver(is('prepare', 'n3'));
    cluster.deliver(is('promise', undefined, 'n3'));
    cluster.drop(is('accept', 'n3', 'n1'));
    cluster.deliver(is('accept', 'n3'));
    cluster.deliver(is('accepted', undefined, 'n3'));
    return cluster;
  }

  it('paxos: the restarted acceptor remembers red, so n3 proposes red too', () => {
    const cluster = redChosenThenN2Restarts(paxosSpec);
    expect(cluster.decided('n3')).toBe('red');
    expect(new Set(cluster.decisions.map((d) => d.value))).toEqual(new Set(['red']));
  });

  it('paxos-amnesia: the restarted acceptor forgot red, and blue gets chosen too', () => {
    const cluster = redChosenThenN2Restarts(paxosAmnesiaSpec);
    expect(cluster.decided('n1')).toBe('red');
    expect(cluster.decided('n3')).toBe('blue');
  });
});
