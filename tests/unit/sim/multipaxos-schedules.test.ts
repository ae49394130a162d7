/**
 * The schedule files in tests/scenarios run against Multi-Paxos too, where the situation
 * applies: the same steps (submits, crashes of "leader", partitions, churn) and the same
 * `expect` section, with only the algorithm swapped. Every file must be listed below, either as
 * applying or with the reason it does not, so a new file is never skipped silently.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSchedule, runSchedule } from '../../../src/sim/schedule.ts';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** true: runs against multipaxos; a string: why it does not apply. */
const APPLIES_TO_MULTIPAXOS: Readonly<Record<string, true | string>> = {
  'raft-churn.json': true,
  'raft-concurrent-submits.json': true,
  'raft-fast-backup.json': true,
  'raft-figure-7.json': 'its `initial` section gives followers Raft terms and dense term logs (the paper\'s Figure 7 shapes); a Paxos acceptor stores a promise and per-slot ballots instead',
  'raft-figure-8-unreliable.json': true,
  'raft-figure-8.json': true,
  'raft-follower-failure.json': true,
  'raft-initial-election.json': true,
  'raft-no-commit-without-majority.json': true,
  'raft-no-leader-without-majority.json': true,
  'raft-persist-all-crash.json': true,
  'raft-re-election.json': true,
  'raft-rejoin.json': true,
};

describe('schedule files against multipaxos', () => {
  it('every schedule file says whether it applies to multipaxos', () => {
    expect(files.filter((f) => !f.startsWith('multipaxos-') && APPLIES_TO_MULTIPAXOS[f] === undefined)).toEqual([]);
    expect(Object.values(APPLIES_TO_MULTIPAXOS).filter((v) => v === true).length).toBeGreaterThanOrEqual(10);
  });
  for (const file of files) {
    const applies = APPLIES_TO_MULTIPAXOS[file];
    if (applies !== true) continue;
    it(file, { timeout: 30_000 }, () => {
      const raw = JSON.parse(readFileSync(dir + file, 'utf8')) as Record<string, unknown>;
      const result = runSchedule(parseSchedule({ ...raw, algorithm: 'multipaxos' }));
      const failed = result.expectations.filter((e) => !e.ok);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(result.violations).toEqual([]);
      expect(result.linearizable).not.toBe(false);
      expect(result.ok).toBe(true);
    });
  }
  it('Figure 7 is refused for multipaxos with a clear error, not run', () => {
    const raw = JSON.parse(readFileSync(dir + 'raft-figure-7.json', 'utf8')) as Record<string, unknown>;
    expect(() => parseSchedule({ ...raw, algorithm: 'multipaxos' })).toThrow(/applies to Raft only/);
  });
});
