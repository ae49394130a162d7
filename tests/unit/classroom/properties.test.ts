import { describe, expect, it } from 'vitest';
import { checkProperties, VALIDITY_GRACE_MS, type MemberObservation } from '../../../src/classroom/properties.ts';

function member(id: string, over: Partial<MemberObservation> = {}): MemberObservation {
  return {
    id,
    name: id.toUpperCase(),
    liveness: 'up',
    decidedValues: [],
    decidedAtMs: undefined,
    waitingOn: [],
    waitingFor: 'nothing',
    tally: {},
    ...over,
  };
}

const base = { proposed: new Set(['red', 'blue']), startedAtMs: 0, nowMs: 42_000 };

describe('live property checks', () => {
  it('reports agreement, validity and termination when every live member decided the same proposed value', () => {
    const members = ['a', 'b', 'c'].map((id) => member(id, { decidedValues: ['red'], decidedAtMs: 1_000 }));
    const report = checkProperties({ ...base, members });
    expect(report.agreement.status).toBe('ok');
    expect(report.validity.status).toBe('ok');
    expect(report.termination.status).toBe('decided');
    expect(report.faultTolerance).toMatchObject({ crashed: 0, members: 3, majorityAlive: true });
  });

  it('names the nodes that disagree', () => {
    const members = [
      member('a', { decidedValues: ['red'], decidedAtMs: 1 }),
      member('b', { decidedValues: ['blue'], decidedAtMs: 1 }),
      member('c'),
    ];
    const { agreement } = checkProperties({ ...base, members });
    expect(agreement.status).toBe('violated');
    expect(agreement.detail).toContain('A decided "red"');
    expect(agreement.detail).toContain('B decided "blue"');
    expect(agreement.decisions.map((d) => d.node).sort()).toEqual(['a', 'b']);
  });

  it('counts a node that changed its decision as a disagreement with itself', () => {
    const members = [member('a', { decidedValues: ['red', 'blue'], decidedAtMs: 1 })];
    expect(checkProperties({ ...base, members }).agreement.status).toBe('violated');
  });

  it('flags an unproposed decided value only after the grace period', () => {
    const members = [member('a', { decidedValues: ['green'], decidedAtMs: 40_000 })];
    expect(checkProperties({ ...base, members, nowMs: 40_000 + VALIDITY_GRACE_MS - 1 }).validity.status).toBe('pending');
    const late = checkProperties({ ...base, members, nowMs: 40_000 + VALIDITY_GRACE_MS });
    expect(late.validity.status).toBe('violated');
    expect(late.validity.unproposed).toEqual(['green']);
  });

  it('says who a blocked decision waits for when the algorithm cannot do without that member', () => {
    const members = [
      member('a', { waitingOn: ['c'], waitingFor: 'votes from c' }),
      member('b', { waitingOn: ['c'] }),
      member('c', { liveness: 'crashed' }),
    ];
    // Tiebreak needs every vote: one crash blocks it.
    const { termination, faultTolerance } = checkProperties({ ...base, algorithm: 'tiebreak', members });
    expect(termination.status).toBe('undecided');
    expect(termination.progress).toBe('blocked');
    expect(termination.detail).toBe('undecided for 42 s — blocked: waiting for crashed C');
    expect(termination.blockedOn).toEqual(['c']);
    expect(faultTolerance).toMatchObject({ crashed: 1, majorityAlive: true, canTerminate: false });
  });

  it('a big room waiting on everyone names a few and counts the rest, and a node waiting on its own vote says "itself"', () => {
    const ids = Array.from({ length: 33 }, (_, i) => `m${i + 1}`);
    const members = ids.map((id, i) => member(id, i === 0 ? { waitingOn: ids, waitingFor: 'votes' } : {}));
    const { termination } = checkProperties({ ...base, algorithm: 'majority', members });
    expect(termination.progress).toBe('waiting');
    expect(termination.detail).toBe('undecided for 42 s — M1 is waiting for itself, M2, M3, M4 and 29 more');
    // Four names are listed whole.
    const few = ids.slice(0, 4).map((id, i) => member(id, i === 0 ? { waitingOn: ['m2', 'm3', 'm4'] } : {}));
    expect(checkProperties({ ...base, algorithm: 'majority', members: few }).termination.detail).toBe('undecided for 42 s — M1 is waiting for M2, M3, M4');
  });

  it('paxos with 2 of 5 crashed is not blocked: it is retrying, and survives no more crash', () => {
    const members = [
      member('a', { waitingOn: ['d', 'e'], waitingFor: 'promises from d, e' }),
      member('b'),
      member('c'),
      member('d', { liveness: 'crashed' }),
      member('e', { liveness: 'crashed' }),
    ];
    const { termination, faultTolerance } = checkProperties({ ...base, algorithm: 'paxos', members });
    expect(termination.status).toBe('undecided');
    expect(termination.progress).toBe('retrying');
    expect(termination.detail).not.toContain('blocked');
    expect(termination.detail).toContain('retrying: D, E crashed, but 3 of 5 live members can still decide');
    expect(termination.blockedOn).toEqual([]);
    expect(faultTolerance).toMatchObject({ crashed: 2, canTerminate: true, survivesMore: 0 });
    // One more crash and Paxos truly cannot progress.
    const worse = checkProperties({ ...base, algorithm: 'paxos', members: members.map((m) => (m.id === 'c' ? { ...m, liveness: 'crashed' } : m)) });
    expect(worse.termination.progress).toBe('blocked');
    expect(worse.faultTolerance.canTerminate).toBe(false);
  });

  it('judges fault tolerance by the algorithm: the coordinator’s crash blocks the coordinator algorithm only', () => {
    const members = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => member(id));
    const crash = (id: string) => members.map((m) => (m.id === id ? { ...m, liveness: 'crashed' as const } : m));
    expect(checkProperties({ ...base, algorithm: 'coordinator', members: crash('n1') }).faultTolerance).toMatchObject({
      canTerminate: true,
      survivesMore: 3,
    });
    const coordinatorDown = checkProperties({ ...base, algorithm: 'coordinator', members: crash('n5') });
    expect(coordinatorDown.faultTolerance.canTerminate).toBe(false);
    expect(coordinatorDown.termination.progress).toBe('blocked');
    expect(coordinatorDown.termination.blockedOn).toEqual(['n5']);
    // Paxos does not care which one crashed.
    expect(checkProperties({ ...base, algorithm: 'paxos', members: crash('n5') }).faultTolerance).toMatchObject({
      canTerminate: true,
      survivesMore: 1,
    });
    expect(checkProperties({ ...base, algorithm: 'tiebreak', members: crash('n1') }).faultTolerance.canTerminate).toBe(false);
    expect(checkProperties({ ...base, algorithm: 'impatient-tiebreak', members: crash('n1') }).faultTolerance.canTerminate).toBe(true);
  });

  it('recognises a split vote that can never finish', () => {
    const tally = { red: 2, blue: 2, green: 1 };
    const members = ['a', 'b', 'c', 'd', 'e'].map((id) => member(id, { tally }));
    const { termination } = checkProperties({ ...base, members });
    expect(termination.detail).toContain('split vote (red 2 / blue 2 / green 1): no value can reach 3');
  });

  it('knows when no majority is alive', () => {
    const members = [member('a'), member('b', { liveness: 'crashed' }), member('c', { liveness: 'crashed' })];
    const { faultTolerance } = checkProperties({ ...base, members });
    expect(faultTolerance.majorityAlive).toBe(false);
    expect(faultTolerance.detail).toContain('fewer than a majority (2)');
  });
});
