/**
 * Majority-rules voting. Keeps Agreement and Validity: every node counts the same first vote of
 * each member, and only one value can hold a strict majority of all members. Lacks Termination:
 * a split vote (9 / 5 / 11 of 25) leaves every vote cast and no value able to reach 13, forever.
 */
import { createVotingSpec } from './voting-machine.ts';

export const majoritySpec = createVotingSpec({
  rule: 'majority',
  label: 'Majority vote',
  summary:
    'Keeps Agreement and Validity (only one value can win a strict majority) but not Termination: a split vote never decides.',
  broken: false,
});
