/**
 * Swarm testing for replicated logs: each seed draws its own fault plan (the write-once
 * swarm's `planFaults`) and its own client workload, runs it, heals, and checks every log
 * property, exactly-once, linearizability of the client history, and that every submitted
 * command got an answer after healing.
 *
 * A run is a pure function of (algorithm, state machine, nodes, clients, commands, faults,
 * seed, budget): what `npm run sim -- --algorithm raft … --replay SEED` takes.
 */
import { Prng } from '../core/prng.ts';
import type { StateMachine, StateMachineName } from '../core/state-machine.ts';
import { stateMachineNamed } from '../core/state-machines.ts';
import type { NodeId } from '../core/types.ts';
import { SIM_MAX_CLIENTS, SIM_MAX_COMMANDS_PER_CLIENT } from '../limits.ts';
import type { LogAlgorithmSpec } from '../machines/spec.ts';
import { LogCluster, type SnapshotCounts } from './log-cluster.ts';
import { checkLogRun, LOG_PROPERTIES, type LogProperty, type LogRunRecord, type LogViolation } from './log-checker.ts';
import type { RunStop } from './simulator.ts';
import { actionStillApplies, applyAction, DEFAULT_LIVENESS_BUDGET_MS, healForLiveness, planFaults, percentile, type FaultFamily, type FaultPlan } from './swarm.ts';
import type { TraceLevel } from './trace.ts';

export interface LogSwarmConfig {
  readonly algorithm: LogAlgorithmSpec;
  readonly stateMachine: StateMachineName;
  readonly nodes: number;
  readonly clients: number;
  readonly commands: number;
  readonly faults: FaultFamily;
  readonly budgetMs?: number;
}

/** Clients start within this window, while the first election is still running. */
const CLIENT_START_WINDOW_MS = 300;
/** Orders the workload's commands touch: few, so ship and cancel of one order really race. */
const ORDER_IDS = ['A', 'B', 'C', 'D'];
const ITEMS = ['book', 'lamp', 'pen'];
const KEYS = ['x', 'y'];

export function validateLogSwarmConfig(config: LogSwarmConfig): void {
  const { nodes, clients, commands } = config;
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
  if (!Number.isInteger(clients) || clients < 1 || clients > SIM_MAX_CLIENTS) throw new RangeError(`clients must be 1 to ${SIM_MAX_CLIENTS}, got ${clients}`);
  if (!Number.isInteger(commands) || commands < 1 || commands > SIM_MAX_COMMANDS_PER_CLIENT) {
    throw new RangeError(`commands must be 1 to ${SIM_MAX_COMMANDS_PER_CLIENT}, got ${commands}`);
  }
}

/** A seeded workload: order-book commands over a few orders, or register commands over two keys. */
export function drawCommand(prng: Prng, machine: StateMachineName): unknown {
  if (machine === 'orders') {
    const order = prng.pick(ORDER_IDS);
    const roll = prng.int(0, 2);
    return roll === 0 ? { op: 'place', order, item: prng.pick(ITEMS) } : roll === 1 ? { op: 'ship', order } : { op: 'cancel', order };
  }
  const key = prng.pick(KEYS);
  const roll = prng.int(0, 2);
  const value = String(prng.int(1, 3));
  return roll === 0 ? { op: 'write', key, value } : roll === 1 ? { op: 'read', key } : { op: 'cas', key, from: String(prng.int(1, 3)), to: value };
}

export function reproduceLogCommand(config: LogSwarmConfig, seed: number): string {
  const budget = config.budgetMs ?? DEFAULT_LIVENESS_BUDGET_MS;
  return (
    `npm run sim -- --algorithm ${config.algorithm.name} --state-machine ${config.stateMachine} --nodes ${config.nodes} --clients ${config.clients} ` +
    `--commands ${config.commands} --faults ${config.faults}${budget === DEFAULT_LIVENESS_BUDGET_MS ? '' : ` --budget-ms ${budget}`} --replay ${seed}`
  );
}

export interface LogSwarmRun {
  readonly seed: number;
  readonly plan: FaultPlan;
  readonly cluster: LogCluster;
  readonly record: LogRunRecord;
  readonly violations: readonly LogViolation[];
  readonly stop: RunStop;
  /** Distinct client commands some replica applied. */
  readonly committed: number;
  readonly leaderElections: number;
  readonly messages: number;
  /** Virtual ms from the first submit to the last answer, when every command was answered. */
  readonly busyMs: number | undefined;
}

