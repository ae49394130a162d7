/**
 * The server's memory and its abuse limits (issue 9, items 5 and 6): the SQLite store, hashed
 * secrets, room retention, node ids owned by their first token, per-address limits and the
 * room-code guessing throttle, robot admission under the teacher's key, closing a room, and a
 * real restart (close the server, start a new one on the same database file).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_PEERS_PER_ROOM, SERVER_LIMITS } from '../../../src/limits.ts';
import type { RoomCode } from '../../../src/rooms/room-code.ts';
import { newIdentity, type TabIdentity } from '../../../src/transport/identity.ts';
import {
  PEERJS_KEY,
  ROSTER_CLOSE,
  parseRobotAdmissionResponse,
  parseRosterMessage,
  robotsPath,
  roomPath,
  teacherAuthorization,
  type RosterMessage,
} from '../../../src/transport/signaling-protocol.ts';
import type { SignalingOptions } from '../../../signaling/attach.ts';
import { parseServerEnv } from '../../../signaling/config.ts';
import { RoomRegistry, type RosterSocket } from '../../../signaling/rooms.ts';
import { digestSecret, sameDigest } from '../../../signaling/secrets.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';
import { RoomStore, SCHEMA_VERSION, StoreError } from '../../../signaling/store.ts';

const HOST = '127.0.0.1';
const ROOM = 'KQ7RXA4' as RoomCode;
/** Loopback is trusted by default; these tests limit it like any classroom device. */
const UNTRUSTED = { trustedAddresses: [] as string[] };

function tempDb(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'cp-store-')), 'state.sqlite');
}

const open: { servers: SignalingServer[]; sockets: WebSocket[] } = { servers: [], sockets: [] };
afterEach(async () => {
  for (const ws of open.sockets.splice(0)) ws.terminate();
  for (const server of open.servers.splice(0)) await server.close();
});

async function start(options: SignalingOptions): Promise<{ server: SignalingServer; port: number }> {
  const server = createSignalingServer({ host: HOST, port: 0, ...options });
  open.servers.push(server);
  return { server, port: (await server.ready).port };
}

async function stop(server: SignalingServer): Promise<void> {
  open.servers.splice(open.servers.indexOf(server), 1);
  await server.close();
}

function track(ws: WebSocket): WebSocket {
  ws.on('error', () => {});
  open.sockets.push(ws);
  return ws;
}

