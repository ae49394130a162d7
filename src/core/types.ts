/**
 * The contract every consensus algorithm in the playground implements, and that every host
 * (the deterministic simulator, the live classroom tab, the explorer, the replays) drives. One
 * contract for write-once and log algorithms: a write-once algorithm is a log of length one.
 *
 * An algorithm is a pure XState v5 machine. It never touches the network, a clock, storage or
 * `Math.random`:
 * - input: who I am, who the members are, a PRNG seed, timing, and whatever durable state I
 *   persisted before a crash, log-shaped (`LogDurable`: a `hard` part and entries; a write-once
 *   algorithm keeps its whole state in `hard` and has no entries);
 * - events in: `receive` (a message from a peer) and a local command: `tryInitialize` for a
 *   write-once algorithm (the storyline's word), `submit` for a log algorithm;
 * - effects out, as XState *emitted* events, in order (`NodeEffect`): `persistLog` (typed storage
 *   ops; a write-once algorithm writes one `hard` op), `send` (to one member, possibly myself),
 *   `commit` (the next contiguous entries, never retracted; a write-once decision is one entry at
 *   index 1, see write-once.ts), `restore` (log algorithms: a peer's snapshot was installed) and
 *   `refused` (a member to blame);
 * - time: `after` delays, measured on the clock the host passes to `createActor` (virtual time
 *   in the simulator, the real clock in a tab);
 * - randomness: a seeded PRNG kept in context (see `prng.ts`), so a run is a pure function of
 *   its seed.
 *
 * Persist-before-reply: a machine emits `persistLog` before any `send` that depends on it, and
 * hosts must finish writing every `persistLog` of a step before sending any of that step's
 * messages. Hosts enforce that ordering; machines make it explicit.
 */

import type { ClientId } from './state-machine.ts';

/** A node's identity. Compared as strings: the bully algorithm and ballot ties use this order. */
export type NodeId = string;

/** A proposed or decided value. Always plain text, rendered as text by the UI. */
export type Value = string;

/** Timeouts a machine may use, in milliseconds of whatever clock the host provides. */
export interface Timing {
  /**
   * How often a node repeats what it is waiting on (candidates, votes, prepares, questions to
   * the coordinator). Retransmission is how these algorithms survive message loss and nodes
   * that come back after a crash: each message is sent once per period until it is no longer
   * needed.
   */
  readonly retransmitMs: number;
  /** Impatient tiebreak: how long to wait for the missing votes before breaking the tie anyway. */
  readonly impatienceMs: number;
  /** Paxos: base of the randomised backoff after a proposer is pre-empted or times out. */
  readonly backoffMs: number;
  /** Paxos: how long a proposer waits for a quorum in one phase before it retries. */
  readonly phaseTimeoutMs: number;
  /**
   * Log algorithms: base of the randomised election timeout (Raft) and of a follower's
   * patience with a silent leader (Multi-Paxos). Optional so write-once hosts need not set it;
   * absent, log algorithms use `phaseTimeoutMs`.
   */
  readonly electionTimeoutMs?: number;
}

/**
 * Input every algorithm machine takes. `D` is what it restores from: `LogDurable<H, E>` (a
 * write-once machine's is `LogDurable<H, never>`, see write-once.ts).
 */
export interface NodeInput<D> {
  readonly self: NodeId;
  /** Every member of this decision, `self` included, fixed when the decision started. */
  readonly members: readonly NodeId[];
  /** Seed of this node's PRNG (e.g. for Paxos backoff). */
  readonly seed: number;
  readonly timing: Timing;
  /** What this node persisted before it crashed; undefined on a first start. */
  readonly durable?: D | undefined;
}

/** Events a host sends into a write-once algorithm machine. `M` is the algorithm's message union. */
export type NodeEvent<M> =
  | { readonly type: 'tryInitialize'; readonly value: Value }
  | { readonly type: 'receive'; readonly from: NodeId; readonly message: M };

/** Why a machine refused a member (see the 'refused' effect). */
export type RefusalKind = 'implausible' | 'unverified-claim';

/**
 * What the UI and the property checker read of a node: serialisable, algorithm-agnostic enough
 * to render generically, with algorithm-specific detail in `fields`.
 */
