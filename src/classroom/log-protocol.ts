/**
 * The live order book's part of the classroom protocol: the teacher's announcement of a
 * replicated log (its algorithm, state machine and fixed members) and what a member's report
 * adds about its log. Validated here, at the boundary, with every field bounded: a report's log
 * part is at most a window of entries, a bounded chunk of commits and a few rows of state.
 */
import { isLogIndex, isSnapshotChunk, isTerm, parseLogCommand } from '../core/log.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import type { Ballot, Epoch, LogCommand, LogRole, LogWindowEntry } from '../core/types.ts';
import { isBoundedArray, isBoundedString, isFiniteNumber, isNonNegativeInteger, isPeerId, isRecord } from '../core/validate.ts';
import {
  LIVE_REPORT_STATE_ROWS,
  LIVE_REPORT_WINDOW,
  MAX_COMMITS_PER_MESSAGE,
  MAX_PEERS_PER_ROOM,
  MAX_REPORT_TEXT_LENGTH,
  MAX_ROUND,
  MAX_MESSAGE_DELAY_MS,
} from '../limits.ts';
import { isLogAlgorithmName, type LogAlgorithmName } from '../machines/names.ts';
import type { PeerId } from '../transport/types.ts';

/** A replicated log the class runs, as the teacher's dashboard announced it. */
export interface BookAnnouncement {
  /** Same shape as a decision id: `b<seq>-<random>`. */
  readonly id: string;
  /** Shares the decisions' numbering: whichever the teacher started last is on screen. */
  readonly seq: number;
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  /** The voting replicas, fixed when the book started; anyone else only follows. */
  readonly members: readonly PeerId[];
  readonly startedAt: number;
  /**
   * The teacher's message delay when the book started, ms: every replica's timeouts are scaled
   * for it and every delivery waits it, for the book's whole life (a reopened tab too), so no
   * replica's election timeout is ever shorter than the delay its messages take. Absent in books
   * announced before it existed: the room's current setting then, as before.
   */
  readonly messageDelayMs?: number;
}

const BOOK_ID = /^[a-z0-9-]{1,32}$/;

/**
 * The state machine's name, checked without importing the machines (state-machines.ts): every
 * page that parses classroom messages would otherwise load the order book and the register.
 */
const STATE_MACHINES: Readonly<Record<StateMachineName, true>> = { orders: true, register: true };

function isStateMachineName(raw: unknown): raw is StateMachineName {
  return typeof raw === 'string' && Object.hasOwn(STATE_MACHINES, raw);
}

export function isBookId(raw: unknown): raw is string {
  return typeof raw === 'string' && BOOK_ID.test(raw);
}

export function parseBookAnnouncement(raw: unknown): BookAnnouncement | undefined {
  if (!isRecord(raw)) return undefined;
  const { id, seq, algorithm, stateMachine, members, startedAt, messageDelayMs } = raw;
  if (!isBookId(id) || !isNonNegativeInteger(seq) || !isFiniteNumber(startedAt)) return undefined;
  if (typeof algorithm !== 'string' || !isLogAlgorithmName(algorithm) || !isStateMachineName(stateMachine)) return undefined;
  if (!isBoundedArray(members, MAX_PEERS_PER_ROOM, isPeerId) || members.length === 0) return undefined;
  if (new Set(members).size !== members.length) return undefined;
  const delay = isNonNegativeInteger(messageDelayMs) && messageDelayMs <= MAX_MESSAGE_DELAY_MS ? messageDelayMs : undefined;
  if (messageDelayMs !== undefined && delay === undefined) return undefined;
  return { id, seq, algorithm, stateMachine, members: [...members], startedAt, ...(delay !== undefined ? { messageDelayMs: delay } : {}) };
}

/** One committed entry as a report carries it to the live checker. */
export interface ReportedCommit {
  readonly index: number;
  readonly epoch: Epoch;
  readonly command: LogCommand;
}

/** What the replica did with one committed command (the exactly-once check reads it). */
export interface ReportedApply {
  readonly index: number;
  readonly outcome: 'applied' | 'duplicate' | 'skipped';
  /** JSON of the answer, when there is one. */
  readonly result?: string;
}

/** A row of the node's state for its projector tile: an order, or a register key. */
export interface StateRow {
  readonly id: string;
  readonly text: string;
  /** Orders: 'placed' | 'shipped' | 'cancelled'; registers: absent. */
  readonly status?: string;
}

/**
 * Where a restored state came from: 'restart', the tab's own stored snapshot when it reopened;
 * 'install', a snapshot a peer sent because this replica lagged behind the peer's compacted log.
 */
export type RestoreCause = 'restart' | 'install';

