/**
 * `npm run sim`: argument parsing (bad input gets a clear message and exit code 2) and the
 * real command end to end (JSON keys, replay).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import { parseArgs, UsageError } from '../../../src/sim/cli.ts';
import { runSeed } from '../../../src/sim/swarm.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function sim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/sim/cli.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('sim command arguments', () => {
  it('parses the documented flags, with defaults', () => {
    expect(parseArgs(['--algorithm', 'paxos'])).toEqual({
      algorithm: 'paxos',
      nodes: 5,
      proposers: 2,
      seeds: 100,
      firstSeed: 1,
      faults: 'none',
      budgetMs: 20_000,
      json: false,
      replay: undefined,
    });
    expect(
      parseArgs(['--algorithm=majority', '--nodes', '25', '--proposers', '3', '--seeds', '7', '--faults', 'all', '--json', '--first-seed', '9', '--replay', '12']),
    ).toMatchObject({ algorithm: 'majority', nodes: 25, proposers: 3, seeds: 7, faults: 'all', json: true, firstSeed: 9, replay: 12 });
    expect(parseArgs(['--algorithm', 'paxos', '--nodes', '1']).proposers).toBe(1);
  });

  it.each([
    [[], /--algorithm is required/],
    [['--algorithm', 'raft'], /unknown algorithm "raft" \(choose one of coordinator, /],
    [['--algorithm', 'paxos', '--faults', 'meteor'], /unknown fault family "meteor"/],
    [['--algorithm', 'paxos', '--nodes', '0'], /--nodes must be between 1 and 40/],
    [['--algorithm', 'paxos', '--nodes', '3', '--proposers', '4'], /--proposers must be between 1 and 3/],
    [['--algorithm', 'paxos', '--seeds', '1.5'], /--seeds must be a whole number/],
    [['--algorithm', 'paxos', '--seeds'], /--seeds needs a value/],
    [['--algorithm', 'paxos', '--seeds', '--json'], /--seeds needs a value/],
    [['--algorithm', 'paxos', '--algorithm', 'paxos'], /--algorithm given twice/],
    [['--algorithm', 'paxos', '--verbose'], /unknown argument "--verbose"/],
    [['--algorithm', 'paxos', '--first-seed', '4294967295', '--seeds', '2'], /runs past the largest seed, 4294967295/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('sim command', () => {
  it('prints one JSON object with the summary keys', async () => {
    const { code, stdout } = await sim(['--algorithm', 'majority', '--nodes', '5', '--proposers', '3', '--seeds', '100', '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    for (const key of ['runs', 'decided', 'agreementViolations', 'validityViolations', 'undecided', 'firstFailingSeed']) {
      expect(summary, key).toHaveProperty(key);
    }
    expect(summary['runs']).toBe(100);
    expect((summary['decided'] as number) + (summary['undecided'] as number)).toBe(100);
    // Majority with three proposers splits the vote in a few percent of seeds.
    expect(summary['firstFailingSeed']).toBeTypeOf('number');
    expect(summary['agreementViolations']).toBe(0);
  }, 30_000);

  it('replays a failing seed step by step with the checker\'s verdict', async () => {
    const config = { algorithm: getAlgorithm('impatient-tiebreak'), nodes: 5, proposers: 3, faults: 'partition' } as const;
    let seed = 1;
    while (!runSeed(config, seed).violations.some((v) => v.property === 'agreement')) {
      expect(seed, 'an impatient tiebreak seed that breaks Agreement').toBeLessThan(300);
      seed++;
    }
    const { code, stdout } = await sim(['--algorithm', 'impatient-tiebreak', '--nodes', '5', '--proposers', '3', '--faults', 'partition', '--replay', String(seed)]);
    expect(code).toBe(0);
    expect(stdout).toContain(`Replay of seed ${seed}`);
    expect(stdout).toMatch(/network partitions into/);
    expect(stdout).toMatch(/DECIDES/);
    expect(stdout).toMatch(new RegExp(`Checker: Agreement violated \\(seed ${seed}, step \\d+`));
    expect(stdout).toContain(`--replay ${seed}`);
  }, 30_000);

  it('exits with code 2 and the usage on stderr for bad arguments', async () => {
    const { code, stdout, stderr } = await sim(['--algorithm', 'paxos', '--nodes', 'many']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('sim: --nodes must be a whole number, got "many"');
    expect(stderr).toContain('Usage: npm run sim --');
  }, 30_000);
});
