/**
 * Pure read-models for the classroom components: everything a phone view or the projector
 * dashboard derives from the classroom's records, as small functions with no Svelte and no DOM,
 * so the logic behind every banner and meter is unit-tested on plain data.
 */
import { majorityOf } from '../../core/quorum.ts';
import type { NodeView, Value } from '../../core/types.ts';
import { isBoundedString } from '../../core/validate.ts';
import type { DecisionRecord, FeedLine, FlagReason, MemberState, PeerClaim } from '../../classroom/dashboard.ts';
import type { DecisionClaim, DecisionJudgement, MissingEvidence } from '../../classroom/evidence.ts';
import { checkFaultTolerance, type MemberLiveness, type MemberObservation, type PropertyReport } from '../../classroom/properties.ts';
import type { DecisionAnnouncement } from '../../classroom/protocol.ts';
import { isScenarioName, proposalChoices, type ScenarioName } from '../../classroom/scenarios.ts';
import { MAX_PRESET_SEARCH_LENGTH, MAX_VALUE_LENGTH, STUCK_AFTER_MS } from '../../limits.ts';
import { ALGORITHMS } from '../../machines/index.ts';
import { isAlgorithmName, type AlgorithmName } from '../../machines/spec.ts';
import type { PeerId } from '../../transport/types.ts';

// ---- URL preset ---------------------------------------------------------------------------

export interface DecisionPreset {
  readonly algorithm: AlgorithmName | undefined;
  readonly scenario: ScenarioName | undefined;
}

/** `&algorithm=paxos&scenario=colors` on the host URL preselects the next decision. Never throws. */
export function parsePreset(search: string): DecisionPreset {
  const params = new URLSearchParams(search.length <= MAX_PRESET_SEARCH_LENGTH ? search : '');
  const algorithm = params.get('algorithm');
  const scenario = params.get('scenario');
  return {
    algorithm: algorithm !== null && isAlgorithmName(algorithm) ? algorithm : undefined,
    scenario: scenario !== null && isScenarioName(scenario) ? scenario : undefined,
  };
}

// ---- members --------------------------------------------------------------------------------

/**
 * Replaces node ids inside a machine's text ("votes from 43gdkj, 8fjagq", "ballot 2.43gdkj")
 * with the members' names, so the projector speaks of Ann and Bob. Only whole ids of `members`
 * are replaced; the result is still plain text (rendered as text, never as markup).
 */
export function withNames(text: string, members: readonly PeerId[], nameOf: (peer: PeerId) => string): string {
  if (members.length === 0 || text.length === 0) return text;
  return text.replace(idPattern(members), (id) => nameOf(id));
}

/**
 * One pattern per member list (a decision's members never change), compiled once and reused
 * for every card field of every frame: compiling it per field was a large part of a frame.
 */
const ID_PATTERNS = new WeakMap<readonly PeerId[], RegExp>();

function idPattern(members: readonly PeerId[]): RegExp {
  let pattern = ID_PATTERNS.get(members);
  if (pattern === undefined) {
    const escaped = [...members].sort((a, b) => b.length - a.length).map((id) => id.replace(/[-\\^$*+?.()|[\]{}]/g, '\\$&'));
    pattern = new RegExp(`(?<![A-Za-z0-9_-])(${escaped.join('|')})(?![A-Za-z0-9_-])`, 'g');
    ID_PATTERNS.set(members, pattern);
  }
  return pattern;
}

/** What a node card shows: the failure detector's verdict, plus "rejoined" for a restarted node that is up. */
export type CardLiveness = MemberLiveness | 'rejoined';

export function cardLiveness(liveness: MemberLiveness, member: MemberState | undefined): CardLiveness {
  return liveness === 'up' && member?.rejoined === true ? 'rejoined' : liveness;
}

export const LIVENESS_TEXT: Readonly<Record<CardLiveness, { readonly icon: string; readonly label: string }>> = {
  up: { icon: '●', label: 'up' },
  rejoined: { icon: '↻', label: 'rejoined' },
  suspected: { icon: '◐', label: 'suspected' },
  crashed: { icon: '✕', label: 'crashed' },
};

// ---- tallies and quorums ------------------------------------------------------------------

