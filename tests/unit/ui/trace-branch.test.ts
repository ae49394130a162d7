/**
 * "Branch from here" on an imported trace: a real room's export (Classrooms over the in-memory
 * transport on fake time), read back as a file, cut at a step and re-enacted in solo mode's
 * simulator; every node there is in the state the replayed diagram shows at that step, and the
 * branch can go on with another delivery order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Classroom } from '../../../src/classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage, type DecisionAnnouncement } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { Prng } from '../../../src/core/prng.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import { parseTraceFile, timelineOfTrace, type TraceFile } from '../../../src/timeline/trace-file.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerId, PeerRole } from '../../../src/transport/types.ts';
import { replay } from '../../../src/ui/solo-script.ts';
import { branchFromTrace } from '../../../src/ui/trace-branch.ts';
import { FakeClock } from '../classroom/fake-clock.ts';

const clock = new FakeClock();
let classrooms: Classroom[] = [];
afterEach(() => {
  for (const c of classrooms) c.close();
  classrooms = [];
});

/** A room of `students`, one decision of `algorithm` with these proposals, run until everyone decided; its export, read back. */
function exportedRun(algorithm: AlgorithmName, students: readonly PeerId[], proposals: readonly [PeerId, string][], crash?: PeerId, gone?: PeerId): TraceFile {
  const network = new MemoryNetwork({ clock, delayMs: 1 });
  const prng = Prng.fromSeed(5);
  const stores = new Map<PeerId, MemoryStore>();
  const tabs = new Map<PeerId, Classroom>();
  const open = (id: PeerId, role: PeerRole): Classroom => {
    const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const store = stores.get(id) ?? new MemoryStore();
    stores.set(id, store);
    const classroom = new Classroom({ transport, role, store, clock, random: () => prng.float(), algorithms: ALGORITHMS });
    classrooms.push(classroom);
    tabs.set(id, classroom);
    return classroom;
  };
  const host = open('host', 'host');
  for (const id of students) open(id, 'student');
  clock.advance(50);
  const decision = host.startDecision(algorithm, 'colors') as DecisionAnnouncement;
  clock.advance(20);
  if (gone !== undefined) {
    // Closed for good: the others wait for it (or, impatient, stop waiting on a timer).
    tabs.get(gone)!.close();
    network.kill(gone);
    tabs.delete(gone);
  }
  for (const [id, value] of proposals) tabs.get(id)!.propose(decision.id, value);
  if (crash !== undefined) {
    // After its first steps (a promise written), before the decision.
    clock.advanceUntil(() => (tabs.get(crash)!.node(decision.id)?.view().fields.find((f) => f.label === 'promised')?.value ?? '—') !== '—', 1_000);
    tabs.get(crash)!.close();
    network.kill(crash);
    clock.advance(300);
    // Back from storage, it proposes: its new incarnation takes steps (and learns the outcome).
    open(crash, 'student');
    clock.advance(100);
    tabs.get(crash)!.propose(decision.id, 'green');
  }
  const decided = () => students.every((id) => id === gone || tabs.get(id)?.node(decision.id)?.view().decided !== undefined);
  clock.advanceUntil(decided, 30_000);
  clock.advance(200);
  const parsed = parseTraceFile(JSON.stringify(host.dashboard!.exportTrace(decision.id)));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.trace;
}

/** What the diagram shows of each member at `step`, and what the branch's simulator shows, side by side. */
function compareAt(trace: TraceFile, step: number): void {
  const timeline = timelineOfTrace(trace);
  const branch = branchFromTrace(trace, timeline, step);
  if (typeof branch === 'string') throw new Error(branch);
  const { sim, problem } = replay(branch.script);
  expect(problem).toBeUndefined();
  const states = timeline.statesAt(step);
  for (const [peer, node] of branch.nodes) {
    const state = states.get(peer);
    if (state?.kind === 'crashed') {
      expect(sim.status(node), `${peer} at step ${step}`).toBe('down');
      continue;
    }
    if (state?.kind !== 'view') throw new Error(`${peer} at step ${step}: ${JSON.stringify(state)}`);
    const view = sim.view(node);
    expect({ phase: view?.phase, decided: view?.decided, tally: view?.tally }, `${peer} at step ${step}`).toEqual({
      phase: state.view.phase,
      decided: state.view.decided,
      tally: state.view.tally,
    });
  }
}

