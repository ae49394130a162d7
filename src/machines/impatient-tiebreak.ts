/**
 * Impatient tiebreak voting: DELIBERATELY UNSAFE, kept so the checker can catch it. It
 * terminates despite a crashed voter by breaking the tie after timing.impatienceMs over the
 * votes it has seen so far, and so it breaks Agreement: nodes holding different partial tallies
 * pick different "smallest" candidates, or tiebreak before another value reaches a majority.
 * There is no correct moment to stop waiting without a perfect failure detector.
 */
import { createVotingSpec } from './voting-machine.ts';

export const impatientTiebreakSpec = createVotingSpec({
  rule: 'impatient-tiebreak',
  label: 'Impatient tiebreak (broken: breaks Agreement)',
  summary:
    'Terminates despite a crashed voter by breaking the tie after a timeout, but breaks Agreement: nodes that saw different partial tallies decide different values.',
  broken: true,
});