export interface RestoredFrom {
  readonly index: number;
  readonly count: number;
  /**
   * The latest restore's cause. Absent in reports of replicas older than the field: the
   * dashboard then falls back to inferring it (a restarted incarnation's first restore is its
   * own storage, any other an install).
   */
  readonly cause?: RestoreCause;
}

/** What a member's report says about its log, beside the generic view. */
export interface LogReport {
  readonly role: LogRole;
  readonly epoch: Epoch;
  readonly leader?: PeerId;
  readonly commitIndex: number;
  readonly lastIndex: number;
  /** The last index applied to the state machine (the snapshot it was restored from included). */
  readonly applied: number;
  /**
   * Entries 1 … snapshotIndex are compacted into this node's snapshot (0 or absent: none): the
   * projector says "entries 1–N in snapshot" from this number, the window starts above it.
   */
  readonly snapshotIndex?: number;
  /**
   * This incarnation's state machine was restored from a snapshot covering 1 … index (from its
   * storage on a restart, or installed from a peer); `count` grows with every restore, so the
   * live checker sees each once. Commits continue at index + 1.
   */
  readonly restored?: RestoredFrom;
  /**
   * Full reports (and the first after the replica dropped commits it had not reported yet): the
   * commits listed start after this index. The replica holds 1 … commitsAfter only as state (its
   * own snapshot: it keeps no committed entries in memory below it), so the dashboard's history
   * of this replica starts here. Absent: they start after `restored.index`, or at 1.
   */
  readonly commitsAfter?: number;
  readonly listenOnly: boolean;
  /** The newest entries, at most LIVE_REPORT_WINDOW. */
  readonly window: readonly LogWindowEntry[];
  /** Milliseconds until this node's election timer runs out, when one runs (follower, candidate). */
  readonly electionInMs?: number;
  /**
   * Commits since the previous report, contiguous, in this incarnation's numbering (from 1 after
   * every restart, as the algorithms hand them over). A full report starts again from 1.
   */
  readonly commits: readonly ReportedCommit[];
  /** One per command in `commits` (no-ops have none), in order. */
  readonly applies: readonly ReportedApply[];
  /** Digest of the whole replicated state (equal states, equal digests) and its size. */
  readonly stateDigest: string;
  readonly stateSize: number;
  /** The newest rows of the state, at most LIVE_REPORT_STATE_ROWS. */
  readonly rows: readonly StateRow[];
}

function isText(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.length <= MAX_REPORT_TEXT_LENGTH;
}

function parseBallot(raw: unknown): Ballot | undefined {
  if (!isRecord(raw) || !isNonNegativeInteger(raw.round) || raw.round > MAX_ROUND) return undefined;
  // Round 0 of nobody is a Multi-Paxos replica's ballot before it hears of any: every replica's
  // first report carries it, and refusing it lost that report (and the replay's start).
  if (raw.round === 0 && raw.node === '') return { round: 0, node: '' };
  return isPeerId(raw.node) ? { round: raw.round, node: raw.node } : undefined;
}

export function parseEpoch(raw: unknown): Epoch | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.kind === 'term') return isTerm(raw.term) ? { kind: 'term', term: raw.term } : undefined;
  if (raw.kind === 'ballot') {
    const ballot = parseBallot(raw.ballot);
    return ballot && { kind: 'ballot', ballot };
  }
  return undefined;
}

function parseRole(raw: unknown): LogRole | undefined {
  return raw === 'leader' || raw === 'candidate' || raw === 'follower' ? raw : undefined;
}

function parseWindowEntry(raw: unknown): LogWindowEntry | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index) || raw.index < 1) return undefined;
  const epoch = parseEpoch(raw.epoch);
  const command = parseLogCommand(raw.command);
  if (epoch === undefined || command === undefined) return undefined;
  if (raw.state !== 'committed' && raw.state !== 'uncommitted') return undefined;
  return { index: raw.index, epoch, command, state: raw.state };
}

function parseCommit(raw: unknown): ReportedCommit | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index) || raw.index < 1) return undefined;
  const epoch = parseEpoch(raw.epoch);
  const command = parseLogCommand(raw.command);
  return epoch && command && { index: raw.index, epoch, command };
}

function parseApply(raw: unknown): ReportedApply | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index)) return undefined;
  const { outcome, result } = raw;
  if (outcome !== 'applied' && outcome !== 'duplicate' && outcome !== 'skipped') return undefined;
  if (result !== undefined && !isText(result)) return undefined;
  return { index: raw.index, outcome, ...(result !== undefined ? { result } : {}) };
}

