/**
 * Log swarms: Raft stays safe and linearizable over seeded fault plans with leader churn, every
 * command answered after healing; the broken variant that forgets its vote is caught by seed
 * search (not staged by hand). Seeds and counts kept modest: CI's 2,000 seeds run from the CLI.
 */
import { describe, expect, it } from 'vitest';
import { getLogAlgorithm } from '../../../src/machines/log-index.ts';
import { runLogSeed, runLogSwarm } from '../../../src/sim/log-swarm.ts';

describe('log swarm', () => {
  it('raft: no violation, linearizable, every command answered (orders, all faults)', { timeout: 60_000 }, () => {
    const summary = runLogSwarm({ algorithm: getLogAlgorithm('raft'), stateMachine: 'orders', nodes: 5, clients: 3, commands: 4, faults: 'all', seeds: 12 });
    expect(summary.firstViolation).toBeNull();
    expect(summary.violationRuns).toBe(0);
    expect(summary.notLinearizable).toBe(0);
    expect(summary.committed).toBe(12 * 3 * 4);
  });

  it('raft: fault-free commits take about 2 message delays at the leader', { timeout: 60_000 }, () => {
    const summary = runLogSwarm({ algorithm: getLogAlgorithm('raft'), stateMachine: 'register', nodes: 5, clients: 2, commands: 4, faults: 'none', seeds: 6 });
    expect(summary.violationRuns).toBe(0);
    expect(summary.messageDelaysPerCommand).not.toBeNull();
    expect(summary.messageDelaysPerCommand as number).toBeGreaterThan(1.5);
    expect(summary.messageDelaysPerCommand as number).toBeLessThan(3.5);
  });

  it('raft-forgets-vote: seed search finds two leaders in one term', { timeout: 60_000 }, () => {
    // A plain search over seeds 1, 2, 3… of this configuration (the first failing seed is 19 today).
    const config = { algorithm: getLogAlgorithm('raft-forgets-vote'), stateMachine: 'orders' as const, nodes: 3, clients: 2, commands: 10, faults: 'crash-restart' as const };
    let found: number | undefined;
    for (let seed = 1; seed <= 40 && found === undefined; seed++) {
      if (runLogSeed(config, seed).violations.some((v) => v.property === 'election-safety')) found = seed;
    }
    expect(found).toBeDefined();
    // The same seeds with the correct algorithm are clean.
    expect(runLogSeed({ ...config, algorithm: getLogAlgorithm('raft') }, found as number).violations).toEqual([]);
  });
});
