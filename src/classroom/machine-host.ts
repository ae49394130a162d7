/**
 * The one live host of an algorithm's machine, whatever its kind: a write-once decision's node
 * (LiveNode) and an order book's replica (LiveLogNode) are each this host plus what is theirs
 * (how they store, what a commit means to them). The host carries out the one machine contract
 * (NodeEffect) the same way for both:
 *
 * - it starts the actor from what was stored (UNREADABLE_DURABLE: listen-only, never fresh);
 * - it hands the machine a clock whose every firing is a reported step (with the timer's
 *   ordinal, for the dashboard's replay) and keeps the pending timers (for a countdown);
 * - it carries out a step's effects in the contract's order: every `persistLog` written through
 *   the storage adapter before any `send`; a failed write stops the node before anything of the
 *   step leaves; refusals noted by name; `restore` and `commit` handed to the layer above;
 * - a `persistPerTurn` algorithm (voting) is written once per event-loop turn, its messages
 *   waiting in the turn until the turn's write is done;
 * - it notes each step for the report buffer, and reports at once on a stop.
 *
 * Closing the tab is a crash; opening it again restarts the node from what the adapter stored.
 */
import type { CommittedEntry, LogNodeEvent, LogSnapshot, NodeEffect, NodeView, PersistOp, Value } from '../core/types.ts';
import { isRecord } from '../core/validate.ts';
import { MAX_MESSAGE_SEQ } from '../limits.ts';
import { startNode, type AlgorithmSpec, type Clock, type NodeHandle } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';
import type { MessageId, Refusal, StepCause } from './protocol.ts';
import { ReportBuffer, type LogReporter, type ReportBufferOptions } from './report-buffer.ts';
import { hostView, InboxHost, inboxFor, type HeldInbox, type NodeHostOptions } from './node-host.ts';

type Effect = NodeEffect<unknown, unknown, unknown>;
/** Every event a host drives its machine with (a write-once machine takes the first two kinds). */
type HostEvent = LogNodeEvent<unknown>;

/** Where a host's durable state goes: one step's (or one turn's) `persistLog` ops, written synchronously. */
export interface MachineStorage {
  /** Writes the ops; false if storage refused (quota, storage disabled), and then nothing changed. */
  write(ops: readonly PersistOp<unknown, unknown>[]): boolean;
}

/** What a host is told when it is made: its algorithm, its storage, how its reports start. */
export interface MachineHostSetup {
  readonly spec: AlgorithmSpec;
  readonly members: readonly PeerId[];
  readonly storage: MachineStorage;
  /**
   * A write-once node's commit (index 1) is its decision, a fact of the step that made it; a log
   * replica's commits are applied above and reported as the log's part of the report instead.
   */
  readonly commitIsDecision: boolean;
  /** How the report buffer starts: the incarnation's start and the report pacing of this kind of node. */
  readonly report: Pick<ReportBufferOptions, 'start' | 'restarted' | 'minIntervalMs' | 'after'>;
}

/** Messages and the durable ops of one event-loop turn, waiting for the turn's one write. */
interface Turn {
  ops: readonly PersistOp<unknown, unknown>[];
  readonly sends: { readonly to: PeerId; readonly message: unknown; readonly id: MessageId }[];
}

/** A pending timer of the machine: when it fires and how long it was set for. */
export interface PendingTimer {
  readonly dueAt: number;
  readonly ms: number;
}

/**
 * A turn's ops so far followed by a step's: a later `hard` op replaces the whole hard state, so
 * it supersedes an earlier one; entry ops keep their order. A write-once turn is then one `hard`.
 */
function turnOps(so: readonly PersistOp<unknown, unknown>[], more: readonly PersistOp<unknown, unknown>[]): readonly PersistOp<unknown, unknown>[] {
  const kept = more.some((op) => op.op === 'hard') ? so.filter((op) => op.op !== 'hard') : so;
  return [...kept, ...more];
}

export abstract class MachineHost extends InboxHost {
  protected readonly reports: ReportBuffer;
  /** The adversary's part: messages held for the teacher, or lost to a partition (memory only). */
  protected readonly inbox: HeldInbox;
  /** A write to storage failed: the node stopped before sending anything that depended on it. */
  protected storageFull = false;
  /** The stored state could not be read: the node only listens (its view says so). */
  protected listenOnly = false;
  /** False while the machine starts: its first effects arrive before it is assigned. */
  protected started = false;
  private actor: NodeHandle<unknown, HostEvent> | undefined;
  /** The open turn of a `persistPerTurn` algorithm: written and sent when the turn ends. */
  private turn: Turn | undefined;
  private turnScheduled = false;
  /** The machine's pending timers (its `after` delays), for a countdown such as the election timer. */
  private readonly timers = new Map<unknown, PendingTimer>();
  /** The spec asks for one write per event-loop turn (voting: a burst of votes is one write). */
  private readonly writesPerTurn: boolean;

