/**
 * The safety mutants the test suite must kill (issue 9, "Tests that can fail"): each is a
 * plausible bug in a consensus core, written as a precise textual patch of one source file.
 * `npm run test:safety-mutants` (run-safety-mutants.ts) applies each to a temporary copy of the
 * repository, runs the listed tests there, and fails if any mutant survives.
 *
 * Anchors are meant to survive unrelated edits of the same files:
 * - `scope` names the text that opens the function the edit belongs to; the edit is looked for
 *   only from there to the end of that top-level function (the next line that starts with `}`);
 * - `find` is matched with every run of whitespace treated as "any whitespace", so reformatting
 *   or re-indenting does not break it;
 * - `find` must occur exactly once in its scope. Zero or several occurrences stop the runner with
 *   "anchor not found: <mutant>" (or "anchor ambiguous"): a mutant that no longer applies must be
 *   re-anchored, never silently skipped.
 *
 * `checker: true` marks the mutants that unit tests alone used to miss or catch by luck (a
 * learner counting one value across ballots, a promise counted twice, adopting the lowest ballot):
 * for those the runner also requires the simulator's property checker, under the PCT schedule, to
 * find a violation on its own (tests/unit/sim/pct-safety.test.ts), with no unit test involved.
 */

export interface MutantEdit {
  readonly file: string;
  /** Text opening the enclosing top-level function, e.g. `export function onPrepare(`. */
  readonly scope: string;
  readonly find: string;
  readonly replace: string;
  /**
   * The same mutant in another version of the code (e.g. main after a refactor merged): tried in
   * order when this edit's anchor is not found. None applying is still "anchor not found".
   */
  readonly otherwise?: readonly Omit<MutantEdit, 'otherwise'>[];
}

export interface SafetyMutant {
  /** Stable kebab-case name, printed in the runner's table. */
  readonly name: string;
  /** The bug, in the words of the lesson. */
  readonly description: string;
  readonly edits: readonly MutantEdit[];
  /** Unit test files (relative to the repository) that must kill it. */
  readonly tests: readonly string[];
  /** The simulator's checker must also find it through a seed search (see above). */
  readonly checker?: boolean;
}

const CORE_PAXOS = 'src/core/paxos.ts';
const QUORUM = 'src/core/quorum.ts';
const VOTING = 'src/core/voting.ts';
const PAXOS_MACHINE = 'src/machines/paxos.ts';

const PAXOS_TESTS = [
  'tests/unit/machines/paxos-core.test.ts',
  'tests/unit/machines/paxos.test.ts',
  'tests/unit/machines/paxos-cluster.test.ts',
  'tests/unit/machines/safety-mutants.test.ts',
];
const VOTING_TESTS = [
  'tests/unit/quorum.test.ts',
  'tests/unit/machines/majority.test.ts',
  'tests/unit/machines/tiebreak.test.ts',
  'tests/unit/machines/impatient-tiebreak.test.ts',
  'tests/unit/machines/safety-mutants.test.ts',
];

/** The simulator-only test the `checker` mutants must also fail. */
export const CHECKER_TEST = 'tests/unit/sim/pct-safety.test.ts';

