/**
 * One phone's replica of a live replicated log (the order book, the register): the log
 * algorithm's machine (the same one the simulator checks, Raft or Multi-Paxos, whichever
 * LOG_ALGORITHMS holds) driven by the tab's clock and transport, its log in the tab's storage,
 * and the state machine the committed commands are applied to, exactly once per (client, seq).
 *
 * The machine is hosted as every live algorithm is (MachineHost: start, clock, persist-before-
 * reply, refusals, reports) over the one storage adapter every node has (NodeStore: each step's
 * `persistLog` ops written incrementally before any of its messages leave; a failed write stops
 * the node); what is the replica's own is what it does with commits and restores, and its
 * client record. Closing the tab is a
 * crash; reopening restarts the node from its stored log, and the algorithm re-commits (from
 * index 1 in the new incarnation) what the leader confirms, so the replica catches up.
 *
 * Compaction: every LOG_SNAPSHOT_EVERY applied entries the replica hands its state to the
 * machine, which makes it its snapshot and drops the log prefix (one storage rewrite per
 * snapshot; the steps between only append). A reopened tab restores its state machine from the
 * stored snapshot and re-commits only the entries after it; a replica that lags behind a
 * peer's snapshot gets it installed (the algorithm's `restore` effect), and a learner whose next
 * index was compacted away gets the snapshot in chunks (`snapshotFor`). Memory follows storage:
 * the committed entries a snapshot covers leave memory too once reported (`trimHeld`), so a
 * phone holds at most LIVE_MAX_HELD_COMMITS of them however long the class runs.
 *
 * The phone is also a client: it submits its commands at its own node (a follower forwards them
 * to its leader), one at a time, and hears its answer when its own replica applies the command.
 * No answer within LIVE_COMMAND_RETRY_MS: it resubmits the same (client, seq), which the
 * sessions answer with the first answer if it was applied already.
 */
import { answerOf, applyClientCommand, initialReplicated, parseReplicatedState, type ReplicatedState } from '../core/client-sessions.ts';
import { committedEpoch, snapshotChunk, snapshotText } from '../core/log.ts';
import { mintOrderId } from '../core/order-book.ts';
import type { ClientId, StateMachine } from '../core/state-machine.ts';
import { stateMachineNamed } from '../core/state-machines.ts';
import type { CommittedEntry, Epoch, LogSnapshot, LogView } from '../core/types.ts';
import { canonicalJson, isBoundedArray, isNonNegativeInteger, isRecord } from '../core/validate.ts';
import {
  LIVE_COMMAND_BURST,
  LIVE_COMMAND_RETRY_MS,
  LIVE_COMMANDS_PER_MINUTE,
  LIVE_MAX_ANSWERS_SHOWN,
  LIVE_MAX_QUEUED_COMMANDS,
  LIVE_REPORT_COMMIT_BYTES,
  LIVE_REPORT_WINDOW,
  LIVE_CATCHUP_MIN_INTERVAL_MS,
  LIVE_MAX_HELD_COMMITS,
  LOG_SNAPSHOT_EVERY,
  MAX_CLIENT_SEQ,
  MAX_COMMITS_PER_MESSAGE,
  LIVE_REPLAY_START_MAX_BYTES,
  MAX_PEERS_PER_ROOM,
  MAX_VALUE_LENGTH,
  RAFT_ELECTION_TIMEOUT_FACTOR,
} from '../limits.ts';
import type { LogAlgorithmSpec } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';
import type { BookAnnouncement, LogReport, ReportedApply, ReportedCommit, RestoreCause, SnapshotForLearner } from './log-protocol.ts';
import { NodeStore, storeKey } from './node-store.ts';
import type { LogReporter } from './report-buffer.ts';
import { MachineHost } from './machine-host.ts';
import { summarizeState, type StateSummary } from './state-summary.ts';
import { EpochPlausibility } from './log-plausibility.ts';
import { startingDurable, UNREADABLE_DURABLE, type NodeHostOptions } from './node-host.ts';

export interface LiveLogNodeOptions extends NodeHostOptions {
  readonly book: BookAnnouncement;
  readonly spec: LogAlgorithmSpec;
}

