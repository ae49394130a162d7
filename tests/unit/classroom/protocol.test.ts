import { describe, expect, it } from 'vitest';
import { parseClassroomMessage } from '../../../src/classroom/protocol.ts';

const decision = {
  id: 'd1-abc',
  seq: 1,
  algorithm: 'paxos',
  scenario: 'colors',
  members: ['ann', 'bob'],
  startedAt: 5,
};
const view = { phase: 'voting', waitingFor: 'votes', decided: null, tally: { red: 1 }, fields: [{ label: 'my vote', value: 'red' }] };

describe('classroom protocol boundary', () => {
  it('accepts each well-formed message', () => {
    expect(parseClassroomMessage({ type: 'decision', decision })).toEqual({ type: 'decision', decision });
    expect(parseClassroomMessage({ type: 'settings', messageDelayMs: 1500 })).toEqual({ type: 'settings', messageDelayMs: 1500 });
    expect(parseClassroomMessage({ type: 'sync' })).toEqual({ type: 'sync' });
    expect(parseClassroomMessage({ type: 'algo', decision: 'd1-abc', message: { type: 'vote', value: 'red' } })).toMatchObject({
      type: 'algo',
    });
    const report = { view, proposed: ['red'], traffic: [{ direction: 'sent', peer: 'bob', kind: 'vote', summary: 'vote red' }], refusals: [], restarted: false };
    const parsed = parseClassroomMessage({ type: 'report', decision: 'd1-abc', report });
    expect(parsed).toMatchObject({ type: 'report', report: { view: { decided: undefined, tally: { red: 1 } } } });
  });

  it.each([
    ['not an object', 'hello'],
    ['an array', [1, 2]],
    ['an unknown type', { type: 'launch-missiles' }],
    ['a prototype key as type', { type: 'constructor' }],
    ['an unknown algorithm', { type: 'decision', decision: { ...decision, algorithm: 'raft2' } }],
    ['duplicate members', { type: 'decision', decision: { ...decision, members: ['ann', 'ann'] } }],
    ['no members', { type: 'decision', decision: { ...decision, members: [] } }],
    ['a hostile member id', { type: 'decision', decision: { ...decision, members: ['<img src=x>'] } }],
    ['a delay beyond the dial', { type: 'settings', messageDelayMs: 3_001 }],
    ['a negative delay', { type: 'settings', messageDelayMs: -1 }],
    ['an algo message that is not an object', { type: 'algo', decision: 'd1-abc', message: 'vote' }],
    ['a report with an oversized value', { type: 'report', decision: 'd1-abc', report: { view: { ...view, decided: 'x'.repeat(41) }, proposed: [], traffic: [], refusals: [], restarted: false } }],
    ['a report with a non-numeric tally', { type: 'report', decision: 'd1-abc', report: { view: { ...view, tally: { red: 'many' } }, proposed: [], traffic: [], refusals: [], restarted: false } }],
  ])('rejects %s', (_what, raw) => {
    expect(parseClassroomMessage(raw)).toBeUndefined();
  });
});

describe('storage trouble and machine refusals in reports', () => {
  const base = { view, proposed: [], traffic: [], restarted: true };

  it('keeps view.storage, report.stopped and the machines\' refusal reasons across the boundary', () => {
    const report = {
      ...base,
      view: { ...view, storage: 'full' },
      stopped: 'storage-full',
      refusals: [
        { peer: 'mallory', reason: 'implausible' },
        { peer: 'mallory', reason: 'unverified-claim' },
      ],
    };
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report })).toMatchObject({
      report: { view: { storage: 'full' }, stopped: 'storage-full', refusals: report.refusals },
    });
    const unreadable = parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: { ...base, refusals: [], view: { ...view, storage: 'unreadable' } } });
    expect(unreadable).toMatchObject({ report: { view: { storage: 'unreadable' } } });
    const fine = parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: { ...base, refusals: [] } });
    expect(fine?.type === 'report' && 'storage' in fine.report.view).toBe(false);
  });

  it('refuses an unknown storage state, stop status or refusal reason', () => {
    for (const report of [
      { ...base, refusals: [], view: { ...view, storage: 'fine-really' } },
      { ...base, refusals: [], stopped: 'bored' },
      { ...base, refusals: [{ peer: 'mallory', reason: 'lying' }] },
    ]) {
      expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report })).toBeUndefined();
    }
  });
});

describe('counts in reports', () => {
  it('refuses a tally count above the members a room can hold', () => {
    const report = (count: number) => ({ view: { ...view, tally: { red: count } }, proposed: [], traffic: [], refusals: [], restarted: false });
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: report(40) })).toBeDefined();
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: report(41) })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: report(2 ** 53 - 1) })).toBeUndefined();
  });
});
