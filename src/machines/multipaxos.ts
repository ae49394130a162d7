/**
 * Multi-Paxos as one XState v5 machine: the role is the state (follower → candidate running
 * phase 1 → leader running phase 2 per command, back to follower when a higher ballot shows
 * up), the timers are `after` delays on the host's clock, and every decision is a pure
 * function of src/core/multipaxos.ts called from a guard or an action.
 *
 * Keeps: one value chosen per slot (a leader adopts what its promises report), commits as a
 * contiguous chosen prefix, acceptors that persist before they reply, followers that forward
 * commands to the leader. Lacks (by design, like any Paxos): liveness while candidates duel;
 * the randomised leader timeout and candidacy backoff, drawn from the seeded PRNG in
 * [base, RAFT_ELECTION_TIMEOUT_FACTOR × base], make duels short.
 *
 * `createMultiPaxosMachine({ adopt: false })` is the deliberately broken multipaxos-no-adopt.
 */
import { enqueueActions, setup, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import { epochLabel, isClientSeq, isLogIndex, isSnapshotChunk, parseLogCommand, parseOpaqueCommand } from '../core/log.ts';
import {
  becomeLeader,
  hasPromiseQuorum,
  heartbeat,
  initialMpCore,
  lastSlot,
  mpSnapshotIndex,
  slotEntry,
  takeMpSnapshot,
  MULTIPAXOS_OPTIONS,
  parseBallot,
  promiseWins,
  receive,
  resendPrepares,
  resetsLeaderTimer,
  roleAfter,
  startCandidacy,
  submit,
  type MpCore,
  type MpDurable,
  type MpEntry,
  type MpHard,
  type MpMessage,
  type MpStep,
  type MultiPaxosOptions,
  type ReportedEntry,
  type SlotEntry,
} from '../core/multipaxos.ts';
import { nextFloat, seedPrng, type PrngState } from '../core/prng.ts';
import { majorityOf } from '../core/quorum.ts';
import type { Ballot, Epoch, LogEntryFact, LogNodeEvent, NodeEffect, LogView, LogWindowEntry, NodeInput, NodeView, Timing } from '../core/types.ts';
import { isBoundedString } from '../core/validate.ts';
import {
  MAX_CLIENT_ID_LENGTH,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_LOG_WINDOW,
  MAX_NODE_ID_LENGTH,
  RAFT_ELECTION_TIMEOUT_FACTOR,
  RAFT_HEARTBEATS_PER_TIMEOUT,
} from '../limits.ts';
import { electionBaseMs } from './raft.ts';
import type { LogAlgorithmName, LogAlgorithmSpec } from './spec.ts';
import { listNodes, parseByType, type MessageParsers } from './wire.ts';

export type MultiPaxosEvent = LogNodeEvent<MpMessage>;
export type MultiPaxosEffect = NodeEffect<MpMessage, MpHard, MpEntry>;
export type MultiPaxosInput = NodeInput<MpDurable>;

export interface MultiPaxosContext {
  readonly core: MpCore;
  readonly timing: Timing;
  readonly prng: PrngState;
  /** The leader timeout (follower) or candidacy timeout (candidate) drawn for the current state. */
  readonly leaderDelayMs: number;
}

interface StepSink {
  assign(values: { readonly core: MpCore }): void;
  emit(effect: MultiPaxosEffect): void;
}

/** Persist, then send, then commit: the order every host relies on. */
function emitStep(enqueue: StepSink, result: MpStep): void {
  enqueue.assign({ core: result.core });
  if (result.persist.length > 0) enqueue.emit({ type: 'persistLog', ops: result.persist });
  if (result.restore !== undefined) enqueue.emit({ type: 'restore', snapshot: result.restore.snapshot, state: result.restore.state });
  for (const { to, message } of result.sends) enqueue.emit({ type: 'send', to, message });
  if (result.commits.length > 0) enqueue.emit({ type: 'commit', entries: result.commits });
}

function received(event: MultiPaxosEvent): { from: string; message: MpMessage } | undefined {
  return event.type === 'receive' ? { from: event.from, message: event.message } : undefined;
}

export function createMultiPaxosMachine(options: MultiPaxosOptions) {
  return setup({
    types: {
      context: {} as MultiPaxosContext,
      events: {} as MultiPaxosEvent,
      input: {} as MultiPaxosInput,
      emitted: {} as MultiPaxosEffect,
    },
    delays: {
      leaderTimeout: ({ context }) => context.leaderDelayMs,
      retransmit: ({ context }) => context.timing.retransmitMs,
      heartbeat: ({ context }) => Math.max(1, Math.floor(electionBaseMs(context.timing) / RAFT_HEARTBEATS_PER_TIMEOUT)),
    },
    guards: {
      mayCampaign: ({ context }) => !context.core.listenOnly,
      hasPromiseQuorum: ({ context }) => hasPromiseQuorum(context.core),
      resetsTimer: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && resetsLeaderTimer(context.core, r.from, r.message);
      },
      leadsToFollower: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && roleAfter(context.core, r.from, r.message) === 'follower';
      },
      leadsToLeader: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && promiseWins(context.core, r.from, r.message);
      },
    },
    actions: {
      // Randomised from the seeded PRNG: two followers that lost the same leader rarely time out together.
      drawLeaderTimeout: enqueueActions(({ context, enqueue }) => {
        const [uniform, prng] = nextFloat(context.prng);
        const base = electionBaseMs(context.timing);
        enqueue.assign({ prng, leaderDelayMs: Math.round(base + uniform * (RAFT_ELECTION_TIMEOUT_FACTOR - 1) * base) });
      }),
      becomeFollower: enqueueActions(({ context, enqueue }) => {
        if (context.core.role !== 'follower') enqueue.assign({ core: { ...context.core, role: 'follower', ballot: undefined } });
      }),
      startCandidacy: enqueueActions(({ context, enqueue }) => emitStep(enqueue, startCandidacy(context.core))),
      becomeLeader: enqueueActions(({ context, enqueue }) => emitStep(enqueue, becomeLeader(context.core))),
      heartbeat: enqueueActions(({ context, enqueue }) => emitStep(enqueue, heartbeat(context.core))),
      resendPrepares: enqueueActions(({ context, enqueue }) => emitStep(enqueue, resendPrepares(context.core))),
      receive: enqueueActions(({ context, event, enqueue }) => {
        const r = received(event);
        if (r !== undefined) emitStep(enqueue, receive(context.core, r.from, r.message));
      }),
      submit: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'submit') return;
        emitStep(enqueue, submit(context.core, { client: event.client, seq: event.seq, command: event.command }));
      }),
      compact: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'compact') emitStep(enqueue, takeMpSnapshot(context.core, event.index, event.state));
      }),
    },
  }).createMachine({
    id: 'multipaxos',
    context: ({ input }) => ({
      core: initialMpCore(input.self, input.members, input.durable, options, MAX_NODE_ID_LENGTH),
      timing: input.timing,
      prng: seedPrng(input.seed),
      leaderDelayMs: electionBaseMs(input.timing),
    }),
    initial: 'follower',
    states: {
      // Accepts what the leader proposes; a leader silent for a whole timeout starts a candidacy.
      follower: {
        entry: ['becomeFollower', 'drawLeaderTimeout'],
        after: { leaderTimeout: { guard: 'mayCampaign', target: 'candidate' } },
        on: {
          receive: [{ guard: 'resetsTimer', target: 'follower', reenter: true, actions: 'receive' }, { actions: 'receive' }],
          submit: { actions: 'submit' },
          compact: { actions: 'compact' },
        },
      },
      // Phase 1 for every open slot under a fresh ballot; no quorum in time: a higher ballot (backoff).
      candidate: {
        entry: ['drawLeaderTimeout', 'startCandidacy'],
        always: { guard: 'hasPromiseQuorum', target: 'leader' },
        after: { leaderTimeout: { target: 'candidate', reenter: true } },
        initial: 'asking',
        states: {
          asking: { after: { retransmit: { target: 'asking', reenter: true, actions: 'resendPrepares' } } },
        },
        on: {
          receive: [
            { guard: 'leadsToLeader', target: 'leader', actions: 'receive' },
            { guard: 'leadsToFollower', target: 'follower', actions: 'receive' },
            { actions: 'receive' },
          ],
          submit: { actions: 'submit' },
          compact: { actions: 'compact' },
        },
      },
      // Re-proposes the open slots, then phase 2 per command; heartbeats keep followers patient.
      leader: {
        entry: 'becomeLeader',
        initial: 'beating',
        states: {
          beating: { after: { heartbeat: { target: 'beating', reenter: true, actions: 'heartbeat' } } },
        },
        on: {
          receive: [{ guard: 'leadsToFollower', target: 'follower', actions: 'receive' }, { actions: 'receive' }],
          submit: { actions: 'submit' },
          compact: { actions: 'compact' },
        },
      },
    },
  });
}

