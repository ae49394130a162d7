/**
 * CI's log swarm: 2,000 seeds each of Raft and Multi-Paxos under every fault family at once
 * (crashes, restarts, churn and strands, loss, duplication, partitions), 5 nodes, 3 clients × 5
 * order-book commands, over two worker threads. Zero violations of every log property, every
 * client history linearizable (none unknown), and every command answered after healing (the
 * definite-answer property is one of the violations counted).
 *
 * About 45 ms of CPU per seed (measured), so ~3 minutes of CPU for both, ~1.5 min on 2 cores.
 * `npm run sim -- --algorithm raft --seeds 10000 --faults all` is the larger run from the CLI.
 */
import { describe, expect, it } from 'vitest';
import type { LogAlgorithmName } from '../../../src/machines/spec.ts';
import { runLogSwarmParallel } from '../../../src/sim/log-swarm-workers.ts';

const SEEDS = 2_000;

describe('log swarm, CI size', () => {
  for (const algorithm of ['raft', 'multipaxos'] as const satisfies readonly LogAlgorithmName[]) {
    it(`${algorithm}: ${SEEDS} seeds under all faults, no violation, all linearizable and answered`, { timeout: 900_000 }, async () => {
      const summary = await runLogSwarmParallel(
        { algorithm, stateMachine: 'orders', nodes: 5, clients: 3, commands: 5, faults: 'all', seeds: SEEDS, firstSeed: 1 },
        2,
      );
      expect(summary.runs).toBe(SEEDS);
      expect(summary.firstViolation).toBeNull();
      expect(summary.violationRuns).toBe(0);
      expect(summary.notLinearizable).toBe(0);
      expect(summary.unknownLinearizable).toBe(0);
      // Every command of every client was applied: 3 × 5 per seed.
      expect(summary.committed).toBe(SEEDS * 3 * 5);
    });
  }
});
