/**
 * The log checkers: read a run's trace (role changes, commits, submits), the replicas'
 * application records and periodic log audits, and report every way the run broke a
 * replicated log.
 *
 * - election-safety: at most one leader per term (Raft) or ballot (Multi-Paxos).
 * - log-matching (terms only): two logs holding an entry with the same index and term hold the
 *   same entry there and identical entries before it.
 * - leader-completeness: a node that becomes leader of epoch E holds every entry committed
 *   before that moment by a node whose epoch was below E.
 * - state-machine-safety: no two nodes (or incarnations) commit different commands at one
 *   index, and each incarnation's commits are contiguous from 1 (never retracted or skipped).
 * - exactly-once: each replica applies a (client, seq) at most once, at its first committed
 *   occurrence, and answers duplicates with the first answer.
 * - definite-answer (liveness, only when the run asks): every submitted command has an answer
 *   by the end of the run.
 *
 * A write-once algorithm is a log of length one: its `decide` trace entries are read as commits
 * of index 1 (`commitsOf`), so state-machine safety over them is Agreement.
 */
import { assertNever } from '../core/assert.ts';
import { commandKey, compareEpochs, epochLabel, sameCommand } from '../core/log.ts';
import type { Epoch, LogCommand, LogEntryFact, NodeId } from '../core/types.ts';
import { formatTime, type TraceEntry } from './trace.ts';

export const LOG_PROPERTIES = [
  'election-safety',
  'log-matching',
  'leader-completeness',
  'state-machine-safety',
  'exactly-once',
  'definite-answer',
] as const;
export type LogProperty = (typeof LOG_PROPERTIES)[number];

export interface LogViolation {
  readonly property: LogProperty;
  readonly step: number;
  readonly time: number;
  readonly nodes: readonly NodeId[];
  readonly message: string;
}

/** One committed command as a replica's host applied it. */
export interface ApplyRecord {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  readonly time: number;
  readonly step: number;
  /** (client, seq) */
  readonly key: string;
  /** 'applied': the state machine ran it; 'duplicate': the session answered from memory; 'skipped': stale or unknown. */
  readonly outcome: 'applied' | 'duplicate' | 'skipped';
  /** JSON of the answer, when there is one. */
  readonly result: string | undefined;
}

/** Every node's whole log at one moment (the log-matching audit). */
export interface LogAudit {
  readonly step: number;
  readonly time: number;
  readonly logs: Readonly<Record<NodeId, readonly LogEntryFact[]>>;
}

export interface LogRunRecord {
  readonly seed: number;
  readonly epochKind: 'term' | 'ballot';
  readonly trace: readonly TraceEntry[];
  readonly applies: readonly ApplyRecord[];
  readonly audits: readonly LogAudit[];
  /** Commands (client#seq) still without an answer at the end, when the run checks for answers. */
  readonly unanswered?: readonly string[] | undefined;
  readonly end?: { readonly step: number; readonly time: number } | undefined;
  /** Appended to every message: the command that replays the run. */
  readonly reproduce: string;
}

interface CommitFact {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  readonly command: LogCommand;
  readonly step: number;
  readonly time: number;
}

/** Commits in trace order; a write-once decision is a commit of index 1. */
export function commitsOf(trace: readonly TraceEntry[]): CommitFact[] {
  const out: CommitFact[] = [];
  for (const entry of trace) {
    if (entry.kind === 'commit') {
      for (const e of entry.entries) {
        out.push({ node: entry.node, incarnation: entry.incarnation, index: e.index, command: e.command, step: entry.step, time: entry.time });
      }
    } else if (entry.kind === 'decide') {
      const command: LogCommand = { kind: 'command', client: 'write-once', seq: 1, command: { value: entry.value } };
      out.push({ node: entry.node, incarnation: entry.incarnation, index: 1, command, step: entry.step, time: entry.time });
    }
  }
  return out;
}

function describe(command: LogCommand): string {
  return command.kind === 'noop' ? 'a no-op' : `${commandKey(command)} ${JSON.stringify(command.command)}`;
}

function epochKey(epoch: Epoch): string {
  return epoch.kind === 'term' ? `t${epoch.term}` : `b${epoch.ballot.round}.${epoch.ballot.node}`;
}

