/**
 * The two deliberately broken Raft variants, labelled as broken, each caught by the log
 * checkers through seed search (tests/unit/sim/log-broken.test.ts), never staged by hand.
 */
import { createRaftSpec } from './raft.ts';

/** Figure 8: a leader commits an earlier term's entry once a majority stores it. */
export const raftNoTermRuleSpec = createRaftSpec({
  name: 'raft-no-term-rule',
  label: 'Raft without the own-term rule (broken)',
  summary:
    'Commits entries of earlier terms by counting replicas (the paper\'s Figure 8): an entry a majority stores can still be overwritten, so a committed command is lost.',
  broken: true,
  ownTermRule: false,
  persistVote: true,
  // Without the own-term rule the election no-op has no purpose; the paper's Figure 8 has none.
  electionNoop: false,
});

/** votedFor is never written: after a restart a node can vote a second time in the same term. */
export const raftForgetsVoteSpec = createRaftSpec({
  name: 'raft-forgets-vote',
  label: 'Raft that forgets its vote (broken)',
  summary:
    'Does not persist votedFor: a node that restarts votes again in the same term, so one term can have two leaders.',
  broken: true,
  ownTermRule: true,
  persistVote: false,
  electionNoop: true,
});
