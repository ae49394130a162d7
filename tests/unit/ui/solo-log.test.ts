/** Solo mode's log runs (solo-log.ts): the user's commands on the one simulator, and the run as a schedule. */
import { describe, expect, it } from 'vitest';
import { LogSoloRun, replayLog, scheduleOf, type LogSoloSetup } from '../../../src/ui/solo-log.ts';
import { compareSchedule } from '../../../src/ui/solo-compare.ts';
import { LOG_SOLO_MENU } from '../../../src/ui/solo-setup.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';

const SETUP: LogSoloSetup = { algorithm: 'raft', stateMachine: 'orders', nodes: 5, seed: 3 };

function leaderOf(run: LogSoloRun): string | undefined {
  return run.snapshot().nodes.find((n) => n.status === 'up' && n.role === 'leader')?.id;
}

function placeCrashRun(): { run: LogSoloRun; first: string } {
  const run = new LogSoloRun(SETUP);
  run.apply({ do: 'run', ms: 1000 });
  const first = leaderOf(run) as string;
  expect(first).toBeDefined();
  run.apply({ do: 'submit', node: 'n2', command: { op: 'place', order: 'A', item: 'book' } });
  run.apply({ do: 'submit', node: 'n4', command: { op: 'place', order: 'B', item: 'lamp' } });
  run.apply({ do: 'run', ms: 200 });
  run.apply({ do: 'crash', node: first });
  run.apply({ do: 'submit', node: first === 'n3' ? 'n1' : 'n3', command: { op: 'ship', order: 'A' } });
  run.apply({ do: 'run', ms: 3000 });
  return { run, first };
}

describe('solo log runs', () => {
  it("the page's light menu matches the registry (label, broken) for every log algorithm", () => {
    expect(LOG_SOLO_MENU).toEqual(Object.fromEntries(Object.entries(LOG_ALGORITHMS).map(([name, spec]) => [name, { label: spec.label, broken: spec.broken }])));
  });

  it('raft order book: place, crash the leader, a new leader, every live book identical', () => {
    const { run, first } = placeCrashRun();
    const snap = run.snapshot();
    const second = leaderOf(run);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect(snap.booksAgree).toBe(true);
    const live = snap.nodes.filter((n) => n.status === 'up');
    expect(live).toHaveLength(4);
    for (const node of live) {
      expect(node.rows.map((r) => [r.id, r.status]).sort()).toEqual([['A', 'shipped'], ['B', 'placed']]);
      expect(node.applied).toBe(node.commitIndex);
      expect(node.window.every((e) => e.epoch.kind === 'term')).toBe(true);
    }
    expect(snap.answers.every((a) => a.answer !== undefined)).toBe(true);
  });

  it('a command at a crashed node is refused and not scripted', () => {
    const run = new LogSoloRun(SETUP);
    run.apply({ do: 'crash', node: 'n1' });
    expect(() => run.apply({ do: 'submit', node: 'n1', command: { op: 'place', order: 'A', item: 'book' } })).toThrow(/n1 is down/);
    expect(() => run.apply({ do: 'submit', node: 'n2', command: { op: 'fly' } })).toThrow(/not a command/);
    expect(run.script).toHaveLength(1);
  });

  it('replaying the script up to a step gives the run as it was then', () => {
    const { run } = placeCrashRun();
    const half = Math.floor(run.cluster.sim.steps / 2);
    const past = replayLog(SETUP, run.script, half);
    expect(past.cluster.sim.steps).toBe(half);
    const again = replayLog(SETUP, run.script);
    expect(again.snapshot().nodes).toEqual(run.snapshot().nodes);
  });

  it('the run as a schedule crashes "leader" and runs against Multi-Paxos and Raft side by side', () => {
    const { run } = placeCrashRun();
    const { schedule, skipped } = scheduleOf(run);
    expect(skipped).toBe(0);
    const steps = schedule.steps as { do: string; node?: string }[];
    expect(steps.find((s) => s.do === 'crash')?.node).toBe('leader');
    const { columns } = compareSchedule(schedule);
    expect(columns.map((c) => (c.ok ? c.figures.algorithm : c.error))).toEqual(['multipaxos', 'raft']);
    for (const c of columns) {
      if (!c.ok) continue;
      expect(c.figures.submitted).toBe(3);
      expect(c.figures.everyCommandCommitted).toBe(true);
      expect(c.figures.leaderCrash?.newLeaderFound).toBe(true);
      expect(c.figures.violations).toEqual([]);
    }
  });
});
