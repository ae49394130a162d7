/**
 * The four properties of a write-once variable, checked live on what the dashboard observes.
 * Pure: the dashboard passes what it knows and the time; this says what holds and why.
 *
 * Agreement and Validity are safety properties: one counter-example is a violation, forever.
 * Their verdicts come from the simulator's own commit judge (sim/commit-judge.ts), fed what the
 * reports carry, so the projector and `npm run sim` judge with one implementation.
 * Termination is liveness: it can only be "not yet", so we say how long and whether the
 * algorithm is truly blocked (it cannot progress without a crashed member) or only retrying.
 * Fault tolerance judges the algorithm, not the head count: given who crashed, can this
 * algorithm still terminate, and how many more crashes would it survive.
 */
import { assertNever } from '../core/assert.ts';
import { isMajority, majorityOf } from '../core/quorum.ts';
import type { Value } from '../core/types.ts';
import { electCoordinator } from '../machines/coordinator.ts';
import { CommitJudge, decidedValueOf, decisionCommand, stateMachineSafe } from '../sim/commit-judge.ts';
import { TERMINATION_NAMES_SHOWN } from '../limits.ts';
import type { AlgorithmName } from '../machines/spec.ts';
import type { PeerId } from '../transport/types.ts';

export type MemberLiveness = 'up' | 'suspected' | 'crashed';

export interface MemberObservation {
  readonly id: PeerId;
  readonly name: string;
  readonly liveness: MemberLiveness;
  /** Every distinct value this node has reported deciding, in order (more than one is a bug). */
  readonly decidedValues: readonly Value[];
  /** When the dashboard first saw this node decide (ms on the dashboard's clock). */
  readonly decidedAtMs: number | undefined;
  readonly waitingOn: readonly PeerId[];
  readonly waitingFor: string;
  /** The node's tally of votes (or accepts) per value, as last reported. */
  readonly tally: Readonly<Record<Value, number>>;
  /** The node's phase as last reported ('split vote' is final for majority voting). */
  readonly phase?: string;
}

export interface PropertyInput {
  /** Whose rules judge termination and fault tolerance; without one, a majority rule (Paxos). */
  readonly algorithm?: AlgorithmName;
  readonly members: readonly MemberObservation[];
  /** Every value some member was asked to propose. */
  readonly proposed: ReadonlySet<Value>;
  readonly startedAtMs: number;
  readonly nowMs: number;
}

export type SafetyStatus = 'ok' | 'violated' | 'pending';

export interface AgreementReport {
  readonly status: SafetyStatus;
  readonly detail: string;
  /** For a violation: who decided what. */
  readonly decisions: ReadonlyArray<{ readonly node: PeerId; readonly name: string; readonly value: Value }>;
}

export interface ValidityReport {
  readonly status: SafetyStatus;
  readonly detail: string;
  readonly unproposed: readonly Value[];
}

/**
 * Where an undecided decision stands: 'blocked' only when this algorithm cannot progress without
 * a crashed member; 'retrying' when members wait on a crashed one but the algorithm can decide
 * without it (Paxos with a live majority); 'split' when a vote can never finish; else 'waiting'.
 */
export type Progress = 'decided' | 'blocked' | 'retrying' | 'split' | 'waiting';

export interface TerminationReport {
  readonly status: 'decided' | 'undecided';
  readonly progress: Progress;
  readonly detail: string;
  /** Crashed members that block the decision (empty unless `progress` is 'blocked'). */
  readonly blockedOn: readonly PeerId[];
}

export interface FaultToleranceReport {
  readonly crashed: number;
  readonly members: number;
  readonly majorityAlive: boolean;
  /** Given who crashed, this algorithm can still terminate. */
  readonly canTerminate: boolean;
  /** Further crashes (of any members) it survives, as far as termination goes. */
  readonly survivesMore: number;
  readonly detail: string;
}

export interface PropertyReport {
  readonly agreement: AgreementReport;
  readonly validity: ValidityReport;
  readonly termination: TerminationReport;
  readonly faultTolerance: FaultToleranceReport;
}

/**
 * A decided value not (yet) among the proposals we heard of is only a violation after this
 * grace: the proposer's report and the decider's report travel on different links and may
 * arrive in either order.
 */
export const VALIDITY_GRACE_MS = 3_000;

export function checkProperties(input: PropertyInput): PropertyReport {
  return {
    agreement: checkAgreement(input.members),
    validity: checkValidity(input),
    termination: checkTermination(input),
    faultTolerance: checkFaultTolerance(input.members, input.algorithm),
  };
}