export const multiPaxosMachine = createMultiPaxosMachine(MULTIPAXOS_OPTIONS);

type MultiPaxosSnapshot = SnapshotFrom<typeof multiPaxosMachine>;

function coreOf(snapshot: SnapshotFrom<AnyStateMachine>): MpCore {
  return (snapshot as MultiPaxosSnapshot).context.core;
}

/** No ballot yet: below every real one (round 0 is never used by a candidate). */
const NO_BALLOT: Ballot = { round: 0, node: '' };

/** The ballot a node is in: its own as candidate or leader, else the one it promised. */
export function currentBallot(core: MpCore): Ballot {
  return core.ballot ?? core.promised ?? NO_BALLOT;
}

function ballotEpoch(ballot: Ballot): Epoch {
  return { kind: 'ballot', ballot };
}

export function multiPaxosLogView(snapshot: SnapshotFrom<AnyStateMachine>): LogView {
  const core = coreOf(snapshot);
  const last = lastSlot(core);
  const first = Math.max(mpSnapshotIndex(core) + 1, last - MAX_LOG_WINDOW + 1);
  const window: LogWindowEntry[] = [];
  for (let slot = first; slot <= last; slot++) {
    const entry = slotEntry(core, slot);
    if (entry === undefined) continue; // a hole: nothing accepted there yet
    window.push({ index: slot, epoch: ballotEpoch(entry.ballot), command: entry.command, state: slot <= core.commitIndex ? 'committed' : 'uncommitted' });
  }
  const needed = majorityOf(core.members.length);
  const matchIndex: Record<string, number> = { [core.self]: last };
  if (core.role === 'leader') {
    // Highest slot up to which each acceptor is known to hold what the leader proposed.
    for (const m of core.members) {
      if (m === core.self) continue;
      let upTo = core.commitKnown[m] ?? 0;
      while (upTo < last && (upTo < core.commitIndex ? false : (core.acks[upTo + 1] ?? []).includes(m))) upTo++;
      matchIndex[m] = upTo;
    }
  }
  return {
    role: core.role,
    epoch: ballotEpoch(currentBallot(core)),
    leader: core.leader,
    commitIndex: core.commitIndex,
    snapshotIndex: mpSnapshotIndex(core),
    lastIndex: last,
    window,
    quorum:
      core.role === 'candidate'
        ? { kind: 'promises', promised: Object.keys(core.promises), needed }
        : core.role === 'leader'
          ? { kind: 'replication', matchIndex, needed }
          : undefined,
    listenOnly: core.listenOnly,
  };
}

