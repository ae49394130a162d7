/**
 * The network adversary in a live room: five students' Classrooms and the teacher's dashboard
 * over the in-memory transport, on fake time (the same Classroom, LiveNode and machines a
 * browser runs). Holds, pause, partitions, crashes from the dashboard, the teacher's screen
 * going away, and every demonstration preset run live.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NO_ADVERSARY, type AdversaryRules } from '../../../src/classroom/adversary.ts';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { runLivePreset, type PresetProgress } from '../../../src/classroom/live-presets.ts';
import { PRESET_NAMES, PRESETS, type PresetName } from '../../../src/classroom/presets.ts';
import { parseClassroomMessage, type ClassroomMessage, type DecisionAnnouncement } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import { REPORT_FRAME_FALLBACK_MS, TEACHER_GONE_RELEASE_MS } from '../../../src/limits.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from './fake-clock.ts';

const STUDENTS = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
/** Longer than one coalesced report (REPORT_FRAME_FALLBACK_MS without animation frames) plus the trip. */
const REPORTED_MS = REPORT_FRAME_FALLBACK_MS + 50;

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 1 });
  readonly tabs = new Map<PeerId, Classroom>();
  private readonly prng = Prng.fromSeed(11);

  constructor() {
    this.open('host', 'host');
    for (const id of STUDENTS) this.open(id, 'student');
    this.clock.advance(50);
  }

  open(id: PeerId, role: PeerRole): Classroom {
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const classroom = new Classroom({ transport, role, store: new MemoryStore(), clock: this.clock, random: () => this.prng.float(), algorithms: ALGORITHMS });
    this.tabs.set(id, classroom);
    return classroom;
  }

  get host(): Classroom {
    return this.tabs.get('host')!;
  }

  tab(id: PeerId): Classroom {
    return this.tabs.get(id)!;
  }

  start(algorithm: AlgorithmName): DecisionAnnouncement {
    const decision = this.host.startDecision(algorithm, 'colors');
    if (typeof decision === 'string') throw new Error(decision);
    this.clock.advance(20);
    return decision;
  }

  decided(decision: DecisionAnnouncement, id: PeerId): string | undefined {
    return this.tab(id).node(decision.id)?.view().decided;
  }

  /** Every value any member decided, as the dashboard's record has it. */
  dashboardValues(decision: DecisionAnnouncement): string[] {
    const record = this.host.dashboard?.decision(decision.id);
    return [...new Set([...(record?.members.values() ?? [])].flatMap((m) => m.decidedValues))].sort();
  }

  rules(over: Partial<AdversaryRules>): void {
    this.host.setAdversary({ ...NO_ADVERSARY, ...over });
    this.clock.advance(20);
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

describe('the network adversary in a live room', () => {
  it('pause holds every message and freezes every timer; resume carries on where it stood', () => {
    const r = (room = new Room());
    const decision = r.start('paxos');
    r.rules({ paused: true });
    r.tab('n1').propose(decision.id, 'red');
    r.clock.advance(60_000); // far past every retransmission and phase timeout
    for (const id of STUDENTS) expect(r.decided(decision, id)).toBeUndefined();
    // n1's prepare is held at each receiver, once: a frozen clock sends no retransmission.
    const atN2 = r.host.heldAt(decision.id, 'n2');
    expect(atN2?.entries.map((e) => [e.from, e.kind, e.copies])).toEqual([['n1', 'prepare', 1]]);
    r.rules({ paused: false });
    r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) === 'red'), 10_000);
  });

  it('lists held messages by receiver with sender, kind and value; deliver, drop and duplicate in any order', () => {
    const r = (room = new Room());
    const decision = r.start('majority');
    r.rules({ holdTo: ['n5'] });
    r.tab('n1').propose(decision.id, 'red');
    r.tab('n2').propose(decision.id, 'blue');
    r.clock.advance(100);
    const held = r.host.heldAt(decision.id, 'n5')!.entries;
    const candidates = held.filter((e) => e.kind === 'candidate').map((e) => [e.from, e.value]);
    expect(candidates).toEqual(expect.arrayContaining([['n1', 'red'], ['n2', 'blue']]));
    const blue = held.find((e) => e.kind === 'candidate' && e.value === 'blue')!;
    const red = held.find((e) => e.kind === 'candidate' && e.value === 'red')!;
    r.host.control(decision.id, 'n5', { do: 'drop', entry: red.entry });
    r.host.control(decision.id, 'n5', { do: 'duplicate', entry: blue.entry });
    r.clock.advance(REPORTED_MS);
    expect(r.tab('n5').node(decision.id)?.view().fields.find((f) => /vote/i.test(f.label))?.value ?? 'blue').toContain('blue');
    const after = r.host.heldAt(decision.id, 'n5')!.entries;
    expect(after.some((e) => e.entry === red.entry)).toBe(false); // dropped
    expect(after.some((e) => e.entry === blue.entry)).toBe(true); // duplicated: still held
    // Step (oldest held in the room): everything held is at n5, the oldest first.
    const oldest = r.host.oldestHeld(decision.id);
    expect(oldest?.at).toBe('n5');
    expect(oldest?.entry).toBe(r.host.heldAt(decision.id, 'n5')!.entries[0]!.entry);
    r.host.control(decision.id, 'n5', { do: 'step' });
    r.clock.advance(REPORTED_MS);
    expect(r.host.heldAt(decision.id, 'n5')!.entries.some((e) => e.entry === blue.entry)).toBe(false);
  });

  it('a partition leaving a minority stops the minority deciding Paxos; healing lets it learn', () => {
    const r = (room = new Room());
    const decision = r.start('paxos');
    r.rules({ groups: [['n1', 'n2', 'n3'], ['n4', 'n5']] });
    r.tab('n4').propose(decision.id, 'blue'); // the minority's proposer
    r.tab('n1').propose(decision.id, 'red');
    r.clock.advanceUntil(() => ['n1', 'n2', 'n3'].every((id) => r.decided(decision, id) === 'red'), 20_000);
    r.clock.advance(30_000);
    expect(r.decided(decision, 'n4')).toBeUndefined();
    expect(r.decided(decision, 'n5')).toBeUndefined();
    expect(r.host.heldAt(decision.id, 'n4')?.lost ?? 0).toBeGreaterThan(0);
    r.rules({});
    r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) === 'red'), 20_000);
  });

  it('crashes a node from the dashboard (memory gone, storage kept) and restarts it from storage', () => {
    const r = (room = new Room());
    const decision = r.start('paxos');
    r.tab('n1').propose(decision.id, 'red');
    r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) === 'red'), 10_000);
    r.host.control(decision.id, 'n3', { do: 'crash' });
    r.clock.advance(REPORTED_MS);
    expect(r.tab('n3').node(decision.id)).toBeUndefined();
    expect(r.tab('n3').crashedByTeacherIn(decision.id)).toBe(true);
    expect(r.host.liveness('n3')).toBe('crashed');
    r.host.control(decision.id, 'n3', { do: 'restart' });
    r.clock.advance(REPORTED_MS);
    expect(r.host.liveness('n3')).toBe('up');
    // Restarted from what it persisted: it still knows it decided red.
    expect(r.decided(decision, 'n3')).toBe('red');
  });

  it('releases held messages when the teacher’s screen is gone for more than a few seconds, and the phone says so', () => {
    const r = (room = new Room());
    const decision = r.start('paxos');
    r.rules({ paused: true });
    r.tab('n1').propose(decision.id, 'red');
    r.clock.advance(100);
    r.host.close();
    r.network.kill('host');
    r.tabs.delete('host');
    r.clock.advance(TEACHER_GONE_RELEASE_MS - 500);
    expect(r.tab('n2').releasedForTeacherGoneAt).toBeUndefined();
    r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) === 'red'), TEACHER_GONE_RELEASE_MS + 10_000);
    expect(r.tab('n2').releasedForTeacherGoneAt).toBeDefined();
  });

  it('refuses adversary rules and controls from anyone but a teacher’s screen', () => {
    const r = (room = new Room());
    const decision = r.start('paxos');
    // n2 (a student) tries to pause n3 and crash its node.
    const forged = r.tab('n2') as unknown as { options: { transport: { send(to: string, m: ClassroomMessage): void } } };
    forged.options.transport.send('n3', { type: 'adversary', rules: { ...NO_ADVERSARY, paused: true } });
    forged.options.transport.send('n3', { type: 'control', decision: decision.id, control: { do: 'crash' } });
    r.clock.advance(50);
    expect(r.tab('n3').node(decision.id)).toBeDefined();
    expect(r.tab('n3').crashedByTeacherIn(decision.id)).toBe(false);
    r.tab('n1').propose(decision.id, 'red');
    r.clock.advanceUntil(() => r.decided(decision, 'n3') === 'red', 10_000);
  });
});

