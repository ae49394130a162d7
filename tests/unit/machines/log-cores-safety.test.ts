/**
 * The safety rules of the two log cores, each test one rule: Raft's vote, term and commit rules
 * and persist-before-reply; Multi-Paxos's ballot, promise and chosen-prefix rules; both cores'
 * listen-only start from unreadable storage. Written to kill the mutants that
 * `npx stryker run stryker.cores.config.json` found alive under the older unit tests, whose
 * examples did not tell a rule from its mutant.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PENDING_SUBMITS, MAX_TERM } from '../../../src/limits.ts';
import {
  appendEntriesTo,
  becomeLeader,
  grantsVote,
  hasVoteMajority,
  initialCore,
  parseRaftDurable,
  RAFT_OPTIONS,
  receive,
  resendVoteRequests,
  resetsElectionTimer,
  roleAfter,
  startElection,
  submit,
  voteWins,
  type RaftCore,
  type RaftEntry,
} from '../../../src/core/raft.ts';
import {
  becomeLeader as mpBecomeLeader,
  hasPromiseQuorum,
  initialMpCore,
  MULTIPAXOS_OPTIONS,
  parseMpDurable,
  promiseWins,
  receive as mpReceive,
  resendPrepares,
  resetsLeaderTimer,
  roleAfter as mpRoleAfter,
  startCandidacy,
  submit as mpSubmit,
  type MpCore,
  type MpEntry,
} from '../../../src/core/multipaxos.ts';
import type { Ballot, LogCommand } from '../../../src/core/types.ts';

const members = ['n1', 'n2', 'n3'];
const e = (term: number): RaftEntry => ({ term, command: { kind: 'noop' } });
const c = (term: number, seq: number): RaftEntry => ({ term, command: { kind: 'command', client: 'c1', seq, command: { op: 'ship', order: 'A' } } });
function raft(extra: Partial<RaftCore> = {}, self = 'n1'): RaftCore {
  return { ...initialCore(self, members, undefined, RAFT_OPTIONS), ...extra };
}
const requestVote = (term: number, lastLogIndex = 0, lastLogTerm = 0) => ({ type: 'requestVote' as const, term, lastLogIndex, lastLogTerm });

describe('raft: votes and terms', () => {
  it('grants at most one vote per term, persists it before the reply, and refuses a second candidate', () => {
    const first = receive(raft({ term: 2 }), 'n2', requestVote(2));
    expect(first.persist).toEqual([{ op: 'hard', state: { term: 2, votedFor: 'n2' } }]);
    expect(first.sends).toEqual([{ to: 'n2', message: { type: 'vote', term: 2, granted: true } }]);
    expect(first.core.votedFor).toBe('n2');
    const second = receive(first.core, 'n3', requestVote(2));
    expect(second.persist).toEqual([]);
    expect(second.sends).toEqual([{ to: 'n3', message: { type: 'vote', term: 2, granted: false } }]);
    // The same candidate asking again (a retransmission) gets the same yes.
    expect(grantsVote(first.core, 'n2', requestVote(2))).toBe(true);
  });

  it('refuses a request from an older term, and grants in a newer term after adopting it (term and vote persisted)', () => {
    const voted = raft({ term: 3, votedFor: 'n2' });
    expect(grantsVote(voted, 'n3', requestVote(2))).toBe(false);
    expect(receive(voted, 'n3', requestVote(2)).sends).toEqual([{ to: 'n3', message: { type: 'vote', term: 3, granted: false } }]);
    expect(grantsVote(voted, 'n3', requestVote(4))).toBe(true);
    const newer = receive(voted, 'n3', requestVote(4));
    expect(newer.persist).toEqual([
      { op: 'hard', state: { term: 4, votedFor: undefined } },
      { op: 'hard', state: { term: 4, votedFor: 'n3' } },
    ]);
    expect(newer.sends).toEqual([{ to: 'n3', message: { type: 'vote', term: 4, granted: true } }]);
  });

  it('a newer term is adopted (and persisted) even when the vote is refused for an older log', () => {
    const node = raft({ term: 1, log: [e(1), e(1)] });
    const step = receive(node, 'n2', requestVote(5, 1, 1));
    expect(step.core.term).toBe(5);
    expect(step.core.role).toBe('follower');
    expect(step.persist).toEqual([{ op: 'hard', state: { term: 5, votedFor: undefined } }]);
    expect(step.sends).toEqual([{ to: 'n2', message: { type: 'vote', term: 5, granted: false } }]);
  });

  it('a listen-only node (unreadable storage) never votes, campaigns, adopts a term or accepts entries', () => {
    const deaf = initialCore('n1', members, { entries: 'garbage' }, RAFT_OPTIONS);
    expect(deaf.listenOnly).toBe(true);
    expect(grantsVote(deaf, 'n2', requestVote(5))).toBe(false);
    const asked = receive(deaf, 'n2', requestVote(5));
    expect(asked).toEqual({ core: deaf, persist: [], sends: [], commits: [] });
    expect(startElection(deaf).core.role).toBe('follower');
    expect(startElection(deaf).sends).toEqual([]);
    const append = receive(deaf, 'n2', { type: 'appendEntries', term: 5, prevLogIndex: 0, prevLogTerm: 0, entries: [e(5)], leaderCommit: 1 });
    expect(append.persist).toEqual([]);
    expect(append.core.log).toEqual([]);
    expect(roleAfter(deaf, 'n2', requestVote(9))).toBe('follower');
    expect(submit(deaf, { client: 'c1', seq: 1, command: {} }).core).toBe(deaf);
  });

  it('an election: a new term, a vote for itself persisted before the requests leave, to every other member', () => {
    const started = startElection(raft({ term: 4, log: [e(2), e(4)] }));
    expect(started.core).toMatchObject({ role: 'candidate', term: 5, votedFor: 'n1', votes: ['n1'], leader: undefined });
    expect(started.persist).toEqual([{ op: 'hard', state: { term: 5, votedFor: 'n1' } }]);
    expect(started.sends).toEqual([
      { to: 'n2', message: requestVote(5, 2, 4) },
      { to: 'n3', message: requestVote(5, 2, 4) },
    ]);
    expect(startElection(raft({ term: MAX_TERM })).core.term).toBe(MAX_TERM);
  });

  it('the forgets-vote variant writes no votedFor, so a restart can vote twice; the correct core always writes it', () => {
    const forgetful = raft({ term: 2, options: { ...RAFT_OPTIONS, persistVote: false } });
    expect(receive(forgetful, 'n2', requestVote(2)).persist).toEqual([{ op: 'hard', state: { term: 2, votedFor: undefined } }]);
  });

  it('wins with a majority of distinct granted votes of its own term only', () => {
    const candidate = startElection(raft({ term: 1 })).core; // term 2, votes [n1]
    expect(hasVoteMajority(candidate)).toBe(false);
    expect(voteWins(candidate, 'n2', { type: 'vote', term: 2, granted: true })).toBe(true);
    expect(voteWins(candidate, 'n2', { type: 'vote', term: 1, granted: true })).toBe(false);
    expect(voteWins(candidate, 'n2', { type: 'vote', term: 2, granted: false })).toBe(false);
    expect(voteWins(candidate, 'n1', { type: 'vote', term: 2, granted: true })).toBe(false); // its own vote again
    const refused = receive(candidate, 'n2', { type: 'vote', term: 2, granted: false });
    expect(refused.core.votes).toEqual(['n1']);
    const stale = receive(candidate, 'n2', { type: 'vote', term: 1, granted: true });
    expect(stale.core.votes).toEqual(['n1']);
    const granted = receive(candidate, 'n2', { type: 'vote', term: 2, granted: true });
    expect(granted.core.votes).toEqual(['n1', 'n2']);
    expect(hasVoteMajority(granted.core)).toBe(true);
    expect(receive(granted.core, 'n2', { type: 'vote', term: 2, granted: true }).core.votes).toEqual(['n1', 'n2']);
    expect(roleAfter(candidate, 'n2', { type: 'vote', term: 2, granted: true })).toBe('leader');
    expect(roleAfter(candidate, 'n2', { type: 'vote', term: 2, granted: false })).toBe('candidate');
    // Five members: two votes are not a majority.
    const five = { ...candidate, members: ['n1', 'n2', 'n3', 'n4', 'n5'] };
    expect(voteWins(five, 'n2', { type: 'vote', term: 2, granted: true })).toBe(false);
    expect(voteWins({ ...five, votes: ['n1', 'n3'] }, 'n2', { type: 'vote', term: 2, granted: true })).toBe(true);
  });

  it('a candidate re-asks only members that have not granted; a non-candidate asks nobody', () => {
    const candidate = { ...startElection(raft({ term: 1 })).core, votes: ['n1', 'n2'] };
    expect(resendVoteRequests(candidate).sends.map((s) => s.to)).toEqual(['n3']);
    expect(resendVoteRequests(raft()).sends).toEqual([]);
  });

  it('messages from non-members or from itself change nothing', () => {
    const node = raft({ term: 1 });
    expect(receive(node, 'x9', requestVote(9))).toEqual({ core: node, persist: [], sends: [], commits: [] });
    expect(receive(node, 'n1', requestVote(9))).toEqual({ core: node, persist: [], sends: [], commits: [] });
    expect(roleAfter(node, 'x9', requestVote(9))).toBe('follower');
    expect(roleAfter({ ...node, role: 'candidate' }, 'x9', requestVote(9))).toBe('candidate');
    expect(resetsElectionTimer(node, 'x9', { type: 'appendEntries', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 })).toBe(false);
  });

  it('a higher term makes a leader or candidate a follower; a same-term AppendEntries makes a candidate one', () => {
    const leader = raft({ role: 'leader', term: 3, leader: 'n1' });
    expect(roleAfter(leader, 'n2', { type: 'vote', term: 4, granted: false })).toBe('follower');
    const stepped = receive(leader, 'n2', { type: 'vote', term: 4, granted: false });
    expect(stepped.core).toMatchObject({ role: 'follower', term: 4, leader: undefined, votedFor: undefined });
    const candidate = raft({ role: 'candidate', term: 3, votes: ['n1'] });
    const heard = { type: 'appendEntries' as const, term: 3, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };
    expect(roleAfter(candidate, 'n2', heard)).toBe('follower');
    expect(receive(candidate, 'n2', heard).core).toMatchObject({ role: 'follower', leader: 'n2', votes: [] });
    expect(roleAfter(candidate, 'n2', { ...heard, term: 2 })).toBe('candidate');
    expect(resetsElectionTimer(raft({ term: 3 }), 'n2', heard)).toBe(true);
    expect(resetsElectionTimer(raft({ term: 3 }), 'n2', { ...heard, term: 2 })).toBe(false);
    expect(resetsElectionTimer(raft({ term: 3 }), 'n2', requestVote(3))).toBe(true);
    expect(resetsElectionTimer(raft({ term: 3, votedFor: 'n3' }), 'n2', requestVote(3))).toBe(false);
  });
});

describe('raft: replication and commit', () => {
  it('rejects AppendEntries of an older term with its own term, changing nothing', () => {
    const node = raft({ term: 5, log: [e(5)] });
    const step = receive(node, 'n2', { type: 'appendEntries', term: 4, prevLogIndex: 1, prevLogTerm: 5, entries: [e(4)], leaderCommit: 1 });
    expect(step.persist).toEqual([]);
    expect(step.core.log).toEqual([e(5)]);
    expect(step.commits).toEqual([]);
    expect(step.sends).toEqual([{ to: 'n2', message: { type: 'appendReply', term: 5, success: false, matchIndex: 0, conflictIndex: 2, conflictTerm: undefined } }]);
  });

  it('rejects when it lacks the entry before the new ones (log too short): conflictIndex is its length + 1', () => {
    const step = receive(raft({ term: 2, log: [e(1)] }), 'n2', { type: 'appendEntries', term: 2, prevLogIndex: 3, prevLogTerm: 2, entries: [e(2)], leaderCommit: 0 });
    expect(step.persist).toEqual([]);
    expect(step.sends).toEqual([{ to: 'n2', message: { type: 'appendReply', term: 2, success: false, matchIndex: 0, conflictIndex: 2, conflictTerm: undefined } }]);
  });

  it('a retransmitted or shorter AppendEntries never truncates entries that match', () => {
    const node = raft({ term: 2, log: [e(1), e(2), e(2)] });
    const late = receive(node, 'n2', { type: 'appendEntries', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [e(1), e(2)], leaderCommit: 0 });
    expect(late.persist).toEqual([]);
    expect(late.core.log).toEqual([e(1), e(2), e(2)]);
    expect(late.sends).toEqual([{ to: 'n2', message: { type: 'appendReply', term: 2, success: true, matchIndex: 2, conflictIndex: 0 } }]);
  });

  it('appends after the last matching entry and commits only up to the last new entry it holds', () => {
    const node = raft({ term: 2, log: [e(1)] });
    const step = receive(node, 'n2', { type: 'appendEntries', term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [c(2, 1)], leaderCommit: 5 });
    expect(step.persist).toEqual([{ op: 'append', from: 2, entries: [c(2, 1)] }]);
    expect(step.core.commitIndex).toBe(2);
    expect(step.commits.map((x) => [x.index, x.term])).toEqual([[1, 1], [2, 2]]);
    // The leader's commit below ours never moves it back.
    const again = receive(step.core, 'n2', { type: 'appendEntries', term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 1 });
    expect(again.core.commitIndex).toBe(2);
    expect(again.commits).toEqual([]);
  });

  it('the leader commits an own-term entry once a majority (itself included) stores it, and not before', () => {
    const led = becomeLeader({ ...startElection(raft({ term: 1, log: [e(1)] })).core, votes: ['n1', 'n2'] });
    expect(led.core.log).toEqual([e(1), e(2)]);
    expect(led.persist).toEqual([{ op: 'append', from: 2, entries: [e(2)] }]);
    expect(led.commits).toEqual([]);
    expect(led.core.matchIndex).toEqual({ n1: 2, n2: 0, n3: 0 });
    // A stale reply from an older term counts for nothing.
    const stale = receive(led.core, 'n2', { type: 'appendReply', term: 1, success: true, matchIndex: 2, conflictIndex: 0 });
    expect(stale.core.matchIndex.n2).toBe(0);
    // One follower replicating the no-op makes a majority of 3: the old entry commits with it.
    const acked = receive(led.core, 'n2', { type: 'appendReply', term: 2, success: true, matchIndex: 2, conflictIndex: 0 });
    expect(acked.core.commitIndex).toBe(2);
    expect(acked.commits.map((x) => x.index)).toEqual([1, 2]);
    expect(acked.core.nextIndex.n2).toBe(3);
    // Five members: one follower is not enough.
    const five = becomeLeader({ ...startElection(raft({ term: 1, members: ['n1', 'n2', 'n3', 'n4', 'n5'] })).core, votes: ['n1', 'n2', 'n3'] });
    const one = receive(five.core, 'n2', { type: 'appendReply', term: 2, success: true, matchIndex: 1, conflictIndex: 0 });
    expect(one.commits).toEqual([]);
    const two = receive(one.core, 'n3', { type: 'appendReply', term: 2, success: true, matchIndex: 1, conflictIndex: 0 });
    expect(two.commits.map((x) => x.index)).toEqual([1]);
  });

  it('a success reply never lowers matchIndex and never claims more than the leader has', () => {
    const leader = raft({ role: 'leader', term: 2, leader: 'n1', log: [e(2), e(2)], matchIndex: { n1: 2, n2: 2, n3: 0 }, nextIndex: { n2: 3, n3: 1 }, commitIndex: 2 });
    const old = receive(leader, 'n2', { type: 'appendReply', term: 2, success: true, matchIndex: 1, conflictIndex: 0 });
    expect(old.core.matchIndex.n2).toBe(2);
    const tooFar = receive(leader, 'n3', { type: 'appendReply', term: 2, success: true, matchIndex: 9, conflictIndex: 0 });
    expect(tooFar.core.matchIndex.n3).toBe(2);
  });

  it('fast repair: after a rejection nextIndex skips the whole conflicting term, but never below what matches', () => {
    const leader = raft({ role: 'leader', term: 4, leader: 'n1', log: [e(1), e(1), e(3), e(3), e(4)], matchIndex: { n1: 5, n2: 1, n3: 0 }, nextIndex: { n2: 6, n3: 6 } });
    // The follower has term 2 at the conflict, which the leader lacks: back to its first index.
    const noTerm = receive(leader, 'n3', { type: 'appendReply', term: 4, success: false, matchIndex: 0, conflictIndex: 3, conflictTerm: 2 });
    expect(noTerm.core.nextIndex.n3).toBe(3);
    expect(noTerm.sends[0]?.message).toMatchObject({ type: 'appendEntries', prevLogIndex: 2, prevLogTerm: 1 });
    // The leader has term 3: it resends from just after its own last entry of term 3.
    const hasTerm = receive(leader, 'n3', { type: 'appendReply', term: 4, success: false, matchIndex: 0, conflictIndex: 3, conflictTerm: 3 });
    expect(hasTerm.core.nextIndex.n3).toBe(5);
    // n2 is known to match up to 1: a stale rejection cannot send it back to 1.
    const floor = receive(leader, 'n2', { type: 'appendReply', term: 4, success: false, matchIndex: 0, conflictIndex: 1 });
    expect(floor.core.nextIndex.n2).toBe(2);
  });

  it('a follower rejects a conflicting prevLogTerm, reporting the first index of its conflicting term', () => {
    const follower = raft({ term: 3, log: [e(1), e(2), e(2), e(2)] });
    const step = receive(follower, 'n2', { type: 'appendEntries', term: 3, prevLogIndex: 3, prevLogTerm: 3, entries: [e(3)], leaderCommit: 0 });
    expect(step.persist).toEqual([]);
    expect(step.core.log).toEqual(follower.log);
    expect(step.sends).toEqual([{ to: 'n2', message: { type: 'appendReply', term: 3, success: false, matchIndex: 0, conflictIndex: 2, conflictTerm: 2 } }]);
  });

  it('the leader appends a client command once, persists it, and replicates it to caught-up followers', () => {
    const leader = raft({ role: 'leader', term: 2, leader: 'n1', log: [e(2)], matchIndex: { n1: 1, n2: 1, n3: 0 }, nextIndex: { n2: 2, n3: 1 }, commitIndex: 1 });
    const first = submit(leader, { client: 'c1', seq: 1, command: { op: 'ship', order: 'A' } });
    expect(first.persist).toEqual([{ op: 'append', from: 2, entries: [c(2, 1)] }]);
    expect(first.sends.map((s) => s.to)).toEqual(['n2']);
    expect(first.core.matchIndex.n1).toBe(2);
    const again = submit(first.core, { client: 'c1', seq: 1, command: { op: 'ship', order: 'A' } });
    expect(again.persist).toEqual([]);
    expect(again.core.log).toHaveLength(2);
  });

  it('a follower forwards to the leader it knows, holds (bounded, deduplicated) while it knows none, and hands them over when it learns one', () => {
    expect(submit(raft({ leader: 'n2' }), { client: 'c1', seq: 1, command: 1 }).sends).toEqual([{ to: 'n2', message: { type: 'forward', client: 'c1', seq: 1, command: 1 } }]);
    let node = raft();
    for (let seq = 1; seq <= MAX_PENDING_SUBMITS + 2; seq++) node = submit(node, { client: 'c1', seq, command: seq }).core;
    node = submit(node, { client: 'c1', seq: MAX_PENDING_SUBMITS + 2, command: 0 }).core;
    expect(node.pending).toHaveLength(MAX_PENDING_SUBMITS);
    expect(node.pending[0]?.seq).toBe(3);
    const heard = receive({ ...node, term: 1 }, 'n3', { type: 'appendEntries', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
    expect(heard.core.pending).toEqual([]);
    expect(heard.sends.filter((s) => s.message.type === 'forward')).toHaveLength(MAX_PENDING_SUBMITS);
    expect(heard.sends.every((s) => s.to === 'n3')).toBe(true);
  });
});

describe('raft: storage', () => {
  it('restores term, vote and a dense log; refuses anything malformed (listen-only, never a fresh start)', () => {
    const good = { hard: { term: 3, votedFor: 'n2' }, entries: [{ index: 1, entry: e(1) }, { index: 2, entry: c(3, 1) }] };
    expect(parseRaftDurable(good)).toEqual({ hard: { term: 3, votedFor: 'n2' }, log: [e(1), c(3, 1)] });
    const restored = initialCore('n1', members, good, RAFT_OPTIONS);
    expect(restored).toMatchObject({ term: 3, votedFor: 'n2', listenOnly: false, commitIndex: 0, role: 'follower' });
    expect(parseRaftDurable({ entries: [] })).toEqual({ hard: { term: 0, votedFor: undefined }, log: [] });
    expect(parseRaftDurable({ ...good, entries: [{ index: 2, entry: e(1) }] })).toBeUndefined(); // a hole
    expect(parseRaftDurable({ ...good, hard: { term: -1 } })).toBeUndefined();
    expect(parseRaftDurable({ ...good, hard: { term: 1, votedFor: 'x'.repeat(65) } })).toBeUndefined();
    expect(parseRaftDurable({ ...good, entries: [{ index: 1, entry: { term: 1, command: { kind: 'bogus' } } }] })).toBeUndefined();
    expect(parseRaftDurable(null)).toBeUndefined();
    expect(initialCore('n1', members, { hard: 5, entries: [] }, RAFT_OPTIONS).listenOnly).toBe(true);
  });
});

describe('raft: rules the first mutation run still found unpinned', () => {
  it('never grants a vote to a candidate of an older term, even when it has not voted', () => {
    const fresh = raft({ term: 3 });
    expect(grantsVote(fresh, 'n2', requestVote(2, 5, 2))).toBe(false);
    expect(receive(fresh, 'n2', requestVote(2, 5, 2))).toMatchObject({ persist: [], sends: [{ to: 'n2', message: { type: 'vote', term: 3, granted: false } }] });
  });

  it('commits the newest own-term entry a majority stores, even when a later own-term entry is not there yet', () => {
    const leader = raft({ role: 'leader', term: 2, leader: 'n1', log: [e(2), c(2, 1)], matchIndex: { n1: 2, n2: 1, n3: 0 }, nextIndex: { n2: 2, n3: 1 } });
    const step = receive(leader, 'n2', { type: 'appendReply', term: 2, success: true, matchIndex: 1, conflictIndex: 0 });
    expect(step.core.commitIndex).toBe(1);
    expect(step.commits.map((x) => x.index)).toEqual([1]);
  });

  it('only a candidate counts votes: a follower that hears a granted vote of its term records none', () => {
    const follower = raft({ term: 2 });
    expect(receive(follower, 'n2', { type: 'vote', term: 2, granted: true }).core.votes).toEqual([]);
  });
});

// ---- Multi-Paxos -------------------------------------------------------------------------------

const b = (round: number, node: string): Ballot => ({ round, node });
const cmd = (seq: number): LogCommand => ({ kind: 'command', client: 'c1', seq, command: { op: 'ship', order: 'A' } });
const at = (ballot: Ballot, command: LogCommand): MpEntry => ({ ballot, command });
function mp(self = 'n1', extra: Partial<MpCore> = {}, ms = members): MpCore {
  return { ...initialMpCore(self, ms, undefined, MULTIPAXOS_OPTIONS, 64), ...extra };
}
/** n1 becomes leader of ballot 1.n1 with n2's promise. */
function mpLeader(ms = members): MpCore {
  const started = startCandidacy(mp('n1', {}, ms)).core;
  const ballot = started.ballot as Ballot;
  let c = started;
  for (const m of ms.slice(1, Math.floor(ms.length / 2) + 1)) c = mpReceive(c, m, { type: 'promise', ballot, from: 1, entries: [], more: false }).core;
  return mpBecomeLeader(c).core;
}

