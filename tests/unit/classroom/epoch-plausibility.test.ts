/**
 * Raft terms and Multi-Paxos ballots in the live room follow the write-once Paxos rule on
 * rounds (log-plausibility.ts): honest elections (small steps, a node far behind, a node that
 * campaigned alone for a while) are taken in; a jump far above what the others chose is refused
 * with its chooser named, a smaller one dropped; a reply never raises the yardstick. In a room,
 * a member that sends term 2^30 wedges nobody and is flagged on the dashboard; a Raft report
 * claiming such a term is not believed.
 */
import { describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { BookDashboard } from '../../../src/classroom/log-dashboard.ts';
import { EpochPlausibility, implausibleRaft, implausibleText } from '../../../src/classroom/log-plausibility.ts';
import type { BookAnnouncement, LogReport } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage, REPORT_VERSION, type ClassroomMessage, type NodeReport } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import type { Epoch } from '../../../src/core/types.ts';
import { MAX_ROUND_FLAG_STEP, MAX_ROUND_STEP, RAFT_TERM_FLAG_STEP, RAFT_TERM_STEP } from '../../../src/limits.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import type { LogAlgorithmName } from '../../../src/machines/spec.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from './fake-clock.ts';

const MEMBERS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const term = (t: number): Epoch => ({ kind: 'term', term: t });
const ballotEpoch = (round: number, node: string): Epoch => ({ kind: 'ballot', ballot: { round, node } });
const requestVote = (t: number) => ({ type: 'requestVote', term: t, lastLogIndex: 0, lastLogTerm: 0 });
const appendEntries = (t: number) => ({ type: 'appendEntries', term: t, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
const vote = (t: number) => ({ type: 'vote', term: t, granted: false });

function raftJudge(stored: number): EpochPlausibility {
  const judge = new EpochPlausibility('n1', MEMBERS);
  judge.noteOwn(term(stored), 'follower', false);
  return judge;
}

describe('Raft term plausibility', () => {
  it('takes in honest elections: one term up, a node far behind, a node that campaigned alone', () => {
    expect(raftJudge(4).judge('n2', requestVote(5), term(4)).verdict).toBe('adopt');
    expect(raftJudge(4).judge('n2', appendEntries(4), term(4)).verdict).toBe('adopt');
    // Reopened after the class moved on by 50,000 terms: behind is never a lie.
    expect(raftJudge(3).judge('n2', appendEntries(50_003), term(3)).verdict).toBe('adopt');
    // A phone cut off for a while ran 2,000 elections alone; it comes back far ahead, honestly.
    expect(raftJudge(10).judge('n3', requestVote(2_010), term(10)).verdict).toBe('adopt');
    // Stale or equal terms change nothing: always taken in.
    expect(raftJudge(90).judge('n3', vote(2), term(90)).verdict).toBe('adopt');
  });

  it('refuses a jump far above every term the others chose, naming its sender, and drops a smaller one', () => {
    const refused = raftJudge(7).judge('n4', requestVote(2 ** 30), term(7));
    expect(refused).toMatchObject({ verdict: 'refuse', culprit: 'n4' });
    expect(raftJudge(7).judge('n4', appendEntries(7 + RAFT_TERM_FLAG_STEP + 1), term(7)).verdict).toBe('refuse');
    expect(raftJudge(7).judge('n4', appendEntries(7 + RAFT_TERM_STEP + 1), term(7)).verdict).toBe('ignore');
    expect(raftJudge(7).judge('n4', vote(7 + RAFT_TERM_FLAG_STEP + 1), term(7)).verdict).toBe('refuse');
  });

  it('a liar cannot climb by bouncing its jumps off honest replies, nor off its own messages', () => {
    const judge = raftJudge(7);
    // n2's reply carries a term it adopted from a liar: taken in (within a step), but it chose nothing.
    expect(judge.judge('n2', vote(7 + RAFT_TERM_STEP), term(7)).verdict).toBe('adopt');
    expect(judge.judge('n4', requestVote(7 + 2 * RAFT_TERM_STEP), term(7 + RAFT_TERM_STEP)).verdict).toBe('ignore');
    // Its own jumps do not raise its own yardstick either.
    expect(judge.judge('n4', requestVote(7 + RAFT_TERM_STEP), term(7)).verdict).toBe('adopt');
    expect(judge.judge('n4', requestVote(7 + 2 * RAFT_TERM_STEP), term(7 + RAFT_TERM_STEP)).verdict).toBe('ignore');
    // An honest candidate's election at that term does: one step per honest election.
    expect(judge.judge('n2', requestVote(8 + RAFT_TERM_STEP), term(7 + RAFT_TERM_STEP)).verdict).toBe('adopt');
    expect(judge.judge('n4', requestVote(8 + 2 * RAFT_TERM_STEP), term(8 + RAFT_TERM_STEP)).verdict).toBe('adopt');
  });

  it('a Raft report claiming a term far above the others’ is not believed, and says why', () => {
    const log: LogReport = {
      role: 'leader', epoch: term(2 ** 30), commitIndex: 0, lastIndex: 0, applied: 0, listenOnly: false,
      window: [], commits: [], applies: [], stateDigest: 'd', stateSize: 0, rows: [],
    };
    expect(implausibleRaft(log, 9).map((p) => p.kind)).toEqual(['term-jump']);
    expect(implausibleRaft({ ...log, epoch: term(9 + RAFT_TERM_FLAG_STEP) }, 9)).toEqual([]);
    expect(implausibleText(implausibleRaft(log, 9)[0]!)).toMatch(/claims term 1073741824, far above any term the others reported \(9\)/);
    const book: BookAnnouncement = { id: 'b1-terms', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: ['n1', 'n2'], startedAt: 0 };
    const dashboard = new BookDashboard();
    dashboard.announce(book);
    const report = (l: LogReport): NodeReport => ({ version: REPORT_VERSION, inc: 1, n: 0, full: true, proposed: [], evidence: [], steps: [], droppedSteps: 0, refusals: [], restarted: false, log: l });
    expect(dashboard.applyReport('n1', book.id, report({ ...log, role: 'follower', epoch: term(9) }), 0)).toBe('applied');
    expect(dashboard.applyReport('n2', book.id, report(log), 0)).toBe('implausible');
    expect(dashboard.check(book.id, LogRunJudge)?.claims[0]).toMatchObject({ member: 'n2', problems: [{ kind: 'term-jump' }] });
    expect(dashboard.applyReport('n2', book.id, report({ ...log, epoch: term(10) }), 0)).toBe('applied');
  });
});

describe('Multi-Paxos ballot plausibility', () => {
  const judge = (): EpochPlausibility => {
    const j = new EpochPlausibility('n1', MEMBERS);
    j.noteOwn(ballotEpoch(3, 'n1'), 'follower', false);
    return j;
  };
  const prepare = (round: number, node: string) => ({ type: 'prepare', ballot: { round, node }, from: 1 });

  it('takes in the next ballots, refuses a round far above and names its chooser, drops one a little above', () => {
    expect(judge().judge('n2', prepare(4, 'n2'), ballotEpoch(3, 'n1')).verdict).toBe('adopt');
    expect(judge().judge('n2', prepare(3 + MAX_ROUND_STEP + 1, 'n2'), ballotEpoch(3, 'n1')).verdict).toBe('ignore');
    expect(judge().judge('n2', prepare(2 ** 47, 'n2'), ballotEpoch(3, 'n1'))).toMatchObject({ verdict: 'refuse', culprit: 'n2' });
    // An honest acceptor relays a liar's ballot in its promise: the ballot's chooser is blamed.
    const promise = { type: 'promise', ballot: { round: 5, node: 'n1' }, from: 1, more: false, entries: [{ slot: 1, ballot: { round: 3 + MAX_ROUND_FLAG_STEP + 1, node: 'n4' }, command: { kind: 'noop' } }] };
    expect(judge().judge('n3', promise, ballotEpoch(5, 'n1'))).toMatchObject({ verdict: 'refuse', culprit: 'n4' });
    expect(judge().judge('n3', prepare(4, 'n9'), ballotEpoch(3, 'n1'))).toMatchObject({ verdict: 'refuse', culprit: 'n3' });
  });
});

/** A room whose member n5 lies: it sends every replica a term or round far above anything chosen. */
class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 2 });
  readonly tabs = new Map<PeerId, { classroom: Classroom; transport: MemoryTransport<ClassroomMessage> }>();
  private readonly prng = Prng.fromSeed(3);

  open(id: PeerId, role: PeerRole): Classroom {
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const classroom = new Classroom({ transport, role, store: new MemoryStore(), clock: this.clock, random: () => this.prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS });
    this.tabs.set(id, { classroom, transport });
    return classroom;
  }

  tab(id: PeerId): Classroom {
    return (this.tabs.get(id) as { classroom: Classroom }).classroom;
  }

  until(done: () => boolean, limitMs: number, what: string): void {
    for (let t = 0; t <= limitMs; t += 50) {
      if (done()) return;
      this.clock.advance(50);
    }
    throw new Error(`${what} not reached within ${limitMs} ms`);
  }
}