  protected constructor(
    protected readonly host: NodeHostOptions,
    private readonly setup: MachineHostSetup,
  ) {
    super();
    this.writesPerTurn = setup.spec.kind === 'once' && setup.spec.persistPerTurn === true;
    this.inbox = inboxFor(
      host,
      (from, message, id) => this.deliver(from, message, id),
      (message) => this.carried(message),
    );
    this.reports = new ReportBuffer({
      ...setup.report,
      incarnation: host.incarnation,
      seed: host.seed,
      self: host.self,
      now: host.now,
      scheduleFrame: host.scheduleFrame,
      // The node's view with its storage state (unreadable → listen-only, full → stopped).
      view: () => this.view(),
      proposed: () => this.proposedValues(),
      stopped: () => (this.storageFull ? 'storage-full' : undefined),
      onReport: host.onReport,
      ...this.logReporter(),
    });
  }

  // ---- what the layer above says (defaults: a node with nothing more to it) -------------------

  /** Every value this node was asked to propose, for full reports. */
  protected proposedValues(): readonly Value[] {
    return [];
  }

  /** A log replica's part of each report. */
  protected logReporter(): { readonly log?: LogReporter } {
    return {};
  }

  /** What a held message carries, for the teacher's list (undefined: its `value` field, if any). */
  protected carried(_message: unknown): Value | undefined {
    return undefined;
  }

  /** Judges a parsed message before the machine sees it (false: dropped, or refused by name here). */
  protected admit(_from: PeerId, _message: unknown): boolean {
    return true;
  }

  /** A step of the running machine wrote its durable state (every change of term or ballot does). */
  protected persisted(): void {}

  /**
   * The machine installs a peer's snapshot: the layer above becomes its state, or says false
   * (not a state it knows), and the node stops before anything of the step leaves. A host that
   * keeps no state machine cannot take one.
   */
  protected restored(_snapshot: LogSnapshot, _state: unknown): boolean {
    return false;
  }

  /** Entries the machine committed (contiguous, never retracted), after the step's sends. */
  protected onCommit(_entries: readonly CommittedEntry[]): void {}

  // ---- the machine ------------------------------------------------------------------------

  /** The running machine (the constructor of the layer above starts it last). */
  protected get handle(): NodeHandle<unknown, HostEvent> {
    if (this.actor === undefined) throw new Error(`${this.setup.spec.name} on ${this.host.self}: the machine has not started`);
    return this.actor;
  }

  /**
   * Starts the machine from `durable` (what the adapter read; UNREADABLE_DURABLE: listen-only).
   * A write that failed before the start stops it at once; either way the first report goes now.
   */
  protected startMachine(durable: unknown): void {
    this.actor = startNode<unknown, unknown, HostEvent, Effect>(
      this.setup.spec,
      { self: this.host.self, members: this.setup.members, seed: this.host.seed, timing: this.host.timing, durable },
      this.machineClock(),
      (effects) => this.carryOut(effects),
    );
    this.started = true;
    if (this.storageFull) {
      this.stopped = true;
      this.actor.stop();
    }
    this.reports.flush(true);
  }

  /** One step of the machine for `cause` (a proposal, a submit, a compaction), reported as such. */
  protected step(cause: StepCause, event: HostEvent): void {
    this.reports.beginStep(cause);
    this.handle.send(event);
    this.reports.endStep();
  }

  /** The machine's pending timers now. */
  protected pendingTimers(): ReadonlyMap<unknown, PendingTimer> {
    return this.timers;
  }

  /**
   * The clock the machine schedules its timers on: the tab's, with each firing noted as a step
   * (with the timer's ordinal, even when it emits nothing), so the dashboard can replay the node:
   * a timer that only changes the machine's state still changes what later inputs do.
   */
  private machineClock(): Clock {
    const clock = this.host.clock;
    let scheduled = 0;
    return {
      setTimeout: (fn, ms) => {
        scheduled = scheduled >= MAX_MESSAGE_SEQ ? 1 : scheduled + 1;
        const timer = scheduled;
        const id = clock.setTimeout(() => {
          this.timers.delete(id);
          if (this.stopped) return;
          this.reports.beginStep({ kind: 'timer', timer });
          fn();
          this.reports.endStep();
        }, ms);
        this.timers.set(id, { dueAt: this.host.now() + ms, ms });
        return id;
      },
      clearTimeout: (id) => {
        this.timers.delete(id);
        clock.clearTimeout(id);
      },
    };
  }

  /** The machine's view, with what went wrong with storage, if anything. */
  view(): NodeView {
    return hostView(this.handle.view(), this.storageFull ? 'full' : this.listenOnly ? 'unreadable' : 'ok');
  }

