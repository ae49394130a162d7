/**
 * What the browser and our signaling server (signaling/server.ts) agree on, in one module both
 * import: where things live on the server, and the roster messages it pushes.
 *
 * Endpoints (one http(s) port serves everything):
 *   GET  /config.json                     → ClientConfig (ICE servers: [] unless the school set TURN)
 *   WS   /signal/peerjs?key&id&token      → PeerJS's own signaling socket (PeerServer 1.0.2)
 *   GET  /signal/…                        → PeerServer's small HTTP API (discovery disabled)
 *   WS   /signal/roster?id&token&name&role&protocol → this room's roster, pushed live
 *
 * The roster socket is only accepted for an id that is registered on the PeerJS socket with the
 * same secret token, so a client sees the roster of its own room and nobody else's; ids are
 * `${room}-${node}` (src/rooms/room-code.ts).
 *
 * Server → client roster messages (JSON text; the client sends nothing):
 *   { "type": "roster", "room": "KQ7RX", "members": [{ "node": "m3kx9t", "name": "Ada", "role": "student" }, …] }
 *   { "type": "join",  "member": { "node": …, "name": …, "role": … } }
 *   { "type": "leave", "node": "m3kx9t" }
 * `members` excludes the subscriber itself. A rejected subscription is closed with one of the
 * ROSTER_CLOSE codes below and a human-readable reason.
 */
import { isBoundedArray, isBoundedString, isRecord } from '../core/validate.ts';
import { MAX_PEERS_PER_ROOM } from '../limits.ts';
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
export const PROTOCOL_VERSION = 1;
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
 */
const HOST_KEY = /^[A-Za-z0-9]{16,64}$/;

export function isHostKey(raw: unknown): raw is string {
  return typeof raw === 'string' && HOST_KEY.test(raw);
}

export interface RosterMember {
  readonly node: NodeName;
  readonly name: string;
  readonly role: PeerRole;
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
  return { node: raw['node'], name, role };
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
      if (!isRoomCode(room) || !isBoundedArray(list, MAX_PEERS_PER_ROOM, (m): m is unknown => true)) return undefined;
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
