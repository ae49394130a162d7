/**
 * What the browser and our signaling server (signaling/server.ts) agree on, in one module both
 * import: where things live on the server, and the roster messages it pushes.
 *
 * Endpoints (one http(s) port serves everything):
 *   GET  /config.json                     → ClientConfig (ICE servers: [] unless the school set TURN)
 *   WS   /signal/peerjs?key&id&token      → PeerJS's own signaling socket (PeerServer 1.0.2)
 *   GET  /signal/…                        → PeerServer's small HTTP API (discovery disabled)
 *   WS   /signal/roster?id&token&name&role&protocol[&hostKey] → this room's roster, pushed live
 *   POST /signal/rooms/ROOM/robots        → admit the teacher's robots (ROBOT ADMISSION below)
 *   DELETE /signal/rooms/ROOM             → the teacher closes the room (CLOSING A ROOM below)
 *
 * The roster socket is only accepted for an id that is registered on the PeerJS socket with the
 * same secret token, so a client sees the roster of its own room and nobody else's; ids are
 * `${room}-${node}` (src/rooms/room-code.ts).
 *
 * Server → client roster messages (JSON text; the client sends nothing):
 *   { "type": "roster", "room": "KQ7RXA4", "members": [{ "node": "m3kx9t", "name": "Ada", "role": "student" }, …] }
 *   { "type": "join",  "member": { "node": …, "name": …, "role": … } }
 *   { "type": "leave", "node": "m3kx9t" }
 * `members` excludes the subscriber itself; a member the teacher admitted as a robot carries
 * `"robot": true` (the server's word). A rejected subscription is closed with one of the
 * ROSTER_CLOSE codes below and a human-readable reason; when the refusal is final (room full,
 * room closed) the id's PeerJS socket also gets an ERROR with the reason and is closed.
 *
 * Node ids belong to their first token for the room's lifetime (the server keeps the token's
 * digest): registering `ROOM-node` with another token is refused with an ERROR "Node … belongs
 * to another tab" (PeerJS 'server-error'), also while the id's tab is closed and after a restart.
 */
import { isBoundedArray, isBoundedString, isRecord } from '../core/validate.ts';
import { MAX_ROBOTS_PER_REQUEST, MAX_ROOM_MEMBERS } from '../limits.ts';
import { isNodeName, isRoomCode, type NodeName, type RoomCode } from '../rooms/room-code.ts';
import { parseDisplayName, parseRole } from '../rooms/names.ts';
import type { PeerRole } from './types.ts';

export const SIGNALING_PATH = '/signal';
/** PeerJS's "API key": a plain URL parameter, not a secret; it only has to match. */
export const PEERJS_KEY = 'consensus-playground';
export const ROSTER_PATH = `${SIGNALING_PATH}/roster`;
export const CLIENT_CONFIG_PATH = '/config.json';

/** Close codes of the roster socket (4000–4999 are the application's range). */
export const ROSTER_CLOSE = {
  /** Bad or missing parameters: do not retry with the same ones. */
  invalid: 4400,
  /** The id is not registered with this token (yet): retry after the PeerJS socket is open. */
  notRegistered: 4401,
  /** Role 'host' without this room's teacher key: another screen is this room's teacher. */
  notTheTeacher: 4403,
  /** A newer roster socket for the same id replaced this one. */
  replaced: 4409,
  /** The id's PeerJS socket closed: the member left. */
  left: 4410,
  /** The teacher closed the room (or it expired): do not retry; the PeerJS socket says why. */
  roomClosed: 4404,
  /** The room already holds MAX_PEERS_PER_ROOM students: do not retry; the PeerJS socket says why. */
  full: 4413,
  /** Too many sockets or attempts from this address (SERVER_LIMITS): retry later, with backoff. */
  throttled: 4429,
  /** The tab's bundle speaks another PROTOCOL_VERSION than the server (426 Upgrade Required): reload. */
  outdated: 4426,
} as const;

