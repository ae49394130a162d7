/**
 * The live order book's checker is incremental: the dashboard feeds each report's new facts to
 * the simulator's LogRunJudge once, and gives the same verdicts as the full `checkLogRun` over
 * the whole run. Recorded simulator runs (Raft and Multi-Paxos under faults, the broken
 * raft-forgets-vote caught breaking election safety, a handmade run that breaks state-machine
 * safety and exactly-once) are replayed as the replicas' reports; the work per report is counted
 * and does not grow with the history.
 */
import { describe, expect, it } from 'vitest';
import { BookDashboard, LIVE_LOG_PROPERTIES } from '../../../src/classroom/log-dashboard.ts';
import type { BookAnnouncement, LogReport, ReportedApply, ReportedCommit } from '../../../src/classroom/log-protocol.ts';
import { REPORT_VERSION, type NodeReport } from '../../../src/classroom/protocol.ts';
import type { Epoch, LogCommand, LogRole } from '../../../src/core/types.ts';
import { getLogAlgorithm } from '../../../src/machines/log-index.ts';
import type { LogAlgorithmName } from '../../../src/machines/spec.ts';
import { checkLogRun, LogRunJudge, type ApplyRecord, type LogRunRecord, type LogViolation } from '../../../src/sim/log-checker.ts';
import { runLogSeed, type LogSwarmConfig } from '../../../src/sim/log-swarm.ts';
import type { TraceEntry } from '../../../src/sim/trace.ts';

const config = (algorithm: LogAlgorithmName, faults: LogSwarmConfig['faults'] = 'all'): LogSwarmConfig => ({
  algorithm: getLogAlgorithm(algorithm),
  stateMachine: 'orders',
  nodes: 3,
  clients: 2,
  commands: 6,
  faults,
});

/** The run as the live dashboard can see it: no whole logs (reports carry a window), no audits. */
function liveView(record: LogRunRecord): LogRunRecord {
  return {
    ...record,
    trace: record.trace.map((e) => (e.kind === 'role' ? { ...e, log: undefined } : e)),
    audits: [],
    unanswered: undefined,
  };
}

const verdicts = (violations: readonly LogViolation[]): string[] =>
  violations
    .filter((v) => LIVE_LOG_PROPERTIES.includes(v.property))
    .map((v) => `${v.property}|${[...v.nodes].sort().join(',')}`)
    .sort();

function member(nodes: readonly string[]): BookAnnouncement {
  return { id: 'b1-test', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: [...nodes], startedAt: 0 };
}

function report(inc: number, n: number, log: Omit<LogReport, 'window' | 'stateDigest' | 'stateSize' | 'rows' | 'listenOnly' | 'lastIndex' | 'applied'> & { applied?: number }): NodeReport {
  const lastIndex = log.commitIndex;
  return {
    version: REPORT_VERSION,
    inc,
    n,
    full: false,
    proposed: [],
    evidence: [],
    steps: [],
    droppedSteps: 0,
    refusals: [],
    restarted: inc > 1,
    log: { applied: lastIndex, ...log, lastIndex, listenOnly: false, window: [], stateDigest: 'd', stateSize: 0, rows: [] },
  };
}

/**
 * Replays a recorded run's role changes and commits as the replicas' reports (one per trace
 * entry, the commits' applications in the same report, as a replica sends them) and checks
 * after every report, as the projector does once per frame.
 */