export function runLogSeed(config: LogSwarmConfig, seed: number, trace: TraceLevel = 'facts'): LogSwarmRun {
  validateLogSwarmConfig(config);
  const budgetMs = config.budgetMs ?? DEFAULT_LIVENESS_BUDGET_MS;
  const plan = stretchSafety(planFaults({ nodes: config.nodes, proposers: config.nodes, faults: config.faults, budgetMs }, seed), config.faults);
  const machine = stateMachineNamed(config.stateMachine) as StateMachine<unknown, unknown, unknown>;
  const cluster = new LogCluster({ algorithm: config.algorithm, stateMachine: machine, members: plan.members, seed, link: plan.link, trace });
  const sim = cluster.sim;
  const prng = Prng.fromSeed((seed ^ 0x10ad) >>> 0);
  type Timed = { at: number; run: () => void };
  const timed: Timed[] = [];
  for (let c = 1; c <= config.clients; c++) {
    const client = `c${c}`;
    const commands = Array.from({ length: config.commands }, () => drawCommand(prng, config.stateMachine));
    cluster.addClient(client, commands);
    const node = prng.pick(plan.members);
    timed.push({ at: prng.int(0, CLIENT_START_WINDOW_MS), run: () => cluster.startNext(client, node) });
  }
  const restart = (node: NodeId): void => sim.restart(node);
  for (const { at, action } of plan.actions) {
    // Churn (below) may have taken a node down or brought it back first: skip what no longer applies.
    timed.push({ at, run: () => { if (actionStillApplies(sim, action)) applyAction(sim, action, restart); } });
  }
  const strands = config.faults === 'crash-restart' || config.faults === 'all' ? addChurn(timed, cluster, plan, prng) : undefined;
  timed.sort((a, b) => a.at - b.at); // stable: client starts before faults at the same instant

  let stop: RunStop = 'time';
  // Churn pushes its restarts while the loop runs, so take the earliest pending item each time.
  while (timed.length > 0) {
    const { at, run } = timed.shift() as { at: number; run: () => void };
    stop = cluster.runUntil(at);
    if (stop === 'step-limit') break;
    run();
  }
  if (stop !== 'step-limit') stop = cluster.runUntil(plan.safetyMs);
  if (stop !== 'step-limit') {
    if (plan.safetyMs > 0) {
      sim.note('liveness phase: the network heals and nodes come back');
      strands?.releaseAll(); // the strands' held messages are part of the healed network
      healForLiveness(sim, plan, restart);
    }
    stop = cluster.runUntil(plan.safetyMs + budgetMs, () => cluster.allAnswered());
  }
  const record = cluster.record(reproduceLogCommand(config, seed), stop !== 'step-limit');
  const violations = checkLogRun(record);
  const committed = new Set(cluster.applies.filter((a) => a.outcome === 'applied').map((a) => a.key)).size;
  const leaderElections = sim.trace.filter((e) => e.kind === 'role' && e.role === 'leader').length;
  const answered = cluster.history.filter((op) => op.return !== undefined);
  const busyMs =
    answered.length === cluster.history.length && answered.length > 0
      ? Math.max(...answered.map((op) => op.return as number)) - Math.min(...cluster.history.map((op) => op.call))
      : undefined;
  return { seed, plan, cluster, record, violations, stop, committed, leaderElections, messages: sim.counters.sent, busyMs };
}

/**
 * Churn runs get a longer safety phase than the write-once plan draws (up to 12 s instead of 3):
 * Figure 8 needs four or five leaders in a row, each elected after a 300–600 ms timeout, before
 * the network heals. Measured: at ×1 and ×2 no seed of 150–300 showed it; at ×4 about 1 in 100.
 */
const CHURN_SAFETY_STRETCH = 4;

function stretchSafety(plan: FaultPlan, faults: FaultFamily): FaultPlan {
  if (faults !== 'crash-restart' && faults !== 'all') return plan;
  return { ...plan, safetyMs: plan.safetyMs * CHURN_SAFETY_STRETCH };
}

/** Churn moments are this far apart (virtual ms), drawn per gap. */
const CHURN_GAP_MS: readonly [number, number] = [40, 400];
/** A churned node is back after this long: quick reloads are what make forgotten state bite. */
const CHURN_OUTAGE_MS: readonly [number, number] = [5, 150];
/** A cut-off leader is reconnected after this long: long enough for the rest to elect another. */
const CHURN_ISOLATION_MS: readonly [number, number] = [100, 900];

