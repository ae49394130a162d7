import { describe, expect, it } from 'vitest';
import {
  assignGroup,
  command,
  emptyHeld,
  healed,
  hold,
  isQuiet,
  judge,
  NO_ADVERSARY,
  oldestInRoom,
  parseRules,
  rejudge,
  releaseAll,
  setSlowness,
  summaries,
  toggleCut,
  toggleHoldTo,
  type AdversaryRules,
} from '../../../src/classroom/adversary.ts';
import { FreezableClock } from '../../../src/classroom/freezable-clock.ts';
import { MAX_HELD_PER_NODE, MAX_NODE_SLOWNESS_MS } from '../../../src/limits.ts';
import { FakeClock } from './fake-clock.ts';

const rules = (over: Partial<AdversaryRules>): AdversaryRules => ({ ...NO_ADVERSARY, ...over });

describe('judge: what happens to one inbound message', () => {
  it('passes everything when quiet, and never touches a message to self', () => {
    expect(isQuiet(NO_ADVERSARY)).toBe(true);
    expect(judge(NO_ADVERSARY, 'a', 'b')).toEqual({ kind: 'pass', extraDelayMs: 0 });
    const harsh = rules({ paused: true, cuts: [{ from: 'a', to: 'b' }], groups: [['a'], ['b']] });
    expect(judge(harsh, 'a', 'a')).toEqual({ kind: 'pass', extraDelayMs: 0 });
  });

  it('holds every message when paused, and only the listed receivers’ otherwise', () => {
    expect(judge(rules({ paused: true }), 'a', 'b')).toEqual({ kind: 'hold' });
    const flp = rules({ holdTo: ['e'] });
    expect(judge(flp, 'a', 'e')).toEqual({ kind: 'hold' });
    expect(judge(flp, 'e', 'a').kind).toBe('pass');
  });

  it('loses messages across a partition; nodes in no group form one more group', () => {
    const split = assignGroup(assignGroup(NO_ADVERSARY, 'a', 0), 'b', 0);
    expect(split.groups).toEqual([['a', 'b']]);
    expect(judge(split, 'a', 'b').kind).toBe('pass');
    expect(judge(split, 'a', 'c')).toEqual({ kind: 'lost', reason: 'partition' });
    expect(judge(split, 'c', 'd').kind).toBe('pass'); // both in the implicit rest group
    // A partition beats a hold: the message never reaches the node that would hold it.
    expect(judge({ ...split, paused: true }, 'c', 'a')).toEqual({ kind: 'lost', reason: 'partition' });
    expect(healed(split).groups).toEqual([]);
  });

  it('moves a node between groups and drops empty trailing groups', () => {
    let r = assignGroup(NO_ADVERSARY, 'a', 1);
    expect(r.groups).toEqual([[], ['a']]);
    r = assignGroup(r, 'a', 0);
    expect(r.groups).toEqual([['a']]);
    r = assignGroup(r, 'a', undefined);
    expect(r.groups).toEqual([]);
  });

  it('cuts one direction only, and toggles back', () => {
    const cut = toggleCut(NO_ADVERSARY, 'a', 'b');
    expect(judge(cut, 'a', 'b')).toEqual({ kind: 'lost', reason: 'cut' });
    expect(judge(cut, 'b', 'a').kind).toBe('pass');
    expect(toggleCut(cut, 'a', 'b').cuts).toEqual([]);
    expect(toggleCut(NO_ADVERSARY, 'a', 'a')).toBe(NO_ADVERSARY);
  });

  it('adds both ends’ slowness, clamped to the bound', () => {
    const slow = setSlowness(setSlowness(NO_ADVERSARY, 'a', 300), 'b', 10 ** 9);
    expect(slow.slowMs).toEqual({ a: 300, b: MAX_NODE_SLOWNESS_MS });
    expect(judge(slow, 'a', 'b')).toEqual({ kind: 'pass', extraDelayMs: 300 + MAX_NODE_SLOWNESS_MS });
    expect(judge(slow, 'c', 'a')).toEqual({ kind: 'pass', extraDelayMs: 300 });
    expect(setSlowness(slow, 'a', 0).slowMs).toEqual({ b: MAX_NODE_SLOWNESS_MS });
  });

  it('toggles a held receiver', () => {
    expect(toggleHoldTo(toggleHoldTo(NO_ADVERSARY, 'e'), 'a').holdTo).toEqual(['a', 'e']);
    expect(toggleHoldTo(rules({ holdTo: ['e'] }), 'e').holdTo).toEqual([]);
  });
});

