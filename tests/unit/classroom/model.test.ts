import { describe, expect, it } from 'vitest';
import type { DecisionRecord, MemberState } from '../../../src/classroom/dashboard.ts';
import type { DecisionJudgement } from '../../../src/classroom/evidence.ts';
import { checkProperties, type MemberLiveness } from '../../../src/classroom/properties.ts';
import type { DecisionAnnouncement } from '../../../src/classroom/protocol.ts';
import type { NodeView } from '../../../src/core/types.ts';
import { STUCK_AFTER_MS } from '../../../src/limits.ts';
import {
  algorithmMenuLabel,
  cardLiveness,
  classTally,
  currentRound,
  drawParticipant,
  keyedFeed,
  parsePreset,
  proposalButtons,
  quorumGroups,
  studentAlerts,
  violations,
  withNames,
} from '../../../src/ui/classroom/model.ts';

const announcement: DecisionAnnouncement = {
  id: 'd1-abc',
  seq: 1,
  algorithm: 'paxos',
  scenario: 'colors',
  members: ['a', 'b', 'c', 'd', 'e'],
  startedAt: 0,
};

function view(over: Partial<NodeView> = {}): NodeView {
  return { phase: 'idle', waitingFor: 'a proposal', decided: undefined, tally: {}, fields: [], ...over };
}

function member(over: Partial<MemberState> = {}): MemberState {
  return { view: view(), decidedValues: [], decidedAtMs: undefined, proposed: [], rejoined: false, lastReportAtMs: 0, ...over };
}

function record(members: Record<string, MemberState>): DecisionRecord {
  return { announcement, members: new Map(Object.entries(members)), feed: [], version: 0 };
}

/** Every reported decision believed (the evidence rules have their own tests). */
function believedAll(r: DecisionRecord): DecisionJudgement {
  const byValue = new Map<string, string[]>();
  for (const [id, m] of r.members) for (const v of m.decidedValues) byValue.set(v, [...(byValue.get(v) ?? []), id]);
  return { believed: [...byValue].map(([value, members]) => ({ value, members })), pending: [], claims: [] };
}

const NAMES: Record<string, string> = { a: 'Ann', b: 'Bob', c: 'Cat', d: 'Dan', e: 'Eve' };
const nameOf = (p: string): string => NAMES[p] ?? p;

function propertiesOf(r: DecisionRecord, proposed: string[], nowMs = 10_000) {
  return checkProperties({
    members: [...r.members].map(([id, m]) => ({
      id,
      name: nameOf(id),
      liveness: 'up' as MemberLiveness,
      decidedValues: m.decidedValues,
      decidedAtMs: m.decidedAtMs,
      waitingOn: [],
      waitingFor: '',
      tally: m.view?.tally ?? {},
    })),
    proposed: new Set(proposed),
    startedAtMs: 0,
    nowMs,
  });
}

