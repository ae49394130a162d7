/**
 * Multi-Paxos as pure functions (Lamport, "Paxos Made Simple" §3; the essay's "each log entry
 * is an instance of synod"). One synod instance per slot; every node is an acceptor and a
 * learner, and at most one (the leader) proposes.
 *
 * - A candidate picks a ballot (round + its id) above every round it has seen and runs phase 1
 *   ONCE for every open slot: `prepare {ballot, from}` where `from` is its commit index + 1.
 *   Promises report what each acceptor accepted in slots ≥ from, a page of
 *   MAX_ENTRIES_PER_MESSAGE slots at a time (a long log takes several pages, each with its own
 *   quorum, so no message outgrows the frame limit).
 * - With a quorum for every page it becomes leader: in each open slot it re-proposes the value
 *   accepted with the highest ballot, fills gaps with no-ops, and from then on runs only phase 2
 *   per command: `accept` to every acceptor, a majority of `accepted` chooses it (2 message
 *   delays from the leader).
 * - The chosen prefix is the commit index. Followers learn it from the leader's `accept`
 *   messages (heartbeats are empty accepts): a follower commits slot i ≤ the leader's commit
 *   index when it accepted slot i in the leader's own ballot (the leader proposes one value per
 *   slot per ballot, and for a chosen slot that value is the chosen one). A follower that cannot
 *   says so (`behind`) and the leader sends it the chosen entries.
 * - Acceptors persist (`hard` = the promise, `put` = one slot) before they reply.
 * - Compaction: the host hands a node the state of its applied prefix 1 … k (chosen slots), which
 *   becomes its snapshot; those slots leave the log (accepted values above k stay: they are
 *   acceptor state). A node that needs chosen slots another node compacted (a lagging follower
 *   the leader cannot send them to; a candidate whose promise came from an acceptor compacted
 *   past its prepare) gets that node's snapshot instead, in chunks it pulls one at a time.
 *
 * The broken variant (`adopt: false`, multipaxos-no-adopt) ignores the values promises report:
 * a new leader puts its own pending commands, then no-ops, into the open slots, so a command
 * another leader already had chosen is overwritten.
 */
import { assertNever } from './assert.ts';
import { MAX_ENTRIES_PER_MESSAGE, MAX_PENDING_SUBMITS, MAX_ROUND } from '../limits.ts';
import { chunkCount, commandKey, NOOP, parseLogCommand, parseLogSnapshot, receiveSnapshotChunk, snapshotChunk, snapshotText, type SnapshotInbox } from './log.ts';
import { sameBallot } from './paxos.ts';
import { compareBallots, majorityOf } from './quorum.ts';
import type { Ballot, CommittedEntry, LogCommand, LogDurable, LogSnapshot, NodeId, PersistOp } from './types.ts';
import { isBoundedString, isNonNegativeInteger, isRecord } from './validate.ts';

/** An acceptor's accepted value in one slot. */
export interface MpEntry {
  readonly ballot: Ballot;
  readonly command: LogCommand;
}

/** The acceptor's promise: the fixed-size part of what it stores. */
export interface MpHard {
  readonly promised: Ballot | undefined;
}

export type MpDurable = LogDurable<MpHard, MpEntry>;
export type MpPersistOp = PersistOp<MpHard, MpEntry>;

export interface MultiPaxosOptions {
  /** A new leader re-proposes the values promises report (false: the broken no-adopt variant). */
  readonly adopt: boolean;
}

export const MULTIPAXOS_OPTIONS: MultiPaxosOptions = { adopt: true };

export type MpRole = 'follower' | 'candidate' | 'leader';

export interface PendingSubmit {
  readonly client: string;
  readonly seq: number;
  readonly command: unknown;
}

/** One acceptor's answer for the page being prepared. */
interface PagePromise {
  readonly entries: readonly { readonly slot: number; readonly entry: MpEntry }[];
  readonly more: boolean;
}

