/**
 * A solo run in a link: the commands of a script (solo-script.ts) as short tokens, and back.
 * Kept apart from the replaying code so the router can read a shared link without loading the
 * simulator (the entry chunk stays small: scripts/check-budgets.ts).
 */
import type { PresetName } from '../classroom/preset-names.ts';
import { assertNever } from '../core/assert.ts';
import type { NodeId, Value } from '../core/types.ts';
import { MAX_SOLO_COMMANDS, MAX_TIMER_NAME_LENGTH, MAX_VALUE_LENGTH, SOLO_MAX_RUN_MS } from '../limits.ts';
import type { SoloSetup } from './solo-setup.ts';

/**
 * The FLP scene's voting rules: all three count the fifth node's vote as the one that breaks
 * 2–2; they differ when n5 crashes instead (majority and tiebreak wait for it forever, impatient
 * tiebreak stops waiting and breaks Agreement once n5 is back).
 */
export type FlpAlgorithm = 'majority' | 'tiebreak' | 'impatient-tiebreak';

export const FLP_ALGORITHMS: readonly FlpAlgorithm[] = ['majority', 'tiebreak', 'impatient-tiebreak'];

export function isFlpAlgorithm(raw: string | null): raw is FlpAlgorithm {
  return (FLP_ALGORITHMS as readonly (string | null)[]).includes(raw);
}

export type SoloCommand =
  | { readonly do: 'propose'; readonly node: NodeId; readonly value: Value }
  | { readonly do: 'crash'; readonly node: NodeId }
  | { readonly do: 'restart'; readonly node: NodeId }
  | { readonly do: 'step' }
  | { readonly do: 'run'; readonly ms: number }
  | { readonly do: 'hold'; readonly on: boolean }
  | { readonly do: 'deliver'; readonly id: number }
  | { readonly do: 'drop'; readonly id: number }
  | { readonly do: 'deliver-all' }
  /** A message on its way (not held) delivered now, ahead of its time: a step of an explorer schedule. */
  | { readonly do: 'deliver-now'; readonly id: number }
  /** A node's pending timer fired now (its delayed event's type): a step of an explorer schedule. */
  | { readonly do: 'timer'; readonly node: NodeId; readonly timer: string };

/** How a run begins: a fresh simulation of `setup`, or the staged FLP scene. */
export type SoloStart =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'flp'; readonly algorithm: FlpAlgorithm }
  /** A demonstration preset (classroom/presets.ts) staged by the adversary on five nodes. */
  | { readonly kind: 'preset'; readonly name: PresetName };

export interface SoloScript {
  readonly setup: SoloSetup;
  readonly start: SoloStart;
  readonly commands: readonly SoloCommand[];
}

/** One command as a short token for a URL: `p.n1.red`, `c.n2`, `r.n2`, `s`, `u.100`, `h.1`, `d.12`, `x.12`, `a`. */
export function encodeCommand(command: SoloCommand): string {
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
    case 'deliver-now':
      return `n.${command.id}`;
    case 'timer':
      return `t.${command.node}.${encodeValue(command.timer)}`;
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
      if (ms === undefined || ms > SOLO_MAX_RUN_MS || b !== undefined) return `"${token}": run needs 0–${SOLO_MAX_RUN_MS} ms`;
      return { do: 'run', ms };
    }
    case 'h':
      if ((a !== '0' && a !== '1') || b !== undefined) return `"${token}": hold is h.1 or h.0`;
      return { do: 'hold', on: a === '1' };
    case 'd':
    case 'x':
    case 'n': {
      const id = count();
      if (id === undefined || b !== undefined) return `"${token}": needs a message number`;
      return op === 'd' ? { do: 'deliver', id } : op === 'x' ? { do: 'drop', id } : { do: 'deliver-now', id };
    }
    case 't': {
      const n = node();
      let timer: string | undefined;
      try {
        timer = b === undefined ? undefined : decodeURIComponent(b);
      } catch {
        timer = undefined;
      }
      if (n === undefined || timer === undefined || !/^[\w.-]+$/.test(timer) || timer.length > MAX_TIMER_NAME_LENGTH) {
        return `"${token}": a timer needs a node like n1 and a timer name of at most ${MAX_TIMER_NAME_LENGTH} letters, digits, dots or dashes`;
      }
      return { do: 'timer', node: n, timer };
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
