/**
 * The signaling server on 127.0.0.1 (port 0): static serving, the PeerJS socket with our
 * admission rules, and the per-room roster with its pushes, driven by plain WebSocket clients.
 */
import { parseClientConfig } from '../../../src/transport/signaling-protocol.ts';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newIdentity } from '../../../src/transport/identity.ts';
import { PEERJS_KEY, ROSTER_CLOSE, parseRosterMessage, type RosterMessage } from '../../../src/transport/signaling-protocol.ts';
import { RoomRegistry, type RosterSocket } from '../../../signaling/rooms.ts';
import { RoomStore } from '../../../signaling/store.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';

const HOST = '127.0.0.1';

function makeSite(): string {
  const base = mkdtempSync(path.join(tmpdir(), 'cp-static-'));
  writeFileSync(path.join(base, 'secret.txt'), 'TOP SECRET');
  const root = path.join(base, 'dist');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(path.join(root, 'assets', 'main-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'robots.txt'), 'User-agent: *');
  return root;
}

/** A raw request line, so nothing normalises the path before the server sees it. */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

interface Client {
  readonly id: string;
  readonly token: string;
  readonly peer: WebSocket;
  readonly peerMessages: unknown[];
}

const sockets: WebSocket[] = [];

function track(ws: WebSocket): WebSocket {
  ws.on('error', () => {}); // terminate() on a socket still connecting reports an error
  sockets.push(ws);
  return ws;
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason.toString()}`)));
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}


/** A teacher's key as the teacher's browser keeps it (see claimHostKey). */
const TEACHER_KEY = newIdentity().token;
describe('signaling server', () => {
  let server: SignalingServer;
  let port: number;
  let room = 0;
  /** A fresh room code per test: 'RMTEST' + a letter from the alphabet. */
  const freshRoom = (): string => {
    const letters = 'ABCDEFGHJKMNPQRTWXY346789';
    const n = room++;
    return `RMTE${letters[n % 25]}${letters[Math.floor(n / 25) % 25]}A`;
  };

  async function register(roomCode: string, token = newIdentity().token, node = newIdentity().node): Promise<Client> {
    const id = `${roomCode}-${node}`;
    const peer = track(new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${id}&token=${token}&version=1.5.5`));
    const peerMessages: unknown[] = [];
    const first = nextMessage(peer);
    peer.on('message', (data) => peerMessages.push(JSON.parse(data.toString())));
    expect(JSON.parse(await first)).toEqual({ type: 'OPEN' });
    return { id, token, peer, peerMessages };
  }

  function roster(
    client: Client,
    name: string,
    role = 'student',
    hostKey?: string,
  ): { ws: WebSocket; messages: RosterMessage[]; first: Promise<RosterMessage> } {
    const query = new URLSearchParams({ id: client.id, token: client.token, name, role });
    if (hostKey !== undefined) query.set('hostKey', hostKey);
    const ws = track(new WebSocket(`ws://${HOST}:${port}/signal/roster?${query.toString()}`));
    const messages: RosterMessage[] = [];
    const first = new Promise<RosterMessage>((resolve, reject) => {
      ws.on('message', (data) => {
        const message = parseRosterMessage(data.toString());
        if (!message) return reject(new Error(`unparseable roster message ${data.toString()}`));
        messages.push(message);
        if (messages.length === 1) resolve(message);
      });
      ws.once('close', (code) => reject(new Error(`roster closed ${code}`)));
    });
    return { ws, messages, first };
  }

  async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  beforeAll(async () => {
    server = createSignalingServer({
      host: HOST,
      port: 0,
      staticDir: makeSite(),
      iceServers: [{ urls: 'turn:turn.school.example:3478', username: 'u', credential: 'p' }],
      joinOrigins: ['http://192.168.1.20:8080'],
    });
    port = (await server.ready).port;
  });
  afterEach(() => {
    for (const ws of sockets.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    await server.close();
  });

  describe('static app', () => {
    it('serves index.html with no-cache, hashed assets as immutable, with content types', async () => {
      const index = await fetch(`http://${HOST}:${port}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const asset = await fetch(`http://${HOST}:${port}/assets/main-abc123.js`);
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect(await asset.text()).toBe('console.log(1)');
      expect((await fetch(`http://${HOST}:${port}/robots.txt`)).headers.get('content-type')).toContain('text/plain');
    });

    it('falls back to the app for page routes but 404s missing files', async () => {
      const route = await fetch(`http://${HOST}:${port}/join/KQ7RXA4?room=KQ7RXA4`);
      expect(route.status).toBe(200);
      expect(await route.text()).toContain('<title>app</title>');
      expect((await fetch(`http://${HOST}:${port}/assets/missing.js`)).status).toBe(404);
    });

    it('answers HEAD without a body and refuses other methods', async () => {
      const head = await fetch(`http://${HOST}:${port}/`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect((await fetch(`http://${HOST}:${port}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    });

    it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/%00', '/%E0%A4%A'])(
      'never serves anything outside the root: %s',
      async (target) => {
        const response = await rawGet(port, target);
        expect(response).not.toContain('TOP SECRET');
        expect(response).toMatch(/^HTTP\/1\.1 (400|404)/);
      },
    );
  });

  describe('http endpoints', () => {
    it('serves the client config with the configured ICE servers and the LAN join origins', async () => {
      const response = await fetch(`http://${HOST}:${port}/config.json`);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body: unknown = await response.json();
      expect(body).toEqual({
        iceServers: [{ urls: 'turn:turn.school.example:3478', username: 'u', credential: 'p' }],
        joinOrigins: ['http://192.168.1.20:8080'],
      });
      expect(parseClientConfig(body)?.joinOrigins).toEqual(['http://192.168.1.20:8080']);
      expect(parseClientConfig({ iceServers: [], joinOrigins: ['javascript:alert(1)'] })).toBeUndefined();
    });

    it('keeps PeerServer discovery off', async () => {
      expect((await fetch(`http://${HOST}:${port}/signal/${PEERJS_KEY}/peers`)).status).toBe(401);
    });

    it('refuses other sites’ pages (Origin) on HTTP and WebSocket endpoints', async () => {
      const response = await fetch(`http://${HOST}:${port}/signal/`, { headers: { Origin: 'http://evil.example' } });
      expect(response.status).toBe(403);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      const same = await fetch(`http://${HOST}:${port}/signal/`, { headers: { Origin: `http://${HOST}:${port}` } });
      expect(same.status).toBe(200);
      const identity = newIdentity();
      const ws = track(
        new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${freshRoom()}-${identity.node}&token=${identity.token}`, {
          origin: 'http://evil.example',
        }),
      );
      const failure = await new Promise<string>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode))));
      expect(failure).toBe('403');
    });
  });

  describe('PeerJS socket', () => {
    it('registers an id of our shape and refuses others with a readable reason', async () => {
      const code = freshRoom();
      await register(code);
      for (const badId of ['not-ours', `${code}-UPPER1`, `${code.toLowerCase()}-abcdef`]) {
        const ws = track(new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${badId}&token=${newIdentity().token}`));
        expect(JSON.parse(await nextMessage(ws))).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('Invalid peer id') } });
      }
    });

    it('a reload with the tab’s token gets its id back at once; another token is refused', async () => {
      const code = freshRoom();
      const first = await register(code);
      const node = first.id.slice(code.length + 1);
      const watcher = await register(code);
      const watch = roster(watcher, 'Watcher');
      await watch.first;
      const firstRoster = roster(first, 'Ada');
      await firstRoster.first;
      await until(() => watch.messages.length === 2); // the join of Ada
      // Same tab again (old socket still open, as in a fast reload): OPEN, old socket closed.
      const staleClosed = closed(first.peer);
      const again = await register(code, first.token, node as never);
      expect(again.id).toBe(first.id);
      expect((await staleClosed).code).toBe(1000);
      // Nobody was told Ada left.
      await new Promise((r) => setTimeout(r, 50));
      expect(watch.messages.some((m) => m.type === 'leave')).toBe(false);
      // Someone else claiming the id is refused, with the reason.
      const thief = track(new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${first.id}&token=${newIdentity().token}`));
      expect(JSON.parse(await nextMessage(thief))).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('belongs to another tab') } });
    });
  });

  describe('roster', () => {
    it('sends a snapshot of one’s own room only, then pushes joins and leaves', async () => {
      const roomA = freshRoom();
      const roomB = freshRoom();
      const ada = await register(roomA);
      const bob = await register(roomA);
      const eve = await register(roomB);
      const adaRoster = roster(ada, 'Ada', 'host', TEACHER_KEY);
      expect(await adaRoster.first).toEqual({ type: 'roster', room: roomA, members: [] });
      const eveRoster = roster(eve, 'Eve');
      expect(await eveRoster.first).toEqual({ type: 'roster', room: roomB, members: [] });

      const bobRoster = roster(bob, 'Bob');
      const bobNode = bob.id.slice(roomA.length + 1);
      const adaNode = ada.id.slice(roomA.length + 1);
      expect(await bobRoster.first).toEqual({ type: 'roster', room: roomA, members: [{ node: adaNode, name: 'Ada', role: 'host' }] });
      await until(() => adaRoster.messages.length === 2);
      expect(adaRoster.messages[1]).toEqual({ type: 'join', member: { node: bobNode, name: 'Bob', role: 'student' } });

      // Bob's tab closes: its PeerJS socket drops; Ada hears within tens of milliseconds.
      const bobRosterClosed = closed(bobRoster.ws);
      const closedAt = performance.now();
      bob.peer.close();
      await until(() => adaRoster.messages.length === 3);
      const latency = performance.now() - closedAt;
      expect(adaRoster.messages[2]).toEqual({ type: 'leave', node: bobNode });
      expect(latency).toBeLessThan(500);
      expect((await bobRosterClosed).code).toBe(ROSTER_CLOSE.left);

      // Room B never heard a thing about room A.
      await new Promise((r) => setTimeout(r, 50));
      expect(eveRoster.messages).toHaveLength(1);
    });

    it('lets only the teacher’s key take the host role in a room', async () => {
      const code = freshRoom();
      const teacher = await register(code);
      const student = await register(code);
      const noKey = roster(student, 'Mallory', 'host');
      await expect(noKey.first).rejects.toThrow(String(ROSTER_CLOSE.invalid));
      expect(await roster(teacher, 'Teacher', 'host', TEACHER_KEY).first).toMatchObject({ type: 'roster', room: code });
      const impostor = roster(student, 'Mallory', 'host', newIdentity().token);
      await expect(impostor.first).rejects.toThrow(String(ROSTER_CLOSE.notTheTeacher));
      // As a student, the same tab is welcome, and the teacher is listed with the role the server vouches for.
      const asStudent = roster(student, 'Mallory');
      expect(await asStudent.first).toMatchObject({ members: [{ name: 'Teacher', role: 'host' }] });
    });

    it('refuses a roster subscription without the id’s token, or with bad parameters', async () => {
      const code = freshRoom();
      const ada = await register(code);
      const wrongToken = roster({ ...ada, token: newIdentity().token }, 'Mallory');
      await expect(wrongToken.first).rejects.toThrow(String(ROSTER_CLOSE.notRegistered));
      const badName = roster(ada, '');
      await expect(badName.first).rejects.toThrow(String(ROSTER_CLOSE.invalid));
      const badRole = roster(ada, 'Ada', 'admin');
      await expect(badRole.first).rejects.toThrow(String(ROSTER_CLOSE.invalid));
    });

    it('a newer roster socket for the same id replaces the older one', async () => {
      const ada = await register(freshRoom());
      const older = roster(ada, 'Ada');
      await older.first;
      const olderClosed = closed(older.ws);
      const newer = roster(ada, 'Ada B.');
      await newer.first;
      expect((await olderClosed).code).toBe(ROSTER_CLOSE.replaced);
    });
  });
});

describe('signaling server limits', () => {
  let server: SignalingServer;
  let port: number;
  beforeAll(async () => {
    server = createSignalingServer({ host: HOST, port: 0, limits: { maxPeersPerRoom: 2, maxRooms: 1 } });
    port = (await server.ready).port;
  });
  afterAll(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await server.close();
  });

  function peerSocket(id: string, token: string): WebSocket {
    return track(new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${id}&token=${token}`));
  }

  async function attempt(id: string, token = newIdentity().token): Promise<unknown> {
    return JSON.parse(await nextMessage(peerSocket(id, token)));
  }

  function subscribe(id: string, token: string, name: string): WebSocket {
    return track(new WebSocket(`ws://${HOST}:${port}/signal/roster?${new URLSearchParams({ id, token, name, role: 'student' })}`));
  }

  it('enforces students per room (not counting the teacher’s screens) and rooms per server', async () => {
    const [a, b, c, t] = [newIdentity(), newIdentity(), newIdentity(), newIdentity()];
    const ids = [a, b, c, t].map((identity) => `KQ7RXA4-${identity.node}`);
    for (const [i, identity] of [a, b].entries()) {
      expect(await attempt(ids[i]!, identity.token)).toEqual({ type: 'OPEN' });
      await new Promise<RosterMessage | undefined>((resolve) => subscribe(ids[i]!, identity.token, `S${i}`).once('message', () => resolve(undefined)));
    }
    // The teacher's screen still fits beside two students.
    expect(await attempt(ids[3]!, t.token)).toEqual({ type: 'OPEN' });
    const teacherRoster = track(
      new WebSocket(`ws://${HOST}:${port}/signal/roster?${new URLSearchParams({ id: ids[3]!, token: t.token, name: 'T', role: 'host', hostKey: TEACHER_KEY })}`),
    );
    expect(parseRosterMessage((await nextMessage(teacherRoster)) as string)).toMatchObject({ type: 'roster' });
    // A third student registers, but its roster subscription is refused and its PeerJS socket told why.
    const third = peerSocket(ids[2]!, c.token);
    const messages: unknown[] = [];
    third.on('message', (data) => messages.push(JSON.parse(data.toString())));
    await until(() => messages.length > 0);
    expect(messages[0]).toEqual({ type: 'OPEN' });
    const refused = closed(subscribe(ids[2]!, c.token, 'Late'));
    expect((await refused).code).toBe(ROSTER_CLOSE.full);
    await until(() => messages.length > 1);
    expect(messages[1]).toEqual({ type: 'ERROR', payload: { msg: 'Room KQ7RXA4 is full (2 students)' } });
    expect(await attempt(`ABCDEFG-${c.node}`)).toEqual({ type: 'ERROR', payload: { msg: expect.stringContaining('already hosts 1 rooms') } });
  });

  async function until(predicate: () => boolean, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  }
});

describe('room registry', () => {
  it('a node id stays with its first token: another token is refused even after the holder left', () => {
    const registry = new RoomRegistry(new RoomStore(':memory:'));
    const [old, fresh, other] = [newIdentity(), newIdentity(), newIdentity()];
    const id = `KQ7RXA4-${old.node}`;
    expect(registry.admit(id, old.token)).toEqual({ ok: true, robot: false });
    registry.registered(id, old.token);
    registry.unregistered(id);
    expect(registry.roomCount()).toBe(1); // empty, not gone
    expect(registry.admit(id, fresh.token)).toMatchObject({ ok: false, reason: expect.stringContaining('belongs to another tab') });
    expect(registry.admit(id, old.token)).toMatchObject({ ok: true });
    registry.registered(id, old.token);
    const sent: string[] = [];
    const socket: RosterSocket = { send: (text) => sent.push(text), close: () => undefined };
    const params = { id, name: 'Ada', role: 'student' };
    expect(registry.subscribe({ ...params, token: fresh.token }, socket)).toMatchObject({ ok: false });
    expect(registry.subscribe({ ...params, token: old.token }, socket)).toMatchObject({ ok: true });
    expect(registry.admit(`KQ7RXA4-${other.node}`, other.token)).toMatchObject({ ok: true });
    registry.registered(`KQ7RXA4-${other.node}`, other.token);
    expect(registry.nodesIn('KQ7RXA4' as never)).toEqual([old.node, other.node].sort());
  });
});