export interface MpCore {
  readonly self: NodeId;
  readonly members: readonly NodeId[];
  readonly options: MultiPaxosOptions;
  readonly role: MpRole;
  /** Acceptor: the highest ballot promised (durable). */
  readonly promised: Ballot | undefined;
  /** The snapshot that replaced slots 1 … snapshot.index (all chosen), if any. */
  readonly snapshot: LogSnapshot | undefined;
  /** Acceptor: log[i] is what it accepted in slot snapshotIndex + i + 1 (durable; holes are undefined). */
  readonly log: readonly (MpEntry | undefined)[];
  /** A snapshot being pulled from another node, chunk by chunk. */
  readonly inbox: SnapshotInbox | undefined;
  /** Learner: every slot up to here is chosen and was handed to the host (volatile). */
  readonly commitIndex: number;
  /** The leader this node follows (itself when leader), if known. */
  readonly leader: NodeId | undefined;
  /** Candidate and leader: its own ballot. */
  readonly ballot: Ballot | undefined;
  /** The highest round seen in any ballot: a new ballot goes above it. */
  readonly maxRound: number;
  /** Candidate: first slot of phase 1, first slot of the page being prepared, answers for it. */
  readonly prepareFrom: number;
  readonly pageFrom: number;
  readonly promises: Readonly<Record<NodeId, PagePromise>>;
  /** Candidate: per open slot, the accepted entry with the highest ballot reported so far. */
  readonly reported: Readonly<Record<number, MpEntry>>;
  /** Leader: per open slot above the commit index, the acceptors that accepted it in its ballot. */
  readonly acks: Readonly<Record<number, readonly NodeId[]>>;
  /** Leader: each follower's commit index as it last reported it. */
  readonly commitKnown: Readonly<Record<NodeId, number>>;
  readonly pending: readonly PendingSubmit[];
  /** Its storage was unreadable: never promises, accepts or campaigns. */
  readonly listenOnly: boolean;
}

export interface SlotEntry {
  readonly slot: number;
  readonly command: LogCommand;
}

export interface ReportedEntry {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly command: LogCommand;
}

export type MpMessage =
  | { readonly type: 'prepare'; readonly ballot: Ballot; readonly from: number }
  | {
      readonly type: 'promise';
      readonly ballot: Ballot;
      readonly from: number;
      readonly entries: readonly ReportedEntry[];
      readonly more: boolean;
      /**
       * The acceptor compacted slots up to here (0: none). At or above the prepare's `from`, it
       * cannot report those slots: they are chosen, and the candidate must get its snapshot.
       */
      readonly compacted?: number | undefined;
    }
  | { readonly type: 'accept'; readonly ballot: Ballot; readonly entries: readonly SlotEntry[]; readonly commitIndex: number }
  | {
      readonly type: 'accepted';
      readonly ballot: Ballot;
      readonly slots: readonly number[];
      /** The follower's commit index after this accept. */
      readonly commitIndex: number;
      /** The accept named a commit index the follower could not reach: send it the chosen entries. */
      readonly behind: boolean;
    }
  | { readonly type: 'nack'; readonly ballot: Ballot; readonly promised: Ballot }
  /** Send me the chunk of your snapshot (of slots 1 … index) that starts at `offset`. */
  | { readonly type: 'snapshotRequest'; readonly index: number; readonly offset: number }
  | { readonly type: 'snapshotChunk'; readonly index: number; readonly offset: number; readonly data: string; readonly done: boolean }
  | { readonly type: 'forward'; readonly client: string; readonly seq: number; readonly command: unknown };

export type MpMessageType = MpMessage['type'];

export interface Outgoing {
  readonly to: NodeId;
  readonly message: MpMessage;
}

export interface MpStep {
  readonly core: MpCore;
  readonly persist: readonly MpPersistOp[];
  readonly sends: readonly Outgoing[];
  readonly commits: readonly CommittedEntry[];
  /** A snapshot installed from another node: the host replaces its state machine (after persisting, before commits). */
  readonly restore?: { readonly snapshot: LogSnapshot; readonly state: unknown } | undefined;
}

function step(core: MpCore, persist: MpPersistOp[] = [], sends: Outgoing[] = [], commits: CommittedEntry[] = []): MpStep {
  return { core, persist, sends, commits };
}

function merge(a: MpStep, b: MpStep): MpStep {
  const restore = b.restore ?? a.restore;
  const merged: MpStep = { core: b.core, persist: [...a.persist, ...b.persist], sends: [...a.sends, ...b.sends], commits: [...a.commits, ...b.commits] };
  return restore === undefined ? merged : { ...merged, restore };
}

// ---- validation ---------------------------------------------------------------------------------

export function isRound(raw: unknown): raw is number {
  return isNonNegativeInteger(raw) && raw <= MAX_ROUND;
}

/** A ballot from the wire or storage: round 0 … MAX_ROUND, node id bounded. */
export function parseBallot(raw: unknown, maxNodeLength: number): Ballot | undefined {
  if (!isRecord(raw) || !isRound(raw.round) || !isBoundedString(raw.node, maxNodeLength)) return undefined;
  return { round: raw.round, node: raw.node };
}

