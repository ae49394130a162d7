/**
 * Scenarios as data: one JSON schedule format read by the CLI (`npm run sim -- --schedule FILE`),
 * the Vitest suite (tests/scenarios/*.json) and, later, solo mode. A file names an algorithm,
 * a cluster, links, timed steps (client submits, crashes, restarts, partitions, manual
 * delivery) and an `expect` section the runner checks, so a file that stops staging its
 * situation fails instead of passing quietly.
 *
 * `parseSchedule` validates everything before anything runs; every error names the step and
 * the field. Steps that name no valid target at run time (restart of a node that is up,
 * submit at a crashed node, "leader" when there is none or a tie) are errors too, never
 * no-ops. No Node API here: cli.ts reads the file.
 *
 * Write-once algorithms (paxos, majority, …) are logs of length one and run from the same
 * format: `submit` is `tryInitialize` with `"command": {"value": "red"}` (the explorer's saved
 * counterexamples spell it `{"do": "propose", "node", "value"}`, also accepted), a decision is
 * the commit of index 1 (so `committed` and `nothingCommitted` expect decisions), `timer` fires a
 * node's pending timer now (the explorer's "this timer fires next"), `violations` names the
 * write-once checker's properties (agreement, validity, …), and `runUntilMs` may be left out
 * (the run then ends where its last step is, as a replayed counterexample does).
 */
import { assertNever } from '../core/assert.ts';
import { compareEpochs } from '../core/log.ts';
import type { StateMachine, StateMachineName } from '../core/state-machine.ts';
import { isStateMachineName, stateMachineNamed } from '../core/state-machines.ts';
import type { LogCommand, NodeId } from '../core/types.ts';
import { canonicalJson, isRecord, type UnknownRecord } from '../core/validate.ts';
import {
  MAX_TERM,
  MAX_TIMER_NAME_LENGTH,
  MAX_VALUE_LENGTH,
  SCHEDULE_MAX_DESCRIPTION_LENGTH,
  SCHEDULE_MAX_INITIAL_ENTRIES,
  SCHEDULE_MAX_NODES,
  SCHEDULE_MAX_RUN_MS,
  SCHEDULE_MAX_STEPS,
  SCHEDULE_MESSAGE_MAX_CHARS,
} from '../limits.ts';
import { ALGORITHMS } from '../machines/index.ts';
import { LOG_ALGORITHMS } from '../machines/log-index.ts';
import { ALGORITHM_NAMES, isAlgorithmName, isLogAlgorithmName, LOG_ALGORITHM_NAMES, type AlgorithmName, type AlgorithmSpec, type LogAlgorithmName } from '../machines/spec.ts';
import { checkRun, PROPERTIES, type Property } from './checker.ts';
import { checkLogRun, LOG_PROPERTIES, type LogProperty } from './log-checker.ts';
import { LogCluster } from './log-cluster.ts';
import { Simulation, SimulationError } from './simulator.ts';
import type { TraceLevel } from './trace.ts';

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

export interface MessageFilter {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly kind?: string | undefined;
  /**
   * deliver/drop only: the exact payload (`"message": {...}` in the file, kept as canonical JSON),
   * for a replayed run where one link carries several messages of one kind (ballots, retries).
   */
  readonly message?: string | undefined;
}

export type ScheduleStep = { readonly atMs: number; readonly index: number } & (
  | { readonly do: 'submit'; readonly node: string; readonly client: string; readonly command: unknown; readonly as?: string | undefined }
  | { readonly do: 'crash' | 'restart' | 'pause' | 'resume'; readonly node: string; readonly as?: string | undefined }
  | { readonly do: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly do: 'cut'; readonly from: string; readonly to: string }
  | { readonly do: 'heal' }
  | { readonly do: 'links'; readonly delayMs?: readonly [number, number] | undefined; readonly loss?: number | undefined; readonly duplicate?: number | undefined }
  | ({ readonly do: 'hold' | 'deliver' | 'drop' } & MessageFilter & { readonly count?: number | undefined })
  | { readonly do: 'release' }
  | { readonly do: 'timer'; readonly node: string; readonly timer?: string | undefined; readonly as?: string | undefined }
);

/** What a schedule's checker may report: the log checker's properties, or the write-once checker's. */
export type ScheduleProperty = LogProperty | Property;

export interface InitialNode {
  readonly term: number;
  readonly votedFor?: string | undefined;
  readonly log: readonly { readonly term: number; readonly command: LogCommand }[];
}

export interface ScheduleExpect {
  /** Some node believes itself leader at this virtual time (optionally one of `among`). */
  readonly leaderAt?: readonly { readonly atMs: number; readonly among?: readonly string[] | undefined }[];
  /** No node of `among` (default: all) believes itself leader at any moment in the window. */
  readonly noLeader?: readonly { readonly fromMs: number; readonly toMs: number; readonly among?: readonly string[] | undefined }[];
  /** No node commits a client command in the window. */
  readonly nothingCommitted?: readonly { readonly fromMs: number; readonly toMs: number }[];
  /** These commands are committed, in this order, at every node up at the end (or at `nodes`). */
  readonly committed?: { readonly commands: readonly unknown[]; readonly nodes?: readonly string[] | undefined; readonly exactly?: boolean | undefined };
  /** No leader or candidate change in the window (the term is stable while idle). */
  readonly stableTerm?: readonly { readonly fromMs: number; readonly toMs: number }[];
  /** Every node up at the end holds the same log. */
  readonly logsEqual?: boolean;
  /** Every submitted command has an answer by the end. */
  readonly allAnswered?: boolean;
  /** The checker must report exactly these properties (default: none). */
  readonly violations?: readonly ScheduleProperty[];
}