function replayAsReports(record: LogRunRecord, nodes: readonly string[]): { dashboard: BookDashboard; perReport: number[] } {
  const dashboard = new BookDashboard();
  const book = member(nodes);
  dashboard.announce(book);
  const state = new Map<string, { role: LogRole; epoch: Epoch; commitIndex: number; n: number; restored?: { index: number; count: number } }>();
  const initialEpoch: Epoch = record.epochKind === 'term' ? { kind: 'term', term: 0 } : { kind: 'ballot', ballot: { round: 0, node: nodes[0] as string } };
  const appliesOf = new Map<string, ApplyRecord[]>();
  for (const a of record.applies) appliesOf.set(`${a.node}|${a.incarnation}|${a.index}`, [...(appliesOf.get(`${a.node}|${a.incarnation}|${a.index}`) ?? []), a]);
  const perReport: number[] = [];
  let now = 0;
  for (const entry of record.trace) {
    if (entry.kind !== 'role' && entry.kind !== 'commit' && entry.kind !== 'snapshot') continue;
    const key = `${entry.node}|${entry.incarnation}`;
    const s = state.get(key) ?? { role: 'follower' as LogRole, epoch: initialEpoch, commitIndex: 0, n: 0 };
    let commits: ReportedCommit[] = [];
    const applies: ReportedApply[] = [];
    if (entry.kind === 'role') {
      s.role = entry.role;
      s.epoch = entry.epoch;
    } else if (entry.kind === 'snapshot') {
      // The simulator compacts (SIM_SNAPSHOT_EVERY): a replica restored from a snapshot says so
      // in its report, as a tab does, and its commits continue after the snapshot's index.
      s.restored = { index: entry.index, count: (s.restored?.count ?? 0) + 1 };
      s.commitIndex = Math.max(s.commitIndex, entry.index);
    } else {
      commits = entry.entries.map((e) => ({
        index: e.index,
        epoch: e.term !== undefined ? { kind: 'term', term: e.term } : { kind: 'ballot', ballot: e.ballot as NonNullable<typeof e.ballot> },
        command: e.command as LogCommand,
      }));
      for (const e of entry.entries) {
        s.commitIndex = Math.max(s.commitIndex, e.index);
        for (const a of appliesOf.get(`${entry.node}|${entry.incarnation}|${e.index}`) ?? []) {
          applies.push({ index: a.index, outcome: a.outcome, ...(a.result !== undefined ? { result: a.result } : {}) });
        }
      }
    }
    state.set(key, s);
    const before = dashboard.judged(book.id);
    dashboard.applyReport(entry.node, book.id, report(entry.incarnation + 1, s.n++, { role: s.role, epoch: s.epoch, commitIndex: s.commitIndex, commits, applies, ...(s.restored !== undefined ? { restored: s.restored } : {}) }), (now += 10));
    dashboard.check(book.id, LogRunJudge);
    perReport.push(dashboard.judged(book.id) - before);
  }
  return { dashboard, perReport };
}

/** The first seed (from 1) of `c` whose run breaks `property`. */
function failingRun(c: LogSwarmConfig, property: LogViolation['property']): LogRunRecord {
  for (let seed = 1; seed <= 60; seed++) {
    const run = runLogSeed(c, seed);
    if (run.violations.some((v) => v.property === property)) return run.record;
  }
  throw new Error(`no seed of ${c.algorithm.name} breaks ${property}`);
}

describe('LogRunJudge (the incremental checker)', () => {
  it.each([
    ['raft', 1],
    ['raft', 2],
    ['multipaxos', 1],
  ] as const)('%s seed %i: fed fact by fact, it finds exactly what checkLogRun finds', (algorithm, seed) => {
    const { record } = runLogSeed(config(algorithm), seed);
    const run = liveView(record);
    const judge = new LogRunJudge(run);
    for (const entry of run.trace) judge.entry(entry);
    for (const apply of run.applies) judge.apply(apply);
    expect(judge.violations).toEqual(checkLogRun(run));
  });

  it('raft-forgets-vote: the same election-safety violation, found at the fact that breaks it', { timeout: 60_000 }, () => {
    const run = liveView(failingRun(config('raft-forgets-vote', 'crash-restart'), 'election-safety'));
    const full = checkLogRun(run);
    expect(full.some((v) => v.property === 'election-safety')).toBe(true);
    const judge = new LogRunJudge(run);
    let foundAt: TraceEntry | undefined;
    for (const entry of run.trace) {
      if (judge.entry(entry).some((v) => v.property === 'election-safety') && foundAt === undefined) foundAt = entry;
    }
    for (const apply of run.applies) judge.apply(apply);
    expect(judge.violations).toEqual(full);
    expect(foundAt?.kind).toBe('role');
  });
});

