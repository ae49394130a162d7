/**
 * The contract every consensus algorithm in the playground implements, and that every host
 * (the deterministic simulator, the live classroom tab) drives.
 *
 * An algorithm is a pure XState v5 machine. It never touches the network, a clock, storage or
 * `Math.random`:
 * - input: who I am, who the members are, a PRNG seed, timing, and whatever durable state I
 *   persisted before a crash;
 * - events in: `tryInitialize` (a local command) and `receive` (a message from a peer);
 * - effects out, as XState *emitted* events, in order: `persist` (write this durable state),
 *   `send` (to one member, possibly myself), `decided` (my final value);
 * - time: `after` delays, measured on the clock the host passes to `createActor` (virtual time
 *   in the simulator, the real clock in a tab);
 * - randomness: a seeded PRNG kept in context (see `prng.ts`), so a run is a pure function of
 *   its seed.
 *
 * Persist-before-reply: a machine emits `persist` before any `send` that depends on it, and
 * hosts must finish writing every `persist` of a step before sending any of that step's
 * messages. Hosts enforce that ordering; machines make it explicit.
 */

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
}

/** Input every algorithm machine takes. `D` is the algorithm's durable (persisted) state. */
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

/** Events a host sends into an algorithm machine. `M` is the algorithm's message union. */
export type NodeEvent<M> =
  | { readonly type: 'tryInitialize'; readonly value: Value }
  | { readonly type: 'receive'; readonly from: NodeId; readonly message: M };

/** Effects an algorithm machine emits, in the order the host must carry them out. */
export type NodeEffect<M, D> =
  | { readonly type: 'persist'; readonly state: D }
  | { readonly type: 'send'; readonly to: NodeId; readonly message: M }
  | { readonly type: 'decided'; readonly value: Value }
  /**
   * A member's message failed a check that needs this node's state (a round far above what the
   * others have shown, a claim the node disproved, a contradiction): the message was ignored, and
   * the host reports `from` as the one to blame. Never emitted for what may be honest.
   */
  | { readonly type: 'refused'; readonly from: NodeId; readonly reason: RefusalKind; readonly detail: string };

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