export function parseMpEntry(raw: unknown, maxNodeLength: number): MpEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const ballot = parseBallot(raw.ballot, maxNodeLength);
  const command = parseLogCommand(raw.command);
  return ballot === undefined || command === undefined ? undefined : { ballot, command };
}

/** Validates what storage gave back; undefined when anything is malformed. */
export function parseMpDurable(
  raw: unknown,
  maxNodeLength: number,
): { promised: Ballot | undefined; log: (MpEntry | undefined)[]; snapshot: LogSnapshot | undefined } | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.entries)) return undefined;
  const snapshot = raw.snapshot === undefined ? undefined : parseLogSnapshot(raw.snapshot);
  if (raw.snapshot !== undefined && snapshot === undefined) return undefined;
  const base = snapshot?.index ?? 0;
  let promised: Ballot | undefined;
  if (raw.hard !== undefined) {
    if (!isRecord(raw.hard)) return undefined;
    if (raw.hard.promised !== undefined) {
      promised = parseBallot(raw.hard.promised, maxNodeLength);
      if (promised === undefined) return undefined;
    }
  }
  const log: (MpEntry | undefined)[] = [];
  let last = 0;
  for (const item of raw.entries as unknown[]) {
    if (!isRecord(item) || !isNonNegativeInteger(item.index) || item.index <= last) return undefined; // sorted, unique
    const entry = parseMpEntry(item.entry, maxNodeLength);
    if (entry === undefined) return undefined;
    last = item.index;
    if (item.index <= base) continue; // compacted: the snapshot holds it
    while (log.length < item.index - base - 1) log.push(undefined);
    log.push(entry);
  }
  return { promised, log, snapshot };
}

// ---- start ----------------------------------------------------------------------------------------

export function initialMpCore(self: NodeId, members: readonly NodeId[], durable: unknown, options: MultiPaxosOptions, maxNodeLength: number): MpCore {
  const restored = durable === undefined ? { promised: undefined, log: [], snapshot: undefined } : parseMpDurable(durable, maxNodeLength);
  const log = restored?.log ?? [];
  let maxRound = restored?.promised?.round ?? 0;
  for (const e of log) if (e !== undefined && e.ballot.round > maxRound) maxRound = e.ballot.round;
  return {
    self,
    members,
    options,
    role: 'follower',
    promised: restored?.promised,
    snapshot: restored?.snapshot,
    log,
    inbox: undefined,
    // What the snapshot covers is chosen (the host restores its state machine from it).
    commitIndex: restored?.snapshot?.index ?? 0,
    leader: undefined,
    ballot: undefined,
    maxRound,
    prepareFrom: 1,
    pageFrom: 1,
    promises: {},
    reported: {},
    acks: {},
    commitKnown: {},
    pending: [],
    listenOnly: durable !== undefined && restored === undefined,
  };
}

/** The last slot the snapshot covers (0: none). */
export function mpSnapshotIndex(core: MpCore): number {
  return core.snapshot?.index ?? 0;
}

export function lastSlot(core: MpCore): number {
  return mpSnapshotIndex(core) + core.log.length;
}

/** What this acceptor accepted in `slot`, if it still holds it. */
export function slotEntry(core: MpCore, slot: number): MpEntry | undefined {
  const i = slot - mpSnapshotIndex(core) - 1;
  return i < 0 ? undefined : core.log[i];
}

function others(core: MpCore): NodeId[] {
  return core.members.filter((m) => m !== core.self);
}

/** a > b, with undefined below every ballot. */
function above(a: Ballot, b: Ballot | undefined): boolean {
  return b === undefined || compareBallots(a, b) > 0;
}

function atLeast(a: Ballot, b: Ballot | undefined): boolean {
  return b === undefined || compareBallots(a, b) >= 0;
}

/** The ballot a message is about (a forward carries none). */
export function ballotOf(message: MpMessage): Ballot | undefined {
  switch (message.type) {
    case 'forward':
    case 'snapshotRequest':
    case 'snapshotChunk':
      return undefined;
    case 'nack':
      return message.promised;
    default:
      return message.ballot;
  }
}

/** The log with `entry` in `slot` (above the snapshot, `base`). */
function withSlot(log: readonly (MpEntry | undefined)[], base: number, slot: number, entry: MpEntry): (MpEntry | undefined)[] {
  const next = log.slice();
  while (next.length < slot - base - 1) next.push(undefined);
  next[slot - base - 1] = entry;
  return next;
}

function seeRound(core: MpCore, ballot: Ballot | undefined): MpCore {
  return ballot !== undefined && ballot.round > core.maxRound ? { ...core, maxRound: ballot.round } : core;
}

