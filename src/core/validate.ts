/**
 * Small guards for validating untrusted input at a boundary (wire messages, URL parameters,
 * stored state). They never throw: a parser returns undefined for anything it does not accept.
 */
export type UnknownRecord = Readonly<Record<string, unknown>>;

export function isRecord(raw: unknown): raw is UnknownRecord {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
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
