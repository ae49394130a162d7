/**
 * What the teacher's dashboard knows: for each decision, each member's latest reported state,
 * the proposals, a bounded feed of messages, and the peers flagged for bad input. The dashboard
 * is an observer, not a member: it only learns from reports, and never takes part in a decision.
 *
 * Applying a report costs O(size of the report), never O(room): each member's state is one
 * small immutable object replaced when that member reports, the feed is a ring buffer, the trace
 * an append-only list. Views for the UI (`decision(id)`) are snapshots built at most once per
 * change of that decision, which the UI reads at most once per frame.
 *
 * Who to believe (issue 9): a member's report speaks for that member. Its decision counts only
 * with the evidence the algorithm needs behind it (see evidence.ts); what it says about others
 * (refusals) is that member's claim, and becomes a flag only when more than f members say it
 * independently, or when the dashboard saw it itself.
 */
import type { NodeView, Value } from '../core/types.ts';
import { majorityOf } from '../core/quorum.ts';
import {
  MAX_DECISION_HISTORY,
  MAX_EVIDENCE_PER_REPORT,
  MAX_FEED_ENTRIES_PER_REPORT,
  MAX_FEED_LINES,
  MAX_KNOWN_PEERS,
  MAX_PEERS_PER_ROOM,
  MAX_TRACE_ENTRIES,
} from '../limits.ts';
import type { PeerId, PeerInfo, RejectReason } from '../transport/types.ts';
import { judgeDecisions, type DecisionJudgement } from './evidence.ts';
import { FlightLog, type Flight } from './flights.ts';
import { checkProperties, type MemberLiveness, type MemberObservation, type PropertyReport } from './properties.ts';
import type { DecisionAnnouncement, DecisionId, NodeReport, Refusal, RefusalReason } from './protocol.ts';
import { TRACE_FORMAT, TRACE_VERSION } from '../timeline/trace-format.ts';

export interface MemberState {
  readonly view: NodeView | undefined;
  /** Every distinct value this member reported deciding (more than one is a bug or a lie). */
  readonly decidedValues: readonly Value[];
  readonly decidedAtMs: number | undefined;
  readonly proposed: readonly Value[];
  /** The node restarted from stored state at least once (closed and reopened its tab). */
  readonly rejoined: boolean;
  readonly lastReportAtMs: number | undefined;
  /** The incarnation its reports come from, and that incarnation's PRNG seed (solo mode has none). */
  readonly incarnation?: number | undefined;
  readonly seed?: number | undefined;
  /** What its own reports say it sent, by message kind: its votes, its accepts (evidence). */
  readonly sent?: Readonly<Record<string, readonly Value[]>>;
}

export interface FeedLine {
  /** Unique within its decision, increasing: a stable key for the UI. */
  readonly id: number;
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

/** A snapshot of one decision for the UI: immutable, rebuilt only when the decision changed. */
export interface DecisionRecord {
  readonly announcement: DecisionAnnouncement;
  readonly members: ReadonlyMap<PeerId, MemberState>;
  /** Oldest first, at most MAX_FEED_LINES. */
  readonly feed: readonly FeedLine[];
  /** Bumped by every change to this decision. */
  readonly version: number;
  /** Messages in flight and recently landed, for the network picture (see flights.ts). */
  readonly flights?: readonly Flight[];
}

export type FlagReason = RefusalReason | RejectReason | 'report-from-non-member';

export interface FlaggedPeer {
  readonly peer: PeerId;
  readonly counts: Readonly<Partial<Record<FlagReason, number>>>;
  readonly lastAtMs: number;
  /** 'dashboard': the dashboard saw it itself; 'members': more than f members reported it. */
  readonly evidence: 'dashboard' | 'members';
  /** The members whose reports name it (empty when only the dashboard saw it). */
  readonly reporters: readonly PeerId[];
}

/** One member's report about another, not (yet) corroborated: shown as that member's claim. */
export interface PeerClaim {
  readonly reporter: PeerId;
  readonly accused: PeerId;
  readonly counts: Readonly<Partial<Record<FlagReason, number>>>;
  readonly lastAtMs: number;
}


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
  incarnation: undefined,
  seed: undefined,
  sent: {},
};

/** The newest MAX_FEED_LINES lines, O(1) per line. */
class FeedRing {
  private readonly lines: FeedLine[] = [];
  private start = 0;
  private nextId = 1;

