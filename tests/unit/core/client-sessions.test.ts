import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_ID_LENGTH, MAX_CLIENT_SESSIONS } from '../../../src/limits.ts';
import { Prng } from '../../../src/core/prng.ts';
import {
  answerOf,
  applyClientCommand,
  checkClientCommand,
  equalReplicated,
  initialReplicated,
  parseClientCommand,
  parseReplicatedState,
  sessionOf,
  type ReplicatedState,
  type SessionOutcome,
} from '../../../src/core/client-sessions.ts';
import { orderBook, type OrderCommand, type OrderResult } from '../../../src/core/order-book.ts';
import { register, type RegisterCommand, type RegisterResult } from '../../../src/core/register.ts';
import type { ClientCommand } from '../../../src/core/state-machine.ts';

type OrdersState = ReplicatedState<ReturnType<typeof orderBook.initial>, OrderResult>;

function applyAll(log: ReadonlyArray<ClientCommand<OrderCommand>>, from: OrdersState = initialReplicated(orderBook)) {
  let state = from;
  const outcomes: Array<SessionOutcome<OrderResult>> = [];
  for (const entry of log) {
    const step = applyClientCommand(orderBook, state, entry);
    state = step.state;
    outcomes.push(step.outcome);
  }
  return { state, outcomes };
}