describe('dashboard read-models', () => {
  it('reads a lesson preset from the host URL and ignores anything unknown', () => {
    expect(parsePreset('?room=KQ7RXA4&view=host&algorithm=paxos&scenario=colors')).toEqual({ algorithm: 'paxos', scenario: 'colors' });
    expect(parsePreset('?algorithm=impatient-tiebreak')).toEqual({ algorithm: 'impatient-tiebreak', scenario: undefined });
    expect(parsePreset('?algorithm=<script>&scenario=__proto__')).toEqual({ algorithm: undefined, scenario: undefined });
  });

  it('takes the most complete count per candidate and marks a majority', () => {
    const r = record({
      a: member({ view: view({ tally: { red: 2, blue: 1 } }) }),
      b: member({ view: view({ tally: { red: 3 } }) }),
      c: member({ view: view({ tally: { blue: 2 } }) }),
    });
    expect(classTally(r)).toEqual([
      { value: 'red', count: 3, quorum: 3, reached: true },
      { value: 'blue', count: 2, quorum: 3, reached: false },
    ]);
  });

  it('groups promises and acceptances by ballot against a majority, and finds the round', () => {
    const paxos = (promised: string, accepted: string, round: string): NodeView =>
      view({ fields: [{ label: 'promised', value: promised }, { label: 'accepted', value: accepted }, { label: 'round', value: round }] });
    const r = record({
      a: member({ view: paxos('2.a', 'red in 2.a', '2') }),
      b: member({ view: paxos('2.a', '—', '2') }),
      c: member({ view: paxos('2.a', 'red in 2.a', '3') }),
      d: member({ view: paxos('1.d', '—', '1') }),
    });
    const groups = quorumGroups(r);
    expect(groups.map((g) => [g.label, g.value, g.members.length, g.reached])).toEqual([
      ['promised', '2.a', 3, true],
      ['promised', '1.d', 1, false],
      ['accepted', 'red in 2.a', 2, false],
    ]);
    expect(currentRound(r)).toBe('3');
  });

  it('names the disagreeing nodes in the Agreement banner (deterministic banner logic)', () => {
    const r = record({
      a: member({ decidedValues: ['red'], decidedAtMs: 1 }),
      b: member({ decidedValues: ['blue'], decidedAtMs: 1 }),
      c: member({ decidedValues: ['red'], decidedAtMs: 1 }),
    });
    const alarms = violations(believedAll(r), propertiesOf(r, ['red', 'blue']), nameOf);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ property: 'Agreement' });
    expect(alarms[0]?.message).toBe('Agreement violated: Ann, Cat decided “red” — but Bob decided “blue”');
    expect([...(alarms[0]?.nodes ?? [])].sort()).toEqual(['a', 'b', 'c']);
  });

  it('raises no banner when everyone agrees, and a Validity banner for a value nobody proposed', () => {
    const agreeing = record({ a: member({ decidedValues: ['red'], decidedAtMs: 1 }), b: member({ decidedValues: ['red'], decidedAtMs: 1 }) });
    expect(violations(believedAll(agreeing), propertiesOf(agreeing, ['red']), nameOf)).toEqual([]);
    const invented = record({ a: member({ decidedValues: ['green'], decidedAtMs: 1 }) });
    const alarms = violations(believedAll(invented), propertiesOf(invented, ['red']), nameOf);
    expect(alarms.map((a) => a.property)).toEqual(['Validity']);
    expect(alarms[0]?.message).toContain('Ann decided “green”, which nobody proposed');
  });

  it('shows a rejoined member that is up as rejoined, and a crashed one as crashed', () => {
    expect(cardLiveness('up', member({ rejoined: true }))).toBe('rejoined');
    expect(cardLiveness('crashed', member({ rejoined: true }))).toBe('crashed');
    expect(cardLiveness('up', undefined)).toBe('up');
  });

  it('speaks of members by name inside machine texts, replacing whole ids only', () => {
    const ids = ['ab12cd', 'ab12'];
    const names: Record<string, string> = { ab12cd: 'Ann', ab12: 'Bob $& <b>' };
    const named = (text: string): string => withNames(text, ids, (p) => names[p] ?? p);
    expect(named('votes from ab12cd, ab12')).toBe('votes from Ann, Bob $& <b>');
    expect(named('accept 2.ab12cd = red')).toBe('accept 2.Ann = red');
    expect(named('xab12cd ab12cd9 ab12-cd')).toBe('xab12cd ab12cd9 ab12-cd');
    expect(withNames('votes from a.b', ['a.b'], () => 'Dot')).toBe('votes from Dot');
    expect(withNames('votes from axb', ['a.b'], () => 'Dot')).toBe('votes from axb');
  });

  it('keys feed lines stably, newest first, even for identical lines', () => {
    const line = { id: 1, atMs: 5, from: 'a', to: 'b', kind: 'vote', summary: 'vote red' };
    const keyed = keyedFeed([line, { ...line, id: 2 }, { ...line, id: 3, atMs: 6 }], 2);
    expect(keyed.map((k) => k.key)).toEqual([3, 2]);
    expect(keyed.map((k) => k.line.atMs)).toEqual([6, 5]);
  });
});

