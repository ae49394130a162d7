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
import { MAX_PEERS_PER_ROOM, SIM_LIN_BUDGET_MS, SIM_MAX_CLIENTS, SIM_MAX_COMMANDS_PER_CLIENT, SIM_MAX_WORKERS } from '../limits.ts';
import { getLogAlgorithm } from '../machines/log-index.ts';
import { isLogAlgorithmName, LOG_ALGORITHM_NAMES } from '../machines/spec.ts';
import { LOG_PROPERTIES, logPropertyTitle } from './log-checker.ts';
import type { LogCluster } from './log-cluster.ts';
import { runLogSeed, runLogSwarm, type LogSwarmConfig, type LogSwarmSummary } from './log-swarm.ts';
import { defaultWorkers, runLogSwarmParallel } from './log-swarm-workers.ts';
import { parseSchedule, runSchedule, ScheduleError, type ScheduleResult } from './schedule.ts';
import { DEFAULT_LIVENESS_BUDGET_MS, FAULT_FAMILIES, isScheduleName } from './swarm.ts';
import { faultFamily, integer, MAX_BUDGET_MS, readFlags, seedRange, SWARM_FLAGS, UsageError } from './args.ts';
import { formatEntry } from './trace.ts';

export const LOG_USAGE = `       npm run sim -- --schedule FILE [--json]
       npm run sim -- --algorithm <${LOG_ALGORITHM_NAMES.join('|')}>
         [--state-machine orders|register] [--nodes N] [--clients C] [--commands K] [--seeds S]
         [--first-seed K] [--faults ${FAULT_FAMILIES.join('|')}] [--budget-ms MS] [--workers W] [--json] [--replay SEED]`;

/** True when argv is for this file: a schedule, or a log algorithm. */
export function isLogInvocation(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    // `--schedule random|pct` names the write-once swarm's delay schedule; any other value is a file.
    const schedule = raw.startsWith('--schedule=') ? raw.slice('--schedule='.length) : raw === '--schedule' ? argv[i + 1] : undefined;
    if (schedule !== undefined && !isScheduleName(schedule)) return true;
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

export function parseLogArgs(argv: readonly string[]): LogCliOptions {
  const { values, json } = readFlags(argv, [...SWARM_FLAGS, '--schedule', '--state-machine', '--clients', '--commands', '--workers']);
  const schedule = values.get('--schedule');
  if (schedule !== undefined) {
    const extra = [...values.keys()].filter((k) => k !== '--schedule');
    if (extra.length > 0) throw new UsageError(`--schedule takes everything from the file; drop ${extra.join(', ')}`);
    return { schedule, swarm: undefined, replay: undefined, json, workers: undefined };
  }
  const algorithm = values.get('--algorithm') as string;
  const faults = faultFamily(values);
  const stateMachine = values.get('--state-machine') ?? 'orders';
  if (!isStateMachineName(stateMachine)) throw new UsageError(`--state-machine must be orders or register, got "${stateMachine}"`);
  const { seeds, firstSeed, replay } = seedRange(values);
  return {
    schedule: undefined,
    swarm: {
      algorithm: getLogAlgorithm(algorithm),
      stateMachine: stateMachine as StateMachineName,
      nodes: integer(values, '--nodes', 5, 1, MAX_PEERS_PER_ROOM),
      clients: integer(values, '--clients', 3, 1, SIM_MAX_CLIENTS),
      commands: integer(values, '--commands', 5, 1, SIM_MAX_COMMANDS_PER_CLIENT),
      faults,
      budgetMs: integer(values, '--budget-ms', DEFAULT_LIVENESS_BUDGET_MS, 1, MAX_BUDGET_MS),
      seeds,
      firstSeed,
    },
    replay,
    json,
    workers: values.has('--workers') ? integer(values, '--workers', 1, 1, SIM_MAX_WORKERS) : undefined,
  };
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
    `  snapshots taken / installed    ${s.snapshots.compacted} / ${s.snapshots.installed} (in ${s.snapshots.runsInstalling} runs)`,
    `  restarts from a snapshot       ${s.snapshots.restarted} (in ${s.snapshots.runsRestarting} runs)`,
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
    if (!(error instanceof UsageError)) throw error;
    if (error.message === '') {
      out(`Usage: ${LOG_USAGE.trimStart()}\n`);
      return 0;
    }
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
    if (!(error instanceof UsageError)) throw error;
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
  return cluster.linearizable({ deadline: { now: () => performance.now(), budgetMs: SIM_LIN_BUDGET_MS } });
}
