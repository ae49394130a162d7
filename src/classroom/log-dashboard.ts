/**
 * What the teacher's dashboard knows of a live replicated log: each member's latest log report
 * (role, term or ballot, commit and applied indices, the window, the election countdown, its
 * state's digest and newest rows), and the facts the simulator's log checkers read, rebuilt
 * from what the reports carry: role changes, every commit (index, epoch, command), and what each
 * replica did with each command. The live checker is the simulator's own (LogRunJudge of
 * src/sim/log-checker.ts, the incremental core of `checkLogRun`), not a second copy: election
 * safety, state-machine safety (no two replicas commit different commands at one index, never a
 * retraction or a gap) and exactly-once per (client, seq). Each report's new facts wait in a
 * queue until the projector next looks (at most once per frame) and are then fed to the judge
 * once each and dropped: the work per report is proportional to the report, never to the
 * history, and memory holds the judge's indexes, not the facts. Log matching and leader completeness need whole logs, which reports do not
 * carry (only a window), so the live checker does not claim them.
 *
 * A member's commits restart at index 1 in each incarnation (and when the dashboard asked for a
 * full report): each such run is its own stream, numbered here, as the checker expects.
 */
import { commandKey, epochKey } from '../core/log.ts';
import type { CommittedEntry, LogRole } from '../core/types.ts';
import { LIVE_CHECKER_MAX_FACTS, MAX_TRACE_ENTRIES } from '../limits.ts';
import type { ApplyRecord, LogProperty, LogRunJudge, LogViolation } from '../sim/log-checker.ts';
import type { TraceEntry } from '../sim/trace.ts';
import type { PeerId } from '../transport/types.ts';
import type { BookAnnouncement, LogReport, ReportedCommit, RestoredFrom, RestoreCause } from './log-protocol.ts';
import type { NodeReport } from './protocol.ts';
import { implausibleMultiPaxos, implausibleRaft, type ImplausibleReport } from './log-plausibility.ts';

/** The properties the live checker judges from reports (see the header). */
export const LIVE_LOG_PROPERTIES: readonly LogProperty[] = ['election-safety', 'state-machine-safety', 'exactly-once'];

export interface BookMemberState {
  readonly log: Omit<LogReport, 'commits' | 'applies'>;
  readonly lastReportAtMs: number;
  /** When its election timer runs out, on the dashboard's clock (follower or candidate), while the room runs. */
  readonly electionDueAtMs: number | undefined;
  /**
   * While the teacher's pause stands: what its election timer has left, standing still (every
   * node's clock is frozen, so the countdown must be too); on resume it runs on from this.
   */
  readonly electionFrozenMs: number | undefined;
  readonly incarnation: number;
  /** It restarted from stored state at least once (its tab was closed and reopened). */
  readonly rejoined: boolean;
}

export interface BookRecord {
  readonly announcement: BookAnnouncement;
  readonly members: ReadonlyMap<PeerId, BookMemberState>;
  readonly version: number;
}

export interface BookCheck {
  readonly properties: readonly LogProperty[];
  readonly violations: readonly LogViolation[];
  /** Replicas that applied the same number of entries yet hold different states. */
  readonly divergent: readonly { readonly applied: number; readonly nodes: readonly PeerId[] }[];
  /** Highest index any member reported committed. */
  readonly committed: number;
  /** Facts beyond LIVE_CHECKER_MAX_FACTS were not checked. */
  readonly truncated: boolean;
  /** Members whose last report no message could have produced (not believed; log-plausibility.ts). */
  readonly claims: readonly { readonly member: PeerId; readonly problems: readonly ImplausibleReport[] }[];
  /**
   * Retries answered from a replica's snapshot whose commits the dashboard never saw (it
   * reloaded mid-book): whether each was a legal answer or a phantom is not known yet.
   */
  readonly undecided: number;
}

/** What became of one report: applied, from someone not in the book, or a checkable lie (not believed). */
export type BookReportOutcome = 'applied' | 'not-a-member' | 'implausible';

