/**
 * Two to five Classrooms (a teacher's dashboard and students' tabs) over the in-memory
 * transport, on fake time: the same Classroom, LiveNode and algorithm machines a browser runs,
 * with every message encoded, carried and validated as on a real data channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { readStoredNode, storedNodeIds, storeKey } from '../../../src/classroom/node-store.ts';
import { parseClassroomMessage, type ClassroomMessage, type DecisionAnnouncement, type NodeReport } from '../../../src/classroom/protocol.ts';
import type { ScenarioName } from '../../../src/classroom/scenarios.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { EARLY_MESSAGE_WAIT_MS, MAX_DECISION_HISTORY, REPORT_FRAME_FALLBACK_MS } from '../../../src/limits.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { violations } from '../../../src/ui/classroom/model.ts';
import { FakeClock } from './fake-clock.ts';

const NAMES: Readonly<Record<string, string>> = { n1: 'Ann', n2: 'Bob', n3: 'Cat', n4: 'Dan', n5: 'Eve', x9: 'Mallory' };

interface Tab {
  readonly id: PeerId;
  transport: MemoryTransport<ClassroomMessage>;
  classroom: Classroom;
  readonly store: MemoryStore;
}

class Room {
  readonly clock = new FakeClock();
  readonly network = new MemoryNetwork({ clock: this.clock, delayMs: 1 });
  readonly tabs = new Map<PeerId, Tab>();
  private readonly prng = Prng.fromSeed(7);

  open(id: PeerId, role: PeerRole, store = new MemoryStore()): Tab {
    const transport = this.network.createTransport<ClassroomMessage>(id, {
      name: role === 'host' ? 'Teacher' : (NAMES[id] ?? id),
      role,
      parse: parseClassroomMessage,
    });
    const classroom = new Classroom({
      transport,
      role,
      store,
      clock: this.clock,
      random: () => this.prng.float(),
      algorithms: ALGORITHMS,
    });
    const tab = { id, transport, classroom, store };
    this.tabs.set(id, tab);
    return tab;
  }

  /** A tab killed without a goodbye (the hub still sees its socket drop, like the signaling server). */
  crash(id: PeerId): Tab {
    const tab = this.tab(id);
    tab.classroom.close();
    this.network.kill(id);
    this.tabs.delete(id);
    return tab;
  }

  tab(id: PeerId): Tab {
    const tab = this.tabs.get(id);
    if (tab === undefined) throw new Error(`no tab ${id}`);
    return tab;
  }

  get host(): Classroom {
    return this.tab('host').classroom;
  }

  /** Opens the dashboard and `students`, and lets every channel open and say hello. */
  static withStudents(students: readonly PeerId[]): Room {
    const room = new Room();
    room.open('host', 'host');
    for (const id of students) room.open(id, 'student');
    room.clock.advance(50);
    return room;
  }

  start(algorithm: AlgorithmName, scenario: ScenarioName = 'colors'): DecisionAnnouncement {
    const decision = this.host.startDecision(algorithm, scenario);
    if (typeof decision === 'string') throw new Error(decision);
    this.clock.advance(20);
    return decision;
  }

  decidedBy(decision: DecisionAnnouncement, id: PeerId): string | undefined {
    return this.tabs.get(id)?.classroom.node(decision.id)?.view().decided;
  }

  properties(decision: DecisionAnnouncement) {
    const report = this.host.dashboard?.properties(decision.id, (p) => this.host.liveness(p), this.clock.now());
    if (report === undefined) throw new Error('the dashboard does not know the decision');
    return report;
  }

  flagsOf(peer: PeerId): Record<string, number> {
    return { ...this.host.dashboard?.flaggedPeers().find((f) => f.peer === peer)?.counts };
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

describe('live classroom over the in-memory transport', () => {
  it('paxos decides on every member, and the dashboard sees agreement, validity and termination', () => {
    room = Room.withStudents(['n1', 'n2', 'n3', 'n4', 'n5']);
    const decision = room.start('paxos');
    expect(decision.members).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(room.tab('n1').classroom.propose(decision.id, 'blue')).toBeUndefined();
    const r = room;
    r.clock.advanceUntil(() => decision.members.every((m) => r.decidedBy(decision, m) !== undefined), 10_000);
    for (const m of decision.members) expect(r.decidedBy(decision, m)).toBe('blue');
    r.clock.advance(50); // the last reports reach the dashboard
    const properties = r.properties(decision);
    expect(properties.agreement.status).toBe('ok');
    expect(properties.validity.status).toBe('ok');
    expect(properties.termination.status).toBe('decided');
    expect(properties.faultTolerance.majorityAlive).toBe(true);
    const record = r.host.dashboard?.decision(decision.id);
    expect([...(record?.members.values() ?? [])].map((m) => m.decidedValues)).toEqual(Array(5).fill(['blue']));
    // The feed shows who sent what to whom, and the trace exports every report.
    expect(record?.feed.some((line) => line.from === 'n1' && line.kind === 'prepare')).toBe(true);
    const trace = r.host.dashboard?.exportTrace(decision.id) as { entries: unknown[]; names: Record<string, string> };
    expect(trace.names).toMatchObject({ n1: 'Ann', n5: 'Eve' });
    expect(trace.entries.length).toBeGreaterThan(5);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  it('still decides with 2 of 5 members crashed mid-decision', () => {
    room = Room.withStudents(['n1', 'n2', 'n3', 'n4', 'n5']);
    const r = room;
    const decision = r.start('paxos');
    r.tab('n2').classroom.propose(decision.id, 'green');
    r.crash('n4');
    r.crash('n5');
    r.clock.advanceUntil(() => ['n1', 'n2', 'n3'].every((m) => r.decidedBy(decision, m) !== undefined), 20_000);
    for (const m of ['n1', 'n2', 'n3']) expect(r.decidedBy(decision, m)).toBe('green');
    r.clock.advance(50);
    const properties = r.properties(decision);
    expect(properties.termination.status).toBe('decided');
    expect(properties.faultTolerance).toMatchObject({ crashed: 2, members: 5, majorityAlive: true });
  });

  it('a restarted member (new Classroom, same store) restarts its node, keeps its promise, and learns the outcome', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    // One second per message at each receiving node: slow enough to crash n3 between its
    // promise and the outcome.
    r.host.setMessageDelay(1_000);
    r.clock.advance(20);
    const decision = r.start('paxos');
    r.tab('n1').classroom.propose(decision.id, 'red');
    const promisedOf = (id: PeerId): string | undefined =>
      r.tab(id).classroom.node(decision.id)?.view().fields.find((f) => f.label === 'promised')?.value;
    r.clock.advanceUntil(() => promisedOf('n3') !== undefined && promisedOf('n3') !== '—', 5_000);
    const promise = promisedOf('n3');
    expect(r.decidedBy(decision, 'n3')).toBeUndefined();

    const { store } = r.crash('n3');
    expect(store.load(storeKey(decision.id, 'decision'))).toMatchObject({ decision: { id: decision.id } });
    r.clock.advance(200);
    const reopened = r.open('n3', 'student', store);
    // Restarted from storage before any host re-announced anything, with the same promise.
    expect(reopened.classroom.node(decision.id)).toBeDefined();
    expect(promisedOf('n3')).toBe(promise);

    r.clock.advanceUntil(() => ['n1', 'n2', 'n3'].every((m) => r.decidedBy(decision, m) !== undefined), 60_000);
    for (const m of ['n1', 'n2', 'n3']) expect(r.decidedBy(decision, m)).toBe('red');
    r.clock.advance(2_500);
    expect(r.host.dashboard?.decision(decision.id)?.members.get('n3')?.rejoined).toBe(true);
    expect(r.properties(decision).agreement.status).toBe('ok');
  });

  it("refuses and flags a non-host's 'decision' message", () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const real = r.start('majority');
    const forged: DecisionAnnouncement = { ...real, id: 'd99-forged', seq: 99, members: ['n1', 'n2'] };
    r.tab('n3').transport.broadcast({ type: 'decision', decision: forged });
    r.clock.advance(500);
    for (const id of ['n1', 'n2']) {
      expect(r.tab(id).classroom.decisions().map((d) => d.id)).toEqual([real.id]);
      expect(r.tab(id).classroom.node('d99-forged')).toBeUndefined();
    }
    expect(r.host.decisions().map((d) => d.id)).toEqual([real.id]);
    // Refused by the dashboard itself and reported by both other members.
    expect(r.flagsOf('n3')['not-a-host']).toBe(3);
    // Nothing broke: the real decision still decides.
    r.tab('n1').classroom.propose(real.id, 'red');
    r.clock.advanceUntil(() => ['n1', 'n2', 'n3'].every((m) => r.decidedBy(real, m) === 'red'), 10_000);
  });

  it('a classroom that starts after its tab already met the teacher’s screen asks to be caught up', () => {
    // The student page loads its classroom after the first paint: the transport may already be
    // connected to the dashboard, whose catch-up went out before anyone listened.
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const decision = r.start('paxos');
    const tab = r.tab('n3');
    tab.classroom.close();
    const late = new Classroom({
      transport: tab.transport,
      role: 'student',
      store: new MemoryStore(),
      clock: r.clock,
      random: () => 0.5,
      algorithms: ALGORITHMS,
    });
    expect(late.decisions()).toEqual([]);
    r.clock.advance(50);
    expect(late.decisions().map((d) => d.id)).toEqual([decision.id]);
    late.close();
  });

  it("refuses and flags a non-member's algorithm message", () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const decision = r.start('paxos');
    // x9 joins after the decision started: it watches, and may not take part.
    const late = r.open('x9', 'student');
    r.clock.advance(50);
    expect(late.classroom.decisions().map((d) => d.id)).toEqual([decision.id]);
    expect(late.classroom.node(decision.id)).toBeUndefined();
    const prepare = { type: 'prepare', ballot: { round: 99, node: 'x9' } };
    for (const m of decision.members) late.transport.send(m, { type: 'algo', decision: decision.id, id: { inc: 1, seq: 1 }, message: prepare });
    r.clock.advance(500);
    expect(r.flagsOf('x9')['not-a-member']).toBe(3);
    // No member promised the intruder's ballot.
    for (const m of decision.members) {
      const promised = r.tab(m).classroom.node(decision.id)?.view().fields.find((f) => f.label === 'promised')?.value;
      expect(promised).toBe('—');
    }
    r.tab('n2').classroom.propose(decision.id, 'yellow');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decidedBy(decision, m) === 'yellow'), 10_000);
  });

  it('flags a member that sends garbage over its channel, without one report per frame', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const decision = r.start('majority');
    const n1 = r.tab('n1');
    const reportsBefore = n1.transport.stats().sent;
    for (let i = 0; i < 200; i++) r.tab('n3').transport.sendRawFrame('n1', i % 2 === 0 ? '{not json' : '{"type":"app","payload":{"type":"nope"}}');
    r.clock.advance(1_000);
    // Only n1 saw it: one member's word is its claim, not a flag (a liar could report anyone).
    expect(r.flagsOf('n3')).toEqual({});
    const claim = r.host.dashboard?.claims().find((c) => c.reporter === 'n1' && c.accused === 'n3');
    expect((claim?.counts['malformed'] ?? 0) + (claim?.counts['unknown-type'] ?? 0)).toBeGreaterThan(0);
    // Refusals are batched into the member's next report, not reported frame by frame.
    expect(n1.transport.stats().sent - reportsBefore).toBeLessThan(20);
    r.tab('n2').classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decidedBy(decision, m) === 'red'), 10_000);
  });

  it('shows an impatient-tiebreak Agreement violation loudly, naming the nodes that disagree', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const decision = r.start('impatient-tiebreak');
    // Students hear each other only after 8 s (the dashboard at once): each node's impatience
    // (4 s) runs out while it has seen only its own vote.
    r.network.setDelay((from, to) => (from !== 'host' && to !== 'host' ? 8_000 : 1));
    r.tab('n1').classroom.propose(decision.id, 'blue');
    r.tab('n3').classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => r.decidedBy(decision, 'n1') !== undefined && r.decidedBy(decision, 'n3') !== undefined, 7_000);
    expect(r.decidedBy(decision, 'n1')).toBe('blue');
    expect(r.decidedBy(decision, 'n3')).toBe('red');
    r.clock.advance(50);
    const properties = r.properties(decision);
    expect(properties.agreement.status).toBe('violated');
    const judgement = r.host.dashboard?.judge(decision.id, r.clock.now());
    if (judgement === undefined) throw new Error('no record');
    const alarms = violations(judgement, properties, (p) => r.host.dashboard?.nameOf(p) ?? p);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.property).toBe('Agreement');
    expect(alarms[0]?.message).toContain('Ann decided “blue”');
    expect(alarms[0]?.message).toContain('Cat decided “red”');
    expect([...(alarms[0]?.nodes ?? [])].sort()).toEqual(['n1', 'n3']);
    // Every phone of the decision is told (within a frame), with who decided what.
    r.clock.advance(REPORT_FRAME_FALLBACK_MS + 50);
    for (const id of ['n1', 'n2', 'n3']) {
      const verdict = r.tab(id).classroom.verdict(decision.id);
      expect(verdict?.broken).toEqual(['Agreement']);
      expect(verdict?.decided.map((d) => d.value).sort()).toEqual(['blue', 'red']);
    }
    expect(r.tab('n1').classroom.myPart(decision.id)).toEqual({ member: true, known: true, decided: 'blue' });
  });

  it('a phone believes a verdict only from the teacher’s screen', () => {
    room = Room.withStudents(['n1', 'n2']);
    const r = room;
    const decision = r.start('majority');
    const verdict = { broken: ['Agreement' as const], decided: [{ value: 'red', members: ['n2'] }], unproposed: [] };
    r.tab('n2').transport.send('n1', { type: 'verdict', decision: decision.id, verdict });
    r.clock.advance(50);
    expect(r.tab('n1').classroom.verdict(decision.id)).toBeUndefined();
    expect(r.tab('n1').classroom.node(decision.id)).toBeDefined();
  });
});

