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
 *   With compaction, a node's state machine may instead be restored from a snapshot covering
 *   1 … k (a `snapshot` trace entry): its commits then continue at k + 1, and the snapshot must
 *   hold the state every replica reached by applying entries 1 … k (the state checkpoints).
 * - exactly-once: each replica applies a (client, seq) at most once, at its first committed
 *   occurrence, and answers duplicates with the first answer.
 * - definite-answer (liveness, only when the run asks): every submitted command has an answer
 *   by the end of the run.
 *
 * A write-once algorithm is a log of length one: its `decide` trace entries are read as commits
 * of index 1 (`commitsOf`), so state-machine safety over them is Agreement. State-machine safety
 * and exactly-once are decided by the shared commit judge (commit-judge.ts), which the
 * write-once checker and the live dashboard use too; this file words its findings and adds the
 * checks that need roles and whole logs (election safety, leader completeness, log matching).
 */
import { assertNever } from '../core/assert.ts';
import { commandKey, compareEpochs, epochKey, epochLabel, sameCommand } from '../core/log.ts';
import type { Epoch, LogCommand, LogEntryFact, NodeId } from '../core/types.ts';
import { CommitJudge, decisionCommand, type ApplyRecord, type Finding, type JudgedCommit } from './commit-judge.ts';
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

export type { ApplyRecord } from './commit-judge.ts';

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
  /**
   * Replicas' states at snapshot indexes (after applying 1 … index, or as a snapshot holds
   * them), canonical keys: all of them at one index must be equal.
   */
  readonly checkpoints?: readonly StateCheckpoint[] | undefined;
}

/** A replica's whole replicated state (state machine and sessions) at one index, as a canonical key. */
export interface StateCheckpoint {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  /** 'applied': it applied entries 1 … index itself; the others: a snapshot gave it that state. */
  readonly source: 'applied' | 'install' | 'restart';
  readonly key: string;
  readonly step: number;
  readonly time: number;
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
      out.push({ node: entry.node, incarnation: entry.incarnation, index: 1, command: decisionCommand(entry.value), step: entry.step, time: entry.time });
    }
  }
  return out;
}

function describe(command: LogCommand): string {
  return command.kind === 'noop' ? 'a no-op' : `${commandKey(command)} ${JSON.stringify(command.command)}`;
}

export function checkLogRun(run: LogRunRecord): LogViolation[] {
  const judge = new LogRunJudge(run);
  for (const entry of run.trace) judge.entry(entry);
  checkLogMatching(run, judge.report);
  checkCheckpoints(run, judge.report);
  for (const record of run.applies) judge.apply(record);
  if (run.unanswered !== undefined && run.unanswered.length > 0) {
    const at = run.end ?? { step: 0, time: 0 };
    judge.report('definite-answer', at, [], `${run.unanswered.length} submitted command(s) never got an answer after the network healed: ${run.unanswered.slice(0, 5).join(', ')}`, 'end');
  }
  return [...judge.violations];
}

type Report = (property: LogProperty, at: { step: number; time: number }, nodes: readonly NodeId[], what: string, dedupe: string) => void;

/**
 * The log checks that read facts one at a time, in the order they happened: election safety,
 * leader completeness, state-machine safety and exactly-once (through the shared CommitJudge).
 * `checkLogRun` feeds it a whole run; the live dashboard feeds it each report's new facts as
 * they arrive, so its work per report is proportional to the report, not to the history. Each
 * call returns what that fact broke (each violation once); `violations` has all of them.
 */
export class LogRunJudge {
  private readonly commits = new CommitJudge();
  private readonly leaderOf = new Map<string, NodeId>();
  private readonly epochOf = new Map<NodeId, Epoch>();
  private readonly reported = new Set<string>();
  private readonly all: LogViolation[] = [];
  private fresh: LogViolation[] = [];
  /** Facts judged so far (one per role change, committed entry or application). */
  private count = 0;

  constructor(private readonly run: { readonly seed: number; readonly reproduce: string }) {}

  get violations(): readonly LogViolation[] {
    return this.all;
  }

  get judged(): number {
    return this.count;
  }