// Promises say how far the acceptor compacted (`compacted`, 0: nothing), so a candidate knows to fetch its snapshot.
describe('multipaxos: promises and ballots', () => {
  it('an acceptor promises a higher ballot (persisted before the promise), repeats a promise for the same, and nacks a lower one', () => {
    const acceptor = mp('n2');
    const first = mpReceive(acceptor, 'n1', { type: 'prepare', ballot: b(2, 'n1'), from: 1 });
    expect(first.persist).toEqual([{ op: 'hard', state: { promised: b(2, 'n1') } }]);
    expect(first.sends).toEqual([{ to: 'n1', message: { type: 'promise', ballot: b(2, 'n1'), from: 1, entries: [], more: false, compacted: 0 } }]);
    const again = mpReceive(first.core, 'n1', { type: 'prepare', ballot: b(2, 'n1'), from: 1 });
    expect(again.persist).toEqual([]);
    expect(again.sends[0]?.message.type).toBe('promise');
    const lower = mpReceive(first.core, 'n3', { type: 'prepare', ballot: b(2, 'n3'), from: 1 }); // same round, higher node id: a higher ballot
    expect(lower.sends[0]?.message.type).toBe('promise');
    const older = mpReceive(lower.core, 'n1', { type: 'prepare', ballot: b(2, 'n1'), from: 1 });
    expect(older.persist).toEqual([]);
    expect(older.sends).toEqual([{ to: 'n1', message: { type: 'nack', ballot: b(2, 'n1'), promised: b(2, 'n3') } }]);
    expect(older.core.promised).toEqual(b(2, 'n3'));
  });

  it('a promise reports what the acceptor accepted in the page asked for', () => {
    const acceptor = mp('n2', { log: [at(b(1, 'n3'), cmd(1)), undefined, at(b(1, 'n3'), cmd(3))] });
    const step = mpReceive(acceptor, 'n1', { type: 'prepare', ballot: b(2, 'n1'), from: 2 });
    expect(step.sends[0]?.message).toEqual({ type: 'promise', ballot: b(2, 'n1'), from: 2, entries: [{ slot: 3, ballot: b(1, 'n3'), command: cmd(3) }], more: false, compacted: 0 });
  });

  it('a prepare or accept whose ballot is not its sender’s, or names a non-member, is ignored', () => {
    const acceptor = mp('n2');
    expect(mpReceive(acceptor, 'n3', { type: 'prepare', ballot: b(9, 'n1'), from: 1 })).toEqual({ core: acceptor, persist: [], sends: [], commits: [] });
    expect(mpReceive(acceptor, 'n3', { type: 'accept', ballot: b(9, 'n1'), entries: [{ slot: 1, command: cmd(1) }], commitIndex: 0 }).persist).toEqual([]);
    expect(mpReceive(acceptor, 'n1', { type: 'nack', ballot: b(1, 'n1'), promised: b(9, 'x9') }).core).toBe(acceptor);
    expect(mpReceive(acceptor, 'x9', { type: 'prepare', ballot: b(9, 'x9'), from: 1 }).sends).toEqual([]);
    expect(mpReceive(acceptor, 'n2', { type: 'prepare', ballot: b(9, 'n2'), from: 1 }).sends).toEqual([]);
  });

  it('a candidate leads only once a majority (itself included) promised its own ballot for the page', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const started = startCandidacy(mp('n1', { maxRound: 7 }, five)).core;
    const ballot = started.ballot as Ballot;
    expect(ballot).toEqual(b(8, 'n1'));
    expect(hasPromiseQuorum(started)).toBe(false);
    const promise = { type: 'promise' as const, ballot, from: 1, entries: [], more: false };
    expect(promiseWins(started, 'n2', promise)).toBe(false);
    const one = mpReceive(started, 'n2', promise).core;
    expect(hasPromiseQuorum(one)).toBe(false);
    expect(promiseWins(one, 'n2', promise)).toBe(false); // the same acceptor twice is one promise
    expect(promiseWins(one, 'n3', { ...promise, ballot: b(7, 'n1') })).toBe(false); // another ballot's promise
    expect(promiseWins(one, 'n3', { ...promise, from: 2 })).toBe(false); // another page's
    expect(promiseWins(one, 'n3', promise)).toBe(true);
    expect(mpRoleAfter(one, 'n3', promise)).toBe('candidate'); // the machine leads through becomeLeader
    expect(hasPromiseQuorum(mpReceive(one, 'n3', promise).core)).toBe(true);
    expect(hasPromiseQuorum({ ...mpReceive(one, 'n3', promise).core, role: 'follower' })).toBe(false);
  });

  it('a new leader adopts the value of the highest ballot any promise reported in a slot', () => {
    const started = startCandidacy(mp('n1', { maxRound: 4, log: [at(b(3, 'n1'), cmd(1))] }, ['n1', 'n2', 'n3', 'n4', 'n5'])).core;
    const ballot = started.ballot as Ballot;
    let c = mpReceive(started, 'n2', { type: 'promise', ballot, from: 1, entries: [{ slot: 1, ballot: b(4, 'n3'), command: cmd(2) }], more: false }).core;
    c = mpReceive(c, 'n3', { type: 'promise', ballot, from: 1, entries: [{ slot: 1, ballot: b(2, 'n2'), command: cmd(3) }], more: false }).core;
    const led = mpBecomeLeader(c);
    expect(led.core.log[0]).toEqual(at(ballot, cmd(2)));
    expect(led.persist[0]).toEqual({ op: 'put', index: 1, entry: at(ballot, cmd(2)) });
  });

  it('a nack for its own ballot with a higher promise makes a candidate or leader step down; any other nack does not', () => {
    const leader = mpLeader();
    const ballot = leader.ballot as Ballot;
    expect(mpReceive(leader, 'n2', { type: 'nack', ballot, promised: b(ballot.round + 1, 'n3') }).core.role).toBe('follower');
    expect(mpReceive(leader, 'n2', { type: 'nack', ballot: b(0, 'n1'), promised: b(ballot.round + 1, 'n3') }).core.role).toBe('leader');
    expect(mpReceive(leader, 'n2', { type: 'nack', ballot, promised: ballot }).core.role).toBe('leader');
    expect(mpReceive(leader, 'n2', { type: 'nack', ballot, promised: b(ballot.round + 1, 'n3') }).core.maxRound).toBe(ballot.round + 1);
  });

  it('a leader that hears a higher prepare steps down and promises it', () => {
    const leader = mpLeader();
    const higher = b((leader.ballot as Ballot).round + 1, 'n3');
    const step = mpReceive(leader, 'n3', { type: 'prepare', ballot: higher, from: 1 });
    expect(step.core).toMatchObject({ role: 'follower', promised: higher, ballot: undefined, leader: undefined });
    expect(step.persist).toEqual([{ op: 'hard', state: { promised: higher } }]);
  });

  it('resets the leader timer for an accept it takes or a higher prepare it promises, not for stale ones', () => {
    const acceptor = mp('n2', { promised: b(3, 'n1') });
    expect(resetsLeaderTimer(acceptor, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 0 })).toBe(true);
    expect(resetsLeaderTimer(acceptor, 'n3', { type: 'accept', ballot: b(2, 'n3'), entries: [], commitIndex: 0 })).toBe(false);
    expect(resetsLeaderTimer(acceptor, 'n3', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 0 })).toBe(false);
    expect(resetsLeaderTimer(acceptor, 'n3', { type: 'prepare', ballot: b(4, 'n3'), from: 1 })).toBe(true);
    expect(resetsLeaderTimer(acceptor, 'n1', { type: 'prepare', ballot: b(3, 'n1'), from: 1 })).toBe(false);
    expect(resetsLeaderTimer(acceptor, 'x9', { type: 'prepare', ballot: b(4, 'x9'), from: 1 })).toBe(false);
    expect(resetsLeaderTimer(acceptor, 'n3', { type: 'promise', ballot: b(4, 'n3'), from: 1, entries: [], more: false })).toBe(false);
  });

  it('a candidate re-prepares only members whose promise is missing', () => {
    const started = startCandidacy(mp('n1', {}, ['n1', 'n2', 'n3', 'n4', 'n5'])).core;
    expect(resendPrepares(started).sends.map((s) => s.to)).toEqual(['n2', 'n3', 'n4', 'n5']);
    const one = mpReceive(started, 'n2', { type: 'promise', ballot: started.ballot as Ballot, from: 1, entries: [], more: false }).core;
    expect(resendPrepares(one).sends).toEqual(['n3', 'n4', 'n5'].map((to) => ({ to, message: { type: 'prepare', ballot: started.ballot, from: 1 } })));
    expect(resendPrepares(mp('n1')).sends).toEqual([]);
  });
});

