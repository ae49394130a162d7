/**
 * The live space-time diagram rebuilt from real reports: a room of Classrooms over the in-memory
 * transport on fake time (the same LiveNode and machines a browser runs), the dashboard's
 * LiveTimeline grown per report, and every node's state replayed with the pure machines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage, type DecisionAnnouncement, type NodeReport } from '../../../src/classroom/protocol.ts';
import { sameView } from '../../../src/classroom/report-buffer.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS, getAlgorithm } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { LiveTimeline, ReportFeed, type ReplayedNode } from '../../../src/timeline/live.ts';
import { parseTraceFile, timelineOfTrace } from '../../../src/timeline/trace-file.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { FakeClock } from '../classroom/fake-clock.ts';

interface Tab {
  readonly transport: MemoryTransport<ClassroomMessage>;
  readonly classroom: Classroom;
  readonly store: MemoryStore;
}

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 1 });
  readonly tabs = new Map<PeerId, Tab>();
  private readonly prng = Prng.fromSeed(11);

  constructor(students: readonly PeerId[]) {
    this.open('host', 'host');
    for (const id of students) this.open(id, 'student');
    this.clock.advance(50);
  }

  open(id: PeerId, role: PeerRole, store = new MemoryStore()): Tab {
    const transport = this.network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const classroom = new Classroom({ transport, role, store, clock: this.clock, random: () => this.prng.float(), algorithms: ALGORITHMS });
    const tab = { transport, classroom, store };
    this.tabs.set(id, tab);
    return tab;
  }

  crash(id: PeerId): Tab {
    const tab = this.tabs.get(id)!;
    tab.classroom.close();
    this.network.kill(id);
    this.tabs.delete(id);
    return tab;
  }

  get host(): Classroom {
    return this.tabs.get('host')!.classroom;
  }

  start(algorithm: AlgorithmName): DecisionAnnouncement {
    const decision = this.host.startDecision(algorithm, 'colors');
    if (typeof decision === 'string') throw new Error(decision);
    this.clock.advance(20);
    return decision;
  }

  decided(decision: DecisionAnnouncement, id: PeerId): string | undefined {
    return this.tabs.get(id)?.classroom.node(decision.id)?.view().decided;
  }

  close(): void {
    for (const tab of this.tabs.values()) {
      tab.classroom.close();
      tab.transport.close();
    }
  }
}

let room: Room | undefined;
afterEach(() => {
  room?.close();
  room = undefined;
});

function viewOf(state: ReplayedNode | undefined) {
  if (state?.kind !== 'view') throw new Error(`no replayed view: ${JSON.stringify(state)}`);
  return state.view;
}

/** Runs a 5-member decision of `algorithm` to its end and returns the room and the decision. */
function decide(algorithm: AlgorithmName, proposals: readonly [PeerId, string][]): { r: Room; decision: DecisionAnnouncement } {
  const r = new Room(['n1', 'n2', 'n3', 'n4', 'n5']);
  room = r;
  const decision = r.start(algorithm);
  for (const [id, value] of proposals) r.tabs.get(id)!.classroom.propose(decision.id, value);
  r.clock.advanceUntil(() => decision.members.every((m) => r.decided(decision, m) !== undefined), 30_000);
  r.clock.advance(200); // the last reports reach the dashboard
  return { r, decision };
}

/** The dashboard's diagram: its reports as received, in that order (what the live page reads). */
function liveTimelineOf(r: Room, decision: DecisionAnnouncement): LiveTimeline {
  return new ReportFeed(decision.members, getAlgorithm(decision.algorithm)).catchUp(r.host.dashboard!.reports(decision.id)!);
}

function exported(r: Room, decision: DecisionAnnouncement): { node: PeerId; report: NodeReport; atMs: number }[] {
  const trace = r.host.dashboard!.exportTrace(decision.id) as { entries: { node: PeerId; report: NodeReport; atMs: number }[] };
  return JSON.parse(JSON.stringify(trace.entries)) as { node: PeerId; report: NodeReport; atMs: number }[];
}

