/**
 * A live node's durable state in a tab's (or a robot's) storage: ONE adapter for every node,
 * a write-once decision's and an order book's replica's alike, since a write-once algorithm is
 * a log of length one. Under `log:<id>:` (one namespace per decision or book):
 *
 * - `hard`: the algorithm's hard state (a Paxos acceptor's promise, a voter's vote, Raft's term
 *   and vote), exactly what its last `hard` op gave;
 * - `e:<index>`: one key per log entry (a write-once node has none);
 * - `snap`: the last snapshot (logs only), whose index is the log's base;
 * - `meta`: `{version, last, base}` (highest index written, snapshot index), and the listen-only
 *   mark `listenOnly: true` once the node's stored state was found unreadable;
 * - the node's own facts, beside its log: `decision` (`{decision, proposed}`: the announcement
 *   and the values the student asked it to propose) or `book` (the book's announcement); a book's
 *   client record (`client`) is its replica's own (live-log-node.ts).
 *
 * A step's `persistLog` ops cost what they wrote, never the length of the log (an append of k
 * entries is k small writes), and the meta is rewritten only when what it says changes: a
 * write-once step (one `hard` op) is one write, not a rewrite of the announcement or the meta.
 * Compaction: a `snapshot` op writes the snapshot and removes the entry keys it covers, once per
 * snapshot (each entry was written once, so the removal is paid for by those appends).
 *
 * Reading back (readStoredNode, the one reader): absent (a first start), unreadable (listen-only,
 * never a fresh start: it may have promised or voted and cannot say what) or ok. Unreadable is
 * a key that is there but not JSON, a missing snapshot the meta names, a meta of a newer
 * version, facts of another node or another kind under this id, durable state without a meta,
 * or the listen-only mark. Older formats are migrated (see STORE_VERSION), so a returning
 * student keeps its promises after an upgrade instead of being made listen-only.
 *
 * Synchronous, like DurableStore: every write of a step lands before the step's messages leave.
 */
import { parseLogSnapshot } from '../core/log.ts';
import type { LogDurable, LogSnapshot, PersistOp, Value } from '../core/types.ts';
import { isBoundedArray, isBoundedString, isNonNegativeInteger, isRecord, type UnknownRecord } from '../core/validate.ts';
import { MAX_FEED_ENTRIES_PER_REPORT, MAX_LOG_INDEX, MAX_VALUE_LENGTH } from '../limits.ts';
import { parseBookAnnouncement, type BookAnnouncement } from './log-protocol.ts';
import type { MachineStorage } from './machine-host.ts';
import { parseAnnouncement, type DecisionAnnouncement } from './protocol.ts';
import type { DurableStore } from './storage.ts';

/**
 * Layout of the keys above, named by the meta. Version 1: a book's log without compaction;
 * 2 added the snapshot key and the meta's `base`; 3 stores decisions here too (before, each was
 * one StoredNode JSON blob under `node:<id>`, rewritten whole per write) and adds the meta's
 * listen-only mark. Older layouts are migrated on load (META_MIGRATIONS, fromStoredNode); a
 * newer one is unreadable: this code cannot vouch for it. Bumping this means adding the step
 * from the previous version (and a test with stored bytes of that version).
 */
export const STORE_VERSION = 3;

export const STORE_KEY_PREFIX = 'log:';

/** The key of one part (`hard`, `meta`, `e:5`, `decision`, …) of node `id`'s stored state. */
export function storeKey(id: string, part: string): string {
  return `${STORE_KEY_PREFIX}${id}:${part}`;
}

/** Where a decision's state was stored before STORE_VERSION 3: one StoredNode blob per decision. */
export const STORED_NODE_KEY_PREFIX = 'node:';

export function storedNodeKey(decisionId: string): string {
  return STORED_NODE_KEY_PREFIX + decisionId;
}

/** What a node stores about itself beside its log: what it is a node of. */
export type NodeFacts =
  | { readonly kind: 'decision'; readonly decision: DecisionAnnouncement; readonly proposed: readonly Value[] }
  | { readonly kind: 'book'; readonly book: BookAnnouncement };

