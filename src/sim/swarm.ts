/**
 * Swarm testing: every seed draws its own fault schedule (which faults, when, on which nodes,
 * with which link parameters) from that seed, so thousands of seeds explore thousands of
 * different adversaries instead of one adversary thousands of times.
 *
 * A run has two phases:
 * 1. safety phase: proposals go out and the drawn faults happen on schedule;
 * 2. liveness phase: the network heals (partitions and cuts removed, every link back to the
 *    run's normal delays with no loss; duplication stays, it is harmless), paused
 *    nodes resume, and every down node restarts except at most f = ⌊(n−1)/2⌋ of them, keeping at
 *    least one proposer up. The run continues until every live node has decided or the budget
 *    of virtual time runs out.
 * A proposer that restarts proposes its value again, as a student who reloads the tab and
 * clicks again would: a crashed node forgets a proposal it had not yet persisted.
 *
 * A run is a pure function of (algorithm, nodes, proposers, fault family, seed, budget), which
 * is exactly what `npm run sim -- … --replay SEED` takes.
 */
import { assertNever } from '../core/assert.ts';
import { Prng } from '../core/prng.ts';
import type { NodeId, Value } from '../core/types.ts';
import type { OnceAlgorithmSpec } from '../machines/spec.ts';
import { checkRun, isSafety, type RunRecord, type Violation } from './checker.ts';
import { PctSchedule, planPct, type PctPlan } from './pct.ts';
import { DEFAULT_TIMING, nodeIds, Simulation, type RunStop } from './simulator.ts';
import type { LinkConfig, TraceLevel } from './trace.ts';

export const FAULT_FAMILIES = ['none', 'crash', 'crash-restart', 'loss', 'partition', 'all'] as const;
export type FaultFamily = (typeof FAULT_FAMILIES)[number];

export function isFaultFamily(name: string): name is FaultFamily {
  return (FAULT_FAMILIES as readonly string[]).includes(name);
}

/**
 * How message delays are chosen during the safety phase: 'random' draws each from its link's
 * uniform range (the default); 'pct' gives links PCT priorities (see pct.ts), which finds the
 * deep interleavings (a stale ballot on one acceptor, a promise delivered twice) random delays
 * almost never produce.
 */
export const SCHEDULES = ['random', 'pct'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export function isScheduleName(name: string): name is ScheduleName {
  return (SCHEDULES as readonly string[]).includes(name);
}

/**
 * A PCT run keeps its schedule at least this long, even without faults (family 'none' has no
 * safety phase): long enough for the first ballots to race and be retried under slow links.
 */
export const PCT_MIN_WINDOW_MS = 2_000;

/**
 * Virtual time the liveness phase may take after healing. Fault-free Paxos decides in well
 * under a second of virtual time here; 20 s leaves room for duelling proposers and long
 * backoffs while keeping undecided runs (the weaker algorithms) cheap to simulate.
 */
export const DEFAULT_LIVENESS_BUDGET_MS = 20_000;
/** Longest safety phase drawn: long enough for a few retransmission rounds under faults. */
const MAX_SAFETY_MS = 3_000;
/** Faults drawn "early" land in this window, while the first ballots and votes are in flight. */
const EARLY_FAULT_MS = 300;
/** Proposals are spread over this window so proposers really race. */
const PROPOSAL_WINDOW_MS = 50;

/** Candidate values, in the colours the classroom uses, then numbered ones. */
const VALUES: readonly Value[] = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'pink', 'brown', 'cyan', 'grey'];

export function proposalValue(index: number): Value {
  return VALUES[index] ?? `value-${index + 1}`;
}

export type FaultAction =
  | { readonly kind: 'crash'; readonly node: NodeId }
  | { readonly kind: 'restart'; readonly node: NodeId }
  | { readonly kind: 'pause'; readonly node: NodeId }
  | { readonly kind: 'resume'; readonly node: NodeId }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly kind: 'cut'; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'heal' }
  | { readonly kind: 'link'; readonly from: NodeId; readonly to: NodeId; readonly config: Partial<LinkConfig> };

