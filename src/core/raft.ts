/**
 * Raft's role logic as pure functions (Ongaro & Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", Figure 2). The XState machine (src/machines/raft.ts) holds a `RaftCore`
 * in its context, makes the role a state, and calls these functions from its guards and
 * actions. Each handler returns a `RaftStep`: the next core, the storage operations, the
 * messages and the newly committed entries, which the machine emits in exactly that order
 * (persist before reply, Figure 2's "Persistent state … updated on stable storage before
 * responding to RPCs").
 *
 * Options make the broken variants: `ownTermRule: false` commits any entry a majority stores
 * (Figure 8: such an entry can still be overwritten); `persistVote: false` never writes
 * votedFor, so a restarted node can vote twice in one term.
 */
import { MAX_PENDING_SUBMITS, MAX_TERM } from '../limits.ts';
import {
  chunkCount,
  commandKey,
  isLogIndex,
  isTerm,
  NOOP,
  parseLogCommand,
  parseLogSnapshot,
  receiveSnapshotChunk,
  snapshotChunk,
  snapshotText,
  type SnapshotInbox,
} from './log.ts';
import { majorityOf } from './quorum.ts';
import type { CommittedEntry, LogCommand, LogDurable, LogSnapshot, NodeId, PersistOp } from './types.ts';
import { isBoundedString, isRecord } from './validate.ts';

export interface RaftEntry {
  readonly term: number;
  readonly command: LogCommand;
}

/** Figure 2's persistent state besides the log. */
export interface RaftHard {
  readonly term: number;
  readonly votedFor: NodeId | undefined;
}

export type RaftDurable = LogDurable<RaftHard, RaftEntry>;
export type RaftPersistOp = PersistOp<RaftHard, RaftEntry>;

export interface RaftOptions {
  /** Commit by counting replicas only entries of the leader's own term (false: Figure 8 bug). */
  readonly ownTermRule: boolean;
  /** Persist votedFor (false: a restarted node forgets whom it voted for this term). */
  readonly persistVote: boolean;
  /**
   * A new leader appends a no-op of its term. The no-op is what lets the own-term rule commit
   * earlier entries promptly; the broken no-term-rule variant drops it too, as in the paper's
   * Figure 8, where nothing of the new term is replicated along with the old entry.
   */
  readonly electionNoop: boolean;
}

export const RAFT_OPTIONS: RaftOptions = { ownTermRule: true, persistVote: true, electionNoop: true };

/** A command waiting at a node that knows no leader to forward it to. */
export interface PendingSubmit {
  readonly client: string;
  readonly seq: number;
  readonly command: unknown;
}

export type RaftRole = 'follower' | 'candidate' | 'leader';

export interface RaftCore {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly options: RaftOptions;
  readonly role: RaftRole;
  readonly term: number;
  readonly votedFor: NodeId | undefined;
  /**
   * The snapshot that replaced the log prefix 1 … snapshot.index (§7), if any. It holds only
   * committed entries, so a node's commit index never drops below it.
   */
  readonly snapshot: LogSnapshot | undefined;
  /** log[i] is the entry at index snapshotIndex + i + 1 (the retained suffix). */
  readonly log: readonly RaftEntry[];
  readonly commitIndex: number;
  readonly leader: NodeId | undefined;
  /** Candidate: members that granted their vote this term (itself included). */
  readonly votes: readonly NodeId[];
  /** Leader: next index to send each follower, and the highest index known replicated there. */
  readonly nextIndex: Readonly<Record<NodeId, number>>;
  readonly matchIndex: Readonly<Record<NodeId, number>>;
  /**
   * Leader: followers whose nextIndex fell below the first retained entry, and how much of the
   * snapshot at `index` each acknowledged (the next InstallSnapshot chunk starts there).
   */
  readonly snapshotSent: Readonly<Record<NodeId, { readonly index: number; readonly offset: number }>>;
  /** Follower: the snapshot being received from the leader, chunk by chunk. */
  readonly inbox: SnapshotInbox | undefined;
  /** Submits held while no leader is known (bounded; the client retries anything dropped). */
  readonly pending: readonly PendingSubmit[];
  /** Its storage was unreadable: never votes, campaigns or accepts entries. */
  readonly listenOnly: boolean;
}

