/**
 * The schedule runner with the six write-once algorithms (a log of length one): the storyline's
 * scenes in tests/scenarios/write-once each stage their situation and their `expect` holds
 * (decisions, nothing decided, Agreement broken); and a counterexample the explorer saves
 * replays with `npm run sim -- --schedule FILE` and shows the Agreement violation again.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/sim/cli.ts';
import { parseSchedule, runSchedule } from '../../../src/sim/schedule.ts';

const dir = fileURLToPath(new URL('../../scenarios/write-once/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

function capture(run: () => number): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: run(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('write-once schedule files', () => {
  it('cover the storyline: coordinator, majority, tiebreak, impatient tiebreak, paxos-amnesia, paxos', () => {
    const algorithms = files.map((f) => (JSON.parse(readFileSync(dir + f, 'utf8')) as { algorithm: string }).algorithm).sort();
    expect(algorithms).toEqual(['coordinator', 'impatient-tiebreak', 'majority', 'paxos', 'paxos-amnesia', 'tiebreak']);
  });
  for (const file of files) {
    it(file, { timeout: 30_000 }, () => {
      const schedule = parseSchedule(JSON.parse(readFileSync(dir + file, 'utf8')));
      const result = runSchedule(schedule);
      const failed = result.expectations.filter((e) => !e.ok);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      // Each file says what it stages: a decision, nothing decided, or a violation.
      expect(result.expectations.length).toBeGreaterThanOrEqual(2);
      expect(result.ok).toBe(true);
    });
  }

  it('fails when the staging stops working: releasing the held votes lets both see the whole tally, and Agreement holds', () => {
    const raw = JSON.parse(readFileSync(dir + 'impatient-tiebreak-breaks-agreement.json', 'utf8')) as { steps: { do: string }[] };
    const result = runSchedule(parseSchedule({ ...raw, steps: [...raw.steps, { atMs: 1, do: 'release' }] }));
    expect(result.ok).toBe(false);
    expect(result.expectations.find((e) => e.expectation.startsWith('violations'))?.ok).toBe(false);
  });
});

describe('explorer counterexamples replay as schedules', () => {
  it('saves the impatient-tiebreak counterexample and npm run sim -- --schedule shows the Agreement violation', { timeout: 60_000 }, () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cp-replay-')), 'impatient.json');
    const saved = capture(() => main(['--explore', '--algorithm', 'impatient-tiebreak', '--nodes', '3', '--max-states', '20000', '--json', '--save', file]));
    expect(saved.code).toBe(0);
    const replay = capture(() => main(['--schedule', file, '--json']));
    expect(replay.err).toBe('');
    expect(replay.code).toBe(0);
    const json = JSON.parse(replay.out) as { ok: boolean; violations: { property: string; message: string }[]; nodes: Record<string, { committed: unknown[] }> };
    expect(json.ok).toBe(true);
    expect(json.violations.map((v) => v.property)).toEqual(['agreement']);
    expect(json.violations[0]?.message).toMatch(/decided "red".*decided "blue"|decided "blue".*decided "red"/);
    const decided = Object.values(json.nodes).flatMap((n) => n.committed);
    expect(new Set(decided.map((c) => JSON.stringify(c))).size).toBe(2);
  });
});
