/**
 * Solo mode's questions to the explorer, from the run as it stands: the explorer carries on
 * from the simulator's own state (`Simulation.runState()`: every node's machine state, pending
 * timers and storage, every message that can still arrive, the crashes so far), not from a
 * re-simulation of the user's clicks.
 *
 * What does not map, said plainly (the page repeats it): virtual time. A solo run delivers
 * messages and fires timers in time order; the explorer lets any message arrive and any pending
 * timer fire next (FLP's model: time is only order). Which messages the adversary orders follows
 * solo mode's hold: holding messages to one node orders those (everything else arrives at once,
 * oldest first); any other hold mode, or none, orders every message.
 *
 * Plain data in, plain data out: it runs in the worker (worker.ts) and in the unit tests.
 */
import type { NodeId } from '../core/types.ts';
import { getAlgorithm } from '../machines/index.ts';
import type { AlgorithmName } from '../machines/spec.ts';
import type { RunState } from '../sim/simulator.ts';
import { SOLO_COUNTEREXAMPLE_BUDGET_MS, SOLO_EXPLORE_BUDGET_MS, SOLO_EXPLORE_MAX_DEPTH, SOLO_EXPLORE_MAX_STATES } from '../limits.ts';
import { scheduleFile } from './schedule-file.ts';
import type { ScheduleFileStep } from './run-prefix.ts';
import { explore, type CriticalStep, type ExploreOptions, type ExploreResult, type ExploreStep, type Proposal, type Valence } from './explorer.ts';
import { valenceSentence } from './words.ts';

export type RunQuestionKind = 'valence' | 'counterexample';

export interface RunQuestion {
  readonly kind: RunQuestionKind;
  readonly algorithm: AlgorithmName;
  readonly seed: number;
  readonly run: RunState;
  /** Every proposal the run made so far (already in `run`; named for the answer and the schedule file). */
  readonly proposals: readonly Proposal[];
  /**
   * Which messages the adversary orders: those to these nodes (of these kinds, if given);
   * undefined: every message (FLP's adversary).
   */
  readonly adversary: { readonly to: readonly NodeId[]; readonly kinds?: readonly string[] } | undefined;
  /** Crashes the adversary may cause in all, counting those already in the run. */
  readonly maxCrashes: number;
  /**
   * How the run got here, as schedule steps (run-prefix.ts): a saved counterexample starts with
   * them, so it replays alone. Only a counterexample question needs it.
   */
  readonly prefix?: readonly ScheduleFileStep[];
}

export interface RunAnswer {
  readonly kind: RunQuestionKind;
  readonly valence: Valence;
  /** `valenceSentence(valence)`, or "unknown within budget" when nothing was learnt. */
  readonly sentence: string;
  readonly critical: CriticalStep | null;
  readonly violation: { readonly property: string; readonly message: string; readonly steps: readonly ExploreStep[]; readonly shortest: boolean } | null;
  /** The counterexample as a schedule file (the format `npm run sim -- --explore --save` writes). */
  readonly schedule: unknown;
  readonly statesExplored: number;
  readonly exhausted: boolean;
  readonly completeDepth: number;
  readonly stoppedBy: ExploreResult['stoppedBy'];
  readonly wallMs: number;
}

export function runExploreOptions(q: RunQuestion, now: () => number): ExploreOptions {
  const counterexample = q.kind === 'counterexample';
  return {
    algorithm: getAlgorithm(q.algorithm),
    nodes: q.run.nodes.map((n) => n.id),
    proposals: q.proposals,
    start: q.run,
    // Crashes already in the run count against the bound; never fewer than those.
    maxCrashes: Math.max(q.maxCrashes, q.run.crashes),
    maxRestarts: q.run.restarts,
    maxDepth: SOLO_EXPLORE_MAX_DEPTH,
    maxStates: SOLO_EXPLORE_MAX_STATES,
    budgetMs: counterexample ? SOLO_COUNTEREXAMPLE_BUDGET_MS : SOLO_EXPLORE_BUDGET_MS,
    now,
    seed: q.seed,
    // Valence needs the whole graph (no walks, no early stop); a counterexample the shortest.
    walks: counterexample ? undefined : 0,
    stopAtViolation: counterexample,
    adversary: q.adversary,
  };
}

export function answerRun(q: RunQuestion, now: () => number): RunAnswer {
  const options = runExploreOptions(q, now);
  const r = explore(options);
  const learnt = r.initialValence.complete || r.initialValence.values.length > 0;
  const v = r.violation;
  return {
    kind: q.kind,
    valence: r.initialValence,
    sentence: learnt ? valenceSentence(r.initialValence) : `unknown within budget (${r.statesExplored} states in ${r.wallMs} ms)`,
    critical: r.critical,
    violation: v === null ? null : { property: v.property, message: v.message, steps: v.steps, shortest: v.foundBy === 'search' },
    schedule: v === null ? null : scheduleFile(options, v.steps, v.property, q.prefix),
    statesExplored: r.statesExplored,
    exhausted: r.exhausted,
    completeDepth: r.completeDepth,
    stoppedBy: r.stoppedBy,
    wallMs: r.wallMs,
  };
}

export { proposalsOf } from './proposals.ts';