describe('branch from here, on an imported trace', () => {
  it('re-enacts a majority decision at every step: each node as the diagram shows it', () => {
    const trace = exportedRun('majority', ['ann', 'bob', 'cy', 'dee', 'eve'], [['ann', 'red'], ['bob', 'blue'], ['cy', 'red']]);
    const last = timelineOfTrace(trace).timeline.lastStep;
    expect(last).toBeGreaterThan(20);
    for (let step = 0; step <= last; step += 3) compareAt(trace, step);
    compareAt(trace, last);
  });

  it('re-enacts Paxos (ballots carry node ids) and a crash with a restart from storage', () => {
    const trace = exportedRun('paxos', ['ann', 'bob', 'cy'], [['ann', 'red'], ['cy', 'blue']], 'bob');
    const timeline = timelineOfTrace(trace);
    const data = timeline.timeline;
    expect(data.points.filter((p) => p.node === 'bob').map((p) => p.kind)).toContain('restart');
    for (let step = 0; step <= data.lastStep; step += 5) compareAt(trace, step);
    compareAt(trace, data.lastStep);
  });

  it('re-enacts timers: impatient tiebreak deciding on its timeout', () => {
    const trace = exportedRun('impatient-tiebreak', ['ann', 'bob', 'cy', 'dee'], [['ann', 'red'], ['bob', 'blue']], undefined, 'dee');
    const timeline = timelineOfTrace(trace);
    const last = timeline.timeline.lastStep;
    expect(timeline.prefix(last).some((e) => e.kind === 'step' && e.fact.cause.kind === 'timer')).toBe(true);
    for (let step = 0; step <= last; step += 4) compareAt(trace, step);
    compareAt(trace, last);
  });

  it('goes on from the branch with another delivery order: everything is held for the user', () => {
    const trace = exportedRun('majority', ['ann', 'bob', 'cy'], [['ann', 'red'], ['bob', 'blue']]);
    const timeline = timelineOfTrace(trace);
    // Right after both proposals: nothing delivered yet between nodes.
    const proposed = timeline.timeline.points.filter((p) => p.kind === 'propose').map((p) => p.step);
    const branch = branchFromTrace(trace, timeline, Math.max(...proposed));
    if (typeof branch === 'string') throw new Error(branch);
    expect(branch.script.setup).toMatchObject({ algorithm: 'majority', nodes: 3 });
    const { sim } = replay(branch.script);
    const held = sim.held();
    expect(held.length).toBeGreaterThan(0);
    // Deliver bob's blue candidate to cy first (bob is n2, cy n3), then everything else.
    const blue = held.find((h) => h.from === branch.nodes.get('bob') && h.to === branch.nodes.get('cy') && (h.message as { type: string }).type === 'candidate');
    expect(blue).toBeDefined();
    const go = replay({ ...branch.script, commands: [...branch.script.commands, { do: 'deliver', id: blue!.id }, { do: 'hold', on: false }, { do: 'deliver-all' }, { do: 'run', ms: 2000 }] });
    expect(go.problem).toBeUndefined();
    expect(go.sim.view('n3')?.fields.find((f) => f.label === 'my vote')?.value).toBe('blue');
  });

  it('refuses a decision too large for solo mode, and says why', () => {
    const students = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const trace = exportedRun('majority', students, [['s0', 'red']]);
    expect(branchFromTrace(trace, timelineOfTrace(trace), 3)).toMatch(/solo mode runs \d–9 nodes; this decision has 10 members/);
  });
});