describe('earlier decisions on a phone', () => {
  it('knows what my node decided after its node stopped, and which decisions I was not in', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const first = r.start('majority');
    r.tab('n1').classroom.propose(first.id, 'green');
    r.clock.advanceUntil(() => ['n1', 'n2', 'n3'].every((id) => r.decidedBy(first, id) !== undefined), 10_000);
    for (let i = 0; i < 3; i++) r.start('majority');
    expect(r.tab('n2').classroom.node(first.id)).toBeUndefined(); // only the newest 3 keep a node
    expect(r.tab('n2').classroom.myPart(first.id)).toEqual({ member: true, known: true, decided: 'green' });
    // A late joiner was in none of them.
    r.open('n4', 'student');
    r.clock.advance(100);
    const latest = r.tab('n4').classroom.decisions()[0];
    expect(latest && r.tab('n4').classroom.myPart(latest.id)).toEqual({ member: false });
  });
});

describe('what the dashboard says about a blocked decision', () => {
  it('coordinator: with the coordinator crashed, the dashboard names it as what blocks termination', () => {
    room = Room.withStudents(['n1', 'n2', 'n3', 'n4', 'n5']);
    const r = room;
    const decision = r.start('coordinator', 'order-cancellation');
    r.crash('n5'); // the highest id: the bully algorithm's coordinator
    r.clock.advance(100);
    r.tab('n2').classroom.propose(decision.id, 'customer: cancel');
    r.clock.advance(10_000);
    for (const m of ['n1', 'n2', 'n3', 'n4']) expect(r.decidedBy(decision, m)).toBeUndefined();
    const termination = r.properties(decision).termination;
    expect(termination.status).toBe('undecided');
    expect(termination.blockedOn).toEqual(['n5']);
    expect(termination.detail).toMatch(/^undecided for 10 s — blocked: waiting for crashed Eve$/);
    // The member views keep their structured waitingOn across the wire.
    expect(r.host.dashboard?.decision(decision.id)?.members.get('n2')?.view?.waitingOn).toEqual(['n5']);
  });
});

