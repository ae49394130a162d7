/**
 * Paxos liveness on a network that is slow but perfectly healthy: no loss, no crash, one
 * proposer, every message delayed the same 160 ms, so a phase's round trip (320 ms) is longer
 * than timing.phaseTimeoutMs (300 ms in the simulator's default timing).
 *
 * Eventual timeliness means delays are bounded, not that the bound is known in advance: a
 * proposer that keeps its phase timeout fixed abandons every ballot just before its promises
 * arrive, forever. Found by the swarm while its liveness phase still kept the slow links drawn
 * for the safety phase (1 run in 10,000 of paxos, 5 nodes, all faults), and reduced to this
 * case. Fixed by growing a proposer's phase timeout with its failed ballots, as its backoff
 * already grew (core/paxos.ts phaseTimeoutDelay).
 */
import { describe, expect, it } from 'vitest';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { DEFAULT_TIMING, Simulation } from '../../../src/sim/simulator.ts';

describe('paxos on a slow, healthy network', () => {
  it('decides when a round trip takes longer than the phase timeout', () => {
    const seed = 1;
    const oneWayMs = 160;
    expect(2 * oneWayMs).toBeGreaterThan(DEFAULT_TIMING.phaseTimeoutMs);
    const sim = new Simulation({ algorithm: paxosSpec, nodes: 3, seed, link: { minDelayMs: oneWayMs, maxDelayMs: oneWayMs }, trace: 'facts' });
    sim.propose('n1', 'red');
    const stop = sim.runUntil((s) => s.allLiveDecided(), { maxTime: 60_000 });
    const ballot = sim.view('n1')?.fields.find((f) => f.label === 'ballot')?.value;
    expect(
      stop,
      `seed ${seed}: no decision after 60 s of virtual time with ${oneWayMs} ms links; n1 reached ballot ${ballot} ` +
        `after ${sim.counters.sent} messages (phase timeout ${DEFAULT_TIMING.phaseTimeoutMs} ms never grows)`,
    ).toBe('predicate');
  });
});
