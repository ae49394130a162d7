import { describe, expect, it } from 'vitest';
import { explore, ExploreError, type ExploreOptions, type PrefixStep } from '../../../src/explore/explorer.ts';
import { flpScene } from '../../../src/explore/scenes.ts';
import { getAlgorithm } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';

/** Deterministic budgets (states and walks, never wall-clock), so a loaded machine changes nothing but speed. */
function options(algorithm: AlgorithmName, nodes: number, proposers: number, extra: Partial<ExploreOptions> = {}): ExploreOptions {
  const names = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const values = ['red', 'blue', 'green'];
  return {
    algorithm: getAlgorithm(algorithm),
    nodes: names,
    proposals: names.slice(0, proposers).map((node, i) => ({ node, value: values[i] as string })),
    maxCrashes: 1,
    maxDepth: 60,
    maxStates: 15_000,
    walks: 200,
    ...extra,
  };
}

// A machine shared by many jobs runs these several times slower than an idle one: generous timeouts.
describe('explorer: counterexamples of the broken algorithms', { timeout: 30_000 }, () => {
  it('finds the impatient tiebreak Agreement violation, shortest first (six steps, no crash needed)', () => {
    const r = explore(options('impatient-tiebreak', 3, 2));
    expect(r.violation?.property).toBe('agreement');
    expect(r.violation?.foundBy).toBe('search');
    expect(r.violation?.steps).toHaveLength(6);
    expect(r.violation?.steps.filter((s) => s.do === 'timer').map((s) => s.do === 'timer' && s.timer)).toEqual([
      expect.stringContaining('impatience'),
      expect.stringContaining('impatience'),
    ]);
  });

  it('finds the majority split vote: three candidates, three different votes, nobody ever decides', () => {
    const r = explore(options('majority', 3, 3, { maxCrashes: 0 }));
    expect(r.violation?.property).toBe('termination');
    expect(r.violation?.message).toContain('n1, n2, n3 never decide');
    const votes = r.violation?.steps.filter((s) => s.do === 'deliver' && s.kind === 'vote') ?? [];
    // Every vote was delivered: all nine, and still no decision.
    expect(votes).toHaveLength(9);
    expect(new Set(votes.map((s) => s.do === 'deliver' && JSON.stringify(s.message))).size).toBe(3);
  });

  it('finds tiebreak blocked by one crash: the survivors wait for a vote that never comes', () => {
    const r = explore(options('tiebreak', 3, 2));
    expect(r.violation?.property).toBe('termination');
    expect(r.violation?.steps.some((s) => s.do === 'crash')).toBe(true);
    expect(r.violation?.steps.some((s) => s.do === 'deliver' && s.kind === 'vote')).toBe(true);
  });

  it('finds the coordinator hung by its crash (the coordinator n3 crashes first, n1 and n2 wait forever)', () => {
    const r = explore(options('coordinator', 3, 2));
    expect(r.violation?.property).toBe('termination');
    expect(r.violation?.foundBy).toBe('search');
    expect(r.violation?.steps).toEqual([{ do: 'crash', node: 'n3' }]);
    expect(r.violation?.message).toContain('n1, n2 never decide');
  });

  it('finds the paxos-amnesia violation: after red is chosen, an acceptor of it restarts with no memory and blue gets chosen', () => {
    // Staged: n1's ballot gets red chosen by a bare majority {n1, n2}, then n2 crashes and
    // restarts (amnesiac); the search finds n2's new ballot through to blue being chosen. Timers
    // off: the violation needs none, and without them the eight remaining steps are a small search.
    const d = (from: string, to: string, kind: string): PrefixStep => ({ do: 'deliver', from, to, kind });
    const prefix: PrefixStep[] = [
      d('n1', 'n1', 'prepare'), d('n1', 'n2', 'prepare'), d('n1', 'n1', 'promise'), d('n2', 'n1', 'promise'),
      d('n1', 'n1', 'accept'), d('n1', 'n2', 'accept'), d('n1', 'n1', 'accepted'), d('n2', 'n1', 'accepted'),
      { do: 'crash', node: 'n2' }, { do: 'restart', node: 'n2' },
    ];
    const r = explore(options('paxos-amnesia', 3, 2, { prefix, maxRestarts: 1, timers: false, walks: 0, maxStates: 300_000, maxDepth: 12 }));
    expect(r.violation?.property).toBe('agreement');
    expect(r.violation?.foundBy).toBe('search');
    expect(r.violation?.message).toMatch(/n1 red.*n2 blue/);
    const searched = r.violation?.steps.slice(r.violation.prefixSteps) ?? [];
    // n2's new ballot (round 2): prepare, promise, accept, accepted at n2 and n3 — eight deliveries.
    expect(searched).toHaveLength(8);
    expect(searched.every((s) => s.do === 'deliver')).toBe(true);
  });

  it('finds the paxos-amnesia violation on its own, unstaged, by random walks (timers off)', () => {
    const r = explore(options('paxos-amnesia', 3, 2, { maxRestarts: 1, timers: false, walks: 2_000, maxStates: 2_000 }));
    expect(r.violation?.property).toBe('agreement');
    expect(r.violation?.foundBy).toBe('walk');
    const faults = r.violation?.steps.filter((s) => s.do === 'crash' || s.do === 'restart') ?? [];
    expect(faults.map((s) => s.do)).toEqual(['crash', 'restart']);
  });

  it('finds no Agreement violation for the same staging with real Paxos (n2 remembers its promise)', () => {
    const d = (from: string, to: string, kind: string): PrefixStep => ({ do: 'deliver', from, to, kind });
    const prefix: PrefixStep[] = [
      d('n1', 'n1', 'prepare'), d('n1', 'n2', 'prepare'), d('n1', 'n1', 'promise'), d('n2', 'n1', 'promise'),
      d('n1', 'n1', 'accept'), d('n1', 'n2', 'accept'), d('n1', 'n1', 'accepted'), d('n2', 'n1', 'accepted'),
      { do: 'crash', node: 'n2' }, { do: 'restart', node: 'n2' },
    ];
    const r = explore(options('paxos', 3, 2, { prefix, maxRestarts: 1, timers: false, walks: 0, maxStates: 100_000, maxDepth: 12 }));
    expect(r.statesExplored).toBeGreaterThan(1_000);
    expect(r.violation?.property).not.toBe('agreement');
  });
});

