/**
 * core/write-once.ts, rule by rule: what a host reads out of a write-once machine's effects
 * (its decision, its state) and what it starts the machine from. Every host (simulator, tab,
 * explorer, timeline) trusts these helpers to say a machine bug out loud rather than guess, and
 * every machine trusts `restoreOnce` to make unreadable storage listen-only, never a fresh start.
 */
import { describe, expect, it } from 'vitest';
import type { CommittedEntry, LogCommand, PersistOp } from '../../../src/core/types.ts';
import {
  commitDecision,
  decidedValueOf,
  decisionCommand,
  decisionOf,
  hardStateOf,
  onceDurable,
  persistHard,
  restoreOnce,
} from '../../../src/core/write-once.ts';

const red: LogCommand = { kind: 'command', client: 'write-once', seq: 1, command: { value: 'red' } };
const NOT_ONE_DECISION = /commits one decision at index 1/;
const NOT_ONE_HARD = /persists one 'hard' op/;

describe('write-once: the decision as a log command', () => {
  it('a decision is the command of client write-once, seq 1, carrying the value', () => {
    expect(decisionCommand('red')).toEqual(red);
    expect(commitDecision('red')).toEqual({ type: 'commit', entries: [{ index: 1, command: red }] });
    expect(persistHard({ promised: 3 })).toEqual({ type: 'persistLog', ops: [{ op: 'hard', state: { promised: 3 } }] });
  });

  it('reads the value back only from a command whose payload has a string value', () => {
    expect(decidedValueOf(red)).toBe('red');
    expect(decidedValueOf({ kind: 'noop' })).toBeUndefined();
    // A no-op-shaped entry never yields a value, even if something put a value beside it.
    expect(decidedValueOf({ kind: 'noop', command: { value: 'red' } } as unknown as LogCommand)).toBeUndefined();
    expect(decidedValueOf({ ...red, command: { value: 7 } })).toBeUndefined();
    expect(decidedValueOf({ ...red, command: {} })).toBeUndefined();
    // A null payload (a log command may carry any JSON) is no value, not a crash.
    expect(decidedValueOf({ ...red, command: null })).toBeUndefined();
  });
});

describe('write-once: what a host reads out of the effects', () => {
  const at = (index: number, command: LogCommand = red): CommittedEntry => ({ index, command });

  it('the decision of the one entry at index 1', () => {
    const committed = commitDecision('blue'); // what a machine emits is what a host reads back
    expect(committed.type === 'commit' && decisionOf(committed.entries)).toBe('blue');
    expect(decisionOf([at(1)])).toBe('red');
  });

  it('anything but one decision at index 1 is a machine bug, said out loud', () => {
    expect(() => decisionOf([])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(1), at(1)])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(1), at(2)])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(2)])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(0)])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(1, { kind: 'noop' })])).toThrow(NOT_ONE_DECISION);
    expect(() => decisionOf([at(1, { ...red, command: { value: 1 } })])).toThrow(NOT_ONE_DECISION);
  });

  it('the state of the one hard op; anything else is a machine bug, said out loud', () => {
    const hard = (state: unknown): PersistOp<unknown, unknown> => ({ op: 'hard', state });
    expect(hardStateOf([hard({ ballot: 2 })])).toEqual({ ballot: 2 });
    const written = persistHard('x'); // what a machine emits is what a host reads back
    expect(written.type === 'persistLog' && hardStateOf(written.ops)).toBe('x');
    expect(() => hardStateOf([])).toThrow(NOT_ONE_HARD);
    expect(() => hardStateOf([hard(1), hard(2)])).toThrow(NOT_ONE_HARD);
    expect(() => hardStateOf([{ op: 'append', from: 1, entries: [] }])).toThrow(NOT_ONE_HARD);
    expect(() => hardStateOf([{ op: 'truncate', from: 1 }])).toThrow(NOT_ONE_HARD);
    // The error names what the machine wrote instead, for the report of a machine bug.
    expect(() => hardStateOf([{ op: 'truncate', from: 1 }, { op: 'hard', state: 1 }])).toThrow(`not ["truncate","hard"]`);
  });
});

describe('write-once: starting from what was stored', () => {
  it('nothing stored is a first start; anything stored goes, as it was, in hard with no entries', () => {
    expect(onceDurable(undefined)).toBeUndefined();
    expect(onceDurable({ promised: 1 })).toEqual({ hard: { promised: 1 }, entries: [] });
    expect(onceDurable(null)).toEqual({ hard: null, entries: [] });
  });

  it('restores the parsed state; nothing stored, or no hard part, is a fresh start', () => {
    const parse = (raw: unknown): { n: number } | undefined => (typeof raw === 'number' ? { n: raw } : undefined);
    expect(restoreOnce(undefined, parse)).toEqual({ state: undefined, unreadable: false });
    expect(restoreOnce({ entries: [] }, parse)).toEqual({ state: undefined, unreadable: false });
    expect(restoreOnce({ hard: 4, entries: [] }, parse)).toEqual({ state: { n: 4 }, unreadable: false });
    expect(restoreOnce(onceDurable(0), parse)).toEqual({ state: { n: 0 }, unreadable: false });
  });

  it('storage present but unreadable, or not write-once shaped, is listen-only: never a fresh start', () => {
    const parse = (raw: unknown): { n: number } | undefined => (typeof raw === 'number' ? { n: raw } : undefined);
    const unreadable = { state: undefined, unreadable: true };
    expect(restoreOnce({ hard: 'garbled', entries: [] }, parse)).toEqual(unreadable); // the state does not parse
    expect(restoreOnce({ hard: 4, entries: [{ index: 1 }] }, parse)).toEqual(unreadable); // a log, not write-once
    expect(restoreOnce({ hard: 4 }, parse)).toEqual(unreadable); // no entries array
    expect(restoreOnce({ hard: 4, entries: 'none' }, parse)).toEqual(unreadable);
    expect(restoreOnce(null, parse)).toEqual(unreadable);
    expect(restoreOnce('{"hard":4}', parse)).toEqual(unreadable);
    expect(restoreOnce([4], parse)).toEqual(unreadable);
  });
});
