/**
 * Two scenes from the storyline, staged with link delays and manual delivery:
 * - the 25-node split vote (Red 9, Blue 5, Green 11): majority never decides, tiebreak decides
 *   the same value everywhere;
 * - the FLP situation: 5 nodes, 2 votes red, 2 blue, both candidates in flight to the fifth
 *   node, and the order in which the fifth hears them alone decides the outcome.
 */
import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { checkRun } from '../../../src/sim/checker.ts';
import { nodeIds, Simulation } from '../../../src/sim/simulator.ts';

const SEED = 2025;
const FAST = { minDelayMs: 1, maxDelayMs: 1 };

describe('the 25-node split vote: Red 9, Blue 5, Green 11', () => {
  const members = nodeIds(25);
  const groups = { red: members.slice(0, 9), blue: members.slice(9, 14), green: members.slice(14) };

  /** Each candidate reaches its own group first, so the first candidate each voter hears splits 9/5/11. */
  function splitVote(algorithm: AlgorithmName): Simulation {
    const sim = new Simulation({ algorithm: getAlgorithm(algorithm), nodes: members, seed: SEED, link: { minDelayMs: 20, maxDelayMs: 30 } });
    for (const [value, group] of Object.entries(groups)) {
      const proposer = group[0] as string;
      for (const voter of group) sim.setLink(proposer, voter, FAST);
      sim.propose(proposer, value);
    }
    return sim;
  }

  it('never decides under majority: every vote is in and nobody has 13', () => {
    const sim = splitVote('majority');
    // Quiet, not just slow: every node has every vote and every ack, so nothing is pending.
    expect(sim.runUntil(() => false, { maxTime: 60_000 }), `seed ${SEED}`).toBe('idle');
    expect(sim.decisions, `seed ${SEED}`).toEqual([]);
    for (const node of members) {
      const view = sim.view(node);
      expect(view?.tally, `seed ${SEED}, ${node}`).toEqual({ red: 9, blue: 5, green: 11 });
      expect(view?.phase, `seed ${SEED}, ${node}`).toBe('split vote');
    }
  });

  it('decides one value on every node under tiebreak (the smallest candidate: blue)', () => {
    const sim = splitVote('tiebreak');
    expect(sim.runUntil((s) => s.allLiveDecided(), { maxTime: 60_000 }), `seed ${SEED}`).toBe('predicate');
    for (const node of members) {
      expect(sim.view(node)?.tally, `seed ${SEED}, ${node}`).toEqual({ red: 9, blue: 5, green: 11 });
      expect(sim.decidedValue(node), `seed ${SEED}, ${node}`).toBe('blue');
    }
    expect(checkRun({ seed: SEED, members, trace: sim.trace, reproduce: 'scenarios.test.ts' }), `seed ${SEED}`).toEqual([]);
  });
});

describe('FLP: two candidates in flight to the fifth node', () => {
  const members = nodeIds(5);
  const fifth = 'n5';

  /** n1 (red) and n2 (blue) propose; n3 hears red first, n4 blue; everything to n5 is held. */
  function standoff(): Simulation {
    const sim = new Simulation({
      algorithm: getAlgorithm('majority'),
      nodes: members,
      seed: SEED,
      link: { minDelayMs: 40, maxDelayMs: 60 },
      manual: (_from, to) => to === fifth,
    });
    for (const [proposer, ally] of [['n1', 'n3'], ['n2', 'n4']] as const) {
      sim.setLink(proposer, proposer, FAST);
      sim.setLink(proposer, ally, FAST);
    }
    sim.propose('n1', 'red');
    sim.propose('n2', 'blue');
    sim.runUntil(150);
    return sim;
  }

  function candidateFor(sim: Simulation, value: string): number {
    const held = sim.held().find((h) => h.to === fifth && (h.message as { type: string; value?: string }).type === 'candidate' && (h.message as { value?: string }).value === value);
    expect(held, `seed ${SEED}: a ${value} candidate is held for ${fifth}`).toBeDefined();
    return held?.id as number;
  }

  /** Delivers the chosen candidate first, then lets everything else through. */
  function deliverFirst(sim: Simulation, value: string): void {
    sim.deliver(candidateFor(sim, value));
    sim.setManual(false);
    for (const { id } of sim.held()) sim.deliver(id);
    expect(sim.runUntil((s) => s.allLiveDecided(), { maxTime: 10_000 }), `seed ${SEED}`).toBe('predicate');
  }

  it('starts from a 2–2 tie among four nodes, with the fifth undecided and both candidates held', () => {
    const sim = standoff();
    for (const node of ['n1', 'n2', 'n3', 'n4']) {
      expect(sim.view(node)?.tally, `seed ${SEED}, ${node}`).toEqual({ red: 2, blue: 2 });
      expect(sim.decidedValue(node)).toBeUndefined();
    }
    expect(sim.view(fifth)?.tally, `seed ${SEED}`).toEqual({});
    candidateFor(sim, 'red');
    candidateFor(sim, 'blue');
    // Both branches below start from exactly this state.
    expect(standoff().held(), `seed ${SEED}`).toEqual(sim.held());
  });

  for (const [first, other] of [['red', 'blue'], ['blue', 'red']] as const) {
    it(`delivering ${first} first makes ${first} win everywhere`, () => {
      const sim = standoff();
      deliverFirst(sim, first);
      for (const node of members) expect(sim.decidedValue(node), `seed ${SEED}, ${node}`).toBe(first);
      expect(sim.view(fifth)?.tally[first], `seed ${SEED}`).toBe(3);
      expect(sim.view(fifth)?.tally[other], `seed ${SEED}`).toBe(2);
    });
  }
});