// ---- phase 1: the candidate ----------------------------------------------------------------------

/**
 * The leader timeout fired (or a candidacy timed out): a ballot above every round seen, promised
 * to itself (persisted before the prepares leave), prepare for every slot above the commit index.
 */
export function startCandidacy(core: MpCore): MpStep {
  if (core.listenOnly || core.maxRound >= MAX_ROUND) return step({ ...core, role: 'follower' });
  const ballot: Ballot = { round: core.maxRound + 1, node: core.self };
  const from = core.commitIndex + 1;
  const self = acceptorPage(core, from);
  const next: MpCore = {
    ...core,
    role: 'candidate',
    ballot,
    promised: ballot,
    maxRound: ballot.round,
    leader: undefined,
    prepareFrom: from,
    pageFrom: from,
    promises: { [core.self]: self },
    reported: {},
    acks: {},
    commitKnown: {},
  };
  const persisted = step(next, [{ op: 'hard', state: { promised: ballot } }], others(next).map((to) => ({ to, message: { type: 'prepare', ballot, from } })));
  return merge(persisted, maybeFinishPage(next));
}

/** The accepted entries of one page, [from, from + MAX_ENTRIES_PER_MESSAGE), and whether more follow. */
function acceptorPage(core: MpCore, from: number): PagePromise {
  const end = from + MAX_ENTRIES_PER_MESSAGE;
  const last = lastSlot(core);
  const entries: { slot: number; entry: MpEntry }[] = [];
  for (let slot = Math.max(from, mpSnapshotIndex(core) + 1); slot < end && slot <= last; slot++) {
    const entry = slotEntry(core, slot);
    if (entry !== undefined) entries.push({ slot, entry });
  }
  return { entries, more: last >= end };
}

/** A candidate asks again every member whose promise for the current page is missing. */
export function resendPrepares(core: MpCore): MpStep {
  if (core.role !== 'candidate' || core.ballot === undefined) return step(core);
  const ballot = core.ballot;
  const missing = core.members.filter((m) => core.promises[m] === undefined);
  return step(core, [], missing.map((to) => ({ to, message: { type: 'prepare', ballot, from: core.pageFrom } })));
}

function onPromise(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'promise' }>): MpStep {
  if (core.role !== 'candidate' || !sameBallot(core.ballot, message.ballot) || message.from !== core.pageFrom) return step(core);
  // The acceptor compacted slots we are preparing: they are chosen, and only its snapshot says
  // what they hold. Counting its promise would let us fill them with no-ops; fetch the snapshot.
  const compacted = message.compacted ?? 0;
  if (compacted >= message.from) return step(core, [], [{ to: from, message: { type: 'snapshotRequest', index: compacted, offset: 0 } }]);
  const entries = message.entries.map((e) => ({ slot: e.slot, entry: { ballot: e.ballot, command: e.command } }));
  const next: MpCore = { ...core, promises: { ...core.promises, [from]: { entries, more: message.more } } };
  return maybeFinishPage(next);
}

/** A quorum promised this page: fold in what it reported; next page, or lead. */
function maybeFinishPage(core: MpCore): MpStep {
  const quorum = Object.keys(core.promises);
  if (quorum.length < majorityOf(core.members.length)) return step(core);
  const reported: Record<number, MpEntry> = { ...core.reported };
  let more = false;
  for (const node of quorum) {
    const page = core.promises[node] as PagePromise;
    more ||= page.more;
    for (const { slot, entry } of page.entries) {
      const known = reported[slot];
      if (known === undefined || compareBallots(entry.ballot, known.ballot) > 0) reported[slot] = entry;
    }
  }
  if (more) {
    const pageFrom = core.pageFrom + MAX_ENTRIES_PER_MESSAGE;
    const ballot = core.ballot as Ballot;
    const next: MpCore = { ...core, reported, pageFrom, promises: { [core.self]: acceptorPage(core, pageFrom) } };
    return merge(step(next, [], others(next).map((to) => ({ to, message: { type: 'prepare', ballot, from: pageFrom } }))), maybeFinishPage(next));
  }
  return step({ ...core, reported });
}

/** Every page has a quorum of promises: the candidate may lead. */
export function hasPromiseQuorum(core: MpCore): boolean {
  if (core.role !== 'candidate') return false;
  const quorum = Object.values(core.promises);
  return quorum.length >= majorityOf(core.members.length) && !quorum.some((p) => p.more);
}

