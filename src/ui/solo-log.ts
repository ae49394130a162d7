/**
 * Solo mode for the replicated-log algorithms (Raft, Multi-Paxos and their broken variants),
 * without Svelte: a LogCluster (the one simulator, with the replicas and clients the CLI and the
 * schedule runner use) driven by the page's commands, and the plain snapshot the page renders.
 *
 * Every successful command joins the run's script, so the user's own run can be replayed
 * (the scrubber) and turned into a schedule (`scheduleOf`) that runs against Multi-Paxos and
 * Raft side by side (solo-compare.ts). A crash of the node that was leader becomes a crash of
 * "leader" there, so the same situation is staged whichever node each algorithm elected.
 */
import { assertNever } from '../core/assert.ts';
import type { StateMachine, StateMachineName } from '../core/state-machine.ts';
import { stateMachineNamed } from '../core/state-machines.ts';
import type { Epoch, LogRole, LogWindowEntry, NodeId } from '../core/types.ts';
import { summarizeState } from '../classroom/state-summary.ts';
import type { StateRow } from '../classroom/log-protocol.ts';
import { summarizeMessage } from '../classroom/summary.ts';
import { LIVE_REPORT_WINDOW, SIM_MAX_STEPS, SOLO_EXPORT_SETTLE_MS, SOLO_LOG_ANSWERS_SHOWN, SOLO_MAX_HELD_SHOWN, SOLO_MAX_NODES, SOLO_MIN_NODES, SOLO_TRACE_LINES } from '../limits.ts';
import { LOG_ALGORITHMS } from '../machines/log-index.ts';
import type { LogAlgorithmName } from '../machines/names.ts';
import { LogCluster } from '../sim/log-cluster.ts';
import { SimulationError, type NodeStatus } from '../sim/simulator.ts';
import { formatEntry } from '../sim/trace.ts';
import { isSoloSeed, MAX_SOLO_SEED } from './solo-setup.ts';
import type { SoloHeld } from './solo.ts';

export interface LogSoloSetup {
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  readonly nodes: number;
  readonly seed: number;
}

export type LogSoloCommand =
  | { readonly do: 'submit'; readonly node: NodeId; readonly command: unknown }
  | { readonly do: 'crash' | 'restart' | 'isolate'; readonly node: NodeId }
  | { readonly do: 'heal' }
  | { readonly do: 'hold'; readonly on: boolean }
  | { readonly do: 'deliver' | 'drop'; readonly id: number }
  | { readonly do: 'deliver-all' }
  | { readonly do: 'step' }
  | { readonly do: 'run'; readonly ms: number };

/** One node as its tile shows it: the shape the projector's replica tile takes (book-model.ts). */
export interface LogSoloNode {
  readonly id: NodeId;
  readonly status: NodeStatus;
  readonly isolated: boolean;
  readonly role: LogRole | undefined;
  readonly epoch: Epoch | undefined;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly applied: number;
  readonly listenOnly: boolean;
  readonly window: readonly LogWindowEntry[];
  readonly stateDigest: string;
  readonly stateSize: number;
  readonly rows: readonly StateRow[];
}

export interface LogSoloAnswer {
  readonly client: string;
  readonly command: string;
  /** Undefined while the client still waits. */
  readonly answer: string | undefined;
}

export interface LogSoloSnapshot {
  readonly setup: LogSoloSetup;
  readonly now: number;
  readonly steps: number;
  readonly pending: number;
  readonly holding: boolean;
  readonly nodes: readonly LogSoloNode[];
  readonly heldCount: number;
  readonly held: readonly SoloHeld[];
  readonly answers: readonly LogSoloAnswer[];
  readonly trace: readonly string[];
  /** Every node that is up holds the same state (same digest) and applied as far. */
  readonly booksAgree: boolean;
}


export function isLogSoloSetup(setup: LogSoloSetup): string | undefined {
  if (!Number.isInteger(setup.nodes) || setup.nodes < SOLO_MIN_NODES || setup.nodes > SOLO_MAX_NODES) return `solo mode runs ${SOLO_MIN_NODES}–${SOLO_MAX_NODES} nodes, got ${setup.nodes}`;
  if (!isSoloSeed(setup.seed)) return `a seed is an integer 0–${MAX_SOLO_SEED}, got ${setup.seed}`;
  return undefined;
}

