/**
 * The teacher's network adversary on a live replicated log: five students' tabs run replicas of
 * each safe log algorithm (Raft, Multi-Paxos) over the in-memory transport on fake time, with
 * the teacher's dashboard. Pause freezes the algorithms' clocks (no election while the class
 * talks) and holds every message; held messages are listed per receiver with sender, kind and
 * the command they carry, retransmissions merged; resume lets the command commit; crash and
 * restart from the dashboard; partitions; the teacher's screen going away releases everything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NO_ADVERSARY, type AdversaryRules } from '../../../src/classroom/adversary.ts';
import { Classroom } from '../../../src/classroom/classroom.ts';
import type { BookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { OrderBook } from '../../../src/core/order-book.ts';
import { Prng } from '../../../src/core/prng.ts';
import { MAX_HELD_PER_NODE, REPORT_FRAME_FALLBACK_MS, TEACHER_GONE_RELEASE_MS } from '../../../src/limits.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { LOG_ALGORITHM_NAMES, type LogAlgorithmName } from '../../../src/machines/spec.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from './fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const SAFE = LOG_ALGORITHM_NAMES.filter((name) => !LOG_ALGORITHMS[name].broken);
const REPORTED_MS = REPORT_FRAME_FALLBACK_MS + 50;

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 2 });
  readonly tabs = new Map<PeerId, Classroom>();
  private readonly prng = Prng.fromSeed(5);
  book!: BookAnnouncement;

  constructor(algorithm: LogAlgorithmName) {
    this.open('host', 'host');
    for (const id of STUDENTS) this.open(id, 'student');
    this.clock.advance(50);
    const book = this.host.startBook(algorithm, 'orders');
    if (typeof book === 'string') throw new Error(book);
    this.book = book;
    this.until(() => this.leader() !== undefined, 30_000, 'a leader');
  }

  open(id: PeerId, role: PeerRole): Classroom {
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const classroom = new Classroom({
      transport,
      role,
      store: new MemoryStore(),
      clock: this.clock,
      random: () => this.prng.float(),
      algorithms: ALGORITHMS,
      logAlgorithms: LOG_ALGORITHMS,
    });
    this.tabs.set(id, classroom);
    return classroom;
  }

  get host(): Classroom {
    return this.tabs.get('host') as Classroom;
  }

  tab(id: PeerId): Classroom {
    return this.tabs.get(id) as Classroom;
  }

  until(done: () => boolean, limitMs: number, what: string): void {
    for (let t = 0; t <= limitMs; t += 50) {
      if (done()) return;
      this.clock.advance(50);
    }
    throw new Error(`${what} not reached within ${limitMs} ms`);
  }

  leader(among: readonly PeerId[] = STUDENTS): PeerId | undefined {
    const leaders = among.filter((id) => this.tab(id).logNode(this.book.id)?.logView().role === 'leader');
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  /** Every replica's (role, epoch) as text: an election changes it. */
  roles(among: readonly PeerId[] = STUDENTS): string {
    return among.map((id) => {
      const view = this.tab(id).logNode(this.book.id)?.logView();
      return `${id}:${view?.role}:${JSON.stringify(view?.epoch)}`;
    }).join(' ');
  }

  orders(id: PeerId): string[] {
    return Object.keys((this.tab(id).logNode(this.book.id)?.state as OrderBook | undefined)?.orders ?? {});
  }

  rules(over: Partial<AdversaryRules>): void {
    this.host.setAdversary({ ...NO_ADVERSARY, ...over });
    this.clock.advance(20);
  }

  held(at: PeerId) {
    return this.host.heldAt(this.book.id, at)?.entries ?? [];
  }

  close(): void {
    for (const tab of this.tabs.values()) tab.close();
  }
}

let room: Room | undefined;
afterEach(() => {
  room?.close();
  room = undefined;
});