/** This promise completes the last page's quorum. */
export function promiseWins(core: MpCore, from: NodeId, message: MpMessage): boolean {
  if (message.type !== 'promise' || core.role !== 'candidate') return false;
  return hasPromiseQuorum(onPromise(core, from, message).core);
}

/**
 * Phase 1 is done: in every open slot propose the highest-ballot value reported (or, broken,
 * its own commands first), no-ops in the gaps; accept them itself (persisted), send them out.
 */
export function becomeLeader(core: MpCore): MpStep {
  const ballot = core.ballot as Ballot;
  let top = core.commitIndex;
  for (const slot of Object.keys(core.reported)) top = Math.max(top, Number(slot));
  const proposals: (LogCommand | undefined)[] = [];
  let pending = core.pending;
  for (let slot = core.prepareFrom; slot <= top; slot++) {
    const reported = core.reported[slot];
    if (core.options.adopt) {
      proposals.push(reported?.command ?? NOOP);
    } else {
      // Broken: what acceptors reported is ignored; the leader's own commands go first.
      const own = pending[0];
      pending = pending.slice(1);
      proposals.push(own === undefined ? NOOP : { kind: 'command', ...own });
    }
  }
  let log = core.log;
  const persist: MpPersistOp[] = [];
  const acks: Record<number, readonly NodeId[]> = {};
  proposals.forEach((command, i) => {
    const slot = core.prepareFrom + i;
    const entry: MpEntry = { ballot, command: command as LogCommand };
    log = withSlot(log, mpSnapshotIndex(core), slot, entry);
    persist.push({ op: 'put', index: slot, entry });
    acks[slot] = [core.self];
  });
  const commitKnown: Record<NodeId, number> = {};
  for (const m of others(core)) commitKnown[m] = core.commitIndex;
  const leader: MpCore = { ...core, role: 'leader', leader: core.self, log, acks, commitKnown, promises: {}, reported: {}, pending };
  const sends = others(leader).flatMap((to) => acceptTo(leader, to));
  const appended = appendPending(step(leader, persist, sends));
  return merge(appended, advanceCommit(appended.core));
}

// ---- phase 2: the leader ---------------------------------------------------------------------------

/** Open slots above the commit index that `to` has not accepted in this ballot, one message's worth. */
function unacked(core: MpCore, to: NodeId, from: number): SlotEntry[] {
  const slots: SlotEntry[] = [];
  for (let slot = Math.max(from, mpSnapshotIndex(core) + 1); slot <= lastSlot(core); slot++) {
    const acks = core.acks[slot];
    if (slot > core.commitIndex && acks !== undefined && acks.includes(to)) continue;
    slots.push({ slot, command: (slotEntry(core, slot) as MpEntry).command });
  }
  return slots.slice(0, chunkCount(slots, 0));
}

/** An accept to one follower: its unaccepted open slots (none in a heartbeat once all are in). */
function acceptTo(core: MpCore, to: NodeId): Outgoing[] {
  const ballot = core.ballot as Ballot;
  return [{ to, message: { type: 'accept', ballot, entries: unacked(core, to, core.commitIndex + 1), commitIndex: core.commitIndex } }];
}

/** Heartbeat: an accept to every follower (retransmits what it has not accepted yet). */
export function heartbeat(core: MpCore): MpStep {
  if (core.role !== 'leader') return step(core);
  return step(core, [], others(core).flatMap((to) => acceptTo(core, to)));
}

/** The log already holds this (client, seq): proposing it again would only add a duplicate. */
function alreadyInLog(core: MpCore, client: string, seq: number): boolean {
  const key = `${client}#${seq}`;
  // Only the retained log: a compacted copy is committed, and the client sessions answer a repeat.
  for (let i = core.log.length - 1; i >= 0; i--) {
    const entry = core.log[i];
    if (entry !== undefined && commandKey(entry.command) === key) return true;
  }
  return false;
}

/** The leader proposes a command in the next slot: accepts it itself (persisted), sends phase 2. */
function propose(core: MpCore, submit: PendingSubmit): MpStep {
  if (alreadyInLog(core, submit.client, submit.seq)) return step(core);
  const ballot = core.ballot as Ballot;
  const slot = lastSlot(core) + 1;
  const entry: MpEntry = { ballot, command: { kind: 'command', client: submit.client, seq: submit.seq, command: submit.command } };
  const next: MpCore = { ...core, log: withSlot(core.log, mpSnapshotIndex(core), slot, entry), acks: { ...core.acks, [slot]: [core.self] } };
  const message: MpMessage = { type: 'accept', ballot, entries: [{ slot, command: entry.command }], commitIndex: next.commitIndex };
  const proposed = step(next, [{ op: 'put', index: slot, entry }], others(next).map((to) => ({ to, message })));
  return merge(proposed, advanceCommit(next)); // a one-node group chooses at once
}

