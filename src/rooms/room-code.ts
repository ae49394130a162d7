/**
 * Room codes and the identities scoped to a room, shared by the browser and the signaling
 * server so both sides accept exactly the same strings.
 *
 * - A room code is ROOM_CODE_LENGTH characters of ROOM_CODE_ALPHABET (upper case), read aloud
 *   or typed from a projector, so the alphabet leaves out look-alike characters.
 * - A node id names one tab inside a room: NODE_ID_LENGTH characters of the same alphabet in
 *   lower case, so a node id can never be mistaken for a room code.
 * - The PeerJS id on the signaling server is `${room}-${node}`: ids are scoped per room, and the
 *   server reads the room straight out of the id it is asked to register.
 *
 * Every parser here returns undefined for anything it does not accept; nothing throws.
 */
import { ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from '../limits.ts';

/** A validated room code, e.g. "KQ7RXA4". */
export type RoomCode = string & { readonly __brand: 'RoomCode' };
/** A validated node id, e.g. "m3kx9t". The transport's PeerId inside a room. */
export type NodeName = string & { readonly __brand: 'NodeName' };

/** 25^6 ≈ 244 million ids: two tabs of one room colliding is negligible (and recovered). */
export const NODE_ID_LENGTH = 6;
export const NODE_ID_ALPHABET = ROOM_CODE_ALPHABET.toLowerCase();

function escapeForCharClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

const ROOM_CODE_PATTERN = new RegExp(`^[${escapeForCharClass(ROOM_CODE_ALPHABET)}]{${ROOM_CODE_LENGTH}}$`);
const NODE_ID_PATTERN = new RegExp(`^[${escapeForCharClass(NODE_ID_ALPHABET)}]{${NODE_ID_LENGTH}}$`);
/** Longest PeerJS id we ever register: "ROOM-node". */
export const MAX_PEERJS_ID_LENGTH = ROOM_CODE_LENGTH + 1 + NODE_ID_LENGTH;

export function isRoomCode(raw: unknown): raw is RoomCode {
  return typeof raw === 'string' && ROOM_CODE_PATTERN.test(raw);
}

export function isNodeName(raw: unknown): raw is NodeName {
  return typeof raw === 'string' && NODE_ID_PATTERN.test(raw);
}

/**
 * What a person typed (or a URL carried) → a room code, forgiving case, spaces and dashes
 * ("kq7 rxa4", "KQ7-RXA4"). Anything else (wrong length, a look-alike character we left out of the
 * alphabet) is undefined: the UI says "no such code" rather than guessing which room was meant.
 */
export function normalizeRoomCode(input: string): RoomCode | undefined {
  if (input.length > 4 * ROOM_CODE_LENGTH) return undefined;
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  return isRoomCode(compact) ? compact : undefined;
}

/** `randomIndex(n)` returns a uniform integer in [0, n). Injected so tests are deterministic. */
export type RandomIndex = (n: number) => number;

function randomString(alphabet: string, length: number, randomIndex: RandomIndex): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const char = alphabet[randomIndex(alphabet.length)];
    if (char === undefined) throw new RangeError(`randomIndex returned an index outside [0, ${alphabet.length})`);
    out += char;
  }
  return out;
}

export function randomRoomCode(randomIndex: RandomIndex): RoomCode {
  return randomString(ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH, randomIndex) as RoomCode;
}

export function randomNodeName(randomIndex: RandomIndex): NodeName {
  return randomString(NODE_ID_ALPHABET, NODE_ID_LENGTH, randomIndex) as NodeName;
}

/**
 * A uniform index from the platform CSPRNG. `crypto.getRandomValues` exists in insecure
 * contexts too (a phone on http://192.168.x.y), unlike `crypto.randomUUID`. Rejection sampling
 * keeps it unbiased.
 */
export function cryptoRandomIndex(n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 0x1_0000_0000) throw new RangeError(`bad range ${n}`);
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buffer = new Uint32Array(1);
  for (;;) {
    globalThis.crypto.getRandomValues(buffer);
    const value = buffer[0] ?? 0;
    if (value < limit) return value % n;
  }
}

/** The id registered on the signaling server for `node` in `room`. */
export function peerJsId(room: RoomCode, node: NodeName): string {
  return `${room}-${node}`;
}

/** The inverse of `peerJsId`; undefined for any id that is not one of ours. */
export function parsePeerJsId(id: unknown): { readonly room: RoomCode; readonly node: NodeName } | undefined {
  if (typeof id !== 'string' || id.length !== MAX_PEERJS_ID_LENGTH) return undefined;
  const room = id.slice(0, ROOM_CODE_LENGTH);
  const node = id.slice(ROOM_CODE_LENGTH + 1);
  if (id[ROOM_CODE_LENGTH] !== '-' || !isRoomCode(room) || !isNodeName(node)) return undefined;
  return { room, node };
}