export type RaftMessage =
  | { readonly type: 'requestVote'; readonly term: number; readonly lastLogIndex: number; readonly lastLogTerm: number }
  | { readonly type: 'vote'; readonly term: number; readonly granted: boolean }
  | {
      readonly type: 'appendEntries';
      readonly term: number;
      readonly prevLogIndex: number;
      readonly prevLogTerm: number;
      readonly entries: readonly RaftEntry[];
      readonly leaderCommit: number;
    }
  | {
      readonly type: 'appendReply';
      readonly term: number;
      readonly success: boolean;
      /** Success: the last index now known to match the leader's log. */
      readonly matchIndex: number;
      /** Failure: the term of the conflicting entry (absent when the follower's log is too short). */
      readonly conflictTerm?: number | undefined;
      /** Failure: the first index of `conflictTerm` in the follower's log, or its last index + 1. */
      readonly conflictIndex: number;
    }
  | {
      /** §7: one chunk of the leader's snapshot, for a follower whose nextIndex it compacted away. */
      readonly type: 'installSnapshot';
      readonly term: number;
      readonly lastIncludedIndex: number;
      readonly lastIncludedTerm: number;
      /** Position of `data` in the snapshot's text. */
      readonly offset: number;
      readonly data: string;
      readonly done: boolean;
    }
  | {
      readonly type: 'snapshotReply';
      readonly term: number;
      readonly lastIncludedIndex: number;
      /** Text received so far: the next chunk starts here. */
      readonly offset: number;
      /** The follower holds everything up to lastIncludedIndex (installed now or committed already). */
      readonly done: boolean;
    }
  | { readonly type: 'forward'; readonly client: string; readonly seq: number; readonly command: unknown };

export type RaftMessageType = RaftMessage['type'];

export interface Outgoing {
  readonly to: NodeId;
  readonly message: RaftMessage;
}

export interface RaftStep {
  readonly core: RaftCore;
  readonly persist: readonly RaftPersistOp[];
  readonly sends: readonly Outgoing[];
  readonly commits: readonly CommittedEntry[];
  /** A snapshot installed from the leader: the host replaces its state machine (after persisting, before commits). */
  readonly restore?: { readonly snapshot: LogSnapshot; readonly state: unknown } | undefined;
}

function step(core: RaftCore, persist: RaftPersistOp[] = [], sends: Outgoing[] = [], commits: CommittedEntry[] = []): RaftStep {
  return { core, persist, sends, commits };
}

// ---- start and storage ------------------------------------------------------------------------

/** Validates what storage gave back; undefined when anything is malformed. */
export function parseRaftDurable(raw: unknown): { hard: RaftHard; log: RaftEntry[]; snapshot: LogSnapshot | undefined } | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.entries)) return undefined;
  const snapshot = raw.snapshot === undefined ? undefined : parseLogSnapshot(raw.snapshot);
  if (raw.snapshot !== undefined && snapshot === undefined) return undefined;
  const base = snapshot?.index ?? 0;
  let hard: RaftHard = { term: 0, votedFor: undefined };
  if (raw.hard !== undefined) {
    const h = raw.hard;
    if (!isRecord(h) || !isTerm(h.term) || (h.votedFor !== undefined && !isBoundedString(h.votedFor, 64))) return undefined;
    hard = { term: h.term, votedFor: h.votedFor };
  }
  const log: RaftEntry[] = [];
  for (const item of raw.entries as unknown[]) {
    if (!isRecord(item) || item.index !== base + log.length + 1) return undefined; // dense above the snapshot
    const entry = parseRaftEntry(item.entry);
    if (entry === undefined) return undefined;
    log.push(entry);
  }
  return { hard, log, snapshot };
}

export function parseRaftEntry(raw: unknown): RaftEntry | undefined {
  if (!isRecord(raw) || !isTerm(raw.term)) return undefined;
  const command = parseLogCommand(raw.command);
  return command === undefined ? undefined : { term: raw.term, command };
}

export function initialCore(self: NodeId, members: readonly NodeId[], durable: unknown, options: RaftOptions): RaftCore {
  const restored = durable === undefined ? { hard: { term: 0, votedFor: undefined }, log: [], snapshot: undefined } : parseRaftDurable(durable);
  return {
    self,
    members,
    options,
    role: 'follower',
    term: restored?.hard.term ?? 0,
    votedFor: restored?.hard.votedFor,
    snapshot: restored?.snapshot,
    log: restored?.log ?? [],
    // Volatile (Figure 2): a restarted node re-learns what is committed from the leader; what its
    // snapshot covers is committed (the host restores its state machine from it).
    commitIndex: restored?.snapshot?.index ?? 0,
    leader: undefined,
    votes: [],
    nextIndex: {},
    matchIndex: {},
    snapshotSent: {},
    inbox: undefined,
    pending: [],
    listenOnly: durable !== undefined && restored === undefined,
  };
}

