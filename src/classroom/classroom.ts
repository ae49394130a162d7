/**
 * A tab's part in the live classroom, above the transport and below the UI.
 *
 * - The teacher's dashboard (role 'host') starts decisions, sets the message delay, and
 *   observes: it is never a member, and it learns only from the members' reports.
 * - A student's tab (role 'student') runs one LiveNode per decision it is a member of, routes
 *   algorithm messages to it, and reports each step to the hosts.
 *
 * The signaling server never sees any of this: every message here travels over the peers' own
 * data channels. Everything inbound is validated (protocol.ts), and a peer that sends what it
 * should not is refused and flagged on the dashboard, never obeyed.
 */
import type { Timing, Value } from '../core/types.ts';
import {
  DECISION_EVIDENCE_GRACE_MS,
  EARLY_MESSAGE_WAIT_MS,
  MAX_DECISION_HISTORY,
  MAX_EARLY_MESSAGES,
  MAX_MESSAGE_DELAY_MS,
  MAX_MESSAGE_SEQ,
  REPORT_FRAME_FALLBACK_MS,
  TEACHER_GONE_RELEASE_MS,
  LIVE_RETRANSMIT_MS_PER_MEMBER,
  LIVE_BOOK_HISTORY,
  LIVE_CATCHUP_BYTES,
  LIVE_ELECTION_TIMEOUT_MS,
  LIVE_RUNNING_DECISIONS,
} from '../limits.ts';
import { LOG_ALGORITHM_NAMES, type AlgorithmName, type LogAlgorithmName, type LogAlgorithmSpec, type OnceAlgorithmSpec } from '../machines/spec.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import { LogLearner } from './log-learner.ts';
import { BookDashboard } from './log-dashboard.ts';
import { parseBookAnnouncement, type BookAnnouncement } from './log-protocol.ts';
import { LiveLogNode } from './live-log-node.ts';
import { readStoredNode, removeStoredNode, storedNodeIds, type NodeFacts } from './node-store.ts';
import { isQuiet, NO_ADVERSARY, oldestInRoom, parseRules, type AdversaryRules, type RoomHeld } from './adversary.ts';
import { FreezableClock } from './freezable-clock.ts';
import type { TransportClock } from '../transport/clock.ts';
import type { PeerId, PeerInfo, PeerRole, Transport, Unsubscribe } from '../transport/types.ts';
import { assertNever } from '../core/assert.ts';
import { DashboardModel } from './dashboard.ts';
import { safetyVerdict, verdictKey } from './verdict.ts';
import { LiveNode } from './live-node.ts';
import type { MemberLiveness } from './properties.ts';
import {
  parseAnnouncement,
  type ClassroomMessage,
  type DecisionAnnouncement,
  type DecisionId,
  type HeldReport,
  type MessageId,
  type NodeControl,
  type NodeReport,
  type RefusalReason,
  type SafetyVerdict,
} from './protocol.ts';
import type { ScenarioName } from './scenarios.ts';
import type { DurableStore } from './storage.ts';

export interface ClassroomOptions {
  readonly transport: Transport<ClassroomMessage>;
  readonly role: PeerRole;
  /** Storage scoped to this room and this node (see BrowserStore's namespace). */
  readonly store: DurableStore;
  /** The tab's clock (the transport's): timers for the nodes, and `now` for the dashboard. */
  readonly clock: TransportClock;
  /** Uniform in [0,1): seeds node PRNGs and decision ids. Injected so tests are reproducible. */
  readonly random: () => number;
  readonly algorithms: Readonly<Record<AlgorithmName, OnceAlgorithmSpec>>;
  /** Replicated-log algorithms the live order book may run (LOG_ALGORITHMS); none: no books. */
  readonly logAlgorithms?: Readonly<Partial<Record<LogAlgorithmName, LogAlgorithmSpec>>>;
  /**
   * Or loads them when a book starts (a tab: the machines stay out of the page's first paint).
   * With it, every name of LOG_ALGORITHM_NAMES is offered.
   */
  readonly loadLogAlgorithm?: (name: LogAlgorithmName) => Promise<LogAlgorithmSpec | undefined>;
  /**
   * Runs a callback once at the next animation frame: nodes coalesce their reports to one per
   * frame through it. A tab passes requestAnimationFrame (with a timer fallback); by default
   * (tests) a timer of REPORT_FRAME_FALLBACK_MS on `clock`.
   */
  readonly scheduleFrame?: (fn: () => void) => void;
}

/** A tab's part in one decision (see Classroom.myPart). */
export type MyPart =
  | { readonly member: false }
  /** `known`: this tab still knows its node's outcome (`decided`, undefined while undecided). */
  | { readonly member: true; readonly known: boolean; readonly decided: Value | undefined };

const HOST_HISTORY_KEY = 'host:decisions';
const SETTINGS_KEY = 'settings';
/** The teacher's adversary rules, kept by the host tab so a reload of the dashboard keeps the hold. */
const ADVERSARY_KEY = 'host:adversary';

/**
 * Timeouts scale with the message delay the teacher dialled in, so slowing messages down for
 * the class does not turn into spurious retries and backoffs. The base values suit real
 * WebRTC on a classroom LAN (a few ms per message) while staying slow enough to watch. The
 * retransmit timer also grows with the room (LIVE_RETRANSMIT_MS_PER_MEMBER): a big room takes
 * longer to finish a round, and a retransmit before it has is pure load.
 */
export function liveTiming(messageDelayMs: number, members = 0): Timing {
  return {
    retransmitMs: 1_500 + 2 * messageDelayMs + LIVE_RETRANSMIT_MS_PER_MEMBER * members,
    impatienceMs: 4_000 + 4 * messageDelayMs,
    backoffMs: 400 + messageDelayMs,
    phaseTimeoutMs: 2_500 + 4 * messageDelayMs,
  };
}

