/**
 * Paxos beside Raft on one run (issue 7 item 10): one schedule (a file from tests/scenarios, or
 * the steps of the user's own solo run) runs against Multi-Paxos and against Raft through the
 * schedule runner the CLI and the tests use (src/sim/schedule.ts over log-cluster.ts), and the
 * figures below are computed from each run's full trace, never estimated:
 *
 * - messages per command: messages nodes sent while some command was in flight (from its first
 *   submit until the first node committed it) over the commands committed;
 * - latency in message delays: each command's time from submit to its first commit, divided by
 *   the run's mean one-way delay as measured on its own deliveries;
 * - at the first crash of a leader: how long no node believed itself leader, how many nodes
 *   campaigned (Raft candidates, Multi-Paxos phase-1 proposers) and what that cost in messages,
 *   the epoch before and after, and what the new leader carried over from before the crash
 *   (commands not yet committed then that it completed, no-ops it committed).
 *
 * Pure: no Svelte, no clock. The page only renders `Comparison`.
 */
import { commandKey } from '../core/log.ts';
import type { CommittedEntry, Epoch, LogCommand, NodeId } from '../core/types.ts';
import { epochLabel } from '../core/log.ts';
import type { LogAlgorithmName } from '../machines/names.ts';
import { parseSchedule, runSchedule, ScheduleError, type Schedule, type ScheduleResult } from '../sim/schedule.ts';
import type { TraceEntry } from '../sim/trace.ts';

/** The two columns, safe algorithms only: the comparison is about cost, not about bugs. */
export const COMPARED: readonly LogAlgorithmName[] = ['multipaxos', 'raft'];

export interface LeaderCrashFigures {
  readonly node: NodeId;
  readonly atMs: number;
  readonly epochBefore: string;
  /** Undefined when no new leader came by the end of the run. */
  readonly newLeader: NodeId | undefined;
  readonly epochAfter: string | undefined;
  /** Crash → the first node that believes itself leader (ms), or until the end of the run. */
  readonly leaderlessMs: number;
  readonly newLeaderFound: boolean;
  /** Nodes that became candidate (Raft) or ran phase 1 (Multi-Paxos) in that gap. */
  readonly campaigns: number;
  readonly messagesWhileLeaderless: number;
  /** Commands the new leader held in its log, uncommitted at the crash, and committed. */
  readonly carriedCommands: number;
  /** No-ops the new leader committed past what was committed at the crash (Raft's own-term entry, Paxos gap fills). */
  readonly noops: number;
}

export interface RunFigures {
  readonly algorithm: LogAlgorithmName;
  readonly submitted: number;
  readonly committed: number;
  /** Every submitted command committed somewhere and answered by the end. */
  readonly everyCommandCommitted: boolean;
  readonly messages: number;
  readonly messagesPerCommand: number | undefined;
  readonly meanDelayMs: number | undefined;
  /** Median submit → first commit, in measured one-way delays. */
  readonly latencyDelays: number | undefined;
  readonly latencyMs: number | undefined;
  readonly leaderChanges: number;
  readonly leaderCrash: LeaderCrashFigures | undefined;
  readonly violations: readonly string[];
  readonly expectationsMet: number;
  readonly expectations: number;
  readonly linearizable: true | false | 'unknown';
}

export type ColumnResult = { readonly ok: true; readonly figures: RunFigures } | { readonly ok: false; readonly algorithm: LogAlgorithmName; readonly error: string };

export interface Comparison {
  readonly description: string | undefined;
  readonly columns: readonly ColumnResult[];
}

/** Runs `raw` (a schedule file's JSON, its algorithm field overridden) against each compared algorithm. */
export function compareSchedule(raw: unknown): Comparison {
  const description = isObject(raw) && typeof raw.description === 'string' ? raw.description : undefined;
  const columns = COMPARED.map((algorithm): ColumnResult => {
    let schedule: Schedule;
    try {
      schedule = parseSchedule(isObject(raw) ? { ...raw, algorithm } : raw);
    } catch (error) {
      if (error instanceof ScheduleError) return { ok: false, algorithm, error: error.message };
      throw error;
    }
    try {
      return { ok: true, figures: figuresOf(algorithm, runSchedule(schedule, { trace: 'full' })) };
    } catch (error) {
      if (error instanceof ScheduleError) return { ok: false, algorithm, error: error.message };
      throw error;
    }
  });
  return { description, columns };
}

function isObject(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

export function figuresOf(algorithm: LogAlgorithmName, result: ScheduleResult): RunFigures {
  const trace = result.simulation.trace;
  const cluster = result.cluster;
  const submits = firstSubmits(trace);
  const commits = firstCommits(trace);
  const committedKeys = [...submits.keys()].filter((k) => commits.has(k));
  const windows = committedKeys.map((k) => [submits.get(k) as number, commits.get(k) as number] as const);
  const sends = trace.filter((e): e is Extract<TraceEntry, { kind: 'send' }> => e.kind === 'send' && e.from !== e.to);
  const inFlight = sends.filter((s) => windows.some(([from, to]) => s.time >= from && s.time <= to)).length;
  const meanDelayMs = meanOneWayDelay(trace);
  const latencies = windows.map(([from, to]) => to - from).sort((a, b) => a - b);
  const latencyMs = latencies.length === 0 ? undefined : (latencies[Math.floor((latencies.length - 1) / 2)] as number);
  const answered = cluster === undefined ? false : cluster.allAnswered();
  return {
    algorithm,
    submitted: submits.size,
    committed: committedKeys.length,
    everyCommandCommitted: submits.size > 0 && committedKeys.length === submits.size && answered,
    messages: sends.length,
    messagesPerCommand: committedKeys.length === 0 ? undefined : inFlight / committedKeys.length,
    meanDelayMs,
    latencyMs,
    latencyDelays: latencyMs === undefined || meanDelayMs === undefined || meanDelayMs === 0 ? undefined : latencyMs / meanDelayMs,
    leaderChanges: leaderChanges(trace),
    leaderCrash: leaderCrashOf(trace, result.endedAtMs),
    violations: result.violations.map((v) => `${v.property}: ${v.message}`),
    expectationsMet: result.expectations.filter((e) => e.ok).length,
    expectations: result.expectations.length,
    linearizable: result.linearizable,
  };
}

/** key → time of the command's first submit (resubmits after a leader change keep the first). */
function firstSubmits(trace: readonly TraceEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of trace) {
    if (e.kind !== 'submit') continue;
    const key = `${e.client}#${e.seq}`;
    if (!out.has(key)) out.set(key, e.time);
  }
  return out;
}

