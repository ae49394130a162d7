import { describe, expect, it } from 'vitest';
import type { DecisionJudgement } from '../../../src/classroom/evidence.ts';
import { checkProperties, type MemberObservation } from '../../../src/classroom/properties.ts';
import { parseClassroomMessage } from '../../../src/classroom/protocol.ts';
import { safetyVerdict, verdictKey } from '../../../src/classroom/verdict.ts';
import { pastDecisionText, verdictAlarm } from '../../../src/ui/classroom/phone-texts.ts';

const NAMES: Record<string, string> = { a: 'Ann', b: 'Bob', c: 'Cy' };
const nameOf = (p: string) => NAMES[p] ?? p;

function member(id: string, decided: string[]): MemberObservation {
  return { id, name: nameOf(id), liveness: 'up', decidedValues: decided, decidedAtMs: 1, waitingOn: [], waitingFor: '', tally: {} };
}

describe('the verdict the teacher’s screen sends to phones', () => {
  const members = [member('a', ['red']), member('b', ['red']), member('c', ['blue'])];
  const judgement: DecisionJudgement = {
    believed: [
      { value: 'red', members: ['a', 'b'] },
      { value: 'blue', members: ['c'] },
    ],
    pending: [],
    claims: [],
  };

  it('is sent when Agreement breaks, and not while safety holds', () => {
    const broken = checkProperties({ algorithm: 'impatient-tiebreak', members, proposed: new Set(['red', 'blue']), startedAtMs: 0, nowMs: 5_000 });
    const verdict = safetyVerdict(broken, judgement);
    expect(verdict).toEqual({ broken: ['Agreement'], decided: judgement.believed, unproposed: [] });
    const fine = checkProperties({ members: members.slice(0, 2), proposed: new Set(['red']), startedAtMs: 0, nowMs: 5_000 });
    expect(safetyVerdict(fine, { ...judgement, believed: judgement.believed.slice(0, 1) })).toBeUndefined();
    // The same finding is the same key (sent once); a new decider changes it.
    expect(verdictKey(verdict!)).toBe(verdictKey({ ...verdict!, decided: [judgement.believed[0]!, judgement.believed[1]!] }));
    expect(verdictKey(verdict!)).not.toBe(verdictKey({ ...verdict!, decided: [{ value: 'red', members: ['a'] }, judgement.believed[1]!] }));
  });

  it('crosses the wire validated, and hostile shapes are refused', () => {
    const verdict = { broken: ['Agreement'], decided: [{ value: 'red', members: ['a'] }], unproposed: [] };
    expect(parseClassroomMessage({ type: 'verdict', decision: 'd1-abc', verdict })).toEqual({ type: 'verdict', decision: 'd1-abc', verdict });
    expect(parseClassroomMessage({ type: 'verdict', decision: 'd1-abc', verdict: { ...verdict, broken: [] } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'verdict', decision: 'd1-abc', verdict: { ...verdict, broken: ['Liveness'] } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'verdict', decision: 'd1-abc', verdict: { ...verdict, decided: [{ value: 7, members: [] }] } })).toBeUndefined();
  });

  it('makes every phone say it loudly, with what its own node decided', () => {
    const verdict = { broken: ['Agreement' as const], decided: judgement.believed, unproposed: [] };
    expect(verdictAlarm(verdict, 'c', 'blue', nameOf)).toEqual({
      headline: 'AGREEMENT BROKEN',
      mine: 'Your node decided “blue”.',
      detail: 'Ann, Bob decided “red”; you decided “blue”. Agreement means every node decides the same value.',
    });
    expect(verdictAlarm(verdict, 'x', undefined, nameOf).mine).toBe('Your node has not decided.');
    const both = { broken: ['Agreement' as const, 'Validity' as const], decided: judgement.believed, unproposed: ['blue'] };
    const alarm = verdictAlarm(both, 'a', 'red', nameOf);
    expect(alarm.headline).toBe('AGREEMENT AND VALIDITY BROKEN');
    expect(alarm.detail).toContain('“blue” was decided, but nobody proposed it.');
  });
});

describe('earlier decisions on a phone', () => {
  it('says what my node decided there, not "not a member"', () => {
    expect(pastDecisionText({ member: true, known: true, decided: 'red' }, undefined)).toBe('you decided “red”');
    expect(pastDecisionText({ member: true, known: true, decided: undefined }, undefined)).toBe('you took part; your node did not decide');
    expect(pastDecisionText({ member: true, known: false, decided: undefined }, undefined)).toContain('you took part');
    expect(pastDecisionText({ member: false }, undefined)).toBe('not a member');
    const verdict = { broken: ['Agreement' as const], decided: [], unproposed: [] };
    expect(pastDecisionText({ member: true, known: true, decided: 'blue' }, verdict)).toBe('you decided “blue” — Agreement broken');
  });
});
