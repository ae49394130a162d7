/**
 * Solo mode's saved counterexamples replay alone: a file saved from the middle of a solo run
 * (staged by a preset, the FLP scene, or the user's own clicks) carries the steps that brought
 * the run there, so `npm run sim -- --schedule FILE` rebuilds the state from fresh nodes and
 * reaches the same violation, judged by the simulator's own checker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerRun, type RunQuestion } from '../../../src/explore/from-run.ts';
import { runQuestion } from '../../../src/explore/question.ts';
import { runPrefix } from '../../../src/explore/run-prefix.ts';
import { FLP_SCENE_ADVERSARY } from '../../../src/explore/scenes.ts';
import { main } from '../../../src/sim/cli.ts';
import { parseSchedule, runSchedule, ScheduleError } from '../../../src/sim/schedule.ts';
import type { Simulation } from '../../../src/sim/simulator.ts';
import { stagePreset } from '../../../src/ui/solo-presets.ts';
import { newSimulation, stageFlp } from '../../../src/ui/solo.ts';

const now = (): number => performance.now();

/** What solo mode asks when "find a counterexample" is pressed (solo.svelte.ts exploreQuestion). */
function counterexample(sim: Simulation, adversary: RunQuestion['adversary'], withPrefix = true): RunQuestion {
  return { ...runQuestion(sim, 'counterexample', adversary), ...(withPrefix ? { prefix: runPrefix(sim.trace) } : {}) };
}

/** The file as the page saves it (JSON text) and as the CLI reads it back. */
function saved(schedule: unknown): unknown {
  return JSON.parse(`${JSON.stringify(schedule, null, 2)}\n`);
}

function replay(file: unknown) {
  return runSchedule(parseSchedule(file));
}

describe('saved counterexamples from solo mode replay alone', { timeout: 30_000 }, () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('impatient tiebreak, staged by its preset: the file replays with `npm run sim -- --schedule` to the same Agreement violation', () => {
    const { sim } = stagePreset('impatient-disagree', 1);
    // The preset leaves n1–n4 decided blue; the disagreement is still to come.
    expect(new Set(sim.decisions.map((d) => d.value))).toEqual(new Set(['blue']));
    const answer = answerRun(counterexample(sim, undefined), now);
    expect(answer.violation?.property).toBe('agreement');
    const file = saved(answer.schedule) as { steps: { do: string }[]; expect: unknown };
    expect(file.steps[0]).toEqual({ atMs: 0, do: 'hold' });
    // The staging comes first: the proposals, and the deliveries and timers that split the vote.
    expect(file.steps.filter((s) => s.do === 'propose')).toHaveLength(2);
    expect(file.steps.length).toBeGreaterThan((answer.violation?.steps.length ?? 0) + 10);
    expect(file.expect).toEqual({ violations: ['agreement'] });

    const result = replay(file);
    expect(result.violations.map((v) => v.property)).toEqual(['agreement']);
    expect(result.ok).toBe(true);
    // The replay ends in the state the solo run and the explorer promised: blue at n1–n4, red at n5.
    expect(result.nodes['n5']?.committed).toEqual([{ value: 'red' }]);
    for (const node of ['n1', 'n2', 'n3', 'n4']) expect(result.nodes[node]?.committed).toEqual([{ value: 'blue' }]);

    // And through the CLI, as the README tells a reader to run it.
    const dir = mkdtempSync(join(tmpdir(), 'saved-schedule-'));
    dirs.push(dir);
    const path = join(dir, 'impatient-tiebreak-agreement.schedule.json');
    writeFileSync(path, JSON.stringify(file));
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(main(['--schedule', path])).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('without the run\'s steps the same counterexample cannot be replayed from fresh nodes (what the prefix is for)', () => {
    const { sim } = stagePreset('impatient-disagree', 1);
    const answer = answerRun(counterexample(sim, undefined, false), now);
    expect(answer.violation?.property).toBe('agreement');
    expect(() => replay(saved(answer.schedule))).toThrow(ScheduleError);
  });

  it('tiebreak blocked by a crash (its preset): the "never decides" file releases everything, runs on, and the checker finds Termination broken', () => {
    const { sim } = stagePreset('tiebreak-crash', 1);
    const answer = answerRun(counterexample(sim, undefined), now);
    expect(answer.violation?.property).toBe('termination');
    const file = saved(answer.schedule) as { steps: { do: string }[]; runUntilMs: number };
    expect(file.steps.at(-1)).toEqual({ atMs: 0, do: 'release' });
    expect(file.runUntilMs).toBeGreaterThan(0);
    const result = replay(file);
    expect(result.violations.map((v) => v.property)).toEqual(['termination']);
    expect(result.ok).toBe(true);
    expect(result.nodes['n5']?.status).toBe('down');
  });

  it('solo mode\'s FLP scene (2–2, both candidates held at n5): the explorer\'s crash of n5 leaves it undecided, and the replay agrees', () => {
    const { sim } = stageFlp('majority', 1);
    const answer = answerRun(counterexample(sim, FLP_SCENE_ADVERSARY), now);
    expect(answer.violation?.property).toBe('termination');
    expect(answer.violation?.steps).toContainEqual({ do: 'crash', node: 'n5' });
    const result = replay(saved(answer.schedule));
    expect(result.violations.map((v) => v.property)).toEqual(['termination']);
    expect(result.ok).toBe(true);
    for (const node of ['n1', 'n2', 'n3', 'n4']) expect(result.nodes[node]?.committed, node).toEqual([]);
  });

  it('a run the user clicked through in time (messages delivered by the clock, a crash, a restart) replays to where it stood', () => {
    const sim = newSimulation({ algorithm: 'paxos-amnesia', nodes: 3, seed: 4 });
    sim.propose('n1', 'red');
    sim.runUntil(12);
    sim.crash('n2');
    sim.runUntil(40);
    sim.restart('n2');
    sim.propose('n3', 'blue');
    sim.runUntil(60);
    // The prefix alone, with nothing expected: every node must end where the solo run's did.
    const file = saved({ algorithm: 'paxos-amnesia', nodes: 3, seed: 4, steps: [{ atMs: 0, do: 'hold' }, ...runPrefix(sim.trace)] });
    const result = replay(file);
    for (const node of ['n1', 'n2', 'n3']) {
      expect(result.nodes[node]?.status, node).toBe(sim.status(node));
      expect(result.nodes[node]?.committed, node).toEqual(sim.decidedValue(node) === undefined ? [] : [{ value: sim.decidedValue(node) }]);
    }
    // Same messages still in flight (as multisets of sender, receiver and payload).
    const key = (m: { from: string; to: string; message: unknown }) => `${m.from}>${m.to} ${JSON.stringify(m.message)}`;
    const inFlight = sim.runState().inFlight.map(key).sort();
    const held = result.simulation.held().map(key).sort();
    expect(held).toEqual(inFlight);
  });
});
