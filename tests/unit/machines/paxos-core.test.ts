import { describe, expect, it } from 'vitest';
import {
  MAX_BACKOFF_FACTOR,
  acceptedTally,
  backoffDelay,
  chosenIn,
  completesMajority,
  nextBallot,
  onAccept,
  onPrepare,
  promiseQuorum,
  recordAccepted,
  valueToPropose,
  type AcceptorState,
} from '../../../src/core/paxos.ts';

const b = (round: number, node: string) => ({ round, node });
const fresh: AcceptorState = { promised: undefined, accepted: undefined };
/** Promises and accepted reports are Maps keyed by node id. */
const byNode = <T>(entries: Record<string, T>): Map<string, T> => new Map(Object.entries(entries));

describe('acceptor (pure)', () => {
  it('promises a higher ballot, reporting what it accepted, and marks the change for persisting', () => {
    const accepted = { ballot: b(1, 'n1'), value: 'red' };
    const step = onPrepare({ promised: b(1, 'n1'), accepted }, b(2, 'n2'));
    expect(step.changed).toBe(true);
    expect(step.acceptor).toEqual({ promised: b(2, 'n2'), accepted });
    expect(step.reply).toEqual({ type: 'promise', ballot: b(2, 'n2'), accepted });
  });

  it('re-answers a repeated prepare for the promised ballot without changing state', () => {
    const acceptor = { promised: b(2, 'n2'), accepted: undefined };
    const step = onPrepare(acceptor, b(2, 'n2'));
    expect(step.changed).toBe(false);
    expect(step.acceptor).toBe(acceptor);
    expect(step.reply.type).toBe('promise');
  });

  it('nacks a lower ballot with the ballot to beat; round first, then node id', () => {
    const acceptor = { promised: b(2, 'n2'), accepted: undefined };
    expect(onPrepare(acceptor, b(1, 'n9'))).toEqual({
      acceptor,
      reply: { type: 'nack', ballot: b(1, 'n9'), promised: b(2, 'n2') },
      changed: false,
    });
    expect(onPrepare(acceptor, b(2, 'n1')).reply.type).toBe('nack');
    expect(onPrepare(acceptor, b(2, 'n3')).reply.type).toBe('promise');
  });

  it('accepts at or above its promise, raising the promise; rejects below', () => {
    const promisedTwo = { promised: b(2, 'n2'), accepted: undefined };
    const low = onAccept(promisedTwo, b(1, 'n1'), 'red');
    expect(low.reply).toEqual({ type: 'nack', ballot: b(1, 'n1'), promised: b(2, 'n2') });
    expect(low.changed).toBe(false);

    const same = onAccept(promisedTwo, b(2, 'n2'), 'blue');
    expect(same.changed).toBe(true);
    expect(same.acceptor).toEqual({ promised: b(2, 'n2'), accepted: { ballot: b(2, 'n2'), value: 'blue' } });
    expect(same.reply).toEqual({ type: 'accepted', ballot: b(2, 'n2'), value: 'blue' });

    const higher = onAccept(fresh, b(3, 'n3'), 'green');
    expect(higher.acceptor.promised).toEqual(b(3, 'n3'));

    const again = onAccept(same.acceptor, b(2, 'n2'), 'blue');
    expect(again.changed).toBe(false);
    expect(again.reply.type).toBe('accepted');
  });
});

