import { createSubscriber } from 'svelte/reactivity';
import type { Classroom } from '../classroom/classroom.ts';
import type { DecisionRecord, FlaggedPeer, PeerClaim } from '../classroom/dashboard.ts';
import type { DecisionJudgement } from '../classroom/evidence.ts';
import type { LiveNode } from '../classroom/live-node.ts';
import type { PropertyReport } from '../classroom/properties.ts';
import type { DecisionAnnouncement, DecisionId } from '../classroom/protocol.ts';
import type { ScenarioName } from '../classroom/scenarios.ts';
import type { NodeView, Value } from '../core/types.ts';
import type { AlgorithmName, LogAlgorithmName } from '../machines/spec.ts';
import type { BookCheck, BookRecord } from '../classroom/log-dashboard.ts';
import type { checkLogRun } from '../sim/log-checker.ts';
import type { BookAnnouncement } from '../classroom/log-protocol.ts';
import type { MyCommand } from '../classroom/live-log-node.ts';
import type { StateSummary } from '../classroom/state-summary.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import type { LogView } from '../core/types.ts';
import type { PeerId, PeerInfo } from '../transport/types.ts';
import { FrameGate, nextRender, type FrameScheduler } from './classroom/frame.ts';

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

  /** Decisions this tab knows of, newest first. */
  get decisions(): DecisionAnnouncement[] {
    this.#subscribe();
    return this.#classroom.decisions();
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

  /** Dashboard only: the live log checks (cached by the book's version inside). */
  bookCheck(book: string, checker: typeof checkLogRun): BookCheck | undefined {
    this.#subscribe();
    return this.#classroom.bookDashboard?.check(book, checker);
  }

  startBook(algorithm: LogAlgorithmName, stateMachine: StateMachineName): BookAnnouncement | string {
    return this.#classroom.startBook(algorithm, stateMachine);
  }

  submit(book: string, command: unknown): string | undefined {
    return this.#classroom.submit(book, command);
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
    return this.#classroom.dashboard?.nameOf(peer) ?? this.#classroom.peers().find((p) => p.id === peer)?.name ?? peer;
  }

  liveness(peer: string): ReturnType<Classroom['liveness']> {
    this.#subscribe();
    return this.#classroom.liveness(peer);
  }

  exportTrace(decision: DecisionId): object | undefined {
    return this.#classroom.dashboard?.exportTrace(decision);
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
}