describe('live space-time diagram', () => {
  it('joins every receive to its send and replays every node to the state it reported', () => {
    const { r, decision } = decide('paxos', [
      ['n1', 'blue'],
      ['n4', 'green'],
    ]);
    const timeline = liveTimelineOf(r, decision);
    const data = timeline.timeline;
    expect(data.nodes).toEqual(decision.members);
    expect(data.messages.length).toBeGreaterThan(20);
    // Every message a live node received is drawn as received, after it was sent (never backwards).
    const received = data.messages.filter((m) => m.fate.kind === 'received');
    expect(received.length).toBeGreaterThan(data.messages.length / 2);
    for (const m of received) expect(m.fate.kind === 'received' && m.fate.step > m.step).toBe(true);
    // Sorted, so the per-frame window can binary-search it.
    expect([...data.messageSteps].sort((a, b) => a - b)).toEqual(data.messageSteps);
    expect(data.points.some((p) => p.kind === 'decide')).toBe(true);
    expect(data.points.filter((p) => p.kind === 'propose').map((p) => p.value).sort()).toEqual(['blue', 'green']);

    // Scrubbed to the end: every node's replayed state is exactly what it shows live.
    const end = timeline.statesAt(data.lastStep);
    for (const m of decision.members) {
      const live = r.tabs.get(m)!.classroom.node(decision.id)!.view();
      expect(sameView(viewOf(end.get(m)), live)).toBe(true);
    }
    // Scrubbed to the start: nobody has decided, and every node is in its machine's first state.
    const start = timeline.statesAt(0);
    for (const m of decision.members) expect(viewOf(start.get(m)).decided).toBeUndefined();
    expect(timeline.disagreements().size).toBe(0);
    // Back and forth: a step in the middle reads the same twice (views are kept, not recomputed).
    const middle = Math.floor(data.lastStep / 2);
    const once = timeline.statesAt(middle);
    timeline.statesAt(data.lastStep);
    const twice = timeline.statesAt(middle);
    for (const m of decision.members) expect(twice.get(m)).toEqual(once.get(m));
  });

  it('rebuilds the same diagram whatever order the members reports arrived in (receivers before senders)', () => {
    const { r, decision } = decide('majority', [
      ['n1', 'red'],
      ['n2', 'blue'],
      ['n3', 'red'],
    ]);
    const entries = exported(r, decision);
    // Each member's reports stay in order, but whole members come in reverse: every receive of a
    // message from a lower-numbered member arrives before the report of its send.
    const reordered = [...decision.members].reverse().flatMap((m) => entries.filter((e) => e.node === m));
    const timeline = new LiveTimeline(decision.members, getAlgorithm(decision.algorithm));
    for (const e of reordered) timeline.add(e.node, e.report, e.atMs);
    timeline.finish();
    const data = timeline.timeline;
    const live = liveTimelineOf(r, decision).timeline;
    expect(data.messages.length).toBe(live.messages.length);
    expect(data.messages.filter((m) => m.fate.kind === 'received').length).toBe(live.messages.filter((m) => m.fate.kind === 'received').length);
    for (const m of data.messages) if (m.fate.kind === 'received') expect(m.fate.step).toBeGreaterThan(m.step);
    const end = timeline.statesAt(data.lastStep);
    for (const m of decision.members) {
      expect(sameView(viewOf(end.get(m)), r.tabs.get(m)!.classroom.node(decision.id)!.view())).toBe(true);
    }
  });

  it('marks a crash and a restart on the lane, and replays the restarted incarnation from its stored state', () => {
    const r = new Room(['n1', 'n2', 'n3']);
    room = r;
    r.host.setMessageDelay(1_000);
    r.clock.advance(20);
    const decision = r.start('paxos');
    r.tabs.get('n1')!.classroom.propose(decision.id, 'red');
    const promised = (): string | undefined =>
      r.tabs.get('n3')?.classroom.node(decision.id)?.view().fields.find((f) => f.label === 'promised')?.value;
    r.clock.advanceUntil(() => promised() !== undefined && promised() !== '—', 5_000);
    const { store } = r.crash('n3');
    r.clock.advance(200);
    r.open('n3', 'student', store);
    r.clock.advanceUntil(() => decision.members.every((m) => r.decided(decision, m) !== undefined), 60_000);
    r.clock.advance(2_500);

    const timeline = liveTimelineOf(r, decision);
    const data = timeline.timeline;
    const crash = data.points.find((p) => p.node === 'n3' && p.kind === 'crash');
    const restart = data.points.find((p) => p.node === 'n3' && p.kind === 'restart');
    expect(crash && restart && crash.step < restart.step).toBe(true);
    expect(timeline.stateAt('n3', crash!.step)).toEqual({ kind: 'crashed' });
    const end = timeline.statesAt(data.lastStep);
    for (const m of decision.members) {
      expect(sameView(viewOf(end.get(m)), r.tabs.get(m)!.classroom.node(decision.id)!.view())).toBe(true);
    }
    expect(timeline.disagreements().size).toBe(0);
  });

  it('says why a node cannot be replayed instead of inventing its state', () => {
    const { r, decision } = decide('majority', [['n1', 'red']]);
    const entries = exported(r, decision);
    // n2's first report is lost: its incarnation cannot be replayed from its start.
    const firstOfN2 = entries.findIndex((e) => e.node === 'n2');
    const timeline = new LiveTimeline(decision.members, getAlgorithm(decision.algorithm));
    entries.forEach((e, i) => i !== firstOfN2 && timeline.add(e.node, e.report, e.atMs));
    timeline.finish();
    const state = timeline.stateAt('n2', timeline.timeline.lastStep);
    expect(state.kind).toBe('unavailable');
    expect(state.kind === 'unavailable' && state.why).toMatch(/never arrived/);
    // A tampered input (a vote for red reported as received for green): the replay disagrees
    // with what the node reported it did, and says so instead of showing a state it never had.
    const tampered = new LiveTimeline(decision.members, getAlgorithm(decision.algorithm));
    const forged = entries.map((e) => ({
      ...e,
      report: {
        ...e.report,
        steps: e.report.steps.map((s) =>
          s.cause.kind === 'receive' && (s.cause.message as { value?: string } | undefined)?.value === 'red'
            ? { ...s, cause: { ...s.cause, message: { ...(s.cause.message as object), value: 'green' } } }
            : s,
        ),
      },
    }));
    for (const e of forged) tampered.add(e.node, e.report, e.atMs);
    tampered.finish();
    const states = tampered.statesAt(tampered.timeline.lastStep);
    expect([...states.values()].some((s) => s.kind === 'unavailable')).toBe(true);
    // A machine that throws on what a report claims makes that node unavailable, not the page.
    const throwing = { ...getAlgorithm(decision.algorithm), parseMessage: (): never => { throw new Error('boom'); } };
    const fragile = new LiveTimeline(decision.members, throwing);
    for (const e of entries) fragile.add(e.node, e.report, e.atMs);
    fragile.finish();
    const failed = [...fragile.statesAt(fragile.timeline.lastStep).values()].filter((s) => s.kind === 'unavailable');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.some((s) => s.kind === 'unavailable' && /failed \(boom\)/.test(s.why))).toBe(true);
  });
});