function factsId(facts: NodeFacts): string {
  return facts.kind === 'decision' ? facts.decision.id : facts.book.id;
}

/** Which stored format a read came from (the ones before STORE_VERSION were migrated). */
export type StoredFormat = 'current' | 'stored-node-v0' | 'stored-node-v1' | 'log-v1' | 'log-v2';

/**
 * A stored node read back. `unreadable` carries the node's facts when they read (a node marked
 * listen-only, or one whose log broke), so a reopened tab restarts it listen-only at once.
 * `ok` with `durable` undefined: the node's facts, but its algorithm never persisted (a first start).
 */
export type StoredRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly facts?: NodeFacts; readonly from?: StoredFormat }
  | { readonly kind: 'ok'; readonly facts: NodeFacts; readonly durable: LogDurable<unknown, unknown> | undefined; readonly from: StoredFormat };

interface Meta {
  readonly version: number;
  /** Highest index that holds an entry (0: none). Entries below may be absent (Multi-Paxos holes). */
  readonly last: number;
  /** The stored snapshot's index (0: none): entries at or below it are compacted away. */
  readonly base: number;
  /** The node's stored state was once unreadable: it stays listen-only for good. */
  readonly listenOnly?: true;
}

/**
 * One step per older meta layout, lifting version k to k + 1 (undefined: not a valid version-k
 * meta, so the node is unreadable). Applied in order on load; the next write stores the current
 * version (the key layout of versions 1 to 3 is the same for a book).
 */
const META_MIGRATIONS: Readonly<Record<number, (raw: UnknownRecord) => UnknownRecord | undefined>> = {
  // Version 1: `{version, last}`, written before compaction existed: nothing compacted.
  1: (raw) => (raw.base === undefined ? { ...raw, version: 2, base: 0 } : undefined),
  // Version 2: `{version, last, base}`, before the listen-only mark (a version-2 meta carrying
  // one was not written by that code).
  2: (raw) => (raw.listenOnly === undefined ? { ...raw, version: 3 } : undefined),
};

/** A stored meta lifted to STORE_VERSION, or undefined if it cannot be. */
function migrateMeta(raw: unknown): UnknownRecord | undefined {
  if (!isRecord(raw) || !isNonNegativeInteger(raw.version) || raw.version < 1 || raw.version > STORE_VERSION) return undefined;
  let meta: UnknownRecord | undefined = raw;
  for (let v = raw.version; v < STORE_VERSION && meta !== undefined; v++) {
    const step = META_MIGRATIONS[v];
    meta = step === undefined ? undefined : step(meta);
  }
  return meta;
}

function parseMeta(raw: unknown): Meta | undefined {
  const meta = migrateMeta(raw);
  if (meta === undefined || !isNonNegativeInteger(meta.last) || meta.last > MAX_LOG_INDEX) return undefined;
  if (!isNonNegativeInteger(meta.base) || meta.base > meta.last) return undefined;
  if (meta.listenOnly !== undefined && meta.listenOnly !== true) return undefined;
  return meta.listenOnly === true ? { version: STORE_VERSION, last: meta.last, base: meta.base, listenOnly: true } : { version: STORE_VERSION, last: meta.last, base: meta.base };
}

/** The meta as stored: its fields in one order, so "unchanged" is a comparison of texts. */
function metaText(meta: Meta): string {
  return JSON.stringify(meta.listenOnly === true ? { version: meta.version, last: meta.last, base: meta.base, listenOnly: true } : { version: meta.version, last: meta.last, base: meta.base });
}

function isValue(raw: unknown): raw is Value {
  return isBoundedString(raw, MAX_VALUE_LENGTH);
}

/** A decision's facts as stored, or undefined if they are not (or not this decision's). */
function parseDecisionFacts(raw: unknown, id: string): NodeFacts | undefined {
  if (!isRecord(raw)) return undefined;
  const decision = parseAnnouncement(raw.decision);
  if (decision === undefined || decision.id !== id || !isBoundedArray(raw.proposed, MAX_FEED_ENTRIES_PER_REPORT, isValue)) return undefined;
  return { kind: 'decision', decision, proposed: [...raw.proposed] };
}