function parseRow(raw: unknown): StateRow | undefined {
  if (!isRecord(raw) || !isBoundedString(raw.id, MAX_REPORT_TEXT_LENGTH) || !isText(raw.text)) return undefined;
  if (raw.status !== undefined && !isText(raw.status)) return undefined;
  return { id: raw.id, text: raw.text, ...(raw.status !== undefined ? { status: raw.status } : {}) };
}

function parseList<T>(raw: unknown, max: number, parse: (x: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(raw) || raw.length > max) return undefined;
  const out: T[] = [];
  for (const item of raw) {
    const parsed = parse(item);
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

/** A chunk of committed entries a member sends a learner: contiguous, from `first`. */
export function parseCatchUp(raw: unknown): readonly ReportedCommit[] | undefined {
  const entries = parseList(raw, MAX_COMMITS_PER_MESSAGE, parseCommit);
  if (entries === undefined) return undefined;
  return entries.every((c, i) => i === 0 || c.index === (entries[i - 1] as ReportedCommit).index + 1) ? entries : undefined;
}

function parseRestored(raw: unknown): RestoredFrom | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index) || raw.index < 1 || !isLogIndex(raw.count) || raw.count < 1) return undefined;
  const { cause } = raw;
  if (cause !== undefined && cause !== 'restart' && cause !== 'install') return undefined;
  return { index: raw.index, count: raw.count, ...(cause !== undefined ? { cause } : {}) };
}

/** A chunk of a member's snapshot for a learner whose next index the member compacted away. */
export interface SnapshotForLearner {
  readonly index: number;
  readonly offset: number;
  readonly data: string;
  readonly done: boolean;
}

export function parseSnapshotForLearner(raw: unknown): SnapshotForLearner | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index) || raw.index < 1 || !isSnapshotChunk(raw.offset, raw.data) || typeof raw.done !== 'boolean') return undefined;
  return { index: raw.index, offset: raw.offset as number, data: raw.data as string, done: raw.done };
}

/** Boundary parser of a report's log part; undefined for anything malformed. */
export function parseLogReport(raw: unknown): LogReport | undefined {
  if (!isRecord(raw)) return undefined;
  const role = parseRole(raw.role);
  const epoch = parseEpoch(raw.epoch);
  if (role === undefined || epoch === undefined) return undefined;
  if (raw.leader !== undefined && !isPeerId(raw.leader)) return undefined;
  if (!isLogIndex(raw.commitIndex) || !isLogIndex(raw.lastIndex) || !isLogIndex(raw.applied)) return undefined;
  if (typeof raw.listenOnly !== 'boolean') return undefined;
  if (raw.electionInMs !== undefined && !isNonNegativeInteger(raw.electionInMs)) return undefined;
  if (raw.snapshotIndex !== undefined && (!isLogIndex(raw.snapshotIndex) || raw.snapshotIndex > raw.commitIndex)) return undefined;
  const restored = raw.restored === undefined ? undefined : parseRestored(raw.restored);
  if (raw.restored !== undefined && restored === undefined) return undefined;
  const { commitsAfter } = raw;
  if (commitsAfter !== undefined && (!isLogIndex(commitsAfter) || commitsAfter < 1 || commitsAfter > raw.applied || commitsAfter < (restored?.index ?? 0))) return undefined;
  if (!isText(raw.stateDigest) || !isNonNegativeInteger(raw.stateSize)) return undefined;
  const window = parseList(raw.window, LIVE_REPORT_WINDOW, parseWindowEntry);
  const commits = parseList(raw.commits, MAX_COMMITS_PER_MESSAGE, parseCommit);
  const applies = parseList(raw.applies, MAX_COMMITS_PER_MESSAGE, parseApply);
  const rows = parseList(raw.rows, LIVE_REPORT_STATE_ROWS, parseRow);
  if (window === undefined || commits === undefined || applies === undefined || rows === undefined) return undefined;
  // Commits are contiguous: anything else is not what an honest node sends.
  if (commits.some((c, i) => i > 0 && c.index !== (commits[i - 1] as ReportedCommit).index + 1)) return undefined;
  return {
    role,
    epoch,
    ...(raw.leader !== undefined ? { leader: raw.leader } : {}),
    commitIndex: raw.commitIndex,
    lastIndex: raw.lastIndex,
    applied: raw.applied,
    ...(raw.snapshotIndex !== undefined ? { snapshotIndex: raw.snapshotIndex as number } : {}),
    ...(restored !== undefined ? { restored } : {}),
    ...(commitsAfter !== undefined ? { commitsAfter } : {}),
    listenOnly: raw.listenOnly,
    window,
    ...(raw.electionInMs !== undefined ? { electionInMs: raw.electionInMs } : {}),
    commits,
    applies,
    stateDigest: raw.stateDigest,
    stateSize: raw.stateSize,
    rows,
  };
}
