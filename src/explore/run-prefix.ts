/**
 * How a solo run got where it is, as schedule steps: what makes a counterexample found from the
 * middle of a solo run (or staged by a preset, or the FLP scene) replayable on its own by
 * `npm run sim -- --schedule FILE`, which starts from fresh nodes.
 *
 * The replay holds every message (the saved file's first step) and keeps virtual time at 0, so
 * only order matters, as in the explorer. The run's trace says, in order, every input a node
 * had: a proposal, a message delivered, a timer fired, a crash, a restart. Those become steps;
 * since the same inputs in the same order drive the machines (and their seeded PRNGs) to the same
 * states, the fresh nodes end where the solo run's nodes are, with the same messages in flight.
 *
 * Messages the solo run lost (partitions, loss, drops by hand) or that can never arrive (sent to
 * a node that crashed, or while it was down) would stay held in the replay; each is dropped at
 * the moment it died, so the held set after the prefix is what the explorer saw in flight.
 * Messages are named by sender, receiver, kind and exact payload: equal payloads on one link are
 * interchangeable, and every other field of the run (ids, times) differs in the replay.
 *
 * Plain data in, plain data out: no Node API, so the page (solo mode) and the tests share it.
 */
import { assertNever } from '../core/assert.ts';
import type { NodeId } from '../core/types.ts';
import { isRecord } from '../core/validate.ts';
import type { TraceEntry } from '../sim/trace.ts';

/** A step of the schedule format (src/sim/schedule.ts), as the file spells it. */
export type ScheduleFileStep = Readonly<Record<string, unknown>> & { readonly atMs: number; readonly do: string };

export class RunPrefixError extends Error {
  override readonly name = 'RunPrefixError';
}

interface InFlight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
}

function kindOf(message: unknown): string | undefined {
  return isRecord(message) && typeof message.type === 'string' ? message.type : undefined;
}

function messageStep(what: 'deliver' | 'drop', m: InFlight): ScheduleFileStep {
  const kind = kindOf(m.message);
  return { atMs: 0, do: what, from: m.from, to: m.to, ...(kind === undefined ? {} : { kind }), message: m.message, count: 1 };
}

/**
 * The steps, after a `hold` of everything, that rebuild the run `trace` describes. Throws
 * RunPrefixError for what a schedule cannot say (a paused node, a message made up by `inject`).
 */
export function runPrefix(trace: readonly TraceEntry[]): ScheduleFileStep[] {
  const steps: ScheduleFileStep[] = [];
  /** Messages that can still arrive, by the run's id. */
  const live = new Map<number, InFlight>();
  const down = new Set<NodeId>();
  const die = (id: number): void => {
    const m = live.get(id);
    if (m === undefined) return;
    live.delete(id);
    steps.push(messageStep('drop', m));
  };
  for (const entry of trace) {
    switch (entry.kind) {
      case 'propose':
        steps.push({ atMs: 0, do: 'propose', node: entry.node, value: entry.value });
        break;
      case 'send': {
        live.set(entry.id, { from: entry.from, to: entry.to, message: entry.message });
        // Sent to a node that is down: it never arrives (a restart is a new incarnation).
        if (down.has(entry.to)) die(entry.id);
        break;
      }
      case 'duplicate': {
        const original = live.get(entry.copyOf);
        if (original !== undefined) live.set(entry.id, original);
        break;
      }
      case 'deliver': {
        const m = live.get(entry.id);
        if (m === undefined) throw new RunPrefixError(`message ${entry.id} (${entry.from} → ${entry.to}) was delivered but never sent: a schedule cannot replay it`);
        live.delete(entry.id);
        steps.push(messageStep('deliver', m));
        break;
      }
      case 'lose':
      case 'discard':
        die(entry.id);
        break;
      case 'timer':
        steps.push({ atMs: 0, do: 'timer', node: entry.node, ...(entry.timer === undefined ? {} : { timer: entry.timer }) });
        break;
      case 'crash': {
        down.add(entry.node);
        steps.push({ atMs: 0, do: 'crash', node: entry.node });
        // What was on its way to the crashed node is discarded on arrival, even after a restart.
        for (const [id, m] of live) if (m.to === entry.node) die(id);
        break;
      }
      case 'restart':
        down.delete(entry.node);
        steps.push({ atMs: 0, do: 'restart', node: entry.node });
        break;
      case 'pause':
      case 'resume':
        throw new RunPrefixError('a paused node cannot be replayed with time held still');
      case 'submit':
      case 'snapshot':
        throw new RunPrefixError('a log algorithm\'s run is saved by the replicated log\'s own page');
      // Neither changes what a node does once every message is held and the losses are drops.
      case 'start':
      case 'hold':
      case 'persist':
      case 'decide':
      case 'refuse':
      case 'probe':
      case 'partition':
      case 'cut':
      case 'heal':
      case 'link':
      case 'note':
      case 'commit':
      case 'role':
        break;
      default:
        assertNever(entry, 'trace entry');
    }
  }
  return steps;
}
