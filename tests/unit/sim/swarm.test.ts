/**
 * Swarm plans: each seed draws its own faults, within the rules (at most f nodes left down, a
 * proposer always up for the liveness phase, crash-stop never beyond f), and a seed always
 * replays to the same run.
 */
import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import { FAULT_FAMILIES, planFaults, reproduceCommand, runSeed, type FaultFamily, type SwarmConfig } from '../../../src/sim/swarm.ts';
import { formatEntry } from '../../../src/sim/trace.ts';

function config(faults: FaultFamily, nodes = 5, proposers = 2): SwarmConfig {
  return { algorithm: getAlgorithm('paxos'), nodes, proposers, faults };
}

describe('swarm fault plans', () => {
  it('are a pure function of the seed, and differ between seeds', () => {
    for (const family of FAULT_FAMILIES) {
      expect(planFaults(config(family), 5), family).toEqual(planFaults(config(family), 5));
    }
    const plans = new Set(Array.from({ length: 50 }, (_, i) => JSON.stringify(planFaults(config('all'), i + 1))));
    expect(plans.size).toBe(50);
  });

  it('draw only the faults of their family', () => {
    const kindsOf = (family: FaultFamily): Set<string> => {
      const kinds = new Set<string>();
      for (let seed = 1; seed <= 200; seed++) for (const { action } of planFaults(config(family), seed).actions) kinds.add(action.kind);
      return kinds;
    };
    expect([...kindsOf('none')]).toEqual([]);
    expect([...kindsOf('crash')]).toEqual(['crash']);
    expect([...kindsOf('crash-restart')].sort()).toEqual(['crash', 'restart']);
    expect([...kindsOf('loss')]).toEqual(['link']);
    expect([...kindsOf('partition')].sort()).toEqual(['cut', 'heal', 'partition']);
    expect([...kindsOf('all')].sort()).toEqual(['crash', 'cut', 'heal', 'link', 'partition', 'pause', 'restart', 'resume']);
    for (let seed = 1; seed <= 50; seed++) {
      const lossless = planFaults(config('partition'), seed).link;
      expect(lossless.loss + lossless.duplicate, `seed ${seed}`).toBe(0);
    }
  });

  it('leave at most f nodes down for the liveness phase, and at least one proposer up', () => {
    for (const nodes of [1, 2, 3, 4, 5, 7]) {
      const f = Math.floor((nodes - 1) / 2);
      for (const family of ['crash', 'crash-restart', 'all'] as const) {
        for (let seed = 1; seed <= 150; seed++) {
          const plan = planFaults(config(family, nodes, Math.min(2, nodes)), seed);
          const where = `${family}, ${nodes} nodes, seed ${seed}`;
          expect(plan.stayDown.length, where).toBeLessThanOrEqual(f);
          const proposers = plan.proposals.map((p) => p.node);
          expect(proposers.some((p) => !plan.stayDown.includes(p)), where).toBe(true);
          if (family === 'crash') {
            const crashed = plan.actions.filter((a) => a.action.kind === 'crash').length;
            expect(crashed, where).toBeLessThanOrEqual(f);
          }
          // Times are inside the safety phase and sorted.
          const times = plan.actions.map((a) => a.at);
          expect(times, where).toEqual([...times].sort((a, b) => a - b));
          expect(times.every((t) => t >= 0 && t <= plan.safetyMs), where).toBe(true);
        }
      }
    }
  });

  it('replays a seed to the identical trace, and names the command that does it', () => {
    const cfg = config('all');
    const once = runSeed(cfg, 77, 'full').record.trace.map(formatEntry);
    const again = runSeed(cfg, 77, 'full').record.trace.map(formatEntry);
    expect(again, 'seed 77').toEqual(once);
    expect(reproduceCommand(cfg, 77)).toBe('npm run sim -- --algorithm paxos --nodes 5 --proposers 2 --faults all --replay 77');
    expect(reproduceCommand({ ...cfg, budgetMs: 5_000 }, 3)).toContain('--budget-ms 5000 --replay 3');
  });

  it('records the checker\'s facts identically at both trace levels', () => {
    const cfg = config('all', 3);
    for (const seed of [3, 4]) {
      const full = runSeed(cfg, seed, 'full');
      const facts = runSeed(cfg, seed, 'facts');
      const factKinds = new Set(facts.record.trace.map((e) => e.kind));
      expect(full.record.trace.filter((e) => factKinds.has(e.kind)), `seed ${seed}`).toEqual(facts.record.trace);
      expect(full.violations, `seed ${seed}`).toEqual(facts.violations);
    }
  });

  it('rejects impossible configurations', () => {
    expect(() => planFaults(config('none', 3, 4), 1)).toThrow(/proposers must be/);
    expect(() => planFaults(config('none', 0, 1), 1)).toThrow(/nodes must be/);
  });
});