export interface Schedule {
  readonly algorithm: LogAlgorithmName | AlgorithmName;
  readonly nodes: number;
  readonly seed: number;
  readonly stateMachine: StateMachineName;
  readonly links: { readonly delayMs: readonly [number, number]; readonly loss: number; readonly duplicate: number };
  readonly timing?: { readonly electionTimeoutMs?: number | undefined; readonly retransmitMs?: number | undefined } | undefined;
  readonly runUntilMs: number;
  readonly initial?: Readonly<Record<string, InitialNode>> | undefined;
  readonly steps: readonly ScheduleStep[];
  readonly expect: ScheduleExpect;
  readonly description?: string | undefined;
}

// ---- validation -------------------------------------------------------------------------------

class Fields {
  constructor(
    private readonly where: string,
    readonly raw: UnknownRecord,
  ) {}
  fail(field: string, what: string): never {
    throw new ScheduleError(`${this.where}: field "${field}" ${what}`);
  }
  allow(keys: readonly string[]): void {
    for (const key of Object.keys(this.raw)) if (!keys.includes(key)) this.fail(key, `is not known here (known: ${keys.join(', ')})`);
  }
  number(field: string, min: number, max: number, integer = true): number {
    const v = this.raw[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      this.fail(field, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }
  optionalNumber(field: string, min: number, max: number, integer = true): number | undefined {
    return this.raw[field] === undefined ? undefined : this.number(field, min, max, integer);
  }
  string(field: string, maxLength = 64): string {
    const v = this.raw[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) this.fail(field, `must be a non-empty string of at most ${maxLength} characters, got ${JSON.stringify(v)}`);
    return v;
  }
  optionalString(field: string, maxLength = 64): string | undefined {
    return this.raw[field] === undefined ? undefined : this.string(field, maxLength);
  }
  record(field: string): Fields {
    const v = this.raw[field];
    if (!isRecord(v)) this.fail(field, 'must be an object');
    return new Fields(`${this.where}, ${field}`, v);
  }
  array(field: string, max: number): unknown[] {
    const v = this.raw[field];
    if (!Array.isArray(v) || v.length > max) this.fail(field, `must be an array of at most ${max} items`);
    return v as unknown[];
  }
}

function nodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

/** Validates a parsed JSON schedule. Every error names where (top level, step N, expect) and the field. */
export function parseSchedule(raw: unknown): Schedule {
  if (!isRecord(raw)) throw new ScheduleError('a schedule must be a JSON object');
  const top: Fields = new Fields('schedule', raw);
  top.allow(['algorithm', 'nodes', 'seed', 'stateMachine', 'links', 'timing', 'runUntilMs', 'initial', 'steps', 'expect', 'description']);
  const algorithm = top.string('algorithm');
  const writeOnce = isAlgorithmName(algorithm);
  if (!isLogAlgorithmName(algorithm) && !writeOnce) top.fail('algorithm', `must be one of ${[...LOG_ALGORITHM_NAMES, ...ALGORITHM_NAMES].join(', ')}, got "${algorithm}"`);
  const nodes = top.number('nodes', 1, SCHEDULE_MAX_NODES);
  const names = nodeNames(nodes);
  const seed = top.number('seed', 0, 0xffffffff);
  if (writeOnce && top.raw.stateMachine !== undefined) top.fail('stateMachine', `applies to log algorithms only (${algorithm} decides one value)`);
  const stateMachine = top.raw.stateMachine ?? 'orders';
  if (!isStateMachineName(stateMachine)) top.fail('stateMachine', `must be "orders" or "register", got ${JSON.stringify(stateMachine)}`);
  const machine = writeOnce ? WRITE_ONCE_COMMANDS : (stateMachineNamed(stateMachine) as StateMachine<unknown, unknown, unknown>);
  const links = parseLinks(top.raw.links === undefined ? new Fields('schedule, links', {}) : top.record('links'), true);
  let timing: Schedule['timing'];
  if (top.raw.timing !== undefined) {
    const t: Fields = top.record('timing');
    t.allow(['electionTimeoutMs', 'retransmitMs']);
    timing = { electionTimeoutMs: t.optionalNumber('electionTimeoutMs', 10, 60_000), retransmitMs: t.optionalNumber('retransmitMs', 5, 60_000) };
  }
  // A write-once file may leave runUntilMs out: it then ends at its last step (a replayed counterexample).
  const givenRunUntil = writeOnce && top.raw.runUntilMs === undefined ? undefined : top.number('runUntilMs', 1, SCHEDULE_MAX_RUN_MS);
  const limit = givenRunUntil ?? SCHEDULE_MAX_RUN_MS;
  if (writeOnce && top.raw.initial !== undefined) top.fail('initial', 'applies to Raft only (terms and dense logs)');
  const initial = top.raw.initial === undefined ? undefined : parseInitial(top.record('initial'), names, algorithm as LogAlgorithmName);
  const steps = top.array('steps', SCHEDULE_MAX_STEPS).map((s, i) => parseStep(s, i, names, machine, limit, writeOnce));
  const runUntilMs = givenRunUntil ?? Math.max(0, ...steps.map((step) => step.atMs));
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] as ScheduleStep).atMs < (steps[i - 1] as ScheduleStep).atMs) {
      throw new ScheduleError(`step ${i + 1} (${(steps[i] as ScheduleStep).do}): field "atMs" goes back in time (${(steps[i] as ScheduleStep).atMs} < ${(steps[i - 1] as ScheduleStep).atMs}); list steps in time order`);
    }
  }
  checkAliases(steps, names);
  const expect = top.raw.expect === undefined ? {} : parseExpect(top.record('expect'), names, machine, runUntilMs, writeOnce);
  const description = top.raw.description;
  if (description !== undefined && (typeof description !== 'string' || description.length > SCHEDULE_MAX_DESCRIPTION_LENGTH)) {
    top.fail('description', `must be text of at most ${SCHEDULE_MAX_DESCRIPTION_LENGTH} characters`);
  }
  return { algorithm, nodes, seed, stateMachine, links, timing, runUntilMs, initial, steps, expect, description };
}