export interface TallyRow {
  readonly value: Value;
  readonly count: number;
  readonly quorum: number;
  readonly reached: boolean;
}

/**
 * One tally for the whole class: for each value, the highest count any member reports. Each
 * member sees a subset of the same facts (first votes, accepted proposals), so the highest
 * count is the most complete picture without double counting.
 */
export function classTally(record: DecisionRecord): TallyRow[] {
  const best = new Map<Value, number>();
  for (const member of record.members.values()) {
    for (const [value, count] of Object.entries(member.view?.tally ?? {})) {
      best.set(value, Math.max(best.get(value) ?? 0, count));
    }
  }
  const quorum = majorityOf(record.announcement.members.length);
  return [...best]
    .map(([value, count]) => ({ value, count, quorum, reached: count >= quorum }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
}

/**
 * Fields whose equal values across members form a quorum: Paxos acceptors that promised, or
 * accepted, the same ballot; voters that cast the same vote. Other labels (the round, "my
 * candidate") are per-node facts, not something a majority has to share.
 */
const QUORUM_FIELDS: readonly string[] = ['promised', 'accepted', 'my vote'];
/** Field values that mean "nothing yet" in every algorithm's view. */
const EMPTY_FIELD_VALUES = new Set(['—', '-', '', 'not cast yet', 'unknown yet']);

export interface QuorumGroup {
  /** The field, e.g. "promised". */
  readonly label: string;
  /** The shared value, e.g. "2.n3" or "blue in 2.n3". */
  readonly value: string;
  readonly members: readonly PeerId[];
  readonly quorum: number;
  readonly reached: boolean;
}

/** How close each ballot (or vote) is to a majority, from the members' reported fields. */
export function quorumGroups(record: DecisionRecord): QuorumGroup[] {
  const quorum = majorityOf(record.announcement.members.length);
  const groups = new Map<string, { label: string; value: string; members: PeerId[] }>();
  for (const [peer, member] of record.members) {
    for (const field of member.view?.fields ?? []) {
      if (!QUORUM_FIELDS.includes(field.label) || EMPTY_FIELD_VALUES.has(field.value)) continue;
      const key = `${field.label}\n${field.value}`;
      const group = groups.get(key) ?? { label: field.label, value: field.value, members: [] };
      group.members.push(peer);
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, quorum, reached: g.members.length >= quorum }))
    .sort(
      (a, b) =>
        QUORUM_FIELDS.indexOf(a.label) - QUORUM_FIELDS.indexOf(b.label) ||
        b.members.length - a.members.length ||
        (a.value < b.value ? -1 : 1),
    );
}

/** The current round or ballot as the members report it: the highest "round", else the highest "ballot". */
export function currentRound(record: DecisionRecord): string | undefined {
  let bestRound = -1;
  for (const member of record.members.values()) {
    const round = member.view?.fields.find((f) => f.label === 'round')?.value;
    const n = round === undefined ? NaN : Number(round);
    if (Number.isFinite(n)) bestRound = Math.max(bestRound, n);
  }
  return bestRound >= 0 ? String(bestRound) : undefined;
}

// ---- outcome and alarms -------------------------------------------------------------------

/** Every distinct value some member decided, with who decided it. More than one is a violation. */
export function decidedValues(record: DecisionRecord): { value: Value; members: PeerId[] }[] {
  const byValue = new Map<Value, PeerId[]>();
  for (const [peer, member] of record.members) {
    for (const value of member.decidedValues) byValue.set(value, [...(byValue.get(value) ?? []), peer]);
  }
  return [...byValue].map(([value, members]) => ({ value, members }));
}

export interface Violation {
  readonly property: 'Agreement' | 'Validity';
  /** One line for the red banner, names included. */
  readonly message: string;
  /** The members involved (for highlighting their cards). */
  readonly nodes: readonly PeerId[];
}

/**
 * The safety violations to shout about. Agreement names every node that decided and what it
 * decided; Validity names the values nobody proposed and who decided them.
 */
export function violations(
  judgement: DecisionJudgement,
  properties: PropertyReport,
  nameOf: (peer: PeerId) => string,
): Violation[] {
  const found: Violation[] = [];
  if (properties.agreement.status === 'violated') {
    const groups = judgement.believed.map(
      ({ value, members }) => `${members.map(nameOf).join(', ')} decided “${value}”`,
    );
    found.push({
      property: 'Agreement',
      message: `Agreement violated: ${groups.join(' — but ')}`,
      nodes: properties.agreement.decisions.map((d) => d.node),
    });
  }
  if (properties.validity.status === 'violated') {
    const bad = new Set(properties.validity.unproposed);
    const nodes = judgement.believed
      .filter((d) => bad.has(d.value))
      .flatMap((d) => d.members);
    found.push({
      property: 'Validity',
      message: `Validity violated: ${[...new Set(nodes)].map(nameOf).join(', ')} decided ${[...bad]
        .map((v) => `“${v}”`)
        .join(', ')}, which nobody proposed`,
      nodes,
    });
  }
  return found;
}

/** The newest `limit` feed lines, newest first, each keyed by its id (stable while shown). O(limit). */
export function keyedFeed(feed: readonly FeedLine[], limit: number): { key: number; line: FeedLine }[] {
  return feed
    .slice(Math.max(0, feed.length - limit))
    .reverse()
    .map((line) => ({ key: line.id, line }));
}

// ---- claims: what one member says, not believed without evidence ----------------------------

const MISSING_EVIDENCE_TEXT: Readonly<Record<MissingEvidence, (value: Value) => string>> = {
  'no-quorum-accepted': (v) => `no quorum accepted “${v}”`,
  'votes-do-not-decide': (v) => `the votes members report do not decide “${v}”`,
  'nobody-voted': (v) => `nobody reports voting for “${v}”`,
  'coordinator-did-not-decide': (v) => `the coordinator never decided “${v}”`,
  'nobody-proposed': (v) => `nobody proposed “${v}”`,
};

/** "Ann claims red was chosen; no quorum accepted red". */
export function decisionClaimText(claim: DecisionClaim, nameOf: (peer: PeerId) => string): string {
  return `${nameOf(claim.member)} claims “${claim.value}” was chosen; ${MISSING_EVIDENCE_TEXT[claim.missing](claim.value)}`;
}

/** "Bob reports Ann sent garbage (invalid algorithm message ×3)". */
export function peerClaimText(claim: PeerClaim, nameOf: (peer: PeerId) => string): string {
  return `${nameOf(claim.reporter)} reports ${nameOf(claim.accused)} sent garbage (${flagReasons(claim.counts)})`;
}

export function flagReasons(counts: Readonly<Partial<Record<FlagReason, number>>>): string {
  return (Object.entries(counts) as [FlagReason, number][]).map(([reason, count]) => `${FLAG_REASON_TEXT[reason]} ×${count}`).join(', ');
}

export const FLAG_REASON_TEXT: Readonly<Record<FlagReason, string>> = {
  malformed: 'malformed message',
  oversized: 'oversized message',
  'unknown-type': 'unknown message type',
  'rate-limited': 'flooding',
  'unknown-decision': 'message for an unknown decision',
  'not-a-member': 'algorithm message from a non-member',
  'bad-algorithm-message': 'invalid algorithm message',
  'not-a-host': 'pretended to be the teacher',
  'report-from-non-member': 'report from a non-member',
  implausible: 'impossible algorithm message (e.g. a round far above everyone else\'s)',
  'unverified-claim': 'claimed a decision that could not be true',
};

// ---- the student's phone ---------------------------------------------------------------------

export type ProposalButton =
  | { readonly kind: 'value'; readonly value: Value }
  /** User of the day: the tab draws a participant when pressed (the UI's randomness, not the algorithm's). */
  | { readonly kind: 'random-participant'; readonly participants: readonly Value[] };

export function proposalButtons(scenario: ScenarioName, participants: readonly string[]): ProposalButton[] {
  if (scenario === 'user-of-the-day') {
    const names = participants.filter((p) => isBoundedString(p, MAX_VALUE_LENGTH));
    return names.length > 0 ? [{ kind: 'random-participant', participants: names }] : [];
  }
  return proposalChoices(scenario, participants).map((value) => ({ kind: 'value', value }));
}

/** Picks one participant with `random` (uniform in [0,1)). */
export function drawParticipant(participants: readonly Value[], random: () => number): Value | undefined {
  if (participants.length === 0) return undefined;
  const index = Math.min(participants.length - 1, Math.floor(random() * participants.length));
  return participants[index];
}

export type StudentAlert =
  | { readonly kind: 'disconnected'; readonly message: string }
  /** Waiting on a crashed member that this algorithm can decide without (Paxos with a live majority). */
  | { readonly kind: 'retrying'; readonly message: string }
  | { readonly kind: 'stuck'; readonly message: string };

export interface StudentSituation {
  readonly decision: DecisionAnnouncement;
  readonly self: PeerId;
  readonly view: NodeView | undefined;
  /** What this tab proposed in this decision. */
  readonly proposed: readonly Value[];
  readonly liveness: (peer: PeerId) => MemberLiveness;
  readonly nameOf: (peer: PeerId) => string;
  /** Is the teacher's dashboard reachable? */
  readonly hostReachable: boolean;
  readonly nowMs: number;
}

/**
 * The banners of the phone view: disconnected (I reach nobody, or fewer members than a
 * majority), then stuck (waiting for a crashed member, a split vote, or simply too long).
 */
export function studentAlerts(s: StudentSituation): StudentAlert[] {
  const alerts: StudentAlert[] = [];
  const others = s.decision.members.filter((m) => m !== s.self);
  const reachable = others.filter((m) => s.liveness(m) !== 'crashed');
  const majority = majorityOf(s.decision.members.length);
  if (others.length > 0 && reachable.length === 0) {
    alerts.push({ kind: 'disconnected', message: 'You are disconnected: no other member of this decision is reachable.' });
  } else if (reachable.length + 1 < majority) {
    alerts.push({
      kind: 'disconnected',
      message: `You reach only ${reachable.length + 1} of ${s.decision.members.length} members (you included): fewer than a majority of ${majority}.`,
    });
  }
  if (!s.hostReachable) {
    alerts.push({ kind: 'disconnected', message: 'The teacher’s screen is not connected: it will not see what your node does.' });
  }
  if (s.view === undefined || s.view.decided !== undefined) return alerts;
  const crashed = (s.view.waitingOn ?? []).filter((m) => m !== s.self && s.liveness(m) === 'crashed');
  if (crashed.length > 0) {
    // The algorithm judges, not the head count: Paxos with a live majority only retries.
    const observed: MemberObservation[] = s.decision.members.map((id) => ({
      id,
      name: s.nameOf(id),
      liveness: id === s.self ? 'up' : s.liveness(id),
      decidedValues: [],
      decidedAtMs: undefined,
      waitingOn: [],
      waitingFor: '',
      tally: {},
    }));
    const names = crashed.map(s.nameOf).join(', ');
    alerts.push(
      checkFaultTolerance(observed, s.decision.algorithm).canTerminate
        ? { kind: 'retrying', message: `Retrying without ${names}, who crashed: the members still up can decide.` }
        : { kind: 'stuck', message: `Stuck: waiting for ${names}, who crashed.` },
    );
  } else if (s.view.phase === 'split vote') {
    alerts.push({ kind: 'stuck', message: `Stuck: ${s.view.waitingFor}.` });
  } else if (isUnderway(s) && s.nowMs - s.decision.startedAt >= STUCK_AFTER_MS) {
    const seconds = Math.round((s.nowMs - s.decision.startedAt) / 1000);
    alerts.push({ kind: 'stuck', message: `Still undecided after ${seconds} s (waiting for ${s.view.waitingFor}).` });
  }
  return alerts;
}

/** A decision nobody has proposed in yet is not stuck, just waiting for the class. */
function isUnderway(s: StudentSituation): boolean {
  return s.proposed.length > 0 || (s.view !== undefined && s.view.phase !== 'idle');
}

/** How an algorithm appears in a menu: its label, and a warning when it is broken on purpose. */
export function algorithmMenuLabel(name: AlgorithmName): string {
  const spec = ALGORITHMS[name];
  return spec.broken ? `${spec.label} — ⚠ deliberately broken` : spec.label;
}
