import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MAX_REGISTER_KEYS } from '../../../src/limits.ts';
import { orderBook, type OrderCommand, type OrderResult } from '../../../src/core/order-book.ts';
import { register, type RegisterCommand, type RegisterResult } from '../../../src/core/register.ts';
import type { HistoryOperation } from '../../../src/core/state-machine.ts';
import { checkLinearizability, describeCounterexample, HistoryRecorder } from '../../../src/sim/linearizability.ts';
import { Prng } from '../../../src/core/prng.ts';
import { isCompleted, type StateMachine } from '../../../src/core/state-machine.ts';
import { orderCommand, randomHistory, registerCommand } from './lin-histories.ts';

type RegOp = HistoryOperation<RegisterCommand, RegisterResult>;
type OrderOp = HistoryOperation<OrderCommand, OrderResult>;

// Small builders: [call, return] on one clock; `pending` never returned.
const done = <C, R>(client: string, call: number, ret: number, input: C, output: R): HistoryOperation<C, R> => ({
  client,
  call,
  return: ret,
  input,
  output,
});
const pending = <C, R>(client: string, call: number, input: C): HistoryOperation<C, R> => ({ client, call, input });

const write = (client: string, call: number, ret: number, value: string, key = 'x'): RegOp =>
  done(client, call, ret, { op: 'write', key, value }, { kind: 'written' });
const read = (client: string, call: number, ret: number, value: string | null, key = 'x'): RegOp =>
  done(client, call, ret, { op: 'read', key }, { kind: 'value', value });
const cas = (client: string, call: number, ret: number, from: string, to: string, output: RegisterResult, key = 'x'): RegOp =>
  done(client, call, ret, { op: 'cas', key, from, to }, output);

const checkRegister = (history: RegOp[], options = {}) => checkLinearizability(register, history, options);
const checkOrders = (history: OrderOp[], options = {}) => checkLinearizability(orderBook, history, options);

describe('linearizability: histories it must reject', () => {
  it('a stale read after a completed write', () => {
    const report = checkRegister([write('a', 0, 10, '1'), write('a', 20, 30, '2'), read('b', 40, 50, '1')]);
    expect(report.result).toBe(false);
    expect(report.counterexample?.partition).toBe('x');
    expect(report.counterexample?.stuck?.input).toEqual({ op: 'read', key: 'x' });
  });

  it('a read that misses a write that completed before it started', () => {
    expect(checkRegister([write('a', 0, 10, '1'), read('b', 11, 20, null)]).result).toBe(false);
  });

  it('two cas both succeeding from the same old value', () => {
    const report = checkRegister([
      write('a', 0, 5, '0'),
      cas('b', 10, 20, '0', '1', { kind: 'swapped' }),
      cas('c', 12, 22, '0', '2', { kind: 'swapped' }),
    ]);
    expect(report.result).toBe(false);
    // The longest consistent order got as far as the write and one cas.
    expect(report.counterexample?.linearizedCount).toBe(2);
  });

  it('a read of a value never written', () => {
    expect(checkRegister([write('a', 0, 10, '1'), read('b', 5, 15, '7')]).result).toBe(false);
  });

  it('a read that sees a write which had not started yet (real-time order)', () => {
    expect(checkRegister([read('b', 0, 10, '2'), write('a', 20, 30, '2')]).result).toBe(false);
  });

  it('a value that flips back without a write (real-time order of two reads)', () => {
    const history = [write('a', 0, 10, '1'), write('b', 5, 15, '2'), read('c', 20, 25, '2'), read('d', 26, 30, '1')];
    expect(checkRegister(history).result).toBe(false);
  });

  it('an order both shipped and cancelled as seen by clients', () => {
    const report = checkOrders([
      done('a', 0, 5, { op: 'place', order: 'A', item: 'book' }, { kind: 'placed' }),
      done('b', 10, 20, { op: 'ship', order: 'A' }, { kind: 'shipped' }),
      done('c', 11, 21, { op: 'cancel', order: 'A' }, { kind: 'cancelled' }),
    ]);
    expect(report.result).toBe(false);
    expect(report.counterexample?.partition).toBe('A');
    const text = describeCounterexample(orderBook, report.counterexample!).join('\n');
    expect(text).toContain('partition A');
    expect(text).toMatch(/cannot place: [bc]: (ship|cancel) A/);
  });

  it('a ship answered before the order was placed', () => {
    const history: OrderOp[] = [
      done('b', 0, 5, { op: 'ship', order: 'A' }, { kind: 'shipped' }),
      done('a', 10, 20, { op: 'place', order: 'A', item: 'book' }, { kind: 'placed' }),
    ];
    expect(checkOrders(history).result).toBe(false);
  });

  it('a pending write seen, then unseen', () => {
    const history = [pending<RegisterCommand, RegisterResult>('a', 0, { op: 'write', key: 'x', value: '1' }), read('b', 10, 20, '1'), read('c', 30, 40, null)];
    expect(checkRegister(history).result).toBe(false);
  });
});

