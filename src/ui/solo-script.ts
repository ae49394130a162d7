/**
 * Solo mode's run as a script: the setup plus every command the user gave, in order. The
 * simulator is deterministic, so the script IS the run: replaying it rebuilds the same state
 * bit for bit. That gives solo mode three things for free:
 * - step back: replay the script and stop at an earlier step (the scrubber);
 * - branch from here: cut the script at that step and carry on with other choices;
 * - share: the script fits in a link (`?solo=1&algorithm=…&seed=…&run=…`).
 *
 * Plain data and pure functions: the runes class (solo.svelte.ts) keeps a script and asks for
 * replays; tests check that a replay equals the live run.
 */
import { assertNever } from '../core/assert.ts';
import type { NodeId, Value } from '../core/types.ts';
import { MAX_SOLO_COMMANDS, MAX_VALUE_LENGTH } from '../limits.ts';
import type { Simulation } from '../sim/simulator.ts';
import { applyHold, newSimulation, stageFlp, type FlpAlgorithm, type HoldMode, type SoloSetup } from './solo.ts';

/** Virtual ms one Run may cover: the page's Run buttons use 100 and 1000. */
const MAX_RUN_MS = 60_000;

export type SoloCommand =
  | { readonly do: 'propose'; readonly node: NodeId; readonly value: Value }
  | { readonly do: 'crash'; readonly node: NodeId }
  | { readonly do: 'restart'; readonly node: NodeId }
  | { readonly do: 'step' }
  | { readonly do: 'run'; readonly ms: number }
  | { readonly do: 'hold'; readonly on: boolean }
  | { readonly do: 'deliver'; readonly id: number }
  | { readonly do: 'drop'; readonly id: number }
  | { readonly do: 'deliver-all' };

/** How a run begins: a fresh simulation of `setup`, or the staged FLP scene. */
export type SoloStart = { readonly kind: 'fresh' } | { readonly kind: 'flp'; readonly algorithm: FlpAlgorithm };

export interface SoloScript {
  readonly setup: SoloSetup;
  readonly start: SoloStart;
  readonly commands: readonly SoloCommand[];
}

export interface Replayed {
  readonly sim: Simulation;
  readonly hold: HoldMode;
  /** Commands carried out before the replay stopped (all of them unless it stopped early). */
  readonly applied: number;
  /** Why a command could not be carried out (only a hand-edited link gets here). */
  readonly problem?: string;
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
      return hold;
    case 'restart':
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
    default:
      return assertNever(command, 'solo command');
  }
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

// ---- links --------------------------------------------------------------------------------

/** One command as a short token for a URL: `p.n1.red`, `c.n2`, `r.n2`, `s`, `u.100`, `h.1`, `d.12`, `x.12`, `a`. */
function encodeCommand(command: SoloCommand): string {
  switch (command.do) {
    case 'propose':
      return `p.${command.node}.${encodeValue(command.value)}`;
    case 'crash':
      return `c.${command.node}`;
    case 'restart':
      return `r.${command.node}`;
    case 'step':
      return 's';
    case 'run':
      return `u.${command.ms}`;
    case 'hold':
      return `h.${command.on ? 1 : 0}`;
    case 'deliver':
      return `d.${command.id}`;
    case 'drop':
      return `x.${command.id}`;
    case 'deliver-all':
      return 'a';
    default:
      return assertNever(command, 'solo command');
  }
}

/** URI-encoded, and the two separators too (encodeURIComponent leaves `.` and `~` alone). */
function encodeValue(value: Value): string {
  return encodeURIComponent(value).replaceAll('.', '%2E').replaceAll('~', '%7E');
}

export function encodeCommands(commands: readonly SoloCommand[]): string {
  return commands.map(encodeCommand).join('~');
}

const NODE = /^n[1-9][0-9]?$/;
const COUNT = /^\d{1,9}$/;

function decodeCommand(token: string): SoloCommand | string {
  const [op, a, b, ...rest] = token.split('.');
  if (rest.length > 0) return `"${token}" has too many parts`;
  const node = (): NodeId | undefined => (a !== undefined && NODE.test(a) ? a : undefined);
  const count = (): number | undefined => (a !== undefined && COUNT.test(a) ? Number(a) : undefined);
  switch (op) {
    case 'p': {
      const n = node();
      let value: string | undefined;
      try {
        value = b === undefined ? undefined : decodeURIComponent(b);
      } catch {
        value = undefined;
      }
      if (n === undefined) return `"${token}": propose needs a node like n1`;
      if (value === undefined || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
        return `"${token}": propose needs a value of 1–${MAX_VALUE_LENGTH} characters`;
      }
      return { do: 'propose', node: n, value };
    }
    case 'c':
    case 'r': {
      const n = node();
      if (n === undefined || b !== undefined) return `"${token}": needs one node like n1`;
      return op === 'c' ? { do: 'crash', node: n } : { do: 'restart', node: n };
    }
    case 's':
    case 'a':
      if (a !== undefined) return `"${token}" takes no argument`;
      return op === 's' ? { do: 'step' } : { do: 'deliver-all' };
    case 'u': {
      const ms = count();
      if (ms === undefined || ms > MAX_RUN_MS || b !== undefined) return `"${token}": run needs 0–${MAX_RUN_MS} ms`;
      return { do: 'run', ms };
    }
    case 'h':
      if ((a !== '0' && a !== '1') || b !== undefined) return `"${token}": hold is h.1 or h.0`;
      return { do: 'hold', on: a === '1' };
    case 'd':
    case 'x': {
      const id = count();
      if (id === undefined || b !== undefined) return `"${token}": needs a message number`;
      return op === 'd' ? { do: 'deliver', id } : { do: 'drop', id };
    }
    default:
      return `"${token}" is not a solo command`;
  }
}

/** Parses a link's `run` parameter: the commands, or what is wrong with it (never throws). */
export function decodeCommands(raw: string): SoloCommand[] | string {
  if (raw === '') return [];
  const tokens = raw.split('~');
  if (tokens.length > MAX_SOLO_COMMANDS) return `a shared run holds at most ${MAX_SOLO_COMMANDS} commands`;
  const commands: SoloCommand[] = [];
  for (const token of tokens) {
    const command = decodeCommand(token);
    if (typeof command === 'string') return command;
    commands.push(command);
  }
  return commands;
}
