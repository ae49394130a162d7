/**
 * Each weaker algorithm's documented failure, FOUND by the swarm (seeds are searched, nothing
 * is staged by hand), and each found failure replays identically from its seed. These are also
 * the proof that the checker fails real runs, not just crafted traces.
 */
import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { isSafety, type Property } from '../../../src/sim/checker.ts';
import { reproduceCommand, runSeed, type FaultFamily, type SwarmConfig, type SwarmRun } from '../../../src/sim/swarm.ts';

function swarm(algorithm: AlgorithmName, nodes: number, proposers: number, faults: FaultFamily): SwarmConfig {
  return { algorithm: getAlgorithm(algorithm), nodes, proposers, faults };
}

/** What the search keeps of each run it passed (not the run: thousands of actors add up). */
interface Seen {
  readonly seed: number;
  readonly violations: SwarmRun['violations'];
  readonly stayDown: readonly string[];
}

interface Search {
  readonly found: SwarmRun | undefined;
  /** Every run searched, up to and including the one found. */
  readonly runs: readonly Seen[];
  readonly range: string;
}

/** Runs seeds 1, 2, … until `wanted` holds (at most `maxSeeds`). */
function search(config: SwarmConfig, maxSeeds: number, wanted: (run: SwarmRun) => boolean): Search {
  const runs: Seen[] = [];
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const run = runSeed(config, seed);
    runs.push({ seed, violations: run.violations, stayDown: run.plan.stayDown });
    if (wanted(run)) return { found: run, runs, range: `seeds 1–${seed}` };
  }
  return { found: undefined, runs, range: `seeds 1–${maxSeeds}` };
}

const has = (run: Pick<Seen, 'violations'>, property: Property): boolean => run.violations.some((v) => v.property === property);

function safetyViolations(runs: readonly Seen[]): string[] {
  return runs.flatMap((run) => run.violations.filter((v) => isSafety(v.property)).map((v) => v.message));
}

/** The found run replays to the same trace and the same verdict from its seed alone. */
function expectReplays(config: SwarmConfig, run: SwarmRun): void {
  const again = runSeed(config, run.seed);
  expect(again.violations, `replay of seed ${run.seed}`).toEqual(run.violations);
  expect(again.record.trace, `replay of seed ${run.seed}`).toEqual(run.record.trace);
}

function describeFound(name: string, run: SwarmRun, config: SwarmConfig): void {
  // One line per finding, so a CI log shows which seed demonstrates what.
  console.info(`${name}: seed ${run.seed} — ${reproduceCommand(config, run.seed)}`);
}

describe('weaker algorithms fail as documented, found by the simulator', () => {
  it('coordinator: when the coordinator crashes, nobody terminates (and only then)', () => {
    const config = swarm('coordinator', 5, 2, 'crash');
    const coordinator = 'n5'; // the bully algorithm: the highest id
    const { found, runs, range } = search(config, 300, (run) => has(run, 'termination'));
    expect(found, `no coordinator run without termination in ${range}`).toBeDefined();
    const run = found as SwarmRun;
    expect(run.plan.stayDown, `seed ${run.seed}`).toContain(coordinator);
    for (const node of run.simulation.liveNodes()) {
      expect(run.simulation.view(node)?.waitingOn, `seed ${run.seed}, ${node}`).toEqual([coordinator]);
    }
    for (const other of runs) {
      if (has(other, 'termination')) expect(other.stayDown, `seed ${other.seed}: undecided without the coordinator down`).toContain(coordinator);
    }
    expect(safetyViolations(runs), range).toEqual([]);
    expectReplays(config, run);
    describeFound('coordinator crash → no termination', run, config);
  });

  it('majority with 3 proposers: some seeds split the vote and never terminate', () => {
    const config = swarm('majority', 5, 3, 'none');
    const { found, runs, range } = search(config, 300, (run) => has(run, 'termination'));
    expect(found, `no split vote in ${range}`).toBeDefined();
    const run = found as SwarmRun;
    for (const node of run.plan.members) {
      const view = run.simulation.view(node);
      expect(view?.phase, `seed ${run.seed}, ${node}`).toBe('split vote');
      const counts = Object.values(view?.tally ?? {});
      expect(counts.reduce((a, b) => a + b, 0), `seed ${run.seed}, ${node}: every vote is in`).toBe(5);
      expect(Math.max(...counts), `seed ${run.seed}, ${node}: nobody has 3 of 5`).toBeLessThan(3);
    }
    expect(safetyViolations(runs), range).toEqual([]);
    expectReplays(config, run);
    describeFound('majority split vote → no termination', run, config);
  });

  it('tiebreak: one crashed voter blocks everyone forever', () => {
    const config = swarm('tiebreak', 3, 2, 'crash'); // f = 1: exactly one node may crash
    const { found, runs, range } = search(config, 300, (run) => has(run, 'termination'));
    expect(found, `no blocked tiebreak run in ${range}`).toBeDefined();
    const run = found as SwarmRun;
    expect(run.plan.stayDown, `seed ${run.seed}`).toHaveLength(1);
    const crashed = run.plan.stayDown[0] as string;
    for (const node of run.simulation.liveNodes()) {
      expect(run.simulation.view(node)?.waitingOn, `seed ${run.seed}, ${node}`).toContain(crashed);
    }
    expect(safetyViolations(runs), range).toEqual([]);
    expectReplays(config, run);
    describeFound('tiebreak one crash → no termination', run, config);
  });

  it('impatient tiebreak: breaks Agreement, where patient tiebreak on the same faults does not', () => {
    const config = swarm('impatient-tiebreak', 5, 3, 'partition');
    const { found, range } = search(config, 300, (run) => has(run, 'agreement'));
    expect(found, `no Agreement violation in ${range}`).toBeDefined();
    const run = found as SwarmRun;
    const decided = new Set(run.simulation.decisions.map((d) => d.value));
    expect(decided.size, `seed ${run.seed}: two values decided`).toBeGreaterThan(1);
    expectReplays(config, run);
    const patient = runSeed(swarm('tiebreak', 5, 3, 'partition'), run.seed);
    expect(patient.violations.filter((v) => isSafety(v.property)), `tiebreak, seed ${run.seed}`).toEqual([]);
    describeFound('impatient tiebreak → Agreement violation', run, config);
  });

  it('paxos with amnesia: crash-restart breaks Agreement, where paxos on the same faults does not', () => {
    const config = swarm('paxos-amnesia', 3, 3, 'crash-restart');
    const { found, runs, range } = search(config, 3_000, (run) => has(run, 'agreement'));
    expect(found, `no Agreement violation in ${range}`).toBeDefined();
    const run = found as SwarmRun;
    // The checker saw the cause too: an acceptor whose promise went backwards at a restart.
    expect(has(run, 'promise-monotonic'), `seed ${run.seed}`).toBe(true);
    expect(runs.filter((r) => has(r, 'validity')), 'amnesia keeps Validity').toEqual([]);
    expectReplays(config, run);
    const sound = runSeed(swarm('paxos', 3, 3, 'crash-restart'), run.seed);
    expect(sound.violations, `paxos, seed ${run.seed}`).toEqual([]);
    describeFound('paxos-amnesia crash-restart → Agreement violation', run, config);
  }, 60_000);
});