describe('linearizability: histories it must accept', () => {
  it('the empty history and a sequential one', () => {
    expect(checkRegister([]).result).toBe(true);
    expect(checkRegister([write('a', 0, 1, '1'), read('a', 2, 3, '1'), cas('a', 4, 5, '1', '2', { kind: 'swapped' }), read('b', 6, 7, '2')]).result).toBe(
      true,
    );
  });

  it('overlapping writes, linearized in either order', () => {
    const writes = [write('a', 0, 10, '1'), write('b', 5, 15, '2')];
    expect(checkRegister([...writes, read('c', 20, 25, '1')]).result).toBe(true);
    expect(checkRegister([...writes, read('c', 20, 25, '2')]).result).toBe(true);
  });

  it('a read overlapping a write sees the old or the new value', () => {
    for (const seen of [null, '1']) expect(checkRegister([write('a', 0, 10, '1'), read('b', 2, 8, seen)]).result).toBe(true);
  });

  it('an operation called at the instant another returned may be ordered first (calls before returns on ties)', () => {
    expect(checkRegister([write('a', 0, 10, '1'), read('b', 10, 20, null)]).result).toBe(true);
  });

  it('one cas wins and the other sees the winner', () => {
    const history = [
      write('a', 0, 5, '0'),
      cas('b', 10, 20, '0', '1', { kind: 'swapped' }),
      cas('c', 12, 22, '0', '2', { kind: 'mismatch', value: '1' }),
      read('a', 30, 31, '1'),
    ];
    expect(checkRegister(history).result).toBe(true);
  });

  it('a ship and a cancel racing: one wins, the loser is refused', () => {
    const history: OrderOp[] = [
      done('a', 0, 5, { op: 'place', order: 'A', item: 'book' }, { kind: 'placed' }),
      done('b', 10, 20, { op: 'ship', order: 'A' }, { kind: 'refused', reason: 'already-cancelled' }),
      done('c', 11, 21, { op: 'cancel', order: 'A' }, { kind: 'cancelled' }),
    ];
    expect(checkOrders(history).result).toBe(true);
  });

  it('a pending write that took effect, and one that did not', () => {
    const pendingWrite = pending<RegisterCommand, RegisterResult>('a', 0, { op: 'write', key: 'x', value: '1' });
    expect(checkRegister([pendingWrite, read('b', 10, 20, '1')]).result).toBe(true);
    expect(checkRegister([pendingWrite, read('b', 10, 20, null)]).result).toBe(true);
    // It may take effect at any time after its call, even long after.
    expect(checkRegister([pendingWrite, read('b', 10, 20, null), read('b', 100, 110, '1')]).result).toBe(true);
  });

  it('a pending ship explains why a later cancel was refused', () => {
    const history: OrderOp[] = [
      done('a', 0, 5, { op: 'place', order: 'A', item: 'book' }, { kind: 'placed' }),
      pending('b', 10, { op: 'ship', order: 'A' }),
      done('c', 30, 40, { op: 'cancel', order: 'A' }, { kind: 'refused', reason: 'already-shipped' }),
    ];
    expect(checkOrders(history).result).toBe(true);
  });
});

