/**
 * A replicated-log run in the simulator: the one Simulation, plus what a real deployment puts
 * around a log algorithm: a replica per node that applies committed commands to the state
 * machine through the client sessions (exactly once per (client, seq)), and clients that submit
 * one command at a time to a node, wait for that node's answer, and resubmit the same
 * (client, seq) at another node when none comes within SIM_CLIENT_RETRY_MS.
 *
 * It records what the log checkers need: every application, periodic audits of every node's
 * whole log, and the client-visible history (call = first submit, return = answer) for the
 * linearizability checker. Used by the swarm (log-swarm.ts) and the schedule runner
 * (schedule.ts). No Node API.
 */
import { applyClientCommand, initialReplicated, parseReplicatedState, replicatedStateKey, sessionOf, type ReplicatedState } from '../core/client-sessions.ts';
import { commandKey } from '../core/log.ts';
import { Prng } from '../core/prng.ts';
import { canonicalJson } from '../core/validate.ts';
import type { ClientId, HistoryOperation, StateMachine } from '../core/state-machine.ts';
import type { CommittedEntry, LogEntryFact, LogSnapshot, NodeId, Timing } from '../core/types.ts';
import { SIM_CLIENT_RETRY_MS, SIM_LOG_AUDIT_MS, SIM_SNAPSHOT_EVERY } from '../limits.ts';
import type { LogAlgorithmSpec } from '../machines/spec.ts';
import type { ApplyRecord, LogAudit, LogRunRecord, StateCheckpoint } from './log-checker.ts';
import { checkLinearizability, type LinearizabilityOptions } from './linearizability.ts';
import { Simulation, SimulationError, type RunStop, type SimulationOptions } from './simulator.ts';
import type { LinkConfig, TraceLevel } from './trace.ts';

export interface LogClusterOptions<S, C, R> {
  readonly algorithm: LogAlgorithmSpec;
  readonly stateMachine: StateMachine<S, C, R>;
  readonly members: readonly NodeId[];
  readonly seed: number;
  readonly link?: Partial<LinkConfig>;
  readonly timing?: Partial<Timing>;
  readonly trace?: TraceLevel;
  readonly retryMs?: number;
  readonly initialStorage?: SimulationOptions<unknown, unknown>['initialStorage'];
  /**
   * Replicas compact their node's log every this many applied entries (at multiples of it);
   * 0 never compacts. Default SIM_SNAPSHOT_EVERY, small so every run exercises snapshots.
   */
  readonly snapshotEvery?: number;
}

/** How often a run's nodes compacted, installed a snapshot from a peer, or restarted from one. */
export interface SnapshotCounts {
  compacted: number;
  installed: number;
  restarted: number;
}

interface Replica<S, R> {
  incarnation: number;
  applied: number;
  state: ReplicatedState<S, R>;
}

/** One client's command in flight. */
interface Outstanding<C> {
  readonly seq: number;
  readonly command: C;
  readonly callAt: number;
  node: NodeId;
  sentAt: number;
  readonly op: number;
}

interface ClientState<C> {
  nextSeq: number;
  outstanding: Outstanding<C> | undefined;
  /** Commands still to submit (swarm clients), in order. */
  readonly queue: C[];
}

export class LogCluster<S = unknown, C = unknown, R = unknown> {
  readonly sim: Simulation<unknown, unknown, LogAlgorithmSpec>;
  readonly algorithm: LogAlgorithmSpec;
  readonly stateMachine: StateMachine<S, C, R>;
  readonly applies: ApplyRecord[] = [];
  readonly audits: LogAudit[] = [];
  readonly history: HistoryOperation<C, R>[] = [];
  /** Replicas' states at every multiple of snapshotEvery and at every restore (the checkpoint check). */
  readonly checkpoints: StateCheckpoint[] = [];
  readonly snapshots: SnapshotCounts = { compacted: 0, installed: 0, restarted: 0 };
  private readonly snapshotEvery: number;
  /** Commands submitted at the node that was leader then: submit time, for the steady-state latency. */
  readonly leaderLatencies: number[] = [];
  private readonly replicas = new Map<NodeId, Replica<S, R>>();
  private readonly clients = new Map<ClientId, ClientState<C>>();
  private readonly prng: Prng;
  private readonly retryMs: number;
  private nextAuditAt = SIM_LOG_AUDIT_MS;
  /** key → (node, submit time) for commands submitted straight at a leader. */
  private readonly atLeader = new Map<string, { node: NodeId; at: number }>();

