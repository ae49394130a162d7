/**
 * The one implementation of the commit-level safety properties, shared by the simulator's
 * checkers (write-once: checker.ts; logs: log-checker.ts) and the live dashboard
 * (classroom/properties.ts). Pure and incremental: feed what happened, read what broke.
 *
 * - state-machine safety: no two commits (by any nodes, in any incarnations) put different
 *   commands at one index. For a write-once algorithm a decision is the commit of index 1, so
 *   this is Agreement.
 * - validity (opt-in): every committed client command was submitted before it was committed.
 *   For write-once algorithms, "decided value was proposed".
 * - contiguity: each incarnation's commits run 1, 2, 3 … (never retracted, never skipped).
 * - exactly-once: a replica applies a (client, seq) at most once, at its first committed
 *   occurrence, and answers retries with the first answer. "History starts here": a judge fed
 *   from the middle of a run (the live dashboard reloaded, or a replica's reports start after a
 *   snapshot: a `restore` at the index they start from) has not seen every commit; a retry that
 *   a snapshot reaching into that unseen part answers from its sessions is not called a phantom
 *   duplicate, while every replica, command and index it did see is judged as before.
 *
 * Findings are typed data: each caller words them in its own vocabulary (a decision is
 * "decided", a log entry "committed") and adds seed, step and a replay command, or, on the
 * dashboard, names and colours.
 *
 * Incremental use (the live order book's checker):
 *
 *   const judge = new CommitJudge();
 *   // each time a node reports new commits (contiguous, in index order):
 *   const found = judge.commit('n2', 0, [{ index: 4, command }], { step: 0, time: nowMs });
 *   // each time a node reports applying a committed command:
 *   judge.apply({ node: 'n2', incarnation: 0, index: 4, key: 'c1#3', outcome: 'applied', result: '"ok"', step: 0, time: nowMs });
 *   judge.findings;                 // everything found so far, in order (each finding once)
 *   stateMachineSafe(judge.findings), exactlyOnce(judge.findings)   // verdicts per property
 *
 * The dashboard uses it twice: `classroom/properties.ts` feeds it the write-once decisions
 * (Agreement, Validity), and the live order book's `classroom/log-dashboard.ts` runs the log
 * checker (`sim/log-checker.ts`, built on this judge) over what the replicas report.
 *
 * `incarnation` counts the node's restarts (a restarted node commits from index 1 again);
 * `step` may be 0 where there are no steps. Memory: one entry per committed index plus one per
 * (node, incarnation, client command); the dashboard bounds what it feeds by its log window.
 */
import { commandKey, sameCommand } from '../core/log.ts';
import type { Epoch, LogCommand, NodeId } from '../core/types.ts';

export interface JudgeAt {
  readonly step: number;
  readonly time: number;
}

export interface JudgedCommit extends JudgeAt {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  readonly command: LogCommand;
}

/** One committed command as a replica's host applied it. */
export interface ApplyRecord extends JudgeAt {
  readonly node: NodeId;
  readonly incarnation: number;
  readonly index: number;
  /** (client, seq) */
  readonly key: string;
  /** 'applied': the state machine ran it; 'duplicate': the session answered from memory; 'skipped': stale or unknown. */
  readonly outcome: 'applied' | 'duplicate' | 'skipped';
  /** JSON of the answer, when there is one. */
  readonly result: string | undefined;
}

export type Finding =
  /** Two different commands committed at one index (Agreement, for index 1 of a write-once run). */
  | { readonly kind: 'conflict'; readonly first: JudgedCommit; readonly later: JudgedCommit }
  /** A committed client command nobody had submitted (Validity). */
  | { readonly kind: 'unsubmitted'; readonly commit: JudgedCommit }
  /** An incarnation committed an index at or below one it had committed already. */
  | { readonly kind: 'retracted'; readonly commit: JudgedCommit; readonly last: number }
  /** An incarnation committed past the next index, leaving a hole. */
  | { readonly kind: 'skipped'; readonly commit: JudgedCommit; readonly last: number }
  /** A replica ran one (client, seq) through its state machine twice. */
  | { readonly kind: 'applied-twice'; readonly first: ApplyRecord; readonly again: ApplyRecord }
  /** A replica applied a (client, seq) at a later index than where it was first committed. */
  | { readonly kind: 'applied-late'; readonly record: ApplyRecord; readonly expectedIndex: number }
  /** A retry got a different answer from the first one. */
  | { readonly kind: 'answer-changed'; readonly first: ApplyRecord; readonly again: ApplyRecord }
  /** A replica answered a command as a duplicate before ever applying it. */
  | { readonly kind: 'phantom-duplicate'; readonly record: ApplyRecord };

