/**
 * A replicated log's durable state in a tab's storage, written incrementally: one key for the
 * hard state (Raft's term and vote, a Paxos acceptor's promise), one key per entry, and one small
 * key holding the highest index written. A step's `persistLog` ops cost what they wrote (an
 * append of k entries is k + 1 small writes; a truncation removes what it drops), never the
 * length of the log, which is what a single JSON blob rewritten per step would cost.
 *
 * Compaction: a `snapshot` op writes the snapshot under one key and removes the entry keys it
 * covers, once per snapshot (the entries between snapshots were each written once, so the
 * removal is paid for by those appends); the meta key then names the snapshot's index as the
 * log's base, and reading starts after it.
 *
 * Reading back: an entry key that exists but is not JSON, a missing entry in a dense range the
 * algorithm expects, or a meta key of another version makes the whole log unreadable, and the
 * node restarts listen-only (UNREADABLE_DURABLE), never as a fresh node.
 *
 * Synchronous, like DurableStore: every write of a step lands before the step's messages leave.
 */
import { parseLogSnapshot } from '../core/log.ts';
import type { LogDurable, LogSnapshot, PersistOp } from '../core/types.ts';
import { isNonNegativeInteger, isRecord } from '../core/validate.ts';
import { MAX_LOG_INDEX } from '../limits.ts';
import type { DurableStore } from './storage.ts';

/**
 * Layout of the keys below. Version 2 added the snapshot key and the meta's `base`; a version-1
 * log (no compaction) is the same layout with base 0, so it is read as such (and its meta is
 * rewritten as version 2 by the next step). Another version reads as unreadable.
 */
export const LOG_STORE_VERSION = 2;

export const LOG_KEY_PREFIX = 'log:';

export function logKey(book: string, part: string): string {
  return `${LOG_KEY_PREFIX}${book}:${part}`;
}

interface LogMeta {
  readonly version: number;
  /** Highest index that holds an entry (0: none). Entries below may be absent (Multi-Paxos holes). */
  readonly last: number;
  /** The stored snapshot's index (0: none): entries at or below it are compacted away. */
  readonly base: number;
}

/**
 * One step per older meta layout, lifting version k to k + 1 (undefined: not a valid version-k
 * meta, so the log is unreadable). A returning student whose tab stored the version-1 layout
 * keeps its log after the upgrade instead of being made listen-only.
 */
const META_MIGRATIONS: Readonly<Record<number, (raw: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>> | undefined>> = {
  // Version 1: `{version, last}`, written before compaction existed: nothing compacted.
  1: (raw) => (raw.base === undefined ? { ...raw, version: 2, base: 0 } : undefined),
};

/** A stored meta lifted to LOG_STORE_VERSION, or undefined if it cannot be. */
export function migrateLogMeta(raw: unknown): Readonly<Record<string, unknown>> | undefined {
  if (!isRecord(raw) || !isNonNegativeInteger(raw.version) || raw.version < 1 || raw.version > LOG_STORE_VERSION) return undefined;
  let meta: Readonly<Record<string, unknown>> | undefined = raw;
  for (let v = raw.version; v < LOG_STORE_VERSION && meta !== undefined; v++) {
    const step = META_MIGRATIONS[v];
    meta = step === undefined ? undefined : step(meta);
  }
  return meta;
}

export type LogRead =
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'ok'; readonly durable: LogDurable<unknown, unknown> };

export class LogStore {
  private last: number;
  private base: number;

  constructor(
    private readonly store: DurableStore,
    private readonly book: string,
  ) {
    const meta = this.readMeta();
    this.last = meta === undefined ? 0 : meta.last;
    this.base = meta === undefined ? 0 : meta.base;
  }