/** The last index the snapshot covers (0: no snapshot); the log holds the entries after it. */
export function snapshotIndex(core: RaftCore): number {
  return core.snapshot?.index ?? 0;
}

export function lastIndex(core: RaftCore): number {
  return snapshotIndex(core) + core.log.length;
}

/** The entry at `index`, if the log still holds it (not compacted, not past the end). */
export function entryAt(core: RaftCore, index: number): RaftEntry | undefined {
  return core.log[index - snapshotIndex(core) - 1];
}

/** The term at `index`: the snapshot's lastIncludedTerm at its index; -1 when compacted or absent. */
export function termAt(core: RaftCore, index: number): number {
  if (index === 0) return 0;
  const base = snapshotIndex(core);
  if (index === base) return core.snapshot?.term ?? 0;
  return index < base ? -1 : (entryAt(core, index)?.term ?? -1);
}

export function lastTerm(core: RaftCore): number {
  return termAt(core, lastIndex(core));
}

function hardOp(core: RaftCore): RaftPersistOp {
  return { op: 'hard', state: { term: core.term, votedFor: core.options.persistVote ? core.votedFor : undefined } };
}

function others(core: RaftCore): NodeId[] {
  return core.members.filter((m) => m !== core.self);
}

// ---- terms ------------------------------------------------------------------------------------

/** The message carries a term above ours: we adopt it and become a follower (Figure 2, all servers). */
export function isNewerTerm(core: RaftCore, message: RaftMessage): boolean {
  return message.type !== 'forward' && message.term > core.term;
}

/** Adopts a higher term: follower, no vote yet, leader unknown. The caller persists. */
function adoptTerm(core: RaftCore, term: number): RaftCore {
  return { ...core, term, votedFor: undefined, role: 'follower', leader: undefined, votes: [] };
}

// ---- elections --------------------------------------------------------------------------------

/** A candidate's log is at least as up-to-date as ours (§5.4.1): later last term, or same and longer. */
export function candidateUpToDate(core: RaftCore, lastLogIndex: number, lastLogTerm: number): boolean {
  const myTerm = lastTerm(core);
  return lastLogTerm > myTerm || (lastLogTerm === myTerm && lastLogIndex >= lastIndex(core));
}

/** Would we grant this request (after adopting its term if it is higher)? */
export function grantsVote(core: RaftCore, from: NodeId, message: RaftMessage): boolean {
  if (message.type !== 'requestVote' || core.listenOnly || message.term < core.term) return false;
  const votedFor = message.term > core.term ? undefined : core.votedFor;
  return (votedFor === undefined || votedFor === from) && candidateUpToDate(core, message.lastLogIndex, message.lastLogTerm);
}

/** The election timer fired: a new term, a vote for itself, RequestVote to everyone else. */
export function startElection(core: RaftCore): RaftStep {
  if (core.listenOnly || core.term >= MAX_TERM) return step({ ...core, role: 'follower' });
  const next: RaftCore = {
    ...core,
    role: 'candidate',
    term: core.term + 1,
    votedFor: core.self,
    leader: undefined,
    votes: [core.self],
  };
  const message: RaftMessage = { type: 'requestVote', term: next.term, lastLogIndex: lastIndex(next), lastLogTerm: lastTerm(next) };
  return step(next, [hardOp(next)], others(next).map((to) => ({ to, message })));
}

/**
 * A candidate asks again every member that has not granted its vote this term (Raft retries
 * RPCs). Asking a member that refused costs a message and never changes a correct node's
 * answer within the term; a node that forgot its vote across a restart answers differently,
 * which is exactly what the raft-forgets-vote variant must be caught doing.
 */
export function resendVoteRequests(core: RaftCore): RaftStep {
  if (core.role !== 'candidate') return step(core);
  const message: RaftMessage = { type: 'requestVote', term: core.term, lastLogIndex: lastIndex(core), lastLogTerm: lastTerm(core) };
  return step(core, [], core.members.filter((m) => !core.votes.includes(m)).map((to) => ({ to, message })));
}