/** One of this phone's commands and what became of it. */
export interface MyCommand {
  readonly seq: number;
  /** The state machine's command, for the page to say in its own words (names for order ids). */
  readonly command: unknown;
  readonly text: string;
  /** The state machine's answer ("shipped", "refused: already cancelled"), once applied. */
  readonly answer?: string;
}

/** What the phone stores about itself as a client: its id, its next seq, what is in flight. */
interface ClientRecord {
  readonly client: ClientId;
  readonly nextSeq: number;
  readonly outstanding: { readonly seq: number; readonly command: unknown } | undefined;
  readonly queue: readonly unknown[];
}

function parseClientRecord(raw: unknown): ClientRecord | undefined {
  if (!isRecord(raw) || typeof raw.client !== 'string' || raw.client.length === 0) return undefined;
  if (!isNonNegativeInteger(raw.nextSeq) || raw.nextSeq < 1 || raw.nextSeq > MAX_CLIENT_SEQ) return undefined;
  const out = raw.outstanding;
  const outstanding =
    isRecord(out) && isNonNegativeInteger(out.seq) && out.seq >= 1 ? { seq: out.seq, command: out.command } : undefined;
  if (out !== undefined && out !== null && outstanding === undefined) return undefined;
  if (!isBoundedArray(raw.queue, LIVE_MAX_QUEUED_COMMANDS, (x): x is unknown => isRecord(x))) return undefined;
  return { client: raw.client, nextSeq: raw.nextSeq, outstanding, queue: [...raw.queue] };
}

/** A short random client id: a tab that loses its counter also loses this id (see client-sessions.ts). */
function freshClientId(self: PeerId, seed: number): ClientId {
  return `${self.slice(0, 22)}~${(seed >>> 0).toString(36).padStart(7, '0').slice(-7)}`;
}

export class LiveLogNode extends MachineHost {
  private readonly machine: StateMachine<unknown, unknown, unknown>;
  private replica: ReplicatedState<unknown, unknown>;
  /** The snapshot the replica was last restored from (entries 1 … base), how many restores so far, and the latest one's cause. */
  private base = 0;
  private restores = 0;
  private restoreCause: RestoreCause = 'restart';
  /** The newest snapshot this node holds (restored, installed or taken), for learners' catch-up: the state at `index`, as text. */
  private snapshot: { readonly index: number; readonly data: string } | undefined;
  /**
   * The commits this replica still holds in memory, those after `heldAfter` (committed[i] is
   * index heldAfter + i + 1), with what the replica did with each. At each snapshot the ones it
   * covers go once reported (trimHeld): memory stays bounded however long the class runs, and a
   * learner asking below `heldAfter` gets the snapshot instead.
   */
  private heldAfter = 0;
  private readonly committed: ReportedCommit[] = [];
  private readonly appliedBy: (ReportedApply | undefined)[] = [];
  /** Commits up to this index are in a report to the dashboard (or were dropped before one, see trimHeld). */
  private reportedThrough = 0;
  private lastLogSignature = '';
  private summary: StateSummary | undefined;
  private client: ClientRecord;
  private readonly mine: MyCommand[] = [];
  private tokens = LIVE_COMMAND_BURST;
  private tokensAt: number;
  private retryTimer: unknown;
  /** When each learner last asked for entries (a learner cannot keep a member busy). */
  private readonly lastCatchUp = new Map<PeerId, number>();
  /** Peers' terms or ballots judged before the machine sees them (a liar's jump wedges nobody). */
  private readonly epochs: EpochPlausibility;
  /** This replica's epoch after its last persisting step (every change of term or ballot persists). */
  private epochNow: Epoch;