interface Stream {
  readonly inc: number;
  readonly id: number;
  role: LogRole | undefined;
  epochKey: string;
  /** The last restore count this stream reported (a new one is a snapshot the checker must hear of). */
  restores: number;
  /** Where this stream's history starts, when its replica no longer held the commits before (commitsAfter; 0: none). */
  historyFrom: number;
}

/**
 * Where a replica's restored state came from, as its report says; a replica older than the
 * field does not say, and then the dashboard infers it as it used to (a restarted
 * incarnation's first restore is its stored snapshot, any later one an install).
 */
export function restoreCause(restored: RestoredFrom, restarted: boolean): RestoreCause {
  return restored.cause ?? (restarted && restored.count === 1 ? 'restart' : 'install');
}

/** A fact waiting for the judge, in the order the reports carried them. */
type Fact = { readonly kind: 'trace'; readonly entry: TraceEntry } | { readonly kind: 'apply'; readonly record: ApplyRecord };

interface BookState {
  readonly announcement: BookAnnouncement;
  readonly members: Map<PeerId, BookMemberState>;
  readonly streams: Map<PeerId, Stream>;
  /** Facts not judged yet (drained by `check`). */
  queue: Fact[];
  /** The judge, made on the first check (the checker's code loads with the projector's board). */
  judge: LogRunJudge | undefined;
  /** Facts queued so far, judged or not (LIVE_CHECKER_MAX_FACTS bounds the judge's memory). */
  facts: number;
  truncated: boolean;
  version: number;
  step: number;
  cached: { version: number; check: BookCheck } | undefined;
  /** Members whose latest report was implausible, with why. */
  readonly claims: Map<PeerId, readonly ImplausibleReport[]>;
  /** Every member's report as received, oldest first (up to MAX_TRACE_ENTRIES): the space-time diagram's input. */
  readonly reports: { readonly atMs: number; readonly node: PeerId; readonly report: NodeReport }[];
}

function toCommitted(commit: ReportedCommit): CommittedEntry {
  return commit.epoch.kind === 'term'
    ? { index: commit.index, term: commit.epoch.term, command: commit.command }
    : { index: commit.index, ballot: commit.epoch.ballot, command: commit.command };
}

/**
 * What the projector's election countdown shows for a member at `nowMs`: the frozen time left
 * while the room is paused, else the time to its due moment; undefined when no election timer runs.
 */
export function electionLeftMs(member: Pick<BookMemberState, 'electionDueAtMs' | 'electionFrozenMs'>, nowMs: number): number | undefined {
  if (member.electionFrozenMs !== undefined) return member.electionFrozenMs;
  return member.electionDueAtMs === undefined ? undefined : Math.max(0, member.electionDueAtMs - nowMs);
}

export class BookDashboard {
  private readonly books = new Map<string, BookState>();
  private nextStream = 1;
  /** The teacher's pause: every node's clock stands still, so every countdown shown does too. */
  private paused = false;

