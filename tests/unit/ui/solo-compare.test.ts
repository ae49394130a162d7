/**
 * The side-by-side figures of solo mode's "Paxos beside Raft" view, computed from the traces of
 * the real schedule runner on the repository's scenario files.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareSchedule, type RunFigures } from '../../../src/ui/solo-compare.ts';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const scenario = (file: string): unknown => JSON.parse(readFileSync(dir + file, 'utf8'));

function figures(raw: unknown): RunFigures[] {
  return compareSchedule(raw).columns.map((c) => {
    if (!c.ok) throw new Error(`${c.algorithm}: ${c.error}`);
    return c.figures;
  });
}

describe('Paxos beside Raft: figures from the traces', () => {
  it('re-election: both commit every command, one leader crash each, a new leader within the election timeout range', () => {
    const [paxos, raft] = figures(scenario('raft-re-election.json'));
    for (const f of [paxos, raft] as RunFigures[]) {
      expect(f.submitted).toBe(1);
      expect(f.committed).toBe(1);
      expect(f.everyCommandCommitted).toBe(true);
      expect(f.violations).toEqual([]);
      expect(f.expectationsMet).toBe(f.expectations);
      // A command submitted at a follower: forward, replicate, acknowledge, plus the heartbeats meanwhile, on 3 nodes.
      expect(f.messagesPerCommand).toBeGreaterThanOrEqual(3);
      expect(f.messagesPerCommand).toBeLessThanOrEqual(20);
      // Forward + 2 delays in steady state; measured delays are random, so a band around 3.
      expect(f.latencyDelays).toBeGreaterThan(1.5);
      expect(f.latencyDelays).toBeLessThan(6);
      const crash = f.leaderCrash;
      expect(crash?.atMs).toBe(2000);
      expect(crash?.newLeaderFound).toBe(true);
      expect(crash?.newLeader).not.toBe(crash?.node);
      expect(crash?.campaigns).toBeGreaterThanOrEqual(1);
      expect(crash?.leaderlessMs).toBeGreaterThan(0);
      expect(crash?.leaderlessMs).toBeLessThan(2000);
    }
    expect(paxos?.leaderCrash?.epochBefore).toMatch(/^ballot /);
    expect(raft?.leaderCrash?.epochBefore).toMatch(/^term /);
    // Raft's new leader commits a no-op of its own term; the crash left no open slot for Paxos to fill.
    expect(raft?.leaderCrash?.noops).toBe(1);
    expect(paxos?.leaderCrash?.noops).toBe(0);
  });

  it('concurrent submits: every command committed by both; Raft needs fewer messages per command here', () => {
    const [paxos, raft] = figures(scenario('raft-concurrent-submits.json'));
    for (const f of [paxos, raft] as RunFigures[]) {
      expect(f.committed).toBe(f.submitted);
      expect(f.everyCommandCommitted).toBe(true);
      expect(f.leaderCrash).toBeUndefined();
    }
    expect(raft?.messagesPerCommand).toBeLessThan(paxos?.messagesPerCommand as number);
  });

  it('follower failure: the command submitted without a majority is counted as not committed, by both', () => {
    const [paxos, raft] = figures(scenario('raft-follower-failure.json'));
    for (const f of [paxos, raft] as RunFigures[]) {
      expect(f.committed).toBeLessThan(f.submitted);
      expect(f.everyCommandCommitted).toBe(false);
    }
  });

  it('a Raft-only file is refused for Multi-Paxos with the parser\'s reason, and still runs for Raft', () => {
    const { columns } = compareSchedule(scenario('raft-figure-7.json'));
    const [paxos, raft] = columns;
    expect(paxos?.ok).toBe(false);
    if (paxos?.ok === false) expect(paxos.error).toMatch(/applies to Raft only/);
    expect(raft?.ok).toBe(true);
  });

  it('a bad schedule is an error per column, not a crash', () => {
    const { columns } = compareSchedule({ nodes: 3 });
    expect(columns.every((c) => !c.ok)).toBe(true);
  });
});