/**
 * Feeds what the reports carry into the simulator's commit judge (sim/commit-judge.ts): each
 * reported decision is that member's commit of index 1, each proposal a submitted command. The
 * verdicts are the judge's; this file only words them for the projector.
 */
function judgeReports(members: readonly MemberObservation[], proposed: ReadonlySet<Value>, firstFed: (m: MemberObservation) => boolean = () => false): CommitJudge {
  const judge = new CommitJudge({ validity: true });
  for (const value of proposed) judge.submitted(decisionCommand(value));
  // Members for which `firstFed` holds go first, so a finding reported once per value names one of them.
  const ordered = [...members.filter(firstFed), ...members.filter((m) => !firstFed(m))];
  for (const m of ordered) {
    for (const value of m.decidedValues) judge.commit(m.id, 0, [{ index: 1, command: decisionCommand(value) }], { step: 0, time: m.decidedAtMs ?? 0 });
  }
  return judge;
}

export function checkAgreement(members: readonly MemberObservation[]): AgreementReport {
  const decisions = members.flatMap((m) => m.decidedValues.map((value) => ({ node: m.id, name: m.name, value })));
  const distinct = new Set(decisions.map((d) => d.value));
  if (decisions.length === 0) return { status: 'pending', detail: 'no node has decided yet', decisions: [] };
  if (stateMachineSafe(judgeReports(members, new Set()).findings)) {
    return { status: 'ok', detail: `every decided node says "${[...distinct][0]}"`, decisions: [] };
  }
  const byValue = [...distinct].map((value) => {
    const names = decisions.filter((d) => d.value === value).map((d) => d.name);
    return `${names.join(', ')} decided "${value}"`;
  });
  return { status: 'violated', detail: `nodes disagree: ${byValue.join('; ')}`, decisions };
}

export function checkValidity(input: PropertyInput): ValidityReport {
  const settled = (m: MemberObservation): boolean =>
    m.decidedAtMs !== undefined && input.nowMs - m.decidedAtMs >= VALIDITY_GRACE_MS;
  if (!input.members.some((m) => m.decidedValues.length > 0)) return { status: 'pending', detail: 'nothing decided yet', unproposed: [] };
  const unproposed = judgeReports(input.members, input.proposed, settled).findings.flatMap((f) =>
    f.kind === 'unsubmitted' ? [{ value: decidedValueOf(f.commit.command) ?? '', settled: settled(memberOf(input.members, f.commit.node)) }] : [],
  );
  if (unproposed.length === 0) return { status: 'ok', detail: 'every decided value was proposed', unproposed: [] };
  const values = [...new Set(unproposed.map((d) => d.value))];
  if (!unproposed.some((d) => d.settled)) {
    return { status: 'pending', detail: `checking "${values.join('", "')}" against proposals`, unproposed: [] };
  }
  return { status: 'violated', detail: `decided but never proposed: "${values.join('", "')}"`, unproposed: values };
}

function memberOf(members: readonly MemberObservation[], id: PeerId): MemberObservation {
  return members.find((m) => m.id === id) as MemberObservation;
}

export function checkTermination(input: PropertyInput): TerminationReport {
  const live = input.members.filter((m) => m.liveness !== 'crashed');
  const undecided = live.filter((m) => m.decidedValues.length === 0);
  const seconds = Math.max(0, Math.round((input.nowMs - input.startedAtMs) / 1000));
  if (live.length > 0 && undecided.length === 0) {
    return {
      status: 'decided',
      progress: 'decided',
      detail: `every live member decided (${live.length} of ${input.members.length})`,
      blockedOn: [],
    };
  }
  const crashed = new Set(input.members.filter((m) => m.liveness === 'crashed').map((m) => m.id));
  const waitedOn = [...new Set(undecided.flatMap((m) => m.waitingOn.filter((id) => crashed.has(id))))];
  const nameOf = (id: PeerId): string => input.members.find((m) => m.id === id)?.name ?? id;
  const undecidedFor = `undecided for ${seconds} s — `;
  const tolerance = checkFaultTolerance(input.members, input.algorithm);
  const split = splitVoteReason(input.members);
  if (split !== undefined) return { status: 'undecided', progress: 'split', detail: undecidedFor + split, blockedOn: [] };
  if (!tolerance.canTerminate) {
    const blockers = waitedOn.length > 0 ? waitedOn : [...crashed];
    return {
      status: 'undecided',
      progress: 'blocked',
      detail: `${undecidedFor}blocked: waiting for crashed ${nameList(blockers.map(nameOf))}`,
      blockedOn: blockers,
    };
  }
  if (waitedOn.length > 0) {
    return {
      status: 'undecided',
      progress: 'retrying',
      detail: `${undecidedFor}retrying: ${nameList(waitedOn.map(nameOf))} crashed, but ${live.length} of ${input.members.length} live members can still decide`,
      blockedOn: [],
    };
  }
  return { status: 'undecided', progress: 'waiting', detail: undecidedFor + waitingReason(undecided, nameOf), blockedOn: [] };
}