export type FindingKind = Finding['kind'];

/** Which property each finding breaks. */
export const FINDING_PROPERTY = {
  conflict: 'state-machine-safety',
  retracted: 'state-machine-safety',
  skipped: 'state-machine-safety',
  unsubmitted: 'validity',
  'applied-twice': 'exactly-once',
  'applied-late': 'exactly-once',
  'answer-changed': 'exactly-once',
  'phantom-duplicate': 'exactly-once',
} as const satisfies Record<FindingKind, string>;

export interface CommitJudgeOptions {
  /**
   * Report committed client commands that were never `submitted` (default off: a log run may
   * start from given logs, the schedule file's `initial` section, whose entries nobody submits).
   */
  readonly validity?: boolean;
}

/** The payload a validity check compares: what was asked for, whoever asked. */
function payloadKey(command: LogCommand): string {
  return command.kind === 'noop' ? 'noop' : JSON.stringify(command.command);
}

export class CommitJudge {
  private readonly validity: boolean;
  private readonly submittedPayloads = new Set<string>();
  /** index → first commit seen there, with the committing node's epoch when known. */
  private readonly firstAt = new Map<number, JudgedCommit & { readonly epoch: Epoch | undefined }>();
  /** node|incarnation → last index committed. */
  private readonly lastCommitted = new Map<string, number>();
  /** node|incarnation|client#seq → first index committed in that stream. */
  private readonly firstIndexOf = new Map<string, number>();
  /** node|incarnation|client#seq → first application record. */
  private readonly firstApply = new Map<string, ApplyRecord>();
  /** node|incarnation → when (step) and at which index its state machine was restored from a snapshot, in order. */
  private readonly bases = new Map<string, { readonly step: number; readonly index: number }[]>();
  /** client#seq → the lowest index it was committed at, by anyone. */
  private readonly firstCommitOf = new Map<string, number>();
  /** client#seq → its first application anywhere (what every replica's snapshot remembers). */
  private readonly firstApplyAnywhere = new Map<string, ApplyRecord>();
  /**
   * Every index 1 … covered has a commit this judge saw: its history is whole up to there. Above
   * it, a command may have been committed where this judge never looked (the live dashboard
   * reloaded mid-book, or a replica's report starts after a snapshot the dashboard never saw the
   * commits of): "before history".
   */
  private covered = 0;
  /** client#seq → the first retry answered from a snapshot covering indexes before this judge's history (see apply). */
  private readonly beforeHistory = new Map<string, ApplyRecord & { readonly base: number }>();
  /**
   * node|incarnation|client#seq → a retry answered from a snapshot (at `base`) that reaches where
   * this judge's history has holes, while no commit of the command at or below `base` was seen:
   * legal if the command's first commit lies in a hole, a phantom if it does not. Decided when a
   * report shows it (a commit of it at or below `base`: legal; every index up to `base` seen
   * without it: phantom; see settle); until then the judge does not know (`undecided`).
   */
  private readonly pending = new Map<string, ApplyRecord & { readonly base: number }>();
  /**
   * client#seq → applications (run through the state machine) by replicas restored at `base`,
   * made while the judge knew no commit of the command at or below `base`. A commit of it seen
   * later at or below `base` shows it had been applied inside the snapshot already: the
   * application was a second one (see settle).
   */
  private readonly appliedPastBase = new Map<string, (ApplyRecord & { readonly base: number })[]>();
  private readonly seen = new Set<string>();
  private readonly all: Finding[] = [];

  constructor(options: CommitJudgeOptions = {}) {
    this.validity = options.validity ?? false;
  }

  /** Everything found so far, in the order found; each distinct finding once. */
  get findings(): readonly Finding[] {
    return this.all;
  }

