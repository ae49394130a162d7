/**
 * A student's page renders at most once per STUDENT_RENDER_INTERVAL_MS (frame.ts `paced`):
 * the first change after a quiet spell at the next frame, a burst folded into one render per
 * interval, and the burst's last change never lost.
 */
import { describe, expect, it } from 'vitest';
import { STUDENT_RENDER_INTERVAL_MS } from '../../../src/limits.ts';
import { FrameGate, paced } from '../../../src/ui/classroom/frame.ts';

/** Fake time: frames run when the test says, timers when time reaches them. */
class Fake {
  now = 0;
  frames: (() => void)[] = [];
  timers: { at: number; fn: () => void }[] = [];
  schedule = (fn: () => void): void => void this.frames.push(fn);
  after = (fn: () => void, ms: number): void => void this.timers.push({ at: this.now + ms, fn });
  frame(): void {
    const due = this.frames;
    this.frames = [];
    for (const fn of due) fn();
  }
  advance(ms: number): void {
    this.now += ms;
    const due = this.timers.filter((t) => t.at <= this.now);
    this.timers = this.timers.filter((t) => t.at > this.now);
    for (const t of due) t.fn();
  }
}

describe('paced renders (a student page)', () => {
  it('renders the first change at the next frame, then at most once per interval however many changes come', () => {
    const fake = new Fake();
    let renders = 0;
    let shown = 0;
    let state = 0;
    const gate = new FrameGate(paced(fake.schedule, STUDENT_RENDER_INTERVAL_MS, () => fake.now, fake.after), () => {
      renders++;
      shown = state;
    });
    state = 1;
    gate.request();
    fake.frame();
    expect(renders).toBe(1);
    expect(shown).toBe(1);
    // A burst: a change every 5 ms for one second, a frame every 16 ms.
    for (let t = 5; t <= 1_000; t += 5) {
      state++;
      gate.request();
      fake.advance(5);
      if (t % 15 === 0) fake.frame();
    }
    expect(renders).toBeLessThanOrEqual(1 + Math.ceil(1_000 / STUDENT_RENDER_INTERVAL_MS));
    expect(renders).toBeGreaterThanOrEqual(Math.floor(1_000 / STUDENT_RENDER_INTERVAL_MS) - 1);
    // Quiet: the last change of the burst still shows, within one interval and a frame.
    fake.advance(STUDENT_RENDER_INTERVAL_MS);
    fake.frame();
    expect(shown).toBe(state);
  });

  it('without pacing, the same burst renders every frame (what the pacing removes)', () => {
    const fake = new Fake();
    let renders = 0;
    const gate = new FrameGate(fake.schedule, () => renders++);
    for (let t = 5; t <= 1_000; t += 5) {
      gate.request();
      fake.advance(5);
      if (t % 15 === 0) fake.frame();
    }
    expect(renders).toBeGreaterThan(1_000 / 16 - 2);
  });
});