function parseLinks(f: Fields, defaults: true): Schedule['links'];
function parseLinks(f: Fields, defaults: false): Partial<Schedule['links']>;
function parseLinks(f: Fields, defaults: boolean): Partial<Schedule['links']> {
  const out: { delayMs?: readonly [number, number]; loss?: number; duplicate?: number } = {};
  if (f.raw.delayMs !== undefined) {
    const d = f.raw.delayMs;
    if (!Array.isArray(d) || d.length !== 2 || !d.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 60_000) || (d[0] as number) > (d[1] as number)) {
      f.fail('delayMs', `must be [min, max] with 0 ≤ min ≤ max ≤ 60000, got ${JSON.stringify(d)}`);
    }
    out.delayMs = [d[0] as number, d[1] as number];
  } else if (defaults) out.delayMs = [5, 25];
  const loss = f.optionalNumber('loss', 0, 1, false);
  const duplicate = f.optionalNumber('duplicate', 0, 1, false);
  if (loss !== undefined || defaults) out.loss = loss ?? 0;
  if (duplicate !== undefined || defaults) out.duplicate = duplicate ?? 0;
  return out;
}

function parseInitial(f: Fields, names: readonly string[], algorithm: LogAlgorithmName): Record<string, InitialNode> {
  if (!algorithm.startsWith('raft')) f.fail(Object.keys(f.raw)[0] ?? 'initial', 'applies to Raft only (terms and dense logs)');
  const out: Record<string, InitialNode> = {};
  for (const node of Object.keys(f.raw)) {
    if (!names.includes(node)) f.fail(node, `is not a node (nodes: ${names.join(', ')})`);
    const n: Fields = f.record(node);
    n.allow(['term', 'votedFor', 'log']);
    const term = n.number('term', 0, MAX_TERM);
    const votedFor = n.optionalString('votedFor');
    if (votedFor !== undefined && !names.includes(votedFor)) n.fail('votedFor', `is not a node (nodes: ${names.join(', ')})`);
    const log = n.array('log', SCHEDULE_MAX_INITIAL_ENTRIES).map((raw, i) => {
      if (!isRecord(raw)) n.fail(`log[${i}]`, 'must be an object {term, command?}');
      const e: Fields = new Fields(`initial ${node}, log[${i}]`, raw);
      e.allow(['term', 'command']);
      const entryTerm = e.number('term', 1, term);
      // Entries are named by (index, term): the same index and term is the same entry on every node.
      const command: LogCommand = e.raw.command === undefined ? { kind: 'noop' } : { kind: 'command', client: `init-t${entryTerm}`, seq: i + 1, command: e.raw.command };
      return { term: entryTerm, command };
    });
    for (let i = 1; i < log.length; i++) {
      if ((log[i] as { term: number }).term < (log[i - 1] as { term: number }).term) n.fail(`log[${i}]`, 'has a lower term than the entry before it (a Raft log never does)');
    }
    out[node] = { term, votedFor, log };
  }
  return out;
}

/** A step's exact payload: any JSON, bounded, compared as canonical text (keys sorted). */
function parseMessage(f: Fields): { message?: string } {
  if (f.raw.message === undefined) return {};
  const text = canonicalJson(f.raw.message);
  if (text.length > SCHEDULE_MESSAGE_MAX_CHARS) f.fail('message', `must be at most ${SCHEDULE_MESSAGE_MAX_CHARS} characters of JSON`);
  return { message: text };
}

function parseFilter(f: Fields, names: readonly string[]): MessageFilter {
  const from = f.optionalString('from');
  const to = f.optionalString('to');
  for (const [field, v] of [['from', from], ['to', to]] as const) if (v !== undefined && !names.includes(v)) f.fail(field, `is not a node (nodes: ${names.join(', ')})`);
  return { from, to, kind: f.optionalString('kind') };
}

/**
 * A write-once algorithm's commands: `{ value }`, the value a node is asked to propose. As the
 * `checkCommand` half of a state machine, so steps and expectations validate it like any other.
 */
const WRITE_ONCE_COMMANDS = {
  name: 'write-once',
  checkCommand(raw: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
    if (!isRecord(raw) || Object.keys(raw).length !== 1 || typeof raw.value !== 'string' || raw.value.length === 0 || raw.value.length > MAX_VALUE_LENGTH) {
      return { ok: false, error: `a write-once command is {"value": "<1–${MAX_VALUE_LENGTH} characters>"}, got ${JSON.stringify(raw)}` };
    }
    return { ok: true, value: { value: raw.value } };
  },
} as unknown as StateMachine<unknown, unknown, unknown>;