/**
 * The version of what a tab's bundle speaks with the server (the roster socket's parameters and
 * messages) and with other tabs (the data-channel envelope, wire.ts). Raise it with any change an
 * older bundle would misread. The roster socket carries it as `?protocol=N` and the server
 * refuses any other value (absent included: bundles from before versioning) with
 * ROSTER_CLOSE.outdated; every hello carries it, and a tab ignores a peer that speaks another
 * version and, when that peer's is newer, knows it is itself the outdated one. Either way the
 * outdated tab shows OUTDATED_PAGE_MESSAGE: a phone that kept an old page open across a server
 * update reloads instead of misbehaving.
 */
// 2: voting lost its acknowledgements (no voteAck; vote.needYours and voteRequest are new), so a
// tab of version 1 would resend its vote forever to tabs of version 2; and the 'digest' envelope
// (relayed liveness, relay.ts) is new, so a version-1 tab would count a big room's quiet peers as
// silent and call them down.
// 3: the 'probe' envelope is new, and in a relaying room a link's slow beat goes one way only
// (limits.ts): a version-2 tab would neither answer probes nor beat the links it dials, so its
// peers would suspect it while the room forms.
export const PROTOCOL_VERSION = 3;
/** The roster socket's query parameter carrying PROTOCOL_VERSION. */
export const PROTOCOL_PARAM = 'protocol';
/** Largest version we parse: a bound on the field, far above any version we will reach. */
export const MAX_PROTOCOL_VERSION = 1_000_000;
/** What an outdated tab tells its user (and the server's close reason). */
export const OUTDATED_PAGE_MESSAGE = 'This page is out of date — reload';

/** A protocol version as it may appear on the wire: a whole number 0..MAX_PROTOCOL_VERSION. */
export function isProtocolVersion(raw: unknown): raw is number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= MAX_PROTOCOL_VERSION;
}

/** Whether the roster socket's `?protocol=` value is exactly ours (decimal digits, no padding). */
export function isCurrentProtocolParam(raw: string | null): boolean {
  return raw === String(PROTOCOL_VERSION);
}

/**
 * The teacher's key: a random secret the teacher's browser keeps per room. The first host to
 * subscribe to a room binds its key to the room; while the room exists, only that key may take
 * the host role. Roles in rosters are therefore the server's word, not a tab's claim.
 * The server keeps only a hash of the key, in its store (signaling/store.ts), so the binding
 * survives a server restart: after a restart the real teacher is still the teacher and any
 * other key is refused (ROSTER_CLOSE.notTheTeacher). The same key authorizes the teacher's HTTP
 * calls below, as `Authorization: Bearer <key>`.
 */
const HOST_KEY = /^[A-Za-z0-9]{16,64}$/;

export function isHostKey(raw: unknown): raw is string {
  return typeof raw === 'string' && HOST_KEY.test(raw);
}

export interface RosterMember {
  readonly node: NodeName;
  readonly name: string;
  readonly role: PeerRole;
  /** Present (true) when the server admitted this node as one of the teacher's robots. */
  readonly robot?: true;
}

export type RosterMessage =
  | { readonly type: 'roster'; readonly room: RoomCode; readonly members: readonly RosterMember[] }
  | { readonly type: 'join'; readonly member: RosterMember }
  | { readonly type: 'leave'; readonly node: NodeName };

export function parseRosterMember(raw: unknown): RosterMember | undefined {
  if (!isRecord(raw) || !isNodeName(raw['node'])) return undefined;
  const name = parseDisplayName(raw['name']);
  const role = parseRole(raw['role']);
  if (name === undefined || role === undefined) return undefined;
  if (raw['robot'] !== undefined && raw['robot'] !== true) return undefined;
  return { node: raw['node'], name, role, ...(raw['robot'] === true ? { robot: true as const } : {}) };
}

