/**
 * One member's node of one decision, running in a student's tab: a write-once algorithm is a
 * log of length one, so this is the one live host of a machine (MachineHost: start, clock,
 * persist-before-reply, the write turn of a `persistPerTurn` algorithm, refusals, reports) plus
 * what is a decision's own: its storage adapter (the bare-JSON StoredNode, rewritten whole per
 * write, the same bytes as before the one contract), the values it was asked to propose, and
 * "the commit of index 1 is the decision" (a fact of the step that made it).
 * Closing the tab is a crash; opening it again restarts this node from what it persisted.
 */
import type { PersistOp, Value } from '../core/types.ts';
import { isBoundedArray, isBoundedString, isRecord, type UnknownRecord } from '../core/validate.ts';
import { hardStateOf, onceDurable } from '../core/write-once.ts';
import type { OnceAlgorithmSpec } from '../machines/spec.ts';
import { MAX_FEED_ENTRIES_PER_REPORT, MAX_VALUE_LENGTH, REPORT_INTERVAL_MS_PER_MEMBER } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import { parseAnnouncement, type DecisionAnnouncement } from './protocol.ts';
import { MachineHost, type MachineStorage } from './machine-host.ts';
import { startingDurable, UNREADABLE_DURABLE, type NodeHostOptions } from './node-host.ts';
import type { DurableStore } from './storage.ts';

/** What a tab stores per decision it is a member of. */
export interface StoredNode {
  /** STORED_NODE_VERSION when written by this code; absent in entries written before it existed (version 0, migrated on load). */
  readonly version?: number | undefined;
  readonly decision: DecisionAnnouncement;
  /**
   * The algorithm's durable state, exactly as its last `persistLog` effect's `hard` op gave it: the
   * same bytes as before the one contract (the machine gets it wrapped as its log's `hard`).
   */
  readonly durable: unknown;
  readonly proposed: readonly Value[];
  /** Its entry was once found unreadable: it stays listen-only for good (durable is then UNREADABLE_DURABLE). */
  readonly storage?: 'unreadable' | undefined;
}

/**
 * Layout of a stored node. Older layouts are migrated on load (MIGRATIONS); an entry of a newer
 * version than this code knows is unreadable: this code cannot vouch for it.
 */
export const STORED_NODE_VERSION = 1;

/**
 * One migration per older layout, lifting an entry of version k to k + 1 (undefined: the entry is
 * not a valid version-k entry, so it is unreadable). Applied in order on load, so a returning
 * student whose tab stored an older layout keeps its promises and votes after an upgrade instead
 * of being made listen-only. Bumping STORED_NODE_VERSION means adding the step from the previous
 * version here (and a test with a stored blob of that version).
 */
const MIGRATIONS: Readonly<Record<number, (raw: UnknownRecord) => UnknownRecord | undefined>> = {
  // Version 0: entries written before the layout had a version (and before the listen-only
  // mark existed), `{decision, durable, proposed}`. The same fields, so only the version is new;
  // a version-0 entry that carries a mark was not written by that code.
  0: (raw) => (raw.storage === undefined ? { ...raw, version: 1 } : undefined),
};

/** The stored entry lifted to STORED_NODE_VERSION, or undefined if it cannot be. */
export function migrateStoredNode(raw: UnknownRecord): UnknownRecord | undefined {
  const version = raw.version ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > STORED_NODE_VERSION) return undefined;
  let entry: UnknownRecord | undefined = raw;
  for (let v = version; v < STORED_NODE_VERSION && entry !== undefined; v++) {
    const step = MIGRATIONS[v];
    entry = step === undefined ? undefined : step(entry);
  }
  return entry;
}

/** What a node whose stored entry is unreadable starts from (listen-only): see node-host.ts. */
export { UNREADABLE_DURABLE } from './node-host.ts';

/** A stored node read back: absent (a first start), unreadable (listen-only), or the node. */
export type StoredNodeRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'ok'; readonly node: StoredNode };

export const NODE_KEY_PREFIX = 'node:';

export function nodeKey(decisionId: string): string {
  return NODE_KEY_PREFIX + decisionId;
}

/** Reads a stored node back, or undefined if absent or not something we wrote. */
export function loadStoredNode(store: DurableStore, key: string): StoredNode | undefined {
  const read = readStoredNode(store, key);
  return read.kind === 'ok' ? read.node : undefined;
}

/**
 * Reads a stored node back, telling "never written" from "written but unreadable" (bad JSON, wrong
 * shape, another version, another decision's entry under this key): only the first is a fresh start.
 */
