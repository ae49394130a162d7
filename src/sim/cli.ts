/**
 * `npm run sim`: the simulator from the command line, for CI, for us and for curious teachers.
 *
 *   npm run sim -- --algorithm paxos --nodes 5 --proposers 2 --seeds 1000 --faults all
 *   npm run sim -- --algorithm paxos-amnesia --nodes 3 --proposers 2 --faults crash-restart --replay 17
 *
 * The only file of src/sim that touches Node (argv, stdout, exit code): the simulator itself
 * stays free of Node APIs.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { assertNever } from '../core/assert.ts';
import { getAlgorithm } from '../machines/index.ts';
import { ALGORITHM_NAMES, isAlgorithmName } from '../machines/spec.ts';
import { MAX_PEERS_PER_ROOM } from '../limits.ts';
import {
  DEFAULT_LIVENESS_BUDGET_MS,
  FAULT_FAMILIES,
  SCHEDULES,
  isFaultFamily,
  isScheduleName,
  runSeed,
  runSwarm,
  type FaultAction,
  type FaultFamily,
  type FaultPlan,
  type ScheduleName,
  type SwarmConfig,
  type SwarmSummary,
} from './swarm.ts';
import type { RunStop } from './simulator.ts';
import { pctPlanText } from './pct.ts';
import { formatEntry, formatLink, formatTime } from './trace.ts';
import { isLogInvocation, LOG_USAGE, logMain, logMainAsync } from './log-cli.ts';
import { exploreMain } from '../explore/cli.ts';
import { faultFamily, integer, MAX_BUDGET_MS, readFlags, seedRange, SWARM_FLAGS, UsageError } from './args.ts';

const USAGE = `Usage: npm run sim -- --algorithm <${ALGORITHM_NAMES.join('|')}>
         [--nodes N] [--proposers P] [--seeds S] [--first-seed K]
         [--faults ${FAULT_FAMILIES.join('|')}] [--schedule ${SCHEDULES.join('|')}] [--budget-ms MS] [--json] [--replay SEED]

  --algorithm   which algorithm every node runs (required)
  --nodes       members of the decision, 1–${MAX_PEERS_PER_ROOM} (default 5)
  --proposers   how many of them propose a value (default 2)
  --seeds       how many seeded runs (default 100); each seed draws its own fault schedule
  --first-seed  first seed of the range (default 1)
  --faults      fault family of the safety phase (default none)
  --schedule    message delays of the safety phase: random per link (default), or pct (PCT-style
                priorities per message chain, which reach deep interleavings; see src/sim/pct.ts)
  --budget-ms   virtual time allowed to decide after the network heals (default ${DEFAULT_LIVENESS_BUDGET_MS})
  --json        print one JSON object instead of the text report
  --replay SEED print that one run step by step, with its fault plan and the checker's verdict

Replicated logs and schedule files:
${LOG_USAGE}`;

export { UsageError } from './args.ts';

export interface CliOptions {
  readonly algorithm: string;
  readonly nodes: number;
  readonly proposers: number;
  readonly seeds: number;
  readonly firstSeed: number;
  readonly faults: FaultFamily;
  readonly budgetMs: number;
  readonly json: boolean;
  readonly replay: number | undefined;
  /** Undefined: the default, random delays. */
  readonly schedule?: ScheduleName | undefined;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const { values, json } = readFlags(argv, [...SWARM_FLAGS, '--proposers', '--schedule']);
  const algorithm = values.get('--algorithm');
  if (algorithm === undefined) throw new UsageError('--algorithm is required');
  if (!isAlgorithmName(algorithm)) throw new UsageError(`unknown algorithm "${algorithm}" (choose one of ${ALGORITHM_NAMES.join(', ')})`);
  const faults = faultFamily(values);
  const schedule = values.get('--schedule');
  if (schedule !== undefined && !isScheduleName(schedule)) {
    throw new UsageError(`unknown schedule "${schedule}" (choose one of ${SCHEDULES.join(', ')})`);
  }
  const nodes = integer(values, '--nodes', 5, 1, MAX_PEERS_PER_ROOM);
  const proposers = integer(values, '--proposers', Math.min(2, nodes), 1, nodes);
  const { seeds, firstSeed, replay } = seedRange(values);
  return {
    algorithm,
    nodes,
    proposers,
    seeds,
    firstSeed,
    faults,
    budgetMs: integer(values, '--budget-ms', DEFAULT_LIVENESS_BUDGET_MS, 1, MAX_BUDGET_MS),
    json,
    replay,
    ...(schedule === undefined ? {} : { schedule }),
  };
}

export function summaryText(summary: SwarmSummary, wallMs: number): string {
  const ms = (x: number | null): string => (x === null ? '—' : formatTime(x));
  const last = summary.firstSeed + summary.runs - 1;
  const lines = [
    `${summary.algorithm} · ${summary.nodes} nodes · ${summary.proposers} proposer${summary.proposers === 1 ? '' : 's'} · faults: ${summary.faults}${summary.schedule === undefined ? '' : ` · schedule: ${summary.schedule}`} · seeds ${summary.firstSeed}–${last}`,
    `  runs                         ${summary.runs}`,
    `  decided (every live node)    ${summary.decided}`,
    `  Agreement violations         ${summary.agreementViolations}`,
    `  Validity violations          ${summary.validityViolations}`,
    `  Paxos invariant violations   ${summary.paxosInvariantViolations}`,
    `  undecided (no termination)   ${summary.undecided}`,
    `  virtual time to decide       median ${ms(summary.medianTimeToDecideMs)}, p99 ${ms(summary.p99TimeToDecideMs)}`,
    `  messages per decision        ${summary.messagesPerDecision ?? '—'}`,
    `  first failing seed           ${summary.firstFailingSeed ?? 'none'}`,
  ];
  if (summary.firstViolation !== null) lines.push('', `  ${summary.firstViolation}`);
  lines.push('', `  (${summary.steps} steps, ${summary.simulatedMessages} messages simulated in ${(wallMs / 1000).toFixed(2)} s)`);
  return lines.join('\n');
}

