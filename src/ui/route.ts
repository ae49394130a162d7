/**
 * The app's routes, read from the query string. A URL is the whole navigation state, so a QR
 * code, a bookmark or a test can open any screen directly:
 *
 *   /                           landing: start a class room, or join one
 *   /?room=CODE                 join form for that room (name still to type)
 *   /?room=CODE&name=NAME       join at once as a student (what the QR code's phones end up on)
 *   /?room=CODE&view=host       the teacher's room page
 *   /?solo=1                    solo mode: the simulator in the page, no room, no network
 *                               (optionally &algorithm=majority&nodes=5&seed=1)
 *
 * No parameter installs anything: tests get their window hook from the e2e build (see
 * test-hook.ts), so `?test=1` is an unknown parameter like any other and is ignored.
 * Parsing never throws: bad input yields a route that explains what was wrong.
 */
import { isPresetName, PRESET_ALGORITHMS, PRESET_NODES } from '../classroom/preset-names.ts';
import { normalizeRoomCode, type RoomCode } from '../rooms/room-code.ts';
import { parseDisplayName } from '../rooms/names.ts';
import { isAlgorithmName, isLogAlgorithmName, type LogAlgorithmName } from '../machines/names.ts';
import { MAX_URL_SEARCH_LENGTH } from '../limits.ts';
import { DEFAULT_SOLO_SETUP, FLP_NODES, isSoloNodeCount, isSoloSeed, type SoloSetup } from './solo-setup.ts';
import { decodeCommands, encodeCommands, isFlpAlgorithm, type SoloCommand, type SoloScript, type SoloStart } from './solo-link.ts';

export type Route =
  | { readonly kind: 'landing'; readonly problem?: RouteProblem }
  | { readonly kind: 'join'; readonly room: RoomCode; readonly problem?: RouteProblem }
  | { readonly kind: 'student'; readonly room: RoomCode; readonly name: string }
  | { readonly kind: 'host'; readonly room: RoomCode }
  | {
      readonly kind: 'solo';
      readonly setup: SoloSetup;
      /** A shared run (`&scene=flp`, `&run=…`): how it starts and the commands to replay. */
      readonly start: SoloStart;
      readonly commands: readonly SoloCommand[];
      /** Why the link's run could not be read; the page opens the setup without it and says so. */
      readonly runProblem?: string;
      /** `&algorithm=raft&stateMachine=register`: solo mode opens on a replicated log instead. */
      readonly log?: SoloLogPreset;
    }
  | { readonly kind: 'lessons'; readonly chapter: string | undefined };

export interface SoloLogPreset {
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: 'orders' | 'register';
  /**
   * `&compare=raft-re-election.json`: a file of tests/scenarios to run on Multi-Paxos and Raft
   * side by side as the page opens (the lessons' link); only a plain file name is read.
   */
  readonly compare?: string;
}

/** A scenario file's name as a link may give it: no path, no query, nothing but the file. */
const SCENARIO_FILE = /^[a-z0-9][a-z0-9-]{0,80}\.json$/;

/** Why a URL did not lead where it asked to: shown as a banner on the page it fell back to. */
export type RouteProblem = 'invalid-room' | 'invalid-name';


export function parseRoute(search: string): Route {
  if (search.length > MAX_URL_SEARCH_LENGTH) return { kind: 'landing', problem: 'invalid-room' };
  const params = new URLSearchParams(search);
  if (params.get('solo') === '1') {
    const run = parseSoloRun(params);
    const setup = parseSoloSetup(params);
    // The FLP scene is always its own five nodes and voting rule, whatever else the link says.
    const staged =
      run.start.kind === 'flp'
        ? { ...setup, algorithm: run.start.algorithm, nodes: FLP_NODES }
        : run.start.kind === 'preset'
          ? { ...setup, algorithm: PRESET_ALGORITHMS[run.start.name], nodes: PRESET_NODES }
          : setup;
    const logAlgorithm = params.get('algorithm') ?? '';
    if (run.start.kind === 'fresh' && run.commands.length === 0 && isLogAlgorithmName(logAlgorithm)) {
      const compare = params.get('compare') ?? '';
      const log: SoloLogPreset = {
        algorithm: logAlgorithm,
        stateMachine: params.get('stateMachine') === 'register' ? 'register' : 'orders',
        ...(SCENARIO_FILE.test(compare) ? { compare } : {}),
      };
      return { kind: 'solo', setup: staged, ...run, log };
    }
    return { kind: 'solo', setup: staged, ...run };
  }
  if (params.get('lessons') === '1') return { kind: 'lessons', chapter: params.get('chapter') ?? undefined };
  const rawRoom = params.get('room');
  if (rawRoom === null) return { kind: 'landing' };
  const room = normalizeRoomCode(rawRoom);
  if (room === undefined) return { kind: 'landing', problem: 'invalid-room' };
  if (params.get('view') === 'host') return { kind: 'host', room };
  const rawName = params.get('name');
  if (rawName === null) return { kind: 'join', room };
  const name = parseDisplayName(rawName);
  return name === undefined ? { kind: 'join', room, problem: 'invalid-name' } : { kind: 'student', room, name };
}

