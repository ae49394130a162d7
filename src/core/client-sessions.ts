/**
 * Client sessions: exactly-once application of replicated commands.
 *
 * A replicated log may carry the same (client, seq) several times: the client resubmitted after a
 * timeout, a follower forwarded it twice, a new leader re-proposed an entry its predecessor had
 * already committed. Replicas apply committed entries through `applyClientCommand`, which keeps,
 * per client, the last seq applied and the answer it produced:
 *
 * - seq greater than the last one: applied; the answer is remembered (`applied`);
 * - seq equal to the last one: not applied again; the first answer is returned (`duplicate`);
 * - seq lower than the last one: not applied; that answer is no longer kept (`stale`). A client
 *   has one command outstanding at a time, so it already received that answer before it moved on,
 *   and only a late copy in the log can arrive here;
 * - a client with no session: its seq 1 opens one and is applied; any other seq is refused
 *   (`no-session`), because its session may have been evicted and the command may have been
 *   applied before. Answering "no session" is definite (this copy was not applied), and it is the
 *   only way to stay exactly-once with a bounded table.
 *
 * The table is part of the replicated state: every replica applies the same commands in the same
 * order, so every replica holds the same sessions and evicts the same one.
 *
 * Eviction: at most MAX_CLIENT_SESSIONS sessions. Opening one more evicts the session whose last
 * application is oldest (ties cannot happen: one command is applied at a time). An evicted client
 * that later retries gets `no-session`. The only gap: a client whose session (opened by its seq 1)
 * was evicted and which then retries that same seq 1 would have it applied again; that needs
 * MAX_CLIENT_SESSIONS other clients to open sessions while the retry is in flight, far beyond a
 * room (MAX_PEERS_PER_ROOM) or a simulated run.
 *
 * Clients must therefore number from 1 and never reuse a (client, seq): a tab that loses its
 * counter on reload takes a fresh client id, or its new seq 1 would be answered with the old one.
 */
import { MAX_CLIENT_ID_LENGTH, MAX_CLIENT_SESSIONS } from '../limits.ts';
import { defineOwn, ownEntry, withOwnEntry, type Applied, type ClientCommand, type ClientId, type Parsed, type StateMachine } from './state-machine.ts';
import { canonicalJson, isBoundedString, isNonNegativeInteger, isRecord } from './validate.ts';

/** One client's memory: the last seq applied, its answer, and when (for eviction). */
export interface Session<R> {
  readonly seq: number;
  readonly result: R;
  /** Value of `SessionTable.applied` when this seq was applied: lower is older. */
  readonly appliedAt: number;
}

export interface SessionTable<R> {
  /** Keyed by client id. Always read through `sessionOf` (ids such as "constructor" are valid). */
  readonly sessions: Readonly<Record<ClientId, Session<R>>>;
  /** Commands applied so far (not counting duplicates and refusals): the eviction clock. */
  readonly applied: number;
}

/** What a replica holds: the application's state and the sessions that guard it. Plain JSON. */
export interface ReplicatedState<S, R> {
  readonly machine: S;
  readonly sessions: SessionTable<R>;
}

/** What happened to one committed (client, seq). */
export type SessionOutcome<R> =
  | { readonly kind: 'applied'; readonly result: R }
  | { readonly kind: 'duplicate'; readonly result: R }
  | { readonly kind: 'stale'; readonly lastSeq: number }
  | { readonly kind: 'no-session' };

export function initialReplicated<S, C, R>(machine: StateMachine<S, C, R>): ReplicatedState<S, R> {
  return { machine: machine.initial(), sessions: { sessions: {}, applied: 0 } };
}

export function sessionOf<R>(table: SessionTable<R>, client: ClientId): Session<R> | undefined {
  return ownEntry(table.sessions, client);
}

/**
 * Apply one committed command at most once per (client, seq). Pure: the input state is not
 * modified; when nothing is applied the same state object is returned.
 */
export function applyClientCommand<S, C, R>(
  machine: StateMachine<S, C, R>,
  state: ReplicatedState<S, R>,
  entry: ClientCommand<C>,
): { readonly state: ReplicatedState<S, R>; readonly outcome: SessionOutcome<R> } {
  const session = sessionOf(state.sessions, entry.client);
  if (session === undefined && entry.seq !== 1) return { state, outcome: { kind: 'no-session' } };
  if (session !== undefined && entry.seq === session.seq) {
    return { state, outcome: { kind: 'duplicate', result: session.result } };
  }
  if (session !== undefined && entry.seq < session.seq) {
    return { state, outcome: { kind: 'stale', lastSeq: session.seq } };
  }
  const applied: Applied<S, R> = machine.apply(state.machine, entry.command);
  const sessions = remember(state.sessions, entry.client, entry.seq, applied.result, session === undefined);
  return { state: { machine: applied.state, sessions }, outcome: { kind: 'applied', result: applied.result } };
}

/** The answer a client is given for an outcome, when there is one. */
export function answerOf<R>(outcome: SessionOutcome<R>): R | undefined {
  return outcome.kind === 'applied' || outcome.kind === 'duplicate' ? outcome.result : undefined;
}