  constructor(options: LogClusterOptions<S, C, R>) {
    this.algorithm = options.algorithm;
    this.stateMachine = options.stateMachine;
    this.retryMs = options.retryMs ?? SIM_CLIENT_RETRY_MS;
    this.snapshotEvery = options.snapshotEvery ?? SIM_SNAPSHOT_EVERY;
    this.prng = Prng.fromSeed((options.seed ^ 0xc11e7) >>> 0);
    for (const node of options.members) this.replicas.set(node, { incarnation: 0, applied: 0, state: initialReplicated(options.stateMachine) });
    this.sim = new Simulation({
      algorithm: options.algorithm,
      nodes: options.members,
      seed: options.seed,
      link: options.link,
      timing: options.timing,
      trace: options.trace ?? 'facts',
      initialStorage: options.initialStorage,
      onCommit: (node, incarnation, entries) => this.applyCommitted(node, incarnation, entries),
      onRestore: (node, incarnation, snapshot, state, cause) => this.restore(node, incarnation, snapshot, state, cause),
    });
  }

  // ---- clients ----------------------------------------------------------------------------------

  /** A client with commands to submit one after another (swarm). */
  addClient(client: ClientId, commands: readonly C[]): void {
    if (this.clients.has(client)) throw new SimulationError(`client ${client} exists already`);
    this.clients.set(client, { nextSeq: 1, outstanding: undefined, queue: [...commands] });
  }

  /** The client's next queued command goes to `node` now. */
  startNext(client: ClientId, node: NodeId): void {
    const state = this.clientState(client);
    const command = state.queue.shift();
    if (command !== undefined) this.submit(client, node, command);
  }

  /**
   * `client` submits `command` at `node` now, with its next seq. A client has one command
   * outstanding at a time (the sessions answer a lower seq as stale), so this is an error while
   * it waits.
   */
  submit(client: ClientId, node: NodeId, command: C): void {
    let state = this.clients.get(client);
    if (state === undefined) {
      state = { nextSeq: 1, outstanding: undefined, queue: [] };
      this.clients.set(client, state);
    }
    if (state.outstanding !== undefined) {
      throw new SimulationError(`client ${client} still waits for the answer to its seq ${state.outstanding.seq}; a client has one command outstanding at a time (use another client)`);
    }
    const seq = state.nextSeq++;
    const now = this.sim.now;
    const op = this.history.length;
    this.history.push({ client, call: now, input: command });
    state.outstanding = { seq, command, callAt: now, node, sentAt: now, op };
    if (this.sim.logView(node)?.role === 'leader') this.atLeader.set(`${client}#${seq}`, { node, at: now });
    this.sim.submit(node, { client, seq, command }, now);
  }

  /** Clients whose answer is overdue resubmit the same (client, seq) at another node that is not down. */
  retryOverdue(): void {
    for (const [client, state] of this.clients) {
      const out = state.outstanding;
      if (out === undefined || this.sim.now - out.sentAt < this.retryMs) continue;
      const candidates = this.sim.liveNodes().filter((n) => n !== out.node);
      const node = candidates.length > 0 ? this.prng.pick(candidates) : out.node;
      out.node = node;
      out.sentAt = this.sim.now;
      // A replica that already applied this (client, seq) answers from its session at once, as a
      // real server would: the log holds it already, so no new commit will come to answer it.
      if (this.answerFromSession(node, client, out.seq)) continue;
      this.sim.submit(node, { client, seq: out.seq, command: out.command }, this.sim.now);
    }
  }

  private answerFromSession(node: NodeId, client: ClientId, seq: number): boolean {
    if (this.sim.status(node) !== 'up') return false;
    const session = sessionOf((this.replicas.get(node) as Replica<S, R>).state.sessions, client);
    if (session === undefined || session.seq !== seq) return false;
    this.answer(node, client, seq, session.result);
    return true;
  }