  push(line: Omit<FeedLine, 'id'>): void {
    const full = { ...line, id: this.nextId++ };
    if (this.lines.length < MAX_FEED_LINES) {
      this.lines.push(full);
      return;
    }
    this.lines[this.start] = full;
    this.start = (this.start + 1) % MAX_FEED_LINES;
  }

  toArray(): FeedLine[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}

interface DecisionState {
  readonly announcement: DecisionAnnouncement;
  readonly members: Map<PeerId, MemberState>;
  readonly feed: FeedRing;
  readonly trace: TraceEntry[];
  readonly flights: FlightLog;
  version: number;
  snapshot: DecisionRecord | undefined;
}

function addDistinct<T>(list: readonly T[], items: Iterable<T>, max: number): readonly T[] {
  let out: T[] | undefined;
  for (const item of items) {
    const current = out ?? list;
    if (current.includes(item) || current.length >= max) continue;
    out = [...current, item];
  }
  return out ?? list;
}

export class DashboardModel {
  private decisions = new Map<DecisionId, DecisionState>();
  /** Seen by the dashboard itself: malformed frames, impersonation, reports from non-members. */
  private flagged = new Map<PeerId, Omit<FlaggedPeer, 'evidence' | 'reporters'>>();
  /** Members' reports about others: accused → reporter → what and when. */
  private accusations = new Map<PeerId, Map<PeerId, PeerClaim>>();
  /** Names outlive connections: a crashed member is still "Ann" on the projector. */
  private names = new Map<PeerId, string>();
  /** Bumped by every change: the UI recomputes derived views only when it moved. */
  private changes = 0;

  get version(): number {
    return this.changes;
  }

  announce(announcement: DecisionAnnouncement): void {
    if (this.decisions.has(announcement.id)) return;
    const members = new Map(announcement.members.map((id) => [id, EMPTY_MEMBER]));
    this.decisions.set(announcement.id, { announcement, members, feed: new FeedRing(), trace: [], flights: new FlightLog(), version: 0, snapshot: undefined });
    this.forgetOldDecisions();
    this.changes++;
  }

  learnNames(peers: readonly PeerInfo[]): void {
    for (const peer of peers) this.names.set(peer.id, peer.name);
    this.changes++;
    if (this.names.size <= MAX_NAMES) return;
    const keep = new Set(peers.map((p) => p.id));
    for (const record of this.decisions.values()) for (const member of record.members.keys()) keep.add(member);
    for (const id of this.names.keys()) if (!keep.has(id)) this.names.delete(id);
  }

  nameOf(id: PeerId): string {
    return this.names.get(id) ?? id;
  }

  /** Applies one member's report: O(size of the report). */
  applyReport(from: PeerId, decisionId: DecisionId, report: NodeReport, nowMs: number): void {
    const record = this.decisions.get(decisionId);
    if (record === undefined) return this.flag(from, 'unknown-decision', nowMs);
    const member = record.members.get(from);
    if (member === undefined) return this.flag(from, 'report-from-non-member', nowMs);
    this.noteRefusals(from, report.refusals, nowMs);
    record.members.set(from, this.nextMemberState(member, report, nowMs));
    for (const step of report.steps) {
      if (step.cause.kind === 'receive') record.flights.received(from, step.cause.from, step.cause.id, nowMs);
      for (const group of step.sent) {
        for (const to of group.to) record.feed.push({ atMs: nowMs, from, to, kind: group.kind, summary: group.summary });
        record.flights.sent(from, report.inc, group, nowMs);
      }
    }
    if (record.trace.length < MAX_TRACE_ENTRIES) record.trace.push({ atMs: nowMs, node: from, report });
    record.version++;
    this.changes++;
  }

