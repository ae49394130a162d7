/**
 * What the teacher's dashboard knows: for each decision, each member's latest reported state,
 * the proposals, a bounded feed of messages, and the peers flagged for bad input. The dashboard
 * is an observer, not a member: it only learns from reports, and never takes part in a decision.
 */
import type { NodeView, Value } from '../core/types.ts';
import { MAX_DECISION_HISTORY, MAX_FEED_LINES, MAX_KNOWN_PEERS, MAX_PEERS_PER_ROOM } from '../limits.ts';
import type { PeerId, PeerInfo, RejectReason } from '../transport/types.ts';
import { checkProperties, type MemberLiveness, type MemberObservation, type PropertyReport } from './properties.ts';
import type { DecisionAnnouncement, DecisionId, NodeReport, RefusalReason } from './protocol.ts';

export interface MemberState {
  readonly view: NodeView | undefined;
  readonly decidedValues: readonly Value[];
  readonly decidedAtMs: number | undefined;
  readonly proposed: readonly Value[];
  /** The node restarted from stored state at least once (closed and reopened its tab). */
  readonly rejoined: boolean;
  readonly lastReportAtMs: number | undefined;
}

export interface FeedLine {
  readonly atMs: number;
  readonly from: PeerId;
  readonly to: PeerId;
  readonly kind: string;
  readonly summary: string;
}

/** One entry of the exported trace: a report as received, with the dashboard's time. */
export interface TraceEntry {
  readonly atMs: number;
  readonly node: PeerId;
  readonly report: NodeReport;
}

export interface DecisionRecord {
  readonly announcement: DecisionAnnouncement;
  readonly members: ReadonlyMap<PeerId, MemberState>;
  readonly feed: readonly FeedLine[];
}

export type FlagReason = RefusalReason | RejectReason | 'report-from-non-member';

export interface FlaggedPeer {
  readonly peer: PeerId;
  readonly counts: Readonly<Partial<Record<FlagReason, number>>>;
  readonly lastAtMs: number;
}

/** Largest exported trace per decision: about an hour of a 25-node class at a report per second each. */
const MAX_TRACE_ENTRIES = 20_000;

/**
 * Names kept: every peer the transport lists plus every member of a kept decision. Beyond this,
 * names of peers that are neither are forgotten (a long lesson of new tabs must not grow it).
 */
const MAX_NAMES = MAX_KNOWN_PEERS + MAX_DECISION_HISTORY * MAX_PEERS_PER_ROOM;
/** Flagged peers shown: the room's worth; beyond it the longest-quiet one makes room. */
const MAX_FLAGGED_PEERS = MAX_KNOWN_PEERS;

const EMPTY_MEMBER: MemberState = {
  view: undefined,
  decidedValues: [],
  decidedAtMs: undefined,
  proposed: [],
  rejoined: false,
  lastReportAtMs: undefined,
};

export class DashboardModel {
  private decisions = new Map<DecisionId, DecisionRecord>();
  private flagged = new Map<PeerId, FlaggedPeer>();
  /** Names outlive connections: a crashed member is still "Ann" on the projector. */
  private names = new Map<PeerId, string>();
  /** Append-only per decision (not part of the records, which are replaced on every report). */
  private traces = new Map<DecisionId, TraceEntry[]>();

  announce(announcement: DecisionAnnouncement): void {
    if (this.decisions.has(announcement.id)) return;
    const members = new Map(announcement.members.map((id) => [id, EMPTY_MEMBER]));
    this.decisions.set(announcement.id, { announcement, members, feed: [] });
    this.traces.set(announcement.id, []);
    this.forgetOldDecisions();
  }

  learnNames(peers: readonly PeerInfo[]): void {
    for (const peer of peers) this.names.set(peer.id, peer.name);
    if (this.names.size <= MAX_NAMES) return;
    const keep = new Set(peers.map((p) => p.id));
    for (const record of this.decisions.values()) for (const member of record.members.keys()) keep.add(member);
    for (const id of this.names.keys()) if (!keep.has(id)) this.names.delete(id);
  }

  nameOf(id: PeerId): string {
    return this.names.get(id) ?? id;
  }