  /** A client asked for this command (for validity). */
  submitted(command: LogCommand): void {
    this.submittedPayloads.add(payloadKey(command));
  }

  /** A node's new commits, in index order. Returns what these commits broke. */
  commit(node: NodeId, incarnation: number, entries: readonly { readonly index: number; readonly command: LogCommand }[], at: JudgeAt, epoch?: Epoch): Finding[] {
    const found: Finding[] = [];
    const stream = `${node}|${incarnation}`;
    const coveredBefore = this.covered;
    /** Commands whose first known commit moved down in these entries: what settle looks at again. */
    const lowered = new Set<string>();
    for (const { index, command } of entries) {
      const fact: JudgedCommit = { node, incarnation, index, command, step: at.step, time: at.time };
      const last = this.lastCommitted.get(stream) ?? 0;
      if (index !== last + 1) {
        this.add(found, index <= last ? { kind: 'retracted', commit: fact, last } : { kind: 'skipped', commit: fact, last }, `gap|${stream}|${index}`);
      }
      this.lastCommitted.set(stream, Math.max(last, index));
      if (this.validity && command.kind === 'command' && !this.submittedPayloads.has(payloadKey(command))) {
        this.add(found, { kind: 'unsubmitted', commit: fact }, `unsubmitted|${payloadKey(command)}`);
      }
      const first = this.firstAt.get(index);
      if (first === undefined) {
        this.firstAt.set(index, { ...fact, epoch });
        while (this.firstAt.has(this.covered + 1)) this.covered++;
      } else if (!sameCommand(first.command, command)) {
        this.add(found, { kind: 'conflict', first, later: fact }, `conflict|${index}|${node}|${payloadKey(command)}|${command.kind === 'command' ? commandKey(command) : ''}`);
      }
      if (command.kind === 'command') {
        const key = `${stream}|${commandKey(command)}`;
        if (!this.firstIndexOf.has(key)) this.firstIndexOf.set(key, index);
        const anywhere = this.firstCommitOf.get(commandKey(command));
        if (anywhere === undefined || index < anywhere) {
          this.firstCommitOf.set(commandKey(command), index);
          lowered.add(commandKey(command));
        }
      }
    }
    if (this.covered > coveredBefore || lowered.size > 0) this.settle(found, lowered, this.covered > coveredBefore);
    return found;
  }

  /**
   * What the reports seen so far decide about the retries and applications `apply` could not
   * judge: a commit of the command at or below the replica's snapshot, or every index up to it
   * seen without one.
   */
  private settle(found: Finding[], lowered: ReadonlySet<string>, coveredMoved: boolean): void {
    for (const [k, record] of this.pending) {
      const first = this.firstCommitOf.get(record.key);
      if (first !== undefined && first <= record.base) this.pending.delete(k); // in its snapshot: the session answered it
      else if (this.covered >= record.base) {
        this.pending.delete(k);
        this.add(found, { kind: 'phantom-duplicate', record }, `phantom|${k}`);
      }
    }
    // Only the commands whose first commit moved can have been applied inside a snapshot; a
    // history grown whole up to a snapshot lets the others go (a reloaded dashboard's stays short).
    const keys = coveredMoved ? [...this.appliedPastBase.keys()] : [...lowered].filter((key) => this.appliedPastBase.has(key));
    for (const key of keys) {
      const records = this.appliedPastBase.get(key) as (ApplyRecord & { readonly base: number })[];
      const first = this.firstCommitOf.get(key);
      const keep = records.filter((record) => {
        if (first !== undefined && first <= record.base && first < record.index) {
          this.add(found, { kind: 'applied-late', record, expectedIndex: first }, `late|${record.node}|${record.incarnation}|${key}`);
          return false;
        }
        return this.covered < record.base; // every index up to its snapshot seen without it: a first application
      });
      if (keep.length === 0) this.appliedPastBase.delete(key);
      else this.appliedPastBase.set(key, keep);
    }
  }

  /** Retries answered from a snapshot this judge cannot yet tell a legal answer from a phantom by (see `pending`). */
  get undecided(): readonly ApplyRecord[] {
    return [...this.pending.values()];
  }