/** The facts stored under `id`: 'absent' when there are none, undefined when they do not read. */
function readFacts(store: DurableStore, id: string): NodeFacts | 'absent' | undefined {
  const decisionKey = storeKey(id, 'decision');
  const bookKey = storeKey(id, 'book');
  const isDecision = store.exists(decisionKey);
  const isBook = store.exists(bookKey);
  if (isDecision && isBook) return undefined;
  if (isDecision) return parseDecisionFacts(store.load(decisionKey), id);
  if (!isBook) return 'absent';
  const book = parseBookAnnouncement(store.load(bookKey));
  return book === undefined || book.id !== id ? undefined : { kind: 'book', book };
}

// ---- StoredNode: a decision's format before STORE_VERSION 3 ------------------------------

/**
 * A StoredNode blob under `node:<id>` (versions 0 and 1, written by the code before this one):
 * `{version?, decision, durable, proposed, storage?}`, `durable` the algorithm's hard state
 * bare, `storage: 'unreadable'` the listen-only mark (version 1 only).
 */
const STORED_NODE_MIGRATIONS: Readonly<Record<number, (raw: UnknownRecord) => UnknownRecord | undefined>> = {
  // Version 0: written before the blob had a version (and before the listen-only mark existed),
  // `{decision, durable, proposed}`. The same fields, so only the version is new; a version-0
  // blob that carries a mark was not written by that code.
  0: (raw) => (raw.storage === undefined ? { ...raw, version: 1 } : undefined),
};
const STORED_NODE_LAST_VERSION = 1;

/** A StoredNode blob lifted to its last version (1), or undefined if it cannot be. */
export function migrateStoredNode(raw: UnknownRecord): UnknownRecord | undefined {
  const version = raw.version ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > STORED_NODE_LAST_VERSION) return undefined;
  let entry: UnknownRecord | undefined = raw;
  for (let v = version; v < STORED_NODE_LAST_VERSION && entry !== undefined; v++) {
    const step = STORED_NODE_MIGRATIONS[v];
    entry = step === undefined ? undefined : step(entry);
  }
  return entry;
}

/** A StoredNode blob read as this layout: its facts, its hard state as the log's `hard`, its mark. */
function fromStoredNode(store: DurableStore, id: string): StoredRead {
  const loaded = store.load(storedNodeKey(id));
  if (!isRecord(loaded)) return { kind: 'unreadable' };
  const from: StoredFormat = loaded.version === undefined || loaded.version === 0 ? 'stored-node-v0' : 'stored-node-v1';
  const raw = migrateStoredNode(loaded);
  if (raw === undefined) return { kind: 'unreadable' };
  const facts = parseDecisionFacts(raw, id);
  if (facts === undefined) return { kind: 'unreadable' };
  if (raw.storage === 'unreadable') return { kind: 'unreadable', facts, from };
  if (raw.storage !== undefined) return { kind: 'unreadable' };
  // `durable` absent: the node never persisted (a first start that was stored, then reloaded).
  return { kind: 'ok', facts, durable: raw.durable === undefined ? undefined : { hard: raw.durable, entries: [] }, from };
}

// ---- the one reader ----------------------------------------------------------------------

/**
 * What is stored under `id`, told apart: absent (only that is a fresh start), unreadable
 * (listen-only), or ok. Reads only; NodeStore writes a migrated format in the current layout.
 */
