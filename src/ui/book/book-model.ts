/**
 * Small pure helpers the order-book components share: how an entry, an epoch and a menu choice
 * read. Typed data in, text out; nothing here is parsed back.
 */
import { assertNever } from '../../core/assert.ts';
import { epochLabel } from '../../core/log.ts';
import type { StateMachineName } from '../../core/state-machine.ts';
import { stateMachineNamed } from '../../core/state-machines.ts';
import { orderBook, orderMinter } from '../../core/order-book.ts';
import type { Epoch, LogCommand, LogRole, LogWindowEntry, NodeId } from '../../core/types.ts';
import type { RestoreCause, StateRow } from '../../classroom/log-protocol.ts';
import { LOG_ALGORITHMS } from '../../machines/log-index.ts';
import type { LogAlgorithmName } from '../../machines/spec.ts';

export const STATE_MACHINE_TITLES: Readonly<Record<StateMachineName, string>> = {
  orders: 'Order book',
  register: 'Register',
};

/** One entry of the teacher's menu: a state machine replicated by one log algorithm. */
export interface BookChoice {
  readonly key: string;
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  readonly label: string;
  readonly broken: boolean;
}

/** "Order book — Raft", "Register — Raft"… for every registered log algorithm, safe ones first. */
export function bookChoices(algorithms: readonly LogAlgorithmName[]): BookChoice[] {
  const choices: BookChoice[] = [];
  const ordered = [...algorithms].sort((a, b) => Number(LOG_ALGORITHMS[a].broken) - Number(LOG_ALGORITHMS[b].broken));
  for (const stateMachine of ['orders', 'register'] as const) {
    for (const algorithm of ordered) {
      const spec = LOG_ALGORITHMS[algorithm];
      choices.push({
        key: `${stateMachine}:${algorithm}`,
        algorithm,
        stateMachine,
        label: `${STATE_MACHINE_TITLES[stateMachine]} — ${spec.label}`,
        broken: spec.broken,
      });
    }
  }
  return choices;
}

export function epochText(epoch: Epoch): string {
  return epochLabel(epoch);
}

/** "place A (book)", "ship A", "no-op": an entry as the projector shows it. */
/**
 * Where a replica's state came from, in words for its tile: its own stored snapshot when its
 * tab reopened, or a snapshot a peer sent because it lagged behind the peer's compacted log.
 */
export function restoreText(restored: NonNullable<ReplicaTileData['restored']>): string {
  const entries = `entries 1–${restored.index.toLocaleString('en-US')}`;
  switch (restored.cause) {
    case 'restart':
      return `restarted from its own stored snapshot (${entries})`;
    case 'install':
      return `installed a snapshot a peer sent (${entries})`;
    case undefined:
      return `restored from a snapshot (${entries})`;
    default:
      return assertNever(restored.cause, 'restore cause');
  }
}

export function entryText(stateMachine: StateMachineName, command: LogCommand, orderName: OrderName = plainOrderId): string {
  return command.kind === 'noop' ? 'no-op' : commandText(stateMachine, command.command, orderName);
}

/** How a page names an order id (orderNamer): "Ada #4" rather than "k3v9q2ab-4". */
export type OrderName = (order: string) => string;

export const plainOrderId: OrderName = (order) => order;

/**
 * A state machine command as text, its order ids named by `orderName` (order commands only;
 * the id itself stays what the log and the tests use).
 */
export function commandText(stateMachine: StateMachineName, raw: unknown, orderName: OrderName = plainOrderId): string {
  if (stateMachine === 'orders') {
    const parsed = orderBook.parseCommand(raw);
    return parsed === undefined ? 'unreadable command' : orderBook.describe({ ...parsed, order: orderName(parsed.order) });
  }
  const machine = stateMachineNamed(stateMachine) as { parseCommand(raw: unknown): unknown; describe(c: unknown): string };
  const parsed = machine.parseCommand(raw);
  return parsed === undefined ? 'unreadable command' : machine.describe(parsed);
}

/**
 * Names order ids a phone minted after the phone's student, "Ada #4" (mintOrderId: the id
 * starts with the phone's node id), so a projector and a phone read whose order is whose; any
 * other id (a scenario's "A", a member no longer in the book) reads as itself.
 */
export function orderNamer(members: readonly NodeId[], nameOf: (member: NodeId) => string): OrderName {
  const mintedBy = orderMinter(members);
  return (order) => {
    const minted = mintedBy(order);
    return minted === undefined ? order : `${nameOf(minted.member)} #${minted.seq}`;
  };
}

/**
 * What one replica tile shows (ReplicaTile.svelte): a live member's report (LogReport) and a
 * solo-mode node (solo-log.ts) both have this shape, so the projector and solo mode share the tile.
 */
export interface ReplicaTileData {
  readonly role: LogRole;
  readonly epoch: Epoch;
  readonly commitIndex: number;
  readonly applied: number;
  readonly lastIndex: number;
  /** Entries 1 … snapshotIndex are compacted into a snapshot (absent or 0: none). */
  readonly snapshotIndex?: number | undefined;
  /** Its state was restored from a snapshot of 1 … index, and why (live replicas; see restoreText). */
  readonly restored?: { readonly index: number; readonly cause?: RestoreCause | undefined } | undefined;
  readonly listenOnly: boolean;
  readonly window: readonly LogWindowEntry[];
  readonly stateDigest: string;
  readonly stateSize: number;
  readonly rows: readonly StateRow[];
}
