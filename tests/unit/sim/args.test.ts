/**
 * The one argument reader of `npm run sim`: both halves (write-once and log) share its flag
 * syntax, errors and seed range, and `--schedule pct` stays with the write-once swarm.
 */
import { describe, expect, it } from 'vitest';
import { integer, MAX_SEED, readFlags, seedRange, UsageError } from '../../../src/sim/args.ts';
import { parseArgs } from '../../../src/sim/cli.ts';
import { isLogInvocation, parseLogArgs } from '../../../src/sim/log-cli.ts';

describe('sim argument reader', () => {
  it('reads --flag value and --flag=value, --json as a switch, and rejects unknown, missing and repeated flags', () => {
    const { values, json } = readFlags(['--nodes', '3', '--seeds=7', '--json'], ['--nodes', '--seeds']);
    expect(json).toBe(true);
    expect([...values]).toEqual([['--nodes', '3'], ['--seeds', '7']]);
    expect(() => readFlags(['--bogus', '1'], ['--nodes'])).toThrow('unknown argument "--bogus"');
    expect(() => readFlags(['--nodes'], ['--nodes'])).toThrow('--nodes needs a value');
    expect(() => readFlags(['--nodes', '--json'], ['--nodes'])).toThrow('--nodes needs a value');
    expect(() => readFlags(['--nodes', '1', '--nodes', '2'], ['--nodes'])).toThrow('--nodes given twice');
    expect(() => readFlags(['--help'], [])).toThrow(UsageError);
  });

  it('checks whole numbers and the seed range the same way for both halves', () => {
    expect(() => integer(new Map([['--nodes', '2.5']]), '--nodes', 5, 1, 9)).toThrow('must be a whole number');
    expect(() => integer(new Map([['--nodes', '10']]), '--nodes', 5, 1, 9)).toThrow('between 1 and 9');
    expect(seedRange(new Map([['--seeds', '3'], ['--first-seed', '10']]))).toEqual({ seeds: 3, firstSeed: 10, replay: undefined });
    const past = [['--seeds', '2'], ['--first-seed', String(MAX_SEED)]] as const;
    expect(() => seedRange(new Map(past))).toThrow('runs past the largest seed');
    const wo = ['--algorithm', 'paxos', '--seeds', '2', '--first-seed', String(MAX_SEED)];
    const log = ['--algorithm', 'raft', '--seeds', '2', '--first-seed', String(MAX_SEED)];
    expect(() => parseArgs(wo)).toThrow(UsageError);
    expect(() => parseLogArgs(log)).toThrow(UsageError);
    expect(() => parseLogArgs(['--algorithm', 'raft', '--faults', 'meteor'])).toThrow('unknown fault family "meteor"');
    expect(() => parseArgs(['--algorithm', 'paxos', '--faults', 'meteor'])).toThrow('unknown fault family "meteor"');
  });

  it('sends --schedule random|pct to the write-once swarm and any other --schedule to the schedule runner', () => {
    expect(isLogInvocation(['--algorithm', 'paxos', '--schedule', 'pct'])).toBe(false);
    expect(isLogInvocation(['--algorithm', 'paxos', '--schedule=random'])).toBe(false);
    expect(parseArgs(['--algorithm', 'paxos', '--schedule', 'pct']).schedule).toBe('pct');
    expect(isLogInvocation(['--schedule', 'tests/scenarios/raft-churn.json'])).toBe(true);
  });
});