export function describeAction(action: FaultAction): string {
  switch (action.kind) {
    case 'crash':
      return `crash ${action.node}`;
    case 'restart':
      return `restart ${action.node}`;
    case 'pause':
      return `pause ${action.node}`;
    case 'resume':
      return `resume ${action.node}`;
    case 'partition':
      return `partition ${action.groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`;
    case 'cut':
      return `cut ${action.from} → ${action.to}`;
    case 'heal':
      return 'heal the network';
    case 'link':
      return `link ${action.from} → ${action.to}: ${formatLink(action.config)}`;
    default:
      return assertNever(action, 'fault action');
  }
}

export function planText(plan: FaultPlan): string {
  const lines = [
    `members: ${plan.members.join(', ')}`,
    `every link: ${formatLink(plan.link)}`,
    `proposals: ${plan.proposals.map((p) => `${p.node} proposes "${p.value}" at ${formatTime(p.at)}`).join('; ')}`,
  ];
  if (plan.safetyMs > 0) {
    lines.push(`safety phase until ${formatTime(plan.safetyMs)}:`);
    for (const { at, action } of plan.actions) lines.push(`  ${formatTime(at).padStart(9)}  ${describeAction(action)}`);
    const stay = plan.stayDown.length === 1 ? 'stays' : 'stay';
    lines.push(`then the network heals; ${plan.stayDown.length === 0 ? 'every node comes back' : `${plan.stayDown.join(', ')} ${stay} down`}`);
  } else {
    lines.push('no faults');
  }
  return lines.join('\n');
}

function replayText(config: SwarmConfig, seed: number): { text: string; json: unknown } {
  const run = runSeed(config, seed, 'full');
  const sim = run.simulation;
  const lines = [
    `Replay of seed ${seed}: ${config.algorithm.label}, ${config.nodes} nodes, ${config.proposers} proposer${config.proposers === 1 ? '' : 's'}, faults: ${config.faults}`,
    '',
    planText(run.plan),
    ...(run.pct === undefined ? [] : [pctPlanText(run.pct)]),
    '',
    'step    time      what happened',
    ...run.record.trace.map(formatEntry),
    '',
    `Stopped at ${formatTime(sim.now)} after ${sim.steps} steps: ${STOP_WORDS[run.stop]}.`,
    `Decided: ${sim.members.map((m) => `${m}=${sim.status(m) === 'down' ? 'down' : (sim.decidedValue(m) ?? '—')}`).join(' ')}`,
    'Final state:',
    ...sim.members.map((m) => {
      const view = sim.view(m);
      return view === undefined ? `  ${m}: down` : `  ${m}: ${view.phase} — ${view.waitingFor}`;
    }),
  ];
  if (run.violations.length === 0) lines.push('Checker: no violation.');
  for (const v of run.violations) lines.push(`Checker: ${v.message}`);
  return {
    text: lines.join('\n'),
    json: {
      seed,
      plan: run.plan,
      decided: run.decided,
      stop: run.stop,
      timeToDecideMs: run.timeToDecideMs ?? null,
      messages: run.messages,
      violations: run.violations,
      trace: run.record.trace,
    },
  };
}

const STOP_WORDS: Record<RunStop, string> = {
  predicate: 'every live node decided',
  idle: 'nothing was left to happen, and not every live node had decided',
  time: 'the time budget ran out before every live node decided',
  'step-limit': 'the step limit was reached (a run this long is a bug)',
};

export function main(argv: readonly string[]): number {
  // The explorer has its own options and report (src/explore/cli.ts).
  if (argv.includes('--explore')) return exploreMain(argv);
  // Schedules and replicated-log algorithms (Raft, Multi-Paxos) have their own flags and output.
  if (isLogInvocation(argv)) return logMain(argv, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message !== '') {
      process.stderr.write(`sim: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config: SwarmConfig = {
    algorithm: getAlgorithm(options.algorithm),
    nodes: options.nodes,
    proposers: options.proposers,
    faults: options.faults,
    budgetMs: options.budgetMs,
    ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
  };
  if (options.replay !== undefined) {
    const replay = replayText(config, options.replay);
    process.stdout.write(options.json ? `${JSON.stringify(replay.json)}\n` : `${replay.text}\n`);
    return 0;
  }
  const started = performance.now();
  const summary = runSwarm({ ...config, seeds: options.seeds, firstSeed: options.firstSeed });
  const wallMs = performance.now() - started;
  process.stdout.write(options.json ? `${JSON.stringify({ ...summary, wallMs: Math.round(wallMs) })}\n` : `${summaryText(summary, wallMs)}\n`);
  return 0;
}

// Run only as a command (`tsx src/sim/cli.ts`), not when a test imports the parser.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  // Log swarms run over worker threads (asynchronously); everything else as before.
  if (!argv.includes('--explore') && isLogInvocation(argv)) {
    void logMainAsync(argv, (t) => process.stdout.write(t), (t) => process.stderr.write(t)).then((code) => {
      process.exitCode = code;
    });
  } else {
    process.exitCode = main(argv);
  }
}
