/**
 * One member's node of one decision, running in a student's tab: the algorithm's machine (the
 * same one the simulator runs) driven by the real clock and the real transport, with its
 * durable state in the tab's storage.
 *
 * Persist-before-reply: each step's effects arrive as one batch; every `persistLog` of the batch
 * is written (synchronously) before any of the batch's messages is handed to the transport.
 * An algorithm whose spec says `persistPerTurn` (voting) is written once per event-loop turn
 * instead: a step that persists opens a turn, and its messages, and those of every later step
 * of the turn, wait until the turn's last durable state is written (a timer of 0 ends the turn;
 * a decision ends it at once). A burst of votes then costs one write, not one per vote, and
 * nothing leaves the node before the state it depends on is stored.
 * Closing the tab is a crash; opening it again restarts this node from what it persisted.
 */
import type { NodeEffect, NodeView, Value } from '../core/types.ts';
import { isBoundedArray, isBoundedString, isRecord, type UnknownRecord } from '../core/validate.ts';
import { hardStateOf, onceDurable } from '../core/write-once.ts';
import { startNode, type Clock, type NodeHandle, type OnceAlgorithmSpec } from '../machines/spec.ts';
import { MAX_FEED_ENTRIES_PER_REPORT, MAX_MESSAGE_SEQ, MAX_VALUE_LENGTH, REPORT_INTERVAL_MS_PER_MEMBER } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import { parseAnnouncement, type DecisionAnnouncement, type MessageId, type Refusal } from './protocol.ts';
import { ReportBuffer } from './report-buffer.ts';
import { hostView, InboxHost, inboxFor, startingDurable, UNREADABLE_DURABLE, type HeldInbox, type NodeHostOptions } from './node-host.ts';
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
  /**
   * The tab's own clock, for host plumbing that must run while the algorithm's clock is frozen
   * by the teacher's pause: the end of a write turn (its messages must still leave, to be held
   * at their receivers). Defaults to `clock`.
   */
  readonly hostClock?: Clock;
}

/** Messages and the durable state of one event-loop turn, waiting for the turn's one write. */
interface Turn {
  durable: unknown;
  readonly sends: { readonly to: PeerId; readonly message: unknown; readonly id: MessageId }[];
}

export class LiveNode extends InboxHost {
  private readonly handle: NodeHandle<unknown>;
  /** The open turn of a `persistPerTurn` algorithm: written and sent when the turn ends. */
  private turn: Turn | undefined;
  private turnScheduled = false;
  private stored: StoredNode;
  private readonly restarted: boolean;
  private readonly reports: ReportBuffer;
  /** A write to storage failed: the node stopped before sending anything that depended on it. */
  private storageFull = false;
  /** False while the machine starts: its first effects arrive before `handle` is assigned. */
  private started = false;
  /** The adversary's part: messages held for the teacher, or lost to a partition (memory only). */
  protected readonly inbox: HeldInbox;

  constructor(private readonly options: LiveNodeOptions) {
    super();
    this.inbox = inboxFor(options, (from, message, id) => this.deliver(from, message, id));
    const key = nodeKey(options.decision.id);
    const previous = readStoredNode(options.store, key, options.decision.id);
    this.restarted = previous.kind !== 'absent';
    // What the machine starts from, as the report tells it (a replay starts the same machine so).
    const startDurable = startingDurable(previous.kind === 'ok' ? { kind: 'ok', durable: previous.node.durable } : previous);
    this.reports = new ReportBuffer({
      start: { timing: options.timing, ...(startDurable !== undefined ? { durable: startDurable } : {}) },
      incarnation: options.incarnation,
      seed: options.seed,
      restarted: this.restarted,
      self: options.self,
      now: options.now,
      scheduleFrame: options.scheduleFrame,
      minIntervalMs: REPORT_INTERVAL_MS_PER_MEMBER * options.decision.members.length,
      after: (fn, ms) => (options.hostClock ?? options.clock).setTimeout(fn, ms),
      // The node's view with its storage state (unreadable → listen-only, full → stopped).
      view: () => this.view(),
      proposed: () => this.stored.proposed,
      stopped: () => (this.storageFull ? 'storage-full' : undefined),
      onReport: options.onReport,
    });
    if (previous.kind === 'ok') this.stored = previous.node;
    else if (previous.kind === 'unreadable') {
      // Not written back yet: the unreadable entry stays as evidence until this node has
      // something of its own to store (its first write keeps the listen-only mark).
      this.stored = { version: STORED_NODE_VERSION, decision: options.decision, durable: UNREADABLE_DURABLE, proposed: [], storage: 'unreadable' };
    } else {
      this.stored = { version: STORED_NODE_VERSION, decision: options.decision, durable: undefined, proposed: [] };
      this.trySave(this.stored);
    }
    this.handle = startNode(
      options.spec,
      {
        self: options.self,
        members: options.decision.members,
        seed: options.seed,
        timing: options.timing,
        durable: onceDurable(this.stored.durable),
      },
      this.machineClock(),
      (effects) => this.carryOut(effects),
    );
    this.started = true;
    if (this.storageFull) {
      this.stopped = true;
      this.handle.stop();
    }
    this.reports.flush(true);
  }

