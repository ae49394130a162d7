/**
 * Solo mode's trace export is the dashboard's format (version 3): a solo run exported, read back
 * by the importer, replays every node to the state the simulator shows, timers and a restart
 * from storage included; and a branch of the imported run reaches the same state again.
 */
import { describe, expect, it } from 'vitest';
import { sameView } from '../../../src/classroom/report-buffer.ts';
import { parseTraceFile, timelineOfTrace, TRACE_VERSION } from '../../../src/timeline/trace-file.ts';
import { Solo } from '../../../src/ui/solo.svelte.ts';
import { FLP_FIFTH } from '../../../src/ui/solo.ts';
import { soloTraceExport } from '../../../src/ui/solo-export.ts';
import { replay } from '../../../src/ui/solo-script.ts';
import { branchFromTrace } from '../../../src/ui/trace-branch.ts';

function roundTrip(solo: Solo) {
  const { sim } = replay(solo.script);
  const text = JSON.stringify(soloTraceExport(sim));
  const parsed = parseTraceFile(text);
  if (!parsed.ok) throw new Error(parsed.error);
  expect((JSON.parse(text) as { version: number }).version).toBe(TRACE_VERSION);
  const timeline = timelineOfTrace(parsed.trace);
  const last = timeline.timeline.lastStep;
  const states = timeline.statesAt(last);
  for (const node of sim.members) {
    const state = states.get(node);
    if (sim.status(node) === 'down') {
      expect(state?.kind, node).toBe('crashed');
      continue;
    }
    if (state?.kind !== 'view') throw new Error(`${node}: ${JSON.stringify(state)}`);
    expect(sameView(state.view, sim.view(node)!), node).toBe(true);
  }
  expect(timeline.disagreements()).toEqual(new Map());
  return { sim, trace: parsed.trace, timeline, last };
}

describe('solo trace export (v3)', () => {
  it('a Paxos run round-trips: every node replays to what the simulator shows, every message joined', () => {
    const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed: 4 });
    solo.propose('n1', 'red');
    solo.propose('n3', 'blue');
    solo.run(1000);
    const { sim, timeline } = roundTrip(solo);
    expect(sim.decisions.length).toBe(3);
    const delivered = sim.trace.filter((e) => e.kind === 'deliver').length;
    expect(timeline.timeline.messages.filter((m) => m.fate.kind === 'received')).toHaveLength(delivered);
  });

  it('the FLP scene with impatient tiebreak (timers, a crash, a restart from storage) round-trips, broken Agreement and all', () => {
    const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed: 2 });
    solo.stageFlp('impatient-tiebreak', 2);
    solo.crash(FLP_FIFTH);
    solo.run(1000);
    solo.restart(FLP_FIFTH);
    solo.run(200);
    const red = solo.snapshot.held.find((h) => h.to === FLP_FIFTH && h.summary === 'candidate value red');
    solo.deliver(red!.id);
    solo.deliverAllHeld();
    solo.setHold(false);
    solo.run(1000);
    expect(solo.snapshot.properties.agreement.status).toBe('violated');
    const { trace, timeline, last, sim } = roundTrip(solo);
    expect(timeline.prefix(last).some((e) => e.kind === 'step' && e.fact.cause.kind === 'timer')).toBe(true);
    expect(timeline.timeline.points.some((p) => p.kind === 'restart' && p.node === FLP_FIFTH)).toBe(true);
    // Imported again and branched at its end: the same decisions, node for node.
    const branch = branchFromTrace(trace, timeline, last);
    if (typeof branch === 'string') throw new Error(branch);
    const again = replay(branch.script).sim;
    for (const node of sim.members) expect(again.view(node)?.decided, node).toBe(sim.view(node)?.decided);
  });
});
