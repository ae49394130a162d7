/**
 * The step-by-step record of a simulated run, and how to print it for a person.
 *
 * Every entry carries the step index (one per processed event or outside action) and the virtual
 * time. Two levels of detail: `facts` keeps what the property checker needs and the outside
 * actions that explain it (starts, proposals, decisions, acceptor probes, crashes, restarts,
 * pauses, network changes, messages dropped by hand, notes) and is cheap enough for swarms of
 * thousands of runs; `full` adds every send, loss, duplicate, hold, delivery, discard at a
 * crashed receiver, timer and persist, which is what a replay shows a teacher.
 */
import { assertNever } from '../core/assert.ts';
import { committedEpoch, epochKey } from '../core/log.ts';
import { ballotLabel } from '../core/quorum.ts';
import type { ClientId } from '../core/state-machine.ts';
import type { AcceptorProbe, CommittedEntry, Epoch, LogEntryFact, LogRole, NodeId, RefusalKind, Value } from '../core/types.ts';

export type TraceLevel = 'facts' | 'full';

/** Per-link network behaviour. */
export interface LinkConfig {
  /** Each message's delay is drawn uniformly from [minDelayMs, maxDelayMs]. */
  readonly minDelayMs: number;
  /**
   * Independent delays per message are how the simulator reorders: a message sent later on the
   * same link overtakes an earlier one whenever it draws a shorter delay.
   */
  readonly maxDelayMs: number;
  /** Probability in [0, 1] that a message on this link is lost. */
  readonly loss: number;
  /** Probability in [0, 1] that a delivered message is also delivered a second time (own delay). */
  readonly duplicate: number;
}

/** Why a message never reached its receiver. */
export type LossReason = 'loss' | 'partition';
export type DiscardReason = 'receiver-down' | 'dropped-by-hand';

interface At {
  readonly step: number;
  readonly time: number;
}

export type TraceEntry =
  | (At & { readonly kind: 'start'; readonly node: NodeId; readonly incarnation: number })
  | (At & { readonly kind: 'propose'; readonly node: NodeId; readonly value: Value })
  | (At & {
      readonly kind: 'send';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
      /** Virtual time of arrival; undefined when the message is held for manual delivery. */
      readonly deliverAt: number | undefined;
    })
  | (At & {
      readonly kind: 'duplicate';
      readonly id: number;
      readonly copyOf: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly deliverAt: number;
    })
  | (At & { readonly kind: 'lose'; readonly id: number; readonly from: NodeId; readonly to: NodeId; readonly reason: LossReason })
  | (At & { readonly kind: 'hold'; readonly id: number; readonly from: NodeId; readonly to: NodeId })
  | (At & {
      readonly kind: 'deliver';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly message: unknown;
    })
  | (At & {
      readonly kind: 'discard';
      readonly id: number;
      readonly from: NodeId;
      readonly to: NodeId;
      readonly reason: DiscardReason;
    })
  | (At & { readonly kind: 'timer'; readonly node: NodeId; /** The delayed event's type, when the host knew it. */ readonly timer?: string })
  | (At & { readonly kind: 'persist'; readonly node: NodeId; readonly state: unknown })
  | (At & { readonly kind: 'decide'; readonly node: NodeId; readonly value: Value; readonly incarnation: number })
  /** `node` refused a message of `from` (a 'refused' effect): what a live tab would flag. */
  | (At & { readonly kind: 'refuse'; readonly node: NodeId; readonly from: NodeId; readonly reason: RefusalKind; readonly detail: string })
  | (At & { readonly kind: 'probe'; readonly node: NodeId; readonly incarnation: number; readonly probe: AcceptorProbe })
  | (At & { readonly kind: 'crash'; readonly node: NodeId })
  | (At & { readonly kind: 'restart'; readonly node: NodeId; readonly incarnation: number; readonly durable: boolean })
  | (At & { readonly kind: 'pause'; readonly node: NodeId })
  | (At & { readonly kind: 'resume'; readonly node: NodeId; readonly deferred: number })
  | (At & { readonly kind: 'partition'; readonly groups: readonly (readonly NodeId[])[] })
  | (At & { readonly kind: 'cut'; readonly from: NodeId; readonly to: NodeId })
  | (At & { readonly kind: 'heal' })
  | (At & {
      readonly kind: 'link';
      readonly from: NodeId | '*';
      readonly to: NodeId | '*';
      readonly config: Partial<LinkConfig>;
    })
  | (At & { readonly kind: 'note'; readonly text: string })
  // Log algorithms (kept at the facts level: the log checkers read them).
  | (At & { readonly kind: 'submit'; readonly node: NodeId; readonly client: ClientId; readonly seq: number; readonly command: unknown })
  | (At & { readonly kind: 'commit'; readonly node: NodeId; readonly incarnation: number; readonly entries: readonly CommittedEntry[] })
  | (At & {
      readonly kind: 'role';
      readonly node: NodeId;
      readonly incarnation: number;
      readonly role: LogRole;
      readonly epoch: Epoch;
      /** On becoming leader: its whole log then (leader completeness). */
      readonly log: readonly LogEntryFact[] | undefined;
      /** On becoming leader: the last index its snapshot covers (those entries are committed, not in `log`). */
      readonly snapshotIndex?: number | undefined;
    })
  /**
   * A node's state machine became a snapshot's, covering indexes 1 … `index`: installed from a
   * peer, or loaded from its own storage on a restart. Its next commit is `index + 1`. The live
   * dashboard also says 'history' where what it heard of a replica starts after its own snapshot
   * (the replica no longer keeps the commits before): nothing was restored, the checker's view starts there.
   */
  | (At & { readonly kind: 'snapshot'; readonly node: NodeId; readonly incarnation: number; readonly index: number; readonly cause: SnapshotCause });