export function hasVoteMajority(core: RaftCore): boolean {
  return core.role === 'candidate' && core.votes.length >= majorityOf(core.members.length);
}

/** This vote completes a majority for the current candidacy. */
export function voteWins(core: RaftCore, from: NodeId, message: RaftMessage): boolean {
  if (core.role !== 'candidate' || message.type !== 'vote' || !message.granted || message.term !== core.term) return false;
  const votes = core.votes.includes(from) ? core.votes.length : core.votes.length + 1;
  return votes >= majorityOf(core.members.length);
}

/** Won the election: a no-op of the new term (so the leader can commit by counting), then AppendEntries. */
export function becomeLeader(core: RaftCore): RaftStep {
  const log = core.options.electionNoop ? [...core.log, { term: core.term, command: NOOP }] : core.log;
  const last = snapshotIndex(core) + log.length;
  const nextIndex: Record<NodeId, number> = {};
  const matchIndex: Record<NodeId, number> = {};
  for (const m of core.members) {
    nextIndex[m] = last; // the no-op goes out with the first AppendEntries
    matchIndex[m] = 0;
  }
  matchIndex[core.self] = last;
  if (!core.options.electionNoop) for (const m of core.members) nextIndex[m] = last + 1;
  const leader: RaftCore = { ...core, role: 'leader', leader: core.self, log, nextIndex, matchIndex, snapshotSent: {}, inbox: undefined, votes: [] };
  const append: RaftPersistOp[] = core.options.electionNoop ? [{ op: 'append', from: last, entries: [log[log.length - 1] as RaftEntry] }] : [];
  const withPending = appendPending(leader);
  const committed = advanceCommit(withPending.core);
  return step(
    committed.core,
    [...append, ...withPending.persist],
    others(leader).map((to) => appendEntriesTo(committed.core, to)),
    committed.commits,
  );
}

// ---- replication: the leader --------------------------------------------------------------------

/**
 * AppendEntries for one follower from its nextIndex: as many entries as fit one message; or,
 * when the entry before nextIndex is compacted away, the next chunk of the snapshot (§7).
 */
export function appendEntriesTo(core: RaftCore, to: NodeId): Outgoing {
  const next = Math.min(Math.max(1, core.nextIndex[to] ?? lastIndex(core) + 1), lastIndex(core) + 1);
  const prevLogIndex = next - 1;
  const base = snapshotIndex(core);
  if (core.snapshot !== undefined && prevLogIndex < base) return installSnapshotTo(core, core.snapshot, to);
  const from = prevLogIndex - base; // position in the retained log
  const count = chunkCount(core.log, from);
  return {
    to,
    message: {
      type: 'appendEntries',
      term: core.term,
      prevLogIndex,
      prevLogTerm: termAt(core, prevLogIndex),
      entries: core.log.slice(from, from + count),
      leaderCommit: core.commitIndex,
    },
  };
}

/** The InstallSnapshot chunk `to` needs next: from what it acknowledged of this snapshot, else from 0. */
function installSnapshotTo(core: RaftCore, snapshot: LogSnapshot, to: NodeId): Outgoing {
  const sent = core.snapshotSent[to];
  const offset = sent !== undefined && sent.index === snapshot.index ? Math.min(sent.offset, snapshot.data.length) : 0;
  const { piece, done } = snapshotChunk(snapshot.data, offset);
  return {
    to,
    message: { type: 'installSnapshot', term: core.term, lastIncludedIndex: snapshot.index, lastIncludedTerm: snapshot.term, offset, data: piece, done },
  };
}

/**
 * The host applied the committed prefix up to `index` and hands over that state: it becomes
 * the snapshot and the log keeps only the entries after it. One storage write (the snapshot
 * op drops the stored prefix); nothing is sent. Ignored at or below the current snapshot,
 * above the commit index (only committed state may be compacted), or when the state is too big.
 */
export function takeSnapshot(core: RaftCore, index: number, state: unknown): RaftStep {
  if (core.listenOnly || index <= snapshotIndex(core) || index > core.commitIndex || index > lastIndex(core)) return step(core);
  const data = snapshotText(state);
  if (data === undefined) return step(core);
  const snapshot: LogSnapshot = { index, term: termAt(core, index), data };
  const next: RaftCore = { ...core, snapshot, log: core.log.slice(index - snapshotIndex(core)) };
  return step(next, [{ op: 'snapshot', snapshot }]);
}