describe.each(SAFE)('the adversary on a live %s book', (algorithm) => {
  it('pause freezes every clock and holds every message; the held command is listed; resume commits it', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    const follower = STUDENTS.find((id) => id !== leader) as PeerId;
    r.rules({ paused: true });
    const before = r.roles();
    const countdown = r.tab(follower).logNode(r.book.id)?.logView();
    expect(countdown).toBeDefined();
    // A command submitted at a follower while the class talks: forwarded, and held at the leader.
    expect(r.tab(follower).submit(r.book.id, { op: 'place', order: 'P', item: 'mug' })).toBeUndefined();
    // Far longer than any election timeout: nothing fires, nothing commits.
    r.clock.advance(30_000);
    expect(r.roles()).toBe(before);
    for (const id of STUDENTS) expect(r.orders(id)).toEqual([]);
    const atLeader = r.held(leader);
    expect(atLeader.some((e) => e.from === follower && e.kind === 'forward' && e.value === 'place P (mug)')).toBe(true);
    // Resume: the held forward reaches the leader, the command commits everywhere, no election.
    r.rules({ paused: false });
    r.until(() => STUDENTS.every((id) => r.orders(id).includes('P')), 10_000, 'P committed everywhere');
    expect(r.roles()).toBe(before);
    r.clock.advance(REPORTED_MS);
    expect(STUDENTS.every((id) => r.held(id).length === 0)).toBe(true);
  });

  it('election timers resume where they stood: the countdown does not run while paused', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    const follower = STUDENTS.find((id) => id !== leader) as PeerId;
    r.rules({ paused: true });
    r.clock.advance(REPORTED_MS);
    const electionIn = () => r.host.bookDashboard?.record(r.book.id)?.members.get(follower)?.log.electionInMs;
    const frozen = electionIn();
    expect(frozen).toBeGreaterThan(0);
    // Force a fresh report while paused: it still says the same time left.
    r.host.setAdversary({ ...NO_ADVERSARY, paused: true, holdTo: [follower] });
    r.clock.advance(5_000);
    r.tab(follower).logNode(r.book.id)?.reportFull();
    r.clock.advance(REPORTED_MS);
    expect(electionIn()).toBe(frozen);
  });

  it('hold at one follower: its messages wait, retransmissions merge, deliver / drop / duplicate / step act on them', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    const follower = STUDENTS.find((id) => id !== leader) as PeerId;
    r.rules({ holdTo: [follower] });
    r.tab(leader).submit(r.book.id, { op: 'place', order: 'H', item: 'lamp' });
    // The others commit without the held follower (a majority is four of five).
    r.until(() => STUDENTS.filter((id) => id !== follower).every((id) => r.orders(id).includes('H')), 10_000, 'H committed by the majority');
    r.clock.advance(5_000);
    expect(r.orders(follower)).toEqual([]);
    const held = r.held(follower);
    expect(held.length).toBeGreaterThan(0);
    // Bounded by distinct messages, not by time: equal retransmissions are one entry.
    // A retransmission (the leader's repeated append or accept) merges into its entry: copies, not rows.
    expect(held.some((e) => e.copies > 1)).toBe(true);
    expect(held.length).toBeLessThan(MAX_HELD_PER_NODE);
    // The held list says what each message carries: the command, not only its kind.
    expect(held.some((e) => e.value === 'place H (lamp)')).toBe(true);
    const first = held[0]!;
    r.host.control(r.book.id, follower, { do: 'duplicate', entry: first.entry });
    r.clock.advance(REPORTED_MS);
    expect(r.held(follower).some((e) => e.entry === first.entry)).toBe(true);
    r.host.control(r.book.id, follower, { do: 'drop', entry: first.entry });
    r.clock.advance(REPORTED_MS);
    expect(r.held(follower).some((e) => e.entry === first.entry)).toBe(false);
    // Step through everything held until the follower has caught up.
    r.until(
      () => {
        r.host.control(r.book.id, follower, { do: 'step' });
        return r.orders(follower).includes('H');
      },
      20_000,
      'the held follower catching up by steps',
    );
  });

  it('crash and restart from the dashboard: the others elect, the restarted replica catches up from its storage', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    r.tab(leader).submit(r.book.id, { op: 'place', order: 'A', item: 'book' });
    r.until(() => STUDENTS.every((id) => r.orders(id).includes('A')), 10_000, 'A everywhere');
    r.host.control(r.book.id, leader, { do: 'crash' });
    r.clock.advance(REPORTED_MS);
    expect(r.tab(leader).logNode(r.book.id)).toBeUndefined();
    expect(r.tab(leader).crashedByTeacherIn(r.book.id)).toBe(true);
    expect(r.host.liveness(leader)).toBe('crashed');
    const others = STUDENTS.filter((id) => id !== leader);
    r.until(() => r.leader(others) !== undefined, 30_000, 'a new leader');
    r.tab(others[0] as PeerId).submit(r.book.id, { op: 'place', order: 'B', item: 'mug' });
    r.until(() => others.every((id) => r.orders(id).includes('B')), 20_000, 'B on the survivors');
    r.host.control(r.book.id, leader, { do: 'restart' });
    r.clock.advance(REPORTED_MS);
    expect(r.tab(leader).crashedByTeacherIn(r.book.id)).toBe(false);
    expect(r.host.liveness(leader)).toBe('up');
    r.until(() => r.orders(leader).includes('A') && r.orders(leader).includes('B'), 30_000, 'the restarted replica catching up');
  });

  it('a partition stops the minority from committing; healing lets it learn', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    const others = STUDENTS.filter((id) => id !== leader);
    const minority = [leader, others[0] as PeerId];
    const majority = others.slice(1);
    r.rules({ groups: [minority, majority] });
    r.tab(leader).submit(r.book.id, { op: 'place', order: 'M', item: 'mug' });
    r.until(() => r.leader(majority) !== undefined, 30_000, 'a leader in the majority');
    r.clock.advance(5_000);
    expect(r.orders(leader)).not.toContain('M');
    r.rules({ groups: [] });
    r.until(() => STUDENTS.every((id) => r.orders(id).length === r.orders(majority[0] as PeerId).length), 30_000, 'everyone agreeing again');
    r.clock.advance(REPORTED_MS);
    expect(r.host.heldAt(r.book.id, leader)?.lost ?? 0).toBeGreaterThan(0);
  });

  it('the teacher’s screen gone: held messages are released, clocks thaw, the held command commits', () => {
    const r = (room = new Room(algorithm));
    const leader = r.leader() as PeerId;
    r.rules({ paused: true });
    r.tab(leader).submit(r.book.id, { op: 'place', order: 'G', item: 'mug' });
    r.clock.advance(1_000);
    r.host.close();
    r.network.kill('host');
    r.tabs.delete('host');
    r.clock.advance(TEACHER_GONE_RELEASE_MS - 500);
    expect(STUDENTS.some((id) => r.orders(id).includes('G'))).toBe(false);
    r.until(() => STUDENTS.every((id) => r.orders(id).includes('G')), TEACHER_GONE_RELEASE_MS + 10_000, 'G committed after the release');
    expect(r.tab(leader).releasedForTeacherGoneAt).toBeDefined();
  });
});
