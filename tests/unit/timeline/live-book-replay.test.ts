/**
 * A live order book's space-time diagram replays: five students' tabs run real Raft and
 * Multi-Paxos replicas over the in-memory transport on fake time, the teacher's tab receives
 * their reports, and a LiveTimeline built from that stream re-runs every member's machine (its
 * election timeouts and heartbeats fired by ordinal, its commands submitted as it submitted
 * them, a restarted replica from the stored log it reported) to the very views the members
 * reported, at every step the scrubber can reach.
 */
import { describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import type { BookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage, type ClassroomMessage, type NodeReport } from '../../../src/classroom/protocol.ts';
import { sameView } from '../../../src/classroom/report-buffer.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { OrderBook } from '../../../src/core/order-book.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import type { LogAlgorithmName } from '../../../src/machines/spec.ts';
import { ReportFeed, type ReceivedReport } from '../../../src/timeline/live.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from '../classroom/fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 2 });
  readonly tabs = new Map<PeerId, { transport: MemoryTransport<ClassroomMessage>; classroom: Classroom }>();
  readonly stores = new Map<PeerId, MemoryStore>();
  /** Every book report the teacher's tab received, in order: the diagram's input. */
  readonly reports: ReceivedReport[] = [];
  private readonly prng = Prng.fromSeed(5);

  open(id: PeerId, role: PeerRole): Classroom {
    const store = this.stores.get(id) ?? new MemoryStore();
    this.stores.set(id, store);
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    if (role === 'host') {
      transport.onMessage((from, message) => {
        if (message.type === 'report') this.reports.push({ node: from, report: message.report, atMs: this.clock.now() });
      });
    }
    const classroom = new Classroom({ transport, role, store, clock: this.clock, random: () => this.prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS });
    this.tabs.set(id, { transport, classroom });
    return classroom;
  }

  crash(id: PeerId): void {
    this.tabs.get(id)!.classroom.close();
    this.network.kill(id);
    this.tabs.delete(id);
  }

  until(done: () => boolean, what: string, limitMs = 30_000): void {
    for (let t = 0; t <= limitMs; t += 50) {
      if (done()) return;
      this.clock.advance(50);
    }
    throw new Error(`${what} not reached within ${limitMs} ms`);
  }

  get host(): Classroom {
    return this.tabs.get('host')!.classroom;
  }

  node(id: PeerId, book: BookAnnouncement) {
    return this.tabs.get(id)?.classroom.logNode(book.id);
  }

  leader(book: BookAnnouncement): PeerId | undefined {
    return STUDENTS.find((id) => this.node(id, book)?.logView().role === 'leader');
  }

  close(): void {
    for (const tab of this.tabs.values()) {
      tab.classroom.close();
      tab.transport.close();
    }
  }
}

function run(algorithm: LogAlgorithmName): { room: Room; book: BookAnnouncement; follower: PeerId } {
  const room = new Room();
  room.open('host', 'host');
  for (const id of STUDENTS) room.open(id, 'student');
  room.clock.advance(50);
  const book = room.host.startBook(algorithm, 'orders');
  if (typeof book === 'string') throw new Error(book);
  room.until(() => room.leader(book) !== undefined, 'a leader');
  const orders = (id: PeerId) => Object.keys((room.node(id, book)?.state as OrderBook | undefined)?.orders ?? {}).length;
  room.tabs.get('n1')!.classroom.submit(book.id, { op: 'place', order: 'A', item: 'mug' });
  room.tabs.get('n2')!.classroom.submit(book.id, { op: 'place', order: 'B', item: 'lamp' });
  room.until(() => STUDENTS.every((id) => orders(id) === 2), 'two orders everywhere');
  // A follower's tab closes and reopens from its small stored log: a second incarnation to replay.
  const follower = STUDENTS.find((id) => id !== room.leader(book))!;
  room.crash(follower);
  room.clock.advance(300);
  room.open(follower, 'student');
  room.tabs.get('n3')!.classroom.submit(book.id, { op: 'ship', order: 'A' });
  room.until(() => STUDENTS.every((id) => (room.node(id, book)?.state as OrderBook | undefined)?.orders.A?.status === 'shipped'), 'A shipped everywhere');
  // Heartbeats and election timers keep firing for a while; then the last reports arrive.
  room.clock.advance(3_000);
  return { room, book, follower };
}

/** The last view each member reported (its last report that carried one) in each incarnation. */
function lastReported(reports: readonly ReceivedReport[]): Map<string, NodeReport['view']> {
  const out = new Map<string, NodeReport['view']>();
  for (const { node, report } of reports) if (report.view !== undefined) out.set(`${node}#${report.inc}`, report.view);
  return out;
}

