/**
 * Raft as one XState v5 machine: the role is the state (follower → candidate → leader, back to
 * follower on a newer term), the timers are `after` delays on the host's clock, and every
 * decision is a pure function of src/core/raft.ts called from a guard or an action.
 *
 * Effects leave in Figure 2's order: `persistLog` (term, votedFor, appended or truncated
 * entries) before any `send` of the same step, then `commit` of the entries that became
 * committed. Election timeouts are drawn from the node's seeded PRNG in
 * [base, RAFT_ELECTION_TIMEOUT_FACTOR × base]; heartbeats go out RAFT_HEARTBEATS_PER_TIMEOUT
 * times per base.
 *
 * `createRaftMachine({ ownTermRule: false })` and `({ persistVote: false })` are the two
 * deliberately broken variants (raft-no-term-rule, raft-forgets-vote).
 */
import { enqueueActions, setup, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import { epochLabel } from '../core/log.ts';
import { nextFloat, seedPrng, type PrngState } from '../core/prng.ts';
import { majorityOf } from '../core/quorum.ts';
import {
  becomeLeader,
  hasVoteMajority,
  heartbeat,
  initialCore,
  isLogIndex,
  isTerm,
  lastIndex,
  parseRaftEntry,
  RAFT_OPTIONS,
  receive,
  resendVoteRequests,
  resetsElectionTimer,
  roleAfter,
  snapshotIndex,
  startElection,
  submit,
  takeSnapshot,
  entryAt,
  type RaftCore,
  type RaftDurable,
  type RaftEntry,
  type RaftHard,
  type RaftMessage,
  type RaftOptions,
  type RaftStep,
} from '../core/raft.ts';
import type { LogEntryFact, LogNodeEvent, NodeEffect, LogView, LogWindowEntry, NodeInput, NodeView, Timing } from '../core/types.ts';
import { isBoundedString } from '../core/validate.ts';
import { isClientSeq, isSnapshotChunk, parseOpaqueCommand } from '../core/log.ts';
import {
  MAX_CLIENT_ID_LENGTH,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_LOG_WINDOW,
  RAFT_ELECTION_TIMEOUT_FACTOR,
  RAFT_HEARTBEATS_PER_TIMEOUT,
} from '../limits.ts';
import type { LogAlgorithmName, LogAlgorithmSpec } from './spec.ts';
import { listNodes, parseByType, type MessageParsers } from './wire.ts';

export type RaftEvent = LogNodeEvent<RaftMessage>;
export type RaftEffect = NodeEffect<RaftMessage, RaftHard, RaftEntry>;
export type RaftInput = NodeInput<RaftDurable>;

export interface RaftContext {
  readonly core: RaftCore;
  readonly timing: Timing;
  readonly prng: PrngState;
  /** The election timeout drawn for the current follower or candidate state. */
  readonly electionDelayMs: number;
}

/** Base of the election timeout: the host's, or the Paxos phase timeout when it sets none. */
export function electionBaseMs(timing: Timing): number {
  return timing.electionTimeoutMs ?? timing.phaseTimeoutMs;
}

function initialContext(input: RaftInput, options: RaftOptions): RaftContext {
  return {
    core: initialCore(input.self, input.members, input.durable, options),
    timing: input.timing,
    prng: seedPrng(input.seed),
    electionDelayMs: electionBaseMs(input.timing),
  };
}

/** The two things of XState's `enqueue` a step needs. */
interface StepSink {
  assign(values: { readonly core: RaftCore }): void;
  emit(effect: RaftEffect): void;
}

/** Persist, then restore (an installed snapshot), then send, then commit: the order every host relies on. */
function emitStep(enqueue: StepSink, result: RaftStep): void {
  enqueue.assign({ core: result.core });
  if (result.persist.length > 0) enqueue.emit({ type: 'persistLog', ops: result.persist });
  if (result.restore !== undefined) enqueue.emit({ type: 'restore', snapshot: result.restore.snapshot, state: result.restore.state });
  for (const { to, message } of result.sends) enqueue.emit({ type: 'send', to, message });
  if (result.commits.length > 0) enqueue.emit({ type: 'commit', entries: result.commits });
}

function received(event: RaftEvent): { from: string; message: RaftMessage } | undefined {
  return event.type === 'receive' ? { from: event.from, message: event.message } : undefined;
}

export function createRaftMachine(options: RaftOptions) {
  return setup({
    types: {
      context: {} as RaftContext,
      events: {} as RaftEvent,
      input: {} as RaftInput,
      emitted: {} as RaftEffect,
    },
    delays: {
      election: ({ context }) => context.electionDelayMs,
      retransmit: ({ context }) => context.timing.retransmitMs,
      heartbeat: ({ context }) => Math.max(1, Math.floor(electionBaseMs(context.timing) / RAFT_HEARTBEATS_PER_TIMEOUT)),
    },
    guards: {
      mayCampaign: ({ context }) => !context.core.listenOnly,
      hasVoteMajority: ({ context }) => hasVoteMajority(context.core),
      resetsTimer: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && resetsElectionTimer(context.core, r.from, r.message);
      },
      leadsToFollower: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && roleAfter(context.core, r.from, r.message) === 'follower';
      },
      leadsToLeader: ({ context, event }) => {
        const r = received(event);
        return r !== undefined && roleAfter(context.core, r.from, r.message) === 'leader';
      },
    },
    actions: {
      drawElectionTimeout: enqueueActions(({ context, enqueue }) => {
        const [uniform, prng] = nextFloat(context.prng);
        const base = electionBaseMs(context.timing);
        enqueue.assign({ prng, electionDelayMs: Math.round(base + uniform * (RAFT_ELECTION_TIMEOUT_FACTOR - 1) * base) });
      }),
      becomeFollower: enqueueActions(({ context, enqueue }) => {
        if (context.core.role !== 'follower') enqueue.assign({ core: { ...context.core, role: 'follower' } });
      }),
      startElection: enqueueActions(({ context, enqueue }) => emitStep(enqueue, startElection(context.core))),
      becomeLeader: enqueueActions(({ context, enqueue }) => emitStep(enqueue, becomeLeader(context.core))),
      heartbeat: enqueueActions(({ context, enqueue }) => emitStep(enqueue, heartbeat(context.core))),
      resendVoteRequests: enqueueActions(({ context, enqueue }) => emitStep(enqueue, resendVoteRequests(context.core))),
      receive: enqueueActions(({ context, event, enqueue }) => {
        const r = received(event);
        if (r !== undefined) emitStep(enqueue, receive(context.core, r.from, r.message));
      }),
      submit: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'submit') return;
        emitStep(enqueue, submit(context.core, { client: event.client, seq: event.seq, command: event.command }));
      }),
      compact: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'compact') emitStep(enqueue, takeSnapshot(context.core, event.index, event.state));
      }),
    },
  }).createMachine({
    id: 'raft',
    context: ({ input }) => initialContext(input, options),
    initial: 'follower',
    states: {
      // Waits for a leader; a silent one (no AppendEntries for a whole timeout) starts an election.
      follower: {
        entry: ['becomeFollower', 'drawElectionTimeout'],
        after: { election: { guard: 'mayCampaign', target: 'candidate' } },
        on: {
          receive: [{ guard: 'resetsTimer', target: 'follower', reenter: true, actions: 'receive' }, { actions: 'receive' }],
          submit: { actions: 'submit' },
          compact: { actions: 'compact' },
        },
      },
      // A new term with a vote for itself; a fresh timeout (drawn again) starts another term if split.
      candidate: {
        entry: ['drawElectionTimeout', 'startElection'],
        always: { guard: 'hasVoteMajority', target: 'leader' },
        after: { election: { target: 'candidate', reenter: true } },
        initial: 'asking',
        states: {
          // A child state so the retransmit timer restarts without restarting the election timer.
          asking: { after: { retransmit: { target: 'asking', reenter: true, actions: 'resendVoteRequests' } } },
        },
        on: {
          receive: [
            { guard: 'leadsToFollower', target: 'follower', actions: 'receive' },
            { guard: 'leadsToLeader', target: 'leader', actions: 'receive' },
            { actions: 'receive' },
          ],
          submit: { actions: 'submit' },
          compact: { actions: 'compact' },
        },
      },
      // Appends a no-op of its term, replicates, commits by counting, and beats to stay leader.
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

export const raftMachine = createRaftMachine(RAFT_OPTIONS);

type RaftSnapshot = SnapshotFrom<typeof raftMachine>;

function coreOf(snapshot: SnapshotFrom<AnyStateMachine>): RaftCore {
  return (snapshot as RaftSnapshot).context.core;
}

export function raftLogView(snapshot: SnapshotFrom<AnyStateMachine>): LogView {
  const core = coreOf(snapshot);
  const last = lastIndex(core);
  const first = Math.max(snapshotIndex(core) + 1, last - MAX_LOG_WINDOW + 1);
  const window: LogWindowEntry[] = [];
  for (let index = first; index <= last; index++) {
    const entry = entryAt(core, index) as RaftEntry;
    window.push({
      index,
      epoch: { kind: 'term', term: entry.term },
      command: entry.command,
      state: index <= core.commitIndex ? 'committed' : 'uncommitted',
    });
  }
  const needed = majorityOf(core.members.length);
  return {
    role: core.role,
    epoch: { kind: 'term', term: core.term },
    leader: core.leader,
    commitIndex: core.commitIndex,
    lastIndex: last,
    snapshotIndex: snapshotIndex(core),
    window,
    quorum:
      core.role === 'candidate'
        ? { kind: 'votes', granted: core.votes, needed }
        : core.role === 'leader'
          ? { kind: 'replication', matchIndex: core.matchIndex, needed }
          : undefined,
    listenOnly: core.listenOnly,
  };
}

export function raftLogEntries(snapshot: SnapshotFrom<AnyStateMachine>): LogEntryFact[] {
  const core = coreOf(snapshot);
  const base = snapshotIndex(core);
  return core.log.map((entry, i) => ({ index: base + i + 1, epoch: { kind: 'term', term: entry.term }, command: entry.command }));
}

export function raftView(snapshot: SnapshotFrom<AnyStateMachine>): NodeView {
  const core = coreOf(snapshot);
  const missing = core.members.filter((m) => !core.votes.includes(m));
  const waitingFor =
    core.listenOnly
      ? 'nothing: its stored log was unreadable, so it only listens'
      : core.role === 'leader'
        ? 'client commands; replicating to followers'
        : core.role === 'candidate'
          ? `votes from ${majorityOf(core.members.length) - core.votes.length} more of ${listNodes(missing)}`
          : core.leader === undefined
            ? 'a leader (an election starts when the timer runs out)'
            : `AppendEntries from ${core.leader}`;
  return {
    phase: core.role,
    waitingFor,
    waitingOn: core.role === 'candidate' ? missing : core.leader !== undefined && core.role === 'follower' ? [core.leader] : [],
    decided: undefined,
    tally: {},
    fields: [
      { label: 'term', value: epochLabel({ kind: 'term', term: core.term }) },
      { label: 'voted for', value: core.votedFor ?? '—' },
      { label: 'leader', value: core.leader ?? '—' },
      { label: 'commit index', value: String(core.commitIndex) },
      { label: 'last index', value: String(lastIndex(core)) },
      { label: 'snapshot through', value: String(snapshotIndex(core)) },
    ],
  };
}

// ---- boundary validation ------------------------------------------------------------------------

function parseEntries(raw: unknown): RaftEntry[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_ENTRIES_PER_MESSAGE) return undefined;
  const out: RaftEntry[] = [];
  for (const item of raw as unknown[]) {
    const entry = parseRaftEntry(item);
    if (entry === undefined) return undefined;
    out.push(entry);
  }
  return out;
}

const PARSERS: MessageParsers<RaftMessage> = {
  requestVote: (r) =>
    isTerm(r.term) && isLogIndex(r.lastLogIndex) && isTerm(r.lastLogTerm)
      ? { type: 'requestVote', term: r.term, lastLogIndex: r.lastLogIndex, lastLogTerm: r.lastLogTerm }
      : undefined,
  vote: (r) => (isTerm(r.term) && typeof r.granted === 'boolean' ? { type: 'vote', term: r.term, granted: r.granted } : undefined),
  appendEntries: (r) => {
    const entries = parseEntries(r.entries);
    if (!isTerm(r.term) || !isLogIndex(r.prevLogIndex) || !isTerm(r.prevLogTerm) || !isLogIndex(r.leaderCommit) || entries === undefined) return undefined;
    return { type: 'appendEntries', term: r.term, prevLogIndex: r.prevLogIndex, prevLogTerm: r.prevLogTerm, entries, leaderCommit: r.leaderCommit };
  },
  appendReply: (r) => {
    if (!isTerm(r.term) || typeof r.success !== 'boolean' || !isLogIndex(r.matchIndex) || !isLogIndex(r.conflictIndex)) return undefined;
    if (r.conflictTerm !== undefined && !isTerm(r.conflictTerm)) return undefined;
    return { type: 'appendReply', term: r.term, success: r.success, matchIndex: r.matchIndex, conflictIndex: r.conflictIndex, conflictTerm: r.conflictTerm };
  },
  installSnapshot: (r) => {
    if (!isTerm(r.term) || !isLogIndex(r.lastIncludedIndex) || r.lastIncludedIndex < 1 || !isTerm(r.lastIncludedTerm)) return undefined;
    if (!isSnapshotChunk(r.offset, r.data) || typeof r.done !== 'boolean') return undefined;
    return {
      type: 'installSnapshot',
      term: r.term,
      lastIncludedIndex: r.lastIncludedIndex,
      lastIncludedTerm: r.lastIncludedTerm,
      offset: r.offset as number,
      data: r.data as string,
      done: r.done,
    };
  },
  snapshotReply: (r) => {
    if (!isTerm(r.term) || !isLogIndex(r.lastIncludedIndex) || !isLogIndex(r.offset) || typeof r.done !== 'boolean') return undefined;
    return { type: 'snapshotReply', term: r.term, lastIncludedIndex: r.lastIncludedIndex, offset: r.offset, done: r.done };
  },
  forward: (r) => {
    const command = parseOpaqueCommand(r.command);
    if (!isBoundedString(r.client, MAX_CLIENT_ID_LENGTH) || !isClientSeq(r.seq) || command === undefined) return undefined;
    return { type: 'forward', client: r.client, seq: r.seq, command };
  },
};

/** Boundary validation of a Raft message: bounded terms, indices and batches; fresh objects. */
export function parseRaftMessage(raw: unknown): RaftMessage | undefined {
  return parseByType(raw, PARSERS);
}

export interface RaftSpecOptions extends RaftOptions {
  readonly name: Extract<LogAlgorithmName, 'raft' | 'raft-no-term-rule' | 'raft-forgets-vote'>;
  readonly label: string;
  readonly summary: string;
  readonly broken: boolean;
}

export function createRaftSpec(options: RaftSpecOptions): LogAlgorithmSpec<RaftMessage, RaftHard, RaftEntry> {
  const isDefault = options.ownTermRule && options.persistVote && options.electionNoop;
  return {
    kind: 'log',
    name: options.name,
    label: options.label,
    summary: options.summary,
    broken: options.broken,
    epochKind: 'term',
    machine: isDefault ? raftMachine : createRaftMachine({ ownTermRule: options.ownTermRule, persistVote: options.persistVote, electionNoop: options.electionNoop }),
    parseMessage: parseRaftMessage,
    view: raftView,
    logView: raftLogView,
    logEntries: raftLogEntries,
  };
}

export const raftSpec = createRaftSpec({
  name: 'raft',
  label: 'Raft',
  summary:
    'A replicated log: one leader per term, elected with randomised timeouts; commits an entry once a majority stores it and it is of the leader\'s term.',
  broken: false,
  ...RAFT_OPTIONS,
});
