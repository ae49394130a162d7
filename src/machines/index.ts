/**
 * The registry of the write-once algorithms of the storyline by name, for the simulator, the CLI,
 * the classroom and the UI. Adding an algorithm means adding its name to ALGORITHM_NAMES (spec.ts)
 * and its spec here; the Record type makes a missing entry a compile error. The log algorithms
 * have theirs (log-index.ts): same spec type (AlgorithmSpec, `kind: 'log'`), kept apart because
 * the classroom loads them only when a teacher opens an order book, in a chunk of their own.
 */
import { coordinatorSpec } from './coordinator.ts';
import { impatientTiebreakSpec } from './impatient-tiebreak.ts';
import { majoritySpec } from './majority.ts';
import { paxosAmnesiaSpec } from './paxos-amnesia.ts';
import { paxosSpec } from './paxos.ts';
import { ALGORITHM_NAMES, isAlgorithmName, type AlgorithmName, type OnceAlgorithmSpec } from './spec.ts';
import { tiebreakSpec } from './tiebreak.ts';

/**
 * Each spec is typed with its own message and durable types; hosts handle them opaquely
 * (`OnceAlgorithmSpec<unknown, unknown>`), which every spec is assignable to: messages only come
 * out of `parseMessage`, and the machine owns its durable state.
 */
export const ALGORITHMS: Readonly<Record<AlgorithmName, OnceAlgorithmSpec>> = {
  coordinator: coordinatorSpec,
  majority: majoritySpec,
  tiebreak: tiebreakSpec,
  'impatient-tiebreak': impatientTiebreakSpec,
  paxos: paxosSpec,
  'paxos-amnesia': paxosAmnesiaSpec,
};

/** The spec named `name`; throws a clear error listing the known names for anything else. */
export function getAlgorithm(name: string): OnceAlgorithmSpec {
  if (!isAlgorithmName(name)) {
    throw new Error(`Unknown algorithm "${name}". Known algorithms: ${ALGORITHM_NAMES.join(', ')}.`);
  }
  return ALGORITHMS[name];
}
