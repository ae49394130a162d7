/** The explorer's counterexample as a schedule file: no Node API, so solo mode's worker writes the same file as the CLI. */
import { assertNever } from '../core/assert.ts';
import type { ExploreOptions, ExploreStep } from './explorer.ts';
import type { ScheduleFileStep } from './run-prefix.ts';
import { PRESET_OUTCOME_WATCH_MS } from '../limits.ts';

/**
 * A counterexample as a schedule file, in the replication work's format (src/sim/schedule.ts):
 * `{algorithm, nodes, seed, steps: [{atMs, do, ...}]}`, messages named by from/to/kind and their
 * exact payload with `count: 1`. Every message is held (one `hold` step first) and time stays at
 * 0; the steps deliver, drop, crash and restart in the explorer's order. Two things that format
 * has no step for are spelled as steps of their own: `propose` (a node's input) and `timer` (a
 * timer firing: time is only order in the explorer).
 *
 * `prefix` (run-prefix.ts): how a solo run reached the state the search started from, so the
 * file replays alone from fresh nodes; it replaces the bare proposals. A "never decides"
 * counterexample ends by releasing everything and running on PRESET_OUTCOME_WATCH_MS, expecting the
 * simulator's own checker to find Termination broken there.
 */
export function scheduleFile(options: ExploreOptions, steps: readonly ExploreStep[], property: string, prefix?: readonly ScheduleFileStep[]): unknown {
  const out: Record<string, unknown>[] = [{ atMs: 0, do: 'hold' }];
  if (prefix !== undefined) out.push(...prefix);
  else for (const p of options.proposals) out.push({ atMs: 0, do: 'propose', node: p.node, value: p.value });
  for (const step of steps) {
    switch (step.do) {
      case 'deliver':
      case 'drop':
        out.push({ atMs: 0, do: step.do, from: step.from, to: step.to, kind: step.kind, message: step.message, count: 1 });
        break;
      case 'timer':
        out.push({ atMs: 0, do: 'timer', node: step.node, timer: step.timer });
        break;
      case 'crash':
      case 'restart':
        out.push({ atMs: 0, do: step.do, node: step.node });
        break;
      default:
        assertNever(step, 'explorer step');
    }
  }
  const stuck = property === 'termination';
  if (stuck) out.push({ atMs: 0, do: 'release' });
  return {
    algorithm: options.algorithm.name,
    nodes: options.nodes.length,
    seed: options.seed ?? 1,
    description: `explorer counterexample: ${property}${prefix === undefined ? '' : ' (from a solo run: its steps so far come first)'}`,
    ...(stuck ? { runUntilMs: PRESET_OUTCOME_WATCH_MS } : {}),
    steps: out,
    expect: { violations: [property] },
  };
}