export function readStoredNode(store: DurableStore, id: string): StoredRead {
  const metaKey = storeKey(id, 'meta');
  // The current layout wins over a StoredNode blob left behind: a migration writes the meta
  // last, so once it is there the blob is only waiting to be removed.
  if (store.exists(metaKey)) return readLog(store, id);
  if (store.exists(storedNodeKey(id))) return fromStoredNode(store, id);
  const facts = readFacts(store, id);
  // Durable state without the meta that says how far it goes: not something this code wrote.
  if (store.exists(storeKey(id, 'hard')) || store.exists(storeKey(id, 'snap'))) {
    return facts === undefined || facts === 'absent' ? { kind: 'unreadable' } : { kind: 'unreadable', facts };
  }
  if (facts === 'absent') return { kind: 'absent' };
  if (facts === undefined) return { kind: 'unreadable' };
  // The facts alone: the node was made and its algorithm never persisted (a book replica
  // stores its announcement before its machine's first step; a decision whose first write failed).
  return { kind: 'ok', facts, durable: undefined, from: 'current' };
}

function readLog(store: DurableStore, id: string): StoredRead {
  const loadedMeta = store.load(storeKey(id, 'meta'));
  const meta = parseMeta(loadedMeta);
  const facts = readFacts(store, id);
  const readable = facts === undefined || facts === 'absent' ? undefined : facts;
  if (meta === undefined || readable === undefined) return readable === undefined ? { kind: 'unreadable' } : { kind: 'unreadable', facts: readable };
  const version = isRecord(loadedMeta) ? loadedMeta.version : undefined;
  const from: StoredFormat = version === 1 ? 'log-v1' : version === 2 ? 'log-v2' : 'current';
  if (meta.listenOnly === true) return { kind: 'unreadable', facts: readable, from };
  const unreadable: StoredRead = { kind: 'unreadable', facts: readable, from };
  const hardKey = storeKey(id, 'hard');
  const hard = store.exists(hardKey) ? store.load(hardKey) : undefined;
  if (store.exists(hardKey) && hard === undefined) return unreadable;
  let snapshot: LogSnapshot | undefined;
  if (meta.base > 0) {
    snapshot = parseLogSnapshot(store.load(storeKey(id, 'snap')));
    if (snapshot === undefined || snapshot.index !== meta.base) return unreadable;
  }
  const entries: { index: number; entry: unknown }[] = [];
  for (let index = meta.base + 1; index <= meta.last; index++) {
    const key = storeKey(id, `e:${index}`);
    if (!store.exists(key)) continue;
    const entry = store.load(key);
    if (entry === undefined) return unreadable;
    entries.push({ index, entry });
  }
  return { kind: 'ok', facts: readable, durable: snapshot === undefined ? { hard, entries } : { hard, entries, snapshot }, from };
}

/** The id of every node stored in `store`, in either format. */
export function storedNodeIds(store: DurableStore): string[] {
  const ids = new Set<string>();
  for (const key of store.keys(STORE_KEY_PREFIX)) {
    const end = key.indexOf(':', STORE_KEY_PREFIX.length);
    if (end > STORE_KEY_PREFIX.length) ids.add(key.slice(STORE_KEY_PREFIX.length, end));
  }
  for (const key of store.keys(STORED_NODE_KEY_PREFIX)) ids.add(key.slice(STORED_NODE_KEY_PREFIX.length));
  return [...ids];
}

/** Removes every key of node `id`, in either format (a decision or book that fell out of the history). */
export function removeStoredNode(store: DurableStore, id: string): void {
  for (const key of store.keys(`${STORE_KEY_PREFIX}${id}:`)) store.remove(key);
  store.remove(storedNodeKey(id));
}

// ---- the one adapter ---------------------------------------------------------------------

/**
 * One node's storage: read once when the node is made (`read`), then written by the machine's
 * ops (`write`, MachineHost's adapter) and by the node's facts (`saveFacts`). A write that throws
 * (quota) leaves what this object knows as it was and says false: the host stops the node.
 */
export class NodeStore implements MachineStorage {
  /** What was stored when the node was made, judged against what it was made for. */
  readonly read: StoredRead;
  private currentFacts: NodeFacts;
  private last = 0;
  private base = 0;
  private listenOnly: boolean;
  /** The meta as stored (its text), undefined when storage holds none of this version: a step writes the meta only when it changes. */
  private storedMeta: string | undefined;
  /** Whether the facts are stored in this layout. */
  private factsStored: boolean;
  /** A StoredNode blob is still stored: removed once the node's state is in this layout. */
  private storedNodeLeft: boolean;
  private readonly id: string;

