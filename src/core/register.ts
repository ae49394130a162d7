/**
 * The smallest replicated state machine: named registers with write, read and compare-and-swap
 * (as in Jepsen's lin-kv). A key never written reads as null. Pure and bounded
 * (MAX_REGISTER_KEYS, MAX_REGISTER_KEY_LENGTH, MAX_REGISTER_VALUE_LENGTH).
 */
import { MAX_REGISTER_KEYS, MAX_REGISTER_KEY_LENGTH, MAX_REGISTER_VALUE_LENGTH } from '../limits.ts';
import { assertNever } from './assert.ts';
import { defineOwn, ownEntry, withOwnEntry, type Applied, type Parsed, type StateMachine } from './state-machine.ts';
import { isBoundedString, isRecord } from './validate.ts';

export type RegisterKey = string;
export type RegisterValue = string;

export interface Registers {
  readonly values: Readonly<Record<RegisterKey, RegisterValue>>;
}

export type RegisterCommand =
  | { readonly op: 'write'; readonly key: RegisterKey; readonly value: RegisterValue }
  | { readonly op: 'read'; readonly key: RegisterKey }
  /** Set `to` only if the register holds `from` now (an unwritten register holds nothing). */
  | { readonly op: 'cas'; readonly key: RegisterKey; readonly from: RegisterValue; readonly to: RegisterValue };

export type RegisterResult =
  | { readonly kind: 'written' }
  | { readonly kind: 'value'; readonly value: RegisterValue | null }
  | { readonly kind: 'swapped' }
  /** The cas found another value (null: never written) and changed nothing. */
  | { readonly kind: 'mismatch'; readonly value: RegisterValue | null }
  /** A write of a new key when MAX_REGISTER_KEYS keys exist: refused, nothing changed. */
  | { readonly kind: 'store-full' };

function valueOf(registers: Registers, key: RegisterKey): RegisterValue | null {
  return ownEntry(registers.values, key) ?? null;
}

function write(registers: Registers, key: RegisterKey, value: RegisterValue): Applied<Registers, RegisterResult> {
  const isNewKey = ownEntry(registers.values, key) === undefined;
  if (isNewKey && Object.keys(registers.values).length >= MAX_REGISTER_KEYS) return { state: registers, result: { kind: 'store-full' } };
  return { state: { values: withOwnEntry(registers.values, key, value) }, result: { kind: 'written' } };
}

function applyRegister(registers: Registers, command: RegisterCommand): Applied<Registers, RegisterResult> {
  switch (command.op) {
    case 'write':
      return write(registers, command.key, command.value);
    case 'read':
      return { state: registers, result: { kind: 'value', value: valueOf(registers, command.key) } };
    case 'cas': {
      const current = valueOf(registers, command.key);
      // A cas only ever replaces an existing value, so it never needs room for a new key.
      if (current !== command.from) return { state: registers, result: { kind: 'mismatch', value: current } };
      return { state: { values: withOwnEntry(registers.values, command.key, command.to) }, result: { kind: 'swapped' } };
    }
    default:
      return assertNever(command, 'register command');
  }
}

const isKey = (raw: unknown): raw is RegisterKey => isBoundedString(raw, MAX_REGISTER_KEY_LENGTH);
const isValue = (raw: unknown): raw is RegisterValue => isBoundedString(raw, MAX_REGISTER_VALUE_LENGTH);
const VALUE_RULE = `a string of 1 to ${MAX_REGISTER_VALUE_LENGTH} characters`;

