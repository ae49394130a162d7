/**
 * The live log algorithms' timers: scaled with the room (as the write-once retransmits are) and
 * with the teacher's message delay, which a book fixes when it starts, so a replica's election
 * timeout is never shorter than the delay its own messages take, whatever the slider does later
 * and whichever tab reopens.
 */
import { describe, expect, it } from 'vitest';
import { Classroom, liveLogTiming, liveTiming } from '../../../src/classroom/classroom.ts';
import { parseBookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { OrderBook } from '../../../src/core/order-book.ts';
import { Prng } from '../../../src/core/prng.ts';
import { LIVE_RETRANSMIT_MS_PER_MEMBER, MAX_MESSAGE_DELAY_MS, RAFT_HEARTBEATS_PER_TIMEOUT } from '../../../src/limits.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { LOG_ALGORITHM_NAMES } from '../../../src/machines/spec.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from './fake-clock.ts';

const SAFE = LOG_ALGORITHM_NAMES.filter((name) => !LOG_ALGORITHMS[name].broken);
const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('liveLogTiming', () => {
  it('scales the retransmits with the room exactly as the write-once algorithms do, and the election timeout too', () => {
    for (const delay of [0, 250, MAX_MESSAGE_DELAY_MS]) {
      for (const members of [1, 5, 40]) {
        const log = liveLogTiming(delay, members);
        const once = liveTiming(delay, members);
        expect(log.retransmitMs).toBe(once.retransmitMs);
        expect(log.backoffMs).toBe(once.backoffMs);
        expect(log.phaseTimeoutMs).toBe(once.phaseTimeoutMs);
      }
    }
    const small = liveLogTiming(0, 5).electionTimeoutMs as number;
    const big = liveLogTiming(0, 40).electionTimeoutMs as number;
    expect(big - small).toBe(35 * LIVE_RETRANSMIT_MS_PER_MEMBER);
    expect((liveLogTiming(1_000, 5).electionTimeoutMs as number) - small).toBe(4_000);
  });

  it('keeps every election timeout above a round trip and above a heartbeat period plus a delivery', () => {
    for (let delay = 0; delay <= MAX_MESSAGE_DELAY_MS; delay += 250) {
      for (const members of [1, 3, 5, 12, 40]) {
        const base = liveLogTiming(delay, members).electionTimeoutMs as number;
        const heartbeat = Math.floor(base / RAFT_HEARTBEATS_PER_TIMEOUT);
        expect(2 * delay, `delay ${delay}, ${members} members`).toBeLessThan(base);
        expect(heartbeat + delay, `delay ${delay}, ${members} members`).toBeLessThan(base);
      }
    }
  });
});

describe('a book’s message delay', () => {
  it('is carried by the announcement, bounded, and optional for books announced before it existed', () => {
    const book = { id: 'b1-abc', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: ['n1'], startedAt: 0 };
    expect(parseBookAnnouncement(book)).toEqual(book);
    expect(parseBookAnnouncement({ ...book, messageDelayMs: 500 })?.messageDelayMs).toBe(500);
    expect(parseBookAnnouncement({ ...book, messageDelayMs: MAX_MESSAGE_DELAY_MS + 1 })).toBeUndefined();
    expect(parseBookAnnouncement({ ...book, messageDelayMs: -1 })).toBeUndefined();
    expect(parseBookAnnouncement({ ...book, messageDelayMs: 1.5 })).toBeUndefined();
  });

  describe.each(SAFE)('on %s', (algorithm) => {
    it('stays the one the book started with: the slider moved to 3 s mid-book starts no election and slows nothing', () => {
      const clock = new FakeClock();
      const network = new MemoryNetwork({ clock, delayMs: 2 });
      const prng = Prng.fromSeed(3);
      const tabs = new Map<PeerId, Classroom>();
      const open = (id: PeerId, role: PeerRole) => {
        const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
        const classroom = new Classroom({ transport, role, store: new MemoryStore(), clock, random: () => prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS });
        tabs.set(id, classroom);
      };
      open('host', 'host');
      for (const id of STUDENTS) open(id, 'student');
      clock.advance(50);
      const host = tabs.get('host') as Classroom;
      host.setMessageDelay(100);
      clock.advance(50);
      const book = host.startBook(algorithm, 'orders');
      if (typeof book === 'string') throw new Error(book);
      expect(book.messageDelayMs).toBe(100);
      const view = (id: PeerId) => (tabs.get(id) as Classroom).logNode(book.id)?.logView();
      const roles = () => STUDENTS.map((id) => `${view(id)?.role}:${JSON.stringify(view(id)?.epoch)}`).join(' ');
      const until = (done: () => boolean, what: string) => {
        for (let t = 0; t < 30_000; t += 50) {
          if (done()) return t;
          clock.advance(50);
        }
        throw new Error(`${what} not reached`);
      };
      until(() => STUDENTS.filter((id) => view(id)?.role === 'leader').length === 1, 'a leader');
      clock.advance(2_000);
      const settled = roles();
      host.setMessageDelay(MAX_MESSAGE_DELAY_MS);
      clock.advance(30_000);
      // No replica timed out: messages still take the book's 100 ms, which its timers were made for.
      expect(roles()).toBe(settled);
      (tabs.get('n2') as Classroom).submit(book.id, { op: 'place', order: 'T', item: 'mug' });
      const took = until(() => STUDENTS.every((id) => Object.keys(((tabs.get(id) as Classroom).logNode(book.id)?.state as OrderBook).orders).includes('T')), 'T everywhere');
      expect(took).toBeLessThan(MAX_MESSAGE_DELAY_MS);
      for (const tab of tabs.values()) tab.close();
    });
  });
});
