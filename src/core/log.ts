/**
 * Helpers every log algorithm shares: validating the commands an entry carries, naming them,
 * ordering epochs (Raft terms, Paxos ballots), and cutting a run of entries into messages that
 * stay under MAX_MESSAGE_BYTES. Pure: no clock, storage or randomness.
 */
import {
  MAX_BATCH_BYTES,
  MAX_CLIENT_ID_LENGTH,
  MAX_CLIENT_SEQ,
  MAX_COMMAND_BYTES,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_LOG_INDEX,
  MAX_SNAPSHOT_BYTES,
  MAX_TERM,
  SNAPSHOT_CHUNK_CHARS,
} from '../limits.ts';
import { compareBallots } from './quorum.ts';
import type { CommittedEntry, Epoch, LogCommand, LogSnapshot, NodeId } from './types.ts';
import { isBoundedString, isNonNegativeInteger, isRecord } from './validate.ts';

export const NOOP: LogCommand = { kind: 'noop' };

/** (client, seq) as one string: what the state machine applies at most once. 'noop' for no-ops. */
export function commandKey(command: LogCommand): string {
  return command.kind === 'noop' ? 'noop' : `${command.client}#${command.seq}`;
}

/** Two entries carry the same thing: same (client, seq) and the same command text. */
export function sameCommand(a: LogCommand, b: LogCommand): boolean {
  if (a.kind === 'noop' || b.kind === 'noop') return a.kind === b.kind;
  return a.client === b.client && a.seq === b.seq && JSON.stringify(a.command) === JSON.stringify(b.command);
}

export function isTerm(raw: unknown): raw is number {
  return isNonNegativeInteger(raw) && raw <= MAX_TERM;
}

/** A log index (0 means "before the first entry", as in prevLogIndex = 0). */
export function isLogIndex(raw: unknown): raw is number {
  return isNonNegativeInteger(raw) && raw <= MAX_LOG_INDEX;
}

export function isClientSeq(raw: unknown): raw is number {
  return isNonNegativeInteger(raw) && raw >= 1 && raw <= MAX_CLIENT_SEQ;
}

/** Plain JSON data, nested at most a few levels: what a command may be. */
function isPlainJson(raw: unknown, depth: number): boolean {
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return true;
  if (typeof raw === 'number') return Number.isFinite(raw);
  if (depth <= 0) return false;
  if (Array.isArray(raw)) return raw.every((x) => isPlainJson(x, depth - 1));
  if (isRecord(raw)) return Object.values(raw).every((x) => isPlainJson(x, depth - 1));
  return false;
}

/** An opaque command: plain JSON of at most MAX_COMMAND_BYTES. A fresh copy, or undefined. */
export function parseOpaqueCommand(raw: unknown): unknown {
  if (!isRecord(raw) || !isPlainJson(raw, 4)) return undefined;
  const text = JSON.stringify(raw);
  if (text.length > MAX_COMMAND_BYTES) return undefined;
  return JSON.parse(text) as unknown;
}

/** Boundary validation of what an entry carries; a fresh object or undefined. */
export function parseLogCommand(raw: unknown): LogCommand | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.kind === 'noop') return NOOP;
  if (raw.kind !== 'command' || !isBoundedString(raw.client, MAX_CLIENT_ID_LENGTH) || !isClientSeq(raw.seq)) return undefined;
  const command = parseOpaqueCommand(raw.command);
  return command === undefined ? undefined : { kind: 'command', client: raw.client, seq: raw.seq, command };
}

/** Orders epochs of one kind: terms by number, ballots by round then node. */
export function compareEpochs(a: Epoch, b: Epoch): number {
  if (a.kind === 'term' && b.kind === 'term') return a.term - b.term;
  if (a.kind === 'ballot' && b.kind === 'ballot') return compareBallots(a.ballot, b.ballot);
  throw new Error(`cannot compare a ${a.kind} with a ${b.kind}`);
}

/** A compact string equal exactly for equal epochs (`t3`, `b2.n1`): a key for maps and sets of epochs. */
export function epochKey(epoch: Epoch): string {
  return epoch.kind === 'term' ? `t${epoch.term}` : `b${epoch.ballot.round}.${epoch.ballot.node}`;
}

/** The epoch a committed entry carries: Raft's term, Multi-Paxos's ballot; none for a write-once decision. */
export function committedEpoch(entry: CommittedEntry): Epoch | undefined {
  if (entry.term !== undefined) return { kind: 'term', term: entry.term };
  return entry.ballot === undefined ? undefined : { kind: 'ballot', ballot: entry.ballot };
}

export function epochLabel(epoch: Epoch): string {
  return epoch.kind === 'term' ? `term ${epoch.term}` : `ballot ${epoch.ballot.round}.${epoch.ballot.node}`;
}