/** Heartbeat: AppendEntries (empty or catching up) to every follower. */
export function heartbeat(core: RaftCore): RaftStep {
  return step(core, [], others(core).map((to) => appendEntriesTo(core, to)));
}

/** The log already holds this (client, seq): re-proposing it would only add a duplicate. */
function alreadyInLog(core: RaftCore, client: string, seq: number): boolean {
  // Only the retained log: a command compacted into the snapshot is committed, and if it comes
  // again the client sessions answer the copy with the first answer.
  const key = commandKey({ kind: 'command', client, seq, command: null });
  for (let i = core.log.length - 1; i >= 0; i--) if (commandKey((core.log[i] as RaftEntry).command) === key) return true;
  return false;
}

/** Leader appends a client's command, persists it, and sends it to followers that are caught up. */
function leaderAppend(core: RaftCore, submit: PendingSubmit): RaftStep {
  if (alreadyInLog(core, submit.client, submit.seq)) return step(core);
  const entry: RaftEntry = { term: core.term, command: { kind: 'command', client: submit.client, seq: submit.seq, command: submit.command } };
  const log = [...core.log, entry];
  const index = snapshotIndex(core) + log.length;
  const next: RaftCore = { ...core, log, matchIndex: { ...core.matchIndex, [core.self]: index } };
  const committed = advanceCommit(next); // a one-node cluster commits at once
  const sends = others(next)
    .filter((to) => (next.nextIndex[to] ?? 0) >= index) // caught up: the new entry is next for them
    .map((to) => appendEntriesTo(committed.core, to));
  return step(committed.core, [{ op: 'append', from: index, entries: [entry] }], sends, committed.commits);
}

function appendPending(core: RaftCore): RaftStep {
  let current = core;
  const persist: RaftPersistOp[] = [];
  for (const submit of core.pending) {
    if (alreadyInLog(current, submit.client, submit.seq)) continue;
    const entry: RaftEntry = { term: current.term, command: { kind: 'command', ...submit } };
    current = { ...current, log: [...current.log, entry] };
    persist.push({ op: 'append', from: lastIndex(current), entries: [entry] });
  }
  current = { ...current, pending: [], matchIndex: { ...current.matchIndex, [current.self]: lastIndex(current) } };
  return step(current, persist);
}

/**
 * The largest index a majority stores that the leader may commit: with the own-term rule only
 * an entry of the current term (Figure 8), which commits everything before it too.
 */
export function commitCandidate(core: RaftCore): number {
  const majority = majorityOf(core.members.length);
  for (let n = lastIndex(core); n > core.commitIndex; n--) {
    if (core.options.ownTermRule && termAt(core, n) !== core.term) {
      // Earlier-term entries are committed only indirectly, by an own-term entry after them.
      if (termAt(core, n) < core.term) return core.commitIndex;
      continue;
    }
    let count = 0;
    for (const m of core.members) if ((core.matchIndex[m] ?? 0) >= n) count++;
    if (count >= majority) return n;
  }
  return core.commitIndex;
}

/** Entries (from, to] as commits for the host. */
function committedRange(core: RaftCore, from: number, to: number): CommittedEntry[] {
  const out: CommittedEntry[] = [];
  for (let index = from + 1; index <= to; index++) {
    const entry = entryAt(core, index) as RaftEntry;
    out.push({ index, term: entry.term, command: entry.command });
  }
  return out;
}

function advanceCommit(core: RaftCore): { core: RaftCore; commits: CommittedEntry[] } {
  const target = commitCandidate(core);
  if (target <= core.commitIndex) return { core, commits: [] };
  return { core: { ...core, commitIndex: target }, commits: committedRange(core, core.commitIndex, target) };
}