/**
 * Log algorithms: the same retransmit, backoff and phase timers as the write-once algorithms
 * (scaled with the delay and the room), and the Raft election timeout (Multi-Paxos: a
 * follower's patience) scaled with both too: with the delay, so it stays well above the
 * heartbeat period plus a delivery and a leader merely slowed down by the teacher's delay is not
 * deposed; with the room (LIVE_RETRANSMIT_MS_PER_MEMBER, for the reason given there), so a
 * heartbeat round that a crowded machine makes late does not start an election.
 */
export function liveLogTiming(messageDelayMs: number, members = 0): Timing {
  return {
    ...liveTiming(messageDelayMs, members),
    electionTimeoutMs: LIVE_ELECTION_TIMEOUT_MS + 4 * messageDelayMs + LIVE_RETRANSMIT_MS_PER_MEMBER * members,
  };
}

const HOST_BOOKS_KEY = 'host:books';

export class Classroom {
  readonly dashboard: DashboardModel | undefined;
  readonly bookDashboard: BookDashboard | undefined;
  private readonly bookAnnouncements = new Map<string, BookAnnouncement>();
  private readonly logNodes = new Map<string, LiveLogNode>();
  /** The spec each book's replica runs, kept so the teacher's restart needs no second load. */
  private readonly logSpecs = new Map<string, LogAlgorithmSpec>();
  /** Books this tab follows without being a member (it joined after they started). */
  private readonly learners = new Map<string, LogLearner>();
  private readonly announcements = new Map<DecisionId, DecisionAnnouncement>();
  private readonly nodes = new Map<DecisionId, LiveNode>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribes: Unsubscribe[] = [];
  private messageDelayMs = 0;
  /** The lesson chapter the teacher's projector shows (phones follow it), if any. */
  private lessonChapter: string | undefined;
  /** Messages for decisions not announced to us yet, by decision (see holdEarly). */
  private readonly early = new Map<DecisionId, Array<{ readonly from: PeerId; readonly id: MessageId; readonly message: unknown }>>();
  private earlyCount = 0;
  private knownPeers = new Map<PeerId, PeerInfo>();
  private closed = false;
  /** Members: the teacher's screen's safety verdicts, per decision. Host: what it last sent, per decision. */
  private readonly verdicts = new Map<DecisionId, SafetyVerdict>();
  private readonly sentVerdicts = new Map<DecisionId, string>();
  /** Host: decisions with new reports since the last verdict check (checked once per frame). */
  private readonly unjudged = new Set<DecisionId>();
  /** Host: decisions with a look-again timer set (one each) for evidence still within its grace. */
  private readonly rechecks = new Set<DecisionId>();
  /** Members: what my node had decided in decisions whose node no longer runs (undefined: undecided). */
  private readonly finished = new Map<DecisionId, Value | undefined>();

  /** The network adversary's rules (the host's own, or the last a host sent this member). */
  private rules: AdversaryRules = NO_ADVERSARY;
  /** Every node's algorithm clock: the adversary's pause freezes it (no timeout fires), resume thaws it. */
  private readonly nodeClock: FreezableClock;
  /** Member: decisions whose node the teacher crashed (stopped; restarted only by the teacher or a reload). */
  private readonly crashedByTeacher = new Set<DecisionId>();
  /** Member: decisions whose held list changed since the last `held` report (sent once per frame). */
  private readonly heldDirty = new Set<DecisionId>();
  /** Member: the teacher's screen is gone and the release timer runs. */
  private teacherGoneTimer: unknown;
  /** Member: when held messages were last released because no teacher's screen was connected. */
  private releasedAt: number | undefined;
  /** Host: what each member's node of each decision holds, as last reported. */
  private readonly heldReports = new Map<DecisionId, Map<PeerId, HeldReport & { readonly receivedAt: number }>>();

  constructor(private readonly options: ClassroomOptions) {
    this.dashboard = options.role === 'host' ? new DashboardModel() : undefined;
    this.bookDashboard = options.role === 'host' ? new BookDashboard() : undefined;
    this.nodeClock = new FreezableClock(options.clock);
    if (this.dashboard) this.rules = parseRules(options.store.load(ADVERSARY_KEY)) ?? NO_ADVERSARY;
    this.bookDashboard?.setPaused(this.rules.paused, options.clock.now());
    const delay = options.store.load(SETTINGS_KEY);
    if (typeof delay === 'number' && delay >= 0 && delay <= MAX_MESSAGE_DELAY_MS) this.messageDelayMs = delay;
    const { transport } = options;
    this.unsubscribes.push(
      transport.onMessage((from, message) => this.onMessage(from, message)),
      transport.onPeers((peers) => this.onPeers(peers)),
      // Garbage a peer sent us: the dashboard flags it; a member tells the dashboard (batched).
      transport.onReject((from, reason) => this.refuse(from, reason)),
    );
    if (this.dashboard) {
      this.restoreHostHistory();
      this.restoreHostBooks();
    } else {
      this.restartStoredNodes();
    }
    this.onPeers(transport.peers());
    // A classroom may start after its tab already met the teacher's screen (the page loads the
    // classroom after its first paint): that screen's catch-up went out before anyone listened
    // here, so ask it again.
    if (!this.dashboard) {
      for (const peer of transport.peers()) {
        if (peer.role === 'host' && peer.status === 'connected') transport.send(peer.id, { type: 'sync' });
      }
    }
  }

  get self(): PeerId {
    return this.options.transport.self;
  }

  get role(): PeerRole {
    return this.options.role;
  }

