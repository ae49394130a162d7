/** The dashboard model's bounds against a hostile member's reports. */
import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../../src/classroom/dashboard.ts';
import type { DecisionAnnouncement, NodeReport } from '../../../src/classroom/protocol.ts';
import { DECISION_EVIDENCE_GRACE_MS, MAX_FEED_LINES, MAX_KNOWN_PEERS } from '../../../src/limits.ts';
import type { Value } from '../../../src/core/types.ts';

const decision: DecisionAnnouncement = {
  id: 'd1-abc',
  seq: 1,
  algorithm: 'majority',
  scenario: 'colors',
  members: ['n1', 'n2', 'n3'],
  startedAt: 0,
};

function reportRefusing(peers: readonly string[]): NodeReport {
  return {
    version: 1,
    inc: 1,
    n: 0,
    full: true,
    view: { phase: 'voting', waitingFor: 'votes', decided: undefined, tally: {}, fields: [] },
    proposed: [],
    evidence: [],
    steps: [],
    droppedSteps: 0,
    refusals: peers.map((peer) => ({ peer, reason: 'malformed' as const })),
    restarted: false,
  };
}

describe('dashboard model bounds', () => {
  it('flags only peers the room has seen when a member reports a refusal', () => {
    const model = new DashboardModel();
    model.announce(decision);
    model.learnNames([{ id: 'x9', name: 'Mallory', role: 'student', status: 'connected' }]);
    model.applyReport('n1', decision.id, reportRefusing(['x9', 'made-up-1', 'made-up-2']), 10);
    // One member's report is its claim; only known peers can be named in it.
    expect(model.flaggedPeers()).toEqual([]);
    expect(model.claims().map((c) => [c.reporter, c.accused])).toEqual([['n1', 'x9']]);
  });

  it('keeps at most MAX_KNOWN_PEERS flagged peers, forgetting the quietest', () => {
    const model = new DashboardModel();
    for (let i = 0; i <= MAX_KNOWN_PEERS; i++) model.flag(`p${i}`, 'malformed', i);
    const flagged = model.flaggedPeers().map((f) => f.peer);
    expect(flagged).toHaveLength(MAX_KNOWN_PEERS);
    expect(flagged).not.toContain('p0');
    expect(flagged).toContain(`p${MAX_KNOWN_PEERS}`);
  });

  it('flags a peer that more than f members report independently, with who reported it', () => {
    const model = new DashboardModel();
    model.announce(decision); // 3 members: f = 1
    model.learnNames([{ id: 'n3', name: 'Cat', role: 'student', status: 'connected' }]);
    model.applyReport('n1', decision.id, reportRefusing(['n3']), 10);
    expect(model.flaggedPeers()).toEqual([]);
    model.applyReport('n2', decision.id, { ...reportRefusing(['n3']), n: 1 }, 11);
    expect(model.flaggedPeers()).toMatchObject([{ peer: 'n3', evidence: 'members', reporters: ['n1', 'n2'], counts: { malformed: 2 } }]);
    expect(model.claims()).toEqual([]);
  });

  it('a forged report cannot list honest peers as flagged, however often it repeats', () => {
    const model = new DashboardModel();
    model.announce(decision);
    model.learnNames(['n1', 'n2'].map((id) => ({ id, name: id, role: 'student' as const, status: 'connected' as const })));
    for (let i = 0; i < 100; i++) model.applyReport('n3', decision.id, { ...reportRefusing(['n1', 'n2']), n: i }, i);
    expect(model.flaggedPeers()).toEqual([]);
    expect(model.claims().map((c) => [c.reporter, c.accused, c.counts.malformed])).toEqual([
      ['n3', 'n1', 100],
      ['n3', 'n2', 100],
    ]);
  });
});

/** A report of `member` that sent `kind` carrying `value` to every member, and possibly decided. */
function stepReport(n: number, kind: string, value: Value, decided?: Value): NodeReport {
  return {
    ...reportRefusing([]),
    n,
    full: false,
    view: { phase: decided ? 'decided' : 'accepting', waitingFor: '', decided, tally: {}, fields: [] },
    steps: [
      {
        at: n,
        cause: { kind: 'timer' },
        sent: [{ to: ['n1', 'n2', 'n3'], firstSeq: 1, kind, summary: `${kind} ${value}`, value }],
        persisted: true,
        ...(decided !== undefined ? { decided } : {}),
      },
    ],
  };
}