function onAppendReply(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'appendReply' }>): RaftStep {
  if (core.role !== 'leader' || message.term !== core.term || !core.members.includes(from) || from === core.self) return step(core);
  if (message.success) {
    const match = Math.min(Math.max(core.matchIndex[from] ?? 0, message.matchIndex), lastIndex(core));
    const next: RaftCore = {
      ...core,
      matchIndex: { ...core.matchIndex, [from]: match },
      nextIndex: { ...core.nextIndex, [from]: Math.max(core.nextIndex[from] ?? 1, match + 1) },
    };
    const committed = advanceCommit(next);
    // More to send (a long catch-up is chunked): the next chunk goes at once, not at the next heartbeat.
    const sends = match < lastIndex(next) ? [appendEntriesTo(committed.core, from)] : [];
    return step(committed.core, [], sends, committed.commits);
  }
  // Fast log repair (§5.3, "the conflicting term shortcut"): skip a whole term per round trip.
  let nextIndex = message.conflictIndex;
  if (message.conflictTerm !== undefined) {
    for (let i = lastIndex(core); i > snapshotIndex(core); i--) {
      if (termAt(core, i) === message.conflictTerm) {
        nextIndex = i + 1;
        break;
      }
    }
  }
  // Never forward past what we sent (a stale rejection), never back past what is known to match.
  nextIndex = Math.min(nextIndex, lastIndex(core) + 1, core.nextIndex[from] ?? lastIndex(core) + 1);
  nextIndex = Math.max(nextIndex, (core.matchIndex[from] ?? 0) + 1, 1);
  const next: RaftCore = { ...core, nextIndex: { ...core.nextIndex, [from]: nextIndex } };
  return step(next, [], [appendEntriesTo(next, from)]); // below the first retained entry: the snapshot
}

/** A follower acknowledged snapshot text, or holds the whole snapshot: the next chunk, or entries after it. */
function onSnapshotReply(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'snapshotReply' }>): RaftStep {
  if (core.role !== 'leader' || message.term !== core.term || !core.members.includes(from) || from === core.self) return step(core);
  const { [from]: _done, ...rest } = core.snapshotSent;
  if (message.done) {
    // Its log matches ours through lastIncludedIndex: everything a snapshot covers is committed.
    const match = Math.min(Math.max(core.matchIndex[from] ?? 0, message.lastIncludedIndex), lastIndex(core));
    const next: RaftCore = {
      ...core,
      snapshotSent: rest,
      matchIndex: { ...core.matchIndex, [from]: match },
      nextIndex: { ...core.nextIndex, [from]: Math.max(core.nextIndex[from] ?? 1, match + 1) },
    };
    const committed = advanceCommit(next);
    return step(committed.core, [], [appendEntriesTo(committed.core, from)], committed.commits);
  }
  const current = core.snapshot !== undefined && message.lastIncludedIndex === core.snapshot.index
    ? { ...core, snapshotSent: { ...core.snapshotSent, [from]: { index: message.lastIncludedIndex, offset: message.offset } } }
    : { ...core, snapshotSent: rest }; // an older snapshot's transfer: start the current one over
  return step(current, [], [appendEntriesTo(current, from)]);
}

// ---- replication: the follower ------------------------------------------------------------------

/** A valid AppendEntries from the current (or a newer) term's leader: the follower's timer restarts. */
export function isCurrentLeaderAppend(core: RaftCore, message: RaftMessage): boolean {
  return (message.type === 'appendEntries' || message.type === 'installSnapshot') && message.term >= core.term && !core.listenOnly;
}

function onAppendEntries(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'appendEntries' }>): RaftStep {
  if (core.listenOnly) return step(core);
  const reject = (c: RaftCore, conflictIndex: number, conflictTerm?: number): RaftStep =>
    step(c, [], [{ to: from, message: { type: 'appendReply', term: c.term, success: false, matchIndex: 0, conflictIndex, conflictTerm } }]);
  if (message.term < core.term) return reject(core, lastIndex(core) + 1);
  // Same-term AppendEntries: its sender won this term's election; a candidate steps down.
  let current: RaftCore = { ...core, role: 'follower', leader: from, votes: [] };
  const forwards = forwardPending(current);
  current = forwards.core;
  const { prevLogIndex, prevLogTerm, entries } = coveredBySnapshot(current, message);
  if (prevLogIndex > lastIndex(current)) {
    const r = reject(current, lastIndex(current) + 1);
    return step(r.core, [], [...forwards.sends, ...r.sends]);
  }
  if (termAt(current, prevLogIndex) !== prevLogTerm) {
    const conflictTerm = termAt(current, prevLogIndex);
    let first = prevLogIndex;
    while (first > snapshotIndex(current) + 1 && termAt(current, first - 1) === conflictTerm) first--;
    const r = reject(current, first, conflictTerm);
    return step(r.core, [], [...forwards.sends, ...r.sends]);
  }
  // Append what is new; truncate only at a real conflict (a late, shorter AppendEntries must not
  // cut entries a newer one already added).
  const persist: RaftPersistOp[] = [];
  let log = current.log;
  const base = snapshotIndex(current);
  for (let i = 0; i < entries.length; i++) {
    const index = prevLogIndex + 1 + i;
    const entry = entries[i] as RaftEntry;
    if (index <= base + log.length && termAt({ ...current, log }, index) === entry.term) continue;
    if (index <= base + log.length) {
      persist.push({ op: 'truncate', from: index });
      log = log.slice(0, index - base - 1);
      // Correct Raft never conflicts below the commit index. A broken variant can (Figure 8):
      // the node then commits a different entry at an index it already committed, which the
      // state-machine safety checker reports; nothing here hides it.
      if (index <= current.commitIndex) current = { ...current, commitIndex: index - 1 };
    }
    const rest = entries.slice(i);
    persist.push({ op: 'append', from: index, entries: rest });
    log = [...log, ...rest];
    break;
  }
  current = { ...current, log };
  const lastNew = prevLogIndex + entries.length;
  let commits: CommittedEntry[] = [];
  const target = Math.min(message.leaderCommit, lastNew);
  if (target > current.commitIndex) {
    commits = committedRange(current, current.commitIndex, target);
    current = { ...current, commitIndex: target };
  }
  const reply: Outgoing = { to: from, message: { type: 'appendReply', term: current.term, success: true, matchIndex: lastNew, conflictIndex: 0 } };
  return step(current, persist, [...forwards.sends, reply], commits);
}

