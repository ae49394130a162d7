/**
 * The algorithms' names on their own, without the machines or XState: the router validates
 * `?algorithm=` with them on every page, and the landing page must not download a state-machine
 * library to do that (scripts/check-budgets.ts). spec.ts re-exports them.
 */

/** Every algorithm of the storyline, by the name the CLI, URLs and the UI use. */
export const ALGORITHM_NAMES = [
  'coordinator',
  'majority',
  'tiebreak',
  'impatient-tiebreak',
  'paxos',
  'paxos-amnesia',
] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

export function isAlgorithmName(name: string): name is AlgorithmName {
  return (ALGORITHM_NAMES as readonly string[]).includes(name);
}

/**
 * Replicated-log algorithms (issue 7), by the name the CLI, schedule files and the order book's
 * picker use. Kept apart from ALGORITHM_NAMES: a log runs as a book, not as a write-once decision.
 */
export const LOG_ALGORITHM_NAMES = [
  'raft',
  'raft-no-term-rule',
  'raft-forgets-vote',
  'multipaxos',
  'multipaxos-no-adopt',
] as const;
export type LogAlgorithmName = (typeof LOG_ALGORITHM_NAMES)[number];

export function isLogAlgorithmName(name: string): name is LogAlgorithmName {
  return (LOG_ALGORITHM_NAMES as readonly string[]).includes(name);
}

