import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import { Simulation } from '../../../src/sim/simulator.ts';
import { columnIndex, messageValue, timelineFromTrace, visibleWindow } from '../../../src/timeline/timeline.ts';

function paxosRun(): Simulation {
  const sim = new Simulation({ algorithm: getAlgorithm('majority'), nodes: 5, seed: 3 });
  sim.propose('n1', 'red');
  sim.propose('n2', 'blue');
  sim.runUntil(() => sim.allLiveDecided(), { maxTime: 5_000 });
  return sim;
}

describe('the space-time timeline of a simulated run', () => {
  it('joins every delivered message to its send, on the right lanes, with the value it carries', () => {
    const sim = paxosRun();
    const timeline = timelineFromTrace(sim.members, sim.trace);
    const deliveries = sim.trace.filter((e) => e.kind === 'deliver');
    expect(deliveries.length).toBeGreaterThan(10);
    for (const delivery of deliveries) {
      const message = timeline.messages.find((m) => m.id === delivery.id);
      expect(message, `msg ${delivery.id}`).toBeDefined();
      expect(message?.from).toBe(delivery.from);
      expect(message?.to).toBe(delivery.to);
      expect(message?.fate).toEqual({ kind: 'received', step: delivery.step, time: delivery.time });
      expect(message!.step).toBeLessThan(delivery.step);
    }
    const votes = timeline.messages.filter((m) => m.kind === 'vote');
    expect(votes.length).toBeGreaterThan(0);
    expect(votes.every((m) => m.value === 'red' || m.value === 'blue')).toBe(true);
  });

  it('marks proposals and decisions on their node’s lane, and keeps messages sorted by send step', () => {
    const sim = paxosRun();
    const timeline = timelineFromTrace(sim.members, sim.trace);
    expect(timeline.points.filter((p) => p.kind === 'propose').map((p) => [p.node, p.value])).toEqual([
      ['n1', 'red'],
      ['n2', 'blue'],
    ]);
    expect(timeline.points.filter((p) => p.kind === 'decide')).toHaveLength(5);
    const steps = timeline.messages.map((m) => m.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(timeline.columns).toEqual([...new Set(timeline.columns)].sort((a, b) => a - b));
  });

  it('shows held, lost and discarded messages as such', () => {
    const sim = new Simulation({ algorithm: getAlgorithm('majority'), nodes: 3, seed: 1 });
    sim.setManual((_from, to) => to === 'n3');
    sim.propose('n1', 'red');
    sim.runFor(100);
    const held = sim.held();
    expect(held.length).toBeGreaterThan(1);
    sim.drop(held[0]!.id);
    const timeline = timelineFromTrace(sim.members, sim.trace);
    expect(timeline.messages.find((m) => m.id === held[0]!.id)?.fate.kind).toBe('lost');
    expect(timeline.messages.find((m) => m.id === held[1]!.id)?.fate.kind).toBe('held');
  });

  it('draws only one window of columns, whatever the length of the run', () => {
    const sim = paxosRun();
    const timeline = timelineFromTrace(sim.members, sim.trace);
    const width = 8;
    const early = visibleWindow(timeline, 0, width);
    expect(early.firstColumn).toBe(0);
    expect(early.lastColumn).toBe(width - 1);
    const late = visibleWindow(timeline, timeline.lastStep, width);
    expect(late.lastColumn).toBe(timeline.columns.length - 1);
    expect(late.lastColumn - late.firstColumn + 1).toBe(width);
    const first = timeline.columns[late.firstColumn]!;
    const last = timeline.columns[late.lastColumn]!;
    expect(late.points.every((p) => p.step >= first && p.step <= last)).toBe(true);
    for (const m of late.messages) {
      expect(m.step).toBeLessThanOrEqual(last);
      if (m.fate.kind === 'received' || m.fate.kind === 'lost') expect(m.fate.step).toBeGreaterThanOrEqual(first);
    }
    expect(late.messages.length).toBeLessThan(timeline.messages.length);
  });

  it('finds columns by binary search, and reads values only from text fields', () => {
    expect(columnIndex([2, 5, 9], 0)).toBe(0);
    expect(columnIndex([2, 5, 9], 5)).toBe(1);
    expect(columnIndex([2, 5, 9], 6)).toBe(2);
    expect(columnIndex([2, 5, 9], 10)).toBe(3);
    expect(messageValue({ type: 'accept', value: 'blue' })).toBe('blue');
    expect(messageValue({ type: 'vote', value: 3 })).toBeUndefined();
    expect(messageValue('nope')).toBeUndefined();
  });
});
