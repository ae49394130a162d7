/**
 * Small guards for validating untrusted input at a boundary (wire messages, URL parameters,
 * stored state). They never throw: a parser returns undefined for anything it does not accept.
 */
import { MAX_NODE_ID_LENGTH } from '../limits.ts';

export type UnknownRecord = Readonly<Record<string, unknown>>;

export function isRecord(raw: unknown): raw is UnknownRecord {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/**
 * JSON with every object's keys sorted: equal values give equal text, whoever built them. Like
 * JSON.stringify, a field holding `undefined` is left out, so a value and its JSON round trip
 * (a stored snapshot, a saved schedule file) give the same text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v)) ?? 'null';
}

/** A string of 1..maxLength characters. */
export function isBoundedString(raw: unknown, maxLength: number): raw is string {
  return typeof raw === 'string' && raw.length > 0 && raw.length <= maxLength;
}

export function isNonNegativeInteger(raw: unknown): raw is number {
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0;
}

export function isFiniteNumber(raw: unknown): raw is number {
  return typeof raw === 'number' && Number.isFinite(raw);
}

/** An array of at most maxItems elements, each accepted by `item`. */
export function isBoundedArray<T>(raw: unknown, maxItems: number, item: (x: unknown) => x is T): raw is T[] {
  return Array.isArray(raw) && raw.length <= maxItems && raw.every(item);
}

/**
 * A peer id inside a room, as the transport reports it (PeerJS ids): letters, digits, `_` and
 * `-`, at most MAX_NODE_ID_LENGTH characters. Conservative, so an id is safe in a map key, a
 * test id or a log line.
 */
const PEER_ID = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_NODE_ID_LENGTH}}$`);
export function isPeerId(raw: unknown): raw is string {
  return typeof raw === 'string' && PEER_ID.test(raw);
}