  /**
   * The teacher paused or resumed the room at `nowMs`. Pausing freezes each member's countdown
   * at what it had left; resuming runs it on from there (reports in between carry the frozen
   * time their node's clock kept), so no countdown reaches zero while nothing can fire.
   */
  setPaused(paused: boolean, nowMs: number): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const book of this.books.values()) {
      for (const [peer, member] of book.members) {
        const left = electionLeftMs(member, nowMs);
        book.members.set(peer, {
          ...member,
          electionDueAtMs: left === undefined || paused ? undefined : nowMs + left,
          electionFrozenMs: left === undefined || !paused ? undefined : left,
        });
      }
      book.version++;
    }
  }

  has(id: string): boolean {
    return this.books.has(id);
  }

  announce(announcement: BookAnnouncement): void {
    if (this.books.has(announcement.id)) return;
    this.books.set(announcement.id, {
      announcement,
      members: new Map(),
      streams: new Map(),
      queue: [],
      judge: undefined,
      facts: 0,
      truncated: false,
      version: 0,
      step: 0,
      cached: undefined,
      claims: new Map(),
      reports: [],
    });
  }

  forget(id: string): void {
    this.books.delete(id);
  }

  /**
   * Applies one member's report. Not a member, or a report no message could have produced
   * (log-plausibility.ts): nothing of it is believed (the caller flags the sender); the member's last
   * believable state stays on the projector, with the claim beside it.
   */
  applyReport(from: PeerId, id: string, report: NodeReport, nowMs: number): BookReportOutcome {
    const book = this.books.get(id);
    if (book === undefined || !book.announcement.members.includes(from)) return 'not-a-member';
    // Kept as received for the diagram's replay (a lie in it makes only that member's replay unavailable).
    if (book.reports.length < MAX_TRACE_ENTRIES) book.reports.push({ atMs: nowMs, node: from, report });
    const log = report.log;
    if (log === undefined) return 'applied';
    const problems =
      log.epoch.kind === 'ballot'
        ? implausibleMultiPaxos(log, book.announcement.members, this.othersHighestRound(book, from))
        : implausibleRaft(log, this.othersHighestTerm(book, from));
    if (problems.length > 0) {
      book.claims.set(from, problems);
      book.version++;
      return 'implausible';
    }
    book.claims.delete(from);
    const previous = book.members.get(from);
    let stream = book.streams.get(from);
    if (stream === undefined || stream.inc !== report.inc || report.full) {
      stream = { inc: report.inc, id: this.nextStream++, role: undefined, epochKey: '', restores: 0, historyFrom: 0 };
      book.streams.set(from, stream);
    }
    const at = { step: ++book.step, time: Math.round(nowMs) };
    const key = epochKey(log.epoch);
    if (stream.role !== log.role || stream.epochKey !== key) {
      stream.role = log.role;
      stream.epochKey = key;
      this.push(book, { ...at, kind: 'role', node: from, incarnation: stream.id, role: log.role, epoch: log.epoch, log: undefined });
    }
    // The replica's state came from a snapshot (stored, or installed from a peer): its commits
    // continue after the snapshot's index, which the checker must know before they arrive.
    if (log.restored !== undefined && log.restored.count !== stream.restores) {
      stream.restores = log.restored.count;
      this.push(book, { ...at, kind: 'snapshot', node: from, incarnation: stream.id, index: log.restored.index, cause: restoreCause(log.restored, report.restarted) });
    }
    // History starts here: the replica no longer holds its commits up to `commitsAfter` (its own
    // snapshot covers them), so this stream's commits start after it. The judge hears of it as a
    // restore of the stream, so it neither sees a gap nor calls a retry answered from that
    // snapshot a phantom duplicate when it never saw the command's first commit.
    if (log.commitsAfter !== undefined && log.commitsAfter > (log.restored?.index ?? 0) && stream.historyFrom < log.commitsAfter) {
      stream.historyFrom = log.commitsAfter;
      this.push(book, { ...at, kind: 'snapshot', node: from, incarnation: stream.id, index: log.commitsAfter, cause: 'history' });
    }
    if (log.commits.length > 0) {
      this.push(book, { ...at, kind: 'commit', node: from, incarnation: stream.id, entries: log.commits.map(toCommitted) });
      const byIndex = new Map(log.commits.map((c) => [c.index, c]));
      for (const applied of log.applies) {
        const commit = byIndex.get(applied.index);
        if (commit === undefined || commit.command.kind === 'noop' || book.truncated) continue;
        this.pushApply(book, {
          node: from,
          incarnation: stream.id,
          index: applied.index,
          time: at.time,
          step: at.step,
          key: commandKey(commit.command),
          outcome: applied.outcome,
          result: applied.result,
        });
      }
    }
    const { commits: _commits, applies: _applies, ...rest } = log;
    book.members.set(from, {
      // The restore's cause as typed data for the projector, filled in when an older replica did not say.
      log: rest.restored === undefined ? rest : { ...rest, restored: { ...rest.restored, cause: restoreCause(rest.restored, report.restarted) } },
      lastReportAtMs: nowMs,
      electionDueAtMs: log.electionInMs !== undefined && !this.paused ? nowMs + log.electionInMs : undefined,
      electionFrozenMs: this.paused ? log.electionInMs : undefined,
      incarnation: report.inc,
      rejoined: (previous?.rejoined ?? false) || report.restarted,
    });
    book.version++;
    return 'applied';
  }

  /** The highest term the members other than `from` reported last. */
  private othersHighestTerm(book: BookState, from: PeerId): number {
    let highest = 0;
    for (const [peer, member] of book.members) {
      if (peer !== from && member.log.epoch.kind === 'term') highest = Math.max(highest, member.log.epoch.term);
    }
    return highest;
  }

  /** The highest ballot round the members other than `from` reported last. */
  private othersHighestRound(book: BookState, from: PeerId): number {
    let highest = 0;
    for (const [peer, member] of book.members) {
      if (peer !== from && member.log.epoch.kind === 'ballot') highest = Math.max(highest, member.log.epoch.ballot.round);
    }
    return highest;
  }

  /** Every report of `id` as received, oldest first: append-only, so a diagram reads only what is new. */
  reports(id: string): readonly { readonly atMs: number; readonly node: PeerId; readonly report: NodeReport }[] | undefined {
    return this.books.get(id)?.reports;
  }

  record(id: string): BookRecord | undefined {
    const book = this.books.get(id);
    return book && { announcement: book.announcement, members: new Map(book.members), version: book.version };
  }

  version(id: string): number {
    return this.books.get(id)?.version ?? 0;
  }

  /**
   * The live checks, brought up to date only when a report changed the book: the facts queued
   * since the last check are judged, each once. `Judge` is the simulator's LogRunJudge, passed
   * in by the projector's (lazily loaded) board so a page that never shows a book does not load it.
   */
  check(id: string, Judge: typeof LogRunJudge): BookCheck | undefined {
    const book = this.books.get(id);
    if (book === undefined) return undefined;
    if (book.cached?.version === book.version) return book.cached.check;
    book.judge ??= new Judge({ seed: 0, reproduce: 'export this room’s trace (live runs have no seed)' });
    const judge = book.judge;
    for (const fact of book.queue) {
      if (fact.kind === 'trace') judge.entry(fact.entry);
      else judge.apply(fact.record);
    }
    book.queue = [];
    const violations = [...judge.violations];
    const byApplied = new Map<number, Map<string, PeerId[]>>();
    let committed = 0;
    for (const [node, member] of book.members) {
      committed = Math.max(committed, member.log.commitIndex);
      const digests = byApplied.get(member.log.applied) ?? new Map<string, PeerId[]>();
      digests.set(member.log.stateDigest, [...(digests.get(member.log.stateDigest) ?? []), node]);
      byApplied.set(member.log.applied, digests);
    }
    const divergent = [...byApplied]
      .filter(([, digests]) => digests.size > 1)
      .map(([applied, digests]) => ({ applied, nodes: [...digests.values()].flat() }));
    const claims = [...book.claims].map(([member, problems]) => ({ member, problems }));
    const check: BookCheck = { properties: LIVE_LOG_PROPERTIES, violations, divergent, committed, truncated: book.truncated, claims, undecided: judge.undecided.length };
    book.cached = { version: book.version, check };
    return check;
  }

  /** Facts the judge has judged so far for `id` (a test's measure of the work done). */
  judged(id: string): number {
    return this.books.get(id)?.judge?.judged ?? 0;
  }

  private push(book: BookState, entry: TraceEntry): void {
    const size = entry.kind === 'commit' ? entry.entries.length : 1;
    if (book.facts + size > LIVE_CHECKER_MAX_FACTS) {
      book.truncated = true;
      return;
    }
    book.facts += size;
    book.queue.push({ kind: 'trace', entry });
  }

  private pushApply(book: BookState, record: ApplyRecord): void {
    book.queue.push({ kind: 'apply', record });
  }
}