function appendPending(s: MpStep): MpStep {
  let result: MpStep = { ...s, core: { ...s.core, pending: [] } };
  for (const submit of s.core.pending) result = merge(result, propose(result.core, submit));
  return result;
}

/** Slots chosen in the leader's ballot, in order from the commit index: they commit. */
function advanceCommit(core: MpCore): MpStep {
  const majority = majorityOf(core.members.length);
  let commitIndex = core.commitIndex;
  while ((core.acks[commitIndex + 1]?.length ?? 0) >= majority) commitIndex++;
  if (commitIndex === core.commitIndex) return step(core);
  const acks: Record<number, readonly NodeId[]> = {};
  for (const [slot, nodes] of Object.entries(core.acks)) if (Number(slot) > commitIndex) acks[Number(slot)] = nodes;
  const next: MpCore = { ...core, commitIndex, acks };
  return step(next, [], [], committedRange(next, core.commitIndex, commitIndex));
}

function committedRange(core: MpCore, from: number, to: number): CommittedEntry[] {
  const out: CommittedEntry[] = [];
  for (let slot = from + 1; slot <= to; slot++) {
    const entry = slotEntry(core, slot) as MpEntry;
    out.push({ index: slot, ballot: entry.ballot, command: entry.command });
  }
  return out;
}

function onAccepted(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'accepted' }>): MpStep {
  if (core.role !== 'leader' || !sameBallot(core.ballot, message.ballot)) return step(core);
  const acks: Record<number, readonly NodeId[]> = { ...core.acks };
  for (const slot of message.slots) {
    const nodes = acks[slot];
    if (slot > core.commitIndex && slot <= lastSlot(core) && nodes !== undefined && !nodes.includes(from)) acks[slot] = [...nodes, from];
  }
  const known = Math.min(message.commitIndex, core.commitIndex);
  const next: MpCore = { ...core, acks, commitKnown: { ...core.commitKnown, [from]: known } };
  const committed = advanceCommit(next);
  if (!message.behind) return committed;
  const leader = committed.core;
  // It lacks chosen slots we compacted: our snapshot instead (it pulls the remaining chunks).
  if (leader.snapshot !== undefined && known < leader.snapshot.index) return merge(committed, step(leader, [], [snapshotChunkTo(leader.snapshot, from, 0)]));
  // The follower could not commit what we told it: send it the chosen entries it lacks.
  const entries = unacked(leader, from, known + 1);
  return merge(committed, step(leader, [], [{ to: from, message: { type: 'accept', ballot: leader.ballot as Ballot, entries, commitIndex: leader.commitIndex } }]));
}

// ---- the acceptor ------------------------------------------------------------------------------------

function onPrepare(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'prepare' }>): MpStep {
  if (!atLeast(message.ballot, core.promised)) {
    return step(core, [], [{ to: from, message: { type: 'nack', ballot: message.ballot, promised: core.promised as Ballot } }]);
  }
  const fresh = above(message.ballot, core.promised);
  const next: MpCore = fresh ? { ...stepDown(core), promised: message.ballot } : core;
  const page = acceptorPage(next, message.from);
  const entries = page.entries.map(({ slot, entry }) => ({ slot, ballot: entry.ballot, command: entry.command }));
  const reply: Outgoing = {
    to: from,
    message: { type: 'promise', ballot: message.ballot, from: message.from, entries, more: page.more, compacted: mpSnapshotIndex(next) },
  };
  return step(next, fresh ? [{ op: 'hard', state: { promised: message.ballot } }] : [], [reply]);
}

/** A higher ballot is about: a candidate or leader of a lower one stops proposing. */
function stepDown(core: MpCore): MpCore {
  if (core.role === 'follower') return core;
  return { ...core, role: 'follower', ballot: undefined, leader: undefined, promises: {}, reported: {}, acks: {}, commitKnown: {} };
}