describe('old decisions', () => {
  it('drops a fellow member’s message for a decision no longer running here without flagging it', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const first = r.start('paxos');
    for (let i = 0; i < 3; i++) r.start('majority');
    expect(r.tab('n1').classroom.node(first.id)).toBeUndefined(); // only the newest 3 keep a node
    r.tab('n2').transport.send('n1', { type: 'algo', decision: first.id, id: { inc: 1, seq: 1 }, message: { type: 'prepare', ballot: { round: 1, node: 'n2' } } });
    r.tab('n2').transport.send('n1', { type: 'algo', decision: 'd77-never', id: { inc: 1, seq: 2 }, message: { type: 'prepare', ballot: { round: 1, node: 'n2' } } });
    r.clock.advance(500);
    expect(r.flagsOf('n2')).toEqual({}); // perhaps its announcement is still on the way
    r.clock.advance(EARLY_MESSAGE_WAIT_MS);
    // n1's word alone: shown as its claim, not as a flag.
    expect(r.flagsOf('n2')).toEqual({});
    expect(r.host.dashboard?.claims()).toMatchObject([{ reporter: 'n1', accused: 'n2', counts: { 'unknown-decision': 1 } }]);
  });
});

describe('storage', () => {
  it('a tab reopened after the upgrade restarts the decision an older build stored (a StoredNode blob), with its promise', () => {
    room = new Room();
    const r = room;
    // The bytes the build before the one store wrote for n3, a Paxos acceptor that promised 5.n2.
    const store = new MemoryStore();
    store.saveText(
      'node:d1-ab',
      '{"version":1,"decision":{"id":"d1-ab","seq":1,"algorithm":"paxos","scenario":"colors","members":["n1","n2","n3"],"startedAt":0},"durable":{"promised":{"round":5,"node":"n2"}},"proposed":["blue"]}',
    );
    const reopened = r.open('n3', 'student', store);
    // Found by the one reader before any host announced anything, migrated, and not listen-only.
    const node = reopened.classroom.node('d1-ab');
    expect(node?.view().storage).toBeUndefined();
    expect(node?.proposed).toEqual(['blue']);
    expect(node?.view().fields.find((f) => f.label === 'promised')?.value).toMatch(/5/);
    expect(store.exists('node:d1-ab')).toBe(false);
    expect(readStoredNode(store, 'd1-ab')).toMatchObject({ kind: 'ok', from: 'current', durable: { hard: { promised: { round: 5, node: 'n2' } } } });
  });

  it('a member keeps at most MAX_DECISION_HISTORY stored nodes, and ignores announcements older than that', () => {
    room = Room.withStudents(['n1', 'n2']);
    const r = room;
    const decisions = Array.from({ length: MAX_DECISION_HISTORY + 5 }, () => r.start('majority'));
    const store = r.tab('n1').store;
    expect(storedNodeIds(store)).toHaveLength(MAX_DECISION_HISTORY);
    const [oldest] = decisions;
    if (oldest === undefined) throw new Error('no decision');
    expect(readStoredNode(store, oldest.id)).toEqual({ kind: 'absent' });
    expect(store.keys(`log:${oldest.id}:`)).toEqual([]);
    // The teacher announcing the oldest one again starts nothing and stores nothing.
    r.tab('host').transport.send('n1', { type: 'decision', decision: oldest });
    r.clock.advance(20);
    expect(r.tab('n1').classroom.node(oldest.id)).toBeUndefined();
    expect(storedNodeIds(store)).toHaveLength(MAX_DECISION_HISTORY);
    // A reopened tab restarts from the same bounded storage.
    r.crash('n1');
    const reopened = r.open('n1', 'student', store);
    expect(reopened.classroom.decisions()).toHaveLength(MAX_DECISION_HISTORY);
  });
});

