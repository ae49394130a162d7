/**
 * Tiebreak voting. Keeps Agreement, Validity and (without faults) Termination: when every
 * member's vote is in and no value has a majority, every node applies the same rule (the
 * smallest candidate) to the same complete tally. Lacks fault tolerance: it waits for every
 * vote, so one crashed member blocks everyone forever.
 */
import { createVotingSpec } from './voting-machine.ts';

export const tiebreakSpec = createVotingSpec({
  rule: 'tiebreak',
  label: 'Tiebreak vote',
  summary:
    'Keeps Agreement and Validity and ends split votes (smallest candidate once every vote is in), but is not fault tolerant: one crashed voter blocks everyone.',
  broken: false,
});