export interface TimedAction {
  readonly at: number;
  readonly action: FaultAction;
}

export interface Proposal {
  readonly node: NodeId;
  readonly value: Value;
  readonly at: number;
}

export interface FaultPlan {
  readonly members: readonly NodeId[];
  /** Every link starts like this. */
  readonly link: LinkConfig;
  readonly proposals: readonly Proposal[];
  /** Safety-phase faults, in time order. */
  readonly actions: readonly TimedAction[];
  /** When the liveness phase begins (0: no safety phase). */
  readonly safetyMs: number;
  /** Nodes left down for the liveness phase (at most f, never every proposer). */
  readonly stayDown: readonly NodeId[];
}

export interface SwarmConfig {
  readonly algorithm: OnceAlgorithmSpec;
  readonly nodes: number;
  readonly proposers: number;
  readonly faults: FaultFamily;
  readonly budgetMs?: number;
  /** Delays during the safety phase (default 'random'). */
  readonly schedule?: ScheduleName;
}

export interface SwarmRun {
  readonly seed: number;
  readonly plan: FaultPlan;
  readonly simulation: Simulation;
  readonly record: RunRecord;
  readonly violations: readonly Violation[];
  /** Every live node decided within the budget. */
  readonly decided: boolean;
  /** Virtual time at which the last live node decided (its current incarnation's decision). */
  readonly timeToDecideMs: number | undefined;
  readonly messages: number;
  readonly stop: RunStop;
  /** The PCT plan of the safety phase, for a 'pct' schedule. */
  readonly pct?: PctPlan | undefined;
}

/** What drawing a fault plan needs of a configuration (log swarms reuse it). */
export type PlanConfig = Pick<SwarmConfig, 'nodes' | 'proposers' | 'faults' | 'budgetMs'>;

export function validateSwarmConfig(config: PlanConfig): void {
  const { nodes, proposers } = config;
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
  if (!Number.isInteger(proposers) || proposers < 1 || proposers > nodes) {
    throw new RangeError(`proposers must be an integer from 1 to the number of nodes (${nodes}), got ${proposers}`);
  }
  const budget = config.budgetMs ?? DEFAULT_LIVENESS_BUDGET_MS;
  if (!(budget > 0 && Number.isFinite(budget))) throw new RangeError(`budget must be a positive number of ms, got ${budget}`);
}

/** The command that replays `seed` of this configuration. */
export function reproduceCommand(config: SwarmConfig, seed: number): string {
  const budget = config.budgetMs ?? DEFAULT_LIVENESS_BUDGET_MS;
  return (
    `npm run sim -- --algorithm ${config.algorithm.name} --nodes ${config.nodes} --proposers ${config.proposers} ` +
    `--faults ${config.faults}${budget === DEFAULT_LIVENESS_BUDGET_MS ? '' : ` --budget-ms ${budget}`}` +
    `${config.schedule === 'pct' ? ' --schedule pct' : ''} --replay ${seed}`
  );
}

// ---- drawing a fault plan ------------------------------------------------------------------

/** Per-node busy intervals, so one node is never crashed while paused or crashed twice at once. */
class Timeline {
  private readonly busy = new Map<NodeId, Array<[number, number]>>();
  free(node: NodeId, from: number, to: number): boolean {
    return (this.busy.get(node) ?? []).every(([a, b]) => to <= a || from >= b);
  }
  take(node: NodeId, from: number, to: number): void {
    const list = this.busy.get(node) ?? [];
    list.push([from, to]);
    this.busy.set(node, list);
  }
}

