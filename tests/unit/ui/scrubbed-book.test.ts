/**
 * A live book scrubbed back, as its tiles show it: five students' tabs run real replicas over
 * the in-memory transport on fake time, the teacher's tab receives their reports, and at every
 * step of the diagram each replica's tile data is the log it reported up to that step: never an
 * order that was not yet submitted, the final book at the last step, a crashed replica as down.
 */
import { describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { OrderBook } from '../../../src/core/order-book.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { ReportFeed } from '../../../src/timeline/live.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { scrubbedBook } from '../../../src/ui/book/scrubbed-book.ts';
import { FakeClock } from '../classroom/fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];

function room() {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, delayMs: 2 });
  const prng = Prng.fromSeed(9);
  const stores = new Map<PeerId, MemoryStore>();
  const tabs = new Map<PeerId, Classroom>();
  const open = (id: PeerId, role: PeerRole) => {
    const store = stores.get(id) ?? new MemoryStore();
    stores.set(id, store);
    const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    tabs.set(id, new Classroom({ transport, role, store, clock, random: () => prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS }));
  };
  const until = (done: () => boolean, what: string) => {
    for (let t = 0; t <= 30_000; t += 50) {
      if (done()) return;
      clock.advance(50);
    }
    throw new Error(`${what} not reached`);
  };
  open('host', 'host');
  for (const id of STUDENTS) open(id, 'student');
  clock.advance(50);
  const host = tabs.get('host')!;
  const book = host.startBook('raft', 'orders');
  if (typeof book === 'string') throw new Error(book);
  const node = (id: PeerId) => tabs.get(id)?.logNode(book.id);
  const orders = (id: PeerId) => (node(id)?.state as OrderBook | undefined)?.orders ?? {};
  until(() => STUDENTS.some((id) => node(id)?.logView().role === 'leader'), 'a leader');
  tabs.get('n1')!.submit(book.id, { op: 'place', order: 'A', item: 'mug' });
  until(() => STUDENTS.every((id) => orders(id).A !== undefined), 'A everywhere');
  const follower = STUDENTS.find((id) => node(id)?.logView().role !== 'leader')!;
  tabs.get(follower)!.close();
  network.kill(follower);
  tabs.delete(follower);
  clock.advance(500);
  open(follower, 'student');
  tabs.get('n2')!.submit(book.id, { op: 'ship', order: 'A' });
  until(() => STUDENTS.every((id) => orders(id).A?.status === 'shipped'), 'A shipped everywhere');
  clock.advance(1_000);
  const reports = host.bookDashboard!.reports(book.id)!;
  const close = () => {
    for (const tab of tabs.values()) tab.close();
  };
  return { book, reports, follower, close };
}

describe('the scrubbed book', () => {
  it('shows each replica as it reported itself up to the step: no order before its submit, the final book at the end, a crash as down', { timeout: 60_000 }, () => {
    const { book, reports, follower, close } = room();
    try {
      const feed = new ReportFeed(book.members, LOG_ALGORITHMS.raft);
      const timeline = feed.catchUp(reports);
      // Receives whose sends no report had listed yet are still parked: place them, as a trace file's import does.
      timeline.finish();
      const last = timeline.timeline.lastStep;
      const events = timeline.prefix(last);
      const submitted = events.find((e) => e.kind === 'step' && e.fact.cause.kind === 'propose' && JSON.stringify(e.fact.cause.submit?.command).includes('"place"'));
      expect(submitted).toBeDefined();
      const rowsAt = (step: number) => [...scrubbedBook(book.members, timeline, reports, step).values()].map((r) => (r.kind === 'not-started' ? [] : (r.log?.rows ?? [])));
      for (let step = 0; step < submitted!.step; step++) expect(rowsAt(step).flat(), `step ${step}`).toEqual([]);
      // At the last step, every step placed, every tile is the member's newest report: A shipped on all five.
      const end = scrubbedBook(book.members, timeline, reports, last);
      for (const member of book.members) {
        const replica = end.get(member);
        if (replica?.kind !== 'reported') throw new Error(`${member}: ${JSON.stringify(replica)}`);
        const newest = reports.filter((r) => r.node === member && r.report.log !== undefined).at(-1)!;
        expect(replica.log).toEqual(newest.report.log);
        expect(replica.log.rows.find((r) => r.id === 'A')?.status).toBe('shipped');
      }
      // Applied prefixes only grow as the scrubber moves forward, for a replica that never restarted.
      const steady = book.members.find((m) => m !== follower)!;
      let previous = 0;
      for (let step = 0; step <= last; step++) {
        const r = scrubbedBook(book.members, timeline, reports, step).get(steady);
        const applied = r?.kind === 'reported' ? r.log.applied : 0;
        expect(applied).toBeGreaterThanOrEqual(previous);
        previous = applied;
      }
      // The closed tab's reopening ends its first incarnation with a crash mark: at that mark its tile is down, with its last report.
      const marks = events.filter((e) => e.kind === 'crash');
      expect(marks.map((e) => e.node)).toEqual([follower]);
      const down = scrubbedBook(book.members, timeline, reports, marks[0]!.step).get(follower);
      expect(down?.kind).toBe('crashed');
      const oldInc = reports.find((r) => r.node === follower)!.report.inc;
      const lastBeforeCrash = reports.filter((r) => r.node === follower && r.report.inc === oldInc && r.report.log !== undefined).at(-1)!;
      expect(down).toEqual({ kind: 'crashed', log: lastBeforeCrash.report.log });
      // It had stored A when its tab closed; the restarted one is on its own tile data again right after.
      expect(lastBeforeCrash.report.log!.window.some((e) => e.command.kind === 'command' && JSON.stringify(e.command.command).includes('"A"'))).toBe(true);
      expect(scrubbedBook(book.members, timeline, reports, last).get(follower)?.kind).toBe('reported');
    } finally {
      close();
    }
  });
});
