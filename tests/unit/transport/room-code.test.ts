import { describe, expect, it } from 'vitest';
import { ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from '../../../src/limits.ts';
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
    expect(normalizeRoomCode(' kq7-rx ')).toBe('KQ7RX');
    expect(normalizeRoomCode('KQ 7RX')).toBe('KQ7RX');
    for (const bad of ['', 'KQ7R', 'KQ7RXX', 'KQ0RX', 'KQORX', 'KQ1RX', 'KQ7R<', 'KQ7RX'.repeat(10)]) {
      expect(normalizeRoomCode(bad)).toBeUndefined();
    }
  });

  it('scopes PeerJS ids per room and parses only our own ids', () => {
    const room = 'KQ7RX' as RoomCode;
    const node = randomNodeName(cycling());
    expect(isNodeName(node)).toBe(true);
    const id = peerJsId(room, node);
    expect(id).toBe(`KQ7RX-${node}`);
    expect(parsePeerJsId(id)).toEqual({ room, node });
    for (const bad of ['KQ7RX', 'KQ7RX-', 'KQ7RX-ABCDEF', 'kq7rx-abcdef', 'KQ7RX_abcdef', `KQ7RX-${node}x`, 'KQ7R0-abcdef', '../etc', 42, null]) {
      expect(parsePeerJsId(bad)).toBeUndefined();
    }
    // Node ids are lower case: never mistaken for a room code, always valid PeerJS ids.
    expect(isRoomCode(node.toUpperCase() as NodeName)).toBe(false);
    expect(/^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/.test(id)).toBe(true);
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
