import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explorer.ts';
import { answerRun } from '../../../src/explore/from-run.ts';
import { runQuestion } from '../../../src/explore/question.ts';
import { FLP_SCENE_ADVERSARY, flpScene } from '../../../src/explore/scenes.ts';
import { getAlgorithm } from '../../../src/machines/index.ts';
import { Simulation } from '../../../src/sim/simulator.ts';
import { stageFlp, FLP_FIFTH } from '../../../src/ui/solo.ts';

const now = (): number => performance.now();

const question = runQuestion;

describe('the explorer on a solo run (runState → explorer state)', { timeout: 30_000 }, () => {
  for (const algorithm of ['majority', 'tiebreak'] as const) {
    it(`${algorithm}: valence from solo mode's staged FLP scene equals the explorer's own FLP scene`, () => {
      const { sim } = stageFlp(algorithm, 1);
      const fromRun = answerRun(question(sim, 'valence', FLP_SCENE_ADVERSARY), now);
      const scene = explore(flpScene(getAlgorithm(algorithm)));
      expect(fromRun.valence).toEqual(scene.initialValence);
      // The same state graph, not just the same answer: the run's state is the scene's state.
      expect(fromRun.statesExplored).toBe(scene.statesExplored);
      expect([...fromRun.valence.values].sort()).toEqual(['blue', 'red']);
      expect(fromRun.sentence).toBe('both red and blue are still reachable');
    });
  }

  it('majority: the valence flips from both to only red when the user delivers red first to n5', () => {
    const { sim } = stageFlp('majority', 1);
    const before = answerRun(question(sim, 'valence', FLP_SCENE_ADVERSARY), now);
    expect(before.critical?.node).toBe(FLP_FIFTH);
    const red = sim.held().find((h) => h.from === 'n1' && h.to === FLP_FIFTH);
    expect(red).toBeDefined();
    sim.deliver((red as { id: number }).id);
    const after = answerRun(question(sim, 'valence', FLP_SCENE_ADVERSARY), now);
    expect(after.valence).toEqual(explore(flpScene(getAlgorithm('majority'), { redFirst: true })).initialValence);
    expect(after.sentence).toBe('only red can be decided from here');
  });

  it('the run state holds what the simulator holds: queued and held messages, timers, crashes', () => {
    const { sim } = stageFlp('tiebreak', 1);
    const state = sim.runState();
    expect(state.inFlight.filter((m) => m.held).length).toBe(sim.held().length);
    expect(state.inFlight.every((m) => m.to !== 'n5' || m.held)).toBe(true);
    expect(state.nodes.every((n) => n.status === 'up' && n.machine !== undefined)).toBe(true);
    sim.crash('n3');
    const crashed = sim.runState();
    expect(crashed.crashes).toBe(1);
    expect(crashed.nodes[2]?.machine).toBeUndefined();
    expect(crashed.inFlight.some((m) => m.to === 'n3')).toBe(false);
  });

  it('finds the impatient-tiebreak Agreement violation from a run where both proposed', () => {
    const sim = new Simulation({ algorithm: getAlgorithm('impatient-tiebreak'), nodes: 3, seed: 1, manual: true });
    sim.propose('n1', 'red');
    sim.propose('n2', 'blue');
    const answer = answerRun(question(sim, 'counterexample', undefined), now);
    expect(answer.violation?.property).toBe('agreement');
    const file = answer.schedule as { algorithm: string; steps: { do: string }[] };
    expect(file.algorithm).toBe('impatient-tiebreak');
    expect(file.steps[0]?.do).toBe('hold');
  });

  it('a run that already has more crashes than the bound keeps them (the bound never goes below the run)', () => {
    const sim = new Simulation({ algorithm: getAlgorithm('majority'), nodes: 3, seed: 2 });
    sim.propose('n1', 'red');
    sim.crash('n2');
    sim.crash('n3');
    const answer = answerRun(question(sim, 'valence', undefined), now);
    expect(answer.sentence).toBe('no decision is reachable');
  });
});