describe('linearizability: partitions', () => {
  it('checks each key alone and names the failing one', () => {
    const history = [
      write('a', 0, 10, '1', 'k1'),
      read('b', 20, 30, '1', 'k1'),
      write('a', 0, 10, '5', 'k2'),
      read('b', 20, 30, '6', 'k2'),
      read('c', 0, 5, null, 'k3'),
    ];
    const report = checkRegister(history);
    expect(report.result).toBe(false);
    expect(report.counterexample?.partition).toBe('k2');
    expect(report.partitions).toBe(3);
  });

  it('does not mix keys: a read of one key is not explained by a write of another', () => {
    expect(checkRegister([write('a', 0, 10, '1', 'k1'), read('b', 5, 15, '1', 'k2')]).result).toBe(false);
  });

  it('gives the same answers partitioned and whole on random histories (locality)', () => {
    let rejected = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const history = randomHistory(register, seed, { clients: 3, opsPerClient: 5, maxLatency: 6, pendingChance: 0.1 }, registerCommand(2));
      // Corrupt one answer in half of them so both verdicts occur.
      const target = history.findIndex((op) => op.output?.kind === 'value');
      if (seed % 2 === 0 && target >= 0) {
        const op = history[target] as RegOp & { return: number };
        const wrong: RegisterResult = { kind: 'value', value: '9' };
        history[target] = { ...op, output: wrong };
      }
      const split = checkRegister(history);
      const whole = checkRegister(history, { partition: false });
      expect(whole.partitions, `seed ${seed}`).toBe(1);
      expect(split.result, `seed ${seed}`).toBe(whole.result);
      if (split.result === false) rejected++;
    }
    expect(rejected).toBeGreaterThan(20);
  });

  it('checks the history whole when an answer depended on other keys (store full)', () => {
    const history: RegOp[] = [];
    for (let i = 0; i < MAX_REGISTER_KEYS; i++) history.push(write('a', 2 * i, 2 * i + 1, '1', `k${i}`));
    const full = MAX_REGISTER_KEYS * 2;
    history.push(done('b', full, full + 1, { op: 'write', key: 'extra', value: '1' }, { kind: 'store-full' }));
    const report = checkRegister(history);
    expect(report.result).toBe(true);
    expect(report.partitions).toBe(1);
    // And "full" before the store could be full is caught.
    const early: RegOp[] = [done('b', 0, 1, { op: 'write', key: 'extra', value: '1' }, { kind: 'store-full' }), ...history.slice(0, 3)];
    expect(checkRegister(early).result).toBe(false);
  });
});

describe('linearizability: budget', () => {
  // Many overlapping writes and a read no order explains: the search must try every order.
  function hardHistory(writers: number): RegOp[] {
    const history: RegOp[] = [];
    for (let i = 0; i < writers; i++) history.push(write(`w${i}`, 0, 100, String(i)));
    history.push(read('r', 200, 210, 'never'));
    return history;
  }

  it('answers unknown when the step budget runs out, and decides with enough budget', () => {
    const cut = checkRegister(hardHistory(12), { maxSteps: 1_000 });
    expect(cut.result).toBe('unknown');
    expect(cut.steps).toBe(1_000);
    expect(cut.unknownPartition).toBe('x');
    expect(cut.partitionsChecked).toBe(0);
    expect(checkRegister(hardHistory(6)).result).toBe(false);
  });

  it("memoization decides 10 overlapping writes within 50,000 steps (10! orders without Lowe's cache)", () => {
    const report = checkRegister(hardHistory(10), { maxSteps: 50_000 });
    expect(report.result).toBe(false);
    expect(report.partitionsChecked).toBe(1);
  });

  it('answers unknown when an injected clock passes the deadline', () => {
    let now = 0;
    const clock = () => (now += 10);
    const report = checkRegister(hardHistory(14), { deadline: { now: clock, budgetMs: 1_000 } });
    expect(report.result).toBe('unknown');
    expect(report.steps).toBeLessThan(100_000);
  });

  it('weighs steps by the size of the state hashed, so a whole-history check of a full store stays on budget', () => {
    const history: RegOp[] = [];
    for (let i = 0; i < MAX_REGISTER_KEYS; i++) history.push(write('a', 2 * i, 2 * i + 1, 'value', `key-${i}`));
    const end = 2 * MAX_REGISTER_KEYS;
    history.push(done('b', end, end + 1, { op: 'write', key: 'extra', value: '1' }, { kind: 'store-full' }));
    // 65 moves, each hashing up to ~1,000 characters of state: unweighted, 300 steps would be plenty.
    const cut = checkRegister(history, { maxSteps: 300 });
    expect(cut.result).toBe('unknown');
    expect(cut.partitions).toBe(1);
    const full = checkRegister(history);
    expect(full.result).toBe(true);
    expect(full.steps).toBeGreaterThan(10 * history.length);
  });

  it('still finds a small failing partition while a big one is out of budget', () => {
    const history = [...hardHistory(14), write('a', 0, 1, '1', 'y'), read('b', 2, 3, '2', 'y')];
    const report = checkRegister(history, { maxSteps: 500 });
    expect(report.result).toBe(false);
    expect(report.counterexample?.partition).toBe('y');
  });

  it('reports unknown, not true, when one partition is undecided and the others pass', () => {
    const history = [...hardHistory(14), write('a', 0, 1, '1', 'y'), read('b', 2, 3, '1', 'y')];
    const report = checkRegister(history, { maxSteps: 500 });
    expect(report.result).toBe('unknown');
    expect(report.partitionsChecked).toBe(1);
  });
});