export function multiPaxosLogEntries(snapshot: SnapshotFrom<AnyStateMachine>): LogEntryFact[] {
  const out: LogEntryFact[] = [];
  const core = coreOf(snapshot);
  const base = mpSnapshotIndex(core);
  core.log.forEach((entry, i) => {
    if (entry !== undefined) out.push({ index: base + i + 1, epoch: ballotEpoch(entry.ballot), command: entry.command });
  });
  return out;
}

export function multiPaxosView(snapshot: SnapshotFrom<AnyStateMachine>): NodeView {
  const core = coreOf(snapshot);
  const missing = core.members.filter((m) => core.promises[m] === undefined);
  const waitingFor = core.listenOnly
    ? 'nothing: its stored log was unreadable, so it only listens'
    : core.role === 'leader'
      ? 'client commands; phase 2 per command'
      : core.role === 'candidate'
        ? `promises from ${Math.max(0, majorityOf(core.members.length) - Object.keys(core.promises).length)} more of ${listNodes(missing)}`
        : core.leader === undefined
          ? 'a leader (a candidacy starts when the timer runs out)'
          : `accepts from ${core.leader}`;
  return {
    phase: core.role,
    waitingFor,
    waitingOn: core.role === 'candidate' ? missing : core.leader !== undefined && core.role === 'follower' ? [core.leader] : [],
    decided: undefined,
    tally: {},
    fields: [
      { label: 'ballot', value: epochLabel(ballotEpoch(currentBallot(core))) },
      { label: 'promised', value: core.promised === undefined ? '—' : epochLabel(ballotEpoch(core.promised)) },
      { label: 'leader', value: core.leader ?? '—' },
      { label: 'commit index', value: String(core.commitIndex) },
      { label: 'last slot', value: String(lastSlot(core)) },
    ],
  };
}