/**
 * The MIT lab's Figure 8 adversary, drawn from the seed: at random moments during the safety
 * phase crash whoever leads (or, sometimes, any node), and bring it back after a short outage.
 * It reads roles as they are, so it aims at leaders with uncommitted entries; the plan's own
 * crashes still happen, and a node already down is left alone.
 */
function addChurn(timed: { at: number; run: () => void }[], cluster: LogCluster, plan: FaultPlan, prng: Prng): Strands {
  const sim = cluster.sim;
  const f = Math.floor((plan.members.length - 1) / 2);
  const strands = new Strands(sim, prng, timed);
  for (let at = prng.int(...CHURN_GAP_MS); at < plan.safetyMs; at += prng.int(...CHURN_GAP_MS)) {
    if (prng.chance(STRAND_SHARE)) {
      const isolation = prng.int(...CHURN_ISOLATION_MS);
      timed.push({ at, run: () => strands.arm(Math.min(at + isolation, plan.safetyMs)) });
      continue;
    }
    const anyNode = prng.chance(0.3);
    const isolate = prng.chance(0.4);
    const pick = prng.float();
    const companions = prng.int(0, Math.max(0, f - 1));
    const outage = prng.int(...CHURN_OUTAGE_MS);
    const isolation = prng.int(...CHURN_ISOLATION_MS);
    timed.push({
      at,
      run: () => {
        const up = sim.liveNodes().filter((n) => sim.status(n) === 'up');
        const leaders = up.filter((n) => sim.logView(n)?.role === 'leader');
        const pool = anyNode || leaders.length === 0 ? up : leaders;
        const victim = pool[Math.floor(pick * pool.length)];
        if (victim === undefined) return;
        if (isolate) {
          // Cut the leader off with a minority, so what it appends now reaches no majority
          // (messages already on the wire still arrive: a crash alone would not strand them).
          const minority = [victim, ...plan.members.filter((m) => m !== victim).slice(0, companions)];
          sim.partition([minority]);
          timed.push({ at: Math.min(at + isolation, plan.safetyMs), run: () => sim.heal() });
          timed.sort((a, b) => a.at - b.at);
          return;
        }
        sim.crash(victim);
        // Back after the outage, unless the plan restarted it meanwhile.
        sim.note(`churn: ${victim} is back in ${outage} ms`);
        const back = Math.min(at + outage, plan.safetyMs);
        timed.push({ at: back, run: () => { if (sim.status(victim) === 'down') sim.restart(victim); } });
        timed.sort((a, b) => a.at - b.at);
      },
    });
  }
  return strands;
}

/** Share of churn moments that arm a strand (below) instead of crashing or cutting off a node. */
const STRAND_SHARE = 0.35;
/** A stranded leader's new entries reach one follower with this chance, else none. */
const STRAND_ONE_COPY = 0.5;

/**
 * The Figure 8 adversary's sharpest move, aimed by what the leader does rather than by the clock:
 * once armed, the next leader that sends new entries (Raft's AppendEntries, Multi-Paxos's
 * accept) gets them to at most one follower, which may answer once; everything else it sends or
 * is sent is held until the strand ends, when the held messages are dropped. Its term's entries thus sit on a
 * minority while the rest elect another leader, which is what the paper's Figure 8 needs (twice,
 * then a third leader that commits the old entry and goes the same way). It reads only messages
 * and the PRNG, so a run stays a pure function of its seed.
 */
class Strands {
  private armedUntil: number[] = [];
  /** Stranded node → the one follower that got its entries and may still answer once. */
  private readonly active = new Map<NodeId, { partner: NodeId | undefined }>();

  constructor(
    private readonly sim: LogCluster['sim'],
    private readonly prng: Prng,
    /** The run's pending actions: a strand's end goes there. */
    private readonly timed: { at: number; run: () => void }[],
  ) {
    sim.setManual((from, to, message) => this.holds(from, to, message));
  }

  /** The next leader to send new entries is stranded until `until`. */
  arm(until: number): void {
    this.armedUntil.push(until);
  }

  private holds(from: NodeId, to: NodeId, message: unknown): boolean {
    const target = this.active.get(to);
    if (target !== undefined) {
      // The follower that got the entries answers once (so the leader may count it), then silence.
      if (target.partner === from) {
        target.partner = undefined;
        return false;
      }
      return true;
    }
    if (this.active.has(from)) return true;
    const until = this.armedUntil[0];
    if (until === undefined || !carriesEntries(message) || this.sim.logView(from)?.role !== 'leader') return false;
    this.armedUntil.shift();
    // This copy is the one that gets through (or, sometimes, none does).
    const through = this.prng.chance(STRAND_ONE_COPY);
    this.active.set(from, { partner: through ? to : undefined });
    this.timed.push({ at: Math.max(until, this.sim.now), run: () => this.release(from) });
    this.timed.sort((a, b) => a.at - b.at);
    return !through;
  }

