/**
 * The property test: Paxos with N = 3, 5, 7 under every fault family at once (crashes,
 * restarts, pauses, loss, duplication, slow links, partitions, one-way cuts), 10,000 seeds in
 * all. Zero safety violations (Agreement, Validity, the Paxos invariants), and every run decides
 * once the network heals with at most f nodes down. A failure prints the seeds and the command
 * that replays each one.
 */
import { describe, expect, it } from 'vitest';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { isSafety } from '../../../src/sim/checker.ts';
import { runSwarm, type SwarmRun } from '../../../src/sim/swarm.ts';

/** 10,000 seeds in total; bigger clusters cost more per run, so they get fewer. */
const SPLIT = [
  { nodes: 3, proposers: 2, seeds: 4_000 },
  { nodes: 5, proposers: 3, seeds: 3_500 },
  { nodes: 7, proposers: 3, seeds: 2_500 },
] as const;

/** Enough failure lines to act on, few enough to read. */
const REPORTED = 5;

describe('paxos under all faults (swarm)', () => {
  it('runs 10,000 seeds in total', () => {
    expect(SPLIT.reduce((sum, s) => sum + s.seeds, 0)).toBe(10_000);
  });

  for (const { nodes, proposers, seeds } of SPLIT) {
    it(
      `N=${nodes}, ${proposers} proposers, ${seeds} seeds: no safety violation, every run decides after healing`,
      () => {
        const unsafe: string[] = [];
        const undecided: string[] = [];
        const note = (run: SwarmRun): void => {
          for (const v of run.violations) {
            if (isSafety(v.property) && unsafe.length < REPORTED) unsafe.push(v.message);
          }
          const termination = run.violations.find((v) => v.property === 'termination');
          if (termination !== undefined && undecided.length < REPORTED) undecided.push(`${termination.message} (stopped: ${run.stop})`);
        };
        const summary = runSwarm({ algorithm: paxosSpec, nodes, proposers, faults: 'all', seeds, onRun: note });
        expect(unsafe, `safety violations (first failing seed ${summary.firstSafetyFailingSeed}):\n${unsafe.join('\n')}`).toEqual([]);
        expect(summary.agreementViolations + summary.validityViolations + summary.paxosInvariantViolations).toBe(0);
        expect(undecided, `runs that did not decide (first failing seed ${summary.firstFailingSeed}):\n${undecided.join('\n')}`).toEqual([]);
        expect(summary.decided).toBe(seeds);
      },
      120_000,
    );
  }
});
