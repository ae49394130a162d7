/**
 * The transport's own wire envelope, the only thing that ever crosses a data channel:
 *
 *   { "type": "hello", "name": "Ada", "role": "student", "protocol": 1 }   first thing each side sends
 *   { "type": "heartbeat" }                                 on a link idle for HEARTBEAT_INTERVAL_MS, or to answer a probe
 *   { "type": "probe" }                                     "are you there?": the peer's signs reach us no longer (limits.ts PROBE_AFTER_MS)
 *   { "type": "digest", "heard": [["k3x9", 120], …] }        a hub's relayed liveness (relay.ts): peers and ms since heard
 *   { "type": "goodbye" }                                   on close() and on `pagehide`
 *   { "type": "app", "payload": <M> }                       the application's message
 *
 * Frames are JSON text that we stringify and parse ourselves (PeerJS runs in 'raw' mode), so
 * the size limit is measured on exactly the bytes that travel and a hostile frame can never make
 * a library throw. Decoding never throws: a frame is either an envelope or a reason to drop it.
 * No envelope names its sender: the sender is the peer at the other end of the channel.
 *
 * `protocol` is the sender's PROTOCOL_VERSION (signaling-protocol.ts). A hello without it comes
 * from a bundle older than versioning and decodes as version 0; the core decides what a version
 * other than ours means (it ignores that peer).
 */
import { DOWN_AFTER_MS, MAX_KNOWN_PEERS, MAX_MESSAGE_BYTES, MAX_NODE_ID_LENGTH } from '../limits.ts';
import { parseDisplayName, parseRole } from '../rooms/names.ts';
import { isRecord } from '../core/validate.ts';
import type { DigestEntry } from './relay.ts';
import { isProtocolVersion } from './signaling-protocol.ts';
import type { MessageParser, PeerRole, RejectReason } from './types.ts';

export type WireEnvelope<M> =
  | { readonly type: 'hello'; readonly name: string; readonly role: PeerRole; readonly protocol: number }
  | { readonly type: 'heartbeat' }
  | { readonly type: 'probe' }
  | { readonly type: 'digest'; readonly heard: readonly DigestEntry[] }
  | { readonly type: 'goodbye' }
  | { readonly type: 'app'; readonly payload: M };

export type WireType = WireEnvelope<unknown>['type'];

export type DecodeResult<M> =
  | { readonly ok: true; readonly envelope: WireEnvelope<M> }
  | { readonly ok: false; readonly reason: Exclude<RejectReason, 'rate-limited'> };

export type EncodeResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'oversized' | 'malformed' };

const encoder = new TextEncoder();

function isOversized(text: string): boolean {
  if (text.length > MAX_MESSAGE_BYTES) return true; // at least one byte per code unit
  if (text.length * 3 <= MAX_MESSAGE_BYTES) return false; // at most three
  return encoder.encode(text).byteLength > MAX_MESSAGE_BYTES;
}

function isJsonRepresentable(value: unknown): boolean {
  const kind = typeof value;
  return value !== undefined && kind !== 'function' && kind !== 'symbol' && kind !== 'bigint';
}

/** Serialises an envelope; refuses what JSON cannot carry and what exceeds MAX_MESSAGE_BYTES. */
export function encodeEnvelope<M>(envelope: WireEnvelope<M>): EncodeResult {
  // An 'app' whose payload JSON cannot represent would arrive without one: refuse it here.
  if (envelope.type === 'app' && !isJsonRepresentable(envelope.payload)) return { ok: false, reason: 'malformed' };
  let text: string | undefined;
  try {
    text = JSON.stringify(envelope);
  } catch {
    return { ok: false, reason: 'malformed' }; // cycles, BigInt
  }
  if (text === undefined) return { ok: false, reason: 'malformed' };
  if (isOversized(text)) return { ok: false, reason: 'oversized' };
  return { ok: true, text };
}

function hasOnlyKeys(record: Readonly<Record<string, unknown>>, keys: readonly string[]): boolean {
  return Object.keys(record).every((key) => keys.includes(key));
}

/**
 * Validates one inbound frame. `frame` is whatever the channel delivered: only a string of JSON
 * text within MAX_MESSAGE_BYTES is considered; binary frames are malformed.
 */
export function decodeFrame<M>(frame: unknown, parse: MessageParser<M>): DecodeResult<M> {
  if (typeof frame !== 'string') return { ok: false, reason: 'malformed' };
  if (isOversized(frame)) return { ok: false, reason: 'oversized' };
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  return decodeEnvelope(raw, parse);
}

/** Validates an already-parsed value as an envelope (the in-memory path uses decodeFrame too). */
export function decodeEnvelope<M>(raw: unknown, parse: MessageParser<M>): DecodeResult<M> {
  if (!isRecord(raw) || typeof raw['type'] !== 'string') return { ok: false, reason: 'malformed' };
  const type = raw['type'];
  switch (type) {
    case 'hello': {
      const name = parseDisplayName(raw['name']);
      const role = parseRole(raw['role']);
      const protocol = raw['protocol'] ?? 0; // absent: a bundle from before versioning
      if (name === undefined || role === undefined || !isProtocolVersion(protocol) || !hasOnlyKeys(raw, ['type', 'name', 'role', 'protocol'])) {
        return { ok: false, reason: 'malformed' };
      }
      return { ok: true, envelope: { type, name, role, protocol } };
    }
    case 'heartbeat':
    case 'probe':
    case 'goodbye':
      if (!hasOnlyKeys(raw, ['type'])) return { ok: false, reason: 'malformed' };
      return { ok: true, envelope: { type } };
    case 'digest': {
      const heard = parseDigest(raw['heard']);
      if (heard === undefined || !hasOnlyKeys(raw, ['type', 'heard'])) return { ok: false, reason: 'malformed' };
      return { ok: true, envelope: { type, heard } };
    }
    case 'app': {
      if (!('payload' in raw) || !hasOnlyKeys(raw, ['type', 'payload'])) return { ok: false, reason: 'malformed' };
      let payload: M | undefined;
      try {
        payload = parse(raw['payload']);
      } catch {
        payload = undefined; // a parser that throws is treated like one that says no
      }
      if (payload === undefined) return { ok: false, reason: 'malformed' };
      return { ok: true, envelope: { type, payload } };
    }
    default:
      return { ok: false, reason: 'unknown-type' };
  }
}

/**
 * A digest's entries: at most MAX_KNOWN_PEERS pairs of a peer id (a string of at most
 * MAX_NODE_ID_LENGTH; the core only looks ids up, never adds one) and a whole age in [0, DOWN_AFTER_MS).
 */
function parseDigest(raw: unknown): DigestEntry[] | undefined {
  if (!Array.isArray(raw) || raw.length > MAX_KNOWN_PEERS) return undefined;
  const entries: DigestEntry[] = [];
  for (const item of raw as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return undefined;
    const [peer, age] = item as unknown[];
    if (typeof peer !== 'string' || peer.length === 0 || peer.length > MAX_NODE_ID_LENGTH || typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age >= DOWN_AFTER_MS) return undefined;
    entries.push([peer, age]);
  }
  return entries;
}
