/** The delta report protocol at the source: coalescing per frame, splitting, and no step lost. */
import { describe, expect, it } from 'vitest';
import { parseReport, type NodeReport } from '../../../src/classroom/protocol.ts';
import { ReportBuffer } from '../../../src/classroom/report-buffer.ts';
import { commitDecision } from '../../../src/core/write-once.ts';
import type { NodeEffect, NodeView } from '../../../src/core/types.ts';
import { MAX_MESSAGE_BYTES } from '../../../src/limits.ts';
import { FrameGate } from '../../../src/ui/classroom/frame.ts';

const MEMBERS = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);

function buffer(onReport: (reports: readonly NodeReport[]) => void, minIntervalMs?: number) {
  const frames: Array<() => void> = [];
  let now = 1_000;
  let view: NodeView = { phase: 'voting', waitingFor: 'votes', decided: undefined, tally: {}, fields: [] };
  const b = new ReportBuffer({
    incarnation: 9,
    seed: 1234,
    restarted: false,
    self: 'm00',
    now: () => now,
    scheduleFrame: (fn) => frames.push(fn),
    view: () => view,
    proposed: () => ['red'],
    onReport,
    ...(minIntervalMs !== undefined ? { minIntervalMs } : {}),
  });
  return {
    b,
    frames,
    tick: (ms: number) => (now += ms),
    setView: (v: NodeView) => (view = v),
    runFrames: () => frames.splice(0).forEach((fn) => fn()),
  };
}

/** One machine step that broadcasts `message` to every member. */
function broadcastStep(b: ReportBuffer, message: { type: string; value?: string }, started = true): void {
  const effects: NodeEffect<unknown, unknown>[] = [
    { type: 'persistLog', ops: [{ op: 'hard', state: {} }] },
    ...MEMBERS.map((to) => ({ type: 'send' as const, to, message })),
  ];
  const step = b.stepOf(effects, started);
  for (const effect of effects) if (effect.type === 'send') step.idOf(effect);
  step.done();
}

