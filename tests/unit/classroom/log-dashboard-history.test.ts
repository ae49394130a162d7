/**
 * What the dashboard's judge hears when its history of a replica does not start at index 1 (the
 * teacher's tab reloaded mid-book, the replica keeps no commits below its snapshot), and where a
 * replica's restored state came from, as its report says (typed, validated at the boundary).
 */
import { describe, expect, it } from 'vitest';
import { BookDashboard, restoreCause } from '../../../src/classroom/log-dashboard.ts';
import { parseLogReport, type BookAnnouncement, type LogReport, type ReportedApply, type ReportedCommit } from '../../../src/classroom/log-protocol.ts';
import { REPORT_VERSION, type NodeReport } from '../../../src/classroom/protocol.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';
import { restoreText } from '../../../src/ui/book/book-model.ts';

const book: BookAnnouncement = { id: 'b1-hist', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: ['n1', 'n2', 'n3'], startedAt: 0 };

const commit = (index: number, client: string, seq: number): ReportedCommit => ({
  index,
  epoch: { kind: 'term', term: 2 },
  command: { kind: 'command', client, seq, command: { op: 'ship', order: `o${seq}` } },
});

function report(options: {
  inc?: number;
  restarted?: boolean;
  full?: boolean;
  commits: ReportedCommit[];
  applies: ReportedApply[];
  extra?: Partial<LogReport>;
}): NodeReport {
  const last = options.commits.at(-1)?.index ?? options.extra?.commitsAfter ?? 0;
  const log: LogReport = {
    role: 'follower',
    epoch: { kind: 'term', term: 2 },
    commitIndex: last,
    lastIndex: last,
    applied: last,
    listenOnly: false,
    window: [],
    commits: options.commits,
    applies: options.applies,
    stateDigest: 'd',
    stateSize: 0,
    rows: [],
    ...options.extra,
  };
  return {
    version: REPORT_VERSION,
    inc: options.inc ?? 1,
    n: 0,
    full: options.full ?? true,
    proposed: [],
    evidence: [],
    steps: [],
    droppedSteps: 0,
    refusals: [],
    restarted: options.restarted ?? false,
    log,
  };
}

/** A reloaded dashboard's first report from a replica that holds commits 101 … 104 only, 104 a retry of c9#1 (first committed before 100). */
function reloadedReport(commitsAfter: number | undefined): NodeReport {
  const commits = [commit(101, 'c1', 1), commit(102, 'c1', 2), commit(103, 'c1', 3), commit(104, 'c9', 1)];
  const applies: ReportedApply[] = [
    { index: 101, outcome: 'applied', result: '"ok"' },
    { index: 102, outcome: 'applied', result: '"ok"' },
    { index: 103, outcome: 'applied', result: '"ok"' },
    { index: 104, outcome: 'duplicate', result: '"shipped"' },
  ];
  return report({ commits, applies, ...(commitsAfter !== undefined ? { extra: { commitsAfter } } : {}) });
}

describe('the dashboard’s history of a replica', () => {
  it('starts after the commits a replica no longer holds: no gap, and a retry answered from its snapshot is no phantom', () => {
    const dashboard = new BookDashboard();
    dashboard.announce(book);
    expect(dashboard.applyReport('n1', book.id, reloadedReport(100), 1_000)).toBe('applied');
    expect(dashboard.check(book.id, LogRunJudge)?.violations).toEqual([]);
    // Without the mark the same report reads as a gap (1 … 100 skipped) and a phantom duplicate.
    const unmarked = new BookDashboard();
    unmarked.announce(book);
    unmarked.applyReport('n1', book.id, reloadedReport(undefined), 1_000);
    const properties = unmarked.check(book.id, LogRunJudge)?.violations.map((v) => v.property);
    expect(properties).toEqual(expect.arrayContaining(['state-machine-safety', 'exactly-once']));
  });

  it('still catches a real duplicate inside its history', () => {
    const dashboard = new BookDashboard();
    dashboard.announce(book);
    dashboard.applyReport('n1', book.id, reloadedReport(100), 1_000);
    // n2, also starting after 100, answers c1#2 as a duplicate at 102, where n1 ran it for the first time.
    dashboard.applyReport('n2', book.id, report({
      commits: [commit(101, 'c1', 1), commit(102, 'c1', 2)],
      applies: [{ index: 101, outcome: 'applied', result: '"ok"' }, { index: 102, outcome: 'duplicate', result: '"ok"' }],
      extra: { commitsAfter: 100 },
    }), 1_100);
    const violations = dashboard.check(book.id, LogRunJudge)?.violations ?? [];
    expect(violations.map((v) => v.property)).toEqual(['exactly-once']);
    expect(violations[0]?.message).toMatch(/n2 answered c1#2 as a duplicate before ever applying it/);
  });

  it('takes the restore’s cause from the report, not from a guess, and shows it', () => {
    const dashboard = new BookDashboard();
    dashboard.announce(book);
    // A reopened tab whose stored log was behind the leader's snapshot: its first restore is an
    // install, which the old guess ("restarted, first restore") called a restart.
    const installed = report({ inc: 7, restarted: true, commits: [commit(41, 'c1', 1)], applies: [{ index: 41, outcome: 'applied', result: '"ok"' }], extra: { restored: { index: 40, count: 1, cause: 'install' } } });
    expect(parseLogReport(installed.log)).toEqual(installed.log);
    dashboard.applyReport('n3', book.id, installed, 1_000);
    const restored = dashboard.record(book.id)?.members.get('n3')?.log.restored;
    expect(restored).toEqual({ index: 40, count: 1, cause: 'install' });
    expect(restoreText(restored as NonNullable<typeof restored>)).toBe('installed a snapshot a peer sent (entries 1–40)');
    expect(restoreText({ index: 1200, cause: 'restart' })).toBe('restarted from its own stored snapshot (entries 1–1,200)');
    // A replica older than the field says nothing: the dashboard infers, as it did.
    expect(restoreCause({ index: 40, count: 1 }, true)).toBe('restart');
    expect(restoreCause({ index: 40, count: 2 }, true)).toBe('install');
    expect(restoreCause({ index: 40, count: 1, cause: 'install' }, true)).toBe('install');
    dashboard.applyReport('n2', book.id, report({ inc: 8, restarted: true, commits: [], applies: [], extra: { restored: { index: 40, count: 1 } } }), 1_000);
    expect(dashboard.record(book.id)?.members.get('n2')?.log.restored?.cause).toBe('restart');
  });

  it('refuses a cause or a history start no replica sends', () => {
    const base = reloadedReport(100).log as LogReport;
    expect(parseLogReport({ ...base, restored: { index: 40, count: 1, cause: 'reboot' } })).toBeUndefined();
    expect(parseLogReport({ ...base, restored: { index: 40, count: 1, cause: 'x'.repeat(10_000) } })).toBeUndefined();
    expect(parseLogReport({ ...base, commitsAfter: 0 })).toBeUndefined();
    expect(parseLogReport({ ...base, commitsAfter: base.applied + 1 })).toBeUndefined();
    expect(parseLogReport({ ...base, commitsAfter: 30, restored: { index: 40, count: 1, cause: 'restart' } })).toBeUndefined();
    expect(parseLogReport({ ...base, commitsAfter: 2.5 })).toBeUndefined();
    expect(parseLogReport(base)?.commitsAfter).toBe(100);
  });
});
