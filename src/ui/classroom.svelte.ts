import { createSubscriber } from 'svelte/reactivity';
import type { Classroom, MyPart } from '../classroom/classroom.ts';
import type { DecisionRecord, FlaggedPeer, PeerClaim, TraceEntry } from '../classroom/dashboard.ts';
import type { DecisionJudgement } from '../classroom/evidence.ts';
import type { LiveNode } from '../classroom/live-node.ts';
import type { MemberLiveness, PropertyReport } from '../classroom/properties.ts';
import type { DecisionAnnouncement, DecisionId, NodeReport, SafetyVerdict } from '../classroom/protocol.ts';
import type { ScenarioName } from '../classroom/scenarios.ts';
import type { NodeView, Value } from '../core/types.ts';
import type { AlgorithmName, LogAlgorithmName } from '../machines/spec.ts';
import type { BookCheck, BookRecord } from '../classroom/log-dashboard.ts';
import type { LogRunJudge } from '../sim/log-checker.ts';
import type { BookAnnouncement } from '../classroom/log-protocol.ts';
import type { MyCommand } from '../classroom/live-log-node.ts';
import type { StateSummary } from '../classroom/state-summary.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import type { LogView } from '../core/types.ts';
import type { PeerId, PeerInfo } from '../transport/types.ts';
import { FrameGate, nextRender, type FrameScheduler } from './classroom/frame.ts';
import type { AdversaryRules, RoomHeld } from '../classroom/adversary.ts';
import type { PresetProgress } from '../classroom/live-presets.ts';
import type { PresetName } from '../classroom/preset-names.ts';
import type { BookPresetName } from '../classroom/book-preset-names.ts';
import type { HeldReport, NodeControl } from '../classroom/protocol.ts';
import { systemClock } from '../transport/clock.ts';

/** "undecided for 42 s" must tick even when no message arrives. */
const CLOCK_TICK_MS = 1_000;

/** What the phone view shows of my node in one decision. */
export interface MyNodeState {
  readonly view: NodeView;
  readonly proposed: readonly Value[];
}

/** What the phone view shows of my replica of a book. */
export interface MyReplicaState {
  readonly state: unknown;
  readonly summary: StateSummary;
  readonly log: LogView;
  readonly applied: number;
  readonly commands: readonly MyCommand[];
  readonly queued: number;
  /** The id my next order gets: unique, since a seq is never reused. */
  readonly nextOrderId: string;
  readonly storage: NodeView['storage'];
}

/**
 * A past decision as it was when the next one started: its properties and judgement with the
 * liveness of that moment, so the history does not repaint an old decision with who is up today.
 */
export interface PastDecision {
  readonly properties: PropertyReport | undefined;
  readonly judgement: DecisionJudgement | undefined;
  readonly liveness: ReadonlyMap<PeerId, MemberLiveness>;
  readonly atMs: number;
}

/** A derived view computed once per change of the dashboard (and of the clock tick), not per read. */
interface Cached<T> {
  readonly key: string;
  readonly value: T;
}

/**
 * The classroom as reactive state for Svelte components. It holds no copy of anything: every
 * getter reads the Classroom (which owns the nodes and the dashboard model) and registers a
 * dependency through `createSubscriber`, so components re-render when the classroom reports a
 * change, but at most once per animation frame however many reports arrive (a class of 40 sends
 * hundreds a second), or once a second for the time-based properties. Derived views (properties,
 * judgements) are computed once per change, whichever components read them.
 */