export interface NodeView {
  /** Short name of what the node is doing now, e.g. 'voting', 'preparing', 'decided'. */
  readonly phase: string;
  /** Human sentence: what this node is waiting for, e.g. 'votes from n4, n5'. */
  readonly waitingFor: string;
  /**
   * The members this node is waiting on, when that is a set of nodes (missing votes, missing
   * promises, the coordinator). Lets the dashboard say "blocked: waiting for crashed Ann".
   */
  readonly waitingOn?: readonly NodeId[];
  /** The value this node decided, if any. Never changes once set. */
  readonly decided: Value | undefined;
  /** Votes (or accepted counts) per candidate as this node sees them. */
  readonly tally: Readonly<Record<Value, number>>;
  /** Algorithm-specific labelled facts for display: "my vote", "promised", "ballot"... */
  readonly fields: ReadonlyArray<{ readonly label: string; readonly value: string }>;
  /**
   * Set by a host whose storage failed this node: 'unreadable' (its stored state is there but
   * cannot be read, so it only listens) or 'full' (a write failed, so it stopped). Absent: fine.
   */
  readonly storage?: StorageTrouble | undefined;
}

export type StorageTrouble = 'unreadable' | 'full';

/** A Paxos ballot: ordered by round, then by the proposing node's id. */
export interface Ballot {
  readonly round: number;
  readonly node: NodeId;
}

/**
 * What the checker can see of a Paxos acceptor at one instant (for the Paxos invariants:
 * promised never decreases, accepted ≤ promised, one value per ballot).
 */
export interface AcceptorProbe {
  readonly promised: Ballot | undefined;
  readonly accepted: { readonly ballot: Ballot; readonly value: Value } | undefined;
}

// ---------------------------------------------------------------------------------------------
// The log shape of the contract (issue 7). Raft and Multi-Paxos use all of it; a write-once
// algorithm uses a log of length one (src/core/write-once.ts).

/**
 * What a log entry carries: a client's command, named by (client, seq) so the state machine
 * applies it at most once however often it is resubmitted or re-proposed; or a no-op (a new
 * Raft leader's first entry, a Multi-Paxos gap filler), which the state machine skips.
 * `command` is opaque to the algorithm: bounded JSON it replicates, never interprets.
 */
export type LogCommand =
  | { readonly kind: 'noop' }
  | { readonly kind: 'command'; readonly client: ClientId; readonly seq: number; readonly command: unknown };

/** Raft's terms and Multi-Paxos's ballots, as one ordered type for the shared checkers. */
export type Epoch = { readonly kind: 'term'; readonly term: number } | { readonly kind: 'ballot'; readonly ballot: Ballot };

/**
 * One entry the host may apply: contiguous, final, never retracted. Raft's entries carry their
 * term, Multi-Paxos's the ballot that chose them; a write-once decision (index 1) carries
 * neither: there is one value to agree on and no epoch to order it by.
 */
export type CommittedEntry =
  | { readonly index: number; readonly term: number; readonly ballot?: undefined; readonly command: LogCommand }
  | { readonly index: number; readonly ballot: Ballot; readonly term?: undefined; readonly command: LogCommand }
  | { readonly index: number; readonly term?: undefined; readonly ballot?: undefined; readonly command: LogCommand };

/** A local client command for a log algorithm (the log-shaped `tryInitialize`). */
export interface SubmitEvent {
  readonly type: 'submit';
  readonly client: ClientId;
  readonly seq: number;
  readonly command: unknown;
}

/**
 * The host applied the committed prefix up to `index` and hands the machine that state (the
 * replicated state machine with its client sessions, as plain JSON) so it can compact its log:
 * the entries up to `index` are replaced by this snapshot (Raft §7). The machine ignores a
 * snapshot at or below the one it holds, or above what it has committed.
 */
export interface CompactEvent {
  readonly type: 'compact';
  readonly index: number;
  readonly state: unknown;
}

/** Events a host sends into a log algorithm machine. */
export type LogNodeEvent<M> = NodeEvent<M> | SubmitEvent | CompactEvent;

/**
 * A snapshot of the applied state machine that replaces the log prefix 1 … `index`. `term` is
 * Raft's lastIncludedTerm (Multi-Paxos has no term per slot: 0). `data` is the state's JSON
 * text, kept as text so it is serialised once and cut into wire chunks without copying.
 */
export interface LogSnapshot {
  readonly index: number;
  readonly term: number;
  readonly data: string;
}

/**
 * Typed storage operations, applied in order. A step's cost is bounded by what it wrote, not by
 * the length of the log: `hard` rewrites the small fixed-size part (Raft's currentTerm and
 * votedFor; a Paxos acceptor's promise), `append` writes entries at `from`, `from + 1`…
 * (`from` must be the stored length + 1: truncate first), `truncate` drops every entry at
 * index ≥ `from`, `put` writes one entry at one index (Multi-Paxos slots may have holes).
 */