  /** Every client has an answer to everything it submitted and nothing left to submit. */
  allAnswered(): boolean {
    for (const state of this.clients.values()) if (state.outstanding !== undefined || state.queue.length > 0) return false;
    return true;
  }

  /** Commands (client#seq) still waiting for an answer. */
  unanswered(): string[] {
    const out: string[] = [];
    for (const [client, state] of this.clients) {
      if (state.outstanding !== undefined) out.push(`${client}#${state.outstanding.seq}`);
      state.queue.forEach((_, i) => out.push(`${client}#${state.nextSeq + i}`));
    }
    return out;
  }

  waiting(client: ClientId): boolean {
    return this.clients.get(client)?.outstanding !== undefined;
  }

  private clientState(client: ClientId): ClientState<C> {
    const state = this.clients.get(client);
    if (state === undefined) throw new SimulationError(`unknown client ${client}`);
    return state;
  }

  // ---- replicas ---------------------------------------------------------------------------------

  private applyCommitted(node: NodeId, incarnation: number, entries: readonly CommittedEntry[]): void {
    let replica = this.replicas.get(node) as Replica<S, R>;
    // A restarted node's replica starts over: it re-applies the log from index 1 as it learns
    // what is committed (its state machine was volatile, like the node's commit index).
    if (replica.incarnation !== incarnation) {
      replica = { incarnation, applied: 0, state: initialReplicated(this.stateMachine) };
      this.replicas.set(node, replica);
    }
    for (const entry of entries) {
      if (entry.index !== replica.applied + 1) continue; // out of order: the checker reports it from the trace
      replica.applied = entry.index;
      this.noteLeaderLatency(node, entry);
      this.applyCommand(node, incarnation, replica, entry);
      if (this.snapshotEvery > 0 && entry.index % this.snapshotEvery === 0) this.checkpoint(node, incarnation, replica);
    }
  }

  /**
   * Every snapshotEvery entries: the replica's state is a checkpoint the checker compares with
   * every other replica's at that index, and the node compacts its log up to it.
   */
  private checkpoint(node: NodeId, incarnation: number, replica: Replica<S, R>): void {
    this.checkpoints.push({
      node,
      incarnation,
      index: replica.applied,
      source: 'applied',
      key: replicatedStateKey(this.stateMachine, replica.state),
      step: this.sim.steps,
      time: this.sim.now,
    });
    this.sim.compact(node, replica.applied, replica.state);
    this.snapshots.compacted++;
  }

  /** The node installed a snapshot, or restarts from its stored one: its replica starts from that state. */
  private restore(node: NodeId, incarnation: number, snapshot: LogSnapshot, raw: unknown, source: 'install' | 'restart'): void {
    const state = parseReplicatedState(this.stateMachine, raw);
    if (state === undefined) throw new SimulationError(`seed ${this.sim.seed}: ${node} restored a snapshot (entries 1–${snapshot.index}) that is not a ${this.stateMachine.name} state`);
    this.replicas.set(node, { incarnation, applied: snapshot.index, state });
    if (source === 'install') this.snapshots.installed++;
    else this.snapshots.restarted++;
    this.checkpoints.push({ node, incarnation, index: snapshot.index, source, key: replicatedStateKey(this.stateMachine, state), step: this.sim.steps, time: this.sim.now });
  }

  private applyCommand(node: NodeId, incarnation: number, replica: Replica<S, R>, entry: CommittedEntry): void {
    if (entry.command.kind === 'noop') return;
    const key = commandKey(entry.command);
    const command = this.stateMachine.parseCommand(entry.command.command);
    const base = { node, incarnation, index: entry.index, time: this.sim.now, step: this.sim.steps, key };
    if (command === undefined) {
      this.applies.push({ ...base, outcome: 'skipped', result: undefined });
      return;
    }
    const { state, outcome } = applyClientCommand(this.stateMachine, replica.state, { client: entry.command.client, seq: entry.command.seq, command });
    replica.state = state;
    if (outcome.kind === 'applied' || outcome.kind === 'duplicate') {
      this.applies.push({ ...base, outcome: outcome.kind, result: canonicalJson(outcome.result) }); // canonical: a snapshot's parsed answers may order keys differently
      this.answer(node, entry.command.client, entry.command.seq, outcome.result);
    } else {
      this.applies.push({ ...base, outcome: 'skipped', result: undefined });
    }
  }

