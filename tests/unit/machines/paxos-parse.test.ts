import { describe, expect, it } from 'vitest';
import { MAX_VALUE_LENGTH } from '../../../src/limits.ts';
import { parsePaxosDurable, parsePaxosMessage } from '../../../src/machines/paxos.ts';

const b = (round: number, node: string) => ({ round, node });

describe('parsePaxosMessage', () => {
  it('accepts every well-formed message and returns only its known fields', () => {
    const ballot = b(3, 'n2');
    const good = [
      { type: 'prepare', ballot },
      { type: 'promise', ballot },
      { type: 'promise', ballot, accepted: { ballot: b(1, 'n1'), value: 'red' } },
      { type: 'nack', ballot, promised: b(4, 'n4') },
      { type: 'accept', ballot, value: 'red' },
      { type: 'accepted', ballot, value: 'blue' },
      { type: 'query' },
      { type: 'chosen', value: 'x'.repeat(MAX_VALUE_LENGTH) },
    ];
    for (const message of good) expect(parsePaxosMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
    const parsed = parsePaxosMessage({ type: 'prepare', ballot: { ...ballot, extra: 1 }, from: 'n9', evil: true });
    expect(parsed).toEqual({ type: 'prepare', ballot });
  });

  it('rejects garbage, unknown types, bad ballots and oversized values', () => {
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      'prepare',
      [],
      [{ type: 'query' }],
      {},
      { type: 7 },
      { type: 'vote', value: 'red' },
      { type: '__proto__' },
      { type: 'toString' },
      { type: 'hasOwnProperty', value: 'red' },
      { type: 'prepare' },
      { type: 'prepare', ballot: null },
      { type: 'prepare', ballot: { round: -1, node: 'n1' } },
      { type: 'prepare', ballot: { round: 1.5, node: 'n1' } },
      { type: 'prepare', ballot: { round: 2 ** 53, node: 'n1' } },
      { type: 'prepare', ballot: { round: '1', node: 'n1' } },
      { type: 'prepare', ballot: { round: Number.NaN, node: 'n1' } },
      { type: 'prepare', ballot: { round: 1, node: '' } },
      { type: 'prepare', ballot: { round: 1, node: 'n'.repeat(65) } },
      { type: 'prepare', ballot: { round: 1, node: 5 } },
      { type: 'promise', ballot: b(1, 'n1'), accepted: null },
      { type: 'promise', ballot: b(1, 'n1'), accepted: { ballot: b(1, 'n1') } },
      { type: 'nack', ballot: b(1, 'n1') },
      { type: 'accept', ballot: b(1, 'n1') },
      { type: 'accept', ballot: b(1, 'n1'), value: 3 },
      { type: 'accept', ballot: b(1, 'n1'), value: '' },
      { type: 'accepted', ballot: b(1, 'n1'), value: 'x'.repeat(MAX_VALUE_LENGTH + 1) },
      { type: 'chosen' },
      { type: 'chosen', value: { toString: 'red' } },
    ];
    for (const raw of garbage) expect(parsePaxosMessage(raw), JSON.stringify(raw) ?? String(raw)).toBeUndefined();
  });
});

describe('parsePaxosDurable', () => {
  it('round-trips what a node persists and rejects corrupt storage', () => {
    const durable = {
      promised: b(2, 'n2'),
      accepted: { ballot: b(2, 'n2'), value: 'red' },
      proposal: { value: 'blue', round: 1 },
      decided: 'red',
    };
    expect(parsePaxosDurable(JSON.parse(JSON.stringify(durable)))).toEqual(durable);
    expect(parsePaxosDurable({})).toEqual({
      promised: undefined,
      accepted: undefined,
      proposal: undefined,
      decided: undefined,
    });
    expect(parsePaxosDurable(null)).toBeUndefined();
    expect(parsePaxosDurable({ promised: { round: -2, node: 'n1' } })).toBeUndefined();
    expect(parsePaxosDurable({ accepted: { ballot: b(1, 'n1') } })).toBeUndefined();
    expect(parsePaxosDurable({ proposal: { value: 'red', round: 'one' } })).toBeUndefined();
    expect(parsePaxosDurable({ decided: 'x'.repeat(MAX_VALUE_LENGTH + 1) })).toBeUndefined();
  });
});
