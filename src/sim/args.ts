/**
 * The one argument reader of `npm run sim` (write-once swarms in cli.ts, schedules and log
 * swarms in log-cli.ts): `--flag value` or `--flag=value`, `--json` as a switch, every flag at
 * most once, whole numbers in a range, and a seed range every seed of which `--replay` accepts.
 * Each half lists the flags it knows; everything else is a usage error that names the argument.
 */
import { FAULT_FAMILIES, isFaultFamily, type FaultFamily } from './swarm.ts';

/** Seeds and counts from the command line stay in this range (the PRNG takes 32-bit seeds). */
export const MAX_SEED = 0xffffffff;
/** More runs than this in one command is a mistake, not a study: 10 million × ~2 ms ≈ 6 hours. */
export const MAX_SEEDS = 10_000_000;
/** Longest liveness budget a flag may ask for: an hour of virtual time. */
export const MAX_BUDGET_MS = 3_600_000;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Flags {
  readonly values: ReadonlyMap<string, string>;
  readonly json: boolean;
}

/** Reads argv against the known flags (without `--json`, which is always a switch). */
export function readFlags(argv: readonly string[], known: readonly string[]): Flags {
  const values = new Map<string, string>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (flag === '--json') {
      json = true;
      continue;
    }
    if (flag === '--help' || flag === '-h') throw new UsageError('');
    if (!known.includes(flag)) throw new UsageError(`unknown argument "${raw}"`);
    const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    if (values.has(flag)) throw new UsageError(`${flag} given twice`);
    values.set(flag, value);
  }
  return { values, json };
}

export function integer(values: ReadonlyMap<string, string>, flag: string, fallback: number, min: number, max: number): number {
  const raw = values.get(flag);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`${flag} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

/** `--seeds`, `--first-seed` and `--replay`, the same for every swarm. */
export function seedRange(values: ReadonlyMap<string, string>): { seeds: number; firstSeed: number; replay: number | undefined } {
  const seeds = integer(values, '--seeds', 100, 1, MAX_SEEDS);
  const firstSeed = integer(values, '--first-seed', 1, 0, MAX_SEED);
  // Every seed of the range must be one --replay accepts, or a failure could not be replayed.
  if (firstSeed + seeds - 1 > MAX_SEED) {
    throw new UsageError(`--first-seed ${firstSeed} with --seeds ${seeds} runs past the largest seed, ${MAX_SEED}`);
  }
  const replay = values.has('--replay') ? integer(values, '--replay', 0, 0, MAX_SEED) : undefined;
  return { seeds, firstSeed, replay };
}

/** The swarm flags both halves share. */
export const SWARM_FLAGS = ['--algorithm', '--nodes', '--seeds', '--first-seed', '--faults', '--budget-ms', '--replay'] as const;

/** `--faults`: the same family names for write-once and log swarms (default none). */
export function faultFamily(values: ReadonlyMap<string, string>): FaultFamily {
  const faults = values.get('--faults') ?? 'none';
  if (!isFaultFamily(faults)) throw new UsageError(`unknown fault family "${faults}" (choose one of ${FAULT_FAMILIES.join(', ')})`);
  return faults;
}