/** Validates a roster frame from the server (the client trusts no input, even ours). */
export function parseRosterMessage(text: unknown): RosterMessage | undefined {
  if (typeof text !== 'string' || text.length > 64 * 1024) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  switch (raw['type']) {
    case 'roster': {
      const room = raw['room'];
      const list = raw['members'];
      if (!isRoomCode(room) || !isBoundedArray(list, MAX_ROOM_MEMBERS, (m): m is unknown => true)) return undefined;
      const members = list.map(parseRosterMember);
      if (members.some((m) => m === undefined)) return undefined;
      return { type: 'roster', room, members: members as RosterMember[] };
    }
    case 'join': {
      const member = parseRosterMember(raw['member']);
      return member ? { type: 'join', member } : undefined;
    }
    case 'leave':
      return isNodeName(raw['node']) ? { type: 'leave', node: raw['node'] } : undefined;
    default:
      return undefined;
  }
}

/** An ICE server as RTCPeerConnection takes it (TURN for schools whose Wi-Fi isolates clients). */
export interface IceServerConfig {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

export interface ClientConfig {
  readonly iceServers: readonly IceServerConfig[];
  /**
   * Origins students can reach this server at (http://192.168.1.20:8080), as `npm start` found
   * them: a teacher who opened the page at localhost still gets a QR code phones can open.
   */
  readonly joinOrigins?: readonly string[];
}

/** LAN addresses of one machine: a few at most (Wi-Fi, Ethernet, a VPN). */
export const MAX_JOIN_ORIGINS = 8;
const JOIN_ORIGIN = /^https?:\/\/[A-Za-z0-9.:[\]-]{1,100}$/;

function isJoinOrigin(raw: unknown): raw is string {
  return typeof raw === 'string' && JOIN_ORIGIN.test(raw);
}

/** A handful is plenty; more only slows ICE gathering. */
export const MAX_ICE_SERVERS = 8;
const ICE_URL = /^(stun|turn|turns):[^\s]{1,250}$/;

function isIceUrl(raw: unknown): raw is string {
  return typeof raw === 'string' && ICE_URL.test(raw);
}

export function parseIceServer(raw: unknown): IceServerConfig | undefined {
  if (!isRecord(raw)) return undefined;
  const urls = raw['urls'];
  const validUrls = isIceUrl(urls) || isBoundedArray(urls, MAX_ICE_SERVERS, isIceUrl);
  if (!validUrls || (Array.isArray(urls) && urls.length === 0)) return undefined;
  const username = raw['username'];
  const credential = raw['credential'];
  if (username !== undefined && !isBoundedString(username, 256)) return undefined;
  if (credential !== undefined && !isBoundedString(credential, 256)) return undefined;
  return {
    urls: Array.isArray(urls) ? [...(urls as string[])] : (urls as string),
    ...(username !== undefined ? { username } : {}),
    ...(credential !== undefined ? { credential } : {}),
  };
}

/** Validates /config.json (or the ICE_SERVERS env on the server). Undefined if anything is off. */
export function parseClientConfig(raw: unknown): ClientConfig | undefined {
  if (!isRecord(raw) || !isBoundedArray(raw['iceServers'], MAX_ICE_SERVERS, (s): s is unknown => true)) return undefined;
  const servers = raw['iceServers'].map(parseIceServer);
  if (servers.some((s) => s === undefined)) return undefined;
  const joinOrigins = raw['joinOrigins'] ?? [];
  if (!isBoundedArray(joinOrigins, MAX_JOIN_ORIGINS, isJoinOrigin)) return undefined;
  return { iceServers: servers as IceServerConfig[], joinOrigins: [...joinOrigins] };
}

// ---- the teacher's HTTP calls -----------------------------------------------------------------

/** `${SIGNALING_PATH}/rooms/${room}`: the room as a resource of the teacher's. */
export const ROOMS_PATH = `${SIGNALING_PATH}/rooms`;

export function roomPath(room: RoomCode, basePath: string = SIGNALING_PATH): string {
  return `${basePath.replace(/\/+$/, '')}/rooms/${room}`;
}

export function robotsPath(room: RoomCode, basePath: string = SIGNALING_PATH): string {
  return `${roomPath(room, basePath)}/robots`;
}

/** The Authorization header value for the teacher's key. */
export function teacherAuthorization(hostKey: string): string {
  return `Bearer ${hostKey}`;
}

/**
 * ROBOT ADMISSION. Robots are real nodes of the room that the teacher starts (headless Node
 * processes on the teacher's machine). Each has its own node id and PeerJS token, minted like a
 * tab's (src/transport/identity.ts `newIdentity()`). Before a robot opens its PeerJS socket, the
 * teacher's side registers it:
 *
 *   POST /signal/rooms/ROOM/robots
 *   Authorization: Bearer <the room's teacher key>
 *   Content-Type: application/json
 *   { "robots": [ { "node": "m3kx9t", "token": "<24 letters/digits>" }, … ] }   (1–MAX_ROBOTS_PER_REQUEST)
 *
 *   200 { "room": "ROOM", "robots": ["m3kx9t", …] }       admitted (also when already admitted with the same token)
 *   400 { "error": "…" }  malformed body              401  missing or wrong teacher key
 *   404  no such room, or its teacher has not claimed it yet (open the teacher's page first)
 *   409  a node id already belongs to another token   429  throttled (wrong keys from this address)
 *   507  the room's node-id table or its student places are full
 *
 * The room must exist and have its teacher bound (the teacher's screen subscribed once as
 * 'host'). The server then binds each node id to its token (hashed) for the room's lifetime,
 * marked as a robot. Afterwards the robot connects exactly like a tab: the PeerJS socket
 * `ROOM-node` with its token, then the roster socket with role 'student'. Robot sockets are
 * exempt from every per-address limit (SERVER_LIMITS), but robots are students: they count
 * toward MAX_PEERS_PER_ROOM. Rosters list them with `robot: true`. Registering is idempotent, so a
 * restarted robot (same node, same token) simply reconnects; its id stays its own.
 */
export interface RobotAdmissionRequest {
  readonly robots: readonly { readonly node: NodeName; readonly token: string }[];
}

export interface RobotAdmissionResponse {
  readonly room: RoomCode;
  readonly robots: readonly NodeName[];
}

const ROBOT_TOKEN = /^[A-Za-z0-9]{24}$/;

/** Validates a robot admission body (server side); undefined if anything is off. */
export function parseRobotAdmissionRequest(raw: unknown): RobotAdmissionRequest | undefined {
  if (!isRecord(raw)) return undefined;
  const list = raw['robots'];
  if (!isBoundedArray(list, MAX_ROBOTS_PER_REQUEST, (r): r is unknown => true) || list.length === 0) return undefined;
  const robots: { node: NodeName; token: string }[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    if (!isRecord(entry) || !isNodeName(entry['node']) || typeof entry['token'] !== 'string' || !ROBOT_TOKEN.test(entry['token'])) return undefined;
    if (seen.has(entry['node'])) return undefined;
    seen.add(entry['node']);
    robots.push({ node: entry['node'], token: entry['token'] });
  }
  return { robots };
}

/** Validates the server's answer (client side). */
export function parseRobotAdmissionResponse(raw: unknown): RobotAdmissionResponse | undefined {
  if (!isRecord(raw) || !isRoomCode(raw['room']) || !isBoundedArray(raw['robots'], MAX_ROBOTS_PER_REQUEST, isNodeName)) return undefined;
  return { room: raw['room'], robots: [...raw['robots']] };
}

/**
 * CLOSING A ROOM. The teacher ends the lesson:
 *
 *   DELETE /signal/rooms/ROOM
 *   Authorization: Bearer <the room's teacher key>
 *
 *   200 { "room": "ROOM", "closed": true }   401 wrong or missing key   404 no such room
 *
 * Every member's PeerJS socket gets an ERROR "Room ROOM was closed by its teacher" (PeerJS
 * reports it as 'server-error') and its roster socket closes with ROSTER_CLOSE.roomClosed; the
 * server deletes what it kept of the room (its teacher key's hash and its node ids' token
 * hashes). Otherwise a room lives until its retention runs out (SERVER_LIMITS), not when it empties.
 */
export interface RoomClosedResponse {
  readonly room: RoomCode;
  readonly closed: true;
}