export function planFaults(config: PlanConfig, seed: number): FaultPlan {
  validateSwarmConfig(config);
  const prng = Prng.fromSeed(seed);
  const members = nodeIds(config.nodes);
  const n = members.length;
  const f = Math.floor((n - 1) / 2);
  const family = config.faults;
  const proposerIds = shuffle(prng, members).slice(0, config.proposers).sort();
  const proposals = proposerIds.map((node, i) => ({ node, value: proposalValue(i), at: prng.int(0, PROPOSAL_WINDOW_MS) }));
  const minDelayMs = prng.int(1, 10);
  const link: LinkConfig = {
    minDelayMs,
    maxDelayMs: minDelayMs + prng.int(0, 60),
    loss: uses(family, 'loss') ? round3(prng.float() * 0.3) : 0,
    duplicate: uses(family, 'loss') ? round3(prng.float() * 0.15) : 0,
  };
  if (family === 'none') return { members, link, proposals, actions: [], safetyMs: 0, stayDown: [] };

  const safetyMs = prng.int(300, MAX_SAFETY_MS);
  // Half the faults strike while the first proposals are still in flight, where a fault is most
  // likely to matter; the rest anywhere in the safety phase.
  const faultTime = (): number => (prng.chance(0.5) ? prng.int(0, Math.min(EARLY_FAULT_MS, safetyMs) - 1) : prng.int(0, safetyMs - 1));
  // Outages are often short (a quick reload), sometimes long.
  const outage = (): number => (prng.chance(0.5) ? prng.int(1, 200) : prng.int(1, 1_500));
  const actions: TimedAction[] = [];
  const timeline = new Timeline();
  const add = (at: number, action: FaultAction): void => {
    actions.push({ at, action });
  };
  let stayDown: NodeId[] = [];

  if (family === 'crash') {
    // Crash-stop: up to f victims, never every proposer; they stay down for good.
    const victims = shuffle(prng, members).slice(0, prng.int(1, Math.max(1, f)));
    if (f === 0) victims.length = 0;
    if (proposerIds.every((p) => victims.includes(p))) victims.splice(victims.indexOf(proposerIds[0] as NodeId), 1);
    for (const node of victims) add(faultTime(), { kind: 'crash', node });
    stayDown = victims;
  }

  if (uses(family, 'crash-restart')) {
    // Several nodes may be down at once, even all of them: safety must hold anyway.
    const attempts = prng.int(1, 2 * n);
    for (let i = 0; i < attempts; i++) {
      const node = prng.pick(members);
      const at = faultTime();
      const untilLiveness = prng.chance(0.3);
      const back = untilLiveness ? safetyMs : Math.min(safetyMs, at + outage());
      if (!timeline.free(node, at, back + 1)) continue;
      timeline.take(node, at, back + 1);
      add(at, { kind: 'crash', node });
      if (!untilLiveness && back < safetyMs) add(back, { kind: 'restart', node });
    }
  }

  if (family === 'all') {
    const pauses = prng.int(0, n);
    for (let i = 0; i < pauses; i++) {
      const node = prng.pick(members);
      const at = faultTime();
      const until = Math.min(safetyMs, at + outage());
      if (!timeline.free(node, at, until + 1)) continue;
      timeline.take(node, at, until + 1);
      add(at, { kind: 'pause', node });
      if (until < safetyMs) add(until, { kind: 'resume', node });
    }
  }

  // Partitions and bad links need two nodes at least.
  if (uses(family, 'partition') && n >= 2) {
    const partitions = prng.int(1, 4);
    for (let i = 0; i < partitions; i++) {
      const at = faultTime();
      if (prng.chance(0.3)) {
        const from = prng.pick(members);
        const to = prng.pick(members.filter((m) => m !== from));
        add(at, { kind: 'cut', from, to });
      } else {
        add(at, { kind: 'partition', groups: splitGroups(prng, members) });
      }
      const healAt = prng.int(at, safetyMs);
      if (healAt < safetyMs) add(healAt, { kind: 'heal' });
    }
  }

  if (uses(family, 'loss') && n >= 2) {
    // A few links turn bad mid-run: very lossy, slow, or duplicating.
    const changes = prng.int(0, n);
    for (let i = 0; i < changes; i++) {
      const from = prng.pick(members);
      const to = prng.pick(members.filter((m) => m !== from));
      const slow = prng.int(0, 200);
      add(faultTime(), {
        kind: 'link',
        from,
        to,
        config: { loss: round3(0.3 + prng.float() * 0.7), duplicate: round3(prng.float() * 0.3), minDelayMs: slow, maxDelayMs: slow + prng.int(0, 200) },
      });
    }
  }

  if (family === 'crash-restart' || family === 'all') stayDown = chooseStayDown(prng, actions, f, proposerIds);

  actions.sort((a, b) => a.at - b.at);
  return { members, link, proposals, actions, safetyMs, stayDown };
}