function onAccept(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'accept' }>): MpStep {
  const { ballot } = message;
  if (!atLeast(ballot, core.promised)) {
    return step(core, [], [{ to: from, message: { type: 'nack', ballot, promised: core.promised as Ballot } }]);
  }
  let current: MpCore = sameBallot(core.ballot, ballot) ? core : stepDown(core);
  const persist: MpPersistOp[] = [];
  if (above(ballot, current.promised)) {
    current = { ...current, promised: ballot };
    persist.push({ op: 'hard', state: { promised: ballot } });
  }
  current = { ...current, leader: from };
  let log = current.log;
  const base = mpSnapshotIndex(current);
  const slots: number[] = [];
  for (const { slot, command } of message.entries) {
    slots.push(slot);
    if (slot <= base) continue; // chosen and compacted into our snapshot
    const held = log[slot - base - 1];
    if (held !== undefined && sameBallot(held.ballot, ballot)) continue; // a retransmission: stored already
    const entry: MpEntry = { ballot, command };
    log = withSlot(log, base, slot, entry);
    persist.push({ op: 'put', index: slot, entry });
  }
  current = { ...current, log };
  // Learn: a slot the leader calls chosen is ours to commit when we accepted it in its ballot.
  let commitIndex = current.commitIndex;
  while (commitIndex < message.commitIndex && sameBallot(slotEntry(current, commitIndex + 1)?.ballot, ballot)) commitIndex++;
  const commits = committedRange(current, current.commitIndex, commitIndex);
  current = { ...current, commitIndex };
  const forwards = forwardPending(current);
  current = forwards.core;
  const reply: Outgoing = { to: from, message: { type: 'accepted', ballot, slots, commitIndex, behind: commitIndex < message.commitIndex } };
  return step(current, persist, [...forwards.sends, reply], commits);
}

// ---- snapshots ------------------------------------------------------------------------------------

/**
 * The host applied the chosen prefix up to `index` and hands over that state: it becomes the
 * snapshot, and the slots it covers leave the log (one storage write). Ignored at or below the
 * current snapshot, above the commit index, or when the state is too big.
 */
export function takeMpSnapshot(core: MpCore, index: number, state: unknown): MpStep {
  const base = mpSnapshotIndex(core);
  if (core.listenOnly || index <= base || index > core.commitIndex) return step(core);
  const data = snapshotText(state);
  if (data === undefined) return step(core);
  const snapshot: LogSnapshot = { index, term: 0, data };
  return step({ ...core, snapshot, log: core.log.slice(index - base) }, [{ op: 'snapshot', snapshot }]);
}

function snapshotChunkTo(snapshot: LogSnapshot, to: NodeId, offset: number): Outgoing {
  const { piece, done } = snapshotChunk(snapshot.data, Math.min(offset, snapshot.data.length));
  return { to, message: { type: 'snapshotChunk', index: snapshot.index, offset: Math.min(offset, snapshot.data.length), data: piece, done } };
}

/** Anyone may pull our snapshot: the chunk at `offset` of it (from 0 when it asks for an older one). */
function onSnapshotRequest(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'snapshotRequest' }>): MpStep {
  if (core.snapshot === undefined) return step(core);
  return step(core, [], [snapshotChunkTo(core.snapshot, from, message.index === core.snapshot.index ? message.offset : 0)]);
}

/**
 * A chunk of a snapshot we lack (it covers slots past our commit index): collect it, ask for
 * the next one, and with the last one install it: the slots it covers are chosen, so it becomes
 * our commit index; accepted values above it stay. A candidate then prepares again from there.
 */
function onSnapshotChunk(core: MpCore, from: NodeId, message: Extract<MpMessage, { type: 'snapshotChunk' }>): MpStep {
  if (message.index <= core.commitIndex) return step(core.inbox?.index === message.index ? { ...core, inbox: undefined } : core);
  const outcome = receiveSnapshotChunk(core.inbox, { from, index: message.index, term: 0, offset: message.offset, data: message.data, done: message.done });
  if (outcome.kind === 'partial') {
    return step({ ...core, inbox: outcome.inbox }, [], [{ to: from, message: { type: 'snapshotRequest', index: message.index, offset: outcome.offset } }]);
  }
  const { snapshot, state } = outcome;
  const base = mpSnapshotIndex(core);
  const acks: Record<number, readonly NodeId[]> = {};
  for (const [slot, nodes] of Object.entries(core.acks)) if (Number(slot) > snapshot.index) acks[Number(slot)] = nodes;
  let current: MpCore = { ...core, snapshot, log: core.log.slice(Math.min(core.log.length, snapshot.index - base)), commitIndex: snapshot.index, inbox: undefined, acks };
  const installed: MpStep = { core: current, persist: [{ op: 'snapshot', snapshot }], sends: caughtUpReply(current, from), commits: [], restore: { snapshot, state } };
  if (current.role !== 'candidate' || current.ballot === undefined) return installed;
  // Phase 1 again, from the first slot the snapshot does not cover.
  const ballot = current.ballot;
  const first = snapshot.index + 1;
  current = { ...current, prepareFrom: first, pageFrom: first, promises: { [current.self]: acceptorPage(current, first) }, reported: {} };
  const prepares = step(current, [], others(current).map((to) => ({ to, message: { type: 'prepare', ballot, from: first } })));
  return merge(installed, merge(prepares, maybeFinishPage(current)));
}