export function checkLogRun(run: LogRunRecord): LogViolation[] {
  const violations: LogViolation[] = [];
  const reported = new Set<string>();
  const report = (property: LogProperty, at: { step: number; time: number }, nodes: readonly NodeId[], what: string, dedupe: string): void => {
    const key = `${property}|${dedupe}`;
    if (reported.has(key)) return;
    reported.add(key);
    violations.push({
      property,
      step: at.step,
      time: at.time,
      nodes,
      message: `${LOG_PROPERTY_TITLES[property]} violated (seed ${run.seed}, step ${at.step}, t=${formatTime(at.time)}, nodes ${nodes.join(', ')}): ${what}. Reproduce: ${run.reproduce}`,
    });
  };
  checkElectionsAndCommits(run, report);
  checkLogMatching(run, report);
  checkExactlyOnce(run, report);
  if (run.unanswered !== undefined && run.unanswered.length > 0) {
    const at = run.end ?? { step: 0, time: 0 };
    report('definite-answer', at, [], `${run.unanswered.length} submitted command(s) never got an answer after the network healed: ${run.unanswered.slice(0, 5).join(', ')}`, 'end');
  }
  return violations;
}

type Report = (property: LogProperty, at: { step: number; time: number }, nodes: readonly NodeId[], what: string, dedupe: string) => void;

/** Election safety, leader completeness and state-machine safety: one pass over the trace. */
function checkElectionsAndCommits(run: LogRunRecord, report: Report): void {
  const leaderOf = new Map<string, NodeId>();
  const epochOf = new Map<NodeId, Epoch>();
  /** index → first commit seen there, with the committing node's epoch. */
  const committed = new Map<number, CommitFact & { readonly epoch: Epoch | undefined }>();
  /** node|incarnation → last index committed. */
  const lastCommitted = new Map<string, number>();
  for (const entry of run.trace) {
    switch (entry.kind) {
      case 'role': {
        epochOf.set(entry.node, entry.epoch);
        if (entry.role !== 'leader') break;
        const key = epochKey(entry.epoch);
        const other = leaderOf.get(key);
        if (other !== undefined && other !== entry.node) {
          report('election-safety', entry, [other, entry.node], `${other} and ${entry.node} are both leader in ${epochLabel(entry.epoch)}`, key);
        } else {
          leaderOf.set(key, entry.node);
        }
        if (entry.log !== undefined) checkCompleteness(entry, entry.log, committed, report);
        break;
      }
      case 'commit':
      case 'decide':
        for (const fact of commitsOf([entry])) {
          const streamKey = `${fact.node}|${fact.incarnation}`;
          const last = lastCommitted.get(streamKey) ?? 0;
          if (fact.index !== last + 1) {
            report(
              'state-machine-safety',
              fact,
              [fact.node],
              fact.index <= last
                ? `${fact.node} committed index ${fact.index} again after committing up to ${last} (a commit was retracted)`
                : `${fact.node} committed index ${fact.index} after ${last}, skipping entries`,
              `gap|${streamKey}|${fact.index}`,
            );
          }
          lastCommitted.set(streamKey, Math.max(last, fact.index));
          const first = committed.get(fact.index);
          if (first === undefined) {
            committed.set(fact.index, { ...fact, epoch: epochOf.get(fact.node) });
          } else if (!sameCommand(first.command, fact.command)) {
            report(
              'state-machine-safety',
              fact,
              first.node === fact.node ? [fact.node] : [first.node, fact.node],
              `at index ${fact.index} ${first.node} committed ${describe(first.command)} (step ${first.step}) but ${fact.node} committed ${describe(fact.command)}`,
              `index|${fact.index}`,
            );
          }
        }
        break;
      case 'start':
      case 'restart':
      case 'crash':
      case 'propose':
      case 'send':
      case 'duplicate':
      case 'lose':
      case 'hold':
      case 'deliver':
      case 'discard':
      case 'timer':
      case 'persist':
      case 'probe':
      case 'pause':
      case 'resume':
      case 'partition':
      case 'cut':
      case 'heal':
      case 'link':
      case 'note':
      case 'submit':
      case 'refuse':
        break;
      default:
        assertNever(entry, 'trace entry');
    }
  }
}

function checkCompleteness(
  entry: { readonly node: NodeId; readonly epoch: Epoch; readonly step: number; readonly time: number },
  log: readonly LogEntryFact[],
  committed: ReadonlyMap<number, CommitFact & { readonly epoch: Epoch | undefined }>,
  report: Report,
): void {
  const byIndex = new Map(log.map((e) => [e.index, e]));
  for (const [index, fact] of committed) {
    if (fact.epoch === undefined || fact.epoch.kind !== entry.epoch.kind || compareEpochs(fact.epoch, entry.epoch) >= 0) continue;
    const held = byIndex.get(index);
    if (held === undefined || !sameCommand(held.command, fact.command)) {
      report(
        'leader-completeness',
        entry,
        [entry.node, fact.node],
        `${entry.node} became leader in ${epochLabel(entry.epoch)} ${held === undefined ? 'without' : `holding ${describe(held.command)} instead of`} ${describe(fact.command)} at index ${index}, which ${fact.node} committed in ${epochLabel(fact.epoch)} (step ${fact.step})`,
        `${epochKey(entry.epoch)}|${index}`,
      );
    }
  }
}