  private nextMemberState(member: MemberState, report: NodeReport, nowMs: number): MemberState {
    const view = report.view ?? member.view;
    const decidedNow: Value[] = [];
    for (const step of report.steps) if (step.decided !== undefined) decidedNow.push(step.decided);
    if (view?.decided !== undefined) decidedNow.push(view.decided);
    // A liar can report many values: what is kept per member stays bounded.
    const decidedValues = addDistinct(member.decidedValues, decidedNow, MAX_EVIDENCE_PER_REPORT);
    let sent = member.sent ?? {};
    const noteSent = (kind: string, value: Value): void => {
      const known = sent[kind] ?? [];
      if (known.includes(value) || known.length >= MAX_EVIDENCE_PER_REPORT) return;
      if (!Object.hasOwn(sent, kind) && Object.keys(sent).length >= MAX_EVIDENCE_PER_REPORT) return;
      sent = { ...sent, [kind]: [...known, value] };
    };
    for (const e of report.evidence) noteSent(e.kind, e.value);
    for (const step of report.steps) for (const g of step.sent) if (g.value !== undefined) noteSent(g.kind, g.value);
    const proposed = report.full
      ? report.proposed
      : report.proposed.length > 0
        ? [...member.proposed, ...report.proposed].slice(0, MAX_FEED_ENTRIES_PER_REPORT)
        : member.proposed;
    return {
      view,
      decidedValues,
      decidedAtMs: member.decidedAtMs ?? (decidedValues.length > 0 ? nowMs : undefined),
      proposed,
      rejoined: member.rejoined || report.restarted,
      lastReportAtMs: nowMs,
      incarnation: report.inc,
      seed: report.seed ?? (report.inc === member.incarnation ? member.seed : undefined),
      sent,
    };
  }

  /**
   * The refusals a member's report lists (a decision's node, or a book's replica): each is the
   * reporter's claim about someone else. Only peers this room has seen can be named that way, so
   * a report cannot invent ids (and grow the lists) out of thin air.
   */
  noteRefusals(from: PeerId, refusals: readonly Refusal[], nowMs: number): void {
    for (const refusal of refusals) {
      if (this.names.has(refusal.peer) && refusal.peer !== from) this.accuse(from, refusal.peer, refusal.reason, nowMs);
    }
  }

  /** Something the dashboard itself received from `peer` and refused: its own evidence. */
  flag(peer: PeerId, reason: FlagReason, nowMs: number): void {
    const previous = this.flagged.get(peer);
    if (previous === undefined && this.flagged.size >= MAX_FLAGGED_PEERS) this.forgetQuietestFlag();
    const counts = { ...previous?.counts, [reason]: (previous?.counts[reason] ?? 0) + 1 };
    this.flagged.set(peer, { peer, counts, lastAtMs: nowMs });
    this.changes++;
  }

  private accuse(reporter: PeerId, accused: PeerId, reason: FlagReason, nowMs: number): void {
    let byReporter = this.accusations.get(accused);
    if (byReporter === undefined) {
      if (this.accusations.size >= MAX_FLAGGED_PEERS) return;
      byReporter = new Map();
      this.accusations.set(accused, byReporter);
    }
    const previous = byReporter.get(reporter);
    if (previous === undefined && byReporter.size >= MAX_PEERS_PER_ROOM) return;
    const counts = { ...previous?.counts, [reason]: (previous?.counts[reason] ?? 0) + 1 };
    byReporter.set(reporter, { reporter, accused, counts, lastAtMs: nowMs });
  }

  /**
   * Members whose reports alone may not flag a peer: f, the crash faults the room's newest
   * decision tolerates (a majority of its members are assumed honest). More than f independent
   * reporters cannot all be liars.
   */
  private tolerated(): number {
    const newest = this.newestDecision();
    const n = newest?.announcement.members.length ?? 1;
    return n - majorityOf(n);
  }

  decision(id: DecisionId): DecisionRecord | undefined {
    const state = this.decisions.get(id);
    if (state === undefined) return undefined;
    if (state.snapshot?.version !== state.version) {
      state.snapshot = { announcement: state.announcement, members: new Map(state.members), feed: state.feed.toArray(), version: state.version, flights: state.flights.toArray() };
    }
    return state.snapshot;
  }

  /** Decisions, newest first. */
  history(): DecisionRecord[] {
    return [...this.decisions.keys()]
      .map((id) => this.decision(id)!)
      .sort((a, b) => b.announcement.seq - a.announcement.seq);
  }

  /** Flagged on the dashboard's own evidence, or by more than f members independently. */
  flaggedPeers(): FlaggedPeer[] {
    const f = this.tolerated();
    const out = new Map<PeerId, FlaggedPeer>();
    for (const entry of this.flagged.values()) out.set(entry.peer, { ...entry, evidence: 'dashboard', reporters: [] });
    for (const [accused, byReporter] of this.accusations) {
      if (byReporter.size <= f) continue;
      const own = out.get(accused);
      const counts: Partial<Record<FlagReason, number>> = { ...own?.counts };
      let lastAtMs = own?.lastAtMs ?? 0;
      for (const claim of byReporter.values()) {
        for (const [reason, count] of Object.entries(claim.counts) as [FlagReason, number][]) {
          counts[reason] = (counts[reason] ?? 0) + count;
        }
        lastAtMs = Math.max(lastAtMs, claim.lastAtMs);
      }
      out.set(accused, {
        peer: accused,
        counts,
        lastAtMs,
        evidence: own?.evidence ?? 'members',
        reporters: [...byReporter.keys()],
      });
    }
    return [...out.values()];
  }

