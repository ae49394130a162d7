/**
 * `npm run sim -- --schedule FILE` and log swarms from the command line (in process): exit codes
 * (2 for a bad file or flags, 1 when an expectation fails) and the JSON keys the issue lists.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isLogInvocation, logMain } from '../../../src/sim/log-cli.ts';

function sim(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = logMain(argv, (t) => (out += t), (t) => (err += t));
  return { code, out, err };
}
const scenario = fileURLToPath(new URL('../../scenarios/raft-re-election.json', import.meta.url));

describe('sim --schedule', () => {
  it('routes schedules and log algorithms to the log command only', () => {
    expect(isLogInvocation(['--schedule', 'x.json'])).toBe(true);
    expect(isLogInvocation(['--algorithm', 'raft'])).toBe(true);
    expect(isLogInvocation(['--algorithm=raft-forgets-vote'])).toBe(true);
    expect(isLogInvocation(['--algorithm', 'paxos'])).toBe(false);
  });

  it('prints the documented JSON keys', { timeout: 30_000 }, () => {
    const { code, out } = sim(['--schedule', scenario, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(json.violations).toEqual([]);
    expect(json.linearizable).toBe(true);
    const nodes = json.nodes as Record<string, Record<string, unknown>>;
    expect(Object.keys(nodes)).toEqual(['n1', 'n2', 'n3']);
    for (const n of Object.values(nodes)) {
      expect(Object.keys(n)).toEqual(expect.arrayContaining(['status', 'role', 'commitIndex', 'committed']));
      expect(n.committed).toEqual([{ op: 'place', order: 'A', item: 'book' }]);
    }
  });

  it('exits 2 with the step and field named for a bad file, 1 when an expectation fails', { timeout: 30_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sched-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ algorithm: 'raft', nodes: 3, seed: 1, runUntilMs: 100, steps: [{ atMs: 1, do: 'restart' }] }));
    const r = sim(['--schedule', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/step 1 \(restart\): field "node"/);
    writeFileSync(bad, '{ not json');
    expect(sim(['--schedule', bad]).code).toBe(2);
    const failing = join(dir, 'failing.json');
    writeFileSync(failing, JSON.stringify({ algorithm: 'raft', nodes: 3, seed: 1, runUntilMs: 200, steps: [], expect: { leaderAt: [{ atMs: 100 }] } }));
    expect(sim(['--schedule', failing]).code).toBe(1);
    expect(sim(['--schedule', failing, '--seeds', '3']).code).toBe(2);
  });

  it('a log swarm prints runs, violationRuns, notLinearizable, unknownLinearizable, committed, firstFailingSeed', { timeout: 60_000 }, () => {
    const { code, out } = sim(['--algorithm', 'raft', '--nodes', '3', '--clients', '2', '--commands', '2', '--seeds', '3', '--faults', 'crash-restart', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(json).toMatchObject({ runs: 3, violationRuns: 0, notLinearizable: 0, unknownLinearizable: 0, committed: 12, firstFailingSeed: null });
    expect(sim(['--algorithm', 'raft', '--clients', '99']).code).toBe(2);
  });
});
