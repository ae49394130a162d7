/**
 * The contract between a replicated log and the application it replicates.
 *
 * A replication algorithm (Multi-Paxos, Raft) agrees on a sequence of `ClientCommand`s; each
 * replica applies the committed ones, in log order, to a `StateMachine` through the client-session
 * layer (`client-sessions.ts`), which applies each (client, seq) pair at most once. Because
 * `apply` is pure and deterministic, replicas that applied the same prefix hold equal states:
 * that is what state-machine safety means, and what the checkers compare.
 *
 * The same `StateMachine` is the model the linearizability checker (`src/sim/linearizability.ts`)
 * replays client histories against, so the checker and the replicas can never disagree about
 * what a command means.
 */

/** Who submitted a command: a phone in the room, a simulated client. Bounded by MAX_CLIENT_ID_LENGTH. */
export type ClientId = string;

/**
 * What a client submits and what the log carries. `seq` numbers one client's commands 1, 2, 3…
 * (a client has one command outstanding at a time and retries it with the same seq until it
 * gets an answer); the pair (client, seq) names one intended application, however many times
 * it is resubmitted, forwarded or re-proposed by a new leader.
 */
export interface ClientCommand<C> {
  readonly client: ClientId;
  readonly seq: number;
  readonly command: C;
}

/** What one `apply` produced: the next state and the answer the client gets. */
export interface Applied<S, R> {
  readonly state: S;
  readonly result: R;
}

/** A validation outcome with a reason a person can read (bad input gets a clear error). */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Names used by schedule files, the CLI, URLs and the UI. */
export type StateMachineName = 'orders' | 'register';

/**
 * A deterministic application. `S` is its state, `C` a command, `R` the answer to a command.
 * Every value of S, C and R is plain JSON data (no Map, Set, class or undefined inside), so it
 * travels in wire messages, persists in storage and snapshots as is.
 *
 * Methods are pure: no clock, randomness, I/O or mutation of their arguments.
 */
export interface StateMachine<S, C, R> {
  readonly name: StateMachineName;

  /** The state before any command. A fresh value each call. */
  initial(): S;

  /**
   * Apply one command. Total: every command gets a definite answer (a refused command answers
   * with its reason and leaves the state unchanged, it never throws). Deterministic: equal
   * (state, command) give equal (state, result) on every replica. Bounded: a state never grows
   * past the machine's limits in src/limits.ts; a command that would exceed them is refused.
   */
  apply(state: S, command: C): Applied<S, R>;

  /** Validate an untrusted command (wire, schedule file, UI). Bounded fields; never throws. */
  parseCommand(raw: unknown): C | undefined;
  /** As `parseCommand`, with the reason it was refused (for schedule-file and CLI errors). */
  checkCommand(raw: unknown): Parsed<C>;
  /** Validate an untrusted answer (a reply travelling from a replica to the client's node). */
  parseResult(raw: unknown): R | undefined;
  /** Validate an untrusted state (a snapshot read back from storage or sent for catch-up). */
  parseState(raw: unknown): S | undefined;

  /** Short text for a log entry on the projector, e.g. "ship A". */
  describe(command: C): string;
  /** Short text for an answer, e.g. "refused: already shipped". */
  describeResult(result: R): string;

  /** Equal states (replicas agree); same as `stateKey(a) === stateKey(b)`. */
  equalState(a: S, b: S): boolean;
  /** Equal answers (what a client saw matches what the model gives). */
  equalResult(a: R, b: R): boolean;
  /**
   * A canonical string of a state: equal states give equal keys and different states different
   * keys. The linearizability checker hashes states with it for Lowe's memoization.
   */
  stateKey(state: S): string;

  /**
   * Optional: the independent part of the state a command touches (an order id, a register key).
   * The linearizability checker checks each key's operations on their own, which is sound only
   * when a command's answer depends on its own key's part of the state alone.
   */
  partitionKey?(command: C): string;
  /**
   * Optional, with `partitionKey`: true when this answer depended on the state outside the
   * command's key (e.g. "the book is full" counts every order). A history holding such an answer
   * is checked as one partition, because splitting it would misjudge that answer.
   */
  resultCrossesPartitions?(result: R): boolean;
}

/**
 * One client-visible operation in a history the linearizability checker judges. Times are on
 * one clock that every client's events are stamped with (the simulator's virtual time; in a live
 * room, the observer's clock), with `call <= return`.
 */
export type HistoryOperation<C, R> = CompletedOperation<C, R> | PendingOperation<C>;

/** The client submitted `input` at `call` and received `output` at `return`. */
export interface CompletedOperation<C, R> {
  readonly client: ClientId;
  readonly call: number;
  readonly return: number;
  readonly input: C;
  readonly output: R;
}

/**
 * The client submitted `input` at `call` and never got an answer (it crashed, gave up, the run
 * ended). It may or may not have taken effect: the checker treats it as returning at infinity,
 * with any output.
 */
export interface PendingOperation<C> {
  readonly client: ClientId;
  readonly call: number;
  readonly return?: undefined;
  readonly input: C;
  readonly output?: undefined;
}

export function isCompleted<C, R>(op: HistoryOperation<C, R>): op is CompletedOperation<C, R> {
  return op.return !== undefined;
}

/**
 * Records keyed by untrusted ids (clients, orders, register keys) hold plain JSON. Reading and
 * writing them goes through these two helpers so an id such as "__proto__" or "constructor" is
 * an ordinary own entry, never the object's prototype.
 */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` with `key` set to `value` (the input is left unchanged). */
export function withOwnEntry<T>(record: Readonly<Record<string, T>>, key: string, value: T): Readonly<Record<string, T>> {
  const copy: Record<string, T> = { ...record };
  defineOwn(copy, key, value);
  return copy;
}

/** Set an own entry on a record being built (never on a shared one). */
export function defineOwn<T>(record: Record<string, T>, key: string, value: T): void {
  // Only "__proto__" is special to assignment; the fast path keeps records in V8's fast mode.
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
