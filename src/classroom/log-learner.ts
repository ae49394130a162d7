/**
 * A late joiner's view of a live replicated log. Members are fixed when the book starts, so a
 * phone that joins later is no replica of the algorithm (it never votes, accepts or counts
 * toward a quorum): it is a learner. It asks a member for the committed entries after the ones
 * it applied, in chunks that each fit in a message, and applies them to its own copy of the
 * state machine through the client sessions, exactly as a member's replica does, so it shows
 * the same book. While it is behind it asks again as soon as a chunk arrives; once caught up,
 * every LIVE_LEARNER_POLL_MS.
 *
 * What a learner shows is what one member told it: it can be misled by a lying member (as a
 * phone's display, nothing else depends on it), and it asks the members in turn so one that
 * is gone or lagging does not stall it. Entries that do not continue its log are dropped.
 */
import { applyClientCommand, initialReplicated, parseReplicatedState, type ReplicatedState } from '../core/client-sessions.ts';
import { receiveSnapshotChunk, type SnapshotInbox } from '../core/log.ts';
import type { StateMachine } from '../core/state-machine.ts';
import { stateMachineNamed } from '../core/state-machines.ts';
import { LIVE_LEARNER_POLL_MS } from '../limits.ts';
import type { Clock } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';
import type { BookAnnouncement, ReportedCommit, SnapshotForLearner } from './log-protocol.ts';
import { summarizeState, type StateSummary } from './state-summary.ts';

export interface LogLearnerOptions {
  readonly book: BookAnnouncement;
  readonly clock: Clock;
  /** Members connected now, to ask in turn. */
  readonly reachableMembers: () => readonly PeerId[];
  /** `snapshot`: the member's snapshot being received, and the offset of the next chunk wanted. */
  readonly ask: (member: PeerId, from: number, snapshot?: { readonly index: number; readonly offset: number }) => void;
  readonly onChange: () => void;
}

export class LogLearner {
  private readonly machine: StateMachine<unknown, unknown, unknown>;
  private replica: ReplicatedState<unknown, unknown>;
  private applied = 0;
  private turn = 0;
  private timer: unknown;
  private stopped = false;
  private summary: StateSummary | undefined;
  /** A member's snapshot being received (its entries up to the snapshot were compacted away). */
  private inbox: SnapshotInbox | undefined;

  constructor(private readonly options: LogLearnerOptions) {
    this.machine = stateMachineNamed(options.book.stateMachine) as StateMachine<unknown, unknown, unknown>;
    this.replica = initialReplicated(this.machine);
    this.askNext(0);
  }

  get book(): BookAnnouncement {
    return this.options.book;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get state(): unknown {
    return this.replica.machine;
  }

  get stateSummary(): StateSummary {
    this.summary ??= summarizeState(this.options.book.stateMachine, this.replica.machine);
    return this.summary;
  }

  /** A chunk from `from` (the connection's peer): applied if it continues this learner's log. */
  receive(from: PeerId, entries: readonly ReportedCommit[]): void {
    if (this.stopped || !this.options.book.members.includes(from)) return;
    let moved = false;
    for (const entry of entries) {
      if (entry.index !== this.applied + 1) continue;
      this.applied = entry.index;
      moved = true;
      if (entry.command.kind === 'noop') continue;
      const command = this.machine.parseCommand(entry.command.command);
      if (command === undefined) continue;
      this.replica = applyClientCommand(this.machine, this.replica, { client: entry.command.client, seq: entry.command.seq, command }).state;
    }
    if (!moved) return;
    this.summary = undefined;
    this.options.onChange();
    // Behind (a full chunk came): ask again at once; the poll timer covers the rest.
    this.askNext(0);
  }

  /**
   * A chunk of a member's snapshot: the entries this learner needs next were compacted into it.
   * The next chunk is asked of the same member at once; with the last, the learner's state
   * becomes the snapshot's (if it is a state of this book's machine) and entries follow from there.
   */
  receiveSnapshot(from: PeerId, chunk: SnapshotForLearner): void {
    if (this.stopped || !this.options.book.members.includes(from) || chunk.index <= this.applied) return;
    const outcome = receiveSnapshotChunk(this.inbox, { from, index: chunk.index, term: 0, offset: chunk.offset, data: chunk.data, done: chunk.done });
    if (outcome.kind === 'partial') {
      this.inbox = outcome.inbox;
      this.options.ask(from, this.applied + 1, { index: chunk.index, offset: outcome.offset });
      return;
    }
    this.inbox = undefined;
    const state = parseReplicatedState(this.machine, outcome.state);
    if (state === undefined) return; // not this book's state: ask the next member in turn
    this.replica = state;
    this.applied = outcome.snapshot.index;
    this.summary = undefined;
    this.options.onChange();
    this.askNext(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
  }

  private askNext(delayMs: number): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      const members = this.options.reachableMembers();
      if (members.length > 0) {
        this.turn = (this.turn + 1) % members.length;
        this.options.ask(members[this.turn] as PeerId, this.applied + 1);
      }
      this.askNext(LIVE_LEARNER_POLL_MS);
    }, delayMs);
  }
}