  constructor(private readonly options: LiveLogNodeOptions) {
    const log = new NodeStore(options.store, { kind: 'book', book: options.book });
    const read = log.read;
    // How this incarnation started, for the dashboard's replay (a stored log too large for a
    // report is left out: that incarnation's replay says so).
    const startDurable = startingDurable(read);
    const startFits = startDurable === undefined || JSON.stringify(startDurable).length <= LIVE_REPLAY_START_MAX_BYTES;
    super(options, {
      spec: options.spec,
      members: options.book.members,
      storage: log,
      commitIsDecision: false,
      report: {
        start: startFits
          ? { timing: options.timing, ...(startDurable !== undefined ? { durable: startDurable } : {}) }
          : { timing: options.timing, durableOmitted: true },
        restarted: read.kind !== 'absent',
      },
    });
    this.machine = stateMachineNamed(options.book.stateMachine) as StateMachine<unknown, unknown, unknown>;
    this.replica = initialReplicated(this.machine);
    this.tokensAt = options.now();
    this.listenOnly = read.kind === 'unreadable';
    const client = parseClientRecord(options.store.load(storeKey(options.book.id, 'client')));
    this.client = client ?? { client: freshClientId(options.self, options.seed), nextSeq: 1, outstanding: undefined, queue: [] };
    // A first start stores the book beside its log (a reopened tab finds it before anyone re-announces it).
    if (!log.open()) this.storageFull = true;
    try {
      if (client === undefined) options.store.save(storeKey(options.book.id, 'client'), this.client);
    } catch {
      this.storageFull = true;
    }
    let durable = startDurable;
    // A stored snapshot: the replica starts from its state, the algorithm from the entries after it.
    const stored = read.kind === 'ok' ? read.durable?.snapshot : undefined;
    if (stored !== undefined && !this.restoreFrom(stored, JSON.parse(stored.data) as unknown, 'restart')) {
      // Not a state of this book's machine: unreadable, never a fresh start, now or after a reload.
      this.listenOnly = true;
      log.markListenOnly();
      durable = UNREADABLE_DURABLE;
    }
    this.epochs = new EpochPlausibility(options.self, options.book.members);
    this.startMachine(durable);
    const view = this.logView();
    this.epochNow = view.epoch;
    this.epochs.noteOwn(view.epoch, view.role, false);
    // A command that was in flight when the tab closed goes out again (same seq: at most once).
    if (!this.stopped && this.client.outstanding !== undefined) this.sendOutstanding();
  }

  protected override logReporter(): { readonly log: LogReporter } {
    return { log: { pending: () => this.logPending(), take: (full) => this.takeLogReport(full) } };
  }

  get book(): BookAnnouncement {
    return this.options.book;
  }

  get clientId(): ClientId {
    return this.client.client;
  }

  /** The replicated state as this replica applied it (the phone's order book). */
  get state(): unknown {
    return this.replica.machine;
  }

  get stateSummary(): StateSummary {
    this.summary ??= summarizeState(this.options.book.stateMachine, this.replica.machine);
    return this.summary;
  }

  get appliedIndex(): number {
    return this.heldAfter + this.committed.length;
  }

  /** Committed entries held in memory now (bounded by the snapshots: LIVE_MAX_HELD_COMMITS). */
  get heldCommits(): number {
    return this.committed.length;
  }

  /** This phone's commands, newest last, with their answers. */
  get myCommands(): readonly MyCommand[] {
    return this.mine;
  }

  /** An order id no command of this phone used before: its node id and its next seq. */
  get nextOrderId(): string {
    return mintOrderId(this.options.self, this.client.nextSeq + this.client.queue.length);
  }

  /** Commands waiting behind the one in flight. */
  get queued(): number {
    return this.client.queue.length + (this.client.outstanding !== undefined ? 1 : 0);
  }

  logView(): LogView {
    return this.handle.logView() as LogView;
  }

  /**
   * The phone pressed a button: validate, rate-limit, and submit (or queue behind the command in
   * flight). A string is a refusal to show; nothing was submitted then.
   */
  submit(raw: unknown): string | undefined {
    if (this.stopped) return this.storageFull ? 'storage is full: this node stopped' : 'this node stopped';
    if (this.listenOnly) return 'this phone’s stored log is unreadable: it only listens';
    const checked = this.machine.checkCommand(raw);
    if (!checked.ok) return checked.error;
    if (this.queued > LIVE_MAX_QUEUED_COMMANDS) return 'wait for your earlier commands to be answered';
    if (!this.takeToken()) return 'slow down: too many commands from this phone';
    const command = checked.value;
    if (this.client.outstanding !== undefined) {
      return this.saveClient({ ...this.client, queue: [...this.client.queue, command] }) ? undefined : this.stopFull();
    }
    return this.startCommand(command);
  }

