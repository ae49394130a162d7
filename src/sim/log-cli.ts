/**
 * The log half of `npm run sim`: `--schedule FILE` and swarms of Raft / Multi-Paxos runs.
 * cli.ts hands argv here when it names a schedule or a log algorithm; the write-once flags
 * and output stay exactly as they were.
 *
 *   npm run sim -- --schedule tests/scenarios/raft-figure-8.json [--json]
 *   npm run sim -- --algorithm raft --nodes 5 --clients 3 --commands 5 --seeds 2000 --faults all [--json]
 *   npm run sim -- --algorithm raft-no-term-rule … --replay SEED
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isStateMachineName } from '../core/state-machines.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import { MAX_PEERS_PER_ROOM, SIM_MAX_CLIENTS, SIM_MAX_COMMANDS_PER_CLIENT } from '../limits.ts';
import { getLogAlgorithm } from '../machines/log-index.ts';
import { isLogAlgorithmName, LOG_ALGORITHM_NAMES } from '../machines/spec.ts';
import { LOG_PROPERTIES, logPropertyTitle } from './log-checker.ts';
import type { LogCluster } from './log-cluster.ts';
import { runLogSeed, runLogSwarm, type LogSwarmConfig, type LogSwarmSummary } from './log-swarm.ts';
import { defaultWorkers, LIN_BUDGET_MS, runLogSwarmParallel } from './log-swarm-workers.ts';
import { parseSchedule, runSchedule, ScheduleError, type ScheduleResult } from './schedule.ts';
import { DEFAULT_LIVENESS_BUDGET_MS, FAULT_FAMILIES, isFaultFamily, type FaultFamily } from './swarm.ts';
import { formatEntry } from './trace.ts';

export const LOG_USAGE = `       npm run sim -- --schedule FILE [--json]
       npm run sim -- --algorithm <${LOG_ALGORITHM_NAMES.join('|')}>
         [--state-machine orders|register] [--nodes N] [--clients C] [--commands K] [--seeds S]
         [--first-seed K] [--faults ${FAULT_FAMILIES.join('|')}] [--budget-ms MS] [--workers W] [--json] [--replay SEED]`;

export class LogUsageError extends Error {
  override readonly name = 'LogUsageError';
}

/** True when argv is for this file: a schedule, or a log algorithm. */
export function isLogInvocation(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    if (raw === '--schedule' || raw.startsWith('--schedule=')) return true;
    const value = raw.startsWith('--algorithm=') ? raw.slice('--algorithm='.length) : raw === '--algorithm' ? argv[i + 1] : undefined;
    if (value !== undefined && isLogAlgorithmName(value)) return true;
  }
  return false;
}

export interface LogCliOptions {
  readonly schedule: string | undefined;
  readonly swarm: (LogSwarmConfig & { readonly seeds: number; readonly firstSeed: number }) | undefined;
  readonly replay: number | undefined;
  readonly json: boolean;
  /** Worker threads for a swarm (logMainAsync; logMain always runs in this thread). */
  readonly workers: number | undefined;
}

const MAX_SEED = 0xffffffff;
/** Worker threads one swarm may start: a few per core is already more than helps. */
const MAX_WORKERS = 16;