  /** True once a failed write stopped this node. */
  get stoppedForStorage(): boolean {
    return this.storageFull;
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
   * Something `peer` sent was refused (here, by the machine or by the classroom): the dashboard
   * hears in the next report. Reports go out at most once per frame whatever the rate, so a peer
   * flooding us with junk cannot make this node flood the dashboard; beyond one report's worth
   * of refusals the excess is dropped (the peer is named already).
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

  /** "storage full: this node stopped": no more messages, one last report that says so. */
  protected stopForStorage(): void {
    this.storageFull = true;
    // Before the start, startMachine stops the machine once it has started.
    if (!this.started || this.stopped) return;
    this.stopped = true;
    this.handle.stop();
    this.reports.flush(true);
  }

  // ---- carrying out a step ----------------------------------------------------------------

  /** One inbound message (past the held inbox) as one step; the message rides in the step for the replay. */
  private deliver(from: PeerId, message: unknown, id: MessageId): void {
    if (this.stopped || !this.admit(from, message)) return;
    this.reports.beginStep({ kind: 'receive', from, id, ...(isRecord(message) ? { message } : {}) });
    this.handle.send({ type: 'receive', from, message });
    this.reports.endStep();
  }

  private carryOut(effects: readonly Effect[]): void {
    if (this.stopped || this.storageFull) return;
    const inTurn = this.writesPerTurn && this.started;
    if (inTurn) this.addToTurn(effects);
    else if (!this.writeAll(effects)) return this.stopForStorage();
    if (this.started && !inTurn && effects.some((e) => e.type === 'persistLog')) this.persisted();
    // The machine blamed a member for a message it could check was impossible: flag it by name.
    for (const effect of effects) if (effect.type === 'refused') this.noteRefusal(effect.from, effect.reason);
    // A peer's snapshot is judged before anything of the step leaves: one that is no state of
    // this node's must not be acknowledged (a leader would count it as installed).
    for (const effect of effects) {
      if (effect.type === 'restore' && !this.restored(effect.snapshot, effect.state)) return this.stop();
    }
    const step = this.reports.stepOf(effects.filter((e) => this.isFact(e)), this.started);
    for (const effect of effects) {
      if (effect.type !== 'send') continue;
      const id = step.idOf(effect);
      if (this.turn !== undefined) this.turn.sends.push({ to: effect.to, message: effect.message, id });
      else this.dispatch(effect.to, effect.message, id);
    }
    for (const effect of effects) if (effect.type === 'commit') this.onCommit(effect.entries);
    step.done();
    if (!inTurn) return;
    // A decision is stored before this node's view (and so its screen and report) can show it.
    if (effects.some((effect) => effect.type === 'commit')) this.endTurn();
    else if (this.turn !== undefined && !this.turnScheduled) {
      this.turnScheduled = true;
      (this.host.hostClock ?? this.host.clock).setTimeout(() => {
        this.turnScheduled = false;
        this.endTurn();
      }, 0);
    }
  }

  /** What the report buffer notes of a step: its writes and sends, and a write-once node's decision. */
  private isFact(effect: Effect): boolean {
    return effect.type === 'persistLog' || effect.type === 'send' || (effect.type === 'commit' && this.setup.commitIsDecision);
  }

  /** Persist first, then talk: every write of the step, before any of its messages. False if one failed. */
  private writeAll(effects: readonly Effect[]): boolean {
    for (const effect of effects) {
      if (effect.type === 'persistLog' && !this.setup.storage.write(effect.ops)) return false;
    }
    return true;
  }

  /**
   * A `persistPerTurn` step: a persist opens (or updates) the turn, and while a turn is open every
   * message waits in it, in order, so none overtakes the write it may depend on.
   */
  private addToTurn(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== 'persistLog') continue;
      if (this.turn === undefined) this.turn = { ops: effect.ops, sends: [] };
      else this.turn.ops = turnOps(this.turn.ops, effect.ops);
    }
  }

  /** Writes the turn's durable state, then sends its messages; a failed write stops the node instead. */
  private endTurn(): void {
    const turn = this.turn;
    this.turn = undefined;
    if (turn === undefined || this.stopped || this.storageFull) return;
    if (!this.setup.storage.write(turn.ops)) return this.stopForStorage();
    this.persisted();
    for (const send of turn.sends) this.dispatch(send.to, send.message, send.id);
  }

  /**
   * A node's message to itself crosses no network, so the teacher's message delay (which stands
   * for the network) does not apply: a proposer hears its own candidate before anyone else's, as
   * on a real machine. It is still a separate step (a timer of 0), never a nested one.
   */
  private dispatch(to: PeerId, message: unknown, id: MessageId): void {
    if (to === this.host.self) this.host.clock.setTimeout(() => this.deliver(this.host.self, message, id), 0);
    else this.host.sendAlgorithmMessage(to, message, id);
  }
}