  get delayMs(): number {
    return this.messageDelayMs;
  }

  /** The chapter id the teacher is on (a phone shows its title and what to watch), or undefined. */
  get lesson(): string | undefined {
    return this.lessonChapter;
  }

  /** Decisions this tab knows of, newest first. */
  decisions(): DecisionAnnouncement[] {
    return [...this.announcements.values()].sort((a, b) => b.seq - a.seq);
  }

  node(decision: DecisionId): LiveNode | undefined {
    return this.nodes.get(decision);
  }

  peers(): readonly PeerInfo[] {
    return this.options.transport.peers();
  }

  /** How the dashboard sees a member now: from the transport's failure detector. */
  liveness(peer: PeerId): MemberLiveness {
    // The teacher crashed this member's node of what runs now: its tab is up, its node is not.
    // Only a dashboard holds such reports: a phone asks this per member per frame, and finding
    // what runs now sorts the decisions and the books.
    const newest = this.heldReports.size === 0 ? undefined : this.currentRun();
    if (newest !== undefined && this.heldReports.get(newest)?.get(peer)?.crashed === true) return 'crashed';
    const status = this.knownPeers.get(peer)?.status;
    switch (status) {
      case 'connected':
        return 'up';
      case 'suspected':
        return 'suspected';
      case 'down':
      case undefined:
        return 'crashed';
      default:
        return assertNever(status, 'peer status');
    }
  }

  /** What the projector shows now: the newest decision, or a book started after it. */
  private currentRun(): DecisionId | undefined {
    const decision = this.decisions()[0];
    const book = this.books()[0];
    if (book !== undefined && (decision === undefined || book.seq > decision.seq)) return book.id;
    return decision?.id;
  }

