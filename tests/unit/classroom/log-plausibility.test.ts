/**
 * Multi-Paxos reports checked for lies no message could have produced (log-plausibility.ts):
 * each rule on a handmade report, honest reports of a real run pass, and the dashboard does not
 * believe an implausible report (the member's last believable state stays, the claim is listed).
 */
import { describe, expect, it } from 'vitest';
import { BookDashboard } from '../../../src/classroom/log-dashboard.ts';
import { implausibleMultiPaxos, implausibleText } from '../../../src/classroom/log-plausibility.ts';
import type { LogReport } from '../../../src/classroom/log-protocol.ts';
import { REPORT_VERSION, type NodeReport } from '../../../src/classroom/protocol.ts';
import { MAX_ROUND_FLAG_STEP } from '../../../src/limits.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';

const MEMBERS = ['n1', 'n2', 'n3'];
const honest: LogReport = {
  role: 'follower',
  epoch: { kind: 'ballot', ballot: { round: 3, node: 'n2' } },
  leader: 'n2',
  commitIndex: 2,
  lastIndex: 3,
  applied: 2,
  listenOnly: false,
  window: [
    { index: 1, epoch: { kind: 'ballot', ballot: { round: 1, node: 'n1' } }, command: { kind: 'noop' }, state: 'committed' },
    { index: 3, epoch: { kind: 'ballot', ballot: { round: 3, node: 'n2' } }, command: { kind: 'noop' }, state: 'uncommitted' },
  ],
  commits: [],
  applies: [],
  stateDigest: 'd',
  stateSize: 0,
  rows: [],
};

const kinds = (log: LogReport, othersHighest = 3) => implausibleMultiPaxos(log, MEMBERS, othersHighest).map((p) => p.kind);

describe('Multi-Paxos report plausibility', () => {
  it('believes an honest report, and a new round one above what the others used', () => {
    expect(kinds(honest)).toEqual([]);
    expect(kinds({ ...honest, role: 'candidate', epoch: { kind: 'ballot', ballot: { round: 4, node: 'n3' } } })).toEqual([]);
    // Before anyone reported, the first ballots are plausible too; a Raft report is not judged here.
    expect(kinds({ ...honest, epoch: { kind: 'ballot', ballot: { round: 1, node: 'n1' } } }, 0)).toEqual([]);
    expect(kinds({ ...honest, epoch: { kind: 'term', term: 10 ** 9 } })).toEqual([]);
  });

  it('refuses a ballot no member chose, a round jump, a commit beyond the log, applies beyond the commit, an entry beyond the log', () => {
    expect(kinds({ ...honest, epoch: { kind: 'ballot', ballot: { round: 3, node: 'mallory' } } })).toEqual(['ballot-of-stranger']);
    expect(kinds({ ...honest, epoch: { kind: 'ballot', ballot: { round: 3 + MAX_ROUND_FLAG_STEP + 1, node: 'n3' } } })).toEqual(['round-jump']);
    expect(kinds({ ...honest, epoch: { kind: 'ballot', ballot: { round: 3 + MAX_ROUND_FLAG_STEP, node: 'n3' } } })).toEqual([]);
    expect(kinds({ ...honest, commitIndex: 4, applied: 2 })).toEqual(['commit-beyond-log']);
    expect(kinds({ ...honest, applied: 3 })).toEqual(['applied-beyond-commit']);
    expect(kinds({ ...honest, window: [...honest.window, { ...honest.window[1]!, index: 9 }] })).toEqual(['entry-beyond-log']);
    for (const problem of implausibleMultiPaxos({ ...honest, commitIndex: 7, applied: 8, epoch: { kind: 'ballot', ballot: { round: 2 ** 40, node: 'x' } } }, MEMBERS, 3)) {
      expect(implausibleText(problem).length).toBeGreaterThan(10);
    }
  });

  it('the dashboard keeps the last believable state, lists the claim, and believes the member again once it reports plausibly', () => {
    const dashboard = new BookDashboard();
    dashboard.announce({ id: 'b1-x', seq: 1, algorithm: 'multipaxos', stateMachine: 'orders', members: MEMBERS, startedAt: 0 });
    const report = (log: LogReport, n: number): NodeReport => ({ version: REPORT_VERSION, inc: 1, n, full: false, proposed: [], evidence: [], steps: [], droppedSteps: 0, refusals: [], restarted: false, log });
    expect(dashboard.applyReport('n1', 'b1-x', report({ ...honest, epoch: { kind: 'ballot', ballot: { round: 3, node: 'n2' } } }, 0), 1)).toBe('applied');
    expect(dashboard.applyReport('n3', 'b1-x', report({ ...honest, epoch: { kind: 'ballot', ballot: { round: 2 ** 40, node: 'n3' } }, commitIndex: 50 }, 0), 2)).toBe('implausible');
    const check = dashboard.check('b1-x', LogRunJudge);
    expect(check?.claims.map((c) => [c.member, c.problems.map((p) => p.kind)])).toEqual([['n3', ['round-jump', 'commit-beyond-log']]]);
    expect(check?.committed).toBe(2);
    expect(dashboard.record('b1-x')?.members.has('n3')).toBe(false);
    expect(dashboard.applyReport('n3', 'b1-x', report(honest, 1), 3)).toBe('applied');
    expect(dashboard.check('b1-x', LogRunJudge)?.claims).toEqual([]);
    expect(dashboard.applyReport('mallory', 'b1-x', report(honest, 0), 4)).toBe('not-a-member');
  });
});
