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
const step = {
  at: 12,
  cause: { kind: 'receive', from: 'bob', id: { inc: 9, seq: 4 } },
  sent: [{ to: ['ann', 'bob'], firstSeq: 3, kind: 'vote', summary: 'vote value red', value: 'red' }],
  persisted: true,
};
const report = {
  version: 1,
  inc: 5,
  n: 0,
  full: true,
  seed: 42,
  view,
  proposed: ['red'],
  evidence: [{ kind: 'vote', value: 'red' }],
  steps: [step, { at: 13, cause: { kind: 'timer' }, sent: [], persisted: false, decided: 'red' }],
  droppedSteps: 0,
  refusals: [],
  restarted: false,
};

describe('classroom protocol boundary', () => {
  it('accepts each well-formed message', () => {
    expect(parseClassroomMessage({ type: 'decision', decision })).toEqual({ type: 'decision', decision });
    expect(parseClassroomMessage({ type: 'settings', messageDelayMs: 1500 })).toEqual({ type: 'settings', messageDelayMs: 1500 });
    expect(parseClassroomMessage({ type: 'sync' })).toEqual({ type: 'sync' });
    expect(
      parseClassroomMessage({ type: 'algo', decision: 'd1-abc', id: { inc: 7, seq: 1 }, message: { type: 'vote', value: 'red' } }),
    ).toMatchObject({ type: 'algo', id: { inc: 7, seq: 1 } });
    const parsed = parseClassroomMessage({ type: 'report', decision: 'd1-abc', report });
    expect(parsed).toMatchObject({ type: 'report', report: { view: { decided: undefined, tally: { red: 1 } } } });
    expect(parsed).toEqual({ type: 'report', decision: 'd1-abc', report: { ...report, view: { ...view, decided: undefined } } });
    // A delta needs no view (nothing changed) and may carry only steps.
    const delta = { ...report, n: 1, full: false, view: undefined, seed: undefined, proposed: [] };
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: delta })).toMatchObject({ type: 'report' });
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
    ['an algo message without an id', { type: 'algo', decision: 'd1-abc', message: { type: 'vote', value: 'red' } }],
    ['an algo message with a fractional sequence number', { type: 'algo', decision: 'd1-abc', id: { inc: 1, seq: 1.5 }, message: {} }],
    ['a report with an oversized value', { type: 'report', decision: 'd1-abc', report: { ...report, view: { ...view, decided: 'x'.repeat(41) } } }],
    ['a report with a non-numeric tally', { type: 'report', decision: 'd1-abc', report: { ...report, view: { ...view, tally: { red: 'many' } } } }],
    ['a report of another version', { type: 'report', decision: 'd1-abc', report: { ...report, version: 2 } }],
    ['a full report without a view', { type: 'report', decision: 'd1-abc', report: { ...report, view: undefined } }],
    ['a report with too many steps', { type: 'report', decision: 'd1-abc', report: { ...report, steps: Array(513).fill(step) } }],
    ['a step sent to nobody', { type: 'report', decision: 'd1-abc', report: { ...report, steps: [{ ...step, sent: [{ ...step.sent[0], to: [] }] }] } }],
    ['a step with a hostile recipient', { type: 'report', decision: 'd1-abc', report: { ...report, steps: [{ ...step, sent: [{ ...step.sent[0], to: ['<b>'] }] }] } }],
    ['a step with an unknown cause', { type: 'report', decision: 'd1-abc', report: { ...report, steps: [{ ...step, cause: { kind: 'magic' } }] } }],
    ['a step at a negative time', { type: 'report', decision: 'd1-abc', report: { ...report, steps: [{ ...step, at: -1 }] } }],
  ])('rejects %s', (_what, raw) => {
    expect(parseClassroomMessage(raw)).toBeUndefined();
  });
});

describe('storage trouble and machine refusals in reports', () => {
  const base = { ...report, restarted: true };

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
    expect(fine?.type === 'report' && fine.report.view !== undefined && 'storage' in fine.report.view).toBe(false);
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
    const withTally = (count: number) => ({ ...report, view: { ...view, tally: { red: count } } });
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: withTally(40) })).toBeDefined();
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: withTally(41) })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'report', decision: 'd1-abc', report: withTally(2 ** 53 - 1) })).toBeUndefined();
  });
});
