/**
 * A live replica's memory follows its storage: the committed entries a snapshot covers leave
 * the node's in-memory list once reported, however many snapshots a class takes, and whoever
 * needs entries below that list (a learner starting from 0, a replica restarted behind the
 * leader's snapshot, a dashboard that reloaded) is served the snapshot and the entries after it.
 *
 * The snapshot interval is shrunk (LOG_SNAPSHOT_EVERY 20) so a few hundred commands pass many
 * snapshots in a unit test's time; the code under test reads it from limits.ts as always.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../src/limits.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../src/limits.ts')>();
  return { ...original, LOG_SNAPSHOT_EVERY: 20, LIVE_MAX_HELD_COMMITS: 40 };
});

import { Classroom } from '../../../src/classroom/classroom.ts';
import type { BookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import { LIVE_MAX_HELD_COMMITS, LOG_SNAPSHOT_EVERY, MAX_MESSAGE_BYTES } from '../../../src/limits.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { LOG_ALGORITHM_NAMES } from '../../../src/machines/spec.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from './fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const SAFE = LOG_ALGORITHM_NAMES.filter((name) => !LOG_ALGORITHMS[name].broken);

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 2 });
  readonly tabs = new Map<PeerId, Classroom>();
  readonly stores = new Map<PeerId, MemoryStore>();
  private readonly prng = Prng.fromSeed(5);
  largestFrame = 0;
  /** Messages of each type sent to each tab. */
  readonly received = new Map<string, number>();

  open(id: PeerId, role: PeerRole): Classroom {
    const store = this.stores.get(id) ?? new MemoryStore();
    this.stores.set(id, store);
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const send = transport.send.bind(transport);
    transport.send = (to, message) => {
      this.largestFrame = Math.max(this.largestFrame, JSON.stringify(message).length);
      this.received.set(`${to}:${message.type}`, (this.received.get(`${to}:${message.type}`) ?? 0) + 1);
      return send(to, message);
    };
    const classroom = new Classroom({ transport, role, store, clock: this.clock, random: () => this.prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS });
    this.tabs.set(id, classroom);
    return classroom;
  }

  crash(id: PeerId): void {
    this.tab(id).close();
    this.network.kill(id);
    this.tabs.delete(id);
  }

  tab(id: PeerId): Classroom {
    const tab = this.tabs.get(id);
    if (tab === undefined) throw new Error(`no tab ${id}`);
    return tab;
  }

  until(done: () => boolean, limitMs: number, what: string, each: () => void = () => {}): number {
    const start = this.clock.now();
    for (let t = 0; t <= limitMs; t += 50) {
      each();
      if (done()) return this.clock.now() - start;
      this.clock.advance(50);
    }
    throw new Error(`${what} not reached within ${limitMs} ms`);
  }

  host(): Classroom {
    return this.tab('host');
  }

  leader(book: BookAnnouncement): PeerId | undefined {
    const leaders = [...this.tabs.keys()].filter((id) => this.tab(id).logNode(book.id)?.logView().role === 'leader');
    return leaders.length === 1 ? leaders[0] : undefined;
  }
}

describe.each(SAFE)('live replica memory at snapshots on %s', (algorithm) => {
  it('stays bounded past many snapshots; a learner from 0, a replica restarted behind the snapshot and a reloaded dashboard all catch up', { timeout: 60_000 }, () => {
    const room = new Room();
    room.open('host', 'host');
    for (const id of STUDENTS) room.open(id, 'student');
    room.clock.advance(50);
    const book = room.host().startBook(algorithm, 'orders');
    if (typeof book === 'string') throw new Error(book);
    room.until(() => room.leader(book) !== undefined, 30_000, 'a leader');
    // n4 goes down before the first snapshot: when it returns, the others compacted what it lacks.
    room.crash('n4');
    const up = STUDENTS.filter((id) => id !== 'n4');
    const target = 12 * LOG_SNAPSHOT_EVERY;
    let placed = 0;
    let mostHeld = 0;
    const node = room.tab('n1').logNode(book.id);
    if (node === undefined) throw new Error('no node');
    room.until(
      () => node.appliedIndex >= target,
      600_000,
      'many snapshots',
      () => {
        for (const id of up) {
          const n = room.tab(id).logNode(book.id);
          if (n === undefined) continue;
          mostHeld = Math.max(mostHeld, n.heldCommits);
          if (n.queued === 0 && placed < target && room.tab(id).submit(book.id, { op: 'ship', order: `z${placed}` }) === undefined) placed++;
        }
      },
    );
    room.clock.advance(2_000);
    for (const id of up) mostHeld = Math.max(mostHeld, room.tab(id).logNode(book.id)?.heldCommits ?? 0);
    // Without trimming every replica would hold all ~240 commits.
    expect(mostHeld).toBeLessThanOrEqual(LIVE_MAX_HELD_COMMITS);
    expect(node.logView().snapshotIndex).toBeGreaterThanOrEqual(target - LOG_SNAPSHOT_EVERY);

    // A late joiner starts from 0: the entries it needs are gone from every member, so it gets a snapshot, then entries.
    const late = room.open('n6', 'student');
    const learnerMs = room.until(() => late.learner(book.id)?.appliedIndex === node.appliedIndex, 60_000, 'the learner caught up');
    expect(room.received.get('n6:learnedSnapshot') ?? 0).toBeGreaterThan(0);
    expect(late.learner(book.id)?.stateSummary.digest).toBe(node.stateSummary.digest);

    // n4 reopens behind the leader's snapshot: the algorithm installs it, and the report says so.
    room.open('n4', 'student');
    const replicaMs = room.until(() => room.tab('n4').logNode(book.id)?.appliedIndex === node.appliedIndex, 60_000, 'n4 caught up');
    expect(room.tab('n4').logNode(book.id)?.stateSummary.digest).toBe(node.stateSummary.digest);
    room.until(() => room.host().bookDashboard?.record(book.id)?.members.get('n4')?.log.applied === node.appliedIndex, 10_000, 'its report');
    expect(room.host().bookDashboard?.record(book.id)?.members.get('n4')?.log.restored?.cause).toBe('install');
    expect(room.host().bookDashboard?.check(book.id, LogRunJudge)?.violations).toEqual([]);

    // The teacher's tab reloads: every replica's full report starts after what it still holds.
    room.crash('host');
    room.open('host', 'host');
    room.until(
      () => STUDENTS.every((id) => room.host().bookDashboard?.record(book.id)?.members.get(id)?.log.applied === node.appliedIndex),
      30_000,
      'the reloaded dashboard hears every replica',
    );
    room.clock.advance(1_000);
    expect(room.host().bookDashboard?.check(book.id, LogRunJudge)?.violations).toEqual([]);
    expect(room.largestFrame).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    console.info(`${algorithm}: ${node.appliedIndex} entries, most held ${mostHeld}, learner caught up in ${learnerMs} ms, restarted replica in ${replicaMs} ms (virtual)`);
  });
});
