/**
 * Solo mode without Svelte: how a `Simulation` is set up for one person at one screen, and the
 * plain snapshot the page renders after each command. The runes class (solo.svelte.ts) only
 * holds the simulation and republishes this snapshot; everything here is unit-tested on data.
 *
 * Solo mode runs the very simulator the tests and `npm run sim` use, in the page: nodes are the
 * same XState machines, time is virtual and only moves when the user steps or runs.
 */
import { assertNever } from '../core/assert.ts';
import type { NodeId, NodeView, Value } from '../core/types.ts';
import type { MemberState } from '../classroom/dashboard.ts';
import { checkProperties, type MemberObservation, type PropertyReport } from '../classroom/properties.ts';
import { COLORS } from '../classroom/scenarios.ts';
import { summarizeMessage } from '../classroom/summary.ts';
import { SOLO_MAX_HELD_SHOWN, SOLO_MAX_NODES, SOLO_MIN_NODES, SOLO_TRACE_LINES } from '../limits.ts';
import { getAlgorithm } from '../machines/index.ts';
import type { AlgorithmName } from '../machines/spec.ts';
import { Simulation, type NodeStatus } from '../sim/simulator.ts';
import { formatEntry } from '../sim/trace.ts';
import { FLP_NODES, isSoloNodeCount, isSoloSeed, MAX_SOLO_SEED, type SoloSetup } from './solo-setup.ts';
import type { FlpAlgorithm } from './solo-link.ts';

/** What the user can propose: the first three colours, one button each. */
export const SOLO_VALUES: readonly Value[] = COLORS.slice(0, 3);

// The presets live in solo-setup.ts (the router reads them without loading the simulator).
export { DEFAULT_SOLO_SETUP, isSoloNodeCount, isSoloSeed, MAX_SOLO_SEED, type SoloSetup } from './solo-setup.ts';

/** Which messages the simulator holds: none, every one, or (the FLP scene) those to one node. */
export type HoldMode = { readonly kind: 'off' } | { readonly kind: 'all' } | { readonly kind: 'to'; readonly node: NodeId };

export function newSimulation(setup: SoloSetup): Simulation {
  if (!isSoloNodeCount(setup.nodes)) {
    throw new RangeError(`solo mode runs ${SOLO_MIN_NODES}–${SOLO_MAX_NODES} nodes, got ${setup.nodes}`);
  }
  if (!isSoloSeed(setup.seed)) throw new RangeError(`a seed is an integer 0–${MAX_SOLO_SEED}, got ${setup.seed}`);
  return new Simulation({ algorithm: getAlgorithm(setup.algorithm), nodes: setup.nodes, seed: setup.seed });
}

export function applyHold(sim: Simulation, hold: HoldMode): void {
  switch (hold.kind) {
    case 'off':
      sim.setManual(false);
      return;
    case 'all':
      sim.setManual(true);
      return;
    case 'to': {
      const node = hold.node;
      sim.setManual((_from, to) => to === node);
      return;
    }
    default:
      assertNever(hold, 'hold mode');
  }
}

// ---- the FLP scene -------------------------------------------------------------------------

export { FLP_NODES } from './solo-setup.ts';
export type { FlpAlgorithm } from './solo-link.ts';
/** The undecided node both candidates are on their way to. */
export const FLP_FIFTH: NodeId = 'n5';
/** Proposers and the ally each reaches first: n3 hears red first, n4 blue. */
const FLP_CAMPS = [
  { proposer: 'n1', ally: 'n3', value: 'red' },
  { proposer: 'n2', ally: 'n4', value: 'blue' },
] as const;
/** Ordinary links are slow (40–60 ms) and each proposer's link to its ally fast, so the camps split 2–2. */
const FLP_SLOW = { minDelayMs: 40, maxDelayMs: 60 };
const FLP_FAST = { minDelayMs: 1, maxDelayMs: 1 };
/** Long enough for every vote among n1–n4 to arrive (two slow hops), short of any retry storm. */
const FLP_SETTLE_MS = 150;

/**
 * Stages the FLP scene (as tests/unit/sim/scenarios.test.ts does): n1 proposes red, n2 blue,
 * n3 and n4 each side with the first candidate they hear, and everything sent to n5 is held.
 * Four nodes sit at red 2 / blue 2; whichever candidate the user delivers to n5 first wins.
 */