describe('proposer (pure)', () => {
  it('picks a round above every round seen', () => {
    expect(nextBallot(0, 'n1')).toEqual(b(1, 'n1'));
    expect(nextBallot(7, 'n3')).toEqual(b(8, 'n3'));
  });

  it('needs promises from a majority of all members, each counted once', () => {
    expect(promiseQuorum(byNode({ n1: null }), 'n2', 5)).toBe(false);
    expect(promiseQuorum(byNode({ n1: null, n2: null }), 'n2', 5)).toBe(false);
    expect(promiseQuorum(byNode({ n1: null, n2: null }), 'n3', 5)).toBe(true);
  });

  it('proposes the value accepted in the highest ballot among the promises, else its own', () => {
    expect(valueToPropose(byNode({ n1: null, n2: null }), 'red')).toBe('red');
    const promises = byNode({
      n1: { ballot: b(3, 'n1'), value: 'blue' },
      n2: null,
      n3: { ballot: b(3, 'n4'), value: 'green' },
      n4: { ballot: b(1, 'n9'), value: 'violet' },
    });
    expect(valueToPropose(promises, 'red')).toBe('green');
  });

  it('backs off uniformly in [base, 2·base) times a doubling factor, capped', () => {
    expect(backoffDelay(100, 0, 0)).toBe(100);
    expect(backoffDelay(100, 0, 0.999)).toBe(199);
    expect(backoffDelay(100, 1, 0)).toBe(200);
    expect(backoffDelay(100, 2, 0.5)).toBe(600);
    expect(backoffDelay(100, 30, 0)).toBe(100 * MAX_BACKOFF_FACTOR);
  });
});

describe('learner (pure)', () => {
  it('keeps each acceptor’s highest accepted proposal and ignores stale reports', () => {
    const first = recordAccepted(new Map(), 'n1', { ballot: b(2, 'n2'), value: 'red' });
    expect(recordAccepted(first, 'n1', { ballot: b(1, 'n1'), value: 'blue' })).toBe(first);
    expect(recordAccepted(first, 'n1', { ballot: b(2, 'n2'), value: 'red' })).toBe(first);
    expect(recordAccepted(first, 'n1', { ballot: b(3, 'n1'), value: 'blue' }).get('n1')?.value).toBe('blue');
    // Node ids are plain keys, whatever they spell.
    expect(recordAccepted(first, 'constructor', { ballot: b(1, 'n1'), value: 'red' }).size).toBe(2);
  });

  it('tells, without copying, whether one more accepted report completes a majority', () => {
    const two = byNode({ n1: { ballot: b(2, 'n1'), value: 'red' }, n2: { ballot: b(2, 'n1'), value: 'red' } });
    expect(completesMajority(two, 'n3', { ballot: b(2, 'n1'), value: 'red' }, 5)).toBe(true);
    expect(completesMajority(two, 'n2', { ballot: b(2, 'n1'), value: 'red' }, 5)).toBe(false); // a repeat
    expect(completesMajority(two, 'n3', { ballot: b(3, 'n3'), value: 'red' }, 5)).toBe(false); // another ballot
    const moved = new Map(two).set('n3', { ballot: b(4, 'n3'), value: 'red' });
    expect(completesMajority(moved, 'n3', { ballot: b(2, 'n1'), value: 'red' }, 5)).toBe(false); // stale
  });

  it('finds a value chosen only when a majority accepted it in the same ballot', () => {
    const split = byNode({
      n1: { ballot: b(1, 'n1'), value: 'red' },
      n2: { ballot: b(1, 'n1'), value: 'red' },
      n3: { ballot: b(2, 'n3'), value: 'red' },
    });
    expect(chosenIn(split, b(1, 'n1'), 5)).toBeUndefined();
    expect(chosenIn(split, b(2, 'n3'), 5)).toBeUndefined();
    const majority = new Map(split).set('n4', { ballot: b(1, 'n1'), value: 'red' });
    expect(chosenIn(majority, b(1, 'n1'), 5)).toBe('red');
  });

  it('tallies accepted counts per value in the highest ballot heard of', () => {
    expect(acceptedTally(new Map())).toEqual({});
    expect(
      acceptedTally(
        byNode({
          n1: { ballot: b(1, 'n1'), value: 'red' },
          n2: { ballot: b(2, 'n2'), value: 'blue' },
          n3: { ballot: b(2, 'n2'), value: 'blue' },
        }),
      ),
    ).toEqual({ blue: 2 });
    const hostile = acceptedTally(byNode({ n1: { ballot: b(1, 'n1'), value: '__proto__' } }));
    expect(Object.keys(hostile)).toEqual(['__proto__']);
    expect(hostile['__proto__']).toBe(1);
  });
});
