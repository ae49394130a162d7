/**
 * Solo mode's run as a script: the setup plus every command the user gave, in order. The
 * simulator is deterministic, so the script IS the run: replaying it rebuilds the same state
 * bit for bit. That gives solo mode three things for free:
 * - step back: replay the script and stop at an earlier step (the scrubber);
 * - branch from here: cut the script at that step and carry on with other choices;
 * - share: the script fits in a link (`?solo=1&algorithm=…&seed=…&run=…`, see solo-link.ts).
 *
 * Plain data and pure functions: the runes class (solo.svelte.ts) keeps a script and asks for
 * replays; tests check that a replay equals the live run.
 */
import { assertNever } from '../core/assert.ts';
import type { Simulation } from '../sim/simulator.ts';
import { applyHold, newSimulation, stageFlp, type HoldMode } from './solo.ts';
import type { PresetName } from '../classroom/preset-names.ts';
import { encodeCommand, type SoloCommand, type SoloScript, type SoloStart } from './solo-link.ts';

export type { SoloCommand, SoloScript, SoloStart } from './solo-link.ts';
export { decodeCommands, encodeCommands } from './solo-link.ts';

export interface Replayed {
  readonly sim: Simulation;
  readonly hold: HoldMode;
  /** Commands carried out before the replay stopped (all of them unless it stopped early). */
  readonly applied: number;
  /** Why a command could not be carried out (only a hand-edited link gets here). */
  readonly problem?: string;
}

/** Stages a preset (solo-presets.ts, which registers itself when loaded: solo mode's first paint does without it). */
type PresetStager = (name: PresetName, seed: number) => { sim: Simulation; hold: HoldMode };
let presetStager: PresetStager | undefined;

export function registerPresetStager(stager: PresetStager): void {
  presetStager = stager;
}

/** True once the presets are loaded: a script with a preset start can be replayed. */
export function presetsLoaded(): boolean {
  return presetStager !== undefined;
}

/**
 * Rebuilds the run. With `untilStep`, stops as soon as the simulator has taken that many steps
 * (in the middle of a Run, if that is where the step falls): the state "at that moment".
 * Scripts hold only commands that succeeded live, so a command that fails here came from an
 * edited link: the replay stops there and says which command and why.
 */
export function replay(script: SoloScript, untilStep = Number.POSITIVE_INFINITY): Replayed {
  const started = begin(script);
  const { sim } = started;
  let hold = started.hold;
  const reached = (): boolean => sim.steps >= untilStep;
  let applied = 0;
  for (const command of script.commands) {
    if (reached()) break;
    try {
      hold = apply(sim, hold, command, reached);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      return { sim, hold, applied, problem: `command ${applied + 1} (${encodeCommand(command)}) cannot run: ${why}` };
    }
    applied++;
  }
  return { sim, hold, applied };
}

function begin(script: SoloScript): { sim: Simulation; hold: HoldMode } {
  switch (script.start.kind) {
    case 'fresh':
      return { sim: newSimulation(script.setup), hold: { kind: 'off' } };
    case 'flp':
      return stageFlp(script.start.algorithm, script.setup.seed);
    case 'preset': {
      if (presetStager === undefined) throw new Error('the demonstration presets are still loading');
      const { sim, hold } = presetStager(script.start.name, script.setup.seed);
      return { sim, hold };
    }
    default:
      return assertNever(script.start, 'solo start');
  }
}

/** Carries out one command; returns the hold mode after it. `stop` cuts a Run short for replays. */
export function apply(sim: Simulation, hold: HoldMode, command: SoloCommand, stop: () => boolean = () => false): HoldMode {
  switch (command.do) {
    case 'propose':
      sim.propose(command.node, command.value);
      return hold;
    case 'crash':
      sim.crash(command.node);
      forgetHeldTo(sim, command.node);
      return hold;
    case 'restart':
      forgetHeldTo(sim, command.node);
      sim.restart(command.node);
      return hold;
    case 'step':
      sim.step();
      return hold;
    case 'run': {
      // The same as runFor(ms) (every event due by the target, then the clock reads the target),
      // except that a replay may stop at its step first.
      sim.runUntil(() => stop(), { maxTime: sim.now + command.ms });
      return hold;
    }
    case 'hold': {
      const next: HoldMode = command.on ? { kind: 'all' } : { kind: 'off' };
      applyHold(sim, next);
      return next;
    }
    case 'deliver':
      sim.deliver(command.id);
      return hold;
    case 'drop':
      sim.drop(command.id);
      return hold;
    case 'deliver-all':
      for (const { id } of sim.held()) {
        if (stop()) break;
        sim.deliver(id);
      }
      return hold;
    case 'deliver-now':
      sim.deliverNow(command.id);
      return hold;
    case 'timer':
      sim.fireTimer(command.node, command.timer);
      return hold;
    default:
      return assertNever(command, 'solo command');
  }
}

/**
 * What a node held at its door dies with it, as in a live room (its tab's held list goes with
 * its node): the list then shows only messages its current incarnation can receive. Without
 * this, a held copy sent before the crash (or while it was down) stays listed and delivering it
 * does nothing, which in the FLP scene looks like "red first" failing after a restart.
 */
function forgetHeldTo(sim: Simulation, node: string): void {
  for (const held of sim.held()) if (held.to === node) sim.drop(held.id);
}

/** The script cut at the moment `untilStep`: what "branch from here" continues from. */
export function branchAt(script: SoloScript, untilStep: number): SoloScript {
  const { applied, sim } = replay(script, untilStep);
  const commands = script.commands.slice(0, applied);
  // A Run cut short by the scrubber is kept as the part that really happened.
  const last = commands[commands.length - 1];
  if (last?.do === 'run') {
    const before = replay({ ...script, commands: commands.slice(0, -1) });
    const ran = Math.max(0, Math.round(sim.now - before.sim.now));
    return { ...script, commands: [...commands.slice(0, -1), { do: 'run', ms: ran }] };
  }
  return { ...script, commands };
}