  /** What the algorithm persisted before, told apart from "never written" and "unreadable". */
  read(): LogRead {
    const metaKey = logKey(this.book, 'meta');
    const hardKey = logKey(this.book, 'hard');
    if (!this.store.exists(metaKey) && !this.store.exists(hardKey)) return { kind: 'absent' };
    const meta = this.readMeta();
    if (meta === undefined) return { kind: 'unreadable' };
    const hard = this.store.exists(hardKey) ? this.store.load(hardKey) : undefined;
    if (this.store.exists(hardKey) && hard === undefined) return { kind: 'unreadable' };
    let snapshot: LogSnapshot | undefined;
    if (meta.base > 0) {
      snapshot = parseLogSnapshot(this.store.load(logKey(this.book, 'snap')));
      if (snapshot === undefined || snapshot.index !== meta.base) return { kind: 'unreadable' };
    }
    const entries: { index: number; entry: unknown }[] = [];
    for (let index = meta.base + 1; index <= meta.last; index++) {
      const key = logKey(this.book, `e:${index}`);
      if (!this.store.exists(key)) continue;
      const entry = this.store.load(key);
      if (entry === undefined) return { kind: 'unreadable' };
      entries.push({ index, entry });
    }
    return { kind: 'ok', durable: snapshot === undefined ? { hard, entries } : { hard, entries, snapshot } };
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

  /**
   * Applies one step's ops in order. Throws when a write fails (quota): the caller stops the
   * node before it sends anything. Ops that break the contract (an append not at the end) throw
   * too: storing them would corrupt the log silently.
   */
  apply(ops: readonly PersistOp<unknown, unknown>[]): void {
    let last = this.last;
    let base = this.base;
    for (const op of ops) {
      switch (op.op) {
        case 'hard':
          this.store.save(logKey(this.book, 'hard'), op.state);
          break;
        case 'append':
          if (op.from !== Math.max(last, base) + 1) throw new Error(`append at ${op.from} after a log of ${last}: truncate first`);
          op.entries.forEach((entry, i) => this.store.save(logKey(this.book, `e:${op.from + i}`), entry));
          last += op.entries.length;
          break;
        case 'truncate':
          for (let index = Math.max(base + 1, op.from); index <= last; index++) this.store.remove(logKey(this.book, `e:${index}`));
          last = Math.min(last, Math.max(0, op.from - 1));
          break;
        case 'put':
          this.store.save(logKey(this.book, `e:${op.index}`), op.entry);
          last = Math.max(last, op.index);
          break;
        case 'snapshot': {
          // The snapshot first, then the meta that names its index. A write failing in between
          // stops the node (the caller's rule); the store then holds a snapshot whose index the
          // meta does not name. read() then uses the entries alone if the meta names no snapshot
          // yet (they are all still there), else finds the log unreadable: the reopened tab only
          // listens, never starting fresh or from a hole. Entries go only once both are written.
          const previous = base;
          this.store.save(logKey(this.book, 'snap'), op.snapshot);
          base = Math.max(base, op.snapshot.index);
          this.store.save(logKey(this.book, 'meta'), { version: LOG_STORE_VERSION, last: Math.max(last, base), base });
          for (let index = previous + 1; index <= Math.min(last, base); index++) this.store.remove(logKey(this.book, `e:${index}`));
          last = Math.max(last, base);
          break;
        }
        default: {
          const never: never = op;
          throw new Error(`unknown persist op ${JSON.stringify(never)}`);
        }
      }
    }
    const meta: LogMeta = { version: LOG_STORE_VERSION, last, base };
    this.store.save(logKey(this.book, 'meta'), meta);
    this.last = last;
    this.base = base;
  }

  /** Marks the log unreadable for good: the node stays listen-only across reloads. */
  markUnreadable(): void {
    this.store.save(logKey(this.book, 'meta'), { version: -1, last: 0, base: 0 });
  }

  /** Removes every key of this book (a book that fell out of the history). */
  removeAll(): void {
    for (const key of this.store.keys(`${LOG_KEY_PREFIX}${this.book}:`)) this.store.remove(key);
  }

  private readMeta(): LogMeta | undefined {
    const raw = migrateLogMeta(this.store.load(logKey(this.book, 'meta')));
    if (raw === undefined || !isNonNegativeInteger(raw.last) || raw.last > MAX_LOG_INDEX) return undefined;
    if (!isNonNegativeInteger(raw.base) || raw.base > raw.last) return undefined;
    return { version: LOG_STORE_VERSION, last: raw.last, base: raw.base };
  }
}