describe('client sessions', () => {
  it('a retried (client, seq) is applied once and gets the first answer, even after the state moved on', () => {
    const { state, outcomes } = applyAll([
      { client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'book' } },
      { client: 'c1', seq: 2, command: { op: 'ship', order: 'A' } },
      { client: 'c2', seq: 1, command: { op: 'cancel', order: 'A' } },
      // c1's retry of its ship (say, re-proposed by a new leader): not "already shipped".
      { client: 'c1', seq: 2, command: { op: 'ship', order: 'A' } },
      { client: 'c2', seq: 1, command: { op: 'cancel', order: 'A' } },
    ]);
    expect(outcomes).toEqual([
      { kind: 'applied', result: { kind: 'placed' } },
      { kind: 'applied', result: { kind: 'shipped' } },
      { kind: 'applied', result: { kind: 'refused', reason: 'already-shipped' } },
      { kind: 'duplicate', result: { kind: 'shipped' } },
      { kind: 'duplicate', result: { kind: 'refused', reason: 'already-shipped' } },
    ]);
    expect(state.sessions.applied).toBe(3);
    expect(answerOf(outcomes[3] as SessionOutcome<OrderResult>)).toEqual({ kind: 'shipped' });
  });

  it('a duplicate leaves the very same state object', () => {
    const first = applyAll([{ client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'x' } }]).state;
    const again = applyClientCommand(orderBook, first, { client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'x' } });
    expect(again.state).toBe(first);
  });

  it('an older seq is stale, and a client with no session must start at seq 1', () => {
    const { outcomes, state } = applyAll([
      { client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'x' } },
      { client: 'c1', seq: 2, command: { op: 'place', order: 'B', item: 'x' } },
      { client: 'c1', seq: 1, command: { op: 'place', order: 'C', item: 'x' } },
      { client: 'c9', seq: 4, command: { op: 'place', order: 'D', item: 'x' } },
    ]);
    expect(outcomes.slice(2)).toEqual([{ kind: 'stale', lastSeq: 2 }, { kind: 'no-session' }]);
    expect(answerOf(outcomes[2] as SessionOutcome<OrderResult>)).toBeUndefined();
    expect(Object.keys(state.machine.orders).sort()).toEqual(['A', 'B']);
  });

  it('exactly once over a seeded log full of retries, duplicates and late copies; replicas agree', () => {
    const problems: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const prng = Prng.fromSeed(seed);
      const clients = ['c1', 'c2', 'c3'];
      const next = new Map(clients.map((c) => [c, 1]));
      const log: Array<ClientCommand<RegisterCommand>> = [];
      const intended: Array<ClientCommand<RegisterCommand>> = [];
      for (let i = 0; i < 80; i++) {
        const client = prng.pick(clients);
        const seq = next.get(client) as number;
        if (prng.chance(0.3) && log.length > 0) {
          log.push(prng.pick(log)); // a copy of something already in the log: retry or late duplicate
          continue;
        }
        const entry = { client, seq, command: { op: 'write', key: 'x', value: `${client}-${seq}` } as const };
        log.push(entry);
        intended.push(entry);
        if (prng.chance(0.7)) next.set(client, seq + 1); // else the client retries the same seq later
      }
      let state = initialReplicated(register);
      const appliedPairs = new Set<string>();
      const firstAnswer = new Map<string, RegisterResult>();
      for (const entry of log) {
        const step = applyClientCommand(register, state, entry);
        state = step.state;
        const pair = `${entry.client}#${entry.seq}`;
        if (step.outcome.kind === 'applied') {
          if (appliedPairs.has(pair)) problems.push(`seed ${seed}: ${pair} applied twice`);
          appliedPairs.add(pair);
          firstAnswer.set(pair, step.outcome.result);
        }
        if (step.outcome.kind === 'duplicate' && !register.equalResult(step.outcome.result, firstAnswer.get(pair) as RegisterResult)) {
          problems.push(`seed ${seed}: ${pair} retry got another answer`);
        }
      }
      // Every intended pair was applied (clients number without gaps here), and a second replica agrees.
      expect(appliedPairs.size).toBe(new Set(intended.map((e) => `${e.client}#${e.seq}`)).size);
      let replica = initialReplicated(register);
      for (const entry of log) replica = applyClientCommand(register, replica, entry).state;
      expect(equalReplicated(register, state, replica)).toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('evicts the least recently applied session beyond MAX_CLIENT_SESSIONS; its retry is refused, not re-applied', () => {
    let state = initialReplicated(orderBook);
    state = applyClientCommand(orderBook, state, { client: 'old', seq: 1, command: { op: 'place', order: 'A', item: 'x' } }).state;
    state = applyClientCommand(orderBook, state, { client: 'old', seq: 2, command: { op: 'ship', order: 'A' } }).state;
    for (let i = 0; i < MAX_CLIENT_SESSIONS - 1; i++) {
      state = applyClientCommand(orderBook, state, { client: `k${i}`, seq: 1, command: { op: 'ship', order: 'none' } }).state;
    }
    expect(Object.keys(state.sessions.sessions).length).toBe(MAX_CLIENT_SESSIONS);
    // Touch k0 again so it is no longer the oldest after "old".
    state = applyClientCommand(orderBook, state, { client: 'k0', seq: 2, command: { op: 'ship', order: 'none' } }).state;
    state = applyClientCommand(orderBook, state, { client: 'newcomer', seq: 1, command: { op: 'ship', order: 'none' } }).state;
    expect(Object.keys(state.sessions.sessions).length).toBe(MAX_CLIENT_SESSIONS);
    expect(sessionOf(state.sessions, 'old')).toBeUndefined();
    expect(sessionOf(state.sessions, 'k0')?.seq).toBe(2);
    const retry = applyClientCommand(orderBook, state, { client: 'old', seq: 2, command: { op: 'ship', order: 'A' } });
    expect(retry.outcome).toEqual({ kind: 'no-session' });
    expect(retry.state).toBe(state);
    // The next to go is k1, the least recently applied now.
    state = applyClientCommand(orderBook, state, { client: 'another', seq: 1, command: { op: 'ship', order: 'none' } }).state;
    expect(sessionOf(state.sessions, 'k1')).toBeUndefined();
    expect(sessionOf(state.sessions, 'k2')).toBeDefined();
  });

  it('client ids such as "__proto__" and "constructor" are ordinary sessions', () => {
    const { outcomes, state } = applyAll([
      { client: 'constructor', seq: 2, command: { op: 'place', order: 'A', item: 'x' } },
      { client: '__proto__', seq: 1, command: { op: 'place', order: 'A', item: 'x' } },
      { client: '__proto__', seq: 1, command: { op: 'place', order: 'A', item: 'x' } },
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(['no-session', 'applied', 'duplicate']);
    expect(parseReplicatedState(orderBook, JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it('validates client commands with a reason', () => {
    const good = { client: 'c1', seq: 3, command: { op: 'ship', order: 'A' } };
    expect(parseClientCommand(orderBook, good)).toEqual(good);
    const bad: Array<[unknown, RegExp]> = [
      [[], /object/],
      [{ ...good, client: '' }, /client must be/],
      [{ ...good, client: 'c'.repeat(MAX_CLIENT_ID_LENGTH + 1) }, /client must be/],
      [{ ...good, seq: 0 }, /seq must be/],
      [{ ...good, seq: 1.5 }, /seq must be/],
      [{ ...good, command: { op: 'ship' } }, /command: order must be/],
    ];
    for (const [raw, reason] of bad) {
      const checked = checkClientCommand(orderBook, raw);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.error).toMatch(reason);
    }
  });

  it('round-trips a replicated state through JSON and refuses corrupt snapshots', () => {
    const { state } = applyAll([
      { client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'x' } },
      { client: 'c2', seq: 1, command: { op: 'ship', order: 'A' } },
    ]);
    const json = JSON.parse(JSON.stringify(state));
    expect(equalReplicated(orderBook, parseReplicatedState(orderBook, json) as OrdersState, state)).toBe(true);
    expect(parseReplicatedState(orderBook, { ...json, machine: { orders: 3 } })).toBeUndefined();
    const badSession = { ...json, sessions: { ...json.sessions, sessions: { c1: { seq: 0, result: { kind: 'placed' }, appliedAt: 0 } } } };
    expect(parseReplicatedState(orderBook, badSession)).toBeUndefined();
    const future = { ...json, sessions: { ...json.sessions, sessions: { c1: { seq: 1, result: { kind: 'placed' }, appliedAt: 9 } } } };
    expect(parseReplicatedState(orderBook, future)).toBeUndefined();
    const badResult = { ...json, sessions: { ...json.sessions, sessions: { c1: { seq: 1, result: { kind: 'nope' }, appliedAt: 0 } } } };
    expect(parseReplicatedState(orderBook, badResult)).toBeUndefined();
    // Different sessions make different replicated states even with equal books.
    const other = applyAll([
      { client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'x' } },
      { client: 'c3', seq: 1, command: { op: 'ship', order: 'A' } },
    ]).state;
    expect(orderBook.equalState(other.machine, state.machine)).toBe(true);
    expect(equalReplicated(orderBook, other, state)).toBe(false);
  });
});
