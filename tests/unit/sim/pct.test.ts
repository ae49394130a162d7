/**
 * The PCT schedule (src/sim/pct.ts) and its plumbing: plans are a pure function of the seed,
 * change points demote a chain below every other, delays stay within the plan's range, and the
 * swarm and CLI take `--schedule pct` and hand the network back to the links when it heals.
 */
import { describe, expect, it } from 'vitest';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { parseArgs, UsageError } from '../../../src/sim/cli.ts';
import { PCT_MAX_DEPTH, PctSchedule, planPct, pctPlanText } from '../../../src/sim/pct.ts';
import { reproduceCommand, runSeed, PCT_MIN_WINDOW_MS, type SwarmConfig } from '../../../src/sim/swarm.ts';

const members = ['n1', 'n2', 'n3'];

describe('PCT plans and schedules', () => {
  it('draws a plan from the seed alone: depth 1–4, depth − 1 change points, slowest above the retransmit period', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const plan = planPct(members, seed, 100);
      expect(planPct(members, seed, 100)).toEqual(plan);
      expect(plan.depth).toBeGreaterThanOrEqual(1);
      expect(plan.depth).toBeLessThanOrEqual(PCT_MAX_DEPTH);
      expect(plan.changePoints).toHaveLength(plan.depth - 1);
      expect([...plan.changePoints].sort((a, b) => a - b)).toEqual(plan.changePoints);
      expect(plan.slowMs).toBeGreaterThan(100);
      expect(plan.fastMs).toBeLessThan(plan.slowMs);
    }
  });

  it('keeps a chain at one delay, gives different chains different delays, and demotes the chain of a change point below all', () => {
    const plan = { depth: 2, changePoints: [5], fastMs: 2, slowMs: 300, prioritySeed: 9 };
    const schedule = new PctSchedule(plan);
    const prepare = { type: 'prepare' };
    const first = schedule.delayMs('n1', 'n2', 1, prepare);
    expect(schedule.delayMs('n1', 'n2', 2, prepare)).toBe(first);
    const others = [
      schedule.delayMs('n1', 'n3', 3, prepare),
      schedule.delayMs('n1', 'n2', 4, { type: 'accept' }),
    ];
    for (const ms of [first, ...others]) {
      expect(ms).toBeGreaterThanOrEqual(plan.fastMs);
      expect(ms).toBeLessThanOrEqual(plan.slowMs);
    }
    expect(new Set([first, ...others]).size).toBe(3);
    // Message 5 is the change point: its chain (n1 → n2 prepares) now lags behind every initial priority.
    const demoted = schedule.delayMs('n1', 'n2', 5, prepare);
    expect(demoted).toBeGreaterThan(plan.slowMs);
    expect(schedule.delayMs('n1', 'n2', 6, prepare)).toBe(demoted);
    expect(pctPlanText(plan)).toContain('messages 5 drop to the lowest priority');
  });
});

describe('--schedule pct in the swarm and the CLI', () => {
  const config: SwarmConfig = { algorithm: paxosSpec, nodes: 3, proposers: 2, faults: 'none', schedule: 'pct' };

  it('runs a seed reproducibly, heals after the PCT window, and prints the replay command with the flag', () => {
    const run = runSeed(config, 4, 'full');
    expect(run.pct).toEqual(planPct(members, 4, 100));
    expect(run.record.liveness?.healedAt).toBe(PCT_MIN_WINDOW_MS);
    expect(run.decided).toBe(true);
    expect(runSeed(config, 4, 'full').record.trace).toEqual(run.record.trace);
    expect(reproduceCommand(config, 4)).toBe('npm run sim -- --algorithm paxos --nodes 3 --proposers 2 --faults none --schedule pct --replay 4');
    expect(reproduceCommand({ ...config, schedule: 'random' }, 4)).not.toContain('--schedule');
    // Not the default delays: the same seed without PCT sends its messages at other times.
    expect(runSeed({ ...config, schedule: undefined }, 4, 'full').record.trace).not.toEqual(run.record.trace);
  });

  it('parses --schedule and refuses unknown schedules', () => {
    expect(parseArgs(['--algorithm', 'paxos', '--schedule', 'pct']).schedule).toBe('pct');
    expect(parseArgs(['--algorithm', 'paxos']).schedule).toBeUndefined();
    expect(() => parseArgs(['--algorithm', 'paxos', '--schedule', 'fifo'])).toThrow(new UsageError('unknown schedule "fifo" (choose one of random, pct)'));
  });
});