export type TraceKind = TraceEntry['kind'];

/** Where a `snapshot` trace entry's state came from (see the entry). */
export type SnapshotCause = 'install' | 'restart' | 'history';

/** One line per entry, for a teacher reading a replay. */
export function formatEntry(entry: TraceEntry): string {
  const head = `#${String(entry.step).padStart(5)}  ${formatTime(entry.time).padStart(9)}  `;
  return head + describeEntry(entry);
}

export function formatTime(ms: number): string {
  return `${Math.round(ms * 10) / 10}ms`;
}

export function describeEntry(entry: TraceEntry): string {
  switch (entry.kind) {
    case 'start':
      return `${entry.node} starts${entry.incarnation > 0 ? ` (incarnation ${entry.incarnation})` : ''}`;
    case 'propose':
      return `${entry.node} is asked to propose "${entry.value}"`;
    case 'send':
      return entry.deliverAt === undefined
        ? `${entry.from} → ${entry.to}  msg ${entry.id} ${formatMessage(entry.message)}`
        : `${entry.from} → ${entry.to}  msg ${entry.id} ${formatMessage(entry.message)}  (arrives at ${formatTime(entry.deliverAt)})`;
    case 'duplicate':
      return `network duplicates msg ${entry.copyOf} ${entry.from} → ${entry.to} as msg ${entry.id} (arrives at ${formatTime(entry.deliverAt)})`;
    case 'lose':
      return `msg ${entry.id} ${entry.from} → ${entry.to} is lost (${entry.reason === 'partition' ? 'link is cut' : 'random loss'})`;
    case 'hold':
      return `msg ${entry.id} ${entry.from} → ${entry.to} is held for manual delivery`;
    case 'deliver':
      return `${entry.to} receives msg ${entry.id} from ${entry.from}: ${formatMessage(entry.message)}`;
    case 'discard':
      return `msg ${entry.id} ${entry.from} → ${entry.to} is discarded (${entry.reason === 'receiver-down' ? `${entry.to} is down` : 'dropped by hand'})`;
    case 'timer':
      return `${entry.node}: a timer fires`;
    case 'persist':
      return `${entry.node} persists ${formatMessage(entry.state)}`;
    case 'decide':
      return `${entry.node} DECIDES "${entry.value}"`;
    case 'refuse':
      return `${entry.node} refuses ${entry.from} (${entry.reason}): ${entry.detail}`;
    case 'probe':
      return `${entry.node} acceptor: promised ${ballotLabel(entry.probe.promised)}, accepted ${
        entry.probe.accepted === undefined
          ? '—'
          : `"${entry.probe.accepted.value}" at ${ballotLabel(entry.probe.accepted.ballot)}`
      }`;
    case 'crash':
      return `${entry.node} CRASHES (its timers and the messages in flight to it are lost)`;
    case 'restart':
      return `${entry.node} RESTARTS ${entry.durable ? 'from its persisted state' : 'with no persisted state'}`;
    case 'pause':
      return `${entry.node} is paused (a backgrounded phone)`;
    case 'resume':
      return `${entry.node} resumes (${entry.deferred} deferred event${entry.deferred === 1 ? '' : 's'} now run)`;
    case 'partition':
      return `network partitions into ${entry.groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`;
    case 'cut':
      return `link ${entry.from} → ${entry.to} is cut (one way)`;
    case 'heal':
      return 'network heals: every partition and cut is removed';
    case 'link':
      return `link ${entry.from} → ${entry.to} now ${formatLink(entry.config)}`;
    case 'note':
      return `— ${entry.text}`;
    case 'submit':
      return `${entry.node} is handed ${entry.client}#${entry.seq} ${JSON.stringify(entry.command)}`;
    case 'commit':
      return `${entry.node} COMMITS ${entry.entries.map(describeCommitted).join(', ')}`;
    case 'role':
      return `${entry.node} is ${entry.role} in ${epochText(entry.epoch)}${entry.log === undefined ? '' : ` (log of ${entry.log.length})`}`;
    case 'snapshot':
      return snapshotText(entry.node, entry.index, entry.cause);
    default:
      return assertNever(entry, 'trace entry');
  }
}