describe('parseRules: the teacher’s rules at a member’s boundary', () => {
  it('round-trips valid rules', () => {
    const r = rules({ paused: true, holdTo: ['e'], groups: [['a'], ['b', 'c']], cuts: [{ from: 'a', to: 'b' }], slowMs: { a: 10 } });
    expect(parseRules(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('refuses malformed, out-of-bound and contradictory rules', () => {
    const good = JSON.parse(JSON.stringify(NO_ADVERSARY));
    expect(parseRules(good)).toEqual(NO_ADVERSARY);
    for (const bad of [
      null,
      { ...good, paused: 'yes' },
      { ...good, holdTo: ['not a peer id!'] },
      { ...good, groups: [['a'], ['a']] },
      { ...good, cuts: [{ from: 'a', to: 'a' }] },
      { ...good, slowMs: { a: MAX_NODE_SLOWNESS_MS + 1 } },
      { ...good, slowMs: { a: -1 } },
      { ...good, holdTo: Array.from({ length: 10_000 }, (_, i) => `p${i}`) },
    ]) {
      expect(parseRules(bad)).toBeUndefined();
    }
  });
});

describe('the held list', () => {
  const candidate = (value: string) => ({ type: 'candidate', value });

  it('lists each message once with sender, kind and value; a retransmission merges into its entry', () => {
    let list = emptyHeld<string>();
    list = hold(list, 'a', candidate('red'), 'first', 100);
    list = hold(list, 'a', { value: 'red', type: 'candidate' }, 'retransmission', 150); // same message, keys reordered
    list = hold(list, 'b', candidate('red'), 'other sender', 120);
    expect(summaries(list, 200)).toEqual([
      { entry: 1, from: 'a', kind: 'candidate', summary: 'candidate value red', value: 'red', copies: 2, heldForMs: 100 },
      { entry: 2, from: 'b', kind: 'candidate', summary: 'candidate value red', value: 'red', copies: 1, heldForMs: 80 },
    ]);
    // The entry delivers its first copy.
    expect(command(list, { do: 'deliver', entry: 1 }).deliver).toEqual(['first']);
  });

  it('delivers, drops and duplicates in any order; step takes the oldest', () => {
    let list = emptyHeld<string>();
    for (const v of ['x', 'y', 'z']) list = hold(list, 'a', candidate(v), v);
    const dup = command(list, { do: 'duplicate', entry: 2 });
    expect(dup.deliver).toEqual(['y']);
    expect(dup.list.entries).toHaveLength(3); // still held: it can arrive again
    const dropped = command(dup.list, { do: 'drop', entry: 2 });
    expect(dropped.deliver).toEqual([]);
    const last = command(dropped.list, { do: 'deliver', entry: 3 });
    expect(last.deliver).toEqual(['z']);
    const step = command(last.list, { do: 'step' });
    expect(step.deliver).toEqual(['x']);
    expect(step.list.entries).toEqual([]);
    expect(command(step.list, { do: 'step' })).toMatchObject({ missing: true, deliver: [] });
    expect(command(list, { do: 'deliver', entry: 99 }).missing).toBe(true);
  });

  it('stays bounded: a new distinct message beyond the limit is lost and counted', () => {
    let list = emptyHeld<number>();
    for (let i = 0; i < MAX_HELD_PER_NODE + 5; i++) list = hold(list, 'a', candidate(`v${i}`), i);
    expect(list.entries).toHaveLength(MAX_HELD_PER_NODE);
    expect(list.overflowed).toBe(5);
    // Retransmissions of held messages still merge when full.
    list = hold(list, 'a', candidate('v0'), -1);
    expect(list.entries[0]!.copies).toBe(2);
  });

  it('re-judges after the rules change: released in arrival order, cut-off senders lost, the rest kept', () => {
    let list = emptyHeld<string>();
    list = hold(list, 'a', candidate('1'), 'a1');
    list = hold(list, 'b', candidate('2'), 'b2');
    list = hold(list, 'c', candidate('3'), 'c3');
    const next = rules({ holdTo: [], cuts: [{ from: 'b', to: 'e' }] });
    const out = rejudge(list, next, 'e');
    expect(out.deliver).toEqual(['a1', 'c3']);
    expect(out.lost).toBe(1);
    expect(out.list.entries).toEqual([]);
    const still = rejudge(list, rules({ holdTo: ['e'] }), 'e');
    expect(still.deliver).toEqual([]);
    expect(still.list.entries).toHaveLength(3);
    expect(releaseAll(list).deliver).toEqual(['a1', 'b2', 'c3']);
  });
});

describe('Step: the oldest held message in the room', () => {
  it('orders entries across nodes by how long each was held, counting each report’s age', () => {
    const entry = (n: number, heldForMs: number) => ({ entry: n, from: 'x', kind: 'vote', summary: 'vote', copies: 1, heldForMs });
    const reports = [
      { at: 'a', entries: [entry(1, 300)], receivedAt: 1_000 }, // held 300 + 500 = 800 ms by now
      { at: 'b', entries: [entry(7, 100), entry(8, 50)], receivedAt: 200 }, // 100 + 1 300 = 1 400 ms
    ];
    expect(oldestInRoom(reports, 1_500)).toEqual({ at: 'b', entry: 7, heldForMs: 1_400 });
    expect(oldestInRoom([], 0)).toBeUndefined();
  });
});

describe('FreezableClock', () => {
  it('fires nothing while frozen and resumes each timer with the time it had left', () => {
    const base = new FakeClock();
    const clock = new FreezableClock(base);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('a'), 100);
    clock.setTimeout(() => fired.push('b'), 300);
    base.advance(60);
    clock.freeze();
    clock.setTimeout(() => fired.push('c'), 10); // set while frozen: waits too
    base.advance(10_000);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(3);
    clock.thaw();
    base.advance(10);
    expect(fired).toEqual(['c']);
    base.advance(29);
    expect(fired).toEqual(['c']);
    base.advance(1); // a had 40 ms left
    expect(fired).toEqual(['c', 'a']);
    base.advance(200); // b had 240 ms left
    expect(fired).toEqual(['c', 'a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('cancels a timer whether armed or frozen', () => {
    const base = new FakeClock();
    const clock = new FreezableClock(base);
    const fired: number[] = [];
    const one = clock.setTimeout(() => fired.push(1), 50);
    const two = clock.setTimeout(() => fired.push(2), 50);
    clock.clearTimeout(one);
    clock.freeze();
    clock.clearTimeout(two);
    clock.thaw();
    base.advance(100);
    expect(fired).toEqual([]);
  });
});

describe('the adversary’s wire messages at the boundary', () => {
  it('accepts well-formed rules, controls and held reports', async () => {
    const { parseClassroomMessage } = await import('../../../src/classroom/protocol.ts');
    expect(parseClassroomMessage({ type: 'adversary', rules: NO_ADVERSARY })).toEqual({ type: 'adversary', rules: NO_ADVERSARY });
    for (const control of [{ do: 'deliver', entry: 3 }, { do: 'drop', entry: 1 }, { do: 'duplicate', entry: 2 }, { do: 'step' }, { do: 'crash' }, { do: 'restart' }, { do: 'propose', value: 'red' }]) {
      expect(parseClassroomMessage({ type: 'control', decision: 'd1-abc', control })).toEqual({ type: 'control', decision: 'd1-abc', control });
    }
    const held = { entries: [{ entry: 1, from: 'n1', kind: 'candidate', summary: 'candidate value red', value: 'red', copies: 2, heldForMs: 40 }], overflowed: 0, crashed: false, lost: 3 };
    expect(parseClassroomMessage({ type: 'held', decision: 'd1-abc', held })).toEqual({ type: 'held', decision: 'd1-abc', held });
  });

  it('refuses malformed or unbounded ones', async () => {
    const { parseClassroomMessage } = await import('../../../src/classroom/protocol.ts');
    expect(parseClassroomMessage({ type: 'adversary', rules: { ...NO_ADVERSARY, paused: 1 } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'control', decision: 'd1-abc', control: { do: 'deliver', entry: -1 } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'control', decision: 'd1-abc', control: { do: 'format-disk' } })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'control', decision: 'NOT AN ID', control: { do: 'step' } })).toBeUndefined();
    const entry = { entry: 1, from: 'n1', kind: 'vote', summary: 'vote value red', copies: 1, heldForMs: 0 };
    const tooMany = { entries: Array.from({ length: MAX_HELD_PER_NODE + 1 }, (_, i) => ({ ...entry, entry: i + 1 })), overflowed: 0, crashed: false, lost: 0 };
    expect(parseClassroomMessage({ type: 'held', decision: 'd1-abc', held: tooMany })).toBeUndefined();
    expect(parseClassroomMessage({ type: 'held', decision: 'd1-abc', held: { entries: [{ ...entry, copies: 0 }], overflowed: 0, crashed: false, lost: 0 } })).toBeUndefined();
  });
});
