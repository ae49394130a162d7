import { MAX_URL_SEARCH_LENGTH } from '../../../src/limits.ts';
import { describe, expect, it } from 'vitest';
import { hostHref, joinHref, joinUrl, landingHref, parseRoute, soloHref, studentHref } from '../../../src/ui/route.ts';
import { normalizeRoomCode, type RoomCode } from '../../../src/rooms/room-code.ts';
import { MAX_NAME_LENGTH } from '../../../src/limits.ts';

const ROOM = normalizeRoomCode('KQ7RXA4') as RoomCode;

describe('parseRoute', () => {
  it('opens the landing page without a room', () => {
    expect(parseRoute('')).toEqual({ kind: 'landing' });
    expect(parseRoute('?test=1')).toEqual({ kind: 'landing' });
  });

  it('opens the join form for a room without a name, forgiving case, spaces and dashes', () => {
    expect(parseRoute('?room=KQ7RXA4')).toEqual({ kind: 'join', room: 'KQ7RXA4' });
    expect(parseRoute('?room=kq7-rxa4')).toEqual({ kind: 'join', room: 'KQ7RXA4' });
    expect(parseRoute('?room=kq7%20rxa4')).toEqual({ kind: 'join', room: 'KQ7RXA4' });
  });

  it('joins at once with a room and a name', () => {
    expect(parseRoute('?room=KQ7RXA4&name=Ada')).toEqual({ kind: 'student', room: 'KQ7RXA4', name: 'Ada' });
    expect(parseRoute('?room=KQ7RXA4&name=%20%20Ada%20%20Lovelace%20')).toEqual({
      kind: 'student',
      room: 'KQ7RXA4',
      name: 'Ada Lovelace',
    });
  });

  it('opens the teacher page with view=host, whatever the name', () => {
    expect(parseRoute('?room=KQ7RXA4&view=host')).toEqual({ kind: 'host', room: 'KQ7RXA4' });
    expect(parseRoute('?room=KQ7RXA4&view=host&name=x')).toEqual({ kind: 'host', room: 'KQ7RXA4' });
  });

  it('falls back to the landing page with a reason for an invalid room code', () => {
    for (const bad of ['', 'KQ7R', 'KQ7RX', 'KQ7RXA44', 'KQ0RXA4', '<img>', 'KQ7RXA4'.repeat(10)]) {
      expect(parseRoute(`?room=${encodeURIComponent(bad)}`)).toEqual({ kind: 'landing', problem: 'invalid-room' });
    }
  });

  it('falls back to the join form for a name that is empty, invisible or too long', () => {
    for (const bad of ['', '   ', '\u202e\u200b', 'x'.repeat(MAX_NAME_LENGTH + 1)]) {
      expect(parseRoute(`?room=KQ7RXA4&name=${encodeURIComponent(bad)}`)).toEqual({
        kind: 'join',
        room: 'KQ7RXA4',
        problem: 'invalid-name',
      });
    }
  });

  it('keeps hostile but printable names as text for the UI to render as text', () => {
    const name = '<b onclick=x>';
    expect(parseRoute(`?room=KQ7RXA4&name=${encodeURIComponent(name)}`)).toEqual({ kind: 'student', room: 'KQ7RXA4', name });
  });

  it('refuses absurdly long query strings', () => {
    expect(parseRoute(`?room=KQ7RXA4&junk=${'x'.repeat(MAX_URL_SEARCH_LENGTH)}`)).toEqual({ kind: 'landing', problem: 'invalid-room' });
  });
});

describe('hrefs', () => {
  it('round-trip through parseRoute', () => {
    expect(parseRoute(hostHref(ROOM))).toEqual({ kind: 'host', room: ROOM });
    expect(parseRoute(studentHref(ROOM, 'Zoë & <Bob>'))).toEqual({ kind: 'student', room: ROOM, name: 'Zoë & <Bob>' });
    expect(parseRoute(joinHref(ROOM))).toEqual({ kind: 'join', room: ROOM });
    expect(parseRoute(landingHref())).toEqual({ kind: 'landing' });
    expect(parseRoute(soloHref()).kind).toBe('solo');
  });

  it('carry no test parameter: hooks come from the e2e build, never from a URL', () => {
    for (const href of [hostHref(ROOM), studentHref(ROOM, 'Ada'), joinHref(ROOM), landingHref(), soloHref()]) {
      expect(new URLSearchParams(href).has('test')).toBe(false);
    }
  });

  it('builds the join URL students open from the page URL, dropping everything else', () => {
    expect(joinUrl('http://192.168.1.20:8080/?room=KQ7RXA4&view=host&test=1#x', ROOM)).toBe('http://192.168.1.20:8080/?room=KQ7RXA4');
  });

  it('opens solo mode on a replicated log for a log algorithm, the order book unless the register is asked for', () => {
    const raft = parseRoute('?solo=1&algorithm=raft&nodes=5&seed=4');
    expect(raft.kind === 'solo' && raft.log).toEqual({ algorithm: 'raft', stateMachine: 'orders' });
    expect(raft.kind === 'solo' && raft.setup.nodes).toBe(5);
    const register = parseRoute('?solo=1&algorithm=multipaxos-no-adopt&stateMachine=register');
    expect(register.kind === 'solo' && register.log).toEqual({ algorithm: 'multipaxos-no-adopt', stateMachine: 'register' });
    const paxos = parseRoute('?solo=1&algorithm=paxos');
    expect(paxos.kind === 'solo' && paxos.log).toBeUndefined();
  });
});