/** key → time the first node committed it. */
function firstCommits(trace: readonly TraceEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of trace) {
    if (e.kind !== 'commit') continue;
    for (const entry of e.entries) {
      if (entry.command.kind !== 'command') continue;
      const key = commandKey(entry.command);
      if (!out.has(key)) out.set(key, e.time);
    }
  }
  return out;
}

/** Mean of deliver time − send time over the run's delivered messages between distinct nodes. */
function meanOneWayDelay(trace: readonly TraceEntry[]): number | undefined {
  const sentAt = new Map<number, number>();
  let total = 0;
  let count = 0;
  for (const e of trace) {
    if (e.kind === 'send' && e.from !== e.to) sentAt.set(e.id, e.time);
    else if (e.kind === 'deliver') {
      const at = sentAt.get(e.id);
      if (at === undefined) continue;
      total += e.time - at;
      count++;
    }
  }
  return count === 0 ? undefined : total / count;
}

/** How many times a node became leader in an epoch nobody led before. */
function leaderChanges(trace: readonly TraceEntry[]): number {
  const seen = new Set<string>();
  for (const e of trace) if (e.kind === 'role' && e.role === 'leader') seen.add(epochLabel(e.epoch));
  return seen.size;
}

/** The first crash of a node that believed itself leader, and what followed it. */
function leaderCrashOf(trace: readonly TraceEntry[], endMs: number): LeaderCrashFigures | undefined {
  const roles = new Map<NodeId, { role: string; epoch: Epoch }>();
  let crashAt = -1;
  let crashed: { node: NodeId; time: number; epoch: Epoch } | undefined;
  for (let i = 0; i < trace.length; i++) {
    const e = trace[i] as TraceEntry;
    if (e.kind === 'role') roles.set(e.node, { role: e.role, epoch: e.epoch });
    else if (e.kind === 'crash') {
      const was = roles.get(e.node);
      roles.delete(e.node);
      if (was?.role === 'leader') {
        crashed = { node: e.node, time: e.time, epoch: was.epoch };
        crashAt = i;
        break;
      }
    }
  }
  if (crashed === undefined) return undefined;
  const committedAtCrash = highestCommitted(trace.slice(0, crashAt));
  let newLeader: Extract<TraceEntry, { kind: 'role' }> | undefined;
  let campaigns = 0;
  let messages = 0;
  let end = trace.length;
  for (let i = crashAt + 1; i < trace.length; i++) {
    const e = trace[i] as TraceEntry;
    if (e.kind === 'role' && e.role === 'candidate') campaigns++;
    if (e.kind === 'send' && e.from !== e.to) messages++;
    if (e.kind === 'role' && e.role === 'leader') {
      newLeader = e;
      end = i;
      break;
    }
  }
  const carried = newLeader === undefined ? { commands: 0, noops: 0 } : carriedOver(trace.slice(end), newLeader.node, newLeader.log ?? [], committedAtCrash);
  return {
    node: crashed.node,
    atMs: crashed.time,
    epochBefore: epochLabel(crashed.epoch),
    newLeader: newLeader?.node,
    epochAfter: newLeader === undefined ? undefined : epochLabel(newLeader.epoch),
    leaderlessMs: (newLeader?.time ?? endMs) - crashed.time,
    newLeaderFound: newLeader !== undefined,
    campaigns,
    messagesWhileLeaderless: messages,
    carriedCommands: carried.commands,
    noops: carried.noops,
  };
}

function highestCommitted(trace: readonly TraceEntry[]): number {
  let highest = 0;
  for (const e of trace) if (e.kind === 'commit') for (const entry of e.entries) highest = Math.max(highest, entry.index);
  return highest;
}

/**
 * What the new leader committed past the crash's commit point: commands that were already in its
 * log when it took over (carried, re-proposed in Paxos's words), and no-ops.
 */
function carriedOver(after: readonly TraceEntry[], leader: NodeId, logAtElection: readonly { index: number; command: LogCommand }[], committedAtCrash: number): { commands: number; noops: number } {
  const held = new Set(logAtElection.filter((e) => e.index > committedAtCrash && e.command.kind === 'command').map((e) => commandKey(e.command as Extract<LogCommand, { kind: 'command' }>)));
  let commands = 0;
  let noops = 0;
  const counted = new Set<number>();
  for (const e of after) {
    if (e.kind !== 'commit' || e.node !== leader) continue;
    for (const entry of e.entries as readonly CommittedEntry[]) {
      if (entry.index <= committedAtCrash || counted.has(entry.index)) continue;
      counted.add(entry.index);
      if (entry.command.kind === 'noop') noops++;
      else if (held.has(commandKey(entry.command))) commands++;
    }
  }
  return { commands, noops };
}