/**
 * The part of an AppendEntries above our snapshot: entries at or below it are committed, so
 * they match the leader's (leader completeness) and are skipped; prev becomes the snapshot's
 * last included entry.
 */
function coveredBySnapshot(core: RaftCore, message: Extract<RaftMessage, { type: 'appendEntries' }>): { prevLogIndex: number; prevLogTerm: number; entries: readonly RaftEntry[] } {
  const base = snapshotIndex(core);
  if (core.snapshot === undefined || message.prevLogIndex >= base) return message;
  const skip = base - message.prevLogIndex;
  return { prevLogIndex: base, prevLogTerm: core.snapshot.term, entries: message.entries.slice(Math.min(skip, message.entries.length)) };
}

/**
 * §7 InstallSnapshot at the follower: chunks are collected; with the last one, a snapshot past
 * the commit index replaces the log prefix. If the log holds the snapshot's last included
 * entry (same index and term), the entries after it stay; otherwise the whole log goes.
 * Persisted (snapshot, then the truncation) before the reply; the host restores its state
 * machine from it.
 */
function onInstallSnapshot(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'installSnapshot' }>): RaftStep {
  if (core.listenOnly) return step(core);
  const reply = (c: RaftCore, offset: number, done: boolean): Outgoing => ({
    to: from,
    message: { type: 'snapshotReply', term: c.term, lastIncludedIndex: message.lastIncludedIndex, offset, done },
  });
  if (message.term < core.term) return step(core, [], [reply(core, 0, false)]);
  let current: RaftCore = { ...core, role: 'follower', leader: from, votes: [] };
  const forwards = forwardPending(current);
  current = forwards.core;
  if (message.lastIncludedIndex <= current.commitIndex) {
    return step({ ...current, inbox: undefined }, [], [...forwards.sends, reply(current, message.offset + message.data.length, true)]);
  }
  const outcome = receiveSnapshotChunk(current.inbox, {
    from,
    index: message.lastIncludedIndex,
    term: message.lastIncludedTerm,
    offset: message.offset,
    data: message.data,
    done: message.done,
  });
  if (outcome.kind === 'partial') {
    current = { ...current, inbox: outcome.inbox };
    return step(current, [], [...forwards.sends, reply(current, outcome.offset, false)]);
  }
  const { snapshot, state } = outcome;
  const keepSuffix = termAt(current, snapshot.index) === snapshot.term;
  const log = keepSuffix ? current.log.slice(snapshot.index - snapshotIndex(current)) : [];
  const persist: RaftPersistOp[] = [{ op: 'snapshot', snapshot }];
  if (!keepSuffix && lastIndex(current) > snapshot.index) persist.push({ op: 'truncate', from: snapshot.index + 1 });
  current = { ...current, snapshot, log, commitIndex: snapshot.index, inbox: undefined };
  return { core: current, persist, sends: [...forwards.sends, reply(current, snapshot.data.length, true)], commits: [], restore: { snapshot, state } };
}

