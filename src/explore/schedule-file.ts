/** The explorer's counterexample as a schedule file: no Node API, so solo mode's worker writes the same file as the CLI. */
import { assertNever } from '../core/assert.ts';
import type { ExploreOptions, ExploreStep } from './explorer.ts';

/**
 * A counterexample as a schedule file, in the replication work's format (src/sim/schedule.ts on
 * that branch): `{algorithm, nodes, seed, steps: [{atMs, do, ...}]}`, messages named by
 * from/to/kind with `count: 1`. Every message is held (one `hold` step first) and the steps
 * deliver, drop, crash and restart in the explorer's order. Two things that format has no step
 * for are spelled as steps of their own: `propose` (a node's input) and `timer` (a timer firing:
 * time is only order in the explorer).
 */
export function scheduleFile(options: ExploreOptions, steps: readonly ExploreStep[], property: string): unknown {
  const out: Record<string, unknown>[] = [{ atMs: 0, do: 'hold' }];
  for (const p of options.proposals) out.push({ atMs: 0, do: 'propose', node: p.node, value: p.value });
  for (const step of steps) {
    switch (step.do) {
      case 'deliver':
      case 'drop':
        out.push({ atMs: 0, do: step.do, from: step.from, to: step.to, kind: step.kind, count: 1 });
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
  return {
    algorithm: options.algorithm.name,
    nodes: options.nodes.length,
    seed: options.seed ?? 1,
    description: `explorer counterexample: ${property}`,
    steps: out,
    expect: { violations: [property] },
  };
}