/** A snapshot entry in words: what the node's state became, and from where. */
export function snapshotText(node: NodeId, index: number, cause: SnapshotCause): string {
  switch (cause) {
    case 'install':
      return `${node} installs a snapshot of entries 1–${index}`;
    case 'restart':
      return `${node} restarts from its snapshot of entries 1–${index}`;
    case 'history':
      return `${node}'s history here starts after its snapshot of entries 1–${index}`;
    default:
      return assertNever(cause, 'snapshot cause');
  }
}

function epochText(epoch: Epoch): string {
  return epoch.kind === 'term' ? `term ${epoch.term}` : `ballot ${epoch.ballot.round}.${epoch.ballot.node}`;
}

function describeCommitted(entry: CommittedEntry): string {
  const epoch = committedEpoch(entry);
  // A write-once decision (index 1) has no epoch.
  const at = epoch === undefined ? '-' : epochKey(epoch);
  const what = entry.command.kind === 'noop' ? 'no-op' : `${entry.command.client}#${entry.command.seq} ${JSON.stringify(entry.command.command)}`;
  return `[${entry.index}] ${at} ${what}`;
}

export function formatLink(config: Partial<LinkConfig>): string {
  const parts: string[] = [];
  if (config.minDelayMs !== undefined || config.maxDelayMs !== undefined) {
    parts.push(`delay ${config.minDelayMs ?? '?'}–${config.maxDelayMs ?? '?'}ms`);
  }
  if (config.loss !== undefined) parts.push(`loss ${percent(config.loss)}`);
  if (config.duplicate !== undefined) parts.push(`duplication ${percent(config.duplicate)}`);
  return parts.join(', ');
}

function percent(p: number): string {
  return `${Math.round(p * 1000) / 10}%`;
}

/**
 * Messages are algorithm-specific plain objects: print the `type` first, then the rest as JSON
 * with ballots shortened to their label ("3.n2").
 */
export function formatMessage(message: unknown): string {
  if (typeof message !== 'object' || message === null) return JSON.stringify(message) ?? String(message);
  const record = message as Record<string, unknown>;
  const type = typeof record['type'] === 'string' ? record['type'] : undefined;
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (key !== 'type') rest[key] = value;
  const body = Object.keys(rest).length === 0 ? '' : JSON.stringify(rest, ballotReplacer);
  return type === undefined ? body : body === '' ? type : `${type} ${body}`;
}

function ballotReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const record = value as Record<string, unknown>;
    if (
      keys.length === 2 &&
      typeof record['round'] === 'number' &&
      typeof record['node'] === 'string'
    ) {
      return `${record['round']}.${record['node']}`;
    }
  }
  return value;
}
