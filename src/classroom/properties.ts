/**
 * The four properties of a write-once variable, checked live on what the dashboard observes.
 * Pure: the dashboard passes what it knows and the time; this says what holds and why.
 *
 * Agreement and Validity are safety properties: one counter-example is a violation, forever.
 * Termination is liveness: it can only be "not yet", so we say how long and what blocks it.
 * Fault tolerance describes the run: how many members crashed, and whether a majority lives.
 */
import { isMajority, majorityOf } from '../core/quorum.ts';
import type { Value } from '../core/types.ts';
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
}

export interface PropertyInput {
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

export interface TerminationReport {
  readonly status: 'decided' | 'undecided';
  readonly detail: string;
  /** Crashed members that undecided live members are waiting on. */
  readonly blockedOn: readonly PeerId[];
}

export interface FaultToleranceReport {
  readonly crashed: number;
  readonly members: number;
  readonly majorityAlive: boolean;
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
    faultTolerance: checkFaultTolerance(input.members),
  };
}

export function checkAgreement(members: readonly MemberObservation[]): AgreementReport {
  const decisions = members.flatMap((m) => m.decidedValues.map((value) => ({ node: m.id, name: m.name, value })));
  const distinct = new Set(decisions.map((d) => d.value));
  if (distinct.size === 0) return { status: 'pending', detail: 'no node has decided yet', decisions: [] };
  if (distinct.size === 1) {
    return { status: 'ok', detail: `every decided node says "${[...distinct][0]}"`, decisions: [] };
  }
  const byValue = [...distinct].map((value) => {
    const names = decisions.filter((d) => d.value === value).map((d) => d.name);
    return `${names.join(', ')} decided "${value}"`;
  });
  return { status: 'violated', detail: `nodes disagree: ${byValue.join('; ')}`, decisions };
}

export function checkValidity(input: PropertyInput): ValidityReport {
  const late = (m: MemberObservation): boolean =>
    m.decidedAtMs !== undefined && input.nowMs - m.decidedAtMs >= VALIDITY_GRACE_MS;
  const decided = input.members.flatMap((m) => m.decidedValues.map((value) => ({ value, settled: late(m) })));
  if (decided.length === 0) return { status: 'pending', detail: 'nothing decided yet', unproposed: [] };
  const unproposed = decided.filter((d) => !input.proposed.has(d.value));
  if (unproposed.length === 0) return { status: 'ok', detail: 'every decided value was proposed', unproposed: [] };
  const values = [...new Set(unproposed.map((d) => d.value))];
  if (!unproposed.some((d) => d.settled)) {
    return { status: 'pending', detail: `checking "${values.join('", "')}" against proposals`, unproposed: [] };
  }
  return { status: 'violated', detail: `decided but never proposed: "${values.join('", "')}"`, unproposed: values };
}

export function checkTermination(input: PropertyInput): TerminationReport {
  const live = input.members.filter((m) => m.liveness !== 'crashed');
  const undecided = live.filter((m) => m.decidedValues.length === 0);
  const seconds = Math.max(0, Math.round((input.nowMs - input.startedAtMs) / 1000));
  if (live.length > 0 && undecided.length === 0) {
    return { status: 'decided', detail: `every live member decided (${live.length} of ${input.members.length})`, blockedOn: [] };
  }
  const crashed = new Set(input.members.filter((m) => m.liveness === 'crashed').map((m) => m.id));
  const blockedOn = [...new Set(undecided.flatMap((m) => m.waitingOn.filter((id) => crashed.has(id))))];
  const nameOf = (id: PeerId): string => input.members.find((m) => m.id === id)?.name ?? id;
  const reason =
    blockedOn.length > 0
      ? `blocked: waiting for crashed ${blockedOn.map(nameOf).join(', ')}`
      : (splitVoteReason(input.members) ?? waitingReason(undecided, nameOf));
  return { status: 'undecided', detail: `undecided for ${seconds} s — ${reason}`, blockedOn };
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
  const waitingOn = first.waitingOn.map(nameOf);
  return waitingOn.length > 0 ? `${first.name} is waiting for ${waitingOn.join(', ')}` : `${first.name}: ${first.waitingFor}`;
}

export function checkFaultTolerance(members: readonly MemberObservation[]): FaultToleranceReport {
  const crashed = members.filter((m) => m.liveness === 'crashed').length;
  const alive = members.length - crashed;
  const majorityAlive = isMajority(alive, members.length);
  const need = majorityOf(members.length);
  const detail = majorityAlive
    ? `${crashed} of ${members.length} crashed; ${alive} alive, a majority (${need}) can still decide`
    : `${crashed} of ${members.length} crashed; only ${alive} alive, fewer than a majority (${need})`;
  return { crashed, members: members.length, majorityAlive, detail };
}