describe('explorer: Paxos within a bound', { timeout: 30_000 }, () => {
  it('finds no Agreement violation for 3-node Paxos, 2 proposers, 1 crash, in 100 000 states (every schedule of up to 7 steps)', () => {
    const r = explore(options('paxos', 3, 2, { maxStates: 100_000, walks: 20 }));
    expect(r.statesExplored).toBeGreaterThanOrEqual(100_000);
    expect(r.completeDepth).toBeGreaterThanOrEqual(7);
    expect(r.violation === null || r.violation.property === 'termination').toBe(true);
    expect(r.violation?.property).not.toBe('agreement');
  });
});

describe('explorer: the FLP scene', { timeout: 30_000 }, () => {
  const majority = getAlgorithm('majority');

  it('is bivalent: both red and blue are still reachable, and the answer is complete', () => {
    const r = explore(flpScene(majority));
    expect(r.initialValence).toEqual({ values: ['red', 'blue'], complete: true });
    expect(r.exhausted).toBe(true);
  });

  it('flips to only red once red’s candidate reaches n5 first', () => {
    const r = explore(flpScene(majority, { redFirst: true }));
    expect(r.initialValence).toEqual({ values: ['red'], complete: true });
  });

  it('names the critical step: n5, red’s candidate from n1 against blue’s from n2', () => {
    const r = explore(flpScene(majority));
    expect(r.critical?.node).toBe('n5');
    expect(r.critical?.steps).toEqual([]);
    expect([r.critical?.first, r.critical?.second].map((m) => [m?.from, m?.kind, m?.leadsTo])).toEqual([
      ['n1', 'candidate', ['red']],
      ['n2', 'candidate', ['blue']],
    ]);
  });

  it('answers within 2 seconds', () => {
    const started = performance.now();
    explore(flpScene(getAlgorithm('tiebreak')));
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('explorer: staged prefixes are checked', () => {
  it('refuses a delivery of a message that is not in flight', () => {
    expect(() => explore(options('majority', 3, 1, { prefix: [{ do: 'deliver', from: 'n2', to: 'n1', kind: 'candidate' }] }))).toThrow(ExploreError);
  });

  it('refuses an ambiguous delivery and takes the exact message when named', () => {
    const d = (from: string, to: string, kind: string): PrefixStep => ({ do: 'deliver', from, to, kind });
    const staged: PrefixStep[] = [d('n1', 'n1', 'prepare'), d('n1', 'n2', 'prepare'), d('n1', 'n1', 'promise'), d('n2', 'n1', 'promise'), { do: 'crash', node: 'n2' }, { do: 'restart', node: 'n2' }];
    const base = options('paxos', 3, 2, { maxRestarts: 1, maxStates: 10, walks: 0 });
    expect(() => explore({ ...base, prefix: [...staged, d('n2', 'n3', 'prepare')] })).toThrow(/match; name the message/);
    const named: PrefixStep = { do: 'deliver', from: 'n2', to: 'n3', kind: 'prepare', message: { type: 'prepare', ballot: { round: 2, node: 'n2' } } };
    expect(explore({ ...base, prefix: [...staged, named] }).statesExplored).toBeGreaterThan(0);
  });
});