  /** Who may send this replica algorithm messages: the book's members (learners only ask to learn). */
  protected isMember(peer: PeerId): boolean {
    return this.options.book.members.includes(peer);
  }

  protected parseMessage(raw: unknown): unknown {
    return this.options.spec.parseMessage(raw);
  }

  /**
   * What a log message carries, for the teacher's held list: the commands in it ("place A (book)",
   * "2 entries: no-op, ship A"), since log messages have no single `value`.
   */
  protected override carried(message: unknown): string | undefined {
    if (!isRecord(message)) return undefined;
    const texts: string[] = [];
    if (message.type === 'forward') texts.push(this.describe(message.command));
    else if (Array.isArray(message.entries)) {
      for (const entry of message.entries) {
        if (!isRecord(entry) || !isRecord(entry.command)) continue;
        texts.push(entry.command.kind === 'noop' ? 'no-op' : this.describe(entry.command.command));
      }
    }
    if (texts.length === 0) return undefined;
    const text = texts.length === 1 ? (texts[0] as string) : `${texts.length} entries: ${texts.join(', ')}`;
    return text.length <= MAX_VALUE_LENGTH ? text : `${text.slice(0, MAX_VALUE_LENGTH - 1)}…`;
  }

  /** A stop is a crash: the command in flight is retried by the next incarnation, not this one. */
  override stop(): void {
    if (this.retryTimer !== undefined) this.options.clock.clearTimeout(this.retryTimer);
    super.stop();
  }

  /**
   * A learner's catch-up from index `from`: a chunk of this replica's snapshot when it no longer
   * holds those entries as entries, else committed entries, at most `maxBytes` of them (at least
   * one if any). Nothing when the same peer asks again within LIVE_CATCHUP_MIN_INTERVAL_MS:
   * anyone in the room may ask, and asking must not keep a member busy (snapshot chunks included).
   */
  answerLearner(
    peer: PeerId,
    from: number,
    snapshot: { readonly index: number; readonly offset: number } | undefined,
    maxBytes: number,
  ): { readonly kind: 'snapshot'; readonly chunk: SnapshotForLearner } | { readonly kind: 'entries'; readonly entries: ReportedCommit[] } | undefined {
    const now = this.options.now();
    const last = this.lastCatchUp.get(peer);
    if (last !== undefined && now - last < LIVE_CATCHUP_MIN_INTERVAL_MS) return undefined;
    if (this.lastCatchUp.size >= MAX_PEERS_PER_ROOM && last === undefined) this.lastCatchUp.clear();
    this.lastCatchUp.set(peer, now);
    const chunk = this.snapshotFor(from, snapshot?.index, snapshot?.offset ?? 0);
    if (chunk !== undefined) return { kind: 'snapshot', chunk };
    const entries = this.committedFrom(from, maxBytes);
    return entries.length > 0 ? { kind: 'entries', entries } : undefined;
  }

  /** Committed entries from index `from`, at most `maxBytes` of them (at least one if any). */
  private committedFrom(from: number, maxBytes: number): ReportedCommit[] {
    const out: ReportedCommit[] = [];
    let bytes = 0;
    for (let i = from - this.heldAfter - 1; i >= 0 && i < this.committed.length && out.length < MAX_COMMITS_PER_MESSAGE; i++) {
      const commit = this.committed[i] as ReportedCommit;
      const size = JSON.stringify(commit).length + 1;
      if (out.length > 0 && bytes + size > maxBytes) break;
      bytes += size;
      out.push(commit);
    }
    return out;
  }

  /**
   * A learner asks from `from`, which this replica no longer holds as entries (its state came
   * from a snapshot, or it dropped them at one): the chunk of the snapshot at `offset` (from 0
   * when it asks about an older one), undefined when the entries are here (committedFrom
   * answers) or there is no snapshot. The snapshot covers at least 1 … heldAfter (trimHeld), so
   * the entries after it are held.
   */
  private snapshotFor(from: number, snapshotIndex: number | undefined, offset: number): SnapshotForLearner | undefined {
    const snapshot = this.snapshot;
    if (snapshot === undefined || from > this.heldAfter || from > snapshot.index) return undefined;
    const start = snapshotIndex === snapshot.index ? Math.min(offset, snapshot.data.length) : 0;
    const { piece, done } = snapshotChunk(snapshot.data, start);
    return { index: snapshot.index, offset: start, data: piece, done };
  }

