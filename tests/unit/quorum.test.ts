import { describe, expect, it } from 'vitest';
import { compareBallots, isMajority, majorityOf, majorityWinner, tally } from '../../src/core/quorum.ts';

describe('quorum', () => {
  it('needs strictly more than half of all members', () => {
    expect(majorityOf(25)).toBe(13);
    expect(majorityOf(4)).toBe(3);
    expect(isMajority(12, 25)).toBe(false);
    expect(isMajority(13, 25)).toBe(true);
  });
  it('finds no winner in the 9/5/11 split of 25', () => {
    const counts = { red: 9, blue: 5, green: 11 };
    expect(majorityWinner(counts, 25)).toBeUndefined();
    expect(majorityWinner({ ...counts, green: 13 }, 25)).toBe('green');
  });
  it('tallies votes per value', () => {
    expect(tally({ a: 'red', b: 'red', c: 'blue' })).toEqual({ red: 2, blue: 1 });
  });
  it('orders ballots by round, then node id', () => {
    expect(compareBallots({ round: 2, node: 'a' }, { round: 1, node: 'z' })).toBeGreaterThan(0);
    expect(compareBallots({ round: 1, node: 'a' }, { round: 1, node: 'b' })).toBeLessThan(0);
    expect(compareBallots({ round: 1, node: 'a' }, { round: 1, node: 'a' })).toBe(0);
  });
});

describe('tally with hostile values', () => {
  it('counts values named like Object.prototype members as ordinary candidates', () => {
    const counts = tally({ a: '__proto__', b: '__proto__', c: 'constructor' });
    expect(counts['__proto__']).toBe(2);
    expect(counts['constructor']).toBe(1);
    expect(majorityWinner(counts, 3)).toBe('__proto__');
  });
});