function remember<R>(table: SessionTable<R>, client: ClientId, seq: number, result: R, opening: boolean): SessionTable<R> {
  const kept = opening ? withRoomForOne(table.sessions) : table.sessions;
  const sessions = withOwnEntry(kept, client, { seq, result, appliedAt: table.applied });
  return { sessions, applied: table.applied + 1 };
}

/** The sessions minus the least recently applied one, when the table is full. */
function withRoomForOne<R>(sessions: Readonly<Record<ClientId, Session<R>>>): Readonly<Record<ClientId, Session<R>>> {
  const clients = Object.keys(sessions);
  if (clients.length < MAX_CLIENT_SESSIONS) return sessions;
  let oldest: ClientId | undefined;
  let oldestAt = Infinity;
  for (const client of clients) {
    const at = (sessions[client] as Session<R>).appliedAt;
    if (at < oldestAt) {
      oldest = client;
      oldestAt = at;
    }
  }
  const rest: Record<ClientId, Session<R>> = {};
  for (const client of clients) {
    if (client !== oldest) defineOwn(rest, client, sessions[client] as Session<R>);
  }
  return rest;
}

/** Validate an untrusted (client, seq, command), e.g. a submit message or a schedule step. */
export function checkClientCommand<S, C, R>(machine: StateMachine<S, C, R>, raw: unknown): Parsed<ClientCommand<C>> {
  if (!isRecord(raw)) return { ok: false, error: 'a client command must be an object {client, seq, command}' };
  if (!isBoundedString(raw.client, MAX_CLIENT_ID_LENGTH)) {
    return { ok: false, error: `client must be a string of 1 to ${MAX_CLIENT_ID_LENGTH} characters` };
  }
  if (!isNonNegativeInteger(raw.seq) || raw.seq < 1) return { ok: false, error: 'seq must be an integer ≥ 1' };
  const command = machine.checkCommand(raw.command);
  if (!command.ok) return { ok: false, error: `command: ${command.error}` };
  return { ok: true, value: { client: raw.client, seq: raw.seq, command: command.value } };
}

export function parseClientCommand<S, C, R>(machine: StateMachine<S, C, R>, raw: unknown): ClientCommand<C> | undefined {
  const parsed = checkClientCommand(machine, raw);
  return parsed.ok ? parsed.value : undefined;
}

/** Equal replicated states: same application state and the same sessions. */
export function equalReplicated<S, C, R>(machine: StateMachine<S, C, R>, a: ReplicatedState<S, R>, b: ReplicatedState<S, R>): boolean {
  if (!machine.equalState(a.machine, b.machine) || a.sessions.applied !== b.sessions.applied) return false;
  const clientsA = Object.keys(a.sessions.sessions);
  if (clientsA.length !== Object.keys(b.sessions.sessions).length) return false;
  return clientsA.every((client) => {
    const x = sessionOf(a.sessions, client) as Session<R>;
    const y = sessionOf(b.sessions, client);
    return y !== undefined && x.seq === y.seq && x.appliedAt === y.appliedAt && machine.equalResult(x.result, y.result);
  });
}

/**
 * A canonical string of a replicated state: equal states (as `equalReplicated` judges them)
 * give equal keys, whatever order the sessions were inserted or parsed in. The checkers compare
 * replicas' states at snapshot indexes with it.
 */
export function replicatedStateKey<S, C, R>(machine: StateMachine<S, C, R>, state: ReplicatedState<S, R>): string {
  const clients = Object.keys(state.sessions.sessions).sort();
  const sessions = clients.map((client) => {
    const session = sessionOf(state.sessions, client) as Session<R>;
    return [client, session.seq, session.appliedAt, canonicalJson(session.result)];
  });
  return `${machine.stateKey(state.machine)}|${state.sessions.applied}|${JSON.stringify(sessions)}`;
}

/** Validate a replicated state read back from storage or received as a catch-up snapshot. */
export function parseReplicatedState<S, C, R>(machine: StateMachine<S, C, R>, raw: unknown): ReplicatedState<S, R> | undefined {
  if (!isRecord(raw) || !isRecord(raw.sessions)) return undefined;
  const state = machine.parseState(raw.machine);
  const applied = raw.sessions.applied;
  const table = raw.sessions.sessions;
  if (state === undefined || !isNonNegativeInteger(applied) || !isRecord(table)) return undefined;
  const clients = Object.keys(table);
  if (clients.length > MAX_CLIENT_SESSIONS) return undefined;
  const sessions: Record<ClientId, Session<R>> = {};
  for (const client of clients) {
    const session = parseSession(machine, table[client], applied);
    if (!isBoundedString(client, MAX_CLIENT_ID_LENGTH) || session === undefined) return undefined;
    defineOwn(sessions, client, session);
  }
  return { machine: state, sessions: { sessions, applied } };
}

function parseSession<S, C, R>(machine: StateMachine<S, C, R>, raw: unknown, applied: number): Session<R> | undefined {
  if (!isRecord(raw) || !isNonNegativeInteger(raw.seq) || raw.seq < 1) return undefined;
  if (!isNonNegativeInteger(raw.appliedAt) || raw.appliedAt >= applied) return undefined;
  const result = machine.parseResult(raw.result);
  return result === undefined ? undefined : { seq: raw.seq, result, appliedAt: raw.appliedAt };
}
