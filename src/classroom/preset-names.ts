/**
 * The demonstration presets' names, algorithms and titles: what the router, the menus and the
 * lessons need, without the presets' steps or the adversary (presets.ts), so no page pays for
 * them before its first paint.
 */
import type { AlgorithmName } from '../machines/names.ts';

export const PRESET_NAMES = [
  'flp-red-first',
  'flp-blue-first',
  'flp-scene',
  'flp-crash',
  'flp-crash-impatient',
  'coordinator-crash',
  'majority-split',
  'tiebreak-crash',
  'impatient-disagree',
  'amnesia-restart',
  'paxos-duel',
] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export function isPresetName(raw: string): raw is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(raw);
}

/** Every preset is staged on five nodes: FLP's scene and a bare majority of three need them. */
export const PRESET_NODES = 5;

/** The algorithm each preset shows (the simulator runs it on this one). */
export const PRESET_ALGORITHMS: Readonly<Record<PresetName, AlgorithmName>> = {
  'flp-red-first': 'tiebreak',
  'flp-blue-first': 'tiebreak',
  'flp-scene': 'tiebreak',
  'flp-crash': 'tiebreak',
  'flp-crash-impatient': 'impatient-tiebreak',
  'coordinator-crash': 'coordinator',
  'majority-split': 'majority',
  'tiebreak-crash': 'tiebreak',
  'impatient-disagree': 'impatient-tiebreak',
  'amnesia-restart': 'paxos-amnesia',
  'paxos-duel': 'paxos',
};

export const PRESET_TITLES: Readonly<Record<PresetName, string>> = {
  'flp-red-first': 'FLP: red reaches the fifth node first',
  'flp-blue-first': 'FLP: blue reaches the fifth node first',
  'flp-scene': 'FLP: the class chooses',
  'flp-crash': 'FLP: n5 crashes with both candidates held, the others wait forever',
  'flp-crash-impatient': 'FLP with impatient tiebreak: n5 crashes, the others stop waiting, Agreement breaks',
  'coordinator-crash': 'The coordinator crashes',
  'majority-split': 'Majority: a split vote',
  'tiebreak-crash': 'Tiebreak: one crash blocks it',
  'impatient-disagree': 'Impatient tiebreak breaks Agreement',
  'amnesia-restart': 'Paxos with amnesia: Agreement broken after a restart',
  'paxos-duel': 'Paxos: a duel, then backoff resolves it',
};
