/** Runs one schedule file and expects its `expect` section to hold (shared by the schedule-file suites). */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseSchedule, runSchedule, type ScheduleResult } from '../../../src/sim/schedule.ts';

export function expectScheduleFileHolds(path: string): ScheduleResult {
  const result = runSchedule(parseSchedule(JSON.parse(readFileSync(path, 'utf8'))));
  const failed = result.expectations.filter((e) => !e.ok);
  expect(failed, JSON.stringify(failed)).toEqual([]);
  expect(result.ok).toBe(true);
  return result;
}