  /** Retries answered from snapshots whose commits this judge never saw: exactly-once is unknown for them (commit-judge.ts). */
  get undecided(): readonly ApplyRecord[] {
    return this.commits.undecided;
  }

  /** One trace entry: role changes and commits are judged, everything else passes. */
  entry(entry: TraceEntry): LogViolation[] {
    this.fresh = [];
    switch (entry.kind) {
      case 'role': {
        this.count++;
        this.epochOf.set(entry.node, entry.epoch);
        if (entry.role !== 'leader') break;
        const key = epochKey(entry.epoch);
        const other = this.leaderOf.get(key);
        if (other !== undefined && other !== entry.node) {
          this.report('election-safety', entry, [other, entry.node], `${other} and ${entry.node} are both leader in ${epochLabel(entry.epoch)}`, key);
        } else {
          this.leaderOf.set(key, entry.node);
        }
        if (entry.log !== undefined) checkCompleteness(entry, entry.log, entry.snapshotIndex ?? 0, this.commits.committed(), this.report);
        break;
      }
      case 'snapshot':
        this.count++;
        for (const finding of this.commits.restore(entry.node, entry.incarnation, entry.index, entry)) reportFinding(finding, this.report);
        break;
      case 'commit':
      case 'decide':
        for (const fact of commitsOf([entry])) {
          this.count++;
          for (const finding of this.commits.commit(fact.node, fact.incarnation, [fact], fact, this.epochOf.get(fact.node))) reportFinding(finding, this.report);
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
    return this.fresh;
  }

  /** One replica's application of a committed command. */
  apply(record: ApplyRecord): LogViolation[] {
    this.fresh = [];
    this.count++;
    for (const finding of this.commits.apply(record)) reportFinding(finding, this.report);
    return this.fresh;
  }

  /** Words a violation once per (property, dedupe key). */
  readonly report: Report = (property, at, nodes, what, dedupe) => {
    const key = `${property}|${dedupe}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const violation: LogViolation = {
      property,
      step: at.step,
      time: at.time,
      nodes,
      message: `${LOG_PROPERTY_TITLES[property]} violated (seed ${this.run.seed}, step ${at.step}, t=${formatTime(at.time)}, nodes ${nodes.join(', ')}): ${what}. Reproduce: ${this.run.reproduce}`,
    };
    this.all.push(violation);
    this.fresh.push(violation);
  };
}

function checkCompleteness(
  entry: { readonly node: NodeId; readonly epoch: Epoch; readonly step: number; readonly time: number },
  log: readonly LogEntryFact[],
  snapshotIndex: number,
  committed: ReadonlyMap<number, JudgedCommit & { readonly epoch: Epoch | undefined }>,
  report: Report,
): void {
  const byIndex = new Map(log.map((e) => [e.index, e]));
  for (const [index, fact] of committed) {
    if (fact.epoch === undefined || fact.epoch.kind !== entry.epoch.kind || compareEpochs(fact.epoch, entry.epoch) >= 0) continue;
    // Compacted into the leader's snapshot: held as state (the checkpoints compare that state).
    if (index <= snapshotIndex) continue;
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

/**
 * Where two term logs break log matching, or undefined. Each log is dense from its first entry
 * (index 1, or the entry after its snapshot): only the indexes both still hold are compared;
 * below that, both prefixes are committed and state-machine safety and the checkpoints judge them.
 */
export function matchProblem(x: readonly LogEntryFact[], y: readonly LogEntryFact[]): string | undefined {
  const termOf = (e: LogEntryFact | undefined): number | undefined => (e !== undefined && e.epoch.kind === 'term' ? e.epoch.term : undefined);
  if (x.length === 0 || y.length === 0) return undefined;
  const baseX = (x[0] as LogEntryFact).index - 1;
  const baseY = (y[0] as LogEntryFact).index - 1;
  const low = Math.max(baseX, baseY) + 1;
  // The highest index where both hold an entry of the same term: everything from there down to `low` must be equal.
  for (let i = Math.min(baseX + x.length, baseY + y.length); i >= low; i--) {
    const ex = x[i - baseX - 1];
    const ey = y[i - baseY - 1];
    if (termOf(ex) === undefined || termOf(ex) !== termOf(ey)) continue;
    for (let j = i; j >= low; j--) {
      const px = x[j - baseX - 1] as LogEntryFact;
      const py = y[j - baseY - 1] as LogEntryFact;
      if (termOf(px) !== termOf(py) || !sameCommand(px.command, py.command)) {
        return `both hold term ${termOf(ex)} at index ${i}, yet differ at index ${j} (${describe(px.command)} in term ${termOf(px)} vs ${describe(py.command)} in term ${termOf(py)})`;
      }
    }
    return undefined;
  }
  return undefined;
}

/** Every replica's state at one index must be the same, however it got there (applied, compacted, installed, restored). */
function checkCheckpoints(run: LogRunRecord, report: Report): void {
  const first = new Map<number, StateCheckpoint>();
  for (const checkpoint of run.checkpoints ?? []) {
    const earlier = first.get(checkpoint.index);
    if (earlier === undefined) {
      first.set(checkpoint.index, checkpoint);
      continue;
    }
    if (earlier.key === checkpoint.key) continue;
    report(
      'state-machine-safety',
      checkpoint,
      earlier.node === checkpoint.node ? [checkpoint.node] : [earlier.node, checkpoint.node],
      `the state after index ${checkpoint.index} differs: ${checkpoint.node} ${SOURCE_WORDS[checkpoint.source]} one state, ${earlier.node} ${SOURCE_WORDS[earlier.source]} another (step ${earlier.step})`,
      `checkpoint|${checkpoint.index}`,
    );
  }
}

const SOURCE_WORDS: Record<StateCheckpoint['source'], string> = {
  applied: 'applied entries 1 … index to',
  install: 'installed a snapshot holding',
  restart: 'restarted from a stored snapshot holding',
};

/** The shared judge's findings, worded as the log checker words them (one report per index or command). */
function reportFinding(finding: Finding, report: Report): void {
  switch (finding.kind) {
    case 'conflict': {
      const { first, later } = finding;
      report(
        'state-machine-safety',
        later,
        first.node === later.node ? [later.node] : [first.node, later.node],
        `at index ${later.index} ${first.node} committed ${describe(first.command)} (step ${first.step}) but ${later.node} committed ${describe(later.command)}`,
        `index|${later.index}`,
      );
      return;
    }
    case 'retracted':
    case 'skipped': {
      const { commit, last } = finding;
      report(
        'state-machine-safety',
        commit,
        [commit.node],
        finding.kind === 'retracted'
          ? `${commit.node} committed index ${commit.index} again after committing up to ${last} (a commit was retracted)`
          : `${commit.node} committed index ${commit.index} after ${last}, skipping entries`,
        `gap|${commit.node}|${commit.incarnation}|${commit.index}`,
      );
      return;
    }
    case 'unsubmitted':
      // Log runs do not ask for validity (initial logs are committed without a submit).
      return;
    case 'applied-twice': {
      const { first, again } = finding;
      report('exactly-once', again, [again.node], `${again.node} applied ${again.key} twice (index ${first.index} and ${again.index})`, `${again.node}|${again.incarnation}|${again.key}`);
      return;
    }
    case 'applied-late': {
      const { record, expectedIndex } = finding;
      report('exactly-once', record, [record.node], `${record.node} applied ${record.key} at index ${record.index}, not at its first committed occurrence ${expectedIndex}`, `${record.node}|${record.incarnation}|${record.key}|late`);
      return;
    }
    case 'answer-changed': {
      const { first, again } = finding;
      report('exactly-once', again, [again.node], `${again.node} answered a retry of ${again.key} with ${again.result}, but the first answer was ${first.result}`, `${again.node}|${again.incarnation}|${again.key}|answer`);
      return;
    }
    case 'phantom-duplicate': {
      const { record } = finding;
      report('exactly-once', record, [record.node], `${record.node} answered ${record.key} as a duplicate before ever applying it`, `${record.node}|${record.incarnation}|${record.key}|phantom`);
      return;
    }
    default:
      assertNever(finding, 'finding');
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