  private release(node: NodeId): void {
    if (!this.active.delete(node)) return;
    for (const held of this.sim.held()) if (held.from === node || held.to === node) this.sim.drop(held.id);
  }

  /** Ends every strand (the liveness phase heals the network) and disarms. */
  releaseAll(): void {
    this.armedUntil = [];
    for (const node of [...this.active.keys()]) this.release(node);
    this.sim.setManual(false);
  }
}

/** A replication message with entries in it (Raft's appendEntries, Multi-Paxos's accept). */
function carriesEntries(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as { readonly type?: unknown; readonly entries?: unknown };
  return (m.type === 'appendEntries' || m.type === 'accept') && Array.isArray(m.entries) && m.entries.length > 0;
}

export interface LogSwarmSummary {
  readonly algorithm: string;
  readonly stateMachine: StateMachineName;
  readonly nodes: number;
  readonly clients: number;
  readonly commands: number;
  readonly faults: FaultFamily;
  readonly firstSeed: number;
  readonly runs: number;
  /** Runs with any violation. */
  readonly violationRuns: number;
  /** Runs with at least one violation, per property. */
  readonly violations: Readonly<Record<LogProperty, number>>;
  readonly notLinearizable: number;
  readonly unknownLinearizable: number;
  /** Distinct client commands applied, summed over runs. */
  readonly committed: number;
  /** Answered commands per virtual second, over runs where every command was answered. */
  readonly commandsPerVirtualSecond: number | null;
  /** Median commit latency at the leader for commands submitted there, in mean one-way message delays. */
  readonly messageDelaysPerCommand: number | null;
  readonly messagesPerCommand: number | null;
  /** Leaders elected, summed over runs. */
  readonly leaderChanges: number;
  /**
   * Log compaction, summed over runs: snapshots taken, snapshots installed from a peer (a
   * lagging node caught up by snapshot), restarts from a stored snapshot; and the runs that
   * installed or restarted from one at least once.
   */
  readonly snapshots: SnapshotCounts & { readonly runsInstalling: number; readonly runsRestarting: number };
  readonly firstFailingSeed: number | null;
  readonly firstViolation: string | null;
  readonly steps: number;
  /** What the ratios above were computed from, so summaries of seed ranges merge exactly. */
  readonly tally: LogSwarmTally;
}

export interface LogSwarmTally {
  readonly answeredInFullRuns: number;
  readonly busyMs: number;
  readonly messages: number;
  /** Sorted: commit latencies at the leader in mean one-way delays (fault-free runs). */
  readonly delays: readonly number[];
}

/** Summaries of consecutive seed ranges (e.g. one per worker thread) as one, in seed order. */
export function mergeLogSwarmSummaries(parts: readonly LogSwarmSummary[]): LogSwarmSummary {
  const sorted = [...parts].sort((a, b) => a.firstSeed - b.firstSeed);
  const first = sorted[0];
  if (first === undefined) throw new RangeError('no summaries to merge');
  const sum = (f: (s: LogSwarmSummary) => number): number => sorted.reduce((n, s) => n + f(s), 0);
  const violations = Object.fromEntries(LOG_PROPERTIES.map((p) => [p, sum((s) => s.violations[p])])) as Record<LogProperty, number>;
  const failing = sorted.find((s) => s.firstFailingSeed !== null);
  const tally: LogSwarmTally = {
    answeredInFullRuns: sum((s) => s.tally.answeredInFullRuns),
    busyMs: sum((s) => s.tally.busyMs),
    messages: sum((s) => s.tally.messages),
    delays: sorted.flatMap((s) => s.tally.delays).sort((a, b) => a - b),
  };
  const committed = sum((s) => s.committed);
  return {
    ...first,
    runs: sum((s) => s.runs),
    violationRuns: sum((s) => s.violationRuns),
    violations,
    notLinearizable: sum((s) => s.notLinearizable),
    unknownLinearizable: sum((s) => s.unknownLinearizable),
    committed,
    ...ratios(tally, committed),
    leaderChanges: sum((s) => s.leaderChanges),
    snapshots: {
      compacted: sum((s) => s.snapshots.compacted),
      installed: sum((s) => s.snapshots.installed),
      restarted: sum((s) => s.snapshots.restarted),
      runsInstalling: sum((s) => s.snapshots.runsInstalling),
      runsRestarting: sum((s) => s.snapshots.runsRestarting),
    },
    firstFailingSeed: failing?.firstFailingSeed ?? null,
    firstViolation: failing?.firstViolation ?? null,
    steps: sum((s) => s.steps),
    tally,
  };
}