  private noteLeaderLatency(node: NodeId, entry: CommittedEntry): void {
    if (entry.command.kind === 'noop') return;
    const key = commandKey(entry.command);
    const submitted = this.atLeader.get(key);
    if (submitted === undefined || submitted.node !== node) return;
    this.atLeader.delete(key);
    this.leaderLatencies.push(this.sim.now - submitted.at);
  }

  /** The node a client waits on applied its command: the client has its answer. */
  private answer(node: NodeId, client: ClientId, seq: number, result: R): void {
    const state = this.clients.get(client);
    const out = state?.outstanding;
    if (state === undefined || out === undefined || out.seq !== seq || out.node !== node) return;
    state.outstanding = undefined;
    const op = this.history[out.op] as HistoryOperation<C, R>;
    this.history[out.op] = { client, call: op.call, return: this.sim.now, input: op.input, output: result };
    // The next command of a swarm client follows at once, at the node that just answered.
    if (state.queue.length > 0) this.startNext(client, node);
  }

  /** The last log index `node`'s current incarnation applied (solo mode's "applied" marker). */
  appliedIndex(node: NodeId): number {
    return (this.replicas.get(node) as Replica<S, R>).applied;
  }

  /** The state machine's state as `node`'s current incarnation applied it. */
  replicaState(node: NodeId): S {
    return (this.replicas.get(node) as Replica<S, R>).state.machine;
  }

  // ---- running --------------------------------------------------------------------------------

  /** Reads every live node's whole log (the log-matching audit). */
  audit(): void {
    const logs: Record<NodeId, readonly LogEntryFact[]> = {};
    for (const node of this.sim.liveNodes()) {
      const entries = this.sim.logEntries(node);
      if (entries !== undefined) logs[node] = entries;
    }
    this.audits.push({ step: this.sim.steps, time: this.sim.now, logs });
  }

  /**
   * Runs to virtual time `until` in slices, retrying overdue clients and auditing logs between
   * slices; stops early when `done` holds, or exactly at simulator step `stopAtStep` (solo
   * mode's scrubber replays a run to one step).
   */
  runUntil(target: number, done?: () => boolean, stopAtStep?: number): RunStop {
    const until = Math.max(target, this.sim.now);
    for (;;) {
      if (done !== undefined && done()) return 'predicate';
      const next = Math.min(until, this.nextAuditAt, this.nextRetryCheck());
      const stop = stopAtStep === undefined ? this.sim.runUntil(next) : this.sim.runUntil((sim) => sim.steps >= stopAtStep, { maxTime: next });
      if (stop === 'step-limit' || stop === 'predicate') return stop;
      if (this.sim.now >= this.nextAuditAt) {
        this.audit();
        this.nextAuditAt = this.sim.now + SIM_LOG_AUDIT_MS;
      }
      this.retryOverdue();
      if (this.sim.now >= until) return done !== undefined && done() ? 'predicate' : 'time';
    }
  }

  private nextRetryCheck(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const state of this.clients.values()) {
      if (state.outstanding !== undefined) next = Math.min(next, state.outstanding.sentAt + this.retryMs);
    }
    return Math.max(next, this.sim.now);
  }

  /**
   * Linearizability of the client-visible history against the state machine (Wing & Gong with
   * Lowe's memoization, per order or key); 'unknown' when the search budget runs out. Pending
   * commands count as returning at infinity.
   */
  linearizable(options: LinearizabilityOptions = {}): true | false | 'unknown' {
    return checkLinearizability(this.stateMachine, this.history, options).result;
  }

  record(reproduce: string, checkAnswers: boolean): LogRunRecord {
    this.audit();
    return {
      seed: this.sim.seed,
      epochKind: this.algorithm.epochKind,
      trace: this.sim.trace,
      applies: this.applies,
      audits: this.audits,
      checkpoints: this.checkpoints,
      unanswered: checkAnswers ? this.unanswered() : undefined,
      end: { step: this.sim.steps, time: this.sim.now },
      reproduce,
    };
  }
}
