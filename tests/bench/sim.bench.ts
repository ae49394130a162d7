/**
 * `npm run bench:sim`: how fast the deterministic simulator runs real Paxos actors.
 *
 * - Paxos decisions per second, 5 nodes, 2 proposers, no faults and all faults (one decision =
 *   one seeded run in which every live node decided);
 * - simulated messages per second in those runs;
 * - wall time of 10,000 Paxos seeds (5 nodes, all faults), which must stay under 20 s.
 * Each figure is the median of a few repetitions. Not a test: it prints, and exits non-zero
 * only when the 10,000-seed bound is broken.
 */
import { performance } from 'node:perf_hooks';
import { paxosSpec } from '../../src/machines/paxos.ts';
import { runSwarm, type FaultFamily, type SwarmSummary } from '../../src/sim/swarm.ts';

const RATE_SEEDS = 2_000;
const RATE_REPETITIONS = 5;
const BOUND_SEEDS = 10_000;
const BOUND_REPETITIONS = 3;
const BOUND_MS = 20_000;

interface Measured {
  readonly wallMs: number;
  readonly summary: SwarmSummary;
}

function measure(faults: FaultFamily, seeds: number, firstSeed: number): Measured {
  const started = performance.now();
  const summary = runSwarm({ algorithm: paxosSpec, nodes: 5, proposers: 2, faults, seeds, firstSeed });
  return { wallMs: performance.now() - started, summary };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

// Warm the JIT on both kinds of run so the first repetitions are not outliers.
measure('none', 1_000, 1_000_000);
measure('all', 1_000, 1_000_000);

console.log(`Paxos, 5 nodes, 2 proposers — median of ${RATE_REPETITIONS} × ${RATE_SEEDS} seeds`);
// Repetitions interleave the two families, so a busy moment on a shared machine hits both.
const rates = { none: [] as Measured[], all: [] as Measured[] };
for (let i = 0; i < RATE_REPETITIONS; i++) {
  for (const faults of ['none', 'all'] as const) rates[faults].push(measure(faults, RATE_SEEDS, 1 + i * RATE_SEEDS));
}
for (const faults of ['none', 'all'] as const) {
  const runs = rates[faults];
  const decisions = median(runs.map((r) => (r.summary.decided / r.wallMs) * 1000));
  const messages = median(runs.map((r) => (r.summary.simulatedMessages / r.wallMs) * 1000));
  const steps = median(runs.map((r) => (r.summary.steps / r.wallMs) * 1000));
  const perRun = median(runs.map((r) => r.wallMs / RATE_SEEDS));
  const undecided = runs.reduce((sum, r) => sum + r.summary.undecided, 0);
  const unsafe = runs.reduce((sum, r) => sum + r.summary.agreementViolations + r.summary.validityViolations + r.summary.paxosInvariantViolations, 0);
  console.log(
    `  faults ${faults.padEnd(4)}  ${fmt(decisions).padStart(7)} decisions/s  ${fmt(messages).padStart(9)} messages/s  ` +
      `${fmt(steps).padStart(9)} steps/s  ${perRun.toFixed(3)} ms/run  (undecided ${undecided}, safety violations ${unsafe})`,
  );
}

console.log(`\n${fmt(BOUND_SEEDS)} Paxos seeds, 5 nodes, 2 proposers, all faults — ${BOUND_REPETITIONS} repetitions`);
const walls: number[] = [];
for (let i = 0; i < BOUND_REPETITIONS; i++) {
  const { wallMs, summary } = measure('all', BOUND_SEEDS, 1);
  walls.push(wallMs);
  console.log(`  run ${i + 1}: ${(wallMs / 1000).toFixed(2)} s (${summary.decided} decided, ${fmt(summary.simulatedMessages)} messages)`);
}
const wall = median(walls);
console.log(`  median ${(wall / 1000).toFixed(2)} s — bound ${BOUND_MS / 1000} s: ${wall < BOUND_MS ? 'OK' : 'TOO SLOW'}`);
if (wall >= BOUND_MS) process.exitCode = 1;