/**
 * The longest prefix of `entries` (at least one, if any) that fits one message: at most
 * MAX_ENTRIES_PER_MESSAGE entries and MAX_BATCH_BYTES of JSON.
 */
export function chunkCount<E>(entries: readonly E[], start: number): number {
  let bytes = 0;
  let count = 0;
  for (let i = start; i < entries.length && count < MAX_ENTRIES_PER_MESSAGE; i++) {
    const size = JSON.stringify(entries[i]).length + 1;
    if (count > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    count++;
  }
  return count;
}

// ---- snapshots (log compaction) -------------------------------------------------------------

/** JSON text of a snapshot's state, or undefined when it is not JSON or too long. */
export function snapshotText(state: unknown): string | undefined {
  const text = JSON.stringify(state);
  return text === undefined || text.length > MAX_SNAPSHOT_BYTES ? undefined : text;
}

/** Parses snapshot text back into the state it holds; undefined when it is not JSON. */
export function snapshotState(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/** A snapshot read back from storage: bounded index, term and text, and the text is JSON. */
export function parseLogSnapshot(raw: unknown): LogSnapshot | undefined {
  if (!isRecord(raw) || !isLogIndex(raw.index) || raw.index < 1 || !isTerm(raw.term)) return undefined;
  if (typeof raw.data !== 'string' || raw.data.length > MAX_SNAPSHOT_BYTES || snapshotState(raw.data) === undefined) return undefined;
  return { index: raw.index, term: raw.term, data: raw.data };
}

/**
 * The piece of `data` a chunk starting at `offset` carries: at most SNAPSHOT_CHUNK_CHARS code
 * units, never ending inside a surrogate pair (each piece is valid text on its own).
 */
export function snapshotChunk(data: string, offset: number): { readonly piece: string; readonly done: boolean } {
  let end = Math.min(data.length, offset + SNAPSHOT_CHUNK_CHARS);
  const last = data.charCodeAt(end - 1);
  if (end < data.length && end - 1 > offset && last >= 0xd800 && last <= 0xdbff) end--;
  return { piece: data.slice(offset, end), done: end >= data.length };
}

/** Wire validation of a chunk's position and text. */
export function isSnapshotChunk(offset: unknown, data: unknown): boolean {
  return isNonNegativeInteger(offset) && typeof data === 'string' && data.length <= SNAPSHOT_CHUNK_CHARS && offset + data.length <= MAX_SNAPSHOT_BYTES;
}

/** A snapshot being received chunk by chunk (volatile: a restart starts the transfer over). */
export interface SnapshotInbox {
  readonly from: NodeId;
  readonly index: number;
  readonly term: number;
  readonly data: string;
}

export type ChunkOutcome =
  /** Not complete yet: ask for (or acknowledge up to) `offset`. */
  | { readonly kind: 'partial'; readonly inbox: SnapshotInbox | undefined; readonly offset: number }
  /** The last chunk arrived: the whole snapshot, its state parsed. */
  | { readonly kind: 'complete'; readonly snapshot: LogSnapshot; readonly state: unknown };

/**
 * Folds one chunk into the inbox. A chunk that starts a new snapshot (another sender, index or
 * term) must start at offset 0; a chunk of the snapshot being received must continue exactly
 * where the inbox ends (a duplicate or an out-of-order one only re-acknowledges). A complete
 * text that is not JSON is dropped: the transfer starts over.
 */
export function receiveSnapshotChunk(
  inbox: SnapshotInbox | undefined,
  chunk: { readonly from: NodeId; readonly index: number; readonly term: number; readonly offset: number; readonly data: string; readonly done: boolean },
): ChunkOutcome {
  const same = inbox !== undefined && inbox.from === chunk.from && inbox.index === chunk.index && inbox.term === chunk.term;
  let current: SnapshotInbox;
  if (same && chunk.offset === inbox.data.length) current = { ...inbox, data: inbox.data + chunk.data };
  else if (same) return { kind: 'partial', inbox, offset: inbox.data.length };
  else if (chunk.offset === 0) current = { from: chunk.from, index: chunk.index, term: chunk.term, data: chunk.data };
  else return { kind: 'partial', inbox, offset: 0 };
  if (current.data.length > MAX_SNAPSHOT_BYTES) return { kind: 'partial', inbox: undefined, offset: 0 };
  if (!chunk.done) return { kind: 'partial', inbox: current, offset: current.data.length };
  const state = snapshotState(current.data);
  if (state === undefined) return { kind: 'partial', inbox: undefined, offset: 0 };
  return { kind: 'complete', snapshot: { index: current.index, term: current.term, data: current.data }, state };
}
