/**
 * The transport's repeating timers on fake time: `every` ticks a period after its start,
 * `onTheBeat` at the clock's multiples of the period, so nodes started at different moments in
 * one process tick together (clock.ts says why).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { every, onTheBeat, systemClock } from '../../../src/transport/clock.ts';

const PERIOD_MS = 250;

describe('repeating timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000_000_037); // 37 ms past a multiple of the period
  });
  afterEach(() => vi.useRealTimers());

  it('onTheBeat ticks at multiples of the period, whenever each was started, and together', () => {
    const ticks: { readonly who: string; readonly at: number }[] = [];
    const stopA = onTheBeat(systemClock, PERIOD_MS, () => ticks.push({ who: 'a', at: Date.now() }));
    vi.advanceTimersByTime(101);
    const stopB = onTheBeat(systemClock, PERIOD_MS, () => ticks.push({ who: 'b', at: Date.now() }));
    vi.advanceTimersByTime(4 * PERIOD_MS);
    stopA();
    stopB();
    vi.advanceTimersByTime(4 * PERIOD_MS);
    expect(ticks.length).toBe(8);
    for (const tick of ticks) expect(tick.at % PERIOD_MS).toBe(0);
    const at = (who: string): number[] => ticks.filter((t) => t.who === who).map((t) => t.at);
    expect(at('a')).toEqual(at('b'));
  });

  it('every ticks a period after its start; both keep ticking when the callback throws, and stop when told', () => {
    const started = Date.now();
    const plain: number[] = [];
    const stopPlain = every(systemClock, PERIOD_MS, () => {
      plain.push(Date.now() - started);
      throw new Error('a tick that fails');
    });
    let beats = 0;
    const stopBeat = onTheBeat(systemClock, PERIOD_MS, () => {
      beats += 1;
      throw new Error('a tick that fails');
    });
    for (let i = 0; i < 3; i++) expect(() => vi.advanceTimersByTime(PERIOD_MS)).toThrow('a tick that fails');
    stopPlain();
    stopBeat();
    vi.advanceTimersByTime(4 * PERIOD_MS);
    expect(plain).toEqual([PERIOD_MS, 2 * PERIOD_MS, 3 * PERIOD_MS]);
    expect(beats).toBe(3);
  });
});