/** Every vote is in and no value has a majority: majority voting can never finish. */
function splitVoteReason(members: readonly MemberObservation[]): string | undefined {
  for (const m of members) {
    const counts = Object.values(m.tally);
    const cast = counts.reduce((a, b) => a + b, 0);
    if (cast === members.length && counts.length > 1 && !counts.some((c) => isMajority(c, members.length))) {
      const split = Object.entries(m.tally)
        .map(([value, count]) => `${value} ${count}`)
        .join(' / ');
      return `split vote (${split}): no value can reach ${majorityOf(members.length)}`;
    }
  }
  return undefined;
}

function waitingReason(undecided: readonly MemberObservation[], nameOf: (id: PeerId) => string): string {
  const first = undecided[0];
  if (first === undefined) return 'no live member';
  // A node waiting on its own vote (not cast yet) says "itself", not its own name.
  const waitingOn = first.waitingOn.map((id) => (id === first.id ? 'itself' : nameOf(id)));
  return waitingOn.length > 0 ? `${first.name} is waiting for ${nameList(waitingOn)}` : `${first.name}: ${first.waitingFor}`;
}

/**
 * At most TERMINATION_NAMES_SHOWN names, then how many more: a big room's sentence stays one line
 * on the projector ("A, B, C, D and 29 more"); the cards and the quorum meter list everyone.
 */
export function nameList(names: readonly string[]): string {
  if (names.length <= TERMINATION_NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, TERMINATION_NAMES_SHOWN).join(', ')} and ${names.length - TERMINATION_NAMES_SHOWN} more`;
}

/**
 * Can this algorithm still terminate with these crashes, and how many more would it survive?
 * - Paxos (both variants) and majority voting need a live majority;
 * - tiebreak needs every vote, so any one crash of a member blocks it (when no majority formed);
 * - impatient tiebreak decides on whatever it holds: crashes never stop it (Agreement pays);
 * - the coordinator algorithm survives any crash but the coordinator's.
 */
export function checkFaultTolerance(members: readonly MemberObservation[], algorithm: AlgorithmName = 'paxos'): FaultToleranceReport {
  const crashed = members.filter((m) => m.liveness === 'crashed');
  const alive = members.length - crashed.length;
  const majorityAlive = isMajority(alive, members.length);
  const need = majorityOf(members.length);
  const head = `${crashed.length} of ${members.length} crashed`;
  const report = (canTerminate: boolean, survivesMore: number, detail: string): FaultToleranceReport => ({
    crashed: crashed.length,
    members: members.length,
    majorityAlive,
    canTerminate,
    survivesMore: Math.max(0, survivesMore),
    detail: `${head}; ${detail}`,
  });
  switch (algorithm) {
    case 'paxos':
    case 'paxos-amnesia':
    case 'majority':
      return majorityAlive
        ? report(true, alive - need, `${alive} alive, a majority (${need}) can still decide; survives ${alive - need} more crash${alive - need === 1 ? '' : 'es'}`)
        : report(false, 0, `only ${alive} alive, fewer than a majority (${need}): blocked until members come back`);
    case 'tiebreak':
      return crashed.length === 0
        ? report(true, 0, 'tiebreak needs every vote (or a majority): the next crash can block it')
        : report(false, 0, `tiebreak needs every vote: blocked by ${crashed.map((m) => m.name).join(', ')} unless a majority agrees`);
    case 'impatient-tiebreak':
      return report(true, alive - 1, 'impatient tiebreak decides on the votes it holds: crashes never stop it, but it may break Agreement');
    case 'coordinator': {
      const coordinator = members.length === 0 ? undefined : electCoordinator(members.map((m) => m.id), members[0]!.id);
      const down = crashed.find((m) => m.id === coordinator);
      return down === undefined
        ? report(true, alive - 1, `survives any crash but the coordinator’s (${members.find((m) => m.id === coordinator)?.name ?? '—'})`)
        : report(false, 0, `the coordinator ${down.name} crashed: nobody can decide until it returns`);
    }
    default:
      return assertNever(algorithm, 'algorithm');
  }
}