describe('messages that outrun the announcement', () => {
  it('holds a classmate’s vote until the teacher’s announcement arrives, then counts it', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    // The teacher's link to n3 is slow: n1's candidate and votes reach n3 before the decision does.
    r.network.setDelay((from, to) => (from === 'host' && to === 'n3' ? 400 : 1));
    const decision = r.host.startDecision('majority', 'colors');
    if (typeof decision === 'string') throw new Error(decision);
    r.clock.advance(5);
    r.tab('n1').classroom.propose(decision.id, 'red');
    r.clock.advance(50);
    expect(r.tab('n3').classroom.node(decision.id)).toBeUndefined();
    r.clock.advance(2_000);
    for (const id of ['n1', 'n2', 'n3']) expect(r.decidedBy(decision, id), id).toBe('red');
    expect(r.host.dashboard?.flaggedPeers()).toEqual([]);
  });
});

describe('the message delay', () => {
  it('holds messages between nodes, but a proposer hears its own candidate at once', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    r.host.setMessageDelay(1_000);
    r.clock.advance(20);
    const decision = r.start('majority');
    r.tab('n1').classroom.propose(decision.id, 'red');
    r.clock.advance(10);
    const myVote = (id: string) =>
      r.tab(id).classroom.node(decision.id)?.view().fields.find((f) => f.label === 'my vote')?.value;
    expect(myVote('n1')).toBe('red');
    expect(myVote('n2')).toBe('not cast yet'); // n1's candidate is still held at n2
    r.clock.advance(1_000);
    expect(myVote('n2')).toBe('red');
  });
});