function checkRegisterCommand(raw: unknown): Parsed<RegisterCommand> {
  if (!isRecord(raw)) return { ok: false, error: 'a register command must be an object such as {"op": "read", "key": "x"}' };
  const { op, key } = raw;
  if (op !== 'write' && op !== 'read' && op !== 'cas') return { ok: false, error: 'op must be "write", "read" or "cas"' };
  if (!isKey(key)) return { ok: false, error: `key must be a string of 1 to ${MAX_REGISTER_KEY_LENGTH} characters` };
  switch (op) {
    case 'read':
      return { ok: true, value: { op, key } };
    case 'write':
      return isValue(raw.value) ? { ok: true, value: { op, key, value: raw.value } } : { ok: false, error: `value must be ${VALUE_RULE}` };
    case 'cas':
      if (!isValue(raw.from)) return { ok: false, error: `from must be ${VALUE_RULE}` };
      if (!isValue(raw.to)) return { ok: false, error: `to must be ${VALUE_RULE}` };
      return { ok: true, value: { op, key, from: raw.from, to: raw.to } };
    default:
      return assertNever(op, 'register op');
  }
}

function parseNullableValue(raw: unknown): RegisterValue | null | undefined {
  return raw === null ? null : isValue(raw) ? raw : undefined;
}

function parseRegisterResult(raw: unknown): RegisterResult | undefined {
  if (!isRecord(raw)) return undefined;
  const { kind } = raw;
  if (kind === 'written' || kind === 'swapped' || kind === 'store-full') return { kind };
  if (kind !== 'value' && kind !== 'mismatch') return undefined;
  const value = parseNullableValue(raw.value);
  return value === undefined ? undefined : { kind, value };
}

function parseRegisters(raw: unknown): Registers | undefined {
  if (!isRecord(raw) || !isRecord(raw.values)) return undefined;
  const keys = Object.keys(raw.values);
  if (keys.length > MAX_REGISTER_KEYS) return undefined;
  const values: Record<RegisterKey, RegisterValue> = {};
  for (const key of keys) {
    const value = raw.values[key];
    if (!isKey(key) || !isValue(value)) return undefined;
    defineOwn(values, key, value);
  }
  return { values };
}

/** `"key":"value",` per key in key order; JSON quoting keeps it unambiguous. Hot in the linearizability search. */
function registersKey(registers: Registers): string {
  const keys = Object.keys(registers.values);
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const k of keys) key += `${JSON.stringify(k)}:${JSON.stringify(registers.values[k])},`;
  return key;
}

function describeRegister(command: RegisterCommand): string {
  switch (command.op) {
    case 'write':
      return `write ${command.key} = ${command.value}`;
    case 'read':
      return `read ${command.key}`;
    case 'cas':
      return `cas ${command.key}: ${command.from} → ${command.to}`;
    default:
      return assertNever(command, 'register command');
  }
}

function describeRegisterResult(result: RegisterResult): string {
  switch (result.kind) {
    case 'written':
    case 'swapped':
      return result.kind;
    case 'store-full':
      return 'refused: store full';
    case 'value':
      return result.value === null ? 'empty' : `= ${result.value}`;
    case 'mismatch':
      return `refused: holds ${result.value === null ? 'nothing' : result.value}`;
    default:
      return assertNever(result, 'register result');
  }
}

function equalRegisterResult(a: RegisterResult, b: RegisterResult): boolean {
  if (a.kind === 'value' || a.kind === 'mismatch') return a.kind === b.kind && a.value === (b as typeof a).value;
  return a.kind === b.kind;
}

export const register: StateMachine<Registers, RegisterCommand, RegisterResult> = {
  name: 'register',
  initial: () => ({ values: {} }),
  apply: applyRegister,
  parseCommand: (raw) => {
    const parsed = checkRegisterCommand(raw);
    return parsed.ok ? parsed.value : undefined;
  },
  checkCommand: checkRegisterCommand,
  parseResult: parseRegisterResult,
  parseState: parseRegisters,
  describe: describeRegister,
  describeResult: describeRegisterResult,
  equalState: (a, b) => registersKey(a) === registersKey(b),
  equalResult: equalRegisterResult,
  stateKey: registersKey,
  partitionKey: (command) => command.key,
  resultCrossesPartitions: (result) => result.kind === 'store-full',
};
