import { describe, expect, it } from 'vitest';
import { MAX_REGISTER_KEYS, MAX_REGISTER_KEY_LENGTH, MAX_REGISTER_VALUE_LENGTH } from '../../../src/limits.ts';
import { Prng } from '../../../src/core/prng.ts';
import { register, type RegisterCommand, type RegisterResult, type Registers } from '../../../src/core/register.ts';

function run(commands: readonly RegisterCommand[]): { registers: Registers; results: RegisterResult[] } {
  let registers = register.initial();
  const results: RegisterResult[] = [];
  for (const command of commands) {
    const applied = register.apply(registers, command);
    registers = applied.state;
    results.push(applied.result);
  }
  return { registers, results };
}

function randomCommands(seed: number, count: number): RegisterCommand[] {
  const prng = Prng.fromSeed(seed);
  return Array.from({ length: count }, (): RegisterCommand => {
    const key = prng.pick(['x', 'y', 'z']);
    const value = String(prng.int(1, 3));
    const roll = prng.int(0, 2);
    return roll === 0 ? { op: 'write', key, value } : roll === 1 ? { op: 'read', key } : { op: 'cas', key, from: value, to: String(prng.int(1, 3)) };
  });
}

/** Reference: a Map, the rules as they read. */
function reference(commands: readonly RegisterCommand[]): RegisterResult[] {
  const values = new Map<string, string>();
  return commands.map((c): RegisterResult => {
    const now = values.get(c.key) ?? null;
    switch (c.op) {
      case 'write':
        values.set(c.key, c.value);
        return { kind: 'written' };
      case 'read':
        return { kind: 'value', value: now };
      case 'cas':
        if (now !== c.from) return { kind: 'mismatch', value: now };
        values.set(c.key, c.to);
        return { kind: 'swapped' };
    }
  });
}

describe('register', () => {
  it('write, read, cas: an unwritten key reads null, a cas from the wrong value changes nothing', () => {
    const { results, registers } = run([
      { op: 'read', key: 'x' },
      { op: 'cas', key: 'x', from: '1', to: '2' },
      { op: 'write', key: 'x', value: '1' },
      { op: 'cas', key: 'x', from: '1', to: '2' },
      { op: 'cas', key: 'x', from: '1', to: '3' },
      { op: 'read', key: 'x' },
    ]);
    expect(results).toEqual([
      { kind: 'value', value: null },
      { kind: 'mismatch', value: null },
      { kind: 'written' },
      { kind: 'swapped' },
      { kind: 'mismatch', value: '2' },
      { kind: 'value', value: '2' },
    ]);
    expect(registers.values).toEqual({ x: '2' });
  });

  it('matches an independent reference on seeded random command sequences; replays are equal', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const commands = randomCommands(seed, 50);
      const first = run(commands);
      expect(first.results, `seed ${seed}`).toEqual(reference(commands));
      expect(register.equalState(first.registers, run(commands).registers)).toBe(true);
    }
  });

  it('reads and refused cas leave the very same state; the input is never modified', () => {
    const { registers } = run([{ op: 'write', key: 'x', value: '1' }]);
    Object.freeze(registers.values);
    Object.freeze(registers);
    expect(register.apply(registers, { op: 'read', key: 'x' }).state).toBe(registers);
    expect(register.apply(registers, { op: 'cas', key: 'x', from: '9', to: '2' }).state).toBe(registers);
    const written = register.apply(registers, { op: 'write', key: 'x', value: '5' });
    expect(registers.values).toEqual({ x: '1' });
    expect(written.state.values).toEqual({ x: '5' });
  });

  it('is bounded: a new key beyond MAX_REGISTER_KEYS is refused (store-full); existing keys still change', () => {
    const fill: RegisterCommand[] = Array.from({ length: MAX_REGISTER_KEYS }, (_, i) => ({ op: 'write', key: `k${i}`, value: '1' }));
    const { registers } = run(fill);
    const refused = register.apply(registers, { op: 'write', key: 'new', value: '1' });
    expect(refused.result).toEqual({ kind: 'store-full' });
    expect(refused.state).toBe(registers);
    expect(register.resultCrossesPartitions?.(refused.result)).toBe(true);
    expect(register.apply(registers, { op: 'write', key: 'k0', value: '2' }).result).toEqual({ kind: 'written' });
    expect(register.apply(registers, { op: 'cas', key: 'new', from: '1', to: '2' }).result).toEqual({ kind: 'mismatch', value: null });
  });

  it('state keys ignore insertion order, quote values, and treat "__proto__" as a key', () => {
    const xy = run([{ op: 'write', key: 'x', value: '1' }, { op: 'write', key: 'y', value: '2' }]).registers;
    const yx = run([{ op: 'write', key: 'y', value: '2' }, { op: 'write', key: 'x', value: '1' }]).registers;
    expect(register.stateKey(xy)).toBe(register.stateKey(yx));
    const tricky = run([{ op: 'write', key: 'x', value: '1","y":"2' }]).registers;
    expect(register.equalState(tricky, xy)).toBe(false);
    const proto = run([{ op: 'write', key: '__proto__', value: '1' }, { op: 'read', key: '__proto__' }, { op: 'read', key: 'constructor' }]);
    expect(proto.results.slice(1)).toEqual([{ kind: 'value', value: '1' }, { kind: 'value', value: null }]);
    expect(register.parseState(JSON.parse(JSON.stringify(proto.registers)))).toEqual(proto.registers);
  });

  it('validates commands with a reason', () => {
    expect(register.parseCommand({ op: 'cas', key: 'x', from: '1', to: '2' })).toEqual({ op: 'cas', key: 'x', from: '1', to: '2' });
    const bad: Array<[unknown, RegExp]> = [
      ['read x', /object/],
      [{ op: 'delete', key: 'x' }, /op must be/],
      [{ op: 'read', key: 'x'.repeat(MAX_REGISTER_KEY_LENGTH + 1) }, /key must be/],
      [{ op: 'write', key: 'x' }, /value must be/],
      [{ op: 'write', key: 'x', value: 7 }, /value must be/],
      [{ op: 'write', key: 'x', value: 'v'.repeat(MAX_REGISTER_VALUE_LENGTH + 1) }, /value must be/],
      [{ op: 'cas', key: 'x', to: '2' }, /from must be/],
      [{ op: 'cas', key: 'x', from: '1' }, /to must be/],
    ];
    for (const [raw, reason] of bad) {
      const checked = register.checkCommand(raw);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.error).toMatch(reason);
    }
  });

  it('round-trips results and states, refuses malformed ones, and describes them', () => {
    const { registers, results } = run(randomCommands(5, 30));
    expect(register.parseState(JSON.parse(JSON.stringify(registers)))).toEqual(registers);
    for (const r of results) expect(register.parseResult(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(register.parseResult({ kind: 'value' })).toBeUndefined();
    expect(register.parseResult({ kind: 'value', value: 3 })).toBeUndefined();
    expect(register.parseState({ values: { x: 1 } })).toBeUndefined();
    expect(register.describe({ op: 'cas', key: 'x', from: '1', to: '2' })).toBe('cas x: 1 → 2');
    expect(register.describeResult({ kind: 'mismatch', value: null })).toBe('refused: holds nothing');
    expect(register.describeResult({ kind: 'value', value: '4' })).toBe('= 4');
    expect(register.equalResult({ kind: 'value', value: '1' }, { kind: 'value', value: '2' })).toBe(false);
    expect(register.equalResult({ kind: 'mismatch', value: null }, { kind: 'value', value: null })).toBe(false);
  });
});