export const SAFETY_MUTANTS: readonly SafetyMutant[] = [
  {
    name: 'acceptor-never-persists',
    description: 'the acceptor replies to prepare and accept without writing its promise or accepted proposal',
    edits: [
      {
        file: PAXOS_MACHINE,
        scope: 'export function createPaxosMachine(',
        find: "if (step.changed) enqueue.emit(persist(durableOf({ ...context, acceptor: step.acceptor })));\n        enqueue.emit({ type: 'send', to: senderOf(event), message: step.reply });",
        replace: "enqueue.emit({ type: 'send', to: senderOf(event), message: step.reply });",
      },
      {
        file: PAXOS_MACHINE,
        scope: 'export function createPaxosMachine(',
        find: "if (step.changed) enqueue.emit(persist(durableOf({ ...context, acceptor: step.acceptor })));\n        if (step.reply.type === 'accepted') {",
        replace: "if (step.reply.type === 'accepted') {",
      },
    ],
    tests: PAXOS_TESTS,
  },
  {
    name: 'proposer-ignores-accepted-values',
    description: 'the proposer proposes its own value even when a promise reports an accepted one',
    edits: [
      {
        file: CORE_PAXOS,
        scope: 'export function valueToPropose(',
        find: 'return best === undefined ? own : best.value;',
        replace: 'return own;',
        otherwise: [{ file: CORE_PAXOS, scope: 'export function valueToPropose(', find: 'return highestAccepted(promises)?.value ?? own;', replace: 'return own;' }],
      },
    ],
    tests: PAXOS_TESTS,
  },
  {
    name: 'quorum-floor-half',
    description: 'a quorum is ⌊N/2⌋ members instead of ⌊N/2⌋ + 1 (two disjoint "majorities" of an even room)',
    edits: [{ file: QUORUM, scope: 'export function majorityOf(', find: 'return Math.floor(memberCount / 2) + 1;', replace: 'return Math.floor(memberCount / 2);' }],
    tests: [...VOTING_TESTS, ...PAXOS_TESTS],
  },
  {
    name: 'promise-for-lower-ballot',
    description: 'an acceptor answers a prepare below its promise with a promise instead of a nack',
    edits: [{ file: CORE_PAXOS, scope: 'export function onPrepare(', find: 'if (promised !== undefined && compareBallots(ballot, promised) < 0) {', replace: 'if (false) {' }],
    tests: PAXOS_TESTS,
  },
  {
    name: 'accept-below-promise',
    description: 'an acceptor accepts a proposal in a ballot below the one it promised',
    edits: [{ file: CORE_PAXOS, scope: 'export function onAccept(', find: 'if (promised !== undefined && compareBallots(ballot, promised) < 0) {', replace: 'if (false) {' }],
    tests: PAXOS_TESTS,
  },
  {
    name: 'learner-counts-value-across-ballots',
    description: 'the learner counts acceptors that accepted the same value in different ballots as one quorum',
    edits: [
      {
        file: CORE_PAXOS,
        scope: 'export function completesMajority(',
        find: 'if (node !== acceptor && sameBallot(accepted.ballot, proposal.ballot)) count++;',
        replace: 'if (node !== acceptor && accepted.value === proposal.value) count++;',
        otherwise: [
          {
            file: CORE_PAXOS,
            scope: 'export function completesMajority(',
            find: 'if (node !== acceptor && sameProposal(accepted, proposal)) count++;',
            replace: 'if (node !== acceptor && accepted.value === proposal.value) count++;',
          },
        ],
      },
      {
        file: CORE_PAXOS,
        scope: 'export function chosenIn(',
        find: 'if (acceptedCount(acceptedBy, ballot) < majorityOf(memberCount)) return undefined;',
        replace:
          'const value = [...acceptedBy.values()].find((p) => sameBallot(p.ballot, ballot))?.value;\n' +
          '  if ([...acceptedBy.values()].filter((p) => p.value === value).length < majorityOf(memberCount)) return undefined;',
        // chosenIn counting per value within the ballot: stop skipping the other ballots.
        otherwise: [{ file: CORE_PAXOS, scope: 'export function chosenIn(', find: 'if (!sameBallot(proposal.ballot, ballot)) continue;', replace: '' }],
      },
    ],
    tests: PAXOS_TESTS,
    checker: true,
  },
  {
    name: 'restart-forgets-accepted',
    description: 'a restarted acceptor keeps its promise but forgets the proposal it accepted',
    edits: [
      {
        file: PAXOS_MACHINE,
        scope: 'function initialContext(',
        find: '{ promised: durable?.promised, accepted: durable?.accepted }',
        replace: '{ promised: durable?.promised, accepted: undefined }',
      },
    ],
    tests: PAXOS_TESTS,
  },
  {
    name: 'ballot-order-ignores-node',
    description: 'ballots of the same round compare equal whoever proposed them (no node-id tie-break)',
    edits: [{ file: QUORUM, scope: 'export function compareBallots(', find: 'return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;', replace: 'return 0;' }],
    tests: [...VOTING_TESTS, ...PAXOS_TESTS],
  },
  {
    name: 'repeated-promise-counted-twice',
    description: 'a second promise from the same acceptor (a retransmission answered twice) counts towards the quorum again',
    edits: [{ file: CORE_PAXOS, scope: 'export function promiseQuorum(', find: 'const count = promises.size + (promises.has(promiser) ? 0 : 1);', replace: 'const count = promises.size + 1;' }],
    tests: PAXOS_TESTS,
    checker: true,
  },
  {
    name: 'adopt-lowest-ballot-value',
    description: 'the proposer adopts the value accepted in the lowest ballot among the promises, not the highest',
    edits: [
      {
        file: CORE_PAXOS,
        scope: 'export function valueToPropose(',
        find: 'compareBallots(accepted.ballot, best.ballot) > 0',
        replace: 'compareBallots(accepted.ballot, best.ballot) < 0',
        otherwise: [
          {
            file: CORE_PAXOS,
            scope: 'export function highestAccepted(',
            find: 'compareBallots(accepted.ballot, best.ballot) > 0',
            replace: 'compareBallots(accepted.ballot, best.ballot) < 0',
          },
        ],
      },
    ],
    tests: PAXOS_TESTS,
    checker: true,
  },
  {
    name: 'round-reused',
    description: 'a proposer starts its next ballot in the highest round it has seen instead of above it',
    edits: [{ file: CORE_PAXOS, scope: 'export function nextBallot(', find: 'round: highestRoundSeen + 1', replace: 'round: highestRoundSeen' }],
    tests: PAXOS_TESTS,
  },
  {
    name: 'majority-two-count-ge-n',
    description: 'a majority is 2·count ≥ N, so half of an even room (2 of 4) already wins',
    edits: [{ file: QUORUM, scope: 'export function isMajority(', find: 'return count >= majorityOf(memberCount);', replace: 'return 2 * count >= memberCount;' }],
    tests: VOTING_TESTS,
  },
  {
    name: 'tiebreak-one-vote-missing',
    description: 'the tiebreak decides once all votes but one are in',
    edits: [
      {
        file: VOTING,
        scope: 'export function tallyDecision(',
        find: 'return allVotesIn(members, votes) ? smallestCandidate(votes) : undefined;',
        replace: 'return missingVoters(members, votes).length <= 1 ? smallestCandidate(votes) : undefined;',
      },
      {
        // The machine decides from the tally it keeps (tallyDecides); the dashboard's evidence from tallyDecision.
        file: VOTING,
        scope: 'export function tallyDecides(',
        find: 'return tallied.heard >= memberCount ? smallestOf(Object.keys(tallied.counts)) : undefined;',
        replace: 'return tallied.heard >= memberCount - 1 ? smallestOf(Object.keys(tallied.counts)) : undefined;',
      },
    ],
    tests: VOTING_TESTS,
  },
  {
    name: 'later-vote-overwrites-first',
    description: "a voter's later, different vote replaces its first one in the tally",
    edits: [{ file: VOTING, scope: 'export function withVote(', find: 'return hasVoted(votes, voter) ? votes : { ...votes, [voter]: value };', replace: 'return { ...votes, [voter]: value };' }],
    tests: VOTING_TESTS,
  },
];