/** Solo presets from the URL; anything missing or invalid falls back to the default, field by field. */
function parseSoloSetup(params: URLSearchParams): SoloSetup {
  const algorithm = params.get('algorithm') ?? '';
  const nodes = wholeNumber(params.get('nodes'));
  const seed = wholeNumber(params.get('seed'));
  return {
    algorithm: isAlgorithmName(algorithm) ? algorithm : DEFAULT_SOLO_SETUP.algorithm,
    nodes: nodes !== undefined && isSoloNodeCount(nodes) ? nodes : DEFAULT_SOLO_SETUP.nodes,
    seed: seed !== undefined && isSoloSeed(seed) ? seed : DEFAULT_SOLO_SETUP.seed,
  };
}

/** The FLP scene runs 5 nodes of majority, tiebreak or impatient tiebreak voting (majority unless the link names one). */
function parseSoloRun(params: URLSearchParams): { start: SoloStart; commands: readonly SoloCommand[]; runProblem?: string } {
  const algorithm = params.get('algorithm');
  const preset = params.get('preset') ?? '';
  const start: SoloStart =
    params.get('scene') === 'flp'
      ? { kind: 'flp', algorithm: isFlpAlgorithm(algorithm) ? algorithm : 'majority' }
      : params.get('scene') === 'preset' && isPresetName(preset)
        ? { kind: 'preset', name: preset }
        : { kind: 'fresh' };
  const decoded = decodeCommands(params.get('run') ?? '');
  return typeof decoded === 'string'
    ? { start, commands: [], runProblem: `This link's run can't be read (${decoded}); starting from its setup instead.` }
    : { start, commands: decoded };
}

/** The link that reopens a solo run exactly: setup, scene and every command. */
export function soloRunHref(script: SoloScript): string {
  const search = new URLSearchParams({
    solo: '1',
    algorithm: script.setup.algorithm,
    nodes: String(script.setup.nodes),
    seed: String(script.setup.seed),
  });
  if (script.start.kind === 'flp') search.set('scene', 'flp');
  if (script.start.kind === 'preset') {
    search.set('scene', 'preset');
    search.set('preset', script.start.name);
  }
  if (script.commands.length > 0) search.set('run', encodeCommands(script.commands));
  return `?${search.toString()}`;
}

/** Plain decimal digits only: `Number('')` is 0 and `Number('1e3')` is 1000, neither what a URL meant. */
function wholeNumber(raw: string | null): number | undefined {
  return raw !== null && /^\d{1,10}$/.test(raw) ? Number(raw) : undefined;
}

/** Query strings for each route. */
export function landingHref(): string {
  return '?';
}

export function joinHref(room: RoomCode): string {
  return `?${query({ room })}`;
}

export function studentHref(room: RoomCode, name: string): string {
  return `?${query({ room, name })}`;
}

export function hostHref(room: RoomCode): string {
  return `?${query({ room, view: 'host' })}`;
}

export function soloHref(): string {
  return `?${query({ solo: '1' })}`;
}

/** The absolute URL students open (what the QR code encodes): the join form of `room`. */
export function joinUrl(base: string, room: RoomCode): string {
  const url = new URL(base);
  url.search = query({ room });
  url.hash = '';
  return url.toString();
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}