  /**
   * The clock the machine schedules its timers on: the tab's, with each firing noted as a step
   * (with the timer's ordinal, even when it emits nothing), so the dashboard can replay the node:
   * a timer that only changes the machine's state still changes what later inputs do.
   */
  private machineClock(): Clock {
    const clock = this.options.clock;
    let scheduled = 0;
    return {
      setTimeout: (fn, ms) => {
        scheduled = scheduled >= MAX_MESSAGE_SEQ ? 1 : scheduled + 1;
        const timer = scheduled;
        return clock.setTimeout(() => {
          if (this.stopped) return;
          this.reports.beginStep({ kind: 'timer', timer });
          fn();
          this.reports.endStep();
        }, ms);
      },
      clearTimeout: (id) => clock.clearTimeout(id),
    };
  }

  get decision(): DecisionAnnouncement {
    return this.options.decision;
  }

  get proposed(): readonly Value[] {
    return this.stored.proposed;
  }

  /** The machine's view, with what went wrong with storage, if anything. */
  view(): NodeView {
    return hostView(this.handle.view(), this.storageFull ? 'full' : this.stored.storage === 'unreadable' ? 'unreadable' : 'ok');
  }

  /** True once a failed write stopped this node. */
  get stoppedForStorage(): boolean {
    return this.storageFull;
  }

  /** `tryInitialize(value)` on this node. The proposal is stored first so a restart shows it. */
  propose(value: Value): void {
    if (this.stopped) return;
    if (this.stored.proposed.length < MAX_FEED_ENTRIES_PER_REPORT) {
      if (!this.trySave({ ...this.stored, proposed: [...this.stored.proposed, value] })) return this.stopForStorage();
      this.reports.noteProposed(value);
    }
    this.reports.beginStep({ kind: 'propose', value });
    this.handle.send({ type: 'tryInitialize', value });
    this.reports.endStep();
  }

  /** Who may send this node algorithm messages (InboxHost.receive refuses and reports the rest). */
  protected isMember(peer: PeerId): boolean {
    return this.options.decision.members.includes(peer);
  }

  protected parseMessage(raw: unknown): unknown {
    return this.options.spec.parseMessage(raw);
  }

  /** A stop is a crash of this node as far as the dashboard knows: what it did is reported at once. */
  stop(): void {
    // The turn's write and messages go first: the node stops after the turn, never halfway.
    this.endTurn();
    if (this.started && !this.stopped) this.reports.flush(false);
    this.stopped = true;
    this.handle.stop();
  }

  /**
   * A node's message to itself crosses no network, so the teacher's message delay (which stands
   * for the network) does not apply: a proposer hears its own candidate before anyone else's,
   * as on a real machine. It is still a separate step (a timer of 0), never a nested one.
   */
  private deliverToSelf(message: unknown, id: MessageId): void {
    this.options.clock.setTimeout(() => this.deliver(this.options.self, message, id), 0);
  }

  private deliver(from: PeerId, message: unknown, id: MessageId): void {
    if (this.stopped) return;
    // The message rides in the report (a few dozen bytes): the node's replay needs its inputs.
    this.reports.beginStep({ kind: 'receive', from, id, ...(isRecord(message) ? { message } : {}) });
    this.handle.send({ type: 'receive', from, message });
    this.reports.endStep();
  }