/** Of the nodes still down when the safety phase ends, up to f stay down, never every proposer. */
function chooseStayDown(prng: Prng, actions: readonly TimedAction[], f: number, proposers: readonly NodeId[]): NodeId[] {
  const downAtEnd = new Set<NodeId>();
  for (const { action } of [...actions].sort((a, b) => a.at - b.at)) {
    if (action.kind === 'crash') downAtEnd.add(action.node);
    if (action.kind === 'restart') downAtEnd.delete(action.node);
  }
  const stay = shuffle(prng, [...downAtEnd].sort()).slice(0, prng.int(0, f));
  if (proposers.every((p) => stay.includes(p))) stay.splice(stay.indexOf(proposers[0] as NodeId), 1);
  return stay.sort();
}

function uses(family: FaultFamily, fault: 'loss' | 'partition' | 'crash-restart'): boolean {
  return family === fault || family === 'all';
}

function splitGroups(prng: Prng, members: readonly NodeId[]): NodeId[][] {
  const shuffled = shuffle(prng, members);
  const groupCount = members.length >= 4 && prng.chance(0.25) ? 3 : 2;
  const cuts = new Set<number>();
  while (cuts.size < groupCount - 1) cuts.add(prng.int(1, members.length - 1));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), members.length];
  const groups: NodeId[][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) groups.push(shuffled.slice(bounds[i], bounds[i + 1]).sort());
  return groups;
}