describe('delta reports', () => {
  it('in a big room, reports at most once per minIntervalMs, losing no step; a decision does not wait', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r), 100);
    t.b.flush(true);
    // A message in each of 12 frames, 16 ms apart (192 ms): one report so far, not twelve.
    for (let i = 0; i < 12; i++) {
      t.b.beginStep({ kind: 'receive', from: 'm01', id: { inc: 3, seq: i + 1 } });
      t.b.endStep();
      t.tick(16);
      t.runFrames();
    }
    expect(t.tick(0) - 1_000).toBe(192);
    expect(sent).toHaveLength(2);
    // The delta went in the first frame ≥ 100 ms after the full report (1,112 ms), with the 7
    // steps of 1,000–1,096 ms; nothing went sooner, and the next waits until 1,212 ms.
    expect(sent[1]!.steps.length).toBe(7);
    for (let i = 0; i < 8; i++) {
      t.tick(16);
      t.runFrames();
    }
    // Every step is in some report, in order, none twice.
    const seqs = sent.flatMap((r) => r.steps.map((s) => (s.cause.kind === 'receive' ? s.cause.id.seq : -1)));
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // A decision is reported at once, whatever the interval.
    const before = sent.length;
    const step = t.b.stepOf([commitDecision('red')], true);
    step.done();
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)!.steps[0]).toMatchObject({ decided: 'red' });
  });

  it('coalesces any number of steps between two frames into one report, with every step and message id', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r));
    t.b.flush(true); // the first report: full, with the seed
    expect(sent).toMatchObject([{ n: 0, full: true, seed: 1234, proposed: ['red'], steps: [] }]);
    for (let i = 0; i < 5; i++) {
      t.b.beginStep({ kind: 'receive', from: 'm01', id: { inc: 3, seq: i + 1 } });
      broadcastStep(t.b, { type: 'promise' });
      t.b.endStep();
      t.tick(2);
    }
    expect(t.frames).toHaveLength(1); // one frame requested, however many steps
    t.runFrames();
    expect(sent).toHaveLength(2);
    const delta = sent[1]!;
    expect(delta).toMatchObject({ n: 1, full: false, inc: 9 });
    expect(delta.view).toBeUndefined(); // unchanged since the last report
    expect(delta.steps).toHaveLength(5);
    // Message ids: one group per broadcast, consecutive sequence numbers across steps.
    expect(delta.steps.map((s) => s.sent[0]?.firstSeq)).toEqual([1, 41, 81, 121, 161]);
    expect(delta.steps[0]).toMatchObject({ cause: { kind: 'receive', from: 'm01', id: { inc: 3, seq: 1 } }, persisted: true });
    expect(delta.steps[0]?.sent[0]).toMatchObject({ to: MEMBERS, kind: 'promise' });
    // What travels is what the boundary accepts.
    expect(parseReport(JSON.parse(JSON.stringify(delta)))).toEqual(JSON.parse(JSON.stringify(delta)));
    // A step that sends a value (a vote) is evidence for the dashboard: reported at once.
    broadcastStep(t.b, { type: 'vote', value: 'red' });
    expect(sent).toHaveLength(3);
    expect(sent[2]!.steps[0]?.sent[0]).toMatchObject({ kind: 'vote', value: 'red', firstSeq: 201 });
  });

  it('the same value sent again (a vote resent, or answered to a member that asks) is no new evidence: it waits for the next report', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r), 100);
    t.b.flush(true);
    broadcastStep(t.b, { type: 'vote', value: 'red' });
    expect(sent).toHaveLength(2); // my vote: new evidence, at once
    // Ten members ask for my vote (needYours): ten answers, each the same vote to one member.
    for (let i = 1; i <= 10; i++) {
      t.b.beginStep({ kind: 'receive', from: MEMBERS[i]!, id: { inc: 3, seq: i } });
      const effects: NodeEffect<unknown, unknown>[] = [{ type: 'send', to: MEMBERS[i]!, message: { type: 'vote', value: 'red' } }];
      const step = t.b.stepOf(effects, true);
      step.idOf(effects[0] as NodeEffect<unknown, unknown> & { type: 'send' });
      step.done();
      t.b.endStep();
    }
    expect(sent).toHaveLength(2);
    // …and go, all ten with their message ids, in the next scheduled report.
    t.tick(100);
    t.runFrames();
    expect(sent).toHaveLength(3);
    expect(sent[2]!.steps.map((s) => s.sent[0]?.to)).toEqual(MEMBERS.slice(1, 11).map((m) => [m]));
    expect(sent[2]!.steps.every((s) => s.sent[0]?.value === 'red')).toBe(true);
    // Another kind or another value is new evidence again: at once.
    broadcastStep(t.b, { type: 'vote', value: 'blue' });
    expect(sent).toHaveLength(4);
    broadcastStep(t.b, { type: 'accepted', value: 'blue' });
    expect(sent).toHaveLength(5);
  });

  it('with a host timer, a report that must wait asks for no frame until the interval is over', () => {
    const sent: NodeReport[] = [];
    const frames: Array<() => void> = [];
    const timers: { at: number; fn: () => void }[] = [];
    let now = 1_000;
    const b = new ReportBuffer({
      incarnation: 9,
      seed: 1,
      restarted: false,
      self: 'm00',
      now: () => now,
      scheduleFrame: (fn) => frames.push(fn),
      view: () => ({ phase: 'voting', waitingFor: 'votes', decided: undefined, tally: {}, fields: [] }),
      proposed: () => [],
      onReport: (r) => sent.push(...r),
      minIntervalMs: 100,
      after: (fn, ms) => timers.push({ at: now + ms, fn }),
    });
    b.flush(true);
    now += 10;
    b.beginStep({ kind: 'receive', from: 'm01', id: { inc: 3, seq: 1 } });
    b.endStep();
    expect(frames).toHaveLength(0);
    expect(timers.map((t) => t.at)).toEqual([1_100]);
    now = 1_100;
    timers.shift()!.fn();
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.steps).toHaveLength(1);
  });

  it('a step without effects is still reported (its receive joins a send), and a decision goes out at once', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r));
    t.b.flush(true);
    t.b.beginStep({ kind: 'receive', from: 'm02', id: { inc: 4, seq: 7 } });
    t.b.endStep();
    t.setView({ phase: 'decided', waitingFor: '', decided: 'red', tally: {}, fields: [] });
    const step = t.b.stepOf([commitDecision('red')], true);
    step.done();
    expect(sent).toHaveLength(2); // at once, without waiting for the frame
    expect(sent[1]!.steps).toEqual([
      { at: 0, cause: { kind: 'receive', from: 'm02', id: { inc: 4, seq: 7 } }, sent: [], persisted: false },
      { at: 0, cause: { kind: 'timer' }, sent: [], persisted: false, decided: 'red' },
    ]);
    expect(sent[1]!.view?.decided).toBe('red');
  });

  it('splits a burst that does not fit in one message, losing no step and keeping order', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r));
    t.b.flush(true);
    for (let i = 0; i < 300; i++) broadcastStep(t.b, { type: 'prepare', round: i, note: 'x'.repeat(60) } as { type: string });
    t.setView({ phase: 'accepting', waitingFor: 'accepts', decided: undefined, tally: { red: 3 }, fields: [] });
    t.runFrames();
    const parts = sent.slice(1);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      const text = JSON.stringify({ type: 'app', payload: { type: 'report', decision: 'd1-abcdef', report: part } });
      expect(new TextEncoder().encode(text).byteLength).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(parseReport(JSON.parse(JSON.stringify(part)))).toBeDefined();
    }
    expect(parts.map((p) => p.n)).toEqual(parts.map((_, i) => i + 1));
    const steps = parts.flatMap((p) => p.steps);
    expect(steps).toHaveLength(300);
    expect(steps.map((s) => s.sent[0]!.firstSeq)).toEqual(steps.map((_, i) => 1 + 40 * i));
    // The view rides on the last part only.
    expect(parts.slice(0, -1).every((p) => p.view === undefined)).toBe(true);
    expect(parts.at(-1)?.view?.tally).toEqual({ red: 3 });
    // Evidence is kept for a later full report.
    for (let i = 0; i < 3; i++) broadcastStep(t.b, { type: 'accepted', value: `value-${i}` });
    t.b.flush(true);
    expect(sent.at(-1)?.evidence).toEqual([0, 1, 2].map((i) => ({ kind: 'accepted', value: `value-${i}` })));
  });

  it('says nothing when nothing changed', () => {
    const sent: NodeReport[] = [];
    const t = buffer((r) => sent.push(...r));
    t.b.flush(true);
    t.b.flush(false);
    expect(sent).toHaveLength(1);
  });
});

describe('at most once per frame', () => {
  it('folds every request between two frames into one run', () => {
    const frames: Array<() => void> = [];
    let runs = 0;
    const gate = new FrameGate((fn) => frames.push(fn), () => runs++);
    for (let i = 0; i < 1_000; i++) gate.request();
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(runs).toBe(1);
    gate.request();
    gate.request();
    expect(frames).toHaveLength(1);
  });
});
