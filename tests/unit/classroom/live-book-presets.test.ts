/**
 * The order-book presets run by the teacher's dashboard in a live room: five students' tabs run
 * real replicas over the in-memory transport on fake time, the dashboard drives the steps
 * through the adversary's controls (partitions, crashes, restarts, commands submitted at a
 * replica) and waits on the members' reports, then on the outcome the live checker shows.
 */
import { describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import type { BookPresetName } from '../../../src/classroom/book-presets.ts';
import { runLiveBookPreset } from '../../../src/classroom/live-book-presets.ts';
import type { PresetProgress } from '../../../src/classroom/live-presets.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import type { OrderBook } from '../../../src/core/order-book.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import type { LogAlgorithmName } from '../../../src/machines/spec.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { FakeClock } from './fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'];

function room(algorithm: LogAlgorithmName, seed: number) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, delayMs: 2 });
  const prng = Prng.fromSeed(seed);
  const tabs = new Map<string, Classroom>();
  for (const id of ['host', ...STUDENTS]) {
    const role = id === 'host' ? 'host' : 'student';
    const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    tabs.set(id, new Classroom({ transport, role, store: new MemoryStore(), clock, random: () => prng.float(), algorithms: ALGORITHMS, logAlgorithms: LOG_ALGORITHMS }));
  }
  clock.advance(50);
  const host = tabs.get('host')!;
  const book = host.startBook(algorithm, 'orders');
  if (typeof book === 'string') throw new Error(book);
  return { clock, host, tabs, book };
}

function run(name: BookPresetName, algorithm: LogAlgorithmName, seed: number) {
  const r = room(algorithm, seed);
  let progress: PresetProgress | undefined;
  runLiveBookPreset(r.host, r.book, name, LogRunJudge, r.clock, (p) => (progress = p));
  for (let t = 0; t < 240_000 && (progress === undefined || progress.state === 'running'); t += 50) r.clock.advance(50);
  const orders = (id: string) => (r.tabs.get(id)?.logNode(r.book.id)?.state as OrderBook | undefined)?.orders;
  for (const tab of r.tabs.values()) tab.close();
  return { progress, orders, r };
}

describe('order-book presets in a live room', () => {
  it.each([
    ['book-ship-or-cancel', 'raft'],
    ['book-leader-crash', 'multipaxos'],
    ['book-partition', 'raft'],
  ] as const)('%s on %s reaches its outcome, every replica with the same book', { timeout: 60_000 }, (name, algorithm) => {
    const { progress, r } = run(name, algorithm, 3);
    expect(progress?.state, JSON.stringify(progress)).toBe('done');
    const check = r.host.bookDashboard?.check(r.book.id, LogRunJudge);
    expect(check?.violations).toEqual([]);
    expect(check?.divergent).toEqual([]);
  });

  it('book-figure-8 on raft-no-term-rule: the projector’s checker reports state-machine safety broken', { timeout: 60_000 }, () => {
    const { progress, r } = run('book-figure-8', 'raft-no-term-rule', 4);
    expect(progress?.state, JSON.stringify(progress)).toBe('done');
    expect(r.host.bookDashboard?.check(r.book.id, LogRunJudge)?.violations.map((v) => v.property)).toContain('state-machine-safety');
  });

  it.each([
    ['book-forgotten-vote', 'raft-forgets-vote', 'election-safety'],
    ['book-no-adopt', 'multipaxos-no-adopt', 'state-machine-safety'],
  ] as const)('%s on %s: the projector’s checker reports %s broken', { timeout: 60_000 }, (name, algorithm, property) => {
    const { progress, r } = run(name, algorithm, 4);
    expect(progress?.state, JSON.stringify(progress)).toBe('done');
    expect(r.host.bookDashboard?.check(r.book.id, LogRunJudge)?.violations.map((v) => v.property)).toContain(property);
  });

  it('refuses a preset on an algorithm it does not show', () => {
    const r = room('raft', 1);
    let progress: PresetProgress | undefined;
    runLiveBookPreset(r.host, r.book, 'book-figure-8', LogRunJudge, r.clock, (p) => (progress = p));
    expect(progress).toMatchObject({ state: 'failed', why: expect.stringMatching(/runs raft-no-term-rule/) });
    for (const tab of r.tabs.values()) tab.close();
  });
});