export class LogSoloRun {
  readonly setup: LogSoloSetup;
  readonly cluster: LogCluster;
  readonly members: readonly NodeId[];
  readonly script: LogSoloCommand[] = [];
  /** Virtual time at which each scripted command ran. */
  readonly times: number[] = [];
  /** What each scripted command resolved to at run time (for the schedule): the leader at a crash. */
  readonly crashedLeader = new Map<number, boolean>();
  private holding = false;
  private isolated: NodeId | undefined;
  private nextClient = 1;

  constructor(setup: LogSoloSetup) {
    const problem = isLogSoloSetup(setup);
    if (problem !== undefined) throw new RangeError(problem);
    this.setup = setup;
    this.members = Array.from({ length: setup.nodes }, (_, i) => `n${i + 1}`);
    this.cluster = new LogCluster({
      algorithm: LOG_ALGORITHMS[setup.algorithm],
      stateMachine: stateMachineNamed(setup.stateMachine) as StateMachine<unknown, unknown, unknown>,
      members: this.members,
      seed: setup.seed,
      // Full: the space-time diagram draws every message.
      trace: 'full',
    });
  }

  /** Runs one command; throws (and records nothing) when it names no valid target. */
  apply(command: LogSoloCommand): void {
    const sim = this.cluster.sim;
    const at = sim.now;
    switch (command.do) {
      case 'submit': {
        if (sim.status(command.node) !== 'up') throw new SimulationError(`${command.node} is ${sim.status(command.node)}: submit at a node that is up`);
        const machine = stateMachineNamed(this.setup.stateMachine) as StateMachine<unknown, unknown, unknown>;
        const checked = machine.checkCommand(command.command);
        if (!checked.ok) throw new SimulationError(`not a command: ${checked.error}`);
        this.cluster.submit(`c${this.nextClient}`, command.node, checked.value);
        this.nextClient++;
        break;
      }
      case 'crash':
        this.crashedLeader.set(this.script.length, sim.logView(command.node)?.role === 'leader');
        sim.crash(command.node);
        break;
      case 'restart':
        sim.restart(command.node);
        break;
      case 'isolate':
        if (sim.status(command.node) === 'down') throw new SimulationError(`${command.node} is down: nothing to cut off`);
        sim.partition([[command.node], this.members.filter((n) => n !== command.node)]);
        this.isolated = command.node;
        break;
      case 'heal':
        sim.heal();
        this.isolated = undefined;
        break;
      case 'hold':
        sim.setManual(command.on);
        this.holding = command.on;
        break;
      case 'deliver':
        sim.deliver(command.id);
        break;
      case 'drop':
        sim.drop(command.id);
        break;
      case 'deliver-all':
        for (const m of sim.held()) sim.deliver(m.id);
        break;
      case 'step':
        sim.step();
        break;
      case 'run':
        this.cluster.runUntil(sim.now + command.ms);
        break;
      default:
        assertNever(command, 'solo log command');
    }
    this.script.push(command);
    this.times.push(at);
  }

  snapshot(): LogSoloSnapshot {
    const sim = this.cluster.sim;
    const name = this.setup.stateMachine;
    const nodes = this.members.map((id): LogSoloNode => {
      const status = sim.status(id);
      const view = status === 'down' ? undefined : sim.logView(id);
      const summary = summarizeState(name, this.cluster.replicaState(id));
      return {
        id,
        status,
        isolated: this.isolated === id,
        role: view?.role,
        epoch: view?.epoch,
        commitIndex: view?.commitIndex ?? 0,
        lastIndex: view?.lastIndex ?? 0,
        applied: status === 'down' ? 0 : this.cluster.appliedIndex(id),
        listenOnly: view?.listenOnly ?? false,
        window: view?.window.slice(-LIVE_REPORT_WINDOW) ?? [],
        stateDigest: summary.digest,
        stateSize: summary.size,
        rows: summary.rows,
      };
    });
    const up = nodes.filter((n) => n.status === 'up');
    const held = sim.held();
    const machine = stateMachineNamed(name) as StateMachine<unknown, unknown, unknown>;
    const answers = this.cluster.history.slice(-SOLO_LOG_ANSWERS_SHOWN).map((op) => ({
      client: op.client,
      command: machine.describe(op.input),
      answer: op.return === undefined ? undefined : machine.describeResult(op.output),
    }));
    return {
      setup: this.setup,
      now: sim.now,
      steps: sim.steps,
      pending: sim.pending,
      holding: this.holding,
      nodes,
      heldCount: held.length,
      held: held.slice(0, SOLO_MAX_HELD_SHOWN).map(({ id, from, to, message }) => ({ id, from, to, ...summarizeMessage(message) })),
      answers: answers.reverse(),
      trace: sim.trace.filter((e) => e.kind !== 'send' && e.kind !== 'deliver').slice(-SOLO_TRACE_LINES).map(formatEntry),
      booksAgree: up.length > 0 && up.every((n) => n.stateDigest === up[0]?.stateDigest && n.applied === up[0]?.applied),
    };
  }

