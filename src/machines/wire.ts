/**
 * Boundary helpers shared by the algorithms' message and durable-state parsers. A parser never
 * throws: anything it does not fully understand is `undefined`, and what it returns is a fresh
 * object holding only the known fields (extra properties from a peer never travel further).
 */
import type { NodeId, Value } from '../core/types.ts';
import { isBoundedString, isRecord, type UnknownRecord } from '../core/validate.ts';
import { MAX_REPORT_TEXT_LENGTH, MAX_VALUE_LENGTH } from '../limits.ts';

/** A proposable value: non-empty text of at most MAX_VALUE_LENGTH characters. */
export function isValue(raw: unknown): raw is Value {
  return isBoundedString(raw, MAX_VALUE_LENGTH);
}

/** One parser per message type, each handed the already-checked record. */
export type MessageParsers<M extends { readonly type: string }> = {
  readonly [K in M['type']]: (raw: UnknownRecord) => Extract<M, { readonly type: K }> | undefined;
};

/** Rejects non-objects and unknown or inherited `type`s, then lets the type's own parser check the fields. */
export function parseByType<M extends { readonly type: string }>(raw: unknown, parsers: MessageParsers<M>): M | undefined {
  if (!isRecord(raw) || typeof raw.type !== 'string' || !Object.hasOwn(parsers, raw.type)) return undefined;
  return parsers[raw.type as M['type']](raw);
}

/**
 * A field of stored durable state that may be absent (JSON drops `undefined`).
 * Returns `{ ok: false }` for a present field that is not a value.
 */
export function optionalValue(raw: unknown): { readonly ok: true; readonly value: Value | undefined } | { readonly ok: false } {
  if (raw === undefined) return { ok: true, value: undefined };
  return isValue(raw) ? { ok: true, value: raw } : { ok: false };
}

/**
 * "n1, n2 and 3 more": node ids for a view sentence, cut to fit `maxLength` characters (views
 * travel to the dashboard, which refuses texts longer than MAX_REPORT_TEXT_LENGTH).
 */
export function listNodes(ids: readonly NodeId[], maxLength = MAX_REPORT_TEXT_LENGTH / 2): string {
  const all = ids.join(', ');
  if (all.length <= maxLength) return all;
  let shown = 0;
  let text = '';
  for (const id of ids) {
    const next = shown === 0 ? id : `${text}, ${id}`;
    const rest = ` and ${ids.length - shown - 1} more`;
    if (next.length + rest.length > maxLength) break;
    text = next;
    shown++;
  }
  return shown === 0 ? `${ids.length} nodes` : `${text} and ${ids.length - shown} more`;
}
