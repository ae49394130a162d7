/**
 * Issue 7 item 9's "and the register": the teacher's menu offers the register beside the order
 * book for every log algorithm, and a live register book runs: a write at one phone is applied
 * on every replica, and a read answers with it.
 */
import { describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import type { Registers } from '../../../src/core/register.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { LOG_ALGORITHM_NAMES } from '../../../src/machines/spec.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { bookChoices } from '../../../src/ui/book/book-model.ts';
import { FakeClock } from './fake-clock.ts';

const SAFE = LOG_ALGORITHM_NAMES.filter((name) => !LOG_ALGORITHMS[name].broken);

describe('the register in the live room', () => {
  it('is on the teacher’s menu for every log algorithm, beside the order book', () => {
    const keys = bookChoices(LOG_ALGORITHM_NAMES).map((c) => c.key);
    for (const name of LOG_ALGORITHM_NAMES) {
      expect(keys).toContain(`orders:${name}`);
      expect(keys).toContain(`register:${name}`);
    }
  });

  it.each(SAFE)('runs live on %s: a write is applied on every replica and a read answers it', (algorithm) => {
    const clock = new FakeClock();
    const network = new MemoryNetwork({ clock, delayMs: 2 });
    const prng = Prng.fromSeed(8);
    const tabs = new Map<string, Classroom>();
    for (const [id, role] of [['host', 'host'], ['n1', 'student'], ['n2', 'student'], ['n3', 'student']] as const) {
      const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
      tabs.set(id, new Classroom({ transport, role, store: new MemoryStore(), clock, random: () => prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS }));
    }
    clock.advance(50);
    const book = (tabs.get('host') as Classroom).startBook(algorithm, 'register');
    if (typeof book === 'string') throw new Error(book);
    const phones = ['n1', 'n2', 'n3'].map((id) => tabs.get(id) as Classroom);
    const until = (done: () => boolean): void => {
      for (let t = 0; t < 30_000 && !done(); t += 50) clock.advance(50);
      expect(done()).toBe(true);
    };
    until(() => phones.some((p) => p.logNode(book.id)?.logView().role === 'leader'));
    expect(phones[1]!.submit(book.id, { op: 'write', key: 'x', value: 'red' })).toBeUndefined();
    until(() => phones.every((p) => (p.logNode(book.id)?.state as Registers).values.x === 'red'));
    expect(phones[2]!.submit(book.id, { op: 'read', key: 'x' })).toBeUndefined();
    until(() => phones[2]!.logNode(book.id)?.myCommands.at(-1)?.answer !== undefined);
    expect(phones[2]!.logNode(book.id)?.myCommands.at(-1)?.answer).toMatch(/red/);
    for (const tab of tabs.values()) tab.close();
  });
});