describe('every demonstration preset, live', () => {
  const NEVER_MS = 60_000;
  for (const name of PRESET_NAMES) {
    it(`${name} reaches "${PRESETS[name].outcome.kind}"`, () => {
      const r = (room = new Room());
      const decision = r.start(PRESETS[name].algorithm);
      let progress: PresetProgress | undefined;
      runLivePreset(r.host, decision, name as PresetName, r.clock, (p) => (progress = p));
      r.clock.advanceUntil(() => progress?.state !== 'running', 60_000);
      expect(progress).toMatchObject({ state: 'done' });
      const outcome = PRESETS[name].outcome;
      switch (outcome.kind) {
        case 'staged':
          return;
        case 'no-decision':
          r.clock.advance(NEVER_MS);
          expect(r.dashboardValues(decision)).toEqual([]);
          return;
        case 'disagreement':
          r.clock.advanceUntil(() => r.dashboardValues(decision).length > 1, NEVER_MS);
          return;
        case 'decided':
          r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) !== undefined), NEVER_MS);
          r.clock.advance(50);
          expect(r.dashboardValues(decision)).toEqual([outcome.value]);
          return;
        case 'decided-after-duel':
          r.clock.advanceUntil(() => STUDENTS.every((id) => r.decided(decision, id) !== undefined), NEVER_MS);
          r.clock.advance(50);
          expect(r.dashboardValues(decision)).toHaveLength(1);
          return;
      }
    });
  }
});
