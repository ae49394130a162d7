import { describe, expect, it } from 'vitest';
import { MAX_ROOMS, ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH, SERVER_LIMITS } from '../../../src/limits.ts';
import { parseDisplayName } from '../../../src/rooms/names.ts';
import {
  cryptoRandomIndex,
  isNodeName,
  isRoomCode,
  normalizeRoomCode,
  parsePeerJsId,
  peerJsId,
  randomNodeName,
  randomRoomCode,
  type NodeName,
  type RoomCode,
} from '../../../src/rooms/room-code.ts';

/** A deterministic index source cycling through 0..n-1. */
function cycling(): (n: number) => number {
  let i = 0;
  return (n) => i++ % n;
}

describe('room codes', () => {
  it('are ROOM_CODE_LENGTH characters of the alphabet, without look-alikes', () => {
    for (const confusable of '0O1IL5S2ZUV') expect(ROOM_CODE_ALPHABET).not.toContain(confusable);
    const code = randomRoomCode(cycling());
    expect(code).toHaveLength(ROOM_CODE_LENGTH);
    expect(isRoomCode(code)).toBe(true);
    for (let i = 0; i < 200; i++) expect(isRoomCode(randomRoomCode(cryptoRandomIndex))).toBe(true);
  });

  it('normalises what people type and refuses what is not a code', () => {
    expect(normalizeRoomCode(' kq7-rxa4 ')).toBe('KQ7RXA4');
    expect(normalizeRoomCode('KQ7 RXA4')).toBe('KQ7RXA4');
    // Five characters were the old, guessable length.
    for (const bad of ['', 'KQ7RX', 'KQ7RXA', 'KQ7RXA44', 'KQ0RXA4', 'KQORXA4', 'KQ1RXA4', 'KQ7RXA<', 'KQ7RXA4'.repeat(10)]) {
      expect(normalizeRoomCode(bad)).toBeUndefined();
    }
  });

  it('scopes PeerJS ids per room and parses only our own ids', () => {
    const room = 'KQ7RXA4' as RoomCode;
    const node = randomNodeName(cycling());
    expect(isNodeName(node)).toBe(true);
    const id = peerJsId(room, node);
    expect(id).toBe(`KQ7RXA4-${node}`);
    expect(parsePeerJsId(id)).toEqual({ room, node });
    for (const bad of ['KQ7RXA4', 'KQ7RXA4-', 'KQ7RXA4-ABCDEF', 'kq7rxa4-abcdef', 'KQ7RXA4_abcdef', `KQ7RXA4-${node}x`, 'KQ7RXA0-abcdef', 'KQ7RX-abcdef', '../etc', 42, null]) {
      expect(parsePeerJsId(bad)).toBeUndefined();
    }
    // Node ids are lower case: never mistaken for a room code, always valid PeerJS ids.
    expect(isRoomCode(node.toUpperCase() as NodeName)).toBe(false);
    expect(/^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/.test(id)).toBe(true);
  });

  it('are long enough that guessing a live room at the throttled rate is impractical', () => {
    // The odds documented beside ROOM_CODE_LENGTH: a whole class guessing all day at a full server.
    const codes = ROOM_CODE_ALPHABET.length ** ROOM_CODE_LENGTH;
    const guessesPerDay = 40 * SERVER_LIMITS.newRoomCodesPerAddressPerMinute * 60 * 24;
    expect((guessesPerDay * MAX_ROOMS) / codes).toBeLessThan(0.02);
    // One address against a school server's few rooms: about one in a hundred thousand per day.
    expect((SERVER_LIMITS.newRoomCodesPerAddressPerMinute * 60 * 24 * 3) / codes).toBeLessThan(1e-5);
  });

  it('draws uniform indices from the CSPRNG and rejects bad ranges', () => {
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[cryptoRandomIndex(5)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
    expect(() => cryptoRandomIndex(0)).toThrow(RangeError);
    expect(() => randomRoomCode(() => 99)).toThrow(RangeError);
  });
});

describe('display names', () => {
  it('trims, collapses whitespace and strips invisible characters', () => {
    expect(parseDisplayName('  Ada   Lovelace ')).toBe('Ada Lovelace');
    expect(parseDisplayName('Ada\u202Eecalevol')).toBe('Adaecalevol');
    expect(parseDisplayName('Ada\nLovelace')).toBe('Ada Lovelace');
    expect(parseDisplayName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>'); // rendered as text by the UI
  });

  it('refuses empty, too long and non-string names', () => {
    expect(parseDisplayName('')).toBeUndefined();
    expect(parseDisplayName(' \u200B ')).toBeUndefined();
    expect(parseDisplayName('x'.repeat(33))).toBeUndefined();
    expect(parseDisplayName('🦊'.repeat(32))).toBe('🦊'.repeat(32));
    expect(parseDisplayName(42)).toBeUndefined();
  });
});