function ratios(tally: LogSwarmTally, committed: number): Pick<LogSwarmSummary, 'commandsPerVirtualSecond' | 'messageDelaysPerCommand' | 'messagesPerCommand'> {
  return {
    commandsPerVirtualSecond: tally.busyMs > 0 ? Math.round((tally.answeredInFullRuns / tally.busyMs) * 1000 * 10) / 10 : null,
    messageDelaysPerCommand: percentile(tally.delays, 0.5),
    messagesPerCommand: committed > 0 ? Math.round((tally.messages / committed) * 10) / 10 : null,
  };
}

export interface LogSwarmOptions extends LogSwarmConfig {
  readonly seeds: number;
  readonly firstSeed?: number;
  readonly onRun?: (run: LogSwarmRun) => void;
  /** Linearizability of a run's client history (default: the checker with its step budget only). */
  readonly linearizable?: (run: LogSwarmRun) => true | false | 'unknown';
}

export function runLogSwarm(options: LogSwarmOptions): LogSwarmSummary {
  validateLogSwarmConfig(options);
  const firstSeed = options.firstSeed ?? 1;
  const perProperty = Object.fromEntries(LOG_PROPERTIES.map((p) => [p, 0])) as Record<LogProperty, number>;
  let violationRuns = 0;
  let notLinearizable = 0;
  let unknownLinearizable = 0;
  let committed = 0;
  let answeredInFullRuns = 0;
  let busyMs = 0;
  let messages = 0;
  let leaderChanges = 0;
  const snapshots = { compacted: 0, installed: 0, restarted: 0, runsInstalling: 0, runsRestarting: 0 };
  let steps = 0;
  const delays: number[] = [];
  let firstFailingSeed: number | null = null;
  let firstViolation: string | null = null;
  for (let seed = firstSeed; seed < firstSeed + options.seeds; seed++) {
    const run = runLogSeed(options, seed);
    steps += run.cluster.sim.steps;
    committed += run.committed;
    messages += run.messages;
    leaderChanges += run.leaderElections;
    const counts = run.cluster.snapshots;
    snapshots.compacted += counts.compacted;
    snapshots.installed += counts.installed;
    snapshots.restarted += counts.restarted;
    if (counts.installed > 0) snapshots.runsInstalling++;
    if (counts.restarted > 0) snapshots.runsRestarting++;
    if (run.busyMs !== undefined && run.busyMs > 0) {
      answeredInFullRuns += run.cluster.history.length;
      busyMs += run.busyMs;
    }
    const meanDelay = (run.plan.link.minDelayMs + run.plan.link.maxDelayMs) / 2;
    if (options.faults === 'none' && meanDelay > 0) for (const ms of run.cluster.leaderLatencies) delays.push(ms / meanDelay);
    const lin = options.linearizable === undefined ? run.cluster.linearizable() : options.linearizable(run);
    if (lin === false) notLinearizable++;
    if (lin === 'unknown') unknownLinearizable++;
    for (const p of new Set(run.violations.map((v) => v.property))) perProperty[p]++;
    const failed = run.violations.length > 0 || lin === false;
    if (failed) {
      violationRuns++;
      if (firstFailingSeed === null) {
        firstFailingSeed = seed;
        firstViolation = run.violations[0]?.message ?? `the client history of seed ${seed} is not linearizable. Reproduce: ${run.record.reproduce}`;
      }
    }
    options.onRun?.(run);
  }
  delays.sort((a, b) => a - b);
  return {
    algorithm: options.algorithm.name,
    stateMachine: options.stateMachine,
    nodes: options.nodes,
    clients: options.clients,
    commands: options.commands,
    faults: options.faults,
    firstSeed,
    runs: options.seeds,
    violationRuns,
    violations: perProperty,
    notLinearizable,
    unknownLinearizable,
    committed,
    ...ratios({ answeredInFullRuns, busyMs, messages, delays }, committed),
    leaderChanges,
    snapshots,
    firstFailingSeed,
    firstViolation,
    steps,
    tally: { answeredInFullRuns, busyMs, messages, delays },
  };
}
