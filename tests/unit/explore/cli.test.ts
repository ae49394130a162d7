import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exploreMain, ExploreUsageError, parseExploreArgs } from '../../../src/explore/cli.ts';
import { main } from '../../../src/sim/cli.ts';

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

describe('sim --explore', { timeout: 30_000 }, () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments with the usage on stderr and exit code 2', () => {
    for (const argv of [
      ['--explore'],
      ['--explore', '--algorithm', 'raft'],
      ['--explore', '--algorithm', 'paxos', '--nodes', '9'],
      ['--explore', '--algorithm', 'paxos', '--depth', 'deep'],
      ['--explore', '--algorithm', 'paxos', '--nodes', '2', '--proposers', '3'],
      ['--explore', '--algorithm', 'paxos', '--scene', 'flp'],
      ['--explore', '--algorithm', 'paxos', '--frobnicate'],
    ]) {
      const r = capture(() => main(argv));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('Usage: npm run sim -- --explore');
      expect(r.out).toBe('');
    }
    expect(() => parseExploreArgs(['--algorithm', 'paxos', '--max-crashes', '-1'])).toThrow(ExploreUsageError);
  });

  it('prints JSON with statesExplored, the shortest violation and wallMs, and saves it as a schedule file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-cli-'));
    dirs.push(dir);
    const file = join(dir, 'impatient.json');
    const r = capture(() => main(['--explore', '--algorithm', 'impatient-tiebreak', '--nodes', '3', '--max-states', '20000', '--json', '--save', file]));
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { statesExplored: number; violation: { property: string; steps: unknown[] } | null; wallMs: number };
    expect(json.statesExplored).toBeGreaterThan(0);
    expect(json.violation?.property).toBe('agreement');
    expect(json.violation?.steps).toHaveLength(6);
    expect(typeof json.wallMs).toBe('number');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { algorithm: string; nodes: number; seed: number; steps: { do: string }[] };
    expect(saved).toMatchObject({ algorithm: 'impatient-tiebreak', nodes: 3, seed: 1 });
    expect(saved.steps[0]).toEqual({ atMs: 0, do: 'hold' });
    expect(saved.steps.filter((s) => s.do === 'deliver')).toHaveLength(4);
    expect(saved.steps.filter((s) => s.do === 'timer')).toHaveLength(2);
  });

  it('says "no Agreement violation in K states (bound B)" for Paxos, and the FLP scene’s valence and critical step', () => {
    const paxos = capture(() => exploreMain(['--algorithm', 'paxos', '--nodes', '3', '--max-states', '20000', '--budget-ms', '5000']));
    expect(paxos.out).toMatch(/no Agreement violation in \d+ states \(bound: \d+ steps\)/);
    const flp = capture(() => exploreMain(['--algorithm', 'majority', '--scene', 'flp']));
    expect(flp.out).toContain('valence from the start: both red and blue are still reachable');
    expect(flp.out).toContain('critical step (after 0 steps): n5 receives candidate from n1 (then only red) or candidate from n2 (then only blue) first');
    const red = capture(() => exploreMain(['--algorithm', 'majority', '--scene', 'flp', '--red-first']));
    expect(red.out).toContain('valence from the start: only red can be decided from here');
  });
});