describe('phone read-models', () => {
  it('offers the scenario’s values, or one random participant for user of the day', () => {
    expect(proposalButtons('colors', [])).toEqual(['red', 'blue', 'green', 'yellow'].map((value) => ({ kind: 'value', value })));
    expect(proposalButtons('order-cancellation', []).map((b) => (b.kind === 'value' ? b.value : ''))).toEqual([
      'warehouse: ship',
      'customer: cancel',
    ]);
    expect(proposalButtons('user-of-the-day', ['Ann', 'Bob'])).toEqual([{ kind: 'random-participant', participants: ['Ann', 'Bob'] }]);
    expect(drawParticipant(['Ann', 'Bob', 'Cat'], () => 0.99)).toBe('Cat');
    expect(drawParticipant(['Ann', 'Bob', 'Cat'], () => 0)).toBe('Ann');
    expect(drawParticipant([], () => 0.5)).toBeUndefined();
  });

  const base = {
    decision: announcement,
    self: 'a',
    proposed: ['red'],
    nameOf,
    hostReachable: true,
    nowMs: 1_000,
  };

  it('says when I am cut off from the other members or from the teacher', () => {
    const all = studentAlerts({ ...base, view: view({ phase: 'preparing' }), liveness: () => 'crashed' });
    expect(all.map((a) => a.kind)).toEqual(['disconnected']);
    expect(all[0]?.message).toContain('disconnected');
    const minority = studentAlerts({ ...base, view: view(), liveness: (p) => (p === 'b' ? 'up' : 'crashed'), hostReachable: false });
    expect(minority.map((a) => a.message)).toEqual([
      'You reach only 2 of 5 members (you included): fewer than a majority of 3.',
      'The teacher’s screen is not connected: it will not see what your node does.',
    ]);
    expect(studentAlerts({ ...base, view: view(), liveness: () => 'up' })).toEqual([]);
  });

  it('says when my decision is stuck, and why', () => {
    const waiting = view({ phase: 'asking', waitingFor: 'an answer from coordinator e', waitingOn: ['e'] });
    const coordinator = { ...base, decision: { ...announcement, algorithm: 'coordinator' as const } };
    const crashedCoordinator = studentAlerts({ ...coordinator, view: waiting, liveness: (p) => (p === 'e' ? 'crashed' : 'up') });
    expect(crashedCoordinator).toEqual([{ kind: 'stuck', message: 'Stuck: waiting for Eve, who crashed.' }]);
    // Paxos with 2 of 5 crashed is not stuck: a majority is up, so the phone says it retries.
    const promises = view({ phase: 'preparing', waitingFor: 'promises', waitingOn: ['d', 'e'] });
    const paxos = studentAlerts({ ...base, view: promises, liveness: (p) => (p === 'd' || p === 'e' ? 'crashed' : 'up') });
    expect(paxos).toEqual([{ kind: 'retrying', message: 'Retrying without Dan, Eve, who crashed: the members still up can decide.' }]);
    // …and with 3 of 5 crashed it is.
    const minority = studentAlerts({ ...base, view: promises, liveness: (p) => (p === 'a' || p === 'b' ? 'up' : 'crashed') });
    expect(minority.map((a) => a.kind)).toEqual(['disconnected', 'stuck']);
    const split = view({ phase: 'split vote', waitingFor: 'a majority that can never come' });
    expect(studentAlerts({ ...base, view: split, liveness: () => 'up' })[0]?.kind).toBe('stuck');
    const slow = view({ phase: 'preparing', waitingFor: 'promises from 3 more of b, c, d' });
    expect(studentAlerts({ ...base, view: slow, liveness: () => 'up', nowMs: STUCK_AFTER_MS - 1 })).toEqual([]);
    expect(studentAlerts({ ...base, view: slow, liveness: () => 'up', nowMs: STUCK_AFTER_MS })[0]?.kind).toBe('stuck');
    // Nobody has proposed yet: waiting for the class, not stuck.
    expect(studentAlerts({ ...base, proposed: [], view: view(), liveness: () => 'up', nowMs: 10 * STUCK_AFTER_MS })).toEqual([]);
    // Decided: never stuck.
    expect(studentAlerts({ ...base, view: view({ decided: 'red', waitingOn: ['e'] }), liveness: () => 'up', nowMs: 10 * STUCK_AFTER_MS })).toEqual([]);
  });
});

describe('algorithm menu labels', () => {
  it('warn about the deliberately broken algorithms only', () => {
    expect(algorithmMenuLabel('paxos')).toBe('Paxos (synod)');
    expect(algorithmMenuLabel('impatient-tiebreak')).toContain('⚠ deliberately broken');
    expect(algorithmMenuLabel('paxos-amnesia')).toContain('⚠ deliberately broken');
  });
});