/** A PeerJS signaling socket: resolves with the first server message (OPEN or ERROR). */
function peer(port: number, room: string, identity: TabIdentity): { ws: WebSocket; first: Promise<{ type: string; payload?: { msg: string } }>; messages: unknown[] } {
  const ws = track(new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${room}-${identity.node}&token=${identity.token}&version=1.5.5`));
  const messages: unknown[] = [];
  const first = new Promise<{ type: string; payload?: { msg: string } }>((resolve, reject) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string; payload?: { msg: string } };
      messages.push(message);
      if (messages.length === 1) resolve(message);
    });
    ws.once('close', (code) => reject(new Error(`closed ${code} before a message`)));
  });
  return { ws, first, messages };
}

/** A roster socket: resolves with the snapshot, or rejects with the close code. */
function roster(port: number, room: string, identity: TabIdentity, name: string, role = 'student', hostKey?: string) {
  const query = new URLSearchParams({ id: `${room}-${identity.node}`, token: identity.token, name, role });
  if (hostKey !== undefined) query.set('hostKey', hostKey);
  const ws = track(new WebSocket(`ws://${HOST}:${port}/signal/roster?${query.toString()}`));
  const messages: RosterMessage[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const first = new Promise<RosterMessage>((resolve, reject) => {
    ws.on('message', (data) => {
      const message = parseRosterMessage(data.toString());
      if (message === undefined) return reject(new Error(`bad roster frame ${data.toString()}`));
      messages.push(message);
      if (messages.length === 1) resolve(message);
    });
    void closed.then(({ code }) => reject(new Error(`roster closed ${code}`)));
  });
  first.catch(() => {});
  return { ws, first, messages, closed };
}

async function until(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A student tab: PeerJS socket open, roster subscribed. */
async function joinAs(port: number, room: string, name: string, identity = newIdentity(), role = 'student', hostKey?: string) {
  const signal = peer(port, room, identity);
  expect(await signal.first).toEqual({ type: 'OPEN' });
  const list = roster(port, room, identity, name, role, hostKey);
  await list.first;
  return { identity, signal, list };
}

describe('store', () => {
  it('keeps rooms and digests only, versioned, in WAL mode; reopens what it wrote', () => {
    const file = tempDb();
    const store = new RoomStore(file);
    const token = newIdentity().token;
    const node = newIdentity().node;
    store.createRoom(ROOM, 1000);
    store.bindNode(ROOM, node, digestSecret('node-token', [ROOM, node], token), 'tab', 1000);
    expect(store.claimRoom(ROOM, digestSecret('teacher-key', [ROOM], 'TeacherKey1234567890'))).toBe(true);
    expect(store.claimRoom(ROOM, digestSecret('teacher-key', [ROOM], 'SomeoneElse123456789'))).toBe(false); // the first key stays
    store.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    // Neither secret is anywhere in the files.
    const bytes = ['', '-wal'].map((suffix) => { try { return readFileSync(file + suffix).toString('latin1'); } catch { return ''; } }).join('');
    expect(bytes).not.toContain(token);
    expect(bytes).not.toContain('TeacherKey1234567890');

    const again = new RoomStore(file);
    const room = again.room(ROOM);
    expect(room?.teacherKeyDigest).toBeDefined();
    expect(sameDigest(room!.teacherKeyDigest!, digestSecret('teacher-key', [ROOM], 'TeacherKey1234567890'))).toBe(true);
    expect(again.node(ROOM, node)?.kind).toBe('tab');
    again.close();
  });

  it('refuses a database from a newer server, or one it cannot read, instead of starting empty', () => {
    const newer = tempDb();
    const db = new Database(newer);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new RoomStore(newer)).toThrow(StoreError);
    expect(() => new RoomStore(newer)).toThrow(/schema version/);
    const garbage = tempDb();
    writeFileSync(garbage, 'this is not a database '.repeat(100));
    expect(() => new RoomStore(garbage)).toThrow(StoreError);
  });
});

describe('secrets', () => {
  it('digests are scoped to their room and node, and compared in constant time', () => {
    const token = newIdentity().token;
    const a = digestSecret('node-token', ['KQ7RXA4', 'abcdef'], token);
    expect(a).toHaveLength(32);
    expect(sameDigest(a, digestSecret('node-token', ['KQ7RXA4', 'abcdef'], token))).toBe(true);
    expect(sameDigest(a, digestSecret('node-token', ['KQ7RXA7', 'abcdef'], token))).toBe(false);
    expect(sameDigest(a, digestSecret('node-token', ['KQ7RXA4', 'abcdeg'], token))).toBe(false);
    expect(sameDigest(a, digestSecret('teacher-key', ['KQ7RXA4', 'abcdef'], token))).toBe(false);
    expect(sameDigest(a, a.subarray(0, 16))).toBe(false);
  });
});

describe('retention', () => {
  const fakeSocket: RosterSocket = { send: () => undefined, close: () => undefined };

  it('a claimed room outlives its members for the retention, then is forgotten with its node ids', () => {
    let now = 1_000_000;
    const registry = new RoomRegistry(new RoomStore(':memory:'), { now: () => now });
    const teacher = newIdentity();
    const id = `${ROOM}-${teacher.node}`;
    expect(registry.admit(id, teacher.token)).toMatchObject({ ok: true });
    registry.registered(id, teacher.token);
    expect(registry.subscribe({ id, token: teacher.token, name: 'T', role: 'host', hostKey: 'TeacherKey1234567890' }, fakeSocket)).toMatchObject({ ok: true });
    now += 60 * 60 * 1000;
    expect(registry.sweep()).toEqual([]); // connected: never expires
    registry.unregistered(id);
    now += SERVER_LIMITS.roomRetentionMs - 1;
    expect(registry.sweep()).toEqual([]);
    expect(registry.roomExists(ROOM)).toBe(true);
    expect(registry.admit(id, newIdentity().token)).toMatchObject({ ok: false }); // still the teacher's node
    now += 1;
    expect(registry.sweep()).toEqual([ROOM]);
    expect(registry.roomExists(ROOM)).toBe(false);
    // Forgotten: the code and the node id are anyone's again.
    expect(registry.admit(id, newIdentity().token)).toMatchObject({ ok: true });
  });

  it('a room no teacher claimed lives only the short unclaimed retention after it empties', () => {
    let now = 0;
    const registry = new RoomRegistry(new RoomStore(':memory:'), { now: () => now });
    const student = newIdentity();
    const id = `${ROOM}-${student.node}`;
    registry.admit(id, student.token);
    registry.registered(id, student.token);
    registry.unregistered(id);
    now += SERVER_LIMITS.unclaimedRoomRetentionMs - 1;
    expect(registry.sweep()).toEqual([]);
    now += 1;
    expect(registry.sweep()).toEqual([ROOM]);
  });

  it('reads ROOM_RETENTION_HOURS and the other variables, refusing nonsense', () => {
    const parsed = parseServerEnv({ ROOM_RETENTION_HOURS: '2', TRUSTED_ADDRESSES: '127.0.0.1, 10.0.0.5', LIMIT_TABS_PER_ADDRESS_PER_ROOM: '4', STATE_DB: 'x/y.sqlite' }, '/srv');
    expect(parsed).toEqual({
      ok: true,
      config: {
        stateDb: '/srv/x/y.sqlite',
        limits: { roomRetentionMs: 7_200_000, unclaimedRoomRetentionMs: SERVER_LIMITS.unclaimedRoomRetentionMs, trustedAddresses: ['127.0.0.1', '10.0.0.5'], tabsPerAddressPerRoom: 4 },
      },
    });
    expect(parseServerEnv({}, '/srv')).toEqual({ ok: true, config: { stateDb: '/srv/data/playground.sqlite', limits: {} } });
    expect(parseServerEnv({ TRUSTED_ADDRESSES: 'none' }, '/srv')).toMatchObject({ ok: true, config: { limits: { trustedAddresses: [] } } });
    for (const bad of [{ ROOM_RETENTION_HOURS: '0' }, { ROOM_RETENTION_HOURS: 'a day' }, { TRUSTED_ADDRESSES: 'localhost' }, { LIMIT_JOINS_PER_MINUTE: '1.5' }]) {
      expect(parseServerEnv(bad, '/srv')).toMatchObject({ ok: false, error: expect.any(String) });
    }
  });
});

describe('identity across tab closes and a real server restart', () => {
  it('a squatter is refused while the student is away; the student gets the node back', async () => {
    const { port } = await start({ stateDb: tempDb() });
    const ada = await joinAs(port, ROOM, 'Ada');
    const watcher = await joinAs(port, ROOM, 'Watcher');
    ada.signal.ws.close(); // Ada's tab closes: the crash-restart lesson
    await until(() => watcher.list.messages.some((m) => m.type === 'leave'));
    const squatter = peer(port, ROOM, { node: ada.identity.node, token: newIdentity().token });
    expect(await squatter.first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining(`Node ${ada.identity.node} of room ${ROOM} belongs to another tab`) } });
    const back = await joinAs(port, ROOM, 'Ada', ada.identity);
    expect(back.list.messages[0]).toMatchObject({ type: 'roster', members: [{ name: 'Watcher' }] });
  });

  it('after a restart on the same database the teacher is still the teacher, impostors are refused, node ids are still owned', async () => {
    const file = tempDb();
    const first = await start({ stateDb: file });
    const teacherKey = newIdentity().token;
    const teacher = await joinAs(first.port, ROOM, 'Teacher', newIdentity(), 'host', teacherKey);
    const student = await joinAs(first.port, ROOM, 'Ada');
    await stop(first.server);

    const second = await start({ stateDb: file });
    // An impostor who reconnects first with another key: refused, the room is not theirs.
    const impostor = newIdentity();
    expect(await peer(second.port, ROOM, impostor).first).toEqual({ type: 'OPEN' });
    const takeover = roster(second.port, ROOM, impostor, 'Teacher', 'host', newIdentity().token);
    expect((await takeover.closed).code).toBe(ROSTER_CLOSE.notTheTeacher);
    // Nor can anyone take the teacher's or the student's node id.
    for (const node of [teacher.identity.node, student.identity.node]) {
      expect((await peer(second.port, ROOM, { node, token: newIdentity().token }).first).type).toBe('ERROR');
    }
    // The real teacher, same key, same node: still the teacher.
    const back = await joinAs(second.port, ROOM, 'Teacher', teacher.identity, 'host', teacherKey);
    expect(back.list.messages[0]).toMatchObject({ type: 'roster', room: ROOM });
    const ada = await joinAs(second.port, ROOM, 'Ada', student.identity);
    expect(ada.list.messages[0]).toMatchObject({ members: expect.arrayContaining([{ node: teacher.identity.node, name: 'Teacher', role: 'host' }]) });
  });
});