describe('the live book dashboard', () => {
  it.each([
    ['raft', 1],
    ['multipaxos', 2],
  ] as const)('%s seed %i replayed as reports: the same verdicts as checkLogRun, nothing found', (algorithm, seed) => {
    const { record } = runLogSeed(config(algorithm), seed);
    const nodes = ['n1', 'n2', 'n3'];
    const { dashboard } = replayAsReports(record, nodes);
    const check = dashboard.check('b1-test', LogRunJudge);
    expect(verdicts(check?.violations ?? [])).toEqual(verdicts(checkLogRun(liveView(record))));
    expect(check?.violations).toEqual([]);
  });

  it('raft-forgets-vote replayed as reports: two leaders in one term on the projector, as in the simulator', { timeout: 60_000 }, () => {
    const record = failingRun(config('raft-forgets-vote', 'crash-restart'), 'election-safety');
    const { dashboard } = replayAsReports(record, ['n1', 'n2', 'n3']);
    const live = verdicts(dashboard.check('b1-test', LogRunJudge)?.violations ?? []);
    expect(live).toEqual(verdicts(checkLogRun(liveView(record))));
    expect(live.some((v) => v.startsWith('election-safety|'))).toBe(true);
  });

  it('a handmade run breaking state-machine safety and exactly-once: both found, as checkLogRun finds them', () => {
    const place = (seq: number, order: string): LogCommand => ({ kind: 'command', client: 'c1', seq, command: { op: 'place', order, item: 'mug' } });
    const term = { kind: 'term', term: 1 } as const;
    const commit = (node: string, index: number, command: LogCommand, step: number): TraceEntry => ({ kind: 'commit', node, incarnation: 0, entries: [{ index, term: 1, command }], step, time: step });
    const record: LogRunRecord = {
      seed: 0,
      epochKind: 'term',
      trace: [
        { kind: 'role', node: 'n1', incarnation: 0, role: 'leader', epoch: term, log: undefined, step: 1, time: 1 },
        commit('n1', 1, place(1, 'A'), 2),
        commit('n2', 1, place(1, 'B'), 3),
        commit('n1', 2, place(1, 'A'), 4),
      ],
      applies: [
        { node: 'n1', incarnation: 0, index: 1, key: 'c1#1', outcome: 'applied', result: '"ok"', step: 2, time: 2 },
        { node: 'n1', incarnation: 0, index: 2, key: 'c1#1', outcome: 'applied', result: '"ok"', step: 4, time: 4 },
      ],
      audits: [],
      reproduce: 'handmade',
    };
    const { dashboard } = replayAsReports(record, ['n1', 'n2', 'n3']);
    const live = verdicts(dashboard.check('b1-test', LogRunJudge)?.violations ?? []);
    expect(live).toEqual(verdicts(checkLogRun(record)));
    expect(live).toContain('state-machine-safety|n1,n2');
    expect(live.some((v) => v.startsWith('exactly-once|'))).toBe(true);
  });

  it('judges each report’s facts once: the work per report does not grow with the history', () => {
    const dashboard = new BookDashboard();
    const book = member(['n1', 'n2', 'n3']);
    dashboard.announce(book);
    const work: number[] = [];
    for (let i = 1; i <= 600; i++) {
      const before = dashboard.judged(book.id);
      const command: LogCommand = { kind: 'command', client: 'c1', seq: i, command: { op: 'place', order: `o${i}`, item: 'mug' } };
      dashboard.applyReport('n1', book.id, report(1, i, { role: 'leader', epoch: { kind: 'term', term: 1 }, commitIndex: i, commits: [{ index: i, epoch: { kind: 'term', term: 1 }, command }], applies: [{ index: i, outcome: 'applied', result: '"ok"' }] }), i);
      expect(dashboard.check(book.id, LogRunJudge)?.violations).toEqual([]);
      work.push(dashboard.judged(book.id) - before);
    }
    // The first report also carries the role change; every later one exactly its commit and its application.
    expect(work[0]).toBe(3);
    expect(new Set(work.slice(1))).toEqual(new Set([2]));
    // Looking again without a new report judges nothing.
    const settled = dashboard.judged(book.id);
    dashboard.check(book.id, LogRunJudge);
    expect(dashboard.judged(book.id)).toBe(settled);
  });
});