describe('delta reports over the wire', () => {
  it('a decision is reported in a few coalesced reports whose step facts join every receive to its send', () => {
    room = Room.withStudents(['n1', 'n2', 'n3', 'n4', 'n5']);
    const r = room;
    const reports: { from: PeerId; report: NodeReport }[] = [];
    r.tab('host').transport.onMessage((from, message) => {
      if (message.type === 'report') reports.push({ from, report: message.report });
    });
    const decision = r.start('paxos');
    r.tab('n1').classroom.propose(decision.id, 'blue');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decidedBy(decision, m) === 'blue'), 10_000);
    r.clock.advance(500);
    for (const m of decision.members) {
      const mine = reports.filter((x) => x.from === m).map((x) => x.report);
      // Numbered without gaps; far fewer reports than steps (the old protocol sent one per step).
      expect(mine.map((x) => x.n)).toEqual(mine.map((_, i) => mine[0]!.n + i));
      const steps = mine.flatMap((x) => x.steps);
      expect(mine.length).toBeLessThan(steps.length);
    }
    const sends = new Set<string>();
    const receives: string[] = [];
    for (const { from, report } of reports) {
      for (const step of report.steps) {
        for (const group of step.sent) group.to.forEach((to, i) => sends.add(`${from}>${to}#${report.inc}.${group.firstSeq + i}`));
        if (step.cause.kind === 'receive') receives.push(`${step.cause.from}>${from}#${step.cause.id.inc}.${step.cause.id.seq}`);
      }
    }
    expect(receives.length).toBeGreaterThan(20);
    for (const receive of receives) expect(sends.has(receive), receive).toBe(true);
    // Every message sent was received (none lost on this network), so every step was reported.
    expect(receives.length).toBe(sends.size);
    // The dashboard believes the outcome: a quorum reported accepting it.
    expect(r.host.dashboard?.judge(decision.id, r.clock.now())?.believed).toEqual([{ value: 'blue', members: decision.members }]);
  });

  it('a dashboard that reconnects gets a full report from every member', () => {
    room = Room.withStudents(['n1', 'n2', 'n3']);
    const r = room;
    const decision = r.start('majority');
    r.tab('n2').classroom.propose(decision.id, 'red');
    r.clock.advanceUntil(() => decision.members.every((m) => r.decidedBy(decision, m) === 'red'), 10_000);
    const { store } = r.crash('host');
    r.clock.advance(12_000); // seen down
    const host = r.open('host', 'host', store); // the teacher reopens the dashboard: same history
    const full: PeerId[] = [];
    host.transport.onMessage((from, message) => {
      if (message.type === 'report' && message.report.full) full.push(from);
    });
    r.clock.advance(500);
    expect(full.sort()).toEqual(['n1', 'n2', 'n3']);
    const record = host.classroom.dashboard?.decision(decision.id);
    expect([...(record?.members.values() ?? [])].map((m) => m.decidedValues)).toEqual([['red'], ['red'], ['red']]);
  });

  it('phones follow the teacher’s lesson chapter (a late joiner too); a student’s forged chapter is refused and flagged', () => {
    room = Room.withStudents(['n1', 'n2']);
    const r = room;
    r.host.setLesson('flp');
    r.clock.advance(50);
    for (const id of ['n1', 'n2']) expect(r.tab(id).classroom.lesson).toBe('flp');
    r.open('n3', 'student');
    r.clock.advance(50);
    expect(r.tab('n3').classroom.lesson).toBe('flp');
    r.tab('n1').transport.broadcast({ type: 'lesson', chapter: 'paxos' });
    r.clock.advance(50);
    for (const id of ['n2', 'n3']) expect(r.tab(id).classroom.lesson).toBe('flp');
    expect(r.flagsOf('n1')['not-a-host']).toBeGreaterThan(0);
    r.host.setLesson(undefined);
    r.clock.advance(50);
    for (const id of ['n1', 'n2', 'n3']) expect(r.tab(id).classroom.lesson).toBeUndefined();
  });

  it('the lesson announcement is validated and bounded on the wire', () => {
    expect(parseClassroomMessage({ type: 'lesson', chapter: 'flp' })).toEqual({ type: 'lesson', chapter: 'flp' });
    expect(parseClassroomMessage({ type: 'lesson', chapter: null })).toEqual({ type: 'lesson', chapter: null });
    for (const chapter of ['', 'x'.repeat(33), 'FLP', '<script>', 3, undefined]) {
      expect(parseClassroomMessage({ type: 'lesson', chapter })).toBeUndefined();
    }
  });
});