describe('room capacity', () => {
  it(`${MAX_PEERS_PER_ROOM} students and the teacher's screen fit; one more student does not`, async () => {
    const { port } = await start({ stateDb: ':memory:' });
    const teacherKey = newIdentity().token;
    await joinAs(port, ROOM, 'Teacher', newIdentity(), 'host', teacherKey);
    for (let i = 0; i < MAX_PEERS_PER_ROOM; i++) await joinAs(port, ROOM, `S${i}`);
    const late = newIdentity();
    const signal = peer(port, ROOM, late);
    expect(await signal.first).toEqual({ type: 'OPEN' });
    const list = roster(port, ROOM, late, 'Late');
    expect((await list.closed).code).toBe(ROSTER_CLOSE.full);
    await until(() => signal.messages.length > 1);
    expect(signal.messages[1]).toEqual({ type: 'ERROR', payload: { msg: `Room ${ROOM} is full (${MAX_PEERS_PER_ROOM} students)` } });
  }, 30_000);
});

describe('per-address limits', () => {
  it('one device cannot fill a room', async () => {
    const { port } = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, tabsPerAddressPerRoom: 2 } });
    await joinAs(port, ROOM, 'A');
    await joinAs(port, ROOM, 'B');
    expect(await peer(port, ROOM, newIdentity()).first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('already has 2 tabs in room') } });
  });

  it('trusted addresses (loopback by default) are exempt', async () => {
    const { port } = await start({ stateDb: ':memory:', limits: { tabsPerAddressPerRoom: 1 } });
    await joinAs(port, ROOM, 'A');
    await joinAs(port, ROOM, 'B');
  });

  it('caps open sockets and socket openings per minute', async () => {
    const sockets = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, socketsPerAddress: 3 } });
    await joinAs(sockets.port, ROOM, 'A'); // 2 sockets
    expect(await peer(sockets.port, ROOM, newIdentity()).first).toEqual({ type: 'OPEN' }); // 3rd
    expect(await peer(sockets.port, ROOM, newIdentity()).first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('Too many connections from your device') } });

    const rate = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, joinsPerAddressPerMinute: 3 } });
    for (let i = 0; i < 3; i++) {
      const attempt = peer(rate.port, ROOM, newIdentity());
      expect(await attempt.first).toEqual({ type: 'OPEN' });
      attempt.ws.close();
    }
    expect(await peer(rate.port, ROOM, newIdentity()).first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('Too many connection attempts') } });
  });

  it('throttles unknown room codes (guessing) but not joining a room that exists', async () => {
    const { port } = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, newRoomCodesPerAddressPerMinute: 3, roomsPerAddress: 10 } });
    const codes = ['ABCDEFA', 'ABCDEFB', 'ABCDEFC', 'ABCDEFD'];
    for (const code of codes.slice(0, 3)) expect(await peer(port, code, newIdentity()).first).toEqual({ type: 'OPEN' });
    expect(await peer(port, codes[3]!, newIdentity()).first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('Too many unknown room codes') } });
    expect(await peer(port, codes[0]!, newIdentity()).first).toEqual({ type: 'OPEN' });
  });

  it('caps the rooms one device keeps open', async () => {
    const { port } = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, roomsPerAddress: 2 } });
    expect(await peer(port, 'ABCDEFA', newIdentity()).first).toEqual({ type: 'OPEN' });
    expect(await peer(port, 'ABCDEFB', newIdentity()).first).toEqual({ type: 'OPEN' });
    expect(await peer(port, 'ABCDEFC', newIdentity()).first).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('already opened 2 rooms') } });
  });

  it('throttles wrong teacher keys', async () => {
    const { port } = await start({ stateDb: ':memory:', limits: { ...UNTRUSTED, wrongTeacherKeysPerAddressPerMinute: 2 } });
    const key = newIdentity().token;
    await joinAs(port, ROOM, 'Teacher', newIdentity(), 'host', key);
    const mallory = await joinAs(port, ROOM, 'Mallory');
    for (let i = 0; i < 2; i++) {
      expect((await roster(port, ROOM, mallory.identity, 'M', 'host', newIdentity().token).closed).code).toBe(ROSTER_CLOSE.notTheTeacher);
    }
    const blocked = await roster(port, ROOM, mallory.identity, 'M', 'host', newIdentity().token).closed;
    expect(blocked).toMatchObject({ code: ROSTER_CLOSE.throttled, reason: expect.stringContaining('wrong teacher keys') });
    const http = await fetch(`http://${HOST}:${port}${roomPath(ROOM)}`, { method: 'DELETE', headers: { Authorization: teacherAuthorization(newIdentity().token) } });
    expect(http.status).toBe(429);
  });
});