  subscribe(listener: () => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- teacher's commands -------------------------------------------------------------

  /** Starts a decision among the students connected now. Returns it, or an error to show. */
  startDecision(algorithm: AlgorithmName, scenario: ScenarioName): DecisionAnnouncement | string {
    if (this.options.role !== 'host') return 'only the teacher’s dashboard starts decisions';
    const members = this.peers()
      .filter((p) => p.role === 'student' && p.status === 'connected')
      .map((p) => p.id)
      .sort();
    if (members.length === 0) return 'nobody has joined yet: a decision needs at least one student';
    const seq = this.nextSeq();
    const suffix = Math.floor(this.options.random() * 36 ** 6).toString(36);
    const decision: DecisionAnnouncement = {
      id: `d${seq}-${suffix}`,
      seq,
      algorithm,
      scenario,
      members,
      startedAt: this.options.clock.now(),
    };
    this.learnDecision(decision);
    this.options.transport.broadcast({ type: 'decision', decision });
    return decision;
  }

  /** Books this tab knows of, newest first. */
  books(): BookAnnouncement[] {
    return [...this.bookAnnouncements.values()].sort((a, b) => b.seq - a.seq);
  }

  /** My replica of `book`, when this tab is one of its members. */
  logNode(book: string): LiveLogNode | undefined {
    return this.logNodes.get(book);
  }

  /** My learner of `book`, when this tab joined after it started. */
  learner(book: string): LogLearner | undefined {
    return this.learners.get(book);
  }

  /** Log algorithms this classroom can run, in registry order (the picker's menu). */
  logAlgorithmNames(): LogAlgorithmName[] {
    if (this.options.loadLogAlgorithm) return [...LOG_ALGORITHM_NAMES];
    return Object.keys(this.options.logAlgorithms ?? {}) as LogAlgorithmName[];
  }

  /**
   * Starts a replicated log (the order book, the register) among the students connected now:
   * they are its voting members for good; anyone who joins later only watches.
   */
  startBook(algorithm: LogAlgorithmName, stateMachine: StateMachineName): BookAnnouncement | string {
    if (this.options.role !== 'host') return 'only the teacher’s dashboard starts an order book';
    if (!this.logAlgorithmNames().includes(algorithm)) return `this room cannot run ${algorithm}`;
    const members = this.peers()
      .filter((p) => p.role === 'student' && p.status === 'connected')
      .map((p) => p.id)
      .sort();
    if (members.length === 0) return 'nobody has joined yet: a replicated log needs at least one student';
    const seq = this.nextSeq();
    const suffix = Math.floor(this.options.random() * 36 ** 6).toString(36);
    // The delay is fixed for the book's life: its replicas' timeouts are scaled for it (liveLogTiming).
    const book: BookAnnouncement = {
      id: `b${seq}-${suffix}`,
      seq,
      algorithm,
      stateMachine,
      members,
      startedAt: this.options.clock.now(),
      messageDelayMs: this.messageDelayMs,
    };
    this.learnBook(book);
    this.options.transport.broadcast({ type: 'book', book });
    return book;
  }

  /** The phone pressed a command button: my replica submits it; a string is a refusal to show. */
  submit(book: string, command: unknown): string | undefined {
    const node = this.logNodes.get(book);
    if (node === undefined) return 'this tab is not a member of that order book';
    const problem = node.submit(command);
    this.changed();
    return problem;
  }

  setMessageDelay(ms: number): void {
    if (this.options.role !== 'host') return;
    this.messageDelayMs = Math.min(MAX_MESSAGE_DELAY_MS, Math.max(0, Math.round(ms)));
    this.options.store.save(SETTINGS_KEY, this.messageDelayMs);
    this.options.transport.broadcast({ type: 'settings', messageDelayMs: this.messageDelayMs });
    this.changed();
  }

  // ---- the network adversary (teacher's dashboard) -------------------------------------

  get adversary(): AdversaryRules {
    return this.rules;
  }

  /** Sets the adversary's rules for every member (and keeps them across a reload of this screen). */
  setAdversary(rules: AdversaryRules): void {
    if (this.options.role !== 'host') return;
    this.rules = rules;
    // The projector's election countdowns stand still with the nodes' clocks.
    this.bookDashboard?.setPaused(rules.paused, this.options.clock.now());
    this.options.store.save(ADVERSARY_KEY, rules);
    this.options.transport.broadcast({ type: 'adversary', rules });
    this.changed();
  }

  /** Tells `peer`'s node of `decision` to act: a held message, a crash, a restart, a staged proposal. */
  control(decision: DecisionId, peer: PeerId, control: NodeControl): void {
    if (this.options.role !== 'host') return;
    this.options.transport.send(peer, { type: 'control', decision, control });
  }

  /** Host: what `peer`'s node of `decision` holds, as it last reported. */
  heldAt(decision: DecisionId, peer: PeerId): HeldReport | undefined {
    return this.heldReports.get(decision)?.get(peer);
  }

  /** Host: the oldest message held anywhere in `decision` (what Step delivers). */
  oldestHeld(decision: DecisionId): RoomHeld | undefined {
    const byPeer = this.heldReports.get(decision);
    if (byPeer === undefined) return undefined;
    return oldestInRoom([...byPeer].map(([at, r]) => ({ at, entries: r.entries, receivedAt: r.receivedAt })), this.options.clock.now());
  }

  /** Member: the teacher's screen left and held messages were released (when), for the phone to say so. */
  get releasedForTeacherGoneAt(): number | undefined {
    return this.releasedAt;
  }

  /** Member: the teacher crashed my node of `decision`. */
  crashedByTeacherIn(decision: DecisionId): boolean {
    return this.crashedByTeacher.has(decision);
  }

  /** The projector moved to a chapter (undefined: out of the lessons): every phone is told. */
  setLesson(chapter: string | undefined): void {
    if (this.options.role !== 'host') return;
    this.lessonChapter = chapter;
    this.options.transport.broadcast({ type: 'lesson', chapter: chapter ?? null });
    this.changed();
  }

  // ---- student's commands -------------------------------------------------------------

  /** tryInitialize(value) on my node of `decision`; an error string if I am not a member. */
  propose(decision: DecisionId, value: Value): string | undefined {
    const node = this.nodes.get(decision);
    if (node === undefined) return 'this tab is not a member of that decision';
    node.propose(value);
    return undefined;
  }

  close(): void {
    this.closed = true;
    if (this.teacherGoneTimer !== undefined) this.options.clock.clearTimeout(this.teacherGoneTimer);
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    for (const node of this.nodes.values()) node.stop();
    this.nodes.clear();
    for (const node of this.logNodes.values()) node.stop();
    this.logNodes.clear();
    for (const learner of this.learners.values()) learner.stop();
    this.learners.clear();
  }

  // ---- inbound ------------------------------------------------------------------------

  private onMessage(from: PeerId, message: ClassroomMessage): void {
    switch (message.type) {
      case 'decision':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        this.learnDecision(message.decision);
        return;
      case 'book':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        this.learnBook(message.book);
        return;
      case 'learn': {
        // Anyone in the room may follow a book; only its members answer, from what they committed.
        const node = this.logNodes.get(message.book);
        if (node === undefined) return;
        // Entries this replica compacted away (or never had: its state came from a snapshot) go as snapshot chunks.
        const answer = node.answerLearner(from, message.from, message.snapshot, LIVE_CATCHUP_BYTES);
        if (answer?.kind === 'snapshot') this.options.transport.send(from, { type: 'learnedSnapshot', book: message.book, chunk: answer.chunk });
        else if (answer?.kind === 'entries') this.options.transport.send(from, { type: 'learned', book: message.book, entries: answer.entries });
        return;
      }
      case 'learned':
        this.learners.get(message.book)?.receive(from, message.entries);
        return;
      case 'learnedSnapshot':
        this.learners.get(message.book)?.receiveSnapshot(from, message.chunk);
        return;
      case 'settings':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        this.messageDelayMs = message.messageDelayMs;
        this.options.store.save(SETTINGS_KEY, this.messageDelayMs);
        this.changed();
        return;
      case 'lesson':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        this.lessonChapter = message.chapter ?? undefined;
        this.changed();
        return;
      case 'sync':
        if (this.dashboard) this.sendStateTo(from);
        return;
      case 'algo': {
        const logNode = this.logNodes.get(message.decision);
        if (logNode !== undefined) return logNode.receive(from, message.message, message.id);
        // A book's message for a tab that runs no replica of it (an older book, or a watcher):
        // late, not hostile, when the sender is one of its members.
        const book = this.bookAnnouncements.get(message.decision);
        if (book !== undefined) return book.members.includes(from) ? undefined : this.refuse(from, 'not-a-member');
        const node = this.nodes.get(message.decision);
        if (node !== undefined) return node.receive(from, message.message, message.id);
        // A decision we are a member of but no longer run (only the newest LIVE_RUNNING_DECISIONS
        // keep a node): a fellow member that is still on it is late, not hostile. Dropping it
        // quietly keeps an honest student off the projector's flagged list.
        if (this.isMemberOfKnown(message.decision, from)) return;
        if (this.dashboard || this.announcements.has(message.decision)) return this.refuse(from, 'unknown-decision');
        return this.holdEarly(from, message.decision, message.id, message.message);
      }
      case 'report':
        if (!this.dashboard) return;
        if (this.bookDashboard?.has(message.decision)) {
          const now = this.options.clock.now();
          const outcome = this.bookDashboard.applyReport(from, message.decision, message.report, now);
          // What a replica refused (an implausible term or round) names its sender: a claim, flagged once enough members make it.
          if (outcome === 'applied') this.dashboard.noteRefusals(from, message.report.refusals, now);
          if (outcome === 'not-a-member') this.dashboard.flag(from, 'report-from-non-member', now);
          else if (outcome === 'implausible') this.dashboard.flag(from, 'implausible', now);
          this.changed();
          return;
        }
        this.dashboard.applyReport(from, message.decision, message.report, this.options.clock.now());
        this.judgeLater(message.decision);
        this.changed();
        return;
      case 'verdict':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        if (this.dashboard || !this.announcements.get(message.decision)?.members.includes(this.self)) return;
        this.verdicts.set(message.decision, message.verdict);
        this.changed();
        return;
      case 'adversary':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        if (this.dashboard) return; // a second teacher's screen follows its own controls
        return this.applyRules(message.rules);
      case 'control':
        if (!this.isHost(from)) return this.refuse(from, 'not-a-host');
        if (this.dashboard) return;
        return this.applyControl(message.decision, message.control);
      case 'held': {
        if (!this.dashboard) return;
        const members = (this.announcements.get(message.decision) ?? this.bookAnnouncements.get(message.decision))?.members;
        if (members === undefined || !members.includes(from)) return this.refuse(from, 'not-a-member');
        const byPeer = this.heldReports.get(message.decision) ?? new Map<PeerId, HeldReport & { readonly receivedAt: number }>();
        byPeer.set(from, { ...message.held, receivedAt: this.options.clock.now() });
        this.heldReports.set(message.decision, byPeer);
        this.changed();
        return;
      }
      default:
        return assertNever(message, 'classroom message');
    }
  }

  private onPeers(peers: readonly PeerInfo[]): void {
    const previous = this.knownPeers;
    this.knownPeers = new Map(peers.map((p) => [p.id, p]));
    this.dashboard?.learnNames(peers);
    for (const peer of peers) {
      const wasConnected = previous.get(peer.id)?.status === 'connected';
      if (peer.status !== 'connected' || wasConnected) continue;
      // A peer (re)appeared: a dashboard brings it up to date; a member re-reports to a host.
      if (this.dashboard) this.sendStateTo(peer.id);
      else if (peer.role === 'host') this.reportAll();
    }
    if (!this.dashboard) this.watchTeacher(peers);
    this.changed();
  }

  /**
   * A member holding messages (or frozen) for a teacher whose screen is gone releases them after
   * TEACHER_GONE_RELEASE_MS, so a closed laptop never freezes the class; a screen that comes back
   * in time (a reload) sends its rules again and nothing was lost.
   */
  private watchTeacher(peers: readonly PeerInfo[]): void {
    const teacherHere = peers.some((p) => p.role === 'host' && p.status === 'connected');
    if (teacherHere) {
      if (this.teacherGoneTimer !== undefined) this.options.clock.clearTimeout(this.teacherGoneTimer);
      this.teacherGoneTimer = undefined;
      return;
    }
    if (this.teacherGoneTimer !== undefined || isQuiet(this.rules)) return;
    this.teacherGoneTimer = this.options.clock.setTimeout(() => {
      this.teacherGoneTimer = undefined;
      if (this.peers().some((p) => p.role === 'host' && p.status === 'connected')) return;
      this.rules = NO_ADVERSARY;
      this.nodeClock.thaw();
      for (const node of this.nodes.values()) node.releaseHeld();
      for (const node of this.logNodes.values()) node.releaseHeld();
      this.releasedAt = this.options.clock.now();
      this.changed();
    }, TEACHER_GONE_RELEASE_MS);
  }

  private applyRules(rules: AdversaryRules): void {
    this.rules = rules;
    if (rules.paused) this.nodeClock.freeze();
    else this.nodeClock.thaw();
    if (!isQuiet(rules)) this.releasedAt = undefined;
    for (const node of this.nodes.values()) node.rulesChanged();
    for (const node of this.logNodes.values()) node.rulesChanged();
    this.watchTeacher(this.peers());
    this.changed();
  }

  /**
   * The teacher acts on my node of a decision, or my replica of a book, the same way: a held
   * message, a crash (the machine stops and forgets; what it stored stays) or a restart (from
   * that storage only, and only if it is still the running one). A staged proposal is a
   * write-once scene: a book has none.
   */
  private applyControl(id: DecisionId, control: NodeControl): void {
    const target = this.controlTarget(id);
    if (target === undefined) return;
    switch (control.do) {
      case 'deliver':
      case 'drop':
      case 'duplicate':
      case 'step':
        target.node?.commandHeld(control);
        return;
      case 'propose':
        target.propose(control.value);
        return;
      case 'submit':
        // Only a book's replica takes commands; a refusal (rate limit, bad command) stays on the phone.
        if (target.node instanceof LiveLogNode) target.node.submit(control.command);
        this.changed();
        return;
      case 'crash':
        if (target.node === undefined) return;
        target.node.stop();
        target.forget();
        this.crashedByTeacher.add(id);
        this.markHeld(id);
        this.changed();
        return;
      case 'restart':
        if (!this.crashedByTeacher.delete(id)) return;
        target.restart();
        this.markHeld(id);
        this.changed();
        return;
      default:
        return assertNever(control, 'node control');
    }
  }

  /** What the teacher's controls act on for `id` here: undefined when this tab is no member of it. */
  private controlTarget(id: DecisionId):
    | {
        readonly node: LiveNode | LiveLogNode | undefined;
        readonly propose: (value: Value) => void;
        readonly forget: () => void;
        readonly restart: () => void;
      }
    | undefined {
    const book = this.bookAnnouncements.get(id);
    if (book !== undefined) {
      if (!book.members.includes(this.self)) return undefined;
      return {
        node: this.logNodes.get(id),
        propose: () => undefined,
        forget: () => this.logNodes.delete(id),
        restart: () => {
          const spec = this.logSpecs.get(id);
          if (this.books()[0]?.id === id && spec !== undefined) this.startLogNode(book, spec);
        },
      };
    }
    const announced = this.announcements.get(id);
    if (announced === undefined || !announced.members.includes(this.self)) return undefined;
    const node = this.nodes.get(id);
    return {
      node,
      propose: (value) => node?.propose(value),
      forget: () => this.nodes.delete(id),
      restart: () => {
        if (this.decisions().slice(0, LIVE_RUNNING_DECISIONS).some((d) => d.id === id)) this.startNode(announced);
      },
    };
  }

  /**
   * The held list of `decision` changed: the hosts hear at once, not at the next frame. Held lists
   * change only while the teacher holds messages (at most once per inbound message, which the
   * transport rate-limits per peer), and the teacher's next click, or a preset's next step,
   * waits on this report: a frame's delay per step made a staged scene crawl on background tabs.
   */
  private markHeld(decision: DecisionId): void {
    this.heldDirty.add(decision);
    this.flushHeld();
  }

  private flushHeld(): void {
    const hosts = this.hosts();
    for (const decision of this.heldDirty) {
      const held = this.heldReportOf(decision);
      for (const host of hosts) this.options.transport.send(host, { type: 'held', decision, held });
    }
    this.heldDirty.clear();
  }

  private heldReportOf(decision: DecisionId): HeldReport {
    const node = this.nodes.get(decision) ?? this.logNodes.get(decision);
    if (node) return node.heldReport();
    return { entries: [], overflowed: 0, crashed: this.crashedByTeacher.has(decision), lost: 0 };
  }

  /**
   * A classmate's message for a decision we have not heard announced yet: keep it until the
   * announcement arrives (then the node gets it), or refuse it as unknown after a short wait.
   */
  private holdEarly(from: PeerId, decision: DecisionId, id: MessageId, message: unknown): void {
    if (this.earlyCount >= MAX_EARLY_MESSAGES) return this.refuse(from, 'unknown-decision');
    const held = this.early.get(decision) ?? [];
    held.push({ from, id, message });
    this.early.set(decision, held);
    this.earlyCount++;
    if (held.length > 1) return;
    this.options.clock.setTimeout(() => {
      const expired = this.early.get(decision);
      if (expired === undefined) return;
      this.early.delete(decision);
      this.earlyCount -= expired.length;
      for (const sender of new Set(expired.map((m) => m.from))) this.refuse(sender, 'unknown-decision');
    }, EARLY_MESSAGE_WAIT_MS);
  }

  private releaseEarly(decision: DecisionId): void {
    const held = this.early.get(decision);
    if (held === undefined) return;
    this.early.delete(decision);
    this.earlyCount -= held.length;
    const node = this.nodes.get(decision);
    for (const { from, id, message } of held) {
      if (node) node.receive(from, message, id);
      else this.refuse(from, 'unknown-decision'); // only members are sent a decision's messages
    }
  }

  private isMemberOfKnown(decision: DecisionId, peer: PeerId): boolean {
    const members = this.announcements.get(decision)?.members;
    return members !== undefined && members.includes(this.self) && members.includes(peer);
  }

  private isHost(peer: PeerId): boolean {
    return this.knownPeers.get(peer)?.role === 'host';
  }

  /** Members note what they refused in their next report, so the dashboard can flag the sender. */
  private refuse(from: PeerId, reason: RefusalReason): void {
    if (this.dashboard) {
      this.dashboard.flag(from, reason, this.options.clock.now());
      this.changed();
      return;
    }
    (this.newestNode() ?? this.logNodes.values().next().value)?.noteRefusal(from, reason);
  }

  // ---- safety verdicts (host → the decision's phones) -----------------------------------

  /**
   * Members: my part in a decision: not a member, or what my node decided (undefined while
   * undecided), whether its node still runs or was stopped as older than LIVE_RUNNING_DECISIONS.
   */
  myPart(decision: DecisionId): MyPart {
    const announcement = this.announcements.get(decision);
    if (announcement === undefined || !announcement.members.includes(this.self)) return { member: false };
    const node = this.nodes.get(decision);
    if (node !== undefined) return { member: true, known: true, decided: node.view().decided };
    // Stopped in this tab's life: its last view is kept. Before a reload: only the membership is.
    if (this.finished.has(decision)) return { member: true, known: true, decided: this.finished.get(decision) };
    return { member: true, known: false, decided: undefined };
  }

  /** Members: what the teacher's screen found about a decision, when Agreement or Validity broke. */
  verdict(decision: DecisionId): SafetyVerdict | undefined {
    return this.verdicts.get(decision);
  }

  private judgeLater(decision: DecisionId): void {
    if (this.unjudged.has(decision)) return;
    const first = this.unjudged.size === 0;
    this.unjudged.add(decision);
    if (first) this.scheduleFrame(() => this.judgeNow());
  }

  /** Once per frame at most: a broken decision's members are told, once per change of the finding. */
  private judgeNow(): void {
    const dashboard = this.dashboard;
    if (dashboard === undefined) return;
    const now = this.options.clock.now();
    for (const id of this.unjudged) {
      const properties = dashboard.properties(id, (peer) => this.liveness(peer), now);
      const judgement = dashboard.judge(id, now);
      const verdict = properties && judgement && safetyVerdict(properties, judgement);
      // A decision still waiting for its evidence is believed (or not) once the grace period ends,
      // with no report to say so: look again then.
      if (judgement !== undefined && judgement.pending.length > 0 && !this.rechecks.has(id)) {
        this.rechecks.add(id);
        this.options.clock.setTimeout(() => {
          this.rechecks.delete(id);
          this.judgeLater(id);
        }, DECISION_EVIDENCE_GRACE_MS);
      }
      if (verdict === undefined) continue;
      const key = verdictKey(verdict);
      if (this.sentVerdicts.get(id) === key) continue;
      this.sentVerdicts.set(id, key);
      this.verdicts.set(id, verdict);
      for (const member of this.announcements.get(id)?.members ?? []) {
        this.options.transport.send(member, { type: 'verdict', decision: id, verdict });
      }
    }
    this.unjudged.clear();
  }

  // ---- decisions and nodes ------------------------------------------------------------

  private learnDecision(decision: DecisionAnnouncement): void {
    if (this.announcements.has(decision.id)) return;
    this.announcements.set(decision.id, decision);
    this.forgetBeyondHistory();
    // Older than the whole history (a stale or hostile re-announcement): nothing to run or show.
    if (!this.announcements.has(decision.id)) return;
    if (this.dashboard) {
      this.dashboard.announce(decision);
      this.options.store.save(HOST_HISTORY_KEY, this.decisions());
    } else if (decision.members.includes(this.self) && !this.nodes.has(decision.id)) {
      this.startNode(decision);
    }
    this.releaseEarly(decision.id);
    this.stopOldNodes();
    this.changed();
  }

  private startNode(decision: DecisionAnnouncement): void {
    const spec = this.options.algorithms[decision.algorithm];
    const node = new LiveNode({
      self: this.self,
      decision,
      spec,
      store: this.options.store,
      clock: this.nodeClock,
      hostClock: this.options.clock,
      seed: Math.floor(this.options.random() * 2 ** 32),
      incarnation: Math.floor(this.options.random() * MAX_MESSAGE_SEQ),
      timing: liveTiming(this.messageDelayMs, decision.members.length),
      now: () => this.options.clock.now(),
      scheduleFrame: this.scheduleFrame,
      sendAlgorithmMessage: (to, message, id) =>
        this.options.transport.send(to, { type: 'algo', decision: decision.id, id, message }),
      deliveryDelayMs: () => this.messageDelayMs,
      adversary: () => this.rules,
      onHeld: () => this.markHeld(decision.id),
      onReport: this.reportTo(decision.id),
    });
    this.nodes.set(decision.id, node);
  }

  /** A node's (or replica's) reports go to every teacher's screen connected now. */
  private reportTo(id: DecisionId): (reports: readonly NodeReport[]) => void {
    return (reports) => {
      const hosts = this.hosts();
      for (const report of reports) {
        for (const host of hosts) this.options.transport.send(host, { type: 'report', decision: id, report });
      }
      this.changed();
    };
  }

  /**
   * A reopened tab restarts every node it stored, decisions and books alike, before any host
   * re-announces anything: the one reader finds them in either stored format. A node whose
   * facts read restarts even if the rest is unreadable (it then only listens); one whose facts
   * do not read waits for the host to announce it again (and then only listens).
   */
  private restartStoredNodes(): void {
    for (const id of storedNodeIds(this.options.store)) {
      const read = readStoredNode(this.options.store, id);
      const facts: NodeFacts | undefined = read.kind === 'absent' ? undefined : read.facts;
      if (facts?.kind === 'decision' && facts.decision.members.includes(this.self)) this.announcements.set(id, facts.decision);
      if (facts?.kind === 'book' && facts.book.members.includes(this.self)) this.bookAnnouncements.set(id, facts.book);
    }
    this.forgetBeyondHistory();
    for (const decision of this.decisions().slice(0, LIVE_RUNNING_DECISIONS)) this.startNode(decision);
    this.runNewestBook();
  }

  /**
   * Keeps the newest MAX_DECISION_HISTORY decisions, in memory and in a member's storage: every
   * announcement a host sends adds a stored node, so without this a long lesson (or a hostile
   * "host" announcing decision after decision) would fill the tab's storage until persisting
   * fails. A decision this old never runs again (only the newest LIVE_RUNNING_DECISIONS do).
   */
  private forgetBeyondHistory(): void {
    for (const old of this.decisions().slice(MAX_DECISION_HISTORY)) {
      this.announcements.delete(old.id);
      this.finished.delete(old.id);
      this.verdicts.delete(old.id);
      this.sentVerdicts.delete(old.id);
      if (!this.dashboard) removeStoredNode(this.options.store, old.id);
    }
  }

  private restoreHostHistory(): void {
    const stored = this.options.store.load(HOST_HISTORY_KEY);
    if (!Array.isArray(stored)) return;
    for (const raw of stored) {
      const decision = parseAnnouncement(raw);
      if (decision) this.learnDecision(decision);
    }
  }

  private stopOldNodes(): void {
    const running = new Set(this.decisions().slice(0, LIVE_RUNNING_DECISIONS).map((d) => d.id));
    for (const [id, node] of this.nodes) {
      if (running.has(id)) continue;
      this.finished.set(id, node.view().decided);
      node.stop();
      this.nodes.delete(id);
    }
  }

  private newestNode(): LiveNode | undefined {
    const newest = this.decisions().find((d) => this.nodes.has(d.id));
    return newest && this.nodes.get(newest.id);
  }

  private hosts(): PeerId[] {
    return this.peers()
      .filter((p) => p.role === 'host' && p.status !== 'down')
      .map((p) => p.id);
  }

  private sendStateTo(peer: PeerId): void {
    const { transport } = this.options;
    transport.send(peer, { type: 'settings', messageDelayMs: this.messageDelayMs });
    transport.send(peer, { type: 'adversary', rules: this.rules });
    // A phone that joins (or reloads) mid-lesson is on the chapter at once.
    if (this.lessonChapter !== undefined) transport.send(peer, { type: 'lesson', chapter: this.lessonChapter });
    for (const decision of this.decisions().slice(0, LIVE_RUNNING_DECISIONS).reverse()) {
      transport.send(peer, { type: 'decision', decision });
      const verdict = this.verdicts.get(decision.id);
      if (verdict !== undefined && decision.members.includes(peer)) transport.send(peer, { type: 'verdict', decision: decision.id, verdict });
    }
    for (const book of this.books().slice(0, 1)) transport.send(peer, { type: 'book', book });
  }

  /** A dashboard (re)appeared: every node sends it a full report (to every host: rare, and simpler). */
  private reportAll(): void {
    for (const node of this.nodes.values()) node.reportFull();
    for (const decision of [...this.nodes.keys(), ...this.crashedByTeacher]) this.markHeld(decision);
    for (const node of this.logNodes.values()) node.reportFull();
    for (const book of this.logNodes.keys()) this.markHeld(book);
  }

  // ---- books (replicated logs) --------------------------------------------------------

  private nextSeq(): number {
    return Math.max(0, ...this.decisions().map((d) => d.seq), ...this.books().map((b) => b.seq)) + 1;
  }

  private learnBook(book: BookAnnouncement): void {
    if (this.bookAnnouncements.has(book.id)) return;
    this.bookAnnouncements.set(book.id, book);
    for (const old of this.books().slice(LIVE_BOOK_HISTORY)) {
      this.bookAnnouncements.delete(old.id);
      this.bookDashboard?.forget(old.id);
      if (!this.dashboard) removeStoredNode(this.options.store, old.id);
    }
    if (!this.bookAnnouncements.has(book.id)) return;
    if (this.bookDashboard) {
      this.bookDashboard.announce(book);
      this.options.store.save(HOST_BOOKS_KEY, this.books());
    }
    this.runNewestBook();
    this.changed();
  }

  /** Only the newest book runs a replica here: an older one's members moved on with the class. */
  private runNewestBook(): void {
    if (this.dashboard) return;
    const newest = this.books()[0];
    for (const [id, node] of this.logNodes) {
      if (id === newest?.id) continue;
      node.stop();
      this.logNodes.delete(id);
      this.logSpecs.delete(id);
    }
    for (const [id, learner] of this.learners) {
      if (id === newest?.id) continue;
      learner.stop();
      this.learners.delete(id);
    }
    if (newest === undefined || this.logNodes.has(newest.id) || this.learners.has(newest.id)) return;
    // The teacher crashed my replica: it stays down until the teacher restarts it (or a reload).
    if (this.crashedByTeacher.has(newest.id)) return;
    if (!newest.members.includes(this.self)) {
      const learner = new LogLearner({
        book: newest,
        clock: this.options.clock,
        reachableMembers: () => newest.members.filter((m) => this.knownPeers.get(m)?.status === 'connected'),
        ask: (member, from, snapshot) => this.options.transport.send(member, { type: 'learn', book: newest.id, from, ...(snapshot === undefined ? {} : { snapshot }) }),
        onChange: () => this.changed(),
      });
      this.learners.set(newest.id, learner);
      return;
    }
    const spec = this.options.logAlgorithms?.[newest.algorithm];
    if (spec !== undefined) return this.startLogNode(newest, spec);
    // Loaded on demand; messages that arrive meanwhile are dropped as late (the algorithms retransmit).
    void this.options.loadLogAlgorithm?.(newest.algorithm).then((loaded) => {
      if (loaded === undefined || this.closed || this.books()[0]?.id !== newest.id || this.logNodes.has(newest.id)) return;
      this.startLogNode(newest, loaded);
      this.changed();
    });
  }

  private startLogNode(newest: BookAnnouncement, spec: LogAlgorithmSpec): void {
    this.logSpecs.set(newest.id, spec);
    // The book's own delay, not the slider's now: a replica whose timeouts were scaled for one
    // delay must never see its messages take another (an election timeout shorter than a round
    // trip elects forever). Every replica, reopened tabs included, uses the same.
    const delayMs = (): number => newest.messageDelayMs ?? this.messageDelayMs;
    const node = new LiveLogNode({
      self: this.self,
      book: newest,
      spec,
      store: this.options.store,
      // The algorithm's clock: the teacher's pause freezes elections, heartbeats and retries.
      clock: this.nodeClock,
      seed: Math.floor(this.options.random() * 2 ** 32),
      incarnation: Math.floor(this.options.random() * MAX_MESSAGE_SEQ),
      timing: liveLogTiming(delayMs(), newest.members.length),
      now: () => this.options.clock.now(),
      scheduleFrame: this.scheduleFrame,
      sendAlgorithmMessage: (to, message, id) => this.options.transport.send(to, { type: 'algo', decision: newest.id, id, message }),
      deliveryDelayMs: delayMs,
      adversary: () => this.rules,
      onHeld: () => this.markHeld(newest.id),
      onReport: this.reportTo(newest.id),
    });
    this.logNodes.set(newest.id, node);
  }

  private restoreHostBooks(): void {
    const stored = this.options.store.load(HOST_BOOKS_KEY);
    if (!Array.isArray(stored)) return;
    for (const raw of stored) {
      const book = parseBookAnnouncement(raw);
      if (book) this.learnBook(book);
    }
  }

  private readonly scheduleFrame = (fn: () => void): void => {
    if (this.options.scheduleFrame) this.options.scheduleFrame(fn);
    else this.options.clock.setTimeout(fn, REPORT_FRAME_FALLBACK_MS);
  };

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