  /** Whether the step budget is spent (a run this long is a bug). */
  get exhausted(): boolean {
    return this.cluster.sim.steps >= SIM_MAX_STEPS;
  }
}

/** Replays `script` on a fresh run; `upToStep` stops the replay at that simulator step (the scrubber). */
export function replayLog(setup: LogSoloSetup, script: readonly LogSoloCommand[], upToStep = Number.POSITIVE_INFINITY): LogSoloRun {
  const run = new LogSoloRun(setup);
  for (const command of script) {
    if (run.cluster.sim.steps >= upToStep) break;
    if (command.do === 'run' && Number.isFinite(upToStep)) {
      const target = run.cluster.sim.now + command.ms;
      run.cluster.runUntil(target, undefined, upToStep);
      if (run.cluster.sim.steps >= upToStep) break;
      run.script.push(command);
      run.times.push(target - command.ms);
      continue;
    }
    run.apply(command);
  }
  return run;
}


/**
 * The user's run as a schedule file (the format tests/scenarios uses): submits, crashes (of
 * "leader" when the crashed node was leader), restarts, isolations and heals, at the virtual
 * times they happened. Manual deliveries are not carried over: message ids and kinds differ
 * between algorithms, so `skipped` counts them for the page to say so.
 */
export function scheduleOf(run: LogSoloRun): { schedule: Record<string, unknown>; skipped: number } {
  const steps: Record<string, unknown>[] = [];
  const aliasOf = new Map<NodeId, string>();
  let skipped = 0;
  let client = 1;
  run.script.forEach((command, i) => {
    const atMs = Math.round(run.times[i] ?? 0);
    switch (command.do) {
      case 'submit':
        steps.push({ atMs, do: 'submit', node: aliasOf.get(command.node) ?? command.node, client: `c${client++}`, command: command.command });
        break;
      case 'crash':
        if (run.crashedLeader.get(i) === true) {
          const as = `L${aliasOf.size + 1}`;
          aliasOf.set(command.node, as);
          steps.push({ atMs, do: 'crash', node: 'leader', as });
        } else steps.push({ atMs, do: 'crash', node: aliasOf.get(command.node) ?? command.node });
        break;
      case 'restart':
        steps.push({ atMs, do: 'restart', node: aliasOf.get(command.node) ?? command.node });
        aliasOf.delete(command.node);
        break;
      case 'isolate':
        steps.push({ atMs, do: 'partition', groups: [[command.node], run.members.filter((n) => n !== command.node)] });
        break;
      case 'heal':
        steps.push({ atMs, do: 'heal' });
        break;
      case 'hold':
      case 'deliver':
      case 'drop':
      case 'deliver-all':
        skipped++;
        break;
      case 'step':
      case 'run':
        break;
      default:
        assertNever(command, 'solo log command');
    }
  });
  return {
    schedule: {
      description: `Your solo run (${LOG_ALGORITHMS[run.setup.algorithm].label}, seed ${run.setup.seed}) as a schedule`,
      algorithm: 'raft',
      nodes: run.setup.nodes,
      seed: run.setup.seed,
      stateMachine: run.setup.stateMachine,
      links: { delayMs: [5, 25], loss: 0, duplicate: 0 },
      runUntilMs: Math.round(run.cluster.sim.now) + SOLO_EXPORT_SETTLE_MS,
      steps,
      expect: {},
    },
    skipped,
  };
}
