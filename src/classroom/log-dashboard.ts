/**
 * What the teacher's dashboard knows of a live replicated log: each member's latest log report
 * (role, term or ballot, commit and applied indices, the window, the election countdown, its
 * state's digest and newest rows), and the facts the simulator's log checkers read, rebuilt
 * from what the reports carry: role changes, every commit (index, epoch, command), and what each
 * replica did with each command. The live checker is `checkLogRun` of src/sim/log-checker.ts
 * over those facts, not a second copy: election safety, state-machine safety (no two replicas
 * commit different commands at one index, never a retraction or a gap) and exactly-once per
 * (client, seq). Log matching and leader completeness need whole logs, which reports do not
 * carry (only a window), so the live checker does not claim them.
 *
 * A member's commits restart at index 1 in each incarnation (and when the dashboard asked for a
 * full report): each such run is its own stream, numbered here, as the checker expects.
 */
import { commandKey } from '../core/log.ts';
import type { CommittedEntry, LogRole, Epoch } from '../core/types.ts';
import { LIVE_CHECKER_MAX_FACTS } from '../limits.ts';
import type { ApplyRecord, checkLogRun, LogProperty, LogViolation } from '../sim/log-checker.ts';
import type { TraceEntry } from '../sim/trace.ts';
import type { PeerId } from '../transport/types.ts';
import type { BookAnnouncement, LogReport, ReportedCommit } from './log-protocol.ts';
import type { NodeReport } from './protocol.ts';

/** The properties the live checker judges from reports (see the header). */
export const LIVE_LOG_PROPERTIES: readonly LogProperty[] = ['election-safety', 'state-machine-safety', 'exactly-once'];

export interface BookMemberState {
  readonly log: Omit<LogReport, 'commits' | 'applies'>;
  readonly lastReportAtMs: number;
  /** When its election timer runs out, on the dashboard's clock (follower or candidate). */
  readonly electionDueAtMs: number | undefined;
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
}

interface Stream {
  readonly inc: number;
  readonly id: number;
  role: LogRole | undefined;
  epochKey: string;
  /** The last restore count this stream reported (a new one is a snapshot the checker must hear of). */
  restores: number;
}

interface BookState {
  readonly announcement: BookAnnouncement;
  readonly members: Map<PeerId, BookMemberState>;
  readonly streams: Map<PeerId, Stream>;
  readonly trace: TraceEntry[];
  readonly applies: ApplyRecord[];
  facts: number;
  truncated: boolean;
  version: number;
  step: number;
  cached: { version: number; check: BookCheck } | undefined;
}

function toCommitted(commit: ReportedCommit): CommittedEntry {
  return commit.epoch.kind === 'term'
    ? { index: commit.index, term: commit.epoch.term, command: commit.command }
    : { index: commit.index, ballot: commit.epoch.ballot, command: commit.command };
}

function epochKey(epoch: Epoch): string {
  return epoch.kind === 'term' ? `t${epoch.term}` : `b${epoch.ballot.round}.${epoch.ballot.node}`;
}

export class BookDashboard {
  private readonly books = new Map<string, BookState>();
  private nextStream = 1;

  has(id: string): boolean {
    return this.books.has(id);
  }

  announce(announcement: BookAnnouncement): void {
    if (this.books.has(announcement.id)) return;
    this.books.set(announcement.id, {
      announcement,
      members: new Map(),
      streams: new Map(),
      trace: [],
      applies: [],
      facts: 0,
      truncated: false,
      version: 0,
      step: 0,
      cached: undefined,
    });
  }

  forget(id: string): void {
    this.books.delete(id);
  }

  /** Applies one member's report; false when `from` is not a member (the caller flags it). */
  applyReport(from: PeerId, id: string, report: NodeReport, nowMs: number): boolean {
    const book = this.books.get(id);
    if (book === undefined || !book.announcement.members.includes(from)) return false;
    const log = report.log;
    if (log === undefined) return true;
    const previous = book.members.get(from);
    let stream = book.streams.get(from);
    if (stream === undefined || stream.inc !== report.inc || report.full) {
      stream = { inc: report.inc, id: this.nextStream++, role: undefined, epochKey: '', restores: 0 };
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
      this.push(book, { ...at, kind: 'snapshot', node: from, incarnation: stream.id, index: log.restored.index, cause: report.restarted && log.restored.count === 1 ? 'restart' : 'install' });
    }
    if (log.commits.length > 0) {
      this.push(book, { ...at, kind: 'commit', node: from, incarnation: stream.id, entries: log.commits.map(toCommitted) });
      const byIndex = new Map(log.commits.map((c) => [c.index, c]));
      for (const applied of log.applies) {
        const commit = byIndex.get(applied.index);
        if (commit === undefined || commit.command.kind === 'noop' || book.truncated) continue;
        book.applies.push({
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
      log: rest,
      lastReportAtMs: nowMs,
      electionDueAtMs: log.electionInMs !== undefined ? nowMs + log.electionInMs : undefined,
      incarnation: report.inc,
      rejoined: (previous?.rejoined ?? false) || report.restarted,
    });
    book.version++;
    return true;
  }

  record(id: string): BookRecord | undefined {
    const book = this.books.get(id);
    return book && { announcement: book.announcement, members: new Map(book.members), version: book.version };
  }

  version(id: string): number {
    return this.books.get(id)?.version ?? 0;
  }

  /**
   * The live checks, recomputed only when a report changed the book. `checker` is the
   * simulator's `checkLogRun`, passed in by the projector's (lazily loaded) board so a page that
   * never shows a book does not load it.
   */
  check(id: string, checker: typeof checkLogRun): BookCheck | undefined {
    const book = this.books.get(id);
    if (book === undefined) return undefined;
    if (book.cached?.version === book.version) return book.cached.check;
    const violations = checker({
      seed: 0,
      epochKind: book.trace.some((e) => e.kind === 'role' && e.epoch.kind === 'ballot') ? 'ballot' : 'term',
      trace: book.trace,
      applies: book.applies,
      audits: [],
      reproduce: 'export this room’s trace (live runs have no seed)',
    });
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
    const check: BookCheck = { properties: LIVE_LOG_PROPERTIES, violations, divergent, committed, truncated: book.truncated };
    book.cached = { version: book.version, check };
    return check;
  }

  private push(book: BookState, entry: TraceEntry): void {
    const size = entry.kind === 'commit' ? entry.entries.length : 1;
    if (book.facts + size > LIVE_CHECKER_MAX_FACTS) {
      book.truncated = true;
      return;
    }
    book.facts += size;
    book.trace.push(entry);
  }
}
