/**
 * The order book's wire messages at the classroom boundary: announcements, report log parts and
 * catch-up chunks are refused when malformed or unbounded, and accepted when well formed.
 */
import { describe, expect, it } from 'vitest';
import { parseLogReport } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage } from '../../../src/classroom/protocol.ts';
import { LIVE_REPORT_WINDOW } from '../../../src/limits.ts';

const commit = (index: number) => ({ index, epoch: { kind: 'term', term: 1 }, command: { kind: 'command', client: 'c1', seq: index, command: { op: 'ship', order: 'A' } } });
const logPart = {
  role: 'follower',
  epoch: { kind: 'term', term: 3 },
  leader: 'n1',
  commitIndex: 2,
  lastIndex: 2,
  applied: 2,
  listenOnly: false,
  window: [{ ...commit(1), state: 'committed' }],
  electionInMs: 1200,
  commits: [commit(1), commit(2)],
  applies: [{ index: 1, outcome: 'applied', result: '{"kind":"refused","reason":"no-such-order"}' }],
  stateDigest: '0123abcd',
  stateSize: 0,
  rows: [],
};

describe('order book protocol', () => {
  it('accepts a well-formed log part and a book announcement', () => {
    expect(parseLogReport(logPart)).toEqual(logPart);
    const book = { id: 'b3-abc', seq: 3, algorithm: 'raft', stateMachine: 'orders', members: ['n1', 'n2'], startedAt: 5 };
    expect(parseClassroomMessage({ type: 'book', book })).toEqual({ type: 'book', book });
  });

  it('refuses commits that are not contiguous, a window beyond its bound, a bad role or epoch', () => {
    expect(parseLogReport({ ...logPart, commits: [commit(1), commit(3)] })).toBeUndefined();
    expect(parseLogReport({ ...logPart, window: Array.from({ length: LIVE_REPORT_WINDOW + 1 }, (_, i) => ({ ...commit(i + 1), state: 'committed' })) })).toBeUndefined();
    expect(parseLogReport({ ...logPart, role: 'king' })).toBeUndefined();
    expect(parseLogReport({ ...logPart, epoch: { kind: 'term', term: -1 } })).toBeUndefined();
    expect(parseLogReport({ ...logPart, applies: [{ index: 1, outcome: 'twice' }] })).toBeUndefined();
  });

  it('a Multi-Paxos replica before any ballot (round 0 of nobody) is reported; an empty node in a later round is not', () => {
    const none = { ...logPart, epoch: { kind: 'ballot', ballot: { round: 0, node: '' } } };
    expect(parseLogReport(none)).toEqual(none);
    expect(parseLogReport({ ...logPart, epoch: { kind: 'ballot', ballot: { round: 2, node: '' } } })).toBeUndefined();
    expect(parseLogReport({ ...logPart, epoch: { kind: 'ballot', ballot: { round: 2, node: 'n3' } } })).toBeDefined();
  });

  it('refuses a book of an unknown algorithm or state machine, with duplicate members, or none', () => {
    const book = { id: 'b3-abc', seq: 3, algorithm: 'raft', stateMachine: 'orders', members: ['n1'], startedAt: 5 };
    expect(parseClassroomMessage({ type: 'book', book: { ...book, algorithm: 'zab' } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'book', book: { ...book, stateMachine: 'bank' } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'book', book: { ...book, members: ['n1', 'n1'] } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'book', book: { ...book, members: [] } })).toBeUndefined();
  });

  it('catch-up: a learn request needs an index ≥ 1; a chunk must be contiguous', () => {
    expect(parseClassroomMessage({ type: 'learn', book: 'b3-abc', from: 1 })).toEqual({ type: 'learn', book: 'b3-abc', from: 1 });
    expect(parseClassroomMessage({ type: 'learn', book: 'b3-abc', from: 0 })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'learned', book: 'b3-abc', entries: [commit(4), commit(5)] })).toEqual({
      type: 'learned',
      book: 'b3-abc',
      entries: [commit(4), commit(5)],
    });
    expect(parseClassroomMessage({ type: 'learned', book: 'b3-abc', entries: [commit(4), commit(6)] })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'learned', book: 'B!', entries: [] })).toBeUndefined();
  });
});