function onRequestVote(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'requestVote' }>): RaftStep {
  if (core.listenOnly) return step(core);
  if (!grantsVote(core, from, message)) {
    return step(core, [], [{ to: from, message: { type: 'vote', term: core.term, granted: false } }]);
  }
  const next: RaftCore = { ...core, votedFor: from };
  return step(next, [hardOp(next)], [{ to: from, message: { type: 'vote', term: next.term, granted: true } }]);
}

function onVote(core: RaftCore, from: NodeId, message: Extract<RaftMessage, { type: 'vote' }>): RaftStep {
  if (core.role !== 'candidate' || message.term !== core.term) return step(core);
  if (!message.granted || core.votes.includes(from)) return step(core);
  return step({ ...core, votes: [...core.votes, from] });
}

// ---- client commands ----------------------------------------------------------------------------

/** A local submit: the leader appends it, a follower forwards it to the leader it knows, or holds it. */
export function submit(core: RaftCore, command: PendingSubmit): RaftStep {
  if (core.listenOnly) return step(core);
  if (core.role === 'leader') return leaderAppend(core, command);
  if (core.leader !== undefined && core.leader !== core.self) {
    return step(core, [], [{ to: core.leader, message: { type: 'forward', ...command } }]);
  }
  if (core.pending.some((p) => p.client === command.client && p.seq === command.seq)) return step(core);
  // Bounded: beyond the limit the oldest is dropped; its client retries after a timeout.
  const pending = [...core.pending, command].slice(-MAX_PENDING_SUBMITS);
  return step({ ...core, pending });
}

/** A follower that just learned the leader hands it the submits it was holding. */
function forwardPending(core: RaftCore): { core: RaftCore; sends: Outgoing[] } {
  if (core.pending.length === 0 || core.leader === undefined) return { core, sends: [] };
  const to = core.leader;
  return { core: { ...core, pending: [] }, sends: core.pending.map((p) => ({ to, message: { type: 'forward', ...p } })) };
}

// ---- one received message -----------------------------------------------------------------------

/**
 * Everything a received message does to the core (after the machine chose the role it leads
 * to): adopt a newer term (persisting it), then the message's own handler.
 */
export function receive(core: RaftCore, from: NodeId, message: RaftMessage): RaftStep {
  if (!core.members.includes(from) || from === core.self) return step(core);
  let current = core;
  const persist: RaftPersistOp[] = [];
  if (isNewerTerm(current, message) && message.type !== 'forward' && !current.listenOnly) {
    current = adoptTerm(current, message.term);
    persist.push(hardOp(current));
  }
  const result = dispatch(current, from, message);
  return { ...step(result.core, [...persist, ...result.persist], [...result.sends], [...result.commits]), restore: result.restore };
}

function dispatch(core: RaftCore, from: NodeId, message: RaftMessage): RaftStep {
  switch (message.type) {
    case 'requestVote':
      return onRequestVote(core, from, message);
    case 'vote':
      return onVote(core, from, message);
    case 'appendEntries':
      return onAppendEntries(core, from, message);
    case 'appendReply':
      return onAppendReply(core, from, message);
    case 'installSnapshot':
      return onInstallSnapshot(core, from, message);
    case 'snapshotReply':
      return onSnapshotReply(core, from, message);
    case 'forward':
      return submit(core, { client: message.client, seq: message.seq, command: message.command });
  }
}

/** Role this message leads to (the machine's guards use it to pick the target state). */
export function roleAfter(core: RaftCore, from: NodeId, message: RaftMessage): RaftRole {
  if (!core.members.includes(from) || from === core.self || core.listenOnly) return core.role;
  if (isNewerTerm(core, message)) return 'follower';
  // Same-term AppendEntries: its sender won this term. A leader can only meet one when a broken
  // variant elected two in one term (the election-safety checker has reported it by then).
  if (core.role !== 'follower' && (message.type === 'appendEntries' || message.type === 'installSnapshot') && message.term === core.term) return 'follower';
  if (voteWins(core, from, message)) return 'leader';
  return core.role;
}

/** Restarts a follower's election timer: a current leader's AppendEntries, or a vote granted. */
export function resetsElectionTimer(core: RaftCore, from: NodeId, message: RaftMessage): boolean {
  if (!core.members.includes(from) || from === core.self) return false;
  return isCurrentLeaderAppend(core, message) || grantsVote(core, from, message);
}

export { isLogIndex, isTerm };