describe('lies on the dashboard', () => {
  const paxos: DecisionAnnouncement = { ...decision, id: 'd2-pax', seq: 2, algorithm: 'paxos' };

  it('does not believe a decision with no quorum of accepted reports behind it: it is a claim', () => {
    const model = new DashboardModel();
    model.announce(paxos);
    // n3 claims "red" was chosen; only n3 itself says it accepted red.
    model.applyReport('n3', paxos.id, stepReport(0, 'accepted', 'red', 'red'), 1_000);
    // n1 and n2 really accepted blue and decided it.
    model.applyReport('n1', paxos.id, stepReport(0, 'accepted', 'blue', 'blue'), 1_000);
    model.applyReport('n2', paxos.id, stepReport(0, 'accepted', 'blue', 'blue'), 1_000);
    const early = model.judge(paxos.id, 1_000 + DECISION_EVIDENCE_GRACE_MS - 1);
    expect(early?.believed).toEqual([{ value: 'blue', members: ['n1', 'n2'] }]);
    expect(early?.pending).toEqual([{ member: 'n3', value: 'red', missing: 'no-quorum-accepted' }]);
    const late = model.judge(paxos.id, 1_000 + DECISION_EVIDENCE_GRACE_MS);
    expect(late?.claims).toEqual([{ member: 'n3', value: 'red', missing: 'no-quorum-accepted' }]);
    // No Agreement violation: only believed decisions count.
    const properties = model.properties(paxos.id, () => 'up', 1_000 + DECISION_EVIDENCE_GRACE_MS);
    expect(properties?.agreement.status).toBe('ok');
  });

  it('believes a decision once a quorum of members report accepting it, whoever reports first', () => {
    const model = new DashboardModel();
    model.announce(paxos);
    model.applyReport('n1', paxos.id, stepReport(0, 'accepted', 'blue', 'blue'), 0);
    expect(model.judge(paxos.id, 0)?.believed).toEqual([]);
    model.applyReport('n2', paxos.id, stepReport(0, 'accepted', 'blue'), 5);
    expect(model.judge(paxos.id, 5)?.believed).toEqual([{ value: 'blue', members: ['n1'] }]);
  });

  it('majority voting: believed only when the reported votes decide it', () => {
    const model = new DashboardModel();
    model.announce(decision); // majority, 3 members
    model.applyReport('n1', decision.id, stepReport(0, 'vote', 'red', 'green'), 0);
    model.applyReport('n2', decision.id, stepReport(0, 'vote', 'red'), 0);
    const j = model.judge(decision.id, DECISION_EVIDENCE_GRACE_MS);
    expect(j?.claims).toEqual([{ member: 'n1', value: 'green', missing: 'votes-do-not-decide' }]);
    model.applyReport('n1', decision.id, stepReport(1, 'vote', 'red', 'red'), 1);
    expect(model.judge(decision.id, DECISION_EVIDENCE_GRACE_MS)?.believed).toEqual([{ value: 'red', members: ['n1'] }]);
  });
});

describe('a flood of valid reports', () => {
  it('applies 10,000 reports in O(report) each and builds the frame snapshot once per frame', () => {
    const big: DecisionAnnouncement = {
      ...decision,
      id: 'd3-big',
      seq: 3,
      members: Array.from({ length: 40 }, (_, i) => `m${i}`),
    };
    const model = new DashboardModel();
    model.announce(big);
    const startedAt = performance.now();
    let frames = 0;
    let frameMs = 0;
    for (let i = 0; i < 10_000; i++) {
      const from = big.members[i % big.members.length]!;
      model.applyReport(from, big.id, stepReport(i, 'vote', `v${i % 7}`), i);
      // A frame every 40 reports (a 40-node room where every member reports every frame).
      if (i % 40 === 39) {
        const frameStart = performance.now();
        const snapshot = model.decision(big.id);
        expect(model.decision(big.id)).toBe(snapshot); // unchanged: not rebuilt
        model.judge(big.id, i);
        model.properties(big.id, () => 'up', i);
        frameMs += performance.now() - frameStart;
        frames++;
      }
    }
    const totalMs = performance.now() - startedAt;
    const record = model.decision(big.id);
    expect(record?.feed).toHaveLength(MAX_FEED_LINES);
    expect(record?.feed.at(-1)?.summary).toBe('vote v3'); // 9999 % 7 = 3
    expect(frames).toBe(250);
    // Generous bounds for a shared 2-core machine: the old model copied the member map and the
    // feed per report (and took ~12 ms a report in a browser); this is ~µs per report. A frame's
    // judge and properties of 40 members take well under 1 ms when quiet; 5 ms was once missed
    // (5.07) at a load average of ~40, so the bound is 10 ms, still far below a frame budget.
    expect(totalMs).toBeLessThan(3_000);
    expect(frameMs / frames).toBeLessThan(10);
  });
});
