/**
 * The projector's election countdown (BookDashboard + electionLeftMs) stands still while the
 * teacher's pause freezes every node's clock, and runs on from what it had left on resume.
 */
import { describe, expect, it } from 'vitest';
import { BookDashboard, electionLeftMs } from '../../../src/classroom/log-dashboard.ts';
import type { BookAnnouncement } from '../../../src/classroom/log-protocol.ts';
import { REPORT_VERSION, type NodeReport } from '../../../src/classroom/protocol.ts';

const book: BookAnnouncement = { id: 'b1-test', seq: 1, algorithm: 'raft', stateMachine: 'orders', members: ['n1', 'n2'], startedAt: 0 };

function report(n: number, electionInMs: number | undefined): NodeReport {
  return {
    version: REPORT_VERSION,
    inc: 1,
    n,
    full: false,
    proposed: [],
    evidence: [],
    steps: [],
    droppedSteps: 0,
    refusals: [],
    restarted: false,
    log: {
      role: 'follower',
      epoch: { kind: 'term', term: 1 },
      commitIndex: 0,
      lastIndex: 0,
      applied: 0,
      listenOnly: false,
      window: [],
      ...(electionInMs === undefined ? {} : { electionInMs }),
      commits: [],
      applies: [],
      stateDigest: 'd',
      stateSize: 0,
      rows: [],
    },
  };
}

function leftAt(dashboard: BookDashboard, peer: string, nowMs: number): number | undefined {
  const member = dashboard.record(book.id)?.members.get(peer);
  if (member === undefined) throw new Error(`no report from ${peer}`);
  return electionLeftMs(member, nowMs);
}

describe('the projector’s election countdown', () => {
  it('runs down between reports while the room runs', () => {
    const d = new BookDashboard();
    d.announce(book);
    d.applyReport('n1', book.id, report(1, 3000), 1000);
    expect(leftAt(d, 'n1', 1000)).toBe(3000);
    expect(leftAt(d, 'n1', 2500)).toBe(1500);
    expect(leftAt(d, 'n1', 9000)).toBe(0);
  });

  it('stands still while paused and resumes from the time it had left', () => {
    const d = new BookDashboard();
    d.announce(book);
    d.applyReport('n1', book.id, report(1, 3000), 1000);
    const before = d.version(book.id);
    d.setPaused(true, 2000);
    expect(d.version(book.id)).toBeGreaterThan(before); // the board re-renders with the frozen value
    expect(leftAt(d, 'n1', 2000)).toBe(2000);
    expect(leftAt(d, 'n1', 60_000)).toBe(2000); // a long talk changes nothing
    d.setPaused(false, 60_000);
    expect(leftAt(d, 'n1', 60_000)).toBe(2000);
    expect(leftAt(d, 'n1', 61_500)).toBe(500);
  });

  it('a report that arrives during the pause carries its node’s frozen time, which stays put', () => {
    const d = new BookDashboard();
    d.announce(book);
    d.setPaused(true, 500);
    d.applyReport('n2', book.id, report(1, 1200), 700);
    expect(leftAt(d, 'n2', 700)).toBe(1200);
    expect(leftAt(d, 'n2', 30_000)).toBe(1200);
    d.setPaused(false, 30_000);
    expect(leftAt(d, 'n2', 30_200)).toBe(1000);
  });

  it('a member with no election timer (a leader) shows none, paused or not', () => {
    const d = new BookDashboard();
    d.announce(book);
    d.applyReport('n1', book.id, report(1, undefined), 0);
    d.setPaused(true, 10);
    expect(leftAt(d, 'n1', 20)).toBeUndefined();
    d.setPaused(false, 30);
    expect(leftAt(d, 'n1', 40)).toBeUndefined();
  });

  it('pausing twice keeps the first freeze (a repeated broadcast does not reset it)', () => {
    const d = new BookDashboard();
    d.announce(book);
    d.applyReport('n1', book.id, report(1, 3000), 0);
    d.setPaused(true, 1000);
    d.setPaused(true, 2500);
    expect(leftAt(d, 'n1', 2500)).toBe(2000);
  });
});
