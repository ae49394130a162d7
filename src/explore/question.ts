/**
 * The explorer's question about a solo run as it stands: the run's state, its proposals and the
 * adversary that may reorder its messages. One builder for solo mode (solo.svelte.ts) and the
 * tests that ask what solo mode asks. Kept apart from from-run.ts, which runs in the explorer's
 * worker: this is all the page needs at first paint.
 */
import { EXPLORE_DEFAULT_MAX_CRASHES } from '../limits.ts';
import type { Simulation } from '../sim/simulator.ts';
import type { RunQuestion, RunQuestionKind } from './from-run.ts';
import { proposalsOf } from './proposals.ts';

export function runQuestion(sim: Simulation, kind: RunQuestionKind, adversary: RunQuestion['adversary']): RunQuestion {
  return { kind, algorithm: sim.algorithm.name, seed: sim.seed, run: sim.runState(), proposals: proposalsOf(sim.trace), adversary, maxCrashes: EXPLORE_DEFAULT_MAX_CRASHES };
}
