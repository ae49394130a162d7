/**
 * Every schedule file in tests/scenarios runs, and its `expect` section holds: the ported Raft
 * situations (MIT 6.5840, the paper's Figures 7 and 8). Bad files are refused with an error
 * naming the step and the field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSchedule, runSchedule, ScheduleError } from '../../../src/sim/schedule.ts';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('schedule files', () => {
  it('there are schedule files to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
  });
  for (const file of files) {
    it(file, { timeout: 30_000 }, () => {
      const schedule = parseSchedule(JSON.parse(readFileSync(dir + file, 'utf8')));
      const result = runSchedule(schedule);
      const failed = result.expectations.filter((e) => !e.ok);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(result.violations).toEqual([]);
      expect(result.ok).toBe(true);
    });
  }
});

describe('schedule validation', () => {
  const base = { algorithm: 'raft', nodes: 3, seed: 1, runUntilMs: 1000, steps: [] as unknown[] };
  const error = (raw: unknown): string => {
    try {
      runSchedule(parseSchedule(raw));
    } catch (e) {
      if (e instanceof ScheduleError) return e.message;
      throw e;
    }
    return 'no error';
  };
  it('names the step and the field', () => {
    expect(error({ ...base, steps: [{ atMs: 1, do: 'crash', node: 'n9' }] })).toMatch(/step 1 \(crash\): field "node" names "n9"/);
    expect(error({ ...base, steps: [{ atMs: 1, do: 'submit', node: 'n1', client: 'c1', command: { op: 'fly' } }] })).toMatch(/step 1 \(submit\): field "command"/);
    expect(error({ ...base, steps: [{ atMs: 5, do: 'heal' }, { atMs: 1, do: 'heal' }] })).toMatch(/step 2 \(heal\): field "atMs" goes back in time/);
    expect(error({ ...base, steps: [{ atMs: 1, do: 'explode' }] })).toMatch(/step 1 \(explode\): field "do"/);
    expect(error({ ...base, algorithm: 'zab' })).toMatch(/field "algorithm" must be one of/);
    expect(error({ ...base, links: { loss: 2 } })).toMatch(/links: field "loss"/);
    expect(error({ ...base, expect: { violations: ['liveness'] } })).toMatch(/expect: field "violations\[0\]"/);
  });
  it('a step without a valid target at run time is an error, not a no-op', () => {
    expect(error({ ...base, steps: [{ atMs: 10, do: 'restart', node: 'n1' }] })).toMatch(/step 1 \(restart\) at 10 ms: cannot restart n1/);
    expect(error({ ...base, steps: [{ atMs: 10, do: 'crash', node: 'leader' }] })).toMatch(/no node believes itself leader/);
    expect(error({ ...base, steps: [{ atMs: 10, do: 'crash', node: 'n1' }, { atMs: 20, do: 'submit', node: 'n1', client: 'c', command: { op: 'ship', order: 'A' } }] })).toMatch(/step 2 \(submit\).*down/);
  });
  it('write-once algorithms: refuses log-only fields and malformed commands, naming the field', () => {
    const wo = { ...base, algorithm: 'paxos' };
    expect(error({ ...wo, stateMachine: 'orders' })).toMatch(/field "stateMachine" applies to log algorithms only/);
    expect(error({ ...wo, steps: [{ atMs: 1, do: 'submit', node: 'n1', command: { op: 'ship' } }] })).toMatch(/step 1 \(submit\): field "command"/);
    expect(error({ ...wo, expect: { leaderAt: [{ atMs: 5 }] } })).toMatch(/expect: field "leaderAt" is not known here/);
    expect(error({ ...wo, expect: { violations: ['exactly-once'] } })).toMatch(/violations\[0\]/);
    expect(error({ ...wo, steps: [{ atMs: 1, do: 'crash', node: 'n1' }, { atMs: 2, do: 'timer', node: 'n1' }] })).toMatch(/step 2 \(timer\) at 2 ms: cannot fire a timer of n1: it is down/);
    expect(error({ ...base, steps: [{ atMs: 1, do: 'propose', node: 'n1', value: 'red' }] })).toMatch(/only write-once algorithms take/);
  });
  it('an expect section that no longer holds fails the run', () => {
    const result = runSchedule(parseSchedule({ ...base, expect: { leaderAt: [{ atMs: 900 }], nothingCommitted: [{ fromMs: 0, toMs: 1000 }], committed: { commands: [{ op: 'ship', order: 'A' }] } } }));
    expect(result.ok).toBe(false);
    expect(result.expectations.filter((e) => !e.ok).map((e) => e.expectation)).toEqual(['committed at n1', 'committed at n2', 'committed at n3']);
  });
});