  // ---- the client side ------------------------------------------------------------------

  private startCommand(command: unknown): string | undefined {
    const seq = this.client.nextSeq;
    const next: ClientRecord = { ...this.client, nextSeq: seq + 1, outstanding: { seq, command } };
    // The seq is stored before the command leaves: a reload never reuses it for another command.
    if (!this.saveClient(next)) return this.stopFull();
    this.noteMine({ seq, command, text: this.machine.describe(command) });
    this.sendOutstanding();
    return undefined;
  }

  private sendOutstanding(): void {
    const outstanding = this.client.outstanding;
    if (outstanding === undefined || this.stopped) return;
    if (!this.mine.some((m) => m.seq === outstanding.seq)) this.noteMine({ seq: outstanding.seq, command: outstanding.command, text: this.describe(outstanding.command) });
    const submit = { client: this.client.client, seq: outstanding.seq, command: outstanding.command };
    this.step({ kind: 'propose', value: this.describe(outstanding.command).slice(0, MAX_VALUE_LENGTH), submit }, { type: 'submit', ...submit });
    if (this.retryTimer !== undefined) this.options.clock.clearTimeout(this.retryTimer);
    const retryMs = this.retryMs();
    this.retryTimer = this.options.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.client.outstanding?.seq === outstanding.seq) this.sendOutstanding();
    }, retryMs);
  }

  /**
   * How long a command waits for its answer before it goes again: LIVE_COMMAND_RETRY_MS plus
   * two round trips, and never less than the longest election timeout this replica can draw
   * plus a round trip, so a retry is for a command lost with its leader, not one waiting out
   * an election (timeouts scale with the delay and the room: liveLogTiming).
   */
  private retryMs(): number {
    const delayMs = this.options.deliveryDelayMs();
    const election = this.options.timing.electionTimeoutMs ?? this.options.timing.phaseTimeoutMs;
    return Math.max(LIVE_COMMAND_RETRY_MS + 4 * delayMs, RAFT_ELECTION_TIMEOUT_FACTOR * election + 2 * delayMs);
  }

  /** My own command came back applied: that is its answer; the next queued one goes out. */
  private answered(seq: number, answer: string): void {
    if (this.client.outstanding?.seq !== seq) return;
    const index = this.mine.findIndex((m) => m.seq === seq);
    if (index >= 0) this.mine[index] = { ...(this.mine[index] as MyCommand), answer };
    const [next, ...rest] = this.client.queue;
    if (!this.saveClient({ ...this.client, outstanding: undefined, queue: rest })) return void this.stopFull();
    if (this.retryTimer !== undefined) this.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A separate step: we are inside the step that committed it.
    if (next !== undefined) this.options.clock.setTimeout(() => this.startCommand(next), 0);
  }

  private describe(command: unknown): string {
    const parsed = this.machine.parseCommand(command);
    return parsed === undefined ? 'unreadable command' : this.machine.describe(parsed);
  }

  private noteMine(command: MyCommand): void {
    this.mine.push(command);
    if (this.mine.length > LIVE_MAX_ANSWERS_SHOWN) this.mine.shift();
  }

  private takeToken(): boolean {
    const now = this.options.now();
    this.tokens = Math.min(LIVE_COMMAND_BURST, this.tokens + ((now - this.tokensAt) * LIVE_COMMANDS_PER_MINUTE) / 60_000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private saveClient(next: ClientRecord): boolean {
    try {
      this.options.store.save(storeKey(this.options.book.id, 'client'), next);
    } catch {
      return false;
    }
    this.client = next;
    return true;
  }

  // ---- the replica side -----------------------------------------------------------------

  /**
   * A term or round far above what the others chose is refused and its chooser named (the
   * dashboard flags whom enough members name); a little above, dropped like a lost message.
   */
  protected override admit(from: PeerId, message: unknown): boolean {
    const judged = this.epochs.judge(from, message, this.epochNow);
    if (judged.verdict === 'refuse') this.noteRefusal(judged.culprit ?? from, 'implausible');
    return judged.verdict !== 'refuse' && judged.verdict !== 'ignore';
  }

  /** Every change of term or ballot persists: what peers' epochs are judged against. */
  protected override persisted(): void {
    const view = this.logView();
    this.epochNow = view.epoch;
    this.epochs.noteOwn(view.epoch, view.role, true);
  }

  /**
   * A peer's snapshot to install. One that is no state of this book makes the node stop: it
   * cannot vouch for its log any more, and the snapshot is stored already, so a reopened tab
   * finds it unreadable and only listens, never starting fresh.
   */
  protected override restored(snapshot: LogSnapshot, state: unknown): boolean {
    return this.restoreFrom(snapshot, state, 'install');
  }

  protected override onCommit(entries: readonly CommittedEntry[]): void {
    this.apply(entries);
  }

  /** The replica becomes the snapshot's state; commits continue after its index. False if it is not a state of this machine. */
  private restoreFrom(snapshot: LogSnapshot, raw: unknown, cause: RestoreCause): boolean {
    const state = parseReplicatedState(this.machine, raw);
    if (state === undefined) return false;
    this.replica = state;
    this.summary = undefined;
    this.base = snapshot.index;
    this.snapshot = snapshot;
    this.restores++;
    this.restoreCause = cause;
    this.heldAfter = snapshot.index;
    this.committed.length = 0;
    this.appliedBy.length = 0;
    this.reportedThrough = snapshot.index;
    return true;
  }

  /**
   * Drops the commits the newest snapshot covers once they are reported. Reports that fell
   * LIVE_MAX_HELD_COMMITS behind do not hold memory hostage: the covered ones go unreported,
   * and a full report at once starts the dashboard's history of this replica after them
   * (`commitsAfter`), so its checker sees a replica restarting from a snapshot, not a gap.
   */
  private trimHeld(mayForce: boolean): void {
    const snapshotIndex = this.snapshot?.index ?? 0;
    const forced = mayForce && this.committed.length > LIVE_MAX_HELD_COMMITS && snapshotIndex > this.reportedThrough;
    const to = forced ? snapshotIndex : Math.min(snapshotIndex, this.reportedThrough);
    if (to <= this.heldAfter) return;
    const count = Math.min(to - this.heldAfter, this.committed.length);
    this.committed.splice(0, count);
    this.appliedBy.splice(0, count);
    this.heldAfter += count;
    this.reportedThrough = Math.max(this.reportedThrough, this.heldAfter);
    if (forced) this.reports.flush(true);
  }

  /**
   * Every LOG_SNAPSHOT_EVERY entries the replica's state goes to the machine to compact its log,
   * as a step of its own right after this one (the state is immutable: this is the state at
   * `index` even if more entries follow first).
   */
  private compactAt(index: number): void {
    const state = this.replica;
    this.options.clock.setTimeout(() => {
      if (this.stopped) return;
      this.step({ kind: 'compact', index }, { type: 'compact', index, state });
      const view = this.logView();
      const data = snapshotText(state);
      // Over MAX_SNAPSHOT_BYTES the machine refused it too (its view still shows the old index).
      if (view.snapshotIndex !== index || data === undefined) return;
      this.snapshot = { index, data };
      this.trimHeld(true);
    }, 0);
  }

  /** Applies committed entries in order, exactly once per (client, seq), through the sessions. */
  private apply(entries: readonly CommittedEntry[]): void {
    for (const entry of entries) {
      // The contract: contiguous from 1 (or after the snapshot) in each incarnation. Anything
      // else is the algorithm's bug, which the dashboard's checker reports; the replica does not
      // apply out of order.
      if (entry.index !== this.appliedIndex + 1) continue;
      this.applyOne(entry);
      if (entry.index % LOG_SNAPSHOT_EVERY === 0) this.compactAt(entry.index);
    }
  }

  private applyOne(entry: CommittedEntry): void {
    const epoch = committedEpoch(entry);
    // A log machine's entries carry their term or ballot (only a write-once decision has none).
    if (epoch === undefined) throw new Error(`${this.options.spec.name} committed entry ${entry.index} without its term or ballot`);
    this.committed.push({ index: entry.index, epoch, command: entry.command });
    if (entry.command.kind === 'noop') {
      this.appliedBy.push(undefined);
      return;
    }
    const command = this.machine.parseCommand(entry.command.command);
    if (command === undefined) {
      this.appliedBy.push({ index: entry.index, outcome: 'skipped' });
      return;
    }
    const { state, outcome } = applyClientCommand(this.machine, this.replica, {
      client: entry.command.client,
      seq: entry.command.seq,
      command,
    });
    this.replica = state;
    this.summary = undefined;
    const result = answerOf(outcome);
    const kind = outcome.kind === 'applied' || outcome.kind === 'duplicate' ? outcome.kind : 'skipped';
    this.appliedBy.push({ index: entry.index, outcome: kind, ...(result !== undefined ? { result: canonicalJson(result) } : {}) });
    if (entry.command.client === this.client.client) {
      this.answered(entry.command.seq, result !== undefined ? this.machine.describeResult(result) : `not applied (${outcome.kind})`);
    }
  }

  // ---- reports --------------------------------------------------------------------------

  private logSignature(view: LogView): string {
    return `${view.role}|${JSON.stringify(view.epoch)}|${view.leader ?? ''}|${view.commitIndex}|${view.lastIndex}`;
  }

  private logPending(): boolean {
    return this.reportedThrough < this.appliedIndex || this.logSignature(this.logView()) !== this.lastLogSignature;
  }

  private takeLogReport(full: boolean): LogReport {
    // A full report starts again from the oldest commit held; any before it only the state has.
    if (full) this.reportedThrough = this.heldAfter;
    const view = this.logView();
    this.lastLogSignature = this.logSignature(view);
    const commits: ReportedCommit[] = [];
    const applies: ReportedApply[] = [];
    let bytes = 0;
    while (this.reportedThrough < this.appliedIndex) {
      const at = this.reportedThrough - this.heldAfter;
      const commit = this.committed[at] as ReportedCommit;
      const applied = this.appliedBy[at];
      const size = JSON.stringify(commit).length + (applied ? JSON.stringify(applied).length : 0) + 2;
      if (commits.length > 0 && bytes + size > LIVE_REPORT_COMMIT_BYTES) break;
      bytes += size;
      commits.push(commit);
      if (applied) applies.push(applied);
      this.reportedThrough++;
    }
    const commitsAfter = full && this.heldAfter > this.base ? this.heldAfter : undefined;
    // Reports that lagged behind the last snapshot release what they have now carried.
    this.trimHeld(false);
    const summary = this.stateSummary;
    const electionInMs = view.role === 'leader' ? undefined : this.electionInMs();
    return {
      role: view.role,
      epoch: view.epoch,
      ...(view.leader !== undefined ? { leader: view.leader } : {}),
      commitIndex: view.commitIndex,
      lastIndex: view.lastIndex,
      applied: this.appliedIndex,
      ...(view.snapshotIndex > 0 ? { snapshotIndex: view.snapshotIndex } : {}),
      ...(this.restores > 0 ? { restored: { index: this.base, count: this.restores, cause: this.restoreCause } } : {}),
      ...(commitsAfter !== undefined ? { commitsAfter } : {}),
      listenOnly: view.listenOnly,
      window: view.window.slice(-LIVE_REPORT_WINDOW),
      ...(electionInMs !== undefined ? { electionInMs } : {}),
      commits,
      applies,
      stateDigest: summary.digest,
      stateSize: summary.size,
      rows: summary.rows,
    };
  }

  /** The election timer: the machine's pending timer at least as long as the election base. */
  private electionInMs(): number | undefined {
    const base = this.options.timing.electionTimeoutMs ?? this.options.timing.phaseTimeoutMs;
    const now = this.options.now();
    let left: number | undefined;
    for (const [id, timer] of this.pendingTimers()) {
      if (timer.ms < base) continue;
      // A frozen clock (the teacher's pause) knows what each timer has left; "due at" would run on.
      const ms = this.options.clock.remainingMs?.(id) ?? timer.dueAt - now;
      if (left === undefined || ms > left) left = ms;
    }
    return left === undefined ? undefined : Math.max(0, Math.round(left));
  }

  /** A client write failed: the node stops as for any failed write; the phone is told why. */
  private stopFull(): string {
    this.stopForStorage();
    return 'storage is full: this node stopped';
  }
}