export function stageFlp(algorithm: FlpAlgorithm, seed: number): { sim: Simulation; hold: HoldMode } {
  const sim = newSimulation({ algorithm, nodes: FLP_NODES, seed });
  sim.setLink('*', '*', FLP_SLOW);
  const hold: HoldMode = { kind: 'to', node: FLP_FIFTH };
  applyHold(sim, hold);
  for (const { proposer, ally } of FLP_CAMPS) {
    sim.setLink(proposer, proposer, FLP_FAST);
    sim.setLink(proposer, ally, FLP_FAST);
  }
  sim.note('FLP: two candidates are on their way to n5; you choose which arrives first');
  for (const { proposer, value } of FLP_CAMPS) sim.propose(proposer, value);
  sim.runUntil(FLP_SETTLE_MS);
  return { sim, hold };
}

// ---- the snapshot ---------------------------------------------------------------------------

export interface SoloNode {
  readonly id: NodeId;
  readonly status: NodeStatus;
  /** What NodeCard renders: view, every value this node decided (all incarnations), its proposals. */
  readonly member: MemberState;
}

export interface SoloHeld {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly kind: string;
  readonly summary: string;
}

export interface SoloSnapshot {
  readonly algorithm: AlgorithmName;
  readonly seed: number;
  readonly now: number;
  readonly steps: number;
  /** Events waiting in the simulator's queue (deliveries and timers); 0 means nothing more will happen. */
  readonly pending: number;
  readonly nodes: readonly SoloNode[];
  readonly hold: HoldMode;
  readonly heldCount: number;
  /** The oldest held messages, at most SOLO_MAX_HELD_SHOWN. */
  readonly held: readonly SoloHeld[];
  readonly trace: readonly string[];
  readonly properties: PropertyReport;
  /** A value every member decided, when they all did and agree. */
  readonly outcome: Value | undefined;
}

export function snapshotOf(sim: Simulation, hold: HoldMode): SoloSnapshot {
  const proposals = proposalsByNode(sim);
  const decisions = decisionsByNode(sim);
  const views = sim.views();
  const nodes = sim.members.map((id): SoloNode => {
    const decided = decisions.get(id);
    return {
      id,
      status: sim.status(id),
      member: {
        view: views[id],
        decidedValues: decided?.values ?? [],
        decidedAtMs: decided?.firstAt,
        proposed: proposals.get(id) ?? [],
        rejoined: false,
        lastReportAtMs: undefined,
      },
    };
  });
  const held = sim.held();
  const properties = checkProperties({
    algorithm: sim.algorithm.name,
    members: nodes.map(observationOf),
    proposed: new Set([...proposals.values()].flat()),
    startedAtMs: 0,
    nowMs: sim.now,
  });
  return {
    algorithm: sim.algorithm.name,
    seed: sim.seed,
    now: sim.now,
    steps: sim.steps,
    pending: sim.pending,
    nodes,
    hold,
    heldCount: held.length,
    held: held.slice(0, SOLO_MAX_HELD_SHOWN).map(({ id, from, to, message }) => ({ id, from, to, ...summarizeMessage(message) })),
    trace: sim.trace.slice(-SOLO_TRACE_LINES).map(formatEntry),
    properties,
    outcome: unanimousOutcome(nodes),
  };
}

/** A simulated node as the classroom's property checker sees a member. */
export function observationOf(node: SoloNode): MemberObservation {
  const view: NodeView | undefined = node.member.view;
  return {
    id: node.id,
    name: node.id,
    liveness: node.status === 'down' ? 'crashed' : 'up',
    decidedValues: node.member.decidedValues,
    decidedAtMs: node.member.decidedAtMs,
    waitingOn: view?.waitingOn ?? [],
    waitingFor: view?.waitingFor ?? 'nothing: it is down',
    tally: view?.tally ?? {},
  };
}

function unanimousOutcome(nodes: readonly SoloNode[]): Value | undefined {
  const values = new Set(nodes.flatMap((n) => n.member.decidedValues));
  const everyone = nodes.every((n) => n.member.decidedValues.length > 0);
  return everyone && values.size === 1 ? [...values][0] : undefined;
}

function proposalsByNode(sim: Simulation): Map<NodeId, Value[]> {
  const byNode = new Map<NodeId, Value[]>();
  for (const entry of sim.trace) {
    if (entry.kind !== 'propose') continue;
    const list = byNode.get(entry.node) ?? [];
    if (!list.includes(entry.value)) list.push(entry.value);
    byNode.set(entry.node, list);
  }
  return byNode;
}

/** Distinct values each node decided, across its incarnations: a restart must not hide a disagreement. */
function decisionsByNode(sim: Simulation): Map<NodeId, { values: Value[]; firstAt: number }> {
  const byNode = new Map<NodeId, { values: Value[]; firstAt: number }>();
  for (const decision of sim.decisions) {
    const seen = byNode.get(decision.node) ?? { values: [], firstAt: decision.time };
    if (!seen.values.includes(decision.value)) seen.values.push(decision.value);
    byNode.set(decision.node, seen);
  }
  return byNode;
}