  /** `announced`: what the node is made for (the host's announcement), used when nothing readable is stored. */
  constructor(
    private readonly store: DurableStore,
    announced: NodeFacts,
  ) {
    this.id = factsId(announced);
    const read = readStoredNode(store, this.id);
    // Another kind's state under this id (a book's log where a decision is announced) is not ours to run on.
    const otherKind = read.kind !== 'absent' && read.facts !== undefined && read.facts.kind !== announced.kind;
    this.read = otherKind ? { kind: 'unreadable' } : read;
    this.currentFacts = (this.read.kind !== 'absent' ? this.read.facts : undefined) ?? announced;
    this.listenOnly = this.read.kind === 'unreadable';
    const loadedMeta = store.exists(storeKey(this.id, 'meta')) ? store.load(storeKey(this.id, 'meta')) : undefined;
    const meta = parseMeta(loadedMeta);
    if (meta !== undefined) {
      this.last = meta.last;
      this.base = meta.base;
    }
    this.storedMeta = loadedMeta === undefined ? undefined : JSON.stringify(loadedMeta);
    this.factsStored = this.read.kind !== 'absent' && this.read.facts !== undefined && !this.read.from?.startsWith('stored-node');
    this.storedNodeLeft = store.exists(storedNodeKey(this.id));
  }

  get facts(): NodeFacts {
    return this.currentFacts;
  }

  /**
   * The writes a start needs, before the machine runs: a first start stores the node's facts
   * and meta (so a reopened tab finds the node before anyone re-announces it); a StoredNode blob
   * is migrated (facts, hard state, meta with its mark, then the blob removed). Unreadable state
   * is left as it is, evidence until the node has something of its own to write. False if a
   * write failed (the node then stops; a blob not yet migrated stays, and is migrated next time).
   */
  open(): boolean {
    const read = this.read;
    const fromBlob = read.kind !== 'absent' && read.facts !== undefined && read.from?.startsWith('stored-node') === true;
    if (read.kind !== 'absent' && !fromBlob) return true;
    const hard = read.kind === 'ok' ? read.durable?.hard : undefined;
    return this.attempt(() => this.apply(hard === undefined ? [] : [{ op: 'hard', state: hard }]));
  }

  /** MachineHost's adapter: one step's (or one turn's) ops; false if a write failed. */
  write(ops: readonly PersistOp<unknown, unknown>[]): boolean {
    return this.attempt(() => this.apply(ops));
  }

  /** The node's facts changed (a proposal to store before it is made); false if the write failed. */
  saveFacts(facts: NodeFacts): boolean {
    return this.attempt(() =>
      this.transaction(() => {
        this.factsStored = false;
        this.currentFacts = facts;
        this.settle([]);
      }),
    );
  }

  /**
   * The node found its stored state unusable after reading it (a snapshot that is no state of
   * its book): it only listens from now on, and its next write stores the mark first.
   */
  markListenOnly(): void {
    this.listenOnly = true;
  }

  /**
   * Applies one step's ops in order. Throws when a write fails (quota): the caller stops the
   * node before it sends anything, and this object is as it was. Ops that break the contract
   * (an append not at the end) throw too: storing them would corrupt the log silently.
   */
  apply(ops: readonly PersistOp<unknown, unknown>[]): void {
    this.transaction(() => this.settle(ops));
  }

  /** The stored snapshot's index (0: none). */
  get snapshotIndex(): number {
    return this.base;
  }

  /** Entries stored above the snapshot (at most; Multi-Paxos may have holes). */
  get storedEntries(): number {
    return this.last - this.base;
  }

  /** Highest index holding an entry. */
  get lastIndex(): number {
    return this.last;
  }

  private attempt(write: () => void): boolean {
    try {
      write();
    } catch {
      return false;
    }
    return true;
  }

