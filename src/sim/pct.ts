/**
 * PCT-style priority scheduling of message deliveries, for the simulator and the swarm.
 *
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with Probabilistic
 * Guarantees of Finding Bugs", ASPLOS 2010) gives every thread a random priority, always runs the
 * highest-priority thread that can run, and at d − 1 randomly chosen steps drops the priority of
 * the thread that just ran below every other. A bug that needs d ordering constraints is then
 * found with probability at least 1 / (n · k^(d−1)) per run, whereas uniform random delays, like
 * the swarm's, find deep interleavings ever more rarely.
 *
 * The "threads" here are message chains, as in PCT's adaptations to message passing (Ozkan et al.,
 * "Randomized Testing of Distributed Systems with Probabilistic Guarantees", OOPSLA 2018): every
 * message of one kind on one directed link, e.g. all accepts n1 → n3. A Paxos bug is an order of
 * such chains (n1's accept reaches n3 only after n2's prepare did; n3's accepted reaches n1 only
 * after n1's next ballot began). On virtual time "runs first" becomes "arrives first": a chain's
 * priority sets the delay of every message on it, geometrically from `fastMs` (highest) to
 * `slowMs` (lowest), so most chains are fast and a few lag far behind. Each chain's priority is
 * drawn, uniformly, the first time it carries a message (the simulator does not know an
 * algorithm's message kinds in advance). The change points are send counts: when the k-th message
 * of the run is sent, its chain drops below every other chain (later change points lower still),
 * so the chain that was carrying the protocol forward suddenly lags.
 *
 * `slowMs` lies above the retransmission period, so a slow chain also delivers retransmitted
 * copies of a message it delivered late (a repeated promise) and messages of overtaken ballots:
 * the situations the swarm's 1–70 ms uniform delays almost never produce.
 *
 * Everything is drawn from the seed (a stream of its own), so a PCT run replays like any other.
 */
import { Prng } from '../core/prng.ts';
import type { NodeId } from '../core/types.ts';
import type { DeliverySchedule } from './simulator.ts';

/** Largest PCT depth d drawn per run (d − 1 change points). */
export const PCT_MAX_DEPTH = 4;
/**
 * Change points fall among the first this-many messages per member: a Paxos ballot sends about
 * 2n + n² messages, so this covers the first few ballots, where proposers race.
 */
const CHANGE_POINT_MESSAGES_PER_MEMBER = 12;
/** The fastest chain delivers in 1–5 ms (a LAN hop). */
const MAX_FAST_MS = 5;
/** The slowest chain takes this many retransmission periods, so a retransmission overtakes the original. */
const SLOWEST_IN_PERIODS: readonly [number, number] = [1.5, 4];

export interface PctPlan {
  /** PCT's depth d: d − 1 change points. */
  readonly depth: number;
  /** Send counts (1-based, ascending) at which the sending chain drops below every other. */
  readonly changePoints: readonly number[];
  /** Delay of the highest-priority chain. */
  readonly fastMs: number;
  /** Delay of the lowest initial priority; demoted chains take longer still. */
  readonly slowMs: number;
  /** Seed of the chain priorities, drawn as chains appear. */
  readonly prioritySeed: number;
}

/** Draws one run's PCT plan from `seed` (independent of the fault plan's draws). */
export function planPct(members: readonly NodeId[], seed: number, retransmitMs: number): PctPlan {
  const prng = Prng.fromSeed((seed ^ 0x9c7f00d5) >>> 0);
  const depth = prng.int(1, PCT_MAX_DEPTH);
  const horizon = CHANGE_POINT_MESSAGES_PER_MEMBER * members.length;
  const points = new Set<number>();
  while (points.size < Math.min(depth - 1, horizon)) points.add(prng.int(1, horizon));
  const fastMs = prng.int(1, MAX_FAST_MS);
  const [low, high] = SLOWEST_IN_PERIODS;
  const slowMs = Math.max(fastMs + 1, Math.round(retransmitMs * (low + prng.float() * (high - low))));
  return { depth, changePoints: [...points].sort((a, b) => a - b), fastMs, slowMs, prioritySeed: prng.int(0, 0xffffffff) };
}

/** The kind of a message, for chains: its `type` field when it has one. */
function kindOf(message: unknown): string {
  if (typeof message === 'object' && message !== null && 'type' in message && typeof message.type === 'string') return message.type;
  return '?';
}

/** The running schedule of one PCT plan: chain priorities appear and change as messages are sent. */
export class PctSchedule implements DeliverySchedule {
  /** Chain → priority: (0, 1] initially (1 = fastest); the i-th change point sets −i, below all. */
  private readonly priority = new Map<string, number>();
  private readonly changeAt: ReadonlyMap<number, number>;
  private readonly prng: Prng;

  constructor(readonly plan: PctPlan) {
    this.changeAt = new Map(plan.changePoints.map((sent, i) => [sent, -i]));
    this.prng = Prng.fromSeed(plan.prioritySeed);
  }

  delayMs(from: NodeId, to: NodeId, sent: number, message: unknown): number {
    const chain = `${from}\u0000${to}\u0000${kindOf(message)}`;
    let priority = this.priority.get(chain);
    if (priority === undefined) {
      priority = 1 - this.prng.float();
      this.priority.set(chain, priority);
    }
    const lowered = this.changeAt.get(sent);
    if (lowered !== undefined) {
      priority = lowered;
      this.priority.set(chain, priority);
    }
    const { fastMs, slowMs } = this.plan;
    // Initial priorities map geometrically onto [fastMs, slowMs); demoted chains queue behind them,
    // each later demotion one more retransmission-sized step behind (PCT's strict order).
    if (priority > 0) return fastMs * (slowMs / fastMs) ** (1 - priority);
    return slowMs * (1 + 0.5 * (1 - priority));
  }
}

/** One line for a replay: the depth, the delay range and where priorities change. */
export function pctPlanText(plan: PctPlan): string {
  const points =
    plan.changePoints.length === 0
      ? 'no change point'
      : `the chains of messages ${plan.changePoints.join(', ')} drop to the lowest priority`;
  return `PCT schedule (depth ${plan.depth}): chain delays ${plan.fastMs}–${plan.slowMs} ms by priority (seed ${plan.prioritySeed}); ${points}`;
}
