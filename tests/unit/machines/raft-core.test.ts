/**
 * Raft's pure core: the up-to-date rule, the own-term commit rule (and its broken variant),
 * fast log repair, persist-before-reply ordering, and bounded wire messages.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES_PER_MESSAGE, MAX_TERM } from '../../../src/limits.ts';
import { appendEntriesTo, candidateUpToDate, commitCandidate, initialCore, RAFT_OPTIONS, receive, type RaftCore, type RaftEntry } from '../../../src/core/raft.ts';
import { parseRaftMessage } from '../../../src/machines/raft.ts';

const members = ['n1', 'n2', 'n3'];
const e = (term: number): RaftEntry => ({ term, command: { kind: 'noop' } });
function core(log: RaftEntry[], extra: Partial<RaftCore> = {}): RaftCore {
  return { ...initialCore('n1', members, undefined, RAFT_OPTIONS), log, ...extra };
}

describe('raft core', () => {
  it('grants votes only to candidates whose log is at least as up-to-date', () => {
    const c = core([e(1), e(2)]);
    expect(candidateUpToDate(c, 1, 3)).toBe(true); // later last term wins even if shorter
    expect(candidateUpToDate(c, 2, 2)).toBe(true);
    expect(candidateUpToDate(c, 1, 2)).toBe(false);
    expect(candidateUpToDate(c, 5, 1)).toBe(false);
  });

  it('commits by counting only entries of its own term; the broken variant commits older ones', () => {
    const leader = core([e(1), e(2)], { role: 'leader', term: 3, matchIndex: { n1: 2, n2: 2, n3: 0 } });
    expect(commitCandidate(leader)).toBe(0);
    expect(commitCandidate({ ...leader, options: { ...RAFT_OPTIONS, ownTermRule: false } })).toBe(2);
    expect(commitCandidate({ ...leader, log: [e(1), e(2), e(3)], matchIndex: { n1: 3, n2: 3, n3: 0 } })).toBe(3);
  });

  it('a follower rejects a conflicting entry with the conflicting term and its first index (fast repair)', () => {
    const follower = core([e(1), e(2), e(2), e(2)], { term: 2 });
    const step = receive(follower, 'n2', { type: 'appendEntries', term: 3, prevLogIndex: 4, prevLogTerm: 3, entries: [], leaderCommit: 0 });
    expect(step.sends).toEqual([{ to: 'n2', message: { type: 'appendReply', term: 3, success: false, matchIndex: 0, conflictIndex: 2, conflictTerm: 2 } }]);
    // The new term is persisted before the reply.
    expect(step.persist[0]).toEqual({ op: 'hard', state: { term: 3, votedFor: undefined } });
  });

  it('truncates at a real conflict and persists the truncate and append before replying', () => {
    const follower = core([e(1), e(2), e(2)], { term: 3 });
    const step = receive(follower, 'n2', { type: 'appendEntries', term: 3, prevLogIndex: 1, prevLogTerm: 1, entries: [e(3)], leaderCommit: 2 });
    expect(step.persist).toEqual([{ op: 'truncate', from: 2 }, { op: 'append', from: 2, entries: [e(3)] }]);
    expect(step.core.log).toEqual([e(1), e(3)]);
    expect(step.commits.map((c) => c.index)).toEqual([1, 2]);
  });

  it('chunks a long catch-up under the per-message entry limit', () => {
    const leader = core(Array.from({ length: 100 }, () => e(1)), { role: 'leader', term: 1, nextIndex: { n2: 1 } });
    const out = appendEntriesTo(leader, 'n2').message;
    expect(out.type === 'appendEntries' && out.entries.length).toBe(MAX_ENTRIES_PER_MESSAGE);
  });

  it('refuses unbounded or malformed messages at the boundary', () => {
    expect(parseRaftMessage({ type: 'vote', term: 2, granted: true })).toEqual({ type: 'vote', term: 2, granted: true });
    expect(parseRaftMessage({ type: 'vote', term: MAX_TERM + 1, granted: true })).toBeUndefined();
    const entries = Array.from({ length: MAX_ENTRIES_PER_MESSAGE + 1 }, () => e(1));
    expect(parseRaftMessage({ type: 'appendEntries', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries, leaderCommit: 0 })).toBeUndefined();
    expect(parseRaftMessage({ type: 'forward', client: 'c1', seq: 0, command: { op: 'ship', order: 'A' } })).toBeUndefined();
    expect(parseRaftMessage({ type: 'forward', client: 'c1', seq: 1, command: { big: 'x'.repeat(600) } })).toBeUndefined();
  });
});
