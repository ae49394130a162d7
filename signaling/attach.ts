/**
 * Our signaling, attachable to any Node http(s) server: the production server (server.ts) and
 * Vite's dev server (vite-plugin.ts) both use it, so `npm start` and `npm run dev` behave alike.
 *
 * It mounts PeerServer 1.0.2 (`ExpressPeerServer`) under one path, but owns the WebSocket
 * upgrades itself: PeerServer gets a `noServer` WebSocketServer (its default would grab every
 * upgrade on the http server, breaking Vite's HMR socket), and each upgrade is routed here —
 * after our checks (origin, per-address limits, id shape and ownership, room limits) — to
 * PeerServer or to the roster endpoint. It also serves the teacher's HTTP calls (robot
 * admission, closing a room: signaling-protocol.ts) and deletes rooms past their retention.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { ExpressPeerServer, type IClient } from 'peer';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_ROBOT_REQUEST_BYTES, MAX_ROOM_MEMBERS, MAX_ROOMS, SERVER_LIMITS } from '../src/limits.ts';
import { isRoomCode, parsePeerJsId, type RoomCode } from '../src/rooms/room-code.ts';
import {
  CLIENT_CONFIG_PATH,
  PEERJS_KEY,
  ROSTER_CLOSE,
  ROSTER_PATH,
  SIGNALING_PATH,
  parseRobotAdmissionRequest,
  type ClientConfig,
  type IceServerConfig,
} from '../src/transport/signaling-protocol.ts';
import { AddressGuard, type AddressLimits } from './abuse.ts';
import { RoomRegistry, sameSecret, type ClientAddress, type RegistryLimits, type TeacherCallResult } from './rooms.ts';
import { RoomStore } from './store.ts';

export interface SignalingOptions {
  /** Mount path of PeerServer and the roster endpoint. Default SIGNALING_PATH ('/signal'). */
  readonly path?: string;
  /**
   * Origins, besides the server's own, whose pages may use the signaling endpoints (e.g. the Vite
   * dev server's origin when it proxies). Requests without an Origin header (non-browser
   * clients) are allowed: an Origin check only exists to stop other sites' pages.
   */
  readonly allowedOrigins?: readonly string[];
  /** Served at /config.json for the clients' RTCPeerConnections. Default: none (LAN only). */
  readonly iceServers?: readonly IceServerConfig[];
  /** Served at /config.json: where students can reach this server (see ClientConfig). */
  readonly joinOrigins?: readonly string[];
  /** How long PeerServer keeps an id whose socket went silent. Default 60 s; ≥ 60 s in production. */
  readonly aliveTimeoutMs?: number;
  /**
   * Room and per-address limits; defaults MAX_PEERS_PER_ROOM, MAX_ROOMS and SERVER_LIMITS
   * (src/limits.ts). Tests lower them, or set `trustedAddresses: []` to limit loopback too.
   */
  readonly limits?: Partial<RegistryLimits & AddressLimits>;
  /**
   * The store of rooms, teacher key digests and node token digests (store.ts): a file path, or
   * an open store (its owner closes it). Default ':memory:', which forgets everything when the
   * process ends: `npm start` and `npm run dev` pass STATE_DB (default ./data/playground.sqlite).
   */
  readonly stateDb?: string | RoomStore;
  /** Wall clock for room lifetimes (tests). */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface AttachedSignaling {
  /** Handles /config.json and the PeerServer HTTP API; returns false for anything else. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Handles upgrades to our WebSocket endpoints; returns false for anything else (e.g. Vite HMR). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  readonly registry: RoomRegistry;
  readonly guard: AddressGuard;
  /** Closes every signaling and roster socket, and the store if it was opened here. */
  close(): void;
}

/** Default alive_timeout: PeerJS pings every 5 s, so 60 s is 12 missed pings, and a frozen tab's id frees in a minute. */
export const DEFAULT_ALIVE_TIMEOUT_MS = 60_000;
/** Roster sockets are pinged so dead ones (a phone that vanished) are noticed and closed. */
const ROSTER_PING_MS = 25_000;
/** Roster clients send nothing; anything bigger than this from them is abuse. */
const ROSTER_MAX_PAYLOAD = 1024;
/** PeerJS signaling messages (SDP with many candidates) are a few kB; 64 kB is generous. */
const PEERJS_MAX_PAYLOAD = 64 * 1024;