describe('multipaxos: accepting and choosing', () => {
  it('an acceptor stores an accept of its promised ballot before replying, and a retransmission is not stored again', () => {
    const acceptor = mp('n2', { promised: b(3, 'n1') });
    const accept = { type: 'accept' as const, ballot: b(3, 'n1'), entries: [{ slot: 1, command: cmd(1) }], commitIndex: 0 };
    const first = mpReceive(acceptor, 'n1', accept);
    expect(first.persist).toEqual([{ op: 'put', index: 1, entry: at(b(3, 'n1'), cmd(1)) }]);
    expect(first.core.leader).toBe('n1');
    const again = mpReceive(first.core, 'n1', accept);
    expect(again.persist).toEqual([]);
    expect(again.sends).toEqual([{ to: 'n1', message: { type: 'accepted', ballot: b(3, 'n1'), slots: [1], commitIndex: 0, behind: false } }]);
    // A higher ballot overwrites the slot (a new leader's adopted value).
    const newer = mpReceive(first.core, 'n3', { ...accept, ballot: b(4, 'n3'), entries: [{ slot: 1, command: cmd(2) }] });
    expect(newer.persist).toEqual([{ op: 'hard', state: { promised: b(4, 'n3') } }, { op: 'put', index: 1, entry: at(b(4, 'n3'), cmd(2)) }]);
  });

  it('the leader chooses a slot when a majority accepted it in its ballot, in slot order, and never twice', () => {
    const leader = mpLeader(['n1', 'n2', 'n3', 'n4', 'n5']);
    const ballot = leader.ballot as Ballot;
    const p1 = mpSubmit(leader, { client: 'c1', seq: 1, command: {} }).core;
    const p2 = mpSubmit(p1, { client: 'c1', seq: 2, command: {} }).core;
    const accepted = (slots: number[]) => ({ type: 'accepted' as const, ballot, slots, commitIndex: 0, behind: false });
    const a = mpReceive(p2, 'n2', accepted([2]));
    expect(a.commits).toEqual([]);
    const twice = mpReceive(a.core, 'n2', accepted([2]));
    expect(twice.commits).toEqual([]);
    const stale = mpReceive(twice.core, 'n3', { ...accepted([1, 2]), ballot: b(0, 'n1') });
    expect(stale.commits).toEqual([]);
    const slot2 = mpReceive(twice.core, 'n3', accepted([2]));
    expect(slot2.commits).toEqual([]); // slot 1 is not chosen yet: nothing commits out of order
    const both = mpReceive(slot2.core, 'n3', accepted([1]));
    expect(both.commits).toEqual([]);
    const all = mpReceive(both.core, 'n4', accepted([1]));
    expect(all.commits.map((x) => x.index)).toEqual([1, 2]);
    expect(all.core.commitIndex).toBe(2);
    expect(mpReceive(all.core, 'n5', accepted([1, 2])).commits).toEqual([]);
    // Acks for slots it never proposed count for nothing.
    expect(mpReceive(all.core, 'n5', accepted([9])).core.acks).toEqual(all.core.acks);
  });

  it('a follower learns a chosen slot only if it accepted it in the leader’s ballot; else it reports itself behind and gets the entries', () => {
    const follower = mp('n2', { promised: b(3, 'n1'), log: [at(b(2, 'n3'), cmd(9))] });
    const step = mpReceive(follower, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 1 });
    expect(step.commits).toEqual([]);
    expect(step.sends).toEqual([{ to: 'n1', message: { type: 'accepted', ballot: b(3, 'n1'), slots: [], commitIndex: 0, behind: true } }]);
    const leader = mpLeader();
    const ballot = leader.ballot as Ballot;
    const proposed = mpSubmit(leader, { client: 'c1', seq: 1, command: {} }).core;
    const chosen = mpReceive(proposed, 'n2', { type: 'accepted', ballot, slots: [1], commitIndex: 0, behind: false }).core;
    expect(chosen.commitIndex).toBe(1);
    const behind = mpReceive(chosen, 'n3', { type: 'accepted', ballot, slots: [], commitIndex: 0, behind: true });
    expect(behind.sends).toEqual([{ to: 'n3', message: { type: 'accept', ballot, entries: [{ slot: 1, command: (chosen.log[0] as MpEntry).command }], commitIndex: 1 } }]);
  });

  it('a listen-only node (unreadable storage) neither promises, accepts nor campaigns', () => {
    const deaf = initialMpCore('n2', members, { entries: 7 }, MULTIPAXOS_OPTIONS, 64);
    expect(deaf.listenOnly).toBe(true);
    expect(mpReceive(deaf, 'n1', { type: 'prepare', ballot: b(1, 'n1'), from: 1 }).sends).toEqual([]);
    expect(mpReceive(deaf, 'n1', { type: 'accept', ballot: b(1, 'n1'), entries: [{ slot: 1, command: cmd(1) }], commitIndex: 1 }).persist).toEqual([]);
    expect(startCandidacy(deaf).sends).toEqual([]);
    expect(startCandidacy(deaf).core.role).toBe('follower');
    expect(mpSubmit(deaf, { client: 'c1', seq: 1, command: {} }).core).toBe(deaf);
  });

  it('restores the promise and a sparse log, refusing unsorted or malformed storage; maxRound covers both', () => {
    const stored = { hard: { promised: b(5, 'n3') }, entries: [{ index: 1, entry: at(b(2, 'n1'), cmd(1)) }, { index: 3, entry: at(b(7, 'n2'), cmd(3)) }] };
    expect(parseMpDurable(stored, 64)).toEqual({ promised: b(5, 'n3'), log: [at(b(2, 'n1'), cmd(1)), undefined, at(b(7, 'n2'), cmd(3))] });
    expect(initialMpCore('n1', members, stored, MULTIPAXOS_OPTIONS, 64).maxRound).toBe(7);
    expect(startCandidacy(initialMpCore('n1', members, stored, MULTIPAXOS_OPTIONS, 64)).core.ballot).toEqual(b(8, 'n1'));
    expect(parseMpDurable({ ...stored, entries: [stored.entries[1], stored.entries[0]] }, 64)).toBeUndefined();
    expect(parseMpDurable({ ...stored, hard: { promised: { round: -1, node: 'n1' } } }, 64)).toBeUndefined();
    expect(parseMpDurable({ ...stored, hard: 3 }, 64)).toBeUndefined();
    expect(parseMpDurable({ entries: [{ index: 1, entry: at(b(1, 'x'.repeat(65)), cmd(1)) }] }, 64)).toBeUndefined();
    expect(parseMpDurable({ entries: [] }, 64)).toEqual({ promised: undefined, log: [] });
  });

  it('a candidate or leader does not forward submits; a follower forwards to the leader it follows', () => {
    const started = startCandidacy(mp('n1', { leader: 'n2' })).core;
    expect(mpSubmit(started, { client: 'c1', seq: 1, command: {} }).sends).toEqual([]);
    expect(mpSubmit(started, { client: 'c1', seq: 1, command: {} }).core.pending).toHaveLength(1);
    const follower = mp('n2', { promised: b(3, 'n1'), pending: [{ client: 'c1', seq: 4, command: 1 }] });
    const heard = mpReceive(follower, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 0 });
    expect(heard.sends[0]).toEqual({ to: 'n1', message: { type: 'forward', client: 'c1', seq: 4, command: 1 } });
    expect(heard.core.pending).toEqual([]);
  });
});