export function parseLogArgs(argv: readonly string[]): LogCliOptions {
  const values = new Map<string, string>();
  let json = false;
  const known = ['--schedule', '--algorithm', '--state-machine', '--nodes', '--clients', '--commands', '--seeds', '--first-seed', '--faults', '--budget-ms', '--replay', '--workers'];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (flag === '--json') {
      json = true;
      continue;
    }
    if (!known.includes(flag)) throw new LogUsageError(`unknown argument "${raw}"`);
    const value = eq > 0 ? raw.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new LogUsageError(`${flag} needs a value`);
    if (values.has(flag)) throw new LogUsageError(`${flag} given twice`);
    values.set(flag, value);
  }
  const schedule = values.get('--schedule');
  if (schedule !== undefined) {
    const extra = [...values.keys()].filter((k) => k !== '--schedule');
    if (extra.length > 0) throw new LogUsageError(`--schedule takes everything from the file; drop ${extra.join(', ')}`);
    return { schedule, swarm: undefined, replay: undefined, json, workers: undefined };
  }
  const algorithm = values.get('--algorithm') as string;
  const faults = values.get('--faults') ?? 'none';
  if (!isFaultFamily(faults)) throw new LogUsageError(`unknown fault family "${faults}" (choose one of ${FAULT_FAMILIES.join(', ')})`);
  const stateMachine = values.get('--state-machine') ?? 'orders';
  if (!isStateMachineName(stateMachine)) throw new LogUsageError(`--state-machine must be orders or register, got "${stateMachine}"`);
  const seeds = integer(values, '--seeds', 100, 1, 10_000_000);
  const firstSeed = integer(values, '--first-seed', 1, 0, MAX_SEED);
  if (firstSeed + seeds - 1 > MAX_SEED) throw new LogUsageError(`--first-seed ${firstSeed} with --seeds ${seeds} runs past the largest seed, ${MAX_SEED}`);
  return {
    schedule: undefined,
    swarm: {
      algorithm: getLogAlgorithm(algorithm),
      stateMachine: stateMachine as StateMachineName,
      nodes: integer(values, '--nodes', 5, 1, MAX_PEERS_PER_ROOM),
      clients: integer(values, '--clients', 3, 1, SIM_MAX_CLIENTS),
      commands: integer(values, '--commands', 5, 1, SIM_MAX_COMMANDS_PER_CLIENT),
      faults: faults as FaultFamily,
      budgetMs: integer(values, '--budget-ms', DEFAULT_LIVENESS_BUDGET_MS, 1, 3_600_000),
      seeds,
      firstSeed,
    },
    replay: values.has('--replay') ? integer(values, '--replay', 0, 0, MAX_SEED) : undefined,
    json,
    workers: values.has('--workers') ? integer(values, '--workers', 1, 1, MAX_WORKERS) : undefined,
  };
}

