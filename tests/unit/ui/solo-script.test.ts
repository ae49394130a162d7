import { describe, expect, it } from 'vitest';
import { MAX_SOLO_COMMANDS } from '../../../src/limits.ts';
import { parseRoute, soloRunHref } from '../../../src/ui/route.ts';
import { apply, branchAt, decodeCommands, encodeCommands, replay, type SoloCommand, type SoloScript } from '../../../src/ui/solo-script.ts';
import { newSimulation, snapshotOf, type HoldMode } from '../../../src/ui/solo.ts';

const COMMANDS: SoloCommand[] = [
  { do: 'propose', node: 'n1', value: 'red' },
  { do: 'hold', on: true },
  { do: 'propose', node: 'n2', value: 'blue' },
  { do: 'run', ms: 100 },
  { do: 'crash', node: 'n4' },
  { do: 'deliver-all' },
  { do: 'hold', on: false },
  { do: 'restart', node: 'n4' },
  { do: 'step' },
  { do: 'run', ms: 1000 },
];
const SCRIPT: SoloScript = { setup: { algorithm: 'paxos', nodes: 5, seed: 7 }, start: { kind: 'fresh' }, commands: COMMANDS };

/** The run as the page plays it live: one command at a time on one simulation. */
function live(script: SoloScript) {
  const sim = newSimulation(script.setup);
  let hold: HoldMode = { kind: 'off' };
  const stepsAfter: number[] = [];
  for (const command of script.commands) {
    hold = apply(sim, hold, command);
    stepsAfter.push(sim.steps);
  }
  return { sim, hold, stepsAfter };
}

describe('solo runs as scripts', () => {
  it('replay to exactly the state the live run reached', () => {
    const played = live(SCRIPT);
    const replayed = replay(SCRIPT);
    expect(replayed.applied).toBe(COMMANDS.length);
    expect(snapshotOf(replayed.sim, replayed.hold)).toEqual(snapshotOf(played.sim, played.hold));
    expect(replayed.sim.trace).toEqual(played.sim.trace);
  });

  it('stop at any step, mid-run included, with the state the run had then', () => {
    const played = live(SCRIPT);
    const target = played.stepsAfter[3]! - 3; // inside the first Run
    const at = replay(SCRIPT, target);
    expect(at.sim.steps).toBe(target);
    expect(at.sim.trace).toEqual(played.sim.trace.filter((e) => e.step <= target));
  });

  it('branch from a moment: the past is kept, what followed is forgotten', () => {
    const played = live(SCRIPT);
    const target = played.stepsAfter[3]! - 3;
    const branch = branchAt(SCRIPT, target);
    expect(branch.commands.slice(0, 3)).toEqual(COMMANDS.slice(0, 3));
    expect(branch.commands).toHaveLength(4);
    expect(branch.commands[3]?.do).toBe('run');
    const again = replay(branch);
    expect(again.sim.trace.slice(0, 20)).toEqual(played.sim.trace.slice(0, 20));
    expect(again.sim.steps).toBeLessThanOrEqual(target + 5);
  });

  it('say which command of an edited link cannot run, and stop there', () => {
    const edited: SoloScript = { ...SCRIPT, commands: [{ do: 'deliver', id: 999 }, ...COMMANDS] };
    const replayed = replay(edited);
    expect(replayed.applied).toBe(0);
    expect(replayed.problem).toMatch(/command 1 \(d\.999\) cannot run/);
  });

  it('round-trip through a link, FLP scene included', () => {
    expect(decodeCommands(encodeCommands(COMMANDS))).toEqual(COMMANDS);
    const route = parseRoute(soloRunHref(SCRIPT));
    expect(route).toMatchObject({ kind: 'solo', setup: SCRIPT.setup, start: { kind: 'fresh' }, commands: COMMANDS });
    const flp = parseRoute('?solo=1&algorithm=tiebreak&nodes=9&seed=2&scene=flp&run=d.3~u.100');
    expect(flp).toMatchObject({ kind: 'solo', setup: { algorithm: 'tiebreak', nodes: 5, seed: 2 }, start: { kind: 'flp', algorithm: 'tiebreak' } });
    const value = [{ do: 'propose', node: 'n1', value: 'a~b.c d%' } as const];
    expect(decodeCommands(encodeCommands(value))).toEqual(value);
  });

  it('refuse hostile or broken links with a reason, and open the plain setup instead', () => {
    for (const bad of ['z', 'p.n1', 'p.x1.red', 'c.n1.n2', 'u.99999999', 'h.2', 'd.-1', 's.1', 'p.n1.%E0%A4%A', `p.n1.${'x'.repeat(41)}`]) {
      expect(typeof decodeCommands(bad), bad).toBe('string');
    }
    expect(decodeCommands(Array(MAX_SOLO_COMMANDS + 1).fill('s').join('~'))).toMatch(/at most/);
    const route = parseRoute('?solo=1&algorithm=paxos&run=nonsense');
    expect(route).toMatchObject({ kind: 'solo', commands: [] });
    expect(route.kind === 'solo' ? route.runProblem : '').toMatch(/can't be read/);
  });
});
