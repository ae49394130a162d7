import { describe, expect, it } from 'vitest';
import { DIAL_ANSWER_TIMEOUT_MS, DIAL_CONNECT_TIMEOUT_MS, DIAL_TIMEOUT_MAX_MS, DIAL_TIMEOUT_MS, MAX_PENDING_DIALS, MIN_PENDING_DIALS } from '../../../src/limits.ts';
import { cryptoRandomIndex, randomNodeName } from '../../../src/rooms/room-code.ts';
import { dialsToStart, dialTimeoutMs, isDialler, negotiationVerdict, nextDialWindow } from '../../../src/transport/pacing.ts';

function seededIndex(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

describe('who dials whom', () => {
  it('exactly one of every pair dials, and never itself', () => {
    const ids = Array.from({ length: 40 }, () => randomNodeName(cryptoRandomIndex));
    for (const a of ids) {
      expect(isDialler(a, a)).toBe(false);
      for (const b of ids) if (a !== b) expect(isDialler(a, b) !== isDialler(b, a)).toBe(true);
    }
  });

  it('spreads the dialling: in rooms of 40 nobody dials more than 30 of 39 (the smaller-id rule made one node dial all 39)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = seededIndex(seed);
      const ids = [...new Set(Array.from({ length: 40 }, () => randomNodeName(random)))];
      const dials = ids.map((a) => ids.filter((b) => isDialler(a, b)).length);
      expect(Math.max(...dials)).toBeLessThanOrEqual(30);
      expect(dials.reduce((x, y) => x + y, 0)).toBe((ids.length * (ids.length - 1)) / 2);
    }
  });
});

describe('dial pacing', () => {
  const wanted = [
    { peer: 'm', role: 'student' as const },
    { peer: 'c', role: 'student' as const },
    { peer: 'z', role: 'host' as const },
    { peer: 'a', role: 'student' as const },
    { peer: 'q', role: 'student' as const },
    { peer: 'b', role: 'student' as const },
  ];

  it('keeps at most MAX_PENDING_DIALS negotiating, the teacher’s screen first, then by id', () => {
    expect(dialsToStart(wanted, 0)).toEqual(['z', 'a', 'b', 'c', 'm', 'q'].slice(0, MAX_PENDING_DIALS));
    expect(dialsToStart(wanted, MAX_PENDING_DIALS - 1)).toEqual(['z']);
    expect(dialsToStart(wanted, MAX_PENDING_DIALS)).toEqual([]);
    expect(dialsToStart(wanted, MAX_PENDING_DIALS + 3)).toEqual([]);
    expect(dialsToStart([], 0)).toEqual([]);
  });

  it('works through a whole room one free place at a time', () => {
    const room = Array.from({ length: 39 }, (_, i) => ({ peer: `p${String(i).padStart(2, '0')}`, role: 'student' as const }));
    let left = [...room];
    let pending = 0;
    const order: string[] = [];
    while (left.length > 0) {
      const now = dialsToStart(left, pending, 4);
      expect(pending + now.length).toBeLessThanOrEqual(4);
      order.push(...now);
      pending += now.length;
      left = left.filter((c) => !now.includes(c.peer));
      pending -= 1; // one dial opens
    }
    expect(order).toEqual(room.map((c) => c.peer));
  });

  it('from its own place on the id ring: ids above its own first, then from the smallest, the teacher’s screen still first', () => {
    expect(dialsToStart(wanted, 0, 6, 'd')).toEqual(['z', 'm', 'q', 'a', 'b', 'c']);
    expect(dialsToStart(wanted, 0, 3, 'n')).toEqual(['z', 'q', 'a']);
  });

  it('spreads a forming room’s first waves: no id is in many more first waves than the average', () => {
    const index = seededIndex(7);
    const ids = Array.from({ length: 40 }, () => randomNodeName(index));
    const unique = [...new Set(ids)];
    const targeted = new Map<string, number>();
    for (const self of unique) {
      const mine = unique.filter((peer) => isDialler(self, peer)).map((peer) => ({ peer, role: 'student' as const }));
      for (const peer of dialsToStart(mine, 0, 4, self)) targeted.set(peer, (targeted.get(peer) ?? 0) + 1);
    }
    const average = [...targeted.values()].reduce((a, b) => a + b, 0) / unique.length;
    // Plain id order aimed every node's first four dials at the smallest ids it dials (in this room: 23 of the 40 first waves hit one id).
    expect(Math.max(...targeted.values())).toBeLessThanOrEqual(3 * Math.max(1, average) + 2);
  });
});

describe('dial timeouts', () => {
  it('a retried dial gets twice the time of the one before, up to the cap', () => {
    expect(dialTimeoutMs(0)).toBe(DIAL_TIMEOUT_MS);
    expect(dialTimeoutMs(1)).toBe(2 * DIAL_TIMEOUT_MS);
    expect(dialTimeoutMs(2)).toBe(Math.min(DIAL_TIMEOUT_MAX_MS, 4 * DIAL_TIMEOUT_MS));
    expect(dialTimeoutMs(50)).toBe(DIAL_TIMEOUT_MAX_MS);
    for (let a = 1; a < 12; a++) expect(dialTimeoutMs(a)).toBeGreaterThanOrEqual(dialTimeoutMs(a - 1));
  });
});

