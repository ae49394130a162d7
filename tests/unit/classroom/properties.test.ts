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

  it('says who a blocked decision waits for when that member crashed', () => {
    const members = [
      member('a', { waitingOn: ['c'], waitingFor: 'votes from c' }),
      member('b', { waitingOn: ['c'] }),
      member('c', { liveness: 'crashed' }),
    ];
    const { termination, faultTolerance } = checkProperties({ ...base, members });
    expect(termination.status).toBe('undecided');
    expect(termination.detail).toBe('undecided for 42 s — blocked: waiting for crashed C');
    expect(termination.blockedOn).toEqual(['c']);
    expect(faultTolerance).toMatchObject({ crashed: 1, majorityAlive: true });
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