function parseStep(raw: unknown, i: number, names: readonly string[], machine: StateMachine<unknown, unknown, unknown>, runUntilMs: number, writeOnce = false): ScheduleStep {
  if (!isRecord(raw)) throw new ScheduleError(`step ${i + 1}: must be an object`);
  const kind = typeof raw.do === 'string' ? raw.do : '?';
  const f: Fields = new Fields(`step ${i + 1} (${kind})`, raw);
  const atMs = f.number('atMs', 0, runUntilMs, false);
  const base = { atMs, index: i };
  const node = (): string => f.string('node'); // names, aliases and "leader" are resolved at run time
  switch (raw.do) {
    case 'propose': {
      // The explorer's spelling of a write-once submit.
      if (!writeOnce) f.fail('do', 'is "propose", which only write-once algorithms take (log algorithms: "submit")');
      f.allow(['atMs', 'do', 'node', 'value', 'as']);
      const checked = machine.checkCommand({ value: f.raw.value });
      if (!checked.ok) f.fail('value', checked.error);
      return { ...base, do: 'submit', node: node(), client: 'student', command: checked.value, as: f.optionalString('as') };
    }
    case 'timer':
      f.allow(['atMs', 'do', 'node', 'timer']);
      return { ...base, do: 'timer', node: node(), timer: f.optionalString('timer', MAX_TIMER_NAME_LENGTH), as: undefined };
    case 'submit': {
      f.allow(['atMs', 'do', 'node', 'client', 'command', 'as']);
      const client = writeOnce && f.raw.client === undefined ? 'student' : f.string('client');
      const checked = machine.checkCommand(f.raw.command);
      if (!checked.ok) f.fail('command', `is not a ${machine.name} command: ${checked.error}`);
      return { ...base, do: 'submit', node: node(), client, command: checked.value, as: f.optionalString('as') };
    }
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      f.allow(['atMs', 'do', 'node', 'as']);
      return { ...base, do: raw.do, node: node(), as: f.optionalString('as') };
    case 'partition': {
      f.allow(['atMs', 'do', 'groups']);
      const groups = f.array('groups', SCHEDULE_MAX_NODES).map((g, gi) => {
        if (!Array.isArray(g) || g.length === 0 || !g.every((x) => typeof x === 'string' && x.length > 0)) {
          f.fail(`groups[${gi}]`, `must be a non-empty array of nodes or aliases (nodes: ${names.join(', ')})`);
        }
        return g as string[];
      });
      const all = groups.flat();
      if (new Set(all).size !== all.length) f.fail('groups', 'lists a node in two groups');
      return { ...base, do: 'partition', groups };
    }
    case 'cut': {
      f.allow(['atMs', 'do', 'from', 'to']);
      const from = f.string('from');
      const to = f.string('to');
      if (from === to) f.fail('to', 'is the same node as "from" (a node always reaches itself)');
      return { ...base, do: 'cut', from, to };
    }
    case 'heal':
    case 'release':
      f.allow(['atMs', 'do']);
      return { ...base, do: raw.do };
    case 'links': {
      f.allow(['atMs', 'do', 'delayMs', 'loss', 'duplicate']);
      const l = parseLinks(f, false);
      if (l.delayMs === undefined && l.loss === undefined && l.duplicate === undefined) f.fail('loss', 'or "delayMs" or "duplicate" must be given');
      return { ...base, do: 'links', ...l };
    }
    case 'hold':
      f.allow(['atMs', 'do', 'from', 'to', 'kind', 'count']);
      return { ...base, do: raw.do, ...parseFilter(f, names), count: f.optionalNumber('count', 1, 10_000) };
    case 'deliver':
    case 'drop': {
      f.allow(['atMs', 'do', 'from', 'to', 'kind', 'message', 'count']);
      return { ...base, do: raw.do, ...parseFilter(f, names), ...parseMessage(f), count: f.optionalNumber('count', 1, 10_000) };
    }
    default:
      return f.fail('do', `must be one of submit, crash, restart, pause, resume, partition, cut, heal, links, hold, deliver, drop, release, timer${writeOnce ? ', propose' : ''}; got ${JSON.stringify(raw.do)}`);
  }
}

/** Selectors a step's "node" may use besides node ids and aliases. */
const SELECTORS = ['leader', 'follower'];

/** An alias is defined (`as`) before it is used, and never shadows a node id or a selector. */
function checkAliases(steps: readonly ScheduleStep[], names: readonly string[]): void {
  const defined = new Set<string>();
  const known = (field: string, name: string, where: string, selectors: boolean): void => {
    if (names.includes(name) || defined.has(name) || (selectors && SELECTORS.includes(name))) return;
    throw new ScheduleError(
      `${where}: field "${field}" names "${name}", which is no node (${names.join(', ')})${selectors ? ', not "leader" or "follower",' : ''} and no alias defined by an earlier step's "as"`,
    );
  };
  for (const step of steps) {
    const where = `step ${step.index + 1} (${step.do})`;
    if (step.do === 'partition') step.groups.forEach((g, gi) => g.forEach((n) => known(`groups[${gi}]`, n, where, false)));
    if (step.do === 'cut') {
      known('from', step.from, where, false);
      known('to', step.to, where, false);
    }
    if ('node' in step) {
      known('node', step.node, where, true);
      if (step.as !== undefined) {
        if (names.includes(step.as) || SELECTORS.includes(step.as)) throw new ScheduleError(`${where}: field "as" must not be a node id, "leader" or "follower", got "${step.as}"`);
        defined.add(step.as);
      }
    }
  }
}

function parseWindows(f: Fields, field: string, names: readonly string[], runUntilMs: number, withAmong: boolean) {
  return f.array(field, 100).map((raw, i) => {
    if (!isRecord(raw)) f.fail(`${field}[${i}]`, 'must be an object');
    const w: Fields = new Fields(`expect, ${field}[${i}]`, raw);
    w.allow(withAmong ? ['fromMs', 'toMs', 'among'] : ['fromMs', 'toMs']);
    const fromMs = w.number('fromMs', 0, runUntilMs, false);
    const toMs = w.number('toMs', fromMs, runUntilMs, false);
    return { fromMs, toMs, among: withAmong ? parseNodeList(w, 'among', names) : undefined };
  });
}

function parseNodeList(f: Fields, field: string, names: readonly string[]): string[] | undefined {
  if (f.raw[field] === undefined) return undefined;
  const list = f.array(field, SCHEDULE_MAX_NODES);
  list.forEach((x, i) => {
    // Aliases ("L") are allowed too; an unknown name fails when the expectation is checked.
    if (typeof x !== 'string' || x.length === 0) f.fail(`${field}[${i}]`, `must be a node or an alias (nodes: ${names.join(', ')})`);
  });
  return list as string[];
}