describe('when a dial that has not opened is given up', () => {
  const fresh = { ageMs: 0, sinceAnswerMs: undefined, attempt: 0, ended: false };

  it('at once when its connection ended (a failed DTLS handshake closes it without the ICE event PeerJS watches)', () => {
    expect(negotiationVerdict({ ...fresh, ageMs: 150, ended: true })).toBe('failed');
    expect(negotiationVerdict({ ...fresh, ageMs: 150, sinceAnswerMs: 20, ended: true })).toBe('failed');
    expect(negotiationVerdict({ ...fresh, ageMs: 150, sinceAnswerMs: 20 })).toBe('negotiating');
  });

  it('after DIAL_ANSWER_TIMEOUT_MS without an answer, not before', () => {
    expect(negotiationVerdict({ ...fresh, ageMs: DIAL_ANSWER_TIMEOUT_MS - 1 })).toBe('negotiating');
    expect(negotiationVerdict({ ...fresh, ageMs: DIAL_ANSWER_TIMEOUT_MS })).toBe('no-answer');
  });

  it('DIAL_CONNECT_TIMEOUT_MS after the answer if the channel is still not open, however late the answer came', () => {
    const late = DIAL_ANSWER_TIMEOUT_MS - 1;
    expect(negotiationVerdict({ ...fresh, ageMs: late + DIAL_CONNECT_TIMEOUT_MS - 1, sinceAnswerMs: DIAL_CONNECT_TIMEOUT_MS - 1 })).toBe('negotiating');
    expect(negotiationVerdict({ ...fresh, ageMs: late + DIAL_CONNECT_TIMEOUT_MS, sinceAnswerMs: DIAL_CONNECT_TIMEOUT_MS })).toBe('not-connecting');
  });

  it('gives each retry twice the time of the one before, like dialTimeoutMs', () => {
    expect(negotiationVerdict({ ...fresh, attempt: 1, ageMs: 2 * DIAL_ANSWER_TIMEOUT_MS - 1 })).toBe('negotiating');
    expect(negotiationVerdict({ ...fresh, attempt: 1, ageMs: 2 * DIAL_ANSWER_TIMEOUT_MS })).toBe('no-answer');
    expect(negotiationVerdict({ ...fresh, attempt: 2, ageMs: 9_000, sinceAnswerMs: 4 * DIAL_CONNECT_TIMEOUT_MS - 1 })).toBe('negotiating');
    expect(negotiationVerdict({ ...fresh, attempt: 2, ageMs: 9_000, sinceAnswerMs: 4 * DIAL_CONNECT_TIMEOUT_MS })).toBe('not-connecting');
  });

  it('keeps dialTimeoutMs as the backstop of the whole negotiation', () => {
    // Answered just in time on each step, still not open: the overall timeout ends it.
    const answeredLate = { ...fresh, attempt: 0, ageMs: DIAL_TIMEOUT_MS, sinceAnswerMs: 1 };
    expect(negotiationVerdict(answeredLate)).toBe('timeout');
    expect(negotiationVerdict({ ...answeredLate, attempt: 5, ageMs: DIAL_TIMEOUT_MAX_MS })).toBe('timeout');
    expect(negotiationVerdict({ ...answeredLate, attempt: 5, ageMs: DIAL_TIMEOUT_MAX_MS - 1 })).toBe('negotiating');
  });

  it('gives up on a silent offer well before the old flat DIAL_TIMEOUT_MS', () => {
    expect(DIAL_ANSWER_TIMEOUT_MS).toBeLessThan(DIAL_TIMEOUT_MS);
    expect(DIAL_CONNECT_TIMEOUT_MS).toBeLessThan(DIAL_TIMEOUT_MS);
  });
});

describe('pacing: the window of dials in flight', () => {
  it('halves on a stalled dial down to MIN_PENDING_DIALS, widens by one on an opened dial up to MAX_PENDING_DIALS', () => {
    expect(nextDialWindow(MAX_PENDING_DIALS, 'stalled')).toBe(MAX_PENDING_DIALS / 2);
    let window = MAX_PENDING_DIALS;
    for (let i = 0; i < 10; i++) window = nextDialWindow(window, 'stalled');
    expect(window).toBe(MIN_PENDING_DIALS);
    expect(nextDialWindow(window, 'opened')).toBe(MIN_PENDING_DIALS + 1);
    expect(nextDialWindow(MAX_PENDING_DIALS, 'opened')).toBe(MAX_PENDING_DIALS);
  });

  it('a failed connection (not a sign of load) leaves it', () => {
    expect(nextDialWindow(5, 'failed')).toBe(5);
  });
});