  applyReport(from: PeerId, decisionId: DecisionId, report: NodeReport, nowMs: number): void {
    const record = this.decisions.get(decisionId);
    if (record === undefined) return this.flag(from, 'unknown-decision', nowMs);
    const member = record.members.get(from);
    if (member === undefined) return this.flag(from, 'report-from-non-member', nowMs);
    // A refusal names someone else: only peers this room has seen can be flagged that way, so a
    // report cannot invent ids (and grow the flagged list) out of thin air.
    for (const refusal of report.refusals) {
      if (this.names.has(refusal.peer)) this.flag(refusal.peer, refusal.reason, nowMs);
    }
    const decided = report.view.decided;
    const isNewDecision = decided !== undefined && !member.decidedValues.includes(decided);
    const next: MemberState = {
      view: report.view,
      decidedValues: isNewDecision ? [...member.decidedValues, decided] : member.decidedValues,
      decidedAtMs: member.decidedAtMs ?? (decided !== undefined ? nowMs : undefined),
      proposed: report.proposed,
      rejoined: member.rejoined || report.restarted,
      lastReportAtMs: nowMs,
    };
    const sent = report.traffic.filter((t) => t.direction === 'sent');
    const feed = [
      ...record.feed,
      ...sent.map((t) => ({ atMs: nowMs, from, to: t.peer, kind: t.kind, summary: t.summary })),
    ].slice(-MAX_FEED_LINES);
    const trace = this.traces.get(decisionId);
    if (trace !== undefined && trace.length < MAX_TRACE_ENTRIES) trace.push({ atMs: nowMs, node: from, report });
    const members = new Map(record.members).set(from, next);
    this.decisions.set(decisionId, { ...record, members, feed });
  }

  flag(peer: PeerId, reason: FlagReason, nowMs: number): void {
    const previous = this.flagged.get(peer);
    if (previous === undefined && this.flagged.size >= MAX_FLAGGED_PEERS) this.forgetQuietestFlag();
    const counts = { ...previous?.counts, [reason]: (previous?.counts[reason] ?? 0) + 1 };
    this.flagged.set(peer, { peer, counts, lastAtMs: nowMs });
  }

  decision(id: DecisionId): DecisionRecord | undefined {
    return this.decisions.get(id);
  }

  /** Decisions, newest first. */
  history(): DecisionRecord[] {
    return [...this.decisions.values()].sort((a, b) => b.announcement.seq - a.announcement.seq);
  }

  flaggedPeers(): FlaggedPeer[] {
    return [...this.flagged.values()];
  }

  /** The properties of one decision, given who is up now according to the transport. */
  properties(id: DecisionId, liveness: (peer: PeerId) => MemberLiveness, nowMs: number): PropertyReport | undefined {
    const record = this.decisions.get(id);
    if (record === undefined) return undefined;
    const members: MemberObservation[] = [...record.members].map(([peer, state]) => ({
      id: peer,
      name: this.nameOf(peer),
      liveness: liveness(peer),
      decidedValues: state.decidedValues,
      decidedAtMs: state.decidedAtMs,
      waitingOn: state.view?.waitingOn ?? [],
      waitingFor: state.view?.waitingFor ?? 'no report yet',
      tally: state.view?.tally ?? {},
    }));
    const proposed = new Set([...record.members.values()].flatMap((m) => m.proposed));
    return checkProperties({ members, proposed, startedAtMs: record.announcement.startedAt, nowMs });
  }

  /** A JSON-able trace of one decision, for the export button and a later replay. */
  exportTrace(id: DecisionId): object | undefined {
    const record = this.decisions.get(id);
    if (record === undefined) return undefined;
    return {
      format: 'consensus-playground-trace',
      version: 1,
      decision: record.announcement,
      names: Object.fromEntries(record.announcement.members.map((m) => [m, this.nameOf(m)])),
      entries: this.traces.get(id) ?? [],
    };
  }

  private forgetQuietestFlag(): void {
    let quietest: FlaggedPeer | undefined;
    for (const entry of this.flagged.values()) if (quietest === undefined || entry.lastAtMs < quietest.lastAtMs) quietest = entry;
    if (quietest !== undefined) this.flagged.delete(quietest.peer);
  }

  private forgetOldDecisions(): void {
    const keep = new Set(this.history().slice(0, MAX_DECISION_HISTORY).map((r) => r.announcement.id));
    for (const id of this.decisions.keys()) {
      if (keep.has(id)) continue;
      this.decisions.delete(id);
      this.traces.delete(id);
    }
  }
}