/** Log matching over every audit: the same (index, term) means the same entry and the same prefix. */
function checkLogMatching(run: LogRunRecord, report: Report): void {
  if (run.epochKind !== 'term') return;
  for (const audit of run.audits) {
    const nodes = Object.keys(audit.logs).sort();
    for (let a = 0; a < nodes.length; a++) {
      for (let b = a + 1; b < nodes.length; b++) {
        const x = audit.logs[nodes[a] as NodeId] as readonly LogEntryFact[];
        const y = audit.logs[nodes[b] as NodeId] as readonly LogEntryFact[];
        const problem = matchProblem(x, y);
        if (problem !== undefined) {
          report('log-matching', audit, [nodes[a] as NodeId, nodes[b] as NodeId], `${nodes[a]} and ${nodes[b]}: ${problem}`, `${nodes[a]}|${nodes[b]}`);
        }
      }
    }
  }
}

/** Where two dense term logs break log matching, or undefined. */
export function matchProblem(x: readonly LogEntryFact[], y: readonly LogEntryFact[]): string | undefined {
  const termOf = (e: LogEntryFact | undefined): number | undefined => (e !== undefined && e.epoch.kind === 'term' ? e.epoch.term : undefined);
  // The highest index where both hold an entry of the same term: everything up to it must be equal.
  for (let i = Math.min(x.length, y.length); i >= 1; i--) {
    const ex = x[i - 1];
    const ey = y[i - 1];
    if (termOf(ex) === undefined || termOf(ex) !== termOf(ey)) continue;
    for (let j = i; j >= 1; j--) {
      const px = x[j - 1] as LogEntryFact;
      const py = y[j - 1] as LogEntryFact;
      if (termOf(px) !== termOf(py) || !sameCommand(px.command, py.command)) {
        return `both hold term ${termOf(ex)} at index ${i}, yet differ at index ${j} (${describe(px.command)} in term ${termOf(px)} vs ${describe(py.command)} in term ${termOf(py)})`;
      }
    }
    return undefined;
  }
  return undefined;
}

function checkExactlyOnce(run: LogRunRecord, report: Report): void {
  /** node|incarnation|key → first application */
  const first = new Map<string, ApplyRecord>();
  /** node|incarnation|key → first index where the key was committed in that stream */
  const firstIndex = new Map<string, number>();
  for (const fact of commitsOf(run.trace)) {
    if (fact.command.kind === 'noop') continue;
    const k = `${fact.node}|${fact.incarnation}|${commandKey(fact.command)}`;
    if (!firstIndex.has(k)) firstIndex.set(k, fact.index);
  }
  for (const record of run.applies) {
    const k = `${record.node}|${record.incarnation}|${record.key}`;
    const earlier = first.get(k);
    if (record.outcome === 'applied') {
      if (earlier !== undefined && earlier.outcome === 'applied') {
        report('exactly-once', record, [record.node], `${record.node} applied ${record.key} twice (index ${earlier.index} and ${record.index})`, k);
      }
      const expected = firstIndex.get(k);
      if (expected !== undefined && expected !== record.index && earlier === undefined) {
        report('exactly-once', record, [record.node], `${record.node} applied ${record.key} at index ${record.index}, not at its first committed occurrence ${expected}`, `${k}|late`);
      }
      if (earlier === undefined) first.set(k, record);
    } else if (record.outcome === 'duplicate') {
      if (earlier !== undefined && earlier.result !== record.result) {
        report('exactly-once', record, [record.node], `${record.node} answered a retry of ${record.key} with ${record.result}, but the first answer was ${earlier.result}`, `${k}|answer`);
      }
      if (earlier === undefined) {
        report('exactly-once', record, [record.node], `${record.node} answered ${record.key} as a duplicate before ever applying it`, `${k}|phantom`);
      }
    }
  }
}

const LOG_PROPERTY_TITLES: Record<LogProperty, string> = {
  'election-safety': 'Election safety (one leader per term or ballot)',
  'log-matching': 'Log matching',
  'leader-completeness': 'Leader completeness',
  'state-machine-safety': 'State-machine safety',
  'exactly-once': 'Exactly-once application',
  'definite-answer': 'Definite answer after healing',
};

export function logPropertyTitle(property: LogProperty): string {
  return LOG_PROPERTY_TITLES[property];
}