function parseExpect(f: Fields, names: readonly string[], machine: StateMachine<unknown, unknown, unknown>, runUntilMs: number, writeOnce = false): ScheduleExpect {
  // A write-once algorithm has no leader, no term and no clients to answer: only decisions and violations.
  f.allow(writeOnce ? ['nothingCommitted', 'committed', 'violations'] : ['leaderAt', 'noLeader', 'nothingCommitted', 'committed', 'stableTerm', 'logsEqual', 'allAnswered', 'violations']);
  const out: { -readonly [K in keyof ScheduleExpect]: ScheduleExpect[K] } = {};
  if (f.raw.leaderAt !== undefined) {
    out.leaderAt = f.array('leaderAt', 100).map((raw, i) => {
      if (!isRecord(raw)) f.fail(`leaderAt[${i}]`, 'must be an object');
      const w: Fields = new Fields(`expect, leaderAt[${i}]`, raw);
      w.allow(['atMs', 'among']);
      return { atMs: w.number('atMs', 0, runUntilMs, false), among: parseNodeList(w, 'among', names) };
    });
  }
  if (f.raw.noLeader !== undefined) out.noLeader = parseWindows(f, 'noLeader', names, runUntilMs, true);
  if (f.raw.nothingCommitted !== undefined) out.nothingCommitted = parseWindows(f, 'nothingCommitted', names, runUntilMs, false);
  if (f.raw.stableTerm !== undefined) out.stableTerm = parseWindows(f, 'stableTerm', names, runUntilMs, false);
  if (f.raw.committed !== undefined) {
    const c: Fields = f.record('committed');
    c.allow(['commands', 'nodes', 'exactly']);
    const commands = c.array('commands', 10_000).map((raw, i) => {
      const checked = machine.checkCommand(raw);
      if (!checked.ok) c.fail(`commands[${i}]`, `is not a ${machine.name} command: ${checked.error}`);
      return checked.value;
    });
    const exactly = c.raw.exactly;
    if (exactly !== undefined && typeof exactly !== 'boolean') c.fail('exactly', 'must be true or false');
    out.committed = { commands, nodes: parseNodeList(c, 'nodes', names), exactly };
  }
  for (const flag of ['logsEqual', 'allAnswered'] as const) {
    const v = f.raw[flag];
    if (v !== undefined && typeof v !== 'boolean') f.fail(flag, 'must be true or false');
    if (v !== undefined) out[flag] = v;
  }
  if (f.raw.violations !== undefined) {
    const known: readonly string[] = writeOnce ? PROPERTIES : LOG_PROPERTIES;
    out.violations = f.array('violations', known.length).map((v, i) => {
      if (typeof v !== 'string' || !known.includes(v)) f.fail(`violations[${i}]`, `must be one of ${known.join(', ')}`);
      return v as ScheduleProperty;
    });
  }
  return out;
}

// ---- running ----------------------------------------------------------------------------------