  private carryOut(effects: readonly NodeEffect<unknown, unknown, unknown>[]): void {
    if (this.stopped || this.storageFull) return;
    if (this.options.spec.persistPerTurn === true && this.started) return this.carryOutInTurn(effects);
    // Persist first, then talk: nothing leaves this node that depends on unwritten state. A
    // write that fails stops the node here, before any of the step's messages.
    for (const effect of effects) {
      if (effect.type === 'persistLog' && !this.trySave({ ...this.stored, durable: hardStateOf(effect.ops) })) return this.stopForStorage();
    }
    // The machine blamed a member for a message it could check was impossible: flag it by name.
    for (const effect of effects) if (effect.type === 'refused') this.noteRefusal(effect.from, effect.reason);
    const step = this.reports.stepOf(effects, this.started);
    for (const effect of effects) {
      if (effect.type !== 'send') continue;
      this.dispatch(effect.to, effect.message, step.idOf(effect));
    }
    step.done();
  }

  /**
   * `carryOut` for a `persistPerTurn` algorithm: a persist opens (or updates) the turn, and while
   * a turn is open every message waits in it, in order, so none overtakes the write it may
   * depend on. The step's facts are reported as usual (the sends with their ids).
   */
  private carryOutInTurn(effects: readonly NodeEffect<unknown, unknown, unknown>[]): void {
    for (const effect of effects) {
      if (effect.type !== 'persistLog') continue;
      const durable = hardStateOf(effect.ops);
      if (this.turn === undefined) this.turn = { durable, sends: [] };
      else this.turn.durable = durable;
    }
    for (const effect of effects) if (effect.type === 'refused') this.noteRefusal(effect.from, effect.reason);
    const step = this.reports.stepOf(effects, this.started);
    for (const effect of effects) {
      if (effect.type !== 'send') continue;
      const id = step.idOf(effect);
      if (this.turn !== undefined) this.turn.sends.push({ to: effect.to, message: effect.message, id });
      else this.dispatch(effect.to, effect.message, id);
    }
    step.done();
    // A decision is stored before this node's view (and so its screen and report) can show it.
    if (effects.some((effect) => effect.type === 'commit')) this.endTurn();
    else if (this.turn !== undefined && !this.turnScheduled) {
      this.turnScheduled = true;
      (this.options.hostClock ?? this.options.clock).setTimeout(() => {
        this.turnScheduled = false;
        this.endTurn();
      }, 0);
    }
  }

  /** Writes the turn's last durable state, then sends its messages; a failed write stops the node instead. */
  private endTurn(): void {
    const turn = this.turn;
    this.turn = undefined;
    if (turn === undefined || this.stopped || this.storageFull) return;
    if (!this.trySave({ ...this.stored, durable: turn.durable })) return this.stopForStorage();
    for (const send of turn.sends) this.dispatch(send.to, send.message, send.id);
  }

  private dispatch(to: PeerId, message: unknown, id: MessageId): void {
    if (to === this.options.self) this.deliverToSelf(message, id);
    else this.options.sendAlgorithmMessage(to, message, id);
  }

  /**
   * Writes `next`; false if the store threw (quota, storage disabled). On failure nothing
   * changes in memory either: the node never acts on state it could not keep.
   */
  private trySave(next: StoredNode): boolean {
    try {
      this.options.store.save(nodeKey(this.options.decision.id), next);
    } catch {
      this.storageFull = true;
      return false;
    }
    this.stored = next;
    return true;
  }

  /** "storage full: this node stopped": no more messages, one last report that says so. */
  private stopForStorage(): void {
    this.storageFull = true;
    if (!this.started) return; // the constructor stops the machine once it has started
    this.stopped = true;
    this.handle.stop();
    this.reports.flush(true);
  }

  /**
   * Something `peer` sent was refused (here or by the classroom): the dashboard hears in the next
   * report. Reports go out at most once per frame whatever the rate, so a peer flooding us with
   * junk cannot make this node flood the dashboard; beyond one report's worth of refusals the
   * excess is dropped (the peer is named already).
   */
  noteRefusal(peer: PeerId, reason: Refusal['reason']): void {
    if (this.stopped) return;
    this.reports.noteRefusal({ peer, reason });
  }

  /** Everything the node is, for a dashboard that just (re)connected: a full report, at once. */
  reportFull(): void {
    // A node stopped by a full storage still tells a (re)connecting dashboard why it is silent.
    if (!this.stopped || this.storageFull) this.reports.flush(true);
  }
}