describe('crash marks for tabs closed for good', () => {
  it('draws a tab the dashboard judges crashed as crashed from then on, and takes the mark back if it reports again', () => {
    const r = new Room(['n1', 'n2', 'n3']);
    room = r;
    const decision = r.start('paxos');
    r.tabs.get('n1')!.classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decided(decision, m) !== undefined), 10_000);
    r.clock.advance(200);
    r.crash('n3'); // closed for good: no restart ever comes
    r.clock.advance(200);
    const timeline = liveTimelineOf(r, decision);
    const before = timeline.timeline.lastStep;
    // Without the dashboard's word, nothing in the reports says n3 is gone.
    expect(timeline.timeline.points.some((p) => p.kind === 'crash')).toBe(false);
    expect(timeline.markCrashed('n3', 1_000)).toBe(true);
    expect(timeline.markCrashed('n3', 1_000)).toBe(false); // once
    const crash = timeline.timeline.points.find((p) => p.kind === 'crash');
    expect(crash).toMatchObject({ node: 'n3', step: before + 1 });
    expect(timeline.stateAt('n3', before + 1)).toEqual({ kind: 'crashed' });
    expect(viewOf(timeline.stateAt('n3', before)).decided).toBe('red');
    // The other lanes are untouched.
    expect(timeline.stateAt('n1', before + 1).kind).toBe('view');

    // A mark is the dashboard's judgement: a report of the same incarnation (a frozen tab that
    // came back) takes it back.
    const entries = exported(r, decision).filter((e) => e.node === 'n3');
    const last = entries.at(-1)!;
    const step = last.report.steps.at(-1) ?? { at: 0, cause: { kind: 'start' as const }, sent: [], persisted: false };
    timeline.add('n3', { ...last.report, n: last.report.n + 1, full: false, steps: [{ ...step, sent: [] }] }, 2_000);
    expect(timeline.timeline.points.some((p) => p.kind === 'crash')).toBe(false);
    expect(timeline.stateAt('n3', timeline.timeline.lastStep).kind).not.toBe('crashed');
  });

  it('marks a crashed tab whose steps still wait for a send nobody will report (its sender closed too)', () => {
    const r = new Room(['n1', 'n2', 'n3']);
    room = r;
    const decision = r.start('paxos');
    r.tabs.get('n1')!.classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decided(decision, m) !== undefined), 10_000);
    r.clock.advance(200);
    // The dashboard never heard from n1 (it closed before its reports went out): n3's receives
    // of n1's messages wait for sends that will never be reported.
    const timeline = new ReportFeed(decision.members, getAlgorithm(decision.algorithm)).timeline;
    for (const entry of exported(r, decision)) if (entry.node !== 'n1') timeline.add(entry.node, entry.report, entry.atMs);
    expect(timeline.markCrashed('n3', 9_000)).toBe(true);
    const crash = timeline.timeline.points.find((p) => p.kind === 'crash');
    expect(crash?.node).toBe('n3');
    expect(timeline.stateAt('n3', timeline.timeline.lastStep)).toEqual({ kind: 'crashed' });
  });

  it('a restart after a marked crash adds only its restart mark; an export lists the crashed and its replay draws them', () => {
    const r = new Room(['n1', 'n2', 'n3']);
    room = r;
    const decision = r.start('majority');
    r.tabs.get('n1')!.classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decided(decision, m) !== undefined), 10_000);
    r.clock.advance(200);
    const feed = new ReportFeed(decision.members, getAlgorithm(decision.algorithm));
    feed.catchUp(r.host.dashboard!.reports(decision.id)!);
    const { store } = r.crash('n2');
    r.clock.advance(200);
    feed.catchUp(r.host.dashboard!.reports(decision.id)!);
    expect(feed.timeline.markCrashed('n2', 500)).toBe(true);
    r.open('n2', 'student', store);
    r.tabs.get('n2')!.classroom.propose(decision.id, 'blue'); // its new incarnation takes a step
    r.clock.advance(500);
    const timeline = feed.catchUp(r.host.dashboard!.reports(decision.id)!);
    const marks = timeline.timeline.points.filter((p) => p.node === 'n2' && (p.kind === 'crash' || p.kind === 'restart')).map((p) => p.kind);
    expect(marks).toEqual(['crash', 'restart']);

    // The trace file carries who was crashed when it was saved; the importer draws it.
    const text = JSON.stringify({ ...(r.host.dashboard!.exportTrace(decision.id) as object), crashes: [{ node: 'n3', atMs: 9_999 }] });
    const parsed = parseTraceFile(text);
    if (!parsed.ok) throw new Error(parsed.error);
    const replayed = timelineOfTrace(parsed.trace);
    expect(replayed.timeline.points.filter((p) => p.kind === 'crash').map((p) => p.node).sort()).toEqual(['n2', 'n3']);
    expect(replayed.stateAt('n3', replayed.timeline.lastStep)).toEqual({ kind: 'crashed' });
    const hostile = parseTraceFile(JSON.stringify({ ...(JSON.parse(text) as object), crashes: [{ node: 'mallory', atMs: 1 }] }));
    expect(hostile.ok === false && hostile.error).toMatch(/not a member/);
  });
});