export interface ExpectationResult {
  readonly expectation: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface NodeOutcome {
  readonly status: 'up' | 'paused' | 'down';
  readonly role: string | null;
  readonly term: number | null;
  readonly commitIndex: number | null;
  /** Committed client commands in log order, no-ops excluded. */
  readonly committed: readonly unknown[];
}

export interface ScheduleResult {
  readonly algorithm: LogAlgorithmName | AlgorithmName;
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly { readonly property: ScheduleProperty; readonly message: string }[];
  readonly linearizable: true | false | 'unknown';
  readonly expectations: readonly ExpectationResult[];
  readonly nodes: Readonly<Record<string, NodeOutcome>>;
  readonly steps: number;
  readonly endedAtMs: number;
  /** The log cluster (log algorithms) or undefined (write-once: see `simulation`). */
  readonly cluster: LogCluster | undefined;
  readonly simulation: ScheduleSim;
  readonly rawViolations: readonly { readonly property: ScheduleProperty; readonly message: string }[];
}

/** The simulator a schedule drives, whichever kind of algorithm it hosts. */
type ScheduleSim = Simulation<unknown, unknown, AlgorithmSpec>;

/** Samples taken between steps, for the windowed expectations. */
interface Sample {
  readonly time: number;
  readonly leaders: readonly NodeId[];
}

const SAMPLE_MS = 10;

export interface RunScheduleOptions {
  /** Linearizability of the client history (default: the checker with its step budget only). */
  readonly linearizable?: (cluster: LogCluster) => true | false | 'unknown';
  /** Trace level of a log run (default 'facts'); 'full' keeps every message, for solo's side-by-side figures. */
  readonly trace?: TraceLevel;
}

export function runSchedule(schedule: Schedule, options: RunScheduleOptions = {}): ScheduleResult {
  return isLogAlgorithmName(schedule.algorithm) ? runLogSchedule(schedule, schedule.algorithm, options) : runWriteOnceSchedule(schedule, schedule.algorithm);
}

function linkOf(schedule: Schedule) {
  return { minDelayMs: schedule.links.delayMs[0], maxDelayMs: schedule.links.delayMs[1], loss: schedule.links.loss, duplicate: schedule.links.duplicate };
}

function timingOf(schedule: Schedule) {
  return { ...(schedule.timing?.electionTimeoutMs === undefined ? {} : { electionTimeoutMs: schedule.timing.electionTimeoutMs }), ...(schedule.timing?.retransmitMs === undefined ? {} : { retransmitMs: schedule.timing.retransmitMs }) };
}

/** Runs the steps in time order (each error names its step), then on to runUntilMs. */
function runSteps(schedule: Schedule, ctx: StepContext, runTo: (t: number) => void, sample: () => void): void {
  sample();
  for (const step of schedule.steps) {
    runTo(step.atMs);
    try {
      applyStep(step, ctx);
    } catch (error) {
      if (error instanceof SimulationError) throw new ScheduleError(`step ${step.index + 1} (${step.do}) at ${step.atMs} ms: ${error.message}`);
      throw error;
    }
    sample();
  }
  runTo(schedule.runUntilMs);
}

/**
 * A write-once algorithm's schedule: the same steps on the simulator, judged by the write-once
 * checker (Agreement, Validity, the Paxos invariants; the log of length one), decisions read as
 * commits of index 1 for the expectations.
 */
function runWriteOnceSchedule(schedule: Schedule, algorithm: AlgorithmName): ScheduleResult {
  const names = nodeNames(schedule.nodes);
  const sim = new Simulation({ algorithm: ALGORITHMS[algorithm], nodes: names, seed: schedule.seed, link: linkOf(schedule), timing: timingOf(schedule) });
  const ctx: StepContext = {
    sim: sim as unknown as ScheduleSim,
    submit: (_client, node, command) => sim.propose(node, (command as { value: string }).value),
    aliases: new Map(),
    holds: [],
    names,
    holdSelf: true,
  };
  runSteps(schedule, ctx, (t) => void sim.runUntil(t), () => undefined);
  // A file that expects Termination to fail (a saved "never decides" counterexample) is judged on
  // liveness: from its last step to runUntilMs, every node up must decide.
  const lastStepMs = schedule.steps.at(-1)?.atMs ?? 0;
  const liveness = schedule.expect.violations?.includes('termination') === true ? { healedAt: lastStepMs, budgetMs: schedule.runUntilMs - lastStepMs, endedAt: sim.now, endStep: sim.steps } : undefined;
  const violations = checkRun({ seed: schedule.seed, members: names, trace: sim.trace, liveness, reproduce: 'npm run sim -- --schedule <this file>' });
  const nodes: Record<string, NodeOutcome> = {};
  for (const node of names) {
    const value = sim.status(node) === 'down' ? undefined : sim.decidedValue(node);
    nodes[node] = { status: sim.status(node), role: null, term: null, commitIndex: value === undefined ? 0 : 1, committed: value === undefined ? [] : [{ value }] };
  }
  const rawViolations = violations.map((v) => ({ property: v.property as ScheduleProperty, message: v.message }));
  const resolveName = (n: string): string => ctx.aliases.get(n) ?? n;
  const expectations = checkExpectations(schedule, { sim: ctx.sim, cluster: undefined, samples: [], nodes, violations: rawViolations, resolveName });
  return {
    algorithm,
    seed: schedule.seed,
    ok: expectations.every((e) => e.ok),
    violations: rawViolations,
    // One value, decided or not: linearizability is about client histories of a log.
    linearizable: true,
    expectations,
    nodes,
    steps: sim.steps,
    endedAtMs: sim.now,
    cluster: undefined,
    simulation: ctx.sim,
    rawViolations,
  };
}

function runLogSchedule(schedule: Schedule, algorithm: LogAlgorithmName, options: RunScheduleOptions): ScheduleResult {
  const names = nodeNames(schedule.nodes);
  const machine = stateMachineNamed(schedule.stateMachine) as StateMachine<unknown, unknown, unknown>;
  const initialStorage: Record<string, { hard: unknown; entries: unknown[] }> = {};
  for (const [node, init] of Object.entries(schedule.initial ?? {})) {
    initialStorage[node] = { hard: { term: init.term, votedFor: init.votedFor }, entries: init.log.map((e) => ({ term: e.term, command: e.command })) };
  }
  const cluster = new LogCluster({
    algorithm: LOG_ALGORITHMS[algorithm],
    stateMachine: machine,
    members: names,
    seed: schedule.seed,
    link: linkOf(schedule),
    timing: timingOf(schedule),
    initialStorage,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const sim = cluster.sim;
  const aliases = new Map<string, NodeId>();
  const ctx: StepContext = { sim: sim as unknown as ScheduleSim, submit: (client, node, command) => cluster.submit(client, node, command), aliases, holds: [], names, holdSelf: false };
  const samples: Sample[] = [];
  const sample = (): void => {
    samples.push({ time: sim.now, leaders: sim.liveNodes().filter((n) => sim.logView(n)?.role === 'leader') });
  };
  // Sampling (for leaderAt / noLeader) costs a view of every node per slice: only when asked.
  const sampling = schedule.expect.leaderAt !== undefined || schedule.expect.noLeader !== undefined;
  const runTo = (t: number): void => {
    if (!sampling) {
      cluster.runUntil(t);
      return;
    }
    while (sim.now < t) {
      cluster.runUntil(Math.min(t, sim.now + SAMPLE_MS));
      sample();
    }
  };
  runSteps(schedule, ctx, runTo, sample);
  const record = cluster.record(`npm run sim -- --schedule <this file>`, schedule.expect.allAnswered === true);
  const rawViolations = checkLogRun({ ...record, unanswered: undefined });
  const nodes: Record<string, NodeOutcome> = {};
  for (const node of names) {
    const view = sim.logView(node);
    const committed = committedCommands(sim.trace, node, sim);
    nodes[node] = {
      status: sim.status(node),
      role: view?.role ?? null,
      term: view === undefined ? null : view.epoch.kind === 'term' ? view.epoch.term : view.epoch.ballot.round,
      commitIndex: view?.commitIndex ?? null,
      committed,
    };
  }
  const resolveName = (n: string): string => aliases.get(n) ?? n;
  const expectations = checkExpectations(schedule, { sim: ctx.sim, cluster, samples, nodes, violations: rawViolations, resolveName });
  const linearizable = options.linearizable === undefined ? cluster.linearizable() : options.linearizable(cluster);
  return {
    algorithm: schedule.algorithm,
    seed: schedule.seed,
    ok: expectations.every((e) => e.ok) && linearizable !== false,
    violations: rawViolations.map((v) => ({ property: v.property, message: v.message })),
    linearizable,
    expectations,
    nodes,
    steps: sim.steps,
    endedAtMs: sim.now,
    cluster,
    simulation: ctx.sim,
    rawViolations,
  };
}

/**
 * The client commands a node's current incarnation committed, in log order. When its state
 * machine came from a snapshot (installed, or stored before a restart), the snapshot's entries
 * 1 … k come first, as the cluster committed them (the checkers hold the snapshot to that).
 */
function committedCommands(trace: LogCluster['sim']['trace'], node: NodeId, sim: LogCluster['sim']): unknown[] {
  if (sim.status(node) === 'down') return [];
  let incarnation = 0;
  for (const e of trace) if ((e.kind === 'start' || e.kind === 'restart') && e.node === node) incarnation = e.incarnation;
  const byIndex = new Map<number, LogCommand>();
  let out: { index: number; command: LogCommand }[] = [];
  for (const e of trace) {
    if (e.kind === 'snapshot' && e.node === node && e.incarnation === incarnation) {
      const base = e.index;
      out = [];
      for (let index = 1; index <= base; index++) {
        const command = byIndex.get(index);
        if (command !== undefined) out.push({ index, command });
      }
    }
    if (e.kind !== 'commit') continue;
    for (const entry of e.entries) {
      if (!byIndex.has(entry.index)) byIndex.set(entry.index, entry.command);
      if (e.node === node && e.incarnation === incarnation) out.push({ index: entry.index, command: entry.command });
    }
  }
  return out.flatMap(({ command }) => (command.kind === 'command' ? [command.command] : []));
}

interface StepContext {
  readonly sim: ScheduleSim;
  /** A client command at a node: a log submit, or a write-once tryInitialize. */
  readonly submit: (client: string, node: NodeId, command: unknown) => void;
  readonly aliases: Map<string, NodeId>;
  readonly holds: MessageFilter[];
  readonly names: readonly string[];
  /** Whether a hold also holds a node's messages to itself (write-once schedules, as the explorer does). */
  readonly holdSelf: boolean;
}

/** "leader" is the node believing itself leader with the highest term or ballot; none or a tie is an error. */
function resolve(name: string, ctx: StepContext): NodeId {
  if (ctx.names.includes(name)) return name;
  const alias = ctx.aliases.get(name);
  if (alias !== undefined) return alias;
  const sim = ctx.sim;
  if (name === 'follower') {
    const follower = sim.liveNodes().find((n) => sim.status(n) === 'up' && sim.logView(n)?.role === 'follower');
    if (follower === undefined) throw new SimulationError('"follower": no node that is up believes itself a follower now');
    return follower;
  }
  if (name !== 'leader') throw new SimulationError(`unknown node "${name}"`);
  const leaders = sim.liveNodes().flatMap((n) => {
    const view = sim.logView(n);
    return view?.role === 'leader' ? [{ n, epoch: view.epoch }] : [];
  });
  if (leaders.length === 0) throw new SimulationError('"leader": no node believes itself leader now');
  leaders.sort((a, b) => compareEpochs(b.epoch, a.epoch));
  const [first, second] = leaders;
  if (second !== undefined && compareEpochs(first!.epoch, second.epoch) === 0) throw new SimulationError(`"leader": ${first!.n} and ${second.n} both lead in the highest epoch`);
  return first!.n;
}

function matches(filter: MessageFilter, from: string, to: string, message: unknown): boolean {
  const kind = isRecord(message) && typeof message.type === 'string' ? message.type : undefined;
  return (
    (filter.from === undefined || filter.from === from) &&
    (filter.to === undefined || filter.to === to) &&
    (filter.kind === undefined || filter.kind === kind) &&
    (filter.message === undefined || filter.message === canonicalJson(message))
  );
}

function applyStep(step: ScheduleStep, ctx: StepContext): void {
  const { sim, aliases, holds } = ctx;
  switch (step.do) {
    case 'submit': {
      const node = resolve(step.node, ctx);
      if (sim.status(node) === 'down') throw new SimulationError(`cannot submit at ${node}: it is down`);
      if (step.as !== undefined) aliases.set(step.as, node);
      ctx.submit(step.client, node, step.command);
      return;
    }
    case 'timer': {
      const node = resolve(step.node, ctx);
      sim.fireTimer(node, timerMatch(step.timer, sim.timing.retransmitMs));
      return;
    }
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume': {
      const node = resolve(step.node, ctx);
      if (step.as !== undefined) aliases.set(step.as, node);
      if (step.do === 'crash') sim.crash(node);
      else if (step.do === 'restart') sim.restart(node);
      else if (step.do === 'pause') sim.pause(node);
      else sim.resume(node);
      return;
    }
    case 'partition':
      sim.partition(step.groups.map((g) => g.map((n) => resolve(n, ctx))));
      return;
    case 'cut':
      sim.cut(resolve(step.from, ctx), resolve(step.to, ctx));
      return;
    case 'heal':
      sim.heal();
      return;
    case 'links':
      sim.setLink('*', '*', {
        ...(step.delayMs === undefined ? {} : { minDelayMs: step.delayMs[0], maxDelayMs: step.delayMs[1] }),
        ...(step.loss === undefined ? {} : { loss: step.loss }),
        ...(step.duplicate === undefined ? {} : { duplicate: step.duplicate }),
      });
      return;
    case 'hold':
      holds.push({ from: step.from, to: step.to, kind: step.kind });
      // Write-once schedules hold messages to self too: the explorer's counterexamples deliver them as steps.
      sim.setManual((from, to, message) => holds.some((h) => matches(h, from, to, message)), { includeSelf: ctx.holdSelf });
      return;
    case 'release':
      holds.length = 0;
      sim.setManual(false);
      return;
    case 'deliver':
    case 'drop': {
      const picked = sim.held().filter((m) => matches(step, m.from, m.to, m.message));
      if (picked.length === 0) throw new SimulationError(`no held message matches ${JSON.stringify({ from: step.from, to: step.to, kind: step.kind, ...(step.message === undefined ? {} : { message: JSON.parse(step.message) as unknown }) })}`);
      for (const m of picked.slice(0, step.count ?? picked.length)) {
        if (step.do === 'deliver') sim.deliver(m.id);
        else sim.drop(m.id);
      }
      return;
    }
    default:
      assertNever(step, 'schedule step');
  }
}

/**
 * Which of a node's pending timers an explorer timer name means. The explorer names XState's
 * delayed events (`xstate.after.<delay>.<state>`); the simulator's clock sees only delays, so a
 * retransmission timer is the one set for `retransmitMs` and any other delay (impatience, a
 * phase timeout, a backoff) is a timer set for something else. Without a name: the earliest.
 */
function timerMatch(name: string | undefined, retransmitMs: number): ((timer: { readonly delayMs: number; readonly label: string | undefined }) => boolean) | undefined {
  if (name === undefined) return undefined;
  const retransmit = name.startsWith('xstate.after.retransmit.');
  // By its label when the machine gave one (the explorer's names); otherwise by its delay: the
  // retransmit timer is the one set for the retransmit delay, any other name is "not that one".
  return ({ delayMs, label }) => (label !== undefined ? label === name || label.startsWith(`${name}.`) : (delayMs === retransmitMs) === retransmit);
}

interface Outcome {
  readonly sim: ScheduleSim;
  readonly cluster: LogCluster | undefined;
  readonly samples: readonly Sample[];
  readonly nodes: Readonly<Record<string, NodeOutcome>>;
  readonly violations: readonly { readonly property: ScheduleProperty }[];
  readonly resolveName: (name: string) => string;
}

function checkExpectations(schedule: Schedule, outcome: Outcome): ExpectationResult[] {
  const { expect } = schedule;
  const results: ExpectationResult[] = [];
  const push = (expectation: string, ok: boolean, detail: string): void => {
    results.push({ expectation, ok, detail });
  };
  const sim = outcome.sim;
  const names = (list: readonly string[] | undefined): readonly string[] | undefined => list?.map(outcome.resolveName);
  for (const { atMs, among: rawAmong } of expect.leaderAt ?? []) {
    const among = names(rawAmong);
    const at = [...outcome.samples].reverse().find((s) => s.time <= atMs);
    const leaders = (at?.leaders ?? []).filter((n) => among === undefined || among.includes(n));
    push(`leaderAt ${atMs} ms${among === undefined ? '' : ` among ${among.join(', ')}`}`, leaders.length > 0, leaders.length > 0 ? `leader: ${leaders.join(', ')}` : 'no leader then');
  }
  for (const { fromMs, toMs, among: rawAmong } of expect.noLeader ?? []) {
    const among = names(rawAmong);
    const seen = outcome.samples.filter((s) => s.time >= fromMs && s.time <= toMs).flatMap((s) => s.leaders.filter((n) => among === undefined || among.includes(n)).map((n) => `${n}@${Math.round(s.time)}`));
    push(`noLeader ${fromMs}–${toMs} ms${among === undefined ? '' : ` among ${among.join(', ')}`}`, seen.length === 0, seen.length === 0 ? 'none' : `leader seen: ${seen.slice(0, 5).join(', ')}`);
  }
  for (const { fromMs, toMs } of expect.nothingCommitted ?? []) {
    // A write-once decision is the commit of index 1.
    const commits = sim.trace.filter((e) => (e.kind === 'commit' ? e.entries.some((x) => x.command.kind === 'command') : e.kind === 'decide') && e.time >= fromMs && e.time <= toMs);
    push(`nothingCommitted ${fromMs}–${toMs} ms`, commits.length === 0, commits.length === 0 ? 'nothing committed' : `${commits.length} commit(s), first at ${Math.round(commits[0]!.time)} ms by ${(commits[0] as { node: string }).node}`);
  }
  for (const { fromMs, toMs } of expect.stableTerm ?? []) {
    const changes = sim.trace.filter((e) => e.kind === 'role' && e.time >= fromMs && e.time <= toMs && e.role !== 'follower');
    push(`stableTerm ${fromMs}–${toMs} ms`, changes.length === 0, changes.length === 0 ? 'no election' : `${changes.length} role change(s)`);
  }
  if (expect.committed !== undefined) {
    const want = expect.committed.commands.map((c) => JSON.stringify(c));
    const targets = names(expect.committed.nodes) ?? Object.keys(outcome.nodes).filter((n) => outcome.nodes[n]!.status !== 'down');
    for (const node of targets) {
      const got = (outcome.nodes[node]?.committed ?? []).map((c) => JSON.stringify(c));
      const ok = expect.committed.exactly === true ? got.length === want.length && got.every((g, i) => g === want[i]) : isSubsequence(want, got);
      push(`committed at ${node}`, ok, ok ? `${got.length} command(s) committed` : `committed ${got.length === 0 ? 'nothing' : got.join(' ')}; expected ${expect.committed.exactly === true ? 'exactly' : 'in order'} ${want.join(' ')}`);
    }
  }
  if (expect.logsEqual === true) {
    const live = sim.liveNodes();
    // Multi-Paxos acceptors may hold one chosen command under different ballots (one accepted it
    // from the leader that chose it, another from a later leader re-proposing it): compare commands.
    const byBallot = isLogAlgorithmName(schedule.algorithm) && LOG_ALGORITHMS[schedule.algorithm].epochKind === 'ballot';
    const logs = live.map((n) => JSON.stringify(byBallot ? sim.logEntries(n)?.map((e) => [e.index, e.command]) : sim.logEntries(n)));
    const ok = logs.every((l) => l === logs[0]);
    push('logsEqual', ok, ok ? `${live.length} identical logs of ${sim.logEntries(live[0] ?? 'n1')?.length ?? 0}` : `logs differ: ${live.map((n) => `${n}:${sim.logEntries(n)?.length}`).join(' ')}`);
  }
  if (expect.allAnswered === true) {
    const left = outcome.cluster?.unanswered() ?? [];
    push('allAnswered', left.length === 0, left.length === 0 ? 'every command answered' : `no answer for ${left.join(', ')}`);
  }
  const wanted = new Set(expect.violations ?? []);
  const got = new Set(outcome.violations.map((v) => v.property));
  const ok = [...wanted].every((p) => got.has(p)) && [...got].every((p) => wanted.has(p) || p === 'definite-answer');
  push(`violations ${wanted.size === 0 ? 'none' : [...wanted].join(', ')}`, ok, got.size === 0 ? 'none reported' : [...got].join(', '));
  return results;
}

function isSubsequence(want: readonly string[], got: readonly string[]): boolean {
  let i = 0;
  for (const g of got) if (i < want.length && g === want[i]) i++;
  return i === want.length;
}