function shuffle<T>(prng: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---- running one seed ----------------------------------------------------------------------

export function runSeed(config: SwarmConfig, seed: number, trace: TraceLevel = 'facts'): SwarmRun {
  const plan = planFaults(config, seed);
  const budgetMs = config.budgetMs ?? DEFAULT_LIVENESS_BUDGET_MS;
  const pct = config.schedule === 'pct' ? planPct(plan.members, seed, DEFAULT_TIMING.retransmitMs) : undefined;
  const schedule = pct === undefined ? undefined : new PctSchedule(pct);
  const sim = new Simulation({ algorithm: config.algorithm, nodes: plan.members, seed, link: plan.link, trace, schedule });
  // The PCT schedule lasts the safety phase, and at least PCT_MIN_WINDOW_MS.
  const safetyEnd = pct === undefined ? plan.safetyMs : Math.max(plan.safetyMs, PCT_MIN_WINDOW_MS);
  const proposalOf = new Map(plan.proposals.map((p) => [p.node, p]));
  for (const proposal of plan.proposals) sim.propose(proposal.node, proposal.value, proposal.at);
  // A proposer that comes back asks again (once its first proposal was due).
  const restart = (node: NodeId): void => {
    sim.restart(node);
    const proposal = proposalOf.get(node);
    if (proposal !== undefined && sim.now >= proposal.at) sim.propose(node, proposal.value);
  };

  let stop: RunStop = 'time';
  for (const { at, action } of plan.actions) {
    stop = sim.runUntil(at);
    if (stop === 'step-limit') break;
    applyAction(sim, action, restart);
  }
  if (stop !== 'step-limit') stop = sim.runUntil(safetyEnd);

  if (stop !== 'step-limit') {
    if (safetyEnd > 0) {
      sim.note(`liveness phase: the network heals; ${plan.stayDown.length === 0 ? 'every node is up' : `${plan.stayDown.join(', ')} stay${plan.stayDown.length === 1 ? 's' : ''} down`}`);
      // Back to the links' own delays: the PCT schedule is an adversary of the safety phase only.
      if (schedule !== undefined) sim.setSchedule(undefined);
      healForLiveness(sim, plan, restart);
    }
    stop = sim.runUntil((s) => s.allLiveDecided(), { maxTime: safetyEnd + budgetMs });
  }
  const decided = stop === 'predicate';
  const record: RunRecord = {
    seed,
    members: plan.members,
    trace: sim.trace,
    liveness: { healedAt: safetyEnd, budgetMs, endedAt: sim.now, endStep: sim.steps },
    reproduce: reproduceCommand(config, seed),
  };
  return {
    seed,
    plan,
    simulation: sim,
    record,
    violations: checkRun(record),
    decided,
    timeToDecideMs: decided ? sim.allLiveDecidedAt() : undefined,
    messages: sim.counters.sent,
    stop,
    pct,
  };
}

/**
 * The start of the liveness phase, the same for write-once and log swarms: partitions and cuts
 * removed, degraded links back to the plan's normal link with no loss, paused nodes resumed,
 * and every down node restarted except the plan's `stayDown`.
 */
export function healForLiveness(
  sim: Pick<Simulation<unknown, unknown, never>, 'heal' | 'setLink' | 'status' | 'resume'>,
  plan: FaultPlan,
  restart: (node: NodeId) => void,
): void {
  sim.heal();
  if (plan.link.loss > 0 || plan.actions.some((a) => a.action.kind === 'link')) sim.setLink('*', '*', { ...plan.link, loss: 0 });
  for (const node of plan.members) {
    const status = sim.status(node);
    if (status === 'paused') sim.resume(node);
    if (status === 'down' && !plan.stayDown.includes(node)) restart(node);
  }
}

/**
 * Whether a planned action still makes sense when its moment comes: a swarm whose own adversary
 * also crashes and restarts nodes (the log swarm's churn) skips what no longer applies.
 */
export function actionStillApplies(sim: Pick<Simulation<unknown, unknown, never>, 'status'>, action: FaultAction): boolean {
  switch (action.kind) {
    case 'crash':
    case 'pause':
      return sim.status(action.node) === 'up';
    case 'restart':
      return sim.status(action.node) === 'down';
    case 'resume':
      return sim.status(action.node) === 'paused';
    // The network's shape applies whoever is up.
    case 'partition':
    case 'cut':
    case 'heal':
    case 'link':
      return true;
    default:
      return assertNever(action, 'fault action');
  }
}

export function applyAction(sim: Pick<Simulation, 'crash' | 'pause' | 'resume' | 'partition' | 'cut' | 'heal' | 'setLink'>, action: FaultAction, restart: (node: NodeId) => void): void {
  switch (action.kind) {
    case 'crash':
      sim.crash(action.node);
      return;
    case 'restart':
      restart(action.node);
      return;
    case 'pause':
      sim.pause(action.node);
      return;
    case 'resume':
      sim.resume(action.node);
      return;
    case 'partition':
      sim.partition(action.groups);
      return;
    case 'cut':
      sim.cut(action.from, action.to);
      return;
    case 'heal':
      sim.heal();
      return;
    case 'link':
      sim.setLink(action.from, action.to, action.config);
      return;
    default:
      assertNever(action, 'fault action');
  }
}

// ---- many seeds ----------------------------------------------------------------------------

export interface SwarmSummary {
  readonly algorithm: string;
  readonly nodes: number;
  readonly proposers: number;
  readonly faults: FaultFamily;
  readonly firstSeed: number;
  readonly runs: number;
  /** Runs in which every live node decided within the budget. */
  readonly decided: number;
  readonly undecided: number;
  /** Runs with at least one violation of each property. */
  readonly agreementViolations: number;
  readonly validityViolations: number;
  readonly paxosInvariantViolations: number;
  readonly medianTimeToDecideMs: number | null;
  readonly p99TimeToDecideMs: number | null;
  /** Messages sent per decided run, on average (until every live node had decided). */
  readonly messagesPerDecision: number | null;
  /** First seed with any violation, termination included. */
  readonly firstFailingSeed: number | null;
  /** First seed with a safety violation. */
  readonly firstSafetyFailingSeed: number | null;
  /** Message of the first violation of the first failing seed (it carries the replay command). */
  readonly firstViolation: string | null;
  readonly steps: number;
  readonly simulatedMessages: number;
  /** Present for a 'pct' schedule (absent: random delays). */
  readonly schedule?: 'pct';
}

export interface SwarmOptions extends SwarmConfig {
  readonly seeds: number;
  readonly firstSeed?: number;
  /** Called after each run (progress, collecting failures). */
  readonly onRun?: (run: SwarmRun) => void;
}

export function runSwarm(options: SwarmOptions): SwarmSummary {
  validateSwarmConfig(options);
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new RangeError(`seeds must be a positive integer, got ${options.seeds}`);
  const firstSeed = options.firstSeed ?? 1;
  const times: number[] = [];
  let decided = 0;
  let agreement = 0;
  let validity = 0;
  let invariants = 0;
  let messagesWhenDecided = 0;
  let firstFailingSeed: number | null = null;
  let firstSafetyFailingSeed: number | null = null;
  let firstViolation: string | null = null;
  let steps = 0;
  let simulatedMessages = 0;
  for (let seed = firstSeed; seed < firstSeed + options.seeds; seed++) {
    const run = runSeed(options, seed);
    steps += run.simulation.steps;
    simulatedMessages += run.messages;
    if (run.decided) {
      decided++;
      times.push(run.timeToDecideMs as number);
      messagesWhenDecided += run.messages;
    }
    const properties = new Set(run.violations.map((v) => v.property));
    if (properties.has('agreement')) agreement++;
    if (properties.has('validity')) validity++;
    if (properties.has('promise-monotonic') || properties.has('accepted-within-promise') || properties.has('one-value-per-ballot')) invariants++;
    if (run.violations.length > 0 && firstFailingSeed === null) {
      firstFailingSeed = seed;
      firstViolation = (run.violations.find((v) => isSafety(v.property)) ?? run.violations[0])?.message ?? null;
    }
    if (firstSafetyFailingSeed === null && run.violations.some((v) => isSafety(v.property))) firstSafetyFailingSeed = seed;
    options.onRun?.(run);
  }
  times.sort((a, b) => a - b);
  return {
    algorithm: options.algorithm.name,
    nodes: options.nodes,
    proposers: options.proposers,
    faults: options.faults,
    firstSeed,
    runs: options.seeds,
    decided,
    undecided: options.seeds - decided,
    agreementViolations: agreement,
    validityViolations: validity,
    paxosInvariantViolations: invariants,
    medianTimeToDecideMs: percentile(times, 0.5),
    p99TimeToDecideMs: percentile(times, 0.99),
    messagesPerDecision: decided === 0 ? null : Math.round((messagesWhenDecided / decided) * 10) / 10,
    firstFailingSeed,
    firstSafetyFailingSeed,
    firstViolation,
    steps,
    simulatedMessages,
    ...(options.schedule === 'pct' ? { schedule: 'pct' as const } : {}),
  };
}

/** Nearest-rank percentile of sorted values, rounded to 0.1 ms. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round((sorted[rank] as number) * 10) / 10;
}