describe('linearizability: bad histories get a clear error', () => {
  it('refuses a return before its call and non-finite times', () => {
    expect(() => checkRegister([write('a', 10, 5, '1')])).toThrow(/operation 0: returns at 5, before its call at 10/);
    expect(() => checkRegister([write('a', Number.NaN, 5, '1')])).toThrow(/operation 0: call time/);
  });
});

describe('linearizability: random linearizable histories are accepted', () => {
  it('register and order book, many seeds, with pending operations', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const shape = { clients: 4, opsPerClient: 12, maxLatency: 8, pendingChance: 0.05 };
      const reg = checkRegister(randomHistory(register, seed, shape, registerCommand(3)));
      expect(reg.result, `register seed ${seed}`).toBe(true);
      const orders = checkOrders(randomHistory(orderBook, seed, shape, orderCommand(3)));
      expect(orders.result, `orders seed ${seed}`).toBe(true);
    }
  });
});

describe('linearizability: performance', () => {
  it('5 clients × 200 operations on a register, per key, in under a second', () => {
    const shape = { clients: 5, opsPerClient: 200, maxLatency: 10, pendingChance: 0 };
    const history = randomHistory(register, 42, shape, registerCommand(4));
    expect(history.length).toBe(1_000);
    const started = performance.now();
    const report = checkRegister(history);
    const elapsed = performance.now() - started;
    expect(report.result).toBe(true);
    expect(report.partitions).toBe(4);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('5 clients × 200 operations on one key, in under a second', () => {
    const shape = { clients: 5, opsPerClient: 200, maxLatency: 10, pendingChance: 0 };
    const history = randomHistory(register, 7, shape, registerCommand(1));
    const started = performance.now();
    expect(checkRegister(history).result).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('history recorder', () => {
  it('builds completed and pending operations from invoke / complete, and the checker judges them', () => {
    const recorder = new HistoryRecorder<RegisterCommand, RegisterResult>();
    const w = recorder.invoke('a', { op: 'write', key: 'x', value: '1' }, 0);
    const r = recorder.invoke('b', { op: 'read', key: 'x' }, 5);
    recorder.invoke('c', { op: 'write', key: 'x', value: '2' }, 6);
    recorder.complete(w, { kind: 'written' }, 10);
    recorder.complete(r, { kind: 'value', value: '2' }, 12);
    const history = recorder.history();
    expect(history.map((op) => op.return)).toEqual([10, 12, undefined]);
    // The read saw the pending write of '2': linearizable only because pending ops may take effect.
    expect(checkRegister(history).result).toBe(true);
    recorder.complete(2, { kind: 'written' }, 11);
    expect(recorder.history()[2]?.return).toBe(11);
    expect(history[2]?.return).toBeUndefined();
  });

  it('refuses unknown ids, second answers and answers before the call', () => {
    const recorder = new HistoryRecorder<RegisterCommand, RegisterResult>();
    const id = recorder.invoke('a', { op: 'read', key: 'x' }, 5);
    expect(() => recorder.complete(7, { kind: 'value', value: null }, 6)).toThrow(/no call with id 7/);
    expect(() => recorder.complete(id, { kind: 'value', value: null }, 4)).toThrow(/before its call/);
    recorder.complete(id, { kind: 'value', value: null }, 6);
    expect(() => recorder.complete(id, { kind: 'value', value: null }, 7)).toThrow(/already returned at 6/);
    expect(() => recorder.invoke('a', { op: 'read', key: 'x' }, Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});

/**
 * The definition, by brute force: some order of all completed operations and any subset of the
 * pending ones, respecting real time (a before b when a returned strictly before b was called),
 * gives every completed operation its answer. Only for tiny histories.
 */
function bruteForce<S, C, R>(machine: StateMachine<S, C, R>, ops: ReadonlyArray<HistoryOperation<C, R>>): boolean {
  const completed = ops.filter((op) => isCompleted(op)).length;
  const placed = new Set<number>();
  const search = (state: S, placedCompleted: number): boolean => {
    if (placedCompleted === completed) return true;
    for (let x = 0; x < ops.length; x++) {
      const op = ops[x] as HistoryOperation<C, R>;
      if (placed.has(x)) continue;
      const mustFollow = ops.some((y, i) => i !== x && !placed.has(i) && y.return !== undefined && y.return < op.call);
      if (mustFollow) continue;
      const applied = machine.apply(state, op.input);
      if (isCompleted(op) && !machine.equalResult(applied.result, op.output)) continue;
      placed.add(x);
      const found = search(applied.state, placedCompleted + (isCompleted(op) ? 1 : 0));
      placed.delete(x);
      if (found) return true;
    }
    return false;
  };
  return search(machine.initial(), 0);
}

describe('linearizability: agrees with the definition (brute force) on tiny random histories', () => {
  function corrupt<C, R>(history: Array<HistoryOperation<C, R>>, prng: Prng, wrong: (prng: Prng) => R): void {
    for (let i = 0; i < history.length; i++) {
      const op = history[i] as HistoryOperation<C, R>;
      if (isCompleted(op) && prng.chance(0.15)) history[i] = { ...op, output: wrong(prng) };
    }
  }
  const wrongRegister = (prng: Prng): RegisterResult =>
    prng.pick<RegisterResult>([
      { kind: 'value', value: String(prng.int(1, 3)) },
      { kind: 'value', value: null },
      { kind: 'swapped' },
      { kind: 'mismatch', value: String(prng.int(1, 3)) },
      { kind: 'written' },
    ]);
  const wrongOrder = (prng: Prng): OrderResult =>
    prng.pick<OrderResult>([
      { kind: 'placed' },
      { kind: 'shipped' },
      { kind: 'cancelled' },
      { kind: 'refused', reason: 'already-shipped' },
      { kind: 'refused', reason: 'already-cancelled' },
      { kind: 'refused', reason: 'no-such-order' },
    ]);

  it('register: same verdict on 400 histories, both verdicts occurring', () => {
    const verdicts = { true: 0, false: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const prng = Prng.fromSeed(seed);
      const history = randomHistory(register, seed, { clients: 3, opsPerClient: 2, maxLatency: 4, pendingChance: 0.15 }, registerCommand(1));
      corrupt(history, prng, wrongRegister);
      const expected = bruteForce(register, history);
      expect(checkRegister(history).result, `seed ${seed}`).toBe(expected);
      verdicts[String(expected) as 'true' | 'false']++;
    }
    expect(verdicts.true).toBeGreaterThan(50);
    expect(verdicts.false).toBeGreaterThan(50);
  });

  it('order book: same verdict on 400 histories, both verdicts occurring', () => {
    const verdicts = { true: 0, false: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const prng = Prng.fromSeed(seed);
      const history = randomHistory(orderBook, seed, { clients: 3, opsPerClient: 2, maxLatency: 4, pendingChance: 0.15 }, orderCommand(1));
      corrupt(history, prng, wrongOrder);
      const expected = bruteForce(orderBook, history);
      expect(checkOrders(history).result, `seed ${seed}`).toBe(expected);
      verdicts[String(expected) as 'true' | 'false']++;
    }
    expect(verdicts.true).toBeGreaterThan(50);
    expect(verdicts.false).toBeGreaterThan(50);
  });
});