  /**
   * A node's state machine became a snapshot covering indexes 1 … `index` (installed from a
   * peer, or read back from its storage on a restart): the stream's commits continue at
   * `index + 1`, and the commands the snapshot covers count as applied by it. Restoring below
   * what the stream already committed takes committed entries back.
   */
  restore(node: NodeId, incarnation: number, index: number, at: JudgeAt): Finding[] {
    const found: Finding[] = [];
    const stream = `${node}|${incarnation}`;
    const last = this.lastCommitted.get(stream) ?? 0;
    if (index < last) {
      const fact: JudgedCommit = { node, incarnation, index, command: { kind: 'noop' }, step: at.step, time: at.time };
      this.add(found, { kind: 'retracted', commit: fact, last }, `restore|${stream}|${index}`);
    }
    this.lastCommitted.set(stream, index);
    const list = this.bases.get(stream) ?? [];
    list.push({ step: at.step, index });
    this.bases.set(stream, list);
    return found;
  }

  /** The snapshot index `stream`'s state machine was last restored at, as of `step` (0: none). */
  private baseAt(stream: string, step: number): number {
    const list = this.bases.get(stream);
    if (list === undefined) return 0;
    for (let i = list.length - 1; i >= 0; i--) if ((list[i] as { step: number }).step <= step) return (list[i] as { index: number }).index;
    return 0;
  }

  /** A replica applied (or answered from memory, or skipped) a committed command. */
  apply(record: ApplyRecord): Finding[] {
    const found: Finding[] = [];
    const k = `${record.node}|${record.incarnation}|${record.key}`;
    const earlier = this.firstApply.get(k);
    // Restored from a snapshot at `base`: commands committed at or below it were applied inside the snapshot.
    const base = this.baseAt(`${record.node}|${record.incarnation}`, record.step);
    const firstCommit = this.firstCommitOf.get(record.key);
    const inSnapshot = earlier === undefined && firstCommit !== undefined && firstCommit <= base;
    const anywhere = this.firstApplyAnywhere.get(record.key);
    if (record.outcome === 'applied' && anywhere === undefined) {
      this.firstApplyAnywhere.set(record.key, record);
      this.contradictsHistory(found, record);
    }
    if (record.outcome === 'applied') this.decidePending(found, record);
    if (record.outcome === 'applied' && inSnapshot) {
      if (anywhere !== undefined) this.add(found, { kind: 'applied-twice', first: anywhere, again: record }, `twice|${k}`);
      else this.add(found, { kind: 'applied-late', record, expectedIndex: firstCommit }, `late|${k}`);
      this.firstApply.set(k, record);
      return found;
    }
    if (record.outcome === 'duplicate' && inSnapshot) {
      if (anywhere !== undefined && anywhere.result !== record.result) this.add(found, { kind: 'answer-changed', first: anywhere, again: record }, `answer|${k}`);
      this.firstApply.set(k, anywhere ?? record);
      return found;
    }
    if (record.outcome === 'applied') {
      if (earlier === undefined && base > this.covered) this.noteAppliedPastBase(record, base);
      if (earlier !== undefined && earlier.outcome === 'applied') this.add(found, { kind: 'applied-twice', first: earlier, again: record }, `twice|${k}`);
      const expected = this.firstIndexOf.get(k);
      if (expected !== undefined && expected !== record.index && earlier === undefined) {
        this.add(found, { kind: 'applied-late', record, expectedIndex: expected }, `late|${k}`);
      }
      if (earlier === undefined) this.firstApply.set(k, record);
    } else if (record.outcome === 'duplicate') {
      if (earlier !== undefined && earlier.result !== record.result) this.add(found, { kind: 'answer-changed', first: earlier, again: record }, `answer|${k}`);
      if (earlier === undefined && this.retryFromBeforeHistory(record, base, firstCommit, anywhere)) {
        const first = this.beforeHistory.get(record.key);
        if (first === undefined) this.beforeHistory.set(record.key, { ...record, base });
        else if (first.result !== record.result) this.add(found, { kind: 'answer-changed', first, again: record }, `answer|${k}`);
        this.firstApply.set(k, record);
        this.pending.set(k, { ...record, base });
      } else if (earlier === undefined) {
        this.add(found, { kind: 'phantom-duplicate', record }, `phantom|${k}`);
      }
    }
    return found;
  }