describe('robot admission under the teacher key', () => {
  async function admit(port: number, key: string, robots: readonly TabIdentity[]): Promise<Response> {
    return fetch(`http://${HOST}:${port}${robotsPath(ROOM)}`, {
      method: 'POST',
      headers: { Authorization: teacherAuthorization(key), 'Content-Type': 'application/json' },
      body: JSON.stringify({ robots: robots.map((r) => ({ node: r.node, token: r.token })) }),
    });
  }

  it('admits robots the teacher registered, exempt from per-address limits, listed as robots; refuses others', async () => {
    const file = tempDb();
    const limits = { ...UNTRUSTED, tabsPerAddressPerRoom: 1, socketsPerAddress: 2 };
    const first = await start({ stateDb: file, limits });
    const key = newIdentity().token;
    const robots = [newIdentity(), newIdentity(), newIdentity()];
    // No room yet, then no key, a wrong key, a malformed body.
    expect((await admit(first.port, key, robots)).status).toBe(404);
    const teacher = await joinAs(first.port, ROOM, 'Teacher', newIdentity(), 'host', key); // the device's 1 tab and its 2 sockets
    expect((await admit(first.port, newIdentity().token, robots)).status).toBe(401);
    const noKey = await fetch(`http://${HOST}:${first.port}${robotsPath(ROOM)}`, { method: 'POST', body: JSON.stringify({ robots: [robots[0]] }) });
    expect(noKey.status).toBe(401);
    const malformed = await fetch(`http://${HOST}:${first.port}${robotsPath(ROOM)}`, { method: 'POST', headers: { Authorization: teacherAuthorization(key) }, body: '{"robots":[{"node":"NOPE"}]}' });
    expect(malformed.status).toBe(400);
    const ok = await admit(first.port, key, robots);
    expect(ok.status).toBe(200);
    expect(parseRobotAdmissionResponse(await ok.json())).toEqual({ room: ROOM, robots: robots.map((r) => r.node) });
    expect((await admit(first.port, key, robots)).status).toBe(200); // idempotent

    // Same address, over its tab and socket limits: robots still get in, and the roster says robot.
    for (const [i, robot] of robots.entries()) await joinAs(first.port, ROOM, `Robot ${i + 1}`, robot);
    await until(() => teacher.list.messages.filter((m) => m.type === 'join').length === 3);
    expect(teacher.list.messages[1]).toEqual({ type: 'join', member: { node: robots[0]!.node, name: 'Robot 1', role: 'student', robot: true } });
    // A robot's id is its own: another token is refused, and a tab's id cannot be claimed as a robot.
    expect((await peer(first.port, ROOM, { node: robots[0]!.node, token: newIdentity().token }).first).type).toBe('ERROR');
    expect((await admit(first.port, key, [{ node: teacher.identity.node, token: newIdentity().token }])).status).toBe(409);
    // A student from this (untrusted, full) device is still limited.
    expect((await peer(first.port, ROOM, newIdentity()).first).type).toBe('ERROR');

    // Robots survive a restart like everyone else.
    await stop(first.server);
    const second = await start({ stateDb: file, limits });
    await joinAs(second.port, ROOM, 'Robot 1', robots[0]!);
  });
});

