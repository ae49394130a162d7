/**
 * Solo mode's presets (`?solo=1&algorithm=…&nodes=…&seed=…`), apart from solo.ts so the router
 * can read them without pulling the simulator and every machine into the app's entry chunk:
 * solo mode's code loads only when solo mode is opened (scripts/check-budgets.ts checks it).
 */
import { SOLO_MAX_NODES, SOLO_MIN_NODES } from '../limits.ts';
import type { AlgorithmName, LogAlgorithmName } from '../machines/names.ts';

export interface SoloSetup {
  readonly algorithm: AlgorithmName;
  readonly nodes: number;
  readonly seed: number;
}

/** The FLP scene's size: four nodes split 2–2 and the fifth both candidates are on their way to. */
export const FLP_NODES = 5;

export const DEFAULT_SOLO_SETUP: SoloSetup = { algorithm: 'majority', nodes: 5, seed: 1 };

/** Largest seed: the simulator's seeds are unsigned 32-bit integers. */
export const MAX_SOLO_SEED = 0xffff_ffff;

export function isSoloNodeCount(n: number): boolean {
  return Number.isInteger(n) && n >= SOLO_MIN_NODES && n <= SOLO_MAX_NODES;
}

export function isSoloSeed(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_SOLO_SEED;
}

/**
 * Solo mode's menu entries for the log algorithms, here so the page lists them without loading
 * their machines (the log part of solo mode is a lazy chunk). tests/unit/ui/solo-log.test.ts
 * checks these against the registry (LOG_ALGORITHMS), so they cannot drift.
 */
export const LOG_SOLO_MENU: Readonly<Record<LogAlgorithmName, { readonly label: string; readonly broken: boolean }>> = {
  raft: { label: 'Raft', broken: false },
  'raft-no-term-rule': { label: 'Raft without the own-term rule (broken)', broken: true },
  'raft-forgets-vote': { label: 'Raft that forgets its vote (broken)', broken: true },
  multipaxos: { label: 'Multi-Paxos', broken: false },
  'multipaxos-no-adopt': { label: 'Multi-Paxos that ignores promises (broken)', broken: true },
};