describe('raft: follower log edge cases', () => {
  it('appends only the entries after those it already holds', () => {
    const node = raft({ term: 2, log: [e(1)] });
    const step = receive(node, 'n2', { type: 'appendEntries', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [e(1), c(2, 1), c(2, 2)], leaderCommit: 0 });
    expect(step.persist).toEqual([{ op: 'append', from: 2, entries: [c(2, 1), c(2, 2)] }]);
    expect(step.core.log).toEqual([e(1), c(2, 1), c(2, 2)]);
  });

  it('a broken variant’s conflict below the commit index lowers it, so the checker sees the second commit of that index', () => {
    // Correct Raft never gets here; Figure 8 without the own-term rule does, and must not be hidden.
    const node = raft({ term: 2, log: [e(1), e(1)], commitIndex: 2 });
    const step = receive(node, 'n2', { type: 'appendEntries', term: 3, prevLogIndex: 1, prevLogTerm: 1, entries: [e(3)], leaderCommit: 2 });
    expect(step.persist).toEqual([{ op: 'hard', state: { term: 3, votedFor: undefined } }, { op: 'truncate', from: 2 }, { op: 'append', from: 2, entries: [e(3)] }]);
    expect(step.commits).toEqual([{ index: 2, term: 3, command: { kind: 'noop' } }]);
    expect(step.core.commitIndex).toBe(2);
  });

  it('a leader that has no nextIndex for a member sends it an empty AppendEntries after its last entry', () => {
    const leader = raft({ role: 'leader', term: 2, leader: 'n1', log: [e(1), e(2)], nextIndex: {} });
    expect(appendEntriesTo(leader, 'n3').message).toEqual({ type: 'appendEntries', term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: [], leaderCommit: 0 });
    expect(appendEntriesTo({ ...leader, nextIndex: { n3: 0 } }, 'n3').message).toMatchObject({ prevLogIndex: 0, entries: [e(1), e(2)] });
    expect(appendEntriesTo({ ...leader, nextIndex: { n3: 9 } }, 'n3').message).toMatchObject({ prevLogIndex: 2, entries: [] });
  });
});