/**
 * A follower that installed its leader's snapshot tells the leader at once where it now stands
 * (behind: the leader sends the chosen slots after the snapshot), rather than idling until the
 * next heartbeat with a log the leader thinks is still empty.
 */
function caughtUpReply(core: MpCore, from: NodeId): Outgoing[] {
  // Only a follower has a leader other than itself (a candidacy clears it), and it promised that
  // leader's ballot when it accepted from it; the undefined check is for the type.
  if (core.leader !== from || core.promised === undefined) return [];
  return [{ to: from, message: { type: 'accepted', ballot: core.promised, slots: [], commitIndex: core.commitIndex, behind: true } }];
}

function onNack(core: MpCore, message: Extract<MpMessage, { type: 'nack' }>): MpStep {
  if (core.role === 'follower' || !sameBallot(core.ballot, message.ballot) || !above(message.promised, core.ballot)) return step(core);
  return step(stepDown(core));
}

// ---- client commands ------------------------------------------------------------------------------

/** A local submit: the leader proposes it, a follower forwards it to the leader it knows, or holds it. */
export function submit(core: MpCore, command: PendingSubmit): MpStep {
  if (core.listenOnly) return step(core);
  if (core.role === 'leader') return propose(core, command);
  if (core.leader !== undefined && core.leader !== core.self && core.role === 'follower') {
    return step(core, [], [{ to: core.leader, message: { type: 'forward', ...command } }]);
  }
  if (core.pending.some((p) => p.client === command.client && p.seq === command.seq)) return step(core);
  // Bounded: beyond the limit the oldest is dropped; its client retries after a timeout.
  return step({ ...core, pending: [...core.pending, command].slice(-MAX_PENDING_SUBMITS) });
}

function forwardPending(core: MpCore): { core: MpCore; sends: Outgoing[] } {
  if (core.pending.length === 0 || core.leader === undefined || core.role !== 'follower') return { core, sends: [] };
  const to = core.leader;
  return { core: { ...core, pending: [] }, sends: core.pending.map((p) => ({ to, message: { type: 'forward', ...p } })) };
}

// ---- one received message ----------------------------------------------------------------------------

export function receive(core: MpCore, from: NodeId, message: MpMessage): MpStep {
  if (!core.members.includes(from) || from === core.self || core.listenOnly) return step(core);
  const ballot = ballotOf(message);
  // A ballot must be its proposer's: a prepare or accept is sent by the ballot's owner.
  if ((message.type === 'prepare' || message.type === 'accept') && message.ballot.node !== from) return step(core);
  if (ballot !== undefined && !core.members.includes(ballot.node)) return step(core);
  const current = seeRound(core, ballot);
  switch (message.type) {
    case 'prepare':
      return onPrepare(current, from, message);
    case 'promise':
      return onPromise(current, from, message);
    case 'accept':
      return onAccept(current, from, message);
    case 'accepted':
      return onAccepted(current, from, message);
    case 'nack':
      return onNack(current, message);
    case 'snapshotRequest':
      return onSnapshotRequest(current, from, message);
    case 'snapshotChunk':
      return onSnapshotChunk(current, from, message);
    case 'forward':
      return submit(current, { client: message.client, seq: message.seq, command: message.command });
    default:
      return assertNever(message, 'multipaxos message');
  }
}

/** Role this message leads to (the machine's guards pick the target state with it). */
export function roleAfter(core: MpCore, from: NodeId, message: MpMessage): MpRole {
  if (!core.members.includes(from) || from === core.self || core.listenOnly) return core.role;
  return receive(core, from, message).core.role;
}

/**
 * Restarts a follower's leader timer: an accept it takes (its leader is alive), or a promise
 * it gives (someone is running phase 1; let it finish before competing).
 */
export function resetsLeaderTimer(core: MpCore, from: NodeId, message: MpMessage): boolean {
  if (!core.members.includes(from) || from === core.self || core.listenOnly) return false;
  if (message.type === 'accept') return message.ballot.node === from && atLeast(message.ballot, core.promised);
  if (message.type === 'prepare') return message.ballot.node === from && above(message.ballot, core.promised);
  return false;
}
