/**
 * Which reported decisions the dashboard believes (issue 9, "lies are detected, not believed").
 *
 * A member's report that it decided a value speaks only for that member. The dashboard believes
 * it when the other members' own reports show what the algorithm needs behind that value:
 * - Paxos (and its amnesia variant): a majority of members report sending `accepted` for it;
 * - majority and tiebreak voting: the votes the members report casting decide it by the rule;
 * - impatient tiebreak: someone reports voting for it (its rule decides on any partial tally);
 * - coordinator: the coordinator decided it (the coordinator itself: someone proposed it).
 * A decision without that evidence is "pending" for DECISION_EVIDENCE_GRACE_MS (the evidence
 * travels in other members' reports and may arrive a few frames later), then a claim: "Ann
 * claims red was chosen; no quorum accepted red", never an Agreement violation.
 *
 * Cost: no message at all; the evidence is the step facts members report anyway (each send's
 * `value`), kept per member as a handful of values.
 */
import { assertNever } from '../core/assert.ts';
import { majorityOf } from '../core/quorum.ts';
import type { Value } from '../core/types.ts';
import { tallyDecision, type Votes } from '../core/voting.ts';
import { DECISION_EVIDENCE_GRACE_MS } from '../limits.ts';
import { electCoordinator } from '../machines/coordinator.ts';
import type { AlgorithmName } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';
import type { DecisionRecord, MemberState } from './dashboard.ts';

/** Why a reported decision is not believed: what evidence is missing. Typed; the UI words it. */
export type MissingEvidence =
  /** Paxos: fewer than a majority of members report accepting the value. */
  | 'no-quorum-accepted'
  /** Majority / tiebreak: the votes members report casting do not decide the value. */
  | 'votes-do-not-decide'
  /** Impatient tiebreak: no member reports voting for the value. */
  | 'nobody-voted'
  /** Coordinator: the coordinator never decided the value. */
  | 'coordinator-did-not-decide'
  /** The coordinator decided a value no member proposed. */
  | 'nobody-proposed';

export interface DecisionClaim {
  readonly member: PeerId;
  readonly value: Value;
  readonly missing: MissingEvidence;
}

export interface DecisionJudgement {
  /** Decided values with evidence, and who decided each. More than one is a real violation. */
  readonly believed: ReadonlyArray<{ readonly value: Value; readonly members: readonly PeerId[] }>;
  /** Reported decisions still waiting for their evidence (within the grace period). */
  readonly pending: readonly DecisionClaim[];
  /** Reported decisions past the grace period with no evidence: shown as who claimed what. */
  readonly claims: readonly DecisionClaim[];
}

function sentBy(member: MemberState | undefined, kind: string): readonly Value[] {
  return member?.sent?.[kind] ?? [];
}

/** The first vote each member reports casting (a member reporting two votes is lying; its first counts). */
function reportedVotes(record: DecisionRecord): Votes {
  const entries: [PeerId, Value][] = [];
  for (const [peer, member] of record.members) {
    const vote = sentBy(member, 'vote')[0];
    if (vote !== undefined) entries.push([peer, vote]);
  }
  return Object.fromEntries(entries);
}

/** What evidence, if any, is missing for `member`'s decision of `value` under the decision's algorithm. */
export function missingEvidence(record: DecisionRecord, member: PeerId, value: Value): MissingEvidence | undefined {
  const { algorithm, members } = record.announcement;
  const count = (kind: string): number =>
    [...record.members.values()].filter((m) => sentBy(m, kind).includes(value)).length;
  const name: AlgorithmName = algorithm;
  switch (name) {
    case 'paxos':
    case 'paxos-amnesia':
      return count('accepted') >= majorityOf(members.length) ? undefined : 'no-quorum-accepted';
    case 'majority':
    case 'tiebreak':
      return tallyDecision(name, members, reportedVotes(record)) === value ? undefined : 'votes-do-not-decide';
    case 'impatient-tiebreak':
      return count('vote') > 0 ? undefined : 'nobody-voted';
    case 'coordinator': {
      const coordinator = electCoordinator(members, members[0] ?? member);
      if (member === coordinator) {
        const proposed = [...record.members.values()].some((m) => m.proposed.includes(value) || sentBy(m, 'initialize').includes(value));
        return proposed ? undefined : 'nobody-proposed';
      }
      const said = record.members.get(coordinator);
      const coordinatorDecided = said !== undefined && (said.decidedValues.includes(value) || sentBy(said, 'value').includes(value));
      return coordinatorDecided ? undefined : 'coordinator-did-not-decide';
    }
    default:
      return assertNever(name, 'algorithm');
  }
}

export function judgeDecisions(record: DecisionRecord, nowMs: number): DecisionJudgement {
  const believed = new Map<Value, PeerId[]>();
  const pending: DecisionClaim[] = [];
  const claims: DecisionClaim[] = [];
  for (const [peer, member] of record.members) {
    for (const value of member.decidedValues) {
      const missing = missingEvidence(record, peer, value);
      if (missing === undefined) {
        believed.set(value, [...(believed.get(value) ?? []), peer]);
      } else if (nowMs - (member.decidedAtMs ?? nowMs) < DECISION_EVIDENCE_GRACE_MS) {
        pending.push({ member: peer, value, missing });
      } else {
        claims.push({ member: peer, value, missing });
      }
    }
  }
  return { believed: [...believed].map(([value, members]) => ({ value, members })), pending, claims };
}