// ---- boundary validation ------------------------------------------------------------------------

function ballot(raw: unknown): Ballot | undefined {
  return parseBallot(raw, MAX_NODE_ID_LENGTH);
}

function isSlot(raw: unknown): raw is number {
  return isLogIndex(raw) && raw >= 1;
}

/** Entries of one message: at most MAX_ENTRIES_PER_MESSAGE, slots strictly increasing. */
function parseSlotEntries<T>(raw: unknown, item: (r: Record<string, unknown>) => T | undefined, slotOf: (t: T) => number): T[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_ENTRIES_PER_MESSAGE) return undefined;
  const out: T[] = [];
  for (const r of raw as unknown[]) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
    const parsed = item(r as Record<string, unknown>);
    if (parsed === undefined) return undefined;
    if (out.length > 0 && slotOf(parsed) <= slotOf(out[out.length - 1] as T)) return undefined;
    out.push(parsed);
  }
  return out;
}

const PARSERS: MessageParsers<MpMessage> = {
  prepare: (r) => {
    const b = ballot(r.ballot);
    return b !== undefined && isSlot(r.from) ? { type: 'prepare', ballot: b, from: r.from } : undefined;
  },
  promise: (r) => {
    const b = ballot(r.ballot);
    const entries = parseSlotEntries<ReportedEntry>(
      r.entries,
      (e) => {
        const eb = ballot(e.ballot);
        const command = parseLogCommand(e.command);
        return isSlot(e.slot) && eb !== undefined && command !== undefined ? { slot: e.slot, ballot: eb, command } : undefined;
      },
      (e) => e.slot,
    );
    if (b === undefined || !isSlot(r.from) || entries === undefined || typeof r.more !== 'boolean') return undefined;
    // A promise reports one page: slots [from, from + MAX_ENTRIES_PER_MESSAGE).
    if (entries.some((e) => e.slot < (r.from as number) || e.slot >= (r.from as number) + MAX_ENTRIES_PER_MESSAGE)) return undefined;
    if (r.compacted !== undefined && !isLogIndex(r.compacted)) return undefined;
    return { type: 'promise', ballot: b, from: r.from, entries, more: r.more, compacted: r.compacted };
  },
  accept: (r) => {
    const b = ballot(r.ballot);
    const entries = parseSlotEntries<SlotEntry>(
      r.entries,
      (e) => {
        const command = parseLogCommand(e.command);
        return isSlot(e.slot) && command !== undefined ? { slot: e.slot, command } : undefined;
      },
      (e) => e.slot,
    );
    if (b === undefined || entries === undefined || !isLogIndex(r.commitIndex)) return undefined;
    return { type: 'accept', ballot: b, entries, commitIndex: r.commitIndex };
  },
  accepted: (r) => {
    const b = ballot(r.ballot);
    if (b === undefined || !Array.isArray(r.slots) || r.slots.length > MAX_ENTRIES_PER_MESSAGE || !r.slots.every(isSlot)) return undefined;
    if (!isLogIndex(r.commitIndex) || typeof r.behind !== 'boolean') return undefined;
    return { type: 'accepted', ballot: b, slots: [...(r.slots as number[])], commitIndex: r.commitIndex, behind: r.behind };
  },
  nack: (r) => {
    const b = ballot(r.ballot);
    const promised = ballot(r.promised);
    return b !== undefined && promised !== undefined ? { type: 'nack', ballot: b, promised } : undefined;
  },
  snapshotRequest: (r) => (isSlot(r.index) && isLogIndex(r.offset) ? { type: 'snapshotRequest', index: r.index, offset: r.offset } : undefined),
  snapshotChunk: (r) => {
    if (!isSlot(r.index) || !isSnapshotChunk(r.offset, r.data) || typeof r.done !== 'boolean') return undefined;
    return { type: 'snapshotChunk', index: r.index, offset: r.offset as number, data: r.data as string, done: r.done };
  },
  forward: (r) => {
    const command = parseOpaqueCommand(r.command);
    if (!isBoundedString(r.client, MAX_CLIENT_ID_LENGTH) || !isClientSeq(r.seq) || command === undefined) return undefined;
    return { type: 'forward', client: r.client, seq: r.seq, command };
  },
};

