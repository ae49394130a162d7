/**
 * The registry of replicated-log algorithms, by the name the CLI and schedule files use. The same
 * spec type as ALGORITHMS (index.ts), apart from it so that the classroom's first page does not
 * carry Raft and Multi-Paxos (it imports this file lazily); the Record type makes a missing
 * entry a compile error.
 */
import { multiPaxosNoAdoptSpec, multiPaxosSpec } from './multipaxos.ts';
import { raftSpec } from './raft.ts';
import { raftForgetsVoteSpec, raftNoTermRuleSpec } from './raft-variants.ts';
import { isLogAlgorithmName, LOG_ALGORITHM_NAMES, type LogAlgorithmName, type LogAlgorithmSpec } from './spec.ts';

export const LOG_ALGORITHMS: Readonly<Record<LogAlgorithmName, LogAlgorithmSpec>> = {
  raft: raftSpec,
  'raft-no-term-rule': raftNoTermRuleSpec,
  'raft-forgets-vote': raftForgetsVoteSpec,
  multipaxos: multiPaxosSpec,
  'multipaxos-no-adopt': multiPaxosNoAdoptSpec,
};

export function getLogAlgorithm(name: string): LogAlgorithmSpec {
  if (!isLogAlgorithmName(name)) {
    throw new Error(`Unknown log algorithm "${name}". Known: ${LOG_ALGORITHM_NAMES.join(', ')}.`);
  }
  return LOG_ALGORITHMS[name];
}