export class ClassroomState {
  readonly #classroom: Classroom;
  readonly #scheduleFrame: FrameScheduler;
  #now = $state.raw(Date.now());
  #properties = new Map<DecisionId, Cached<PropertyReport | undefined>>();
  #judgements = new Map<DecisionId, Cached<DecisionJudgement | undefined>>();
  /** Past decisions frozen when a newer one started (see PastDecision); at most MAX_DECISION_HISTORY. */
  #past = new Map<DecisionId, PastDecision>();
  #newest: DecisionId | undefined;
  /** See #peerNames. */
  #names: { readonly peers: readonly PeerInfo[]; readonly byId: ReadonlyMap<PeerId, string> } | undefined;
  readonly #subscribe = createSubscriber((update) => {
    const gate = new FrameGate(this.#scheduleFrame, update);
    const unsubscribe = this.#classroom.subscribe(() => gate.request());
    const tick = setInterval(() => {
      this.#now = Date.now();
    }, CLOCK_TICK_MS);
    return () => {
      unsubscribe();
      clearInterval(tick);
    };
  });

  constructor(classroom: Classroom, scheduleFrame: FrameScheduler = nextRender) {
    this.#classroom = classroom;
    this.#scheduleFrame = scheduleFrame;
  }

  /** Changes whenever the dashboard's model or the clock tick moved: the key of the caches. */
  #cacheKey(): string {
    return `${this.#classroom.dashboard?.version ?? 0}|${this.#now}`;
  }

  #cached<T>(cache: Map<DecisionId, Cached<T>>, decision: DecisionId, compute: () => T): T {
    const key = this.#cacheKey();
    const hit = cache.get(decision);
    if (hit !== undefined && hit.key === key) return hit.value;
    const value = compute();
    cache.set(decision, { key, value });
    // Only the decisions on screen are cached; history entries come and go.
    if (cache.size > 64) cache.delete(cache.keys().next().value!);
    return value;
  }

  get isHost(): boolean {
    return this.#classroom.role === 'host';
  }

  /** This tab's node id in the room. */
  get self(): PeerId {
    return this.#classroom.self;
  }

  /** The room's peers as the transport sees them (self excluded), for names and "is the teacher here". */
  get peers(): readonly PeerInfo[] {
    this.#subscribe();
    return this.#classroom.peers();
  }

  get now(): number {
    this.#subscribe();
    return this.#now;
  }

  get messageDelayMs(): number {
    this.#subscribe();
    return this.#classroom.delayMs;
  }

  /** The lesson chapter the teacher's projector is on (phones follow), or undefined. */
  get lesson(): string | undefined {
    this.#subscribe();
    return this.#classroom.lesson;
  }

  setLesson(chapter: string | undefined): void {
    this.#classroom.setLesson(chapter);
  }

  /** Decisions this tab knows of, newest first. */
  get decisions(): DecisionAnnouncement[] {
    this.#subscribe();
    const list = this.#classroom.decisions();
    this.#notePast(list);
    return list;
  }

  /**
   * The dashboard freezes each decision as a newer one starts. Decisions already past when this
   * tab opened (a reloaded dashboard) are frozen on first sight: the best this tab can know.
   */
  #notePast(list: readonly DecisionAnnouncement[]): void {
    const newest = list[0]?.id;
    if (newest === this.#newest || this.#classroom.dashboard === undefined) return;
    this.#newest = newest;
    const keep = new Set(list.map((d) => d.id));
    for (const id of this.#past.keys()) if (!keep.has(id)) this.#past.delete(id);
    for (const past of list.slice(1)) {
      if (this.#past.has(past.id)) continue;
      const liveness = new Map(past.members.map((m) => [m, this.#classroom.liveness(m)]));
      this.#past.set(past.id, {
        properties: this.#classroom.dashboard.properties(past.id, (peer) => liveness.get(peer) ?? 'crashed', this.#now),
        judgement: this.#classroom.dashboard.judge(past.id, this.#now),
        liveness,
        atMs: this.#now,
      });
    }
  }

  /** Dashboard only: a past decision as it was when the next one started (undefined for the current one). */
  past(decision: DecisionId): PastDecision | undefined {
    this.#subscribe();
    this.#notePast(this.#classroom.decisions());
    return this.#past.get(decision);
  }

  myNode(decision: DecisionId): MyNodeState | undefined {
    this.#subscribe();
    const node: LiveNode | undefined = this.#classroom.node(decision);
    return node && { view: node.view(), proposed: node.proposed };
  }

  /** Replicated logs (order books) this tab knows of, newest first. */
  get books(): BookAnnouncement[] {
    this.#subscribe();
    return this.#classroom.books();
  }

  /** The book on screen: the newest one, when it started after the newest decision. */
  get currentBook(): BookAnnouncement | undefined {
    this.#subscribe();
    const book = this.#classroom.books()[0];
    const decision = this.#classroom.decisions()[0];
    return book !== undefined && (decision === undefined || book.seq > decision.seq) ? book : undefined;
  }

  /** Log algorithms the room can run (the registry's), for the teacher's picker. */
  get logAlgorithms(): LogAlgorithmName[] {
    return this.#classroom.logAlgorithmNames();
  }

  /** A late joiner's copy of a book: what the members committed, applied here (no buttons). */
  learnerState(book: string): { readonly state: unknown; readonly summary: StateSummary; readonly applied: number } | undefined {
    this.#subscribe();
    const learner = this.#classroom.learner(book);
    return learner && { state: learner.state, summary: learner.stateSummary, applied: learner.appliedIndex };
  }

  myReplica(book: string): MyReplicaState | undefined {
    this.#subscribe();
    const node = this.#classroom.logNode(book);
    if (node === undefined) return undefined;
    return {
      state: node.state,
      summary: node.stateSummary,
      log: node.logView(),
      applied: node.appliedIndex,
      commands: [...node.myCommands],
      queued: node.queued,
      nextOrderId: node.nextOrderId,
      storage: node.view().storage,
    };
  }

  /** Dashboard only: every member's log as reported. */
  bookRecord(book: string): BookRecord | undefined {
    this.#subscribe();
    return this.#classroom.bookDashboard?.record(book);
  }

  /** Dashboard only: a book's reports as received, for its space-time diagram. */
  bookReports(book: string): readonly { readonly atMs: number; readonly node: PeerId; readonly report: NodeReport }[] | undefined {
    this.#subscribe();
    return this.#classroom.bookDashboard?.reports(book);
  }

  /** Dashboard only: the live log checks (cached by the book's version inside). */
  bookCheck(book: string, checker: typeof LogRunJudge): BookCheck | undefined {
    this.#subscribe();
    return this.#classroom.bookDashboard?.check(book, checker);
  }

  startBook(algorithm: LogAlgorithmName, stateMachine: StateMachineName): BookAnnouncement | string {
    return this.#classroom.startBook(algorithm, stateMachine);
  }

  submit(book: string, command: unknown): string | undefined {
    return this.#classroom.submit(book, command);
  }

  /** Members: my part in a decision (not a member, or what my node decided), current or past. */
  myPart(decision: DecisionId): MyPart {
    this.#subscribe();
    return this.#classroom.myPart(decision);
  }

  /** Members: the teacher's screen's verdict when Agreement or Validity broke in a decision. */
  verdict(decision: DecisionId): SafetyVerdict | undefined {
    this.#subscribe();
    return this.#classroom.verdict(decision);
  }

  /** Dashboard only: the record of one decision, as the members reported it. */
  record(decision: DecisionId): DecisionRecord | undefined {
    this.#subscribe();
    return this.#classroom.dashboard?.decision(decision);
  }

  properties(decision: DecisionId): PropertyReport | undefined {
    this.#subscribe();
    return this.#cached(this.#properties, decision, () =>
      this.#classroom.dashboard?.properties(decision, (peer) => this.#classroom.liveness(peer), this.#now),
    );
  }

  /** Dashboard only: which reported decisions the evidence supports, and who claims what. */
  judgement(decision: DecisionId): DecisionJudgement | undefined {
    this.#subscribe();
    return this.#cached(this.#judgements, decision, () => this.#classroom.dashboard?.judge(decision, this.#now));
  }

  /** Peers flagged on the dashboard's own evidence or by more than f members. */
  get flagged(): FlaggedPeer[] {
    this.#subscribe();
    return this.#classroom.dashboard?.flaggedPeers() ?? [];
  }

  /** Members' uncorroborated reports about others, shown as their claims. */
  get peerClaims(): PeerClaim[] {
    this.#subscribe();
    return this.#classroom.dashboard?.claims() ?? [];
  }

  nameOf(peer: string): string {
    this.#subscribe();
    return this.#classroom.dashboard?.nameOf(peer) ?? this.#peerNames().get(peer) ?? peer;
  }

  /**
   * The peers' names by id, rebuilt only when the transport's peer list changes (it keeps one
   * array until then): a phone names every member of a decision, and every id in its "waiting
   * for" line, each frame; a search of the list for each was O(room²) per frame.
   */
  #peerNames(): ReadonlyMap<PeerId, string> {
    const peers = this.#classroom.peers();
    if (this.#names?.peers !== peers) this.#names = { peers, byId: new Map(peers.map((p) => [p.id, p.name])) };
    return this.#names.byId;
  }

  liveness(peer: string): ReturnType<Classroom['liveness']> {
    this.#subscribe();
    return this.#classroom.liveness(peer);
  }

  /** Dashboard only: every report of a decision as received (append-only), for the live diagram. */
  reports(decision: DecisionId): readonly TraceEntry[] | undefined {
    this.#subscribe();
    return this.#classroom.dashboard?.reports(decision);
  }

  /**
   * The decision's trace file; members the dashboard judges crashed as it is saved (tabs closed
   * for good, nodes the teacher crashed) are listed in `crashes`, so a replay draws them down too.
   */
  exportTrace(decision: DecisionId): object | undefined {
    const trace = this.#classroom.dashboard?.exportTrace(decision);
    const members = this.#classroom.dashboard?.decision(decision)?.announcement.members ?? [];
    if (trace === undefined) return undefined;
    // Times in a trace are the dashboard clock's (its reports' arrival): the crash is after the last of them.
    const entries = (trace as { entries?: readonly { atMs: number }[] }).entries ?? [];
    const atMs = entries.reduce((latest, e) => Math.max(latest, e.atMs), 0);
    const crashes = members.filter((m) => this.#classroom.liveness(m) === 'crashed').map((node) => ({ node, atMs }));
    return crashes.length === 0 ? trace : { ...trace, crashes };
  }

  // Commands: straight through to the classroom, which notifies us of the result.
  startDecision(algorithm: AlgorithmName, scenario: ScenarioName): DecisionAnnouncement | string {
    return this.#classroom.startDecision(algorithm, scenario);
  }

  setMessageDelay(ms: number): void {
    this.#classroom.setMessageDelay(ms);
  }

  propose(decision: DecisionId, value: Value): string | undefined {
    return this.#classroom.propose(decision, value);
  }

  // ---- the network adversary -------------------------------------------------------------

  get adversary(): AdversaryRules {
    this.#subscribe();
    return this.#classroom.adversary;
  }

  setAdversary(rules: AdversaryRules): void {
    this.#classroom.setAdversary(rules);
  }

  /** Dashboard: what `peer`'s node of `decision` holds, as it last reported. */
  heldAt(decision: DecisionId, peer: PeerId): HeldReport | undefined {
    this.#subscribe();
    return this.#classroom.heldAt(decision, peer);
  }

  /** Dashboard: the oldest message held anywhere in `decision` (what Step delivers). */
  oldestHeld(decision: DecisionId): RoomHeld | undefined {
    this.#subscribe();
    return this.#classroom.oldestHeld(decision);
  }

  control(decision: DecisionId, peer: PeerId, control: NodeControl): void {
    this.#classroom.control(decision, peer, control);
  }

  /** Runs a demonstration preset on `decision`; `onProgress` hears each step. Its steps load on first use. */
  async runPreset(decision: DecisionAnnouncement, name: PresetName, onProgress: (progress: PresetProgress) => void): Promise<{ stop(): void }> {
    const { runLivePreset } = await import('../classroom/live-presets.ts');
    return runLivePreset(this.#classroom, decision, name, systemClock, onProgress);
  }

  /** Runs an order-book preset on `book`; its steps and the live checker load on first use. */
  async runBookPreset(book: BookAnnouncement, name: BookPresetName, onProgress: (progress: PresetProgress) => void): Promise<{ stop(): void }> {
    const [{ runLiveBookPreset }, { LogRunJudge }] = await Promise.all([import('../classroom/live-book-presets.ts'), import('../sim/log-checker.ts')]);
    return runLiveBookPreset(this.#classroom, book, name, LogRunJudge, systemClock, onProgress);
  }

  /** Phone: when held messages were released because the teacher's screen was gone. */
  get releasedForTeacherGoneAt(): number | undefined {
    this.#subscribe();
    return this.#classroom.releasedForTeacherGoneAt;
  }

  /** Phone: the teacher crashed my node of `decision`. */
  crashedByTeacher(decision: DecisionId): boolean {
    this.#subscribe();
    return this.#classroom.crashedByTeacherIn(decision);
  }
}