describe('closing a room', () => {
  it('only the teacher closes it; everyone is told why, and the server forgets it', async () => {
    const { server, port } = await start({ stateDb: ':memory:' });
    const key = newIdentity().token;
    const teacher = await joinAs(port, ROOM, 'Teacher', newIdentity(), 'host', key);
    const ada = await joinAs(port, ROOM, 'Ada');
    const close = (k: string) => fetch(`http://${HOST}:${port}${roomPath(ROOM)}`, { method: 'DELETE', headers: { Authorization: teacherAuthorization(k) } });
    expect((await close(newIdentity().token)).status).toBe(401);
    expect((await fetch(`http://${HOST}:${port}${roomPath(ROOM)}`, { method: 'POST' })).status).toBe(405);
    const response = await close(key);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ room: ROOM, closed: true });
    for (const member of [teacher, ada]) {
      expect((await member.list.closed).code).toBe(ROSTER_CLOSE.roomClosed);
      await until(() => member.signal.messages.length > 1);
      expect(member.signal.messages[1]).toEqual({ type: 'ERROR', payload: { msg: `Room ${ROOM} was closed by its teacher` } });
    }
    expect(server.signaling.registry.roomExists(ROOM)).toBe(false);
    expect((await close(key)).status).toBe(404);
  });
});