export type PersistOp<H, E> =
  | { readonly op: 'hard'; readonly state: H }
  | { readonly op: 'append'; readonly from: number; readonly entries: readonly E[] }
  | { readonly op: 'truncate'; readonly from: number }
  | { readonly op: 'put'; readonly index: number; readonly entry: E }
  /**
   * Replace the stored snapshot by this one and drop every stored entry at index ≤
   * `snapshot.index` (entries above it stay: Raft keeps a matching suffix). One write per
   * snapshot; the steps between snapshots only append.
   */
  | { readonly op: 'snapshot'; readonly snapshot: LogSnapshot };

/** What an algorithm gets back after a crash: its hard state and its stored entries by index (none for write-once). */
export interface LogDurable<H, E> {
  readonly hard: H | undefined;
  /** Sorted by index; a log written only by `append`/`truncate` is dense from index 1 (or from the snapshot's index + 1). */
  readonly entries: readonly { readonly index: number; readonly entry: E }[];
  /** The last snapshot written, if any: the host restores its state machine from it on a restart. */
  readonly snapshot?: LogSnapshot | undefined;
}

/**
 * Effects an algorithm machine emits, in the order the host carries them out: one union for
 * write-once and log algorithms. `M` is its message union, `H` its hard state, `E` its log entry
 * (a write-once machine types its effects with `never`: it persists only `hard`; hosts that
 * carry out any machine's effects leave `E` open). Persist-before-reply: every
 * `persistLog` of a step lands before any `send` of it. `commit` hands over the next contiguous
 * entries (the first one's index is the previous commit's last index + 1, starting at 1 in each
 * incarnation): a write-once machine commits one entry, index 1, once per incarnation at most.
 */
export type NodeEffect<M, H, E = unknown> =
  | { readonly type: 'send'; readonly to: NodeId; readonly message: M }
  | { readonly type: 'persistLog'; readonly ops: readonly PersistOp<H, E>[] }
  | { readonly type: 'commit'; readonly entries: readonly CommittedEntry[] }
  /**
   * Log algorithms: the machine installed a snapshot another node sent (its log prefix was
   * behind it): the host replaces its state machine by `state` (already persisted), and the next
   * `commit` continues at `snapshot.index + 1`.
   */
  | { readonly type: 'restore'; readonly snapshot: LogSnapshot; readonly state: unknown }
  /**
   * A member's message failed a check that needs this node's state (a round far above what the
   * others have shown, a claim the node disproved, a contradiction): the message was ignored, and
   * the host reports `from` as the one to blame. Never emitted for what may be honest.
   */
  | { readonly type: 'refused'; readonly from: NodeId; readonly reason: RefusalKind; readonly detail: string };

export type LogRole = 'leader' | 'candidate' | 'follower';

/** One entry of a node's log as the checkers read it (the whole log, not the view's window). */
export interface LogEntryFact {
  readonly index: number;
  readonly epoch: Epoch;
  readonly command: LogCommand;
}

/** Where one entry of a node's log stands, as that node knows it. */
export type LogEntryState = 'committed' | 'uncommitted';

export interface LogWindowEntry {
  readonly index: number;
  readonly epoch: Epoch;
  readonly command: LogCommand;
  readonly state: LogEntryState;
}

/** What a node is counting, as typed values the UI renders (never labels to parse). */
export type LogQuorum =
  | { readonly kind: 'votes'; readonly granted: readonly NodeId[]; readonly needed: number }
  | { readonly kind: 'promises'; readonly promised: readonly NodeId[]; readonly needed: number }
  | { readonly kind: 'replication'; readonly matchIndex: Readonly<Record<NodeId, number>>; readonly needed: number };

/** A log algorithm's view: typed data for the UI, the schedule runner and the checkers. */
export interface LogView {
  readonly role: LogRole;
  readonly epoch: Epoch;
  /** The leader this node believes in (itself when leader), if any. */
  readonly leader: NodeId | undefined;
  readonly commitIndex: number;
  readonly lastIndex: number;
  /** Entries 1 … snapshotIndex are compacted into a snapshot (0: none); the window starts above it. */
  readonly snapshotIndex: number;
  /** The last entries of the log, at most MAX_LOG_WINDOW of them. */
  readonly window: readonly LogWindowEntry[];
  readonly quorum: LogQuorum | undefined;
  /** Its stored state was unreadable: it only listens (never votes, accepts or leads). */
  readonly listenOnly: boolean;
}