function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Same origin as the request's Host, or explicitly allowed, or no Origin at all (not a browser page). */
export function isAllowedOrigin(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export function attachSignaling(server: HttpServer | HttpsServer, options: SignalingOptions = {}): AttachedSignaling {
  const mountPath = (options.path ?? SIGNALING_PATH).replace(/\/+$/, '');
  const peerjsPath = `${mountPath}/peerjs`;
  const rosterPath = mountPath + ROSTER_PATH.slice(SIGNALING_PATH.length);
  const allowed = options.allowedOrigins ?? [];
  const log = options.log ?? (() => {});
  /** PeerServer's clients by id, to recognise a reload re-attaching to its still-registered id. */
  const clients = new Map<string, IClient>();
  const ownStore = typeof options.stateDb !== 'object';
  const store = typeof options.stateDb === 'object' ? options.stateDb : new RoomStore(options.stateDb ?? ':memory:');
  const registry = new RoomRegistry(store, {
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.now ? { now: options.now } : {}),
    log,
    evict: (id, reason) => evict(id, reason),
  });
  const guard = new AddressGuard(options.limits);
  const roomsPath = `${mountPath}/rooms/`;
  const config: ClientConfig = { iceServers: options.iceServers ?? [], joinOrigins: options.joinOrigins ?? [] };
  const configBody = JSON.stringify(config);

  const peerSockets = new WebSocketServer({ noServer: true, maxPayload: PEERJS_MAX_PAYLOAD });
  const rosterSockets = new WebSocketServer({ noServer: true, maxPayload: ROSTER_MAX_PAYLOAD });
  /** Used only to complete a handshake in order to tell a PeerJS client why it is refused. */
  const refusals = new WebSocketServer({ noServer: true, maxPayload: 1024 });

  const peerApp = ExpressPeerServer(server, {
    path: mountPath,
    key: PEERJS_KEY,
    // Nobody may list every id on the server: each client learns only its own room's roster.
    allow_discovery: false,
    // Ids of silent sockets are freed after this; a reloaded tab does not wait for it (token).
    alive_timeout: options.aliveTimeoutMs ?? DEFAULT_ALIVE_TIMEOUT_MS,
    // A backstop only: our admission check (rooms × members per room) is the real limit.
    concurrent_limit: (options.limits?.maxRooms ?? MAX_ROOMS) * MAX_ROOM_MEMBERS,
    // Cross-origin pages get no CORS headers unless explicitly allowed.
    corsOptions: { origin: [...allowed] },
    // We route upgrades ourselves (see above).
    createWebSocketServer: () => peerSockets,
  });
  // ExpressPeerServer starts on its parent app's 'mount' event, and we have no parent app (we
  // route requests ourselves, in Node's server and in Vite's). Express's own 'mount' listener
  // re-parents the app's prototypes onto the parent's: hand it the app's current ones (a no-op).
  const ownPrototypes = {
    request: Object.getPrototypeOf(peerApp.request) as object,
    response: Object.getPrototypeOf(peerApp.response) as object,
    engines: Object.getPrototypeOf((peerApp as unknown as { engines: object }).engines) as object,
    settings: Object.getPrototypeOf(peerApp.settings) as object,
  };
  peerApp.emit('mount', ownPrototypes);
  peerApp.on('connection', (client: IClient) => {
    clients.set(client.getId(), client);
    registry.registered(client.getId(), client.getToken());
  });
  peerApp.on('disconnect', (client: IClient) => {
    if (clients.get(client.getId()) === client) clients.delete(client.getId());
    registry.unregistered(client.getId());
  });
  peerApp.on('error', (error: Error) => log(`peer server: ${error.message}`));

  const pinger = setInterval(() => {
    for (const socket of rosterSockets.clients) {
      const alive = socket as WebSocket & { awaitingPong?: boolean };
      if (alive.awaitingPong) {
        socket.terminate();
        continue;
      }
      alive.awaitingPong = true;
      socket.ping();
    }
  }, ROSTER_PING_MS);
  pinger.unref();

  const sweepRooms = (): void => {
    try {
      for (const room of registry.sweep()) log(`room ${room} expired: deleted`);
    } catch (error) {
      log(`store: cannot delete expired rooms: ${(error as Error).message}`);
    }
  };
  sweepRooms();
  const sweeper = setInterval(sweepRooms, SERVER_LIMITS.retentionSweepMs);
  sweeper.unref();

  /** Tells a connected id why it is dropped (PeerJS shows it as 'server-error') and closes it. */
  function evict(id: string, reason: string): void {
    const socket = clients.get(id)?.getSocket();
    if (!socket) return;
    try {
      socket.send(JSON.stringify({ type: 'ERROR', payload: { msg: reason } }));
    } catch {
      // closing already
    }
    socket.close(1008, 'refused');
  }

  function reply<T>(res: ServerResponse, result: TeacherCallResult<T> | { status: 403 | 405 | 413 | 429; body: { error: string } }): void {
    res.writeHead(result.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(result.body));
  }

  function bearer(req: IncomingMessage): string | undefined {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9]{1,128})$/.exec(header) : null;
    return match?.[1];
  }

  function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          resolve(undefined);
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', () => resolve(undefined));
    });
  }

  /** The teacher's calls: POST rooms/ROOM/robots, DELETE rooms/ROOM (see signaling-protocol.ts). */
  async function teacherCall(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const client = guard.client(req);
    const [code, sub, extra] = rest.split('/');
    const room = code;
    if (!isRoomCode(room) || extra !== undefined || (sub !== undefined && sub !== 'robots')) {
      reply(res, { status: 404, body: { error: 'not found' } });
      return;
    }
    const allowed = sub === 'robots' ? 'POST' : 'DELETE';
    if (req.method !== allowed) {
      res.setHeader('Allow', allowed);
      reply(res, { status: 405, body: { error: `use ${allowed}` } });
      return;
    }
    const mayTry = await guard.mayTryTeacherKey(client);
    if (!mayTry.ok) {
      reply(res, { status: 429, body: { error: mayTry.reason } });
      return;
    }
    const key = bearer(req);
    let result: TeacherCallResult<unknown>;
    if (sub === 'robots') {
      const text = await readBody(req, MAX_ROBOT_REQUEST_BYTES);
      if (text === undefined) {
        reply(res, { status: 413, body: { error: `the body is over ${MAX_ROBOT_REQUEST_BYTES} bytes` } });
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const request = parseRobotAdmissionRequest(json);
      if (request === undefined) {
        reply(res, { status: 400, body: { error: 'expected {"robots":[{"node":"abcdef","token":"<24 letters/digits>"},…]}' } });
        return;
      }
      result = registry.admitRobots(room, key, request);
    } else {
      result = registry.closeRoom(room, key);
    }
    if (result.status === 401) await guard.wrongTeacherKey(client);
    if (result.status === 200) log(sub === 'robots' ? `room ${room}: robots admitted` : `room ${room} closed by its teacher`);
    reply(res, result);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const url = requestUrl(req);
    if (url === undefined) return false;
    if (url.pathname === CLIENT_CONFIG_PATH) {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : configBody);
      return true;
    }
    if (url.pathname !== mountPath && !url.pathname.startsWith(`${mountPath}/`)) return false;
    if (!isAllowedOrigin(req, allowed)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Origin not allowed');
      return true;
    }
    if (url.pathname.startsWith(roomsPath)) {
      teacherCall(req, res, url.pathname.slice(roomsPath.length)).catch((error: unknown) => {
        log(`teacher call failed: ${(error as Error).message}`);
        if (!res.headersSent) reply(res, { status: 429, body: { error: 'try again' } });
        else res.end();
      });
      return true;
    }
    peerApp(req as Parameters<typeof peerApp>[0], res as Parameters<typeof peerApp>[1], () => {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found');
    });
    return true;
  }

  function refusePeer(req: IncomingMessage, socket: Duplex, head: Buffer, reason: string): void {
    refusals.handleUpgrade(req, socket, head, (ws) => {
      // PeerJS shows this as a 'server-error' with our reason.
      ws.send(JSON.stringify({ type: 'ERROR', payload: { msg: reason } }));
      ws.close(1008, 'refused');
    });
  }

  /** Whether an upgrade comes from one of the teacher's robots (exempt from per-address limits). */
  function isRobotSocket(id: string | null, token: string | null): boolean {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined || token === null) return false;
    return registry.isRobot(parsed.room, parsed.node, token);
  }

  async function gateUpgrade(client: ClientAddress, params: URLSearchParams, peerjs: boolean): Promise<string | undefined> {
    if (isRobotSocket(params.get('id'), params.get('token'))) return undefined;
    const opening = await guard.opening(client);
    if (!opening.ok) return opening.reason;
    if (peerjs) {
      const parsed = parsePeerJsId(params.get('id'));
      if (parsed !== undefined && !registry.roomExists(parsed.room)) {
        const guess = await guard.unknownRoomCode(client);
        if (!guess.ok) return guess.reason;
      }
    } else if (params.get('role') === 'host') {
      const mayTry = await guard.mayTryTeacherKey(client);
      if (!mayTry.ok) return mayTry.reason;
    }
    return undefined;
  }

  function acceptPeer(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, client: ClientAddress): void {
    const admission = registry.admit(url.searchParams.get('id'), url.searchParams.get('token'), client);
    if (!admission.ok) {
      log(`refused ${url.searchParams.get('id') ?? '?'}: ${admission.reason}`);
      refusePeer(req, socket, head, admission.reason);
      return;
    }
    const id = url.searchParams.get('id') ?? '';
    const token = url.searchParams.get('token') ?? '';
    const holder = clients.get(id);
    // The same tab coming back (a reload, or PeerJS reconnecting) while the server still holds
    // its id: PeerServer re-attaches the new socket because the token matches, but sends no
    // OPEN, so the client would wait forever. We send it, and close the stale socket.
    const reattach = holder !== undefined && url.searchParams.get('key') === PEERJS_KEY && sameSecret(holder.getToken(), token);
    peerSockets.handleUpgrade(req, socket, head, (ws) => {
      if (!admission.robot) ws.once('close', guard.socketOpened(client));
      const stale = reattach ? holder.getSocket() : null;
      peerSockets.emit('connection', ws, req);
      if (!reattach || holder.getSocket() !== ws) return;
      ws.send(JSON.stringify({ type: 'OPEN' }));
      if (stale !== null && stale !== ws) stale.close(1000, 'replaced by a newer socket of the same tab');
    });
  }

  function acceptRoster(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, client: ClientAddress): void {
    rosterSockets.handleUpgrade(req, socket, head, (ws) => {
      const params = url.searchParams;
      const robot = isRobotSocket(params.get('id'), params.get('token'));
      if (!robot) ws.once('close', guard.socketOpened(client));
      const result = registry.subscribe(
        {
          id: params.get('id'),
          token: params.get('token'),
          name: params.get('name'),
          role: params.get('role'),
          hostKey: params.get('hostKey'),
        },
        ws,
      );
      if (!result.ok) {
        if (result.code === ROSTER_CLOSE.notTheTeacher) void guard.wrongTeacherKey(client);
        if (result.evict) evict(params.get('id') ?? '', result.reason);
        ws.close(result.code, result.reason);
        return;
      }
      ws.on('pong', () => {
        (ws as WebSocket & { awaitingPong?: boolean }).awaitingPong = false;
      });
      ws.on('error', () => ws.terminate());
      ws.on('close', () => registry.unsubscribe(result.room, result.node, ws));
    });
  }

  function refuseRoster(req: IncomingMessage, socket: Duplex, head: Buffer, reason: string): void {
    rosterSockets.handleUpgrade(req, socket, head, (ws) => ws.close(ROSTER_CLOSE.throttled, reason.slice(0, 120)));
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = requestUrl(req);
    if (url === undefined || (url.pathname !== peerjsPath && url.pathname !== rosterPath)) return false;
    if (!isAllowedOrigin(req, allowed)) {
      refuseUpgrade(socket, 403, 'Forbidden');
      return true;
    }
    const peerjs = url.pathname === peerjsPath;
    const client = guard.client(req);
    gateUpgrade(client, url.searchParams, peerjs)
      .then((refusal) => {
        if (socket.destroyed) return;
        if (refusal !== undefined) {
          log(`refused ${url.searchParams.get('id') ?? '?'} from ${client.address}: ${refusal}`);
          if (peerjs) refusePeer(req, socket, head, refusal);
          else refuseRoster(req, socket, head, refusal);
          return;
        }
        if (peerjs) acceptPeer(req, socket, head, url, client);
        else acceptRoster(req, socket, head, url, client);
      })
      .catch((error: unknown) => {
        log(`upgrade failed: ${(error as Error).message}`);
        socket.destroy();
      });
    return true;
  }

  return {
    handleRequest,
    handleUpgrade,
    registry,
    guard,
    close(): void {
      clearInterval(pinger);
      clearInterval(sweeper);
      for (const wss of [peerSockets, rosterSockets, refusals]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
      if (ownStore) store.close();
    },
  };
}