  /**
   * A duplicate answer for a command this judge never saw applied nor committed before this
   * index, from a replica whose state came from a snapshot at `base` (restored, or the point its
   * reports start from) that reaches where this judge's history is not whole: the command's
   * first commit may lie in there, unseen. Judging it a phantom would be a false alarm of the
   * reloaded dashboard, so it is not judged; a replica whose history this judge saw in full
   * (base 0, or every index up to its base seen) is judged as always.
   */
  private retryFromBeforeHistory(record: ApplyRecord, base: number, firstCommit: number | undefined, anywhere: ApplyRecord | undefined): boolean {
    return anywhere === undefined && base > this.covered && (firstCommit === undefined || firstCommit >= record.index);
  }

  /**
   * A replica ran `record`'s command through its state machine, and one answered it earlier as a
   * retry from before history. If that replica's snapshot did not cover this index, the two
   * cannot both be right: at the same index it was a phantom duplicate; at a later one this is a
   * second application (the command was applied before history).
   */
  private contradictsHistory(found: Finding[], record: ApplyRecord): void {
    const pre = this.beforeHistory.get(record.key);
    if (pre === undefined) return;
    this.beforeHistory.delete(record.key);
    if (pre.base >= record.index) return; // its snapshot holds this first application
    const k = `${pre.node}|${pre.incarnation}|${pre.key}`;
    if (pre.index === record.index) this.add(found, { kind: 'phantom-duplicate', record: pre }, `phantom|${k}`);
    else if (pre.index < record.index) this.add(found, { kind: 'applied-twice', first: pre, again: record }, `twice|${record.node}|${record.incarnation}|${record.key}`);
  }

  /**
   * Someone ran `record`'s command through its state machine: each retry still undecided is
   * decided as contradictsHistory decides the first (covered by its snapshot: legal; at the same
   * index: a phantom; at a later index: this is a second application).
   */
  private decidePending(found: Finding[], record: ApplyRecord): void {
    for (const [k, pre] of this.pending) {
      if (pre.key !== record.key || (pre.node === record.node && pre.incarnation === record.incarnation)) continue;
      this.pending.delete(k);
      if (pre.base >= record.index) continue;
      if (pre.index === record.index) this.add(found, { kind: 'phantom-duplicate', record: pre }, `phantom|${k}`);
      else if (pre.index < record.index) this.add(found, { kind: 'applied-twice', first: pre, again: record }, `twice|${record.node}|${record.incarnation}|${record.key}`);
    }
  }

  private noteAppliedPastBase(record: ApplyRecord, base: number): void {
    const list = this.appliedPastBase.get(record.key) ?? [];
    list.push({ ...record, base });
    this.appliedPastBase.set(record.key, list);
  }

  /** The first commit at each index, with the committing node's epoch (for leader completeness). */
  committed(): ReadonlyMap<number, JudgedCommit & { readonly epoch: Epoch | undefined }> {
    return this.firstAt;
  }

  private add(found: Finding[], finding: Finding, key: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    found.push(finding);
    this.all.push(finding);
  }
}

// A write-once decision is a commit of index 1: the machines build its command (core/write-once.ts).
export { decidedValueOf, decisionCommand } from '../core/write-once.ts';

/** True when no finding breaks state-machine safety (Agreement, for index 1). */
export function stateMachineSafe(findings: readonly Finding[]): boolean {
  return !findings.some((f) => FINDING_PROPERTY[f.kind] === 'state-machine-safety');
}

/** True when no finding breaks exactly-once application. */
export function exactlyOnce(findings: readonly Finding[]): boolean {
  return !findings.some((f) => FINDING_PROPERTY[f.kind] === 'exactly-once');
}

/**
 * Exactly-once as far as `judge` can tell: false once a finding breaks it, 'unknown' while a
 * retry answered from a snapshot it cannot see into is undecided (the information is not in
 * what it was fed), true otherwise.
 */
export function exactlyOnceVerdict(judge: Pick<CommitJudge, 'findings' | 'undecided'>): boolean | 'unknown' {
  if (!exactlyOnce(judge.findings)) return false;
  return judge.undecided.length > 0 ? 'unknown' : true;
}