describe('multipaxos: rules the first mutation run still found unpinned', () => {
  it('one acceptor’s accepted, heard twice, is one vote: a 5-node group does not choose on it', () => {
    const leader = mpLeader(['n1', 'n2', 'n3', 'n4', 'n5']);
    const ballot = leader.ballot as Ballot;
    const proposed = mpSubmit(leader, { client: 'c1', seq: 1, command: {} }).core;
    const accepted = { type: 'accepted' as const, ballot, slots: [1], commitIndex: 0, behind: false };
    const once = mpReceive(proposed, 'n2', accepted);
    const twice = mpReceive(once.core, 'n2', accepted);
    expect(twice.commits).toEqual([]);
    expect(twice.core.acks[1]).toEqual(['n1', 'n2']);
    // Not behind: nothing to send back. Choosing writes nothing and sends nothing by itself.
    expect(once.sends).toEqual([]);
    const chosen = mpReceive(twice.core, 'n3', accepted);
    expect(chosen.commits.map((x) => x.index)).toEqual([1]);
    expect(chosen.persist).toEqual([]);
    expect(chosen.sends).toEqual([]);
  });

  it('an accepted for another ballot of the same leader counts for nothing', () => {
    const leader = mpLeader();
    const ballot = leader.ballot as Ballot;
    const proposed = mpSubmit(leader, { client: 'c1', seq: 1, command: {} }).core;
    const old = mpReceive(proposed, 'n2', { type: 'accepted', ballot: { round: ballot.round - 1, node: 'n1' }, slots: [1], commitIndex: 0, behind: false });
    expect(old.commits).toEqual([]);
    expect(old.core.acks[1]).toEqual(['n1']);
    // A follower (no ballot of its own) ignores accepted replies altogether.
    const follower = mp('n2');
    const ignored = mpReceive(follower, 'n1', { type: 'accepted', ballot: b(1, 'n2'), slots: [1], commitIndex: 0, behind: false });
    expect(ignored.core.acks).toEqual({});
    expect(ignored.core.commitKnown).toEqual({});
    expect(ignored.sends).toEqual([]);
  });

  it('a follower told of a commit index beyond its log reports itself behind (and does not fail)', () => {
    const follower = mp('n2', { promised: b(3, 'n1') });
    const step = mpReceive(follower, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 2 });
    expect(step.commits).toEqual([]);
    expect(step.sends).toEqual([{ to: 'n1', message: { type: 'accepted', ballot: b(3, 'n1'), slots: [], commitIndex: 0, behind: true } }]);
  });

  it('the catch-up accept to a follower that is behind writes nothing', () => {
    const leader = mpLeader();
    const ballot = leader.ballot as Ballot;
    const proposed = mpSubmit(leader, { client: 'c1', seq: 1, command: {} }).core;
    const chosen = mpReceive(proposed, 'n2', { type: 'accepted', ballot, slots: [1], commitIndex: 0, behind: false }).core;
    const behind = mpReceive(chosen, 'n3', { type: 'accepted', ballot, slots: [], commitIndex: 0, behind: true });
    expect(behind.persist).toEqual([]);
    expect(behind.sends).toHaveLength(1);
  });
});