function integer(values: ReadonlyMap<string, string>, flag: string, fallback: number, min: number, max: number): number {
  const raw = values.get(flag);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new LogUsageError(`${flag} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new LogUsageError(`${flag} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

/** The JSON of a schedule run: the keys the issue names, plus the expectations. */
export function scheduleJson(result: ScheduleResult): unknown {
  return {
    algorithm: result.algorithm,
    seed: result.seed,
    ok: result.ok,
    violations: result.violations,
    linearizable: result.linearizable,
    expectations: result.expectations,
    nodes: result.nodes,
    steps: result.steps,
    endedAtMs: Math.round(result.endedAtMs),
  };
}

function scheduleText(file: string, result: ScheduleResult): string {
  const lines = [`${file}: ${result.algorithm}, seed ${result.seed}: ${result.ok ? 'OK' : 'FAILED'}`];
  for (const e of result.expectations) lines.push(`  ${e.ok ? '✓' : '✗'} ${e.expectation}: ${e.detail}`);
  for (const v of result.violations) lines.push(`  ! ${v.message}`);
  lines.push(`  linearizable: ${String(result.linearizable)}`);
  for (const [node, n] of Object.entries(result.nodes)) {
    lines.push(`  ${node}: ${n.status}${n.role === null ? '' : `, ${n.role} in term/round ${n.term}`}, commit index ${n.commitIndex ?? '—'}, ${n.committed.length} command(s) committed`);
  }
  return lines.join('\n');
}

export function summaryText(s: LogSwarmSummary, wallMs: number): string {
  const lines = [
    `${s.algorithm} · ${s.stateMachine} · ${s.nodes} nodes · ${s.clients} clients × ${s.commands} commands · faults: ${s.faults} · seeds ${s.firstSeed}–${s.firstSeed + s.runs - 1}`,
    `  runs                           ${s.runs}`,
    `  runs with a violation          ${s.violationRuns}`,
    ...LOG_PROPERTIES.map((p) => `    ${logPropertyTitle(p).padEnd(50)} ${s.violations[p]}`),
    `  not linearizable / unknown     ${s.notLinearizable} / ${s.unknownLinearizable}`,
    `  commands committed             ${s.committed}`,
    `  commands per virtual second    ${s.commandsPerVirtualSecond ?? '—'}`,
    `  message delays per command     ${s.messageDelaysPerCommand ?? '— (fault-free runs only)'}`,
    `  messages per command           ${s.messagesPerCommand ?? '—'}`,
    `  leader elections               ${s.leaderChanges}`,
    `  first failing seed             ${s.firstFailingSeed ?? 'none'}`,
  ];
  if (s.firstViolation !== null) lines.push('', `  ${s.firstViolation}`);
  lines.push('', `  (${s.steps} steps simulated in ${(wallMs / 1000).toFixed(2)} s)`);
  return lines.join('\n');
}

/** Runs the log half of the command; returns the exit code. */
export function logMain(argv: readonly string[], out: (text: string) => void, err: (text: string) => void): number {
  let options: LogCliOptions;
  try {
    options = parseLogArgs(argv);
  } catch (error) {
    if (!(error instanceof LogUsageError)) throw error;
    err(`sim: ${error.message}\n\nUsage: ${LOG_USAGE.trimStart()}\n`);
    return 2;
  }
  if (options.schedule !== undefined) {
    let result: ScheduleResult;
    try {
      let text: string;
      try {
        text = readFileSync(options.schedule, 'utf8');
      } catch (error) {
        throw new ScheduleError(`cannot read ${options.schedule}: ${(error as Error).message}`);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        throw new ScheduleError(`${options.schedule} is not JSON: ${(error as Error).message}`);
      }
      result = runSchedule(parseSchedule(raw), { linearizable: linearizableOf });
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      err(`sim: ${error.message}\n`);
      return 2;
    }
    out(options.json ? `${JSON.stringify(scheduleJson(result))}\n` : `${scheduleText(options.schedule, result)}\n`);
    return result.ok ? 0 : 1;
  }
  const swarm = options.swarm as NonNullable<LogCliOptions['swarm']>;
  if (options.replay !== undefined) {
    const run = runLogSeed(swarm, options.replay, 'full');
    if (options.json) {
      out(`${JSON.stringify({ seed: run.seed, plan: run.plan, violations: run.violations, committed: run.committed, trace: run.record.trace })}\n`);
    } else {
      const lines = [`Replay of seed ${run.seed}: ${swarm.algorithm.label}, ${swarm.nodes} nodes, faults: ${swarm.faults}`, '', ...run.record.trace.map(formatEntry), ''];
      if (run.violations.length === 0) lines.push('Checker: no violation.');
      for (const v of run.violations) lines.push(`Checker: ${v.message}`);
      out(`${lines.join('\n')}\n`);
    }
    return 0;
  }
  const started = performance.now();
  const summary = runLogSwarm({ ...swarm, linearizable: (run) => linearizableOf(run.cluster) });
  const wallMs = performance.now() - started;
  const { tally: _tally, ...shown } = summary;
  out(options.json ? `${JSON.stringify({ ...shown, wallMs: Math.round(wallMs) })}\n` : `${summaryText(summary, wallMs)}\n`);
  return 0;
}

/**
 * `npm run sim`'s entry for log invocations: a swarm runs over worker threads (`--workers W`,
 * default: up to 2 cores); schedules and replays run in this thread through logMain.
 */
export async function logMainAsync(argv: readonly string[], out: (text: string) => void, err: (text: string) => void): Promise<number> {
  let options: LogCliOptions;
  try {
    options = parseLogArgs(argv);
  } catch (error) {
    if (!(error instanceof LogUsageError)) throw error;
    return logMain(argv, out, err);
  }
  const swarm = options.swarm;
  const workers = options.workers ?? defaultWorkers();
  if (swarm === undefined || options.replay !== undefined || workers <= 1) return logMain(argv, out, err);
  const started = performance.now();
  const summary = await runLogSwarmParallel({ ...swarm, algorithm: swarm.algorithm.name }, workers);
  const wallMs = performance.now() - started;
  const { tally: _tally, ...shown } = summary;
  out(options.json ? `${JSON.stringify({ ...shown, workers, wallMs: Math.round(wallMs) })}\n` : `${summaryText(summary, wallMs)}\n  (${workers} worker threads)\n`);
  return 0;
}

/** Linearizability of a run's client history, with a wall-clock budget as well as the step budget. */
function linearizableOf(cluster: LogCluster): true | false | 'unknown' {
  return cluster.linearizable({ deadline: { now: () => performance.now(), budgetMs: LIN_BUDGET_MS } });
}