  /** Members' reports about others that are not corroborated enough to flag: each one's claim. */
  claims(): PeerClaim[] {
    const f = this.tolerated();
    const out: PeerClaim[] = [];
    for (const [accused, byReporter] of this.accusations) {
      if (byReporter.size > f || this.flagged.has(accused)) continue;
      out.push(...byReporter.values());
    }
    return out;
  }

  /** Which reported decisions of one decision the evidence supports (see evidence.ts). */
  judge(id: DecisionId, nowMs: number): DecisionJudgement | undefined {
    const record = this.decision(id);
    return record && judgeDecisions(record, nowMs);
  }

  /** The properties of one decision, given who is up now according to the transport. */
  properties(id: DecisionId, liveness: (peer: PeerId) => MemberLiveness, nowMs: number): PropertyReport | undefined {
    const record = this.decision(id);
    if (record === undefined) return undefined;
    const judgement = judgeDecisions(record, nowMs);
    const believed = new Map<PeerId, Value[]>();
    for (const { value, members } of judgement.believed) {
      for (const m of members) believed.set(m, [...(believed.get(m) ?? []), value]);
    }
    const members: MemberObservation[] = [...record.members].map(([peer, state]) => ({
      id: peer,
      name: this.nameOf(peer),
      liveness: liveness(peer),
      decidedValues: believed.get(peer) ?? [],
      decidedAtMs: state.decidedAtMs,
      waitingOn: state.view?.waitingOn ?? [],
      waitingFor: state.view?.waitingFor ?? 'no report yet',
      tally: state.view?.tally ?? {},
      phase: state.view?.phase ?? 'no report yet',
    }));
    const proposed = new Set([...record.members.values()].flatMap((m) => m.proposed));
    return checkProperties({
      algorithm: record.announcement.algorithm,
      members,
      proposed,
      startedAtMs: record.announcement.startedAt,
      nowMs,
    });
  }

  /**
   * Every report of one decision as received, oldest first: append-only (up to MAX_TRACE_ENTRIES),
   * so the live space-time diagram (timeline/live.ts, loaded with the diagram) reads only what
   * is new since its last frame.
   */
  reports(id: DecisionId): readonly TraceEntry[] | undefined {
    return this.decisions.get(id)?.trace;
  }

  /**
   * A JSON-able trace of one decision, for the export button and a replay (timeline/trace-file.ts
   * reads it back): every report as received, which since version 3 carry what a replay needs
   * (each incarnation's seed, timing and starting state; each step's cause, timers by ordinal;
   * each send's message with its id).
   */
  exportTrace(id: DecisionId): object | undefined {
    const record = this.decisions.get(id);
    if (record === undefined) return undefined;
    return {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      decision: record.announcement,
      names: Object.fromEntries(record.announcement.members.map((m) => [m, this.nameOf(m)])),
      entries: record.trace,
    };
  }

  private newestDecision(): DecisionState | undefined {
    let newest: DecisionState | undefined;
    for (const d of this.decisions.values()) if (newest === undefined || d.announcement.seq > newest.announcement.seq) newest = d;
    return newest;
  }

  private forgetQuietestFlag(): void {
    let quietest: Omit<FlaggedPeer, 'evidence' | 'reporters'> | undefined;
    for (const entry of this.flagged.values()) if (quietest === undefined || entry.lastAtMs < quietest.lastAtMs) quietest = entry;
    if (quietest !== undefined) this.flagged.delete(quietest.peer);
  }

  private forgetOldDecisions(): void {
    const keep = new Set(
      [...this.decisions.values()]
        .sort((a, b) => b.announcement.seq - a.announcement.seq)
        .slice(0, MAX_DECISION_HISTORY)
        .map((r) => r.announcement.id),
    );
    for (const id of this.decisions.keys()) if (!keep.has(id)) this.decisions.delete(id);
  }
}
