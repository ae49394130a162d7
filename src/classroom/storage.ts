/**
 * Durable storage for a tab's nodes. Synchronous on purpose: a node's `persist` effect is
 * written before the same step's messages leave, with nothing in between that could reorder
 * them (persist-before-reply). localStorage is synchronous, survives closing the tab, and works
 * on plain http from a phone on the LAN.
 */
export interface DurableStore {
  /** The stored value, or undefined when there is none or it is not JSON (see `exists`). */
  load(key: string): unknown;
  /**
   * Whether an entry is there at all, readable or not. `load` gives undefined both for "never
   * written" and for "written, now unreadable"; a node must not mistake the second for the first
   * (that is amnesia: a fresh acceptor that promises and votes again).
   */
  exists(key: string): boolean;
  /** Throws if the write fails (e.g. quota): a node must not reply on state it did not persist. */
  save(key: string, value: unknown): void;
  remove(key: string): void;
  /** Keys that start with `prefix`, in no particular order. */
  keys(prefix: string): string[];
}

/**
 * In-memory store for tests. Values are copied in and out like real storage. (Solo mode needs no
 * store: it runs the simulator, which keeps each node's persisted state itself.)
 */
export class MemoryStore implements DurableStore {
  private readonly entries = new Map<string, string>();
  load(key: string): unknown {
    const text = this.entries.get(key);
    return text === undefined ? undefined : parseJson(text);
  }
  exists(key: string): boolean {
    return this.entries.has(key);
  }
  /** Writes raw text, as a broken bundle, another program or a curious student could leave it. */
  saveText(key: string, text: string): void {
    this.entries.set(key, text);
  }
  save(key: string, value: unknown): void {
    this.entries.set(key, JSON.stringify(value));
  }
  remove(key: string): void {
    this.entries.delete(key);
  }
  keys(prefix: string): string[] {
    return [...this.entries.keys()].filter((k) => k.startsWith(prefix));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * A namespace inside browser storage (`Storage` is localStorage's interface), e.g. one per
 * room and node: `cp:ROOM:NODE:`. Unparseable entries load as undefined rather than crashing the
 * tab, and `exists` still reports them: a node whose entry is there but unreadable restarts
 * listen-only (see LiveNode), never as a fresh node. A write that fails (quota) throws.
 */
export class BrowserStore implements DurableStore {
  constructor(
    private readonly storage: Storage,
    private readonly namespace: string,
  ) {}
  load(key: string): unknown {
    const text = this.storage.getItem(this.namespace + key);
    return text === null ? undefined : parseJson(text);
  }
  exists(key: string): boolean {
    return this.storage.getItem(this.namespace + key) !== null;
  }
  save(key: string, value: unknown): void {
    this.storage.setItem(this.namespace + key, JSON.stringify(value));
  }
  remove(key: string): void {
    this.storage.removeItem(this.namespace + key);
  }
  keys(prefix: string): string[] {
    const found: string[] = [];
    const full = this.namespace + prefix;
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (key !== null && key.startsWith(full)) found.push(key.slice(this.namespace.length));
    }
    return found;
  }
}