/** Boundary validation of a Multi-Paxos message: bounded ballots, slots and batches; fresh objects. */
export function parseMultiPaxosMessage(raw: unknown): MpMessage | undefined {
  return parseByType(raw, PARSERS);
}

export interface MultiPaxosSpecOptions extends MultiPaxosOptions {
  readonly name: Extract<LogAlgorithmName, 'multipaxos' | 'multipaxos-no-adopt'>;
  readonly label: string;
  readonly summary: string;
  readonly broken: boolean;
}

export function createMultiPaxosSpec(options: MultiPaxosSpecOptions): LogAlgorithmSpec<MpMessage, MpHard, MpEntry> {
  return {
    kind: 'log',
    name: options.name,
    label: options.label,
    summary: options.summary,
    broken: options.broken,
    epochKind: 'ballot',
    machine: options.adopt ? multiPaxosMachine : createMultiPaxosMachine({ adopt: options.adopt }),
    parseMessage: parseMultiPaxosMessage,
    view: multiPaxosView,
    logView: multiPaxosLogView,
    logEntries: multiPaxosLogEntries,
  };
}

export const multiPaxosSpec = createMultiPaxosSpec({
  name: 'multipaxos',
  label: 'Multi-Paxos',
  summary:
    'A replicated log of synod instances: a leader runs phase 1 once for all open slots, adopts what was accepted there, then chooses each command with phase 2 alone.',
  broken: false,
  ...MULTIPAXOS_OPTIONS,
});

/** Broken: a new leader ignores what promises report and writes its own commands into open slots. */
export const multiPaxosNoAdoptSpec = createMultiPaxosSpec({
  name: 'multipaxos-no-adopt',
  label: 'Multi-Paxos that ignores promises (broken)',
  summary:
    'A new leader does not adopt the values acceptors report in their promises: it proposes its own commands (or no-ops) in open slots, so a command already chosen there is overwritten.',
  broken: true,
  adopt: false,
});