  /**
   * Runs `write`; if it throws, what this object knows of the node is put back as it was (the
   * node never acts on state it could not keep: a proposal not stored is not shown) and the
   * error goes on. What storage took of it before the failure is unknown, so the next write
   * (there is none: the host stops the node) would rewrite the facts and the meta, never skip them.
   */
  private transaction(write: () => void): void {
    const before = { facts: this.currentFacts, last: this.last, base: this.base, blob: this.storedNodeLeft };
    try {
      write();
    } catch (error) {
      this.currentFacts = before.facts;
      this.last = before.last;
      this.base = before.base;
      this.storedMeta = undefined;
      this.factsStored = false;
      this.storedNodeLeft = before.blob;
      throw error;
    }
  }

  /**
   * Every write goes through here, in this order: the listen-only mark first (a write that
   * lands after it can never make unreadable state read as fresh), the facts if they are not
   * stored in this layout yet, the ops, the meta if what it says changed, and last the removal
   * of a migrated StoredNode blob (the meta written before it makes this layout the one read).
   */
  private settle(ops: readonly PersistOp<unknown, unknown>[]): void {
    if (this.listenOnly) this.saveMeta({ version: STORE_VERSION, last: this.last, base: this.base, listenOnly: true });
    if (!this.factsStored) {
      const facts = this.currentFacts;
      if (facts.kind === 'decision') this.store.save(storeKey(this.id, 'decision'), { decision: facts.decision, proposed: facts.proposed });
      else this.store.save(storeKey(this.id, 'book'), facts.book);
      this.factsStored = true;
    }
    let last = this.last;
    let base = this.base;
    for (const op of ops) {
      switch (op.op) {
        case 'hard':
          this.store.save(storeKey(this.id, 'hard'), op.state);
          break;
        case 'append':
          if (op.from !== Math.max(last, base) + 1) throw new Error(`append at ${op.from} after a log of ${last}: truncate first`);
          op.entries.forEach((entry, i) => this.store.save(storeKey(this.id, `e:${op.from + i}`), entry));
          last += op.entries.length;
          break;
        case 'truncate':
          for (let index = Math.max(base + 1, op.from); index <= last; index++) this.store.remove(storeKey(this.id, `e:${index}`));
          last = Math.min(last, Math.max(0, op.from - 1));
          break;
        case 'put':
          this.store.save(storeKey(this.id, `e:${op.index}`), op.entry);
          last = Math.max(last, op.index);
          break;
        case 'snapshot': {
          // The snapshot first, then the meta that names its index. A write failing in between
          // stops the node (the caller's rule); the store then holds a snapshot whose index the
          // meta does not name. The reader then uses the entries alone if the meta names no
          // snapshot yet (they are all still there), else finds the log unreadable: the reopened
          // tab only listens, never starting fresh or from a hole. Entries go only once both are written.
          const previous = base;
          this.store.save(storeKey(this.id, 'snap'), op.snapshot);
          base = Math.max(base, op.snapshot.index);
          this.saveMeta(this.metaOf(Math.max(last, base), base));
          for (let index = previous + 1; index <= Math.min(last, base); index++) this.store.remove(storeKey(this.id, `e:${index}`));
          last = Math.max(last, base);
          break;
        }
        default: {
          const never: never = op;
          throw new Error(`unknown persist op ${JSON.stringify(never)}`);
        }
      }
    }
    this.saveMeta(this.metaOf(last, base));
    this.last = last;
    this.base = base;
    if (this.storedNodeLeft) {
      this.store.remove(storedNodeKey(this.id));
      this.storedNodeLeft = false;
    }
  }

  private metaOf(last: number, base: number): Meta {
    return this.listenOnly ? { version: STORE_VERSION, last, base, listenOnly: true } : { version: STORE_VERSION, last, base };
  }

  /** Writes the meta unless storage holds exactly it already (a write-once step changes only `hard`). */
  private saveMeta(meta: Meta): void {
    const text = metaText(meta);
    if (text === this.storedMeta) return;
    this.store.save(storeKey(this.id, 'meta'), JSON.parse(text) as unknown);
    this.storedMeta = text;
  }
}