describe.each<[LogAlgorithmName, unknown]>([
  ['raft', requestVote(2 ** 30)],
  ['multipaxos', prepare47()],
])('a liar’s epoch jump in a live %s room', (algorithm, lie) => {
  it('wedges nobody: the replicas keep their epochs and commit; the liar is flagged', () => {
    const room = new Room();
    room.open('host', 'host');
    for (const id of MEMBERS) room.open(id, 'student');
    room.clock.advance(50);
    const book = room.tab('host').startBook(algorithm, 'orders');
    if (typeof book === 'string') throw new Error(book);
    const honest = MEMBERS.filter((id) => id !== 'n5');
    const leaderOf = () => honest.find((id) => room.tab(id).logNode(book.id)?.logView().role === 'leader');
    room.until(() => leaderOf() !== undefined, 30_000, 'a leader');
    const liar = (room.tabs.get('n5') as { transport: MemoryTransport<ClassroomMessage> }).transport;
    for (const [i, to] of honest.entries()) liar.send(to, { type: 'algo', decision: book.id, id: { inc: 1, seq: 9_000 + i }, message: lie });
    room.clock.advance(200);
    const epochValue = (id: PeerId): number => {
      const epoch = room.tab(id).logNode(book.id)?.logView().epoch;
      return epoch === undefined ? -1 : epoch.kind === 'term' ? epoch.term : epoch.ballot.round;
    };
    for (const id of honest) expect(epochValue(id)).toBeLessThan(1_000);
    expect(room.tab('n1').submit(book.id, { op: 'place', order: 'A', item: 'mug' })).toBeUndefined();
    room.until(() => honest.every((id) => room.tab(id).logNode(book.id)?.stateSummary.size === 1), 30_000, 'the order everywhere');
    room.until(() => room.tab('host').dashboard?.flaggedPeers().some((f) => f.peer === 'n5' && (f.counts.implausible ?? 0) > 0) ?? false, 10_000, 'the liar flagged');
  });
});

function prepare47() {
  return { type: 'prepare', ballot: { round: 2 ** 47, node: 'n5' }, from: 1 };
}