describe.each(['raft', 'multipaxos'] as const)('a live %s book in the space-time diagram', (algorithm) => {
  it('replays every member, timers included, to the views it reported', { timeout: 60_000 }, () => {
    const { room, book, follower } = run(algorithm);
    try {
      // What the projector's diagram reads: the book's reports as the dashboard kept them, every one the host received.
      const reports = room.host.bookDashboard!.reports(book.id)!;
      expect(reports.length).toBe(room.reports.filter((r) => book.members.includes(r.node)).length);
      // The stream holds what replay needs: numbered timer firings, submitted commands, a restart's stored log.
      const steps = reports.flatMap((r) => r.report.steps);
      expect(steps.filter((s) => s.cause.kind === 'timer' && s.cause.timer !== undefined).length).toBeGreaterThanOrEqual(3);
      expect(steps.some((s) => s.cause.kind === 'propose' && s.cause.submit?.command !== undefined)).toBe(true);
      const restart = reports.find((r) => r.node === follower && r.report.restarted && r.report.start !== undefined);
      expect(restart?.report.start?.durable).toBeDefined();

      const timeline = new ReportFeed(book.members, LOG_ALGORITHMS[algorithm]).catchUp(reports);
      const last = timeline.timeline.lastStep;
      // Scrub through the whole run: no member is ever unavailable, and no replay disagrees.
      for (let step = 0; step <= last; step += Math.max(1, Math.floor(last / 40))) {
        for (const [node, state] of timeline.statesAt(step)) {
          expect(state.kind, `${node} at step ${step}: ${JSON.stringify(state)}`).not.toBe('unavailable');
        }
      }
      const end = timeline.statesAt(last);
      expect(timeline.disagreements()).toEqual(new Map());
      // At the end, each member's replayed view is the one it last reported.
      const reported = lastReported(reports);
      for (const node of book.members) {
        const state = end.get(node);
        if (state?.kind !== 'view') throw new Error(`${node}: ${JSON.stringify(state)}`);
        const newestInc = Math.max(...reports.filter((r) => r.node === node).map((r) => r.report.inc));
        const view = reported.get(`${node}#${newestInc}`);
        expect(view).toBeDefined();
        expect(sameView(state.view, view!), `${node}: replayed ${JSON.stringify(state.view)} reported ${JSON.stringify(view)}`).toBe(true);
      }
    } finally {
      room.close();
    }
  });

  it('a member whose timer ordinals were lost is shown unavailable, not guessed', { timeout: 60_000 }, () => {
    const { room, book } = run(algorithm);
    try {
      const reports = room.reports.filter((r) => book.members.includes(r.node));
      // A lie (or a bug): a member whose timers fired (a leader's heartbeats) claims one it never set.
      const liar = book.members.find((m) => reports.some((r) => r.node === m && r.report.steps.some((s) => s.cause.kind === 'timer')))!;
      const honest = book.members.find((m) => m !== liar)!;
      const tampered = reports.map((r) =>
        r.node !== liar ? r : { ...r, report: { ...r.report, steps: r.report.steps.map((s) => (s.cause.kind === 'timer' ? { ...s, cause: { kind: 'timer' as const, timer: 999 } } : s)) } },
      );
      const timeline = new ReportFeed(book.members, LOG_ALGORITHMS[algorithm]).catchUp(tampered);
      const state = timeline.statesAt(timeline.timeline.lastStep).get(liar);
      expect(state?.kind).toBe('unavailable');
      expect(timeline.statesAt(timeline.timeline.lastStep).get(honest)?.kind).toBe('view');
    } finally {
      room.close();
    }
  });
});

describe('what a book replica’s steps carry, at the dashboard’s boundary', () => {
  const base = { version: 1 as const, inc: 3, n: 0, full: false, proposed: [], evidence: [], droppedSteps: 0, refusals: [], restarted: false };
  const step = (cause: unknown) => ({ ...base, steps: [{ at: 1, cause, sent: [], persisted: false }] });

  it('a submitted command and a compaction parse; malformed ones refuse the report', async () => {
    const { parseReport } = await import('../../../src/classroom/protocol.ts');
    const submit = { client: 'n1~abc', seq: 2, command: { op: 'ship', order: 'A' } };
    expect(parseReport(step({ kind: 'propose', value: 'ship A', submit }))?.steps[0]?.cause).toEqual({ kind: 'propose', value: 'ship A', submit });
    expect(parseReport(step({ kind: 'compact', index: 500 }))?.steps[0]?.cause).toEqual({ kind: 'compact', index: 500 });
    expect(parseReport(step({ kind: 'propose', value: 'ship A', submit: { ...submit, seq: -1 } }))).toBeUndefined();
    expect(parseReport(step({ kind: 'propose', value: 'ship A', submit: { ...submit, client: 'x'.repeat(500) } }))).toBeUndefined();
    expect(parseReport(step({ kind: 'propose', value: 'ship A', submit: { ...submit, command: 'ship' } }))).toBeUndefined();
    expect(parseReport(step({ kind: 'compact', index: -3 }))).toBeUndefined();
    const omitted = { ...base, full: true, seed: 1, start: { timing: { retransmitMs: 1, impatienceMs: 1, backoffMs: 1, phaseTimeoutMs: 1 }, durableOmitted: true }, steps: [], view: { phase: 'p', waitingFor: 'w', tally: {}, fields: [] } };
    expect(parseReport(omitted)?.start).toEqual({ timing: omitted.start.timing, durableOmitted: true });
  });

  it('an incarnation that started from a stored log too large to report is unavailable, and says why', () => {
    const feed = new ReportFeed(['n1', 'n2'], LOG_ALGORITHMS.raft);
    const timing = { retransmitMs: 100, impatienceMs: 100, backoffMs: 100, phaseTimeoutMs: 100, electionTimeoutMs: 300 };
    const view = { phase: 'follower', waitingFor: 'a leader', decided: undefined, tally: {}, fields: [] };
    const report: NodeReport = { ...base, full: true, seed: 7, start: { timing, durableOmitted: true }, view, steps: [{ at: 0, cause: { kind: 'start' }, sent: [], persisted: false }], restarted: true };
    const timeline = feed.catchUp([{ node: 'n1', report, atMs: 0 }]);
    const state = timeline.stateAt('n1', timeline.timeline.lastStep);
    expect(state).toEqual({ kind: 'unavailable', why: expect.stringMatching(/stored log too large/) });
  });
});