export function readStoredNode(store: DurableStore, key: string, expectedId?: string): StoredNodeRead {
  if (!store.exists(key)) return { kind: 'absent' };
  const loaded = store.load(key);
  if (!isRecord(loaded)) return { kind: 'unreadable' };
  const raw = migrateStoredNode(loaded);
  if (raw === undefined) return { kind: 'unreadable' };
  const decision = parseAnnouncement(raw.decision);
  const isValue = (v: unknown): v is Value => isBoundedString(v, MAX_VALUE_LENGTH);
  if (decision === undefined || !isBoundedArray(raw.proposed, MAX_FEED_ENTRIES_PER_REPORT, isValue)) return { kind: 'unreadable' };
  if (expectedId !== undefined && decision.id !== expectedId) return { kind: 'unreadable' };
  if (raw.storage !== undefined && raw.storage !== 'unreadable') return { kind: 'unreadable' };
  if (raw.storage === 'unreadable') {
    return { kind: 'ok', node: { version: STORED_NODE_VERSION, decision, durable: UNREADABLE_DURABLE, proposed: raw.proposed, storage: 'unreadable' } };
  }
  return { kind: 'ok', node: { version: STORED_NODE_VERSION, decision, durable: raw.durable, proposed: raw.proposed } };
}

export interface LiveNodeOptions extends NodeHostOptions {
  readonly decision: DecisionAnnouncement;
  readonly spec: OnceAlgorithmSpec;
}

/**
 * A decision's storage adapter: its StoredNode under nodeKey, rewritten whole on each write. A
 * write-once machine persists one `hard` op per step, stored as is (`durable`).
 */
class StoredNodeFile implements MachineStorage {
  constructor(
    private readonly store: DurableStore,
    private readonly key: string,
    public stored: StoredNode,
  ) {}

  write(ops: readonly PersistOp<unknown, unknown>[]): boolean {
    return this.save({ ...this.stored, durable: hardStateOf(ops) });
  }

  /**
   * Writes `next`; false if the store threw (quota, storage disabled). On failure nothing
   * changes in memory either: the node never acts on state it could not keep.
   */
  save(next: StoredNode): boolean {
    try {
      this.store.save(this.key, next);
    } catch {
      return false;
    }
    this.stored = next;
    return true;
  }
}

/** What a node starts from for each kind of stored read. */
function storedFrom(previous: StoredNodeRead, decision: DecisionAnnouncement): StoredNode {
  if (previous.kind === 'ok') return previous.node;
  // Unreadable: not written back yet; the unreadable entry stays as evidence until this node has
  // something of its own to store (its first write keeps the listen-only mark).
  if (previous.kind === 'unreadable') return { version: STORED_NODE_VERSION, decision, durable: UNREADABLE_DURABLE, proposed: [], storage: 'unreadable' };
  return { version: STORED_NODE_VERSION, decision, durable: undefined, proposed: [] };
}

export class LiveNode extends MachineHost {
  private readonly file: StoredNodeFile;
  /** The decision's members as a set: asked of every inbound message, so O(1) rather than a scan of the room. */
  private readonly memberSet: ReadonlySet<PeerId>;

  constructor(private readonly options: LiveNodeOptions) {
    const key = nodeKey(options.decision.id);
    const previous = readStoredNode(options.store, key, options.decision.id);
    // What the machine starts from, as the report tells it (a replay starts the same machine so).
    const startDurable = startingDurable(previous.kind === 'ok' ? { kind: 'ok', durable: previous.node.durable } : previous);
    const file = new StoredNodeFile(options.store, key, storedFrom(previous, options.decision));
    super(options, {
      spec: options.spec,
      members: options.decision.members,
      storage: file,
      commitIsDecision: true,
      report: {
        start: { timing: options.timing, ...(startDurable !== undefined ? { durable: startDurable } : {}) },
        restarted: previous.kind !== 'absent',
        minIntervalMs: REPORT_INTERVAL_MS_PER_MEMBER * options.decision.members.length,
        after: (fn, ms) => (options.hostClock ?? options.clock).setTimeout(fn, ms),
      },
    });
    this.file = file;
    this.memberSet = new Set(options.decision.members);
    this.listenOnly = file.stored.storage === 'unreadable';
    if (previous.kind === 'absent' && !file.save(file.stored)) this.storageFull = true;
    this.startMachine(onceDurable(file.stored.durable));
  }

  get decision(): DecisionAnnouncement {
    return this.options.decision;
  }

  get proposed(): readonly Value[] {
    return this.file.stored.proposed;
  }

  protected override proposedValues(): readonly Value[] {
    return this.file.stored.proposed;
  }

  /** `tryInitialize(value)` on this node. The proposal is stored first so a restart shows it. */
  propose(value: Value): void {
    if (this.stopped) return;
    const stored = this.file.stored;
    if (stored.proposed.length < MAX_FEED_ENTRIES_PER_REPORT) {
      if (!this.file.save({ ...stored, proposed: [...stored.proposed, value] })) return this.stopForStorage();
      this.reports.noteProposed(value);
    }
    this.step({ kind: 'propose', value }, { type: 'tryInitialize', value });
  }

  /** Who may send this node algorithm messages (InboxHost.receive refuses and reports the rest). */
  protected isMember(peer: PeerId): boolean {
    return this.memberSet.has(peer);
  }

  protected parseMessage(raw: unknown): unknown {
    return this.options.spec.parseMessage(raw);
  }
}
