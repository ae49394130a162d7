/** The dashboard model's bounds against a hostile member's reports. */
import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../../src/classroom/dashboard.ts';
import type { DecisionAnnouncement, NodeReport } from '../../../src/classroom/protocol.ts';
import { MAX_KNOWN_PEERS } from '../../../src/limits.ts';

const decision: DecisionAnnouncement = {
  id: 'd1-abc',
  seq: 1,
  algorithm: 'majority',
  scenario: 'colors',
  members: ['n1', 'n2'],
  startedAt: 0,
};

function reportRefusing(peers: readonly string[]): NodeReport {
  return {
    view: { phase: 'voting', waitingFor: 'votes', decided: undefined, tally: {}, fields: [] },
    proposed: [],
    traffic: [],
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
    expect(model.flaggedPeers().map((f) => f.peer)).toEqual(['x9']);
  });

  it('keeps at most MAX_KNOWN_PEERS flagged peers, forgetting the quietest', () => {
    const model = new DashboardModel();
    for (let i = 0; i <= MAX_KNOWN_PEERS; i++) model.flag(`p${i}`, 'malformed', i);
    const flagged = model.flaggedPeers().map((f) => f.peer);
    expect(flagged).toHaveLength(MAX_KNOWN_PEERS);
    expect(flagged).not.toContain('p0');
    expect(flagged).toContain(`p${MAX_KNOWN_PEERS}`);
  });
});
