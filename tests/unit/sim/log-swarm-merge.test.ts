/**
 * Summaries of seed ranges merge exactly: two halves run apart (as worker threads run them)
 * give the same summary as one run over all the seeds, ratios and firstFailingSeed included.
 */
import { describe, expect, it } from 'vitest';
import { getLogAlgorithm } from '../../../src/machines/log-index.ts';
import { mergeLogSwarmSummaries, runLogSwarm } from '../../../src/sim/log-swarm.ts';

describe('log swarm summaries', () => {
  it('two halves merge into the summary of the whole range', { timeout: 60_000 }, () => {
    const config = { algorithm: getLogAlgorithm('multipaxos-no-adopt'), stateMachine: 'orders' as const, nodes: 3, clients: 2, commands: 3, faults: 'crash-restart' as const };
    const whole = runLogSwarm({ ...config, seeds: 6, firstSeed: 1 });
    const merged = mergeLogSwarmSummaries([runLogSwarm({ ...config, seeds: 3, firstSeed: 4 }), runLogSwarm({ ...config, seeds: 3, firstSeed: 1 })]);
    expect(merged).toEqual(whole);
    expect(whole.violationRuns).toBeGreaterThan(0); // so firstFailingSeed is really compared
  });
});
