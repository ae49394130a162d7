/**
 * `npm run sim -- --explore ...`: the explorer from the command line (src/sim/cli.ts hands over
 * when it sees --explore).
 *
 *   npm run sim -- --explore --algorithm impatient-tiebreak --nodes 3
 *   npm run sim -- --explore --algorithm paxos --nodes 3 --proposers 2 --max-crashes 1 --json
 *   npm run sim -- --explore --algorithm majority --scene flp [--red-first]
 *
 * Node-only (argv, stdout, files); the explorer itself runs in a page or a worker as it is.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { NodeId, Value } from '../core/types.ts';
import { EXPLORE_DEFAULT_MAX_CRASHES, EXPLORE_MAX_FAULTS, EXPLORE_MAX_NODES, EXPLORE_MAX_STATES, EXPLORE_MAX_VALUES } from '../limits.ts';
import { getAlgorithm } from '../machines/index.ts';
import { ALGORITHM_NAMES, isAlgorithmName } from '../machines/spec.ts';
import { explore, ExploreError, type ExploreOptions, type ExploreResult, type ExploreStep } from './explorer.ts';
import { flpScene } from './scenes.ts';
import { scheduleFile } from './schedule-file.ts';

export { scheduleFile } from './schedule-file.ts';
import { stepSentence, valenceSentence } from './words.ts';

const USAGE = `Usage: npm run sim -- --explore --algorithm <${ALGORITHM_NAMES.join('|')}>
         [--nodes N] [--proposers P] [--max-crashes F] [--max-restarts R] [--depth D]
         [--loss] [--no-timers] [--budget-ms MS] [--max-states S] [--seed K] [--json] [--save FILE]
         [--scene flp [--red-first]]

  --nodes         members, 1–${EXPLORE_MAX_NODES} (default 3)
  --proposers     how many of them propose (n1 red, n2 blue, n3 green, …; default 2, at most ${EXPLORE_MAX_VALUES})
  --max-crashes   crashes the adversary may cause (default 1)
  --max-restarts  restarts of crashed nodes, from what they persisted (default 0)
  --depth         longest schedule searched breadth-first, in steps (default 60)
  --loss          the adversary may also drop messages (off: FLP's network loses nothing)
  --no-timers     no timer ever fires: a much smaller search for safety (Agreement), but no retries,
                  so "stays undecided" then says nothing about algorithms that retry on a timeout
  --budget-ms     wall-clock budget (default 30000); a fifth goes to random walks first
  --max-states    states one search may hold (default and at most ${EXPLORE_MAX_STATES})
  --seed          seed of the nodes' PRNGs and of the walks (default 1)
  --json          one JSON object: statesExplored, violation (null or {property, steps}), wallMs, …
  --save FILE     write the counterexample found as a schedule file
  --scene flp     the 5-node FLP scene of solo mode (voting algorithms): n1 red, n2 blue, n3 and
                  n4 sided, both candidates on their way to n5; --red-first delivers red's first`;

const VALUES: readonly Value[] = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];

export class ExploreUsageError extends Error {
  override readonly name = 'ExploreUsageError';
}

export interface ExploreCliOptions {
  readonly algorithm: string;
  readonly nodes: number;
  readonly proposers: number;
  readonly maxCrashes: number;
  readonly maxRestarts: number;
  readonly depth: number;
  readonly loss: boolean;
  readonly timers: boolean;
  readonly budgetMs: number;
  readonly maxStates: number;
  readonly seed: number;
  readonly json: boolean;
  readonly save: string | undefined;
  readonly scene: 'flp' | undefined;
  readonly redFirst: boolean;
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw)) throw new ExploreUsageError(`${flag} needs a whole number from ${min} to ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ExploreUsageError(`${flag} must be from ${min} to ${max}, got ${value}`);
  return value;
}

export function parseExploreArgs(argv: readonly string[]): ExploreCliOptions {
  let algorithm: string | undefined;
  const o = { nodes: 3, proposers: 2, maxCrashes: EXPLORE_DEFAULT_MAX_CRASHES, maxRestarts: 0, depth: 60, budgetMs: 30_000, maxStates: EXPLORE_MAX_STATES, seed: 1 };
  let loss = false;
  let timers = true;
  let json = false;
  let redFirst = false;
  let save: string | undefined;
  let scene: 'flp' | undefined;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.indexOf('=');
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--explore':
        break;
      case '--help':
      case '-h':
        throw new ExploreUsageError('');
      case '--algorithm': {
        const name = value();
        if (name === undefined || !isAlgorithmName(name)) throw new ExploreUsageError(`--algorithm must be one of ${ALGORITHM_NAMES.join(', ')}`);
        algorithm = name;
        break;
      }
      case '--nodes':
        o.nodes = integer(flag, value(), 1, EXPLORE_MAX_NODES);
        break;
      case '--proposers':
        o.proposers = integer(flag, value(), 0, EXPLORE_MAX_VALUES);
        break;
      case '--max-crashes':
        o.maxCrashes = integer(flag, value(), 0, EXPLORE_MAX_FAULTS);
        break;
      case '--max-restarts':
        o.maxRestarts = integer(flag, value(), 0, EXPLORE_MAX_FAULTS);
        break;
      case '--depth':
        o.depth = integer(flag, value(), 0, 10_000);
        break;
      case '--budget-ms':
        o.budgetMs = integer(flag, value(), 1, 3_600_000);
        break;
      case '--max-states':
        o.maxStates = integer(flag, value(), 1, EXPLORE_MAX_STATES);
        break;
      case '--seed':
        o.seed = integer(flag, value(), 0, 0xffffffff);
        break;
      case '--loss':
        loss = true;
        break;
      case '--no-timers':
        timers = false;
        break;
      case '--json':
        json = true;
        break;
      case '--red-first':
        redFirst = true;
        break;
      case '--save': {
        const file = value();
        if (file === undefined || file === '' || file.startsWith('--')) throw new ExploreUsageError('--save needs a file name');
        save = file;
        break;
      }
      case '--scene': {
        const name = value();
        if (name !== 'flp') throw new ExploreUsageError('--scene knows one scene: flp');
        scene = name;
        break;
      }
      default:
        throw new ExploreUsageError(`unknown option ${raw}`);
    }
  }
  if (algorithm === undefined) throw new ExploreUsageError('--algorithm is required');
  if (o.proposers > o.nodes) throw new ExploreUsageError(`--proposers (${o.proposers}) cannot exceed --nodes (${o.nodes})`);
  if (scene === 'flp' && !['majority', 'tiebreak', 'impatient-tiebreak'].includes(algorithm)) {
    throw new ExploreUsageError('--scene flp stages a vote: use majority, tiebreak or impatient-tiebreak');
  }
  if (redFirst && scene === undefined) throw new ExploreUsageError('--red-first belongs to --scene flp');
  return { algorithm, ...o, loss, timers, json, save, scene, redFirst };
}

export function exploreOptionsOf(cli: ExploreCliOptions): ExploreOptions {
  const algorithm = getAlgorithm(cli.algorithm);
  const budget = { budgetMs: cli.budgetMs, maxStates: cli.maxStates, seed: cli.seed, now: () => performance.now() };
  if (cli.scene === 'flp') return { ...flpScene(algorithm, { redFirst: cli.redFirst }), ...budget };
  const nodes: NodeId[] = Array.from({ length: cli.nodes }, (_, i) => `n${i + 1}`);
  return {
    algorithm,
    nodes,
    proposals: nodes.slice(0, cli.proposers).map((node, i) => ({ node, value: VALUES[i] as Value })),
    maxCrashes: cli.maxCrashes,
    maxRestarts: cli.maxRestarts,
    loss: cli.loss,
    timers: cli.timers,
    maxDepth: cli.depth,
    ...budget,
  };
}

function text(cli: ExploreCliOptions, options: ExploreOptions, r: ExploreResult): string {
  const lines: string[] = [];
  const proposals = options.proposals.map((p) => `${p.node} ${p.value}`).join(', ');
  lines.push(
    `explore ${cli.algorithm}: ${options.nodes.length} nodes (${proposals || 'no proposals'}), at most ${options.maxCrashes} crash(es), ${options.maxRestarts ?? 0} restart(s), ${options.loss === true ? 'with' : 'no'} message loss${options.timers === false ? ', no timers' : ''}${cli.scene === 'flp' ? `, FLP scene${cli.redFirst ? ' with red delivered to n5 first' : ''}` : ''}`,
  );
  const rate = r.wallMs > 0 ? Math.round((r.statesExplored / r.wallMs) * 1000) : 0;
  const how = r.exhausted ? 'every reachable state' : `cut: ${r.stoppedBy ?? 'depth'}; every schedule of up to ${r.completeDepth} steps`;
  lines.push(`states explored: ${r.statesExplored} (${how}) in ${r.wallMs} ms, ${rate} states/s; ${r.walks.tried} random walks first (${r.walks.ms} ms)`);
  if (r.violation === null) {
    const bound = r.exhausted ? 'exhaustive' : `bound: ${r.completeDepth} steps`;
    lines.push(`no Agreement violation in ${r.statesExplored} states (${bound}); no run found that stays undecided`);
  } else {
    const v = r.violation;
    lines.push(`${v.property === 'agreement' ? 'Agreement' : 'Termination'} violation, ${v.foundBy === 'search' ? 'shortest' : 'found by a random walk (maybe not shortest)'}, ${v.steps.length} steps: ${v.message}`);
    v.steps.forEach((step, i) => lines.push(`  ${String(i + 1).padStart(3)}. ${i < v.prefixSteps ? '(staged) ' : ''}${stepSentence(step)}`));
  }
  lines.push(`valence from the start: ${valenceSentence(r.initialValence)}`);
  if (r.critical !== null) {
    const c = r.critical;
    lines.push(
      `critical step (after ${c.steps.length} steps): ${c.node} receives ${c.first.kind} from ${c.first.from} (then only ${c.first.leadsTo.join('')}) or ${c.second.kind} from ${c.second.from} (then only ${c.second.leadsTo.join('')}) first`,
    );
  } else {
    lines.push('critical step: none found (no bivalent state where two messages to one node decide)');
  }
  return lines.join('\n');
}

/** Runs the explorer command; returns the exit code. */
export function exploreMain(argv: readonly string[]): number {
  let cli: ExploreCliOptions;
  try {
    cli = parseExploreArgs(argv);
  } catch (error) {
    if (!(error instanceof ExploreUsageError)) throw error;
    if (error.message === '') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`sim --explore: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  const options = exploreOptionsOf(cli);
  let result: ExploreResult;
  try {
    result = explore(options);
  } catch (error) {
    if (!(error instanceof ExploreError)) throw error;
    process.stderr.write(`sim --explore: ${error.message}\n`);
    return 2;
  }
  if (cli.save !== undefined) {
    if (result.violation === null) {
      process.stderr.write(`sim --explore: nothing to save to ${cli.save}: no counterexample found\n`);
    } else {
      writeFileSync(cli.save, `${JSON.stringify(scheduleFile(options, result.violation.steps, result.violation.property), null, 2)}\n`);
    }
  }
  process.stdout.write(cli.json ? `${JSON.stringify(result)}\n` : `${text(cli, options, result)}\n`);
  return 0;
}
