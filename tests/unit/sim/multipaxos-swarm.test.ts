/**
 * Multi-Paxos in the log swarm: safe, linearizable, every command answered under all faults;
 * about 2 message delays per command from the leader in steady state; and the broken
 * multipaxos-no-adopt caught by a plain seed search (not staged by hand).
 */
import { describe, expect, it } from 'vitest';
import { getLogAlgorithm } from '../../../src/machines/log-index.ts';
import { runLogSeed, runLogSwarm } from '../../../src/sim/log-swarm.ts';

describe('multipaxos swarm', () => {
  it('no violation, linearizable, every command answered (orders, all faults)', { timeout: 60_000 }, () => {
    const summary = runLogSwarm({ algorithm: getLogAlgorithm('multipaxos'), stateMachine: 'orders', nodes: 5, clients: 3, commands: 4, faults: 'all', seeds: 12 });
    expect(summary.firstViolation).toBeNull();
    expect(summary.violationRuns).toBe(0);
    expect(summary.notLinearizable).toBe(0);
    expect(summary.committed).toBe(12 * 3 * 4);
  });

  it('fault-free commits take about 2 message delays at the leader (phase 2 only)', { timeout: 60_000 }, () => {
    const summary = runLogSwarm({ algorithm: getLogAlgorithm('multipaxos'), stateMachine: 'register', nodes: 5, clients: 2, commands: 4, faults: 'none', seeds: 6 });
    expect(summary.violationRuns).toBe(0);
    expect(summary.messageDelaysPerCommand as number).toBeGreaterThan(1.5);
    expect(summary.messageDelaysPerCommand as number).toBeLessThan(3);
  });

  it('multipaxos-no-adopt: seed search finds a chosen command overwritten', { timeout: 60_000 }, () => {
    const config = { algorithm: getLogAlgorithm('multipaxos-no-adopt'), stateMachine: 'orders' as const, nodes: 5, clients: 3, commands: 5, faults: 'all' as const };
    let found: number | undefined;
    for (let seed = 1; seed <= 30 && found === undefined; seed++) {
      const violations = runLogSeed(config, seed).violations;
      if (violations.some((v) => v.property === 'state-machine-safety' || v.property === 'leader-completeness')) found = seed;
    }
    expect(found).toBeDefined();
    expect(runLogSeed({ ...config, algorithm: getLogAlgorithm('multipaxos') }, found as number).violations).toEqual([]);
  });
});
