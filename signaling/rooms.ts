/**
 * Who is in which room, as the signaling server sees it, and the live roster pushed to each
 * room's members. Membership is a PeerJS registration: an id `${room}-${node}` whose PeerJS
 * socket is open (PeerServer's 'connection'/'disconnect' events, which see a closed tab within
 * tens of milliseconds). A member's display name and role arrive with its roster subscription.
 *
 * Rules enforced here:
 * - admission: only ids of our shape; at most MAX_PEERS_PER_ROOM per room and MAX_ROOMS rooms;
 * - a roster subscription must present the id's PeerJS token, so a client only ever learns the
 *   roster of the room it is registered in (knowing someone's id is not enough);
 * - one roster socket per id (the newest wins).
 */
import { timingSafeEqual } from 'node:crypto';
import { MAX_PEERS_PER_ROOM, MAX_ROOMS } from '../src/limits.ts';
import { parsePeerJsId, type NodeName, type RoomCode } from '../src/rooms/room-code.ts';
import { parseDisplayName, parseRole } from '../src/rooms/names.ts';
import { isToken } from '../src/transport/identity.ts';
import { isHostKey, ROSTER_CLOSE, type RosterMember, type RosterMessage } from '../src/transport/signaling-protocol.ts';

/** The part of a WebSocket the registry uses (ws's WebSocket in production, fakes in tests). */
export interface RosterSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

export type Admission = { readonly ok: true } | { readonly ok: false; readonly reason: string };
export type Subscription =
  | { readonly ok: true; readonly room: RoomCode; readonly node: NodeName }
  | { readonly ok: false; readonly code: number; readonly reason: string };

interface Member {
  readonly node: NodeName;
  readonly token: string;
  name: string | undefined;
  role: RosterMember['role'];
  socket: RosterSocket | undefined;
}

/** Constant-time comparison of two secrets (tokens). */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function send(socket: RosterSocket | undefined, message: RosterMessage): void {
  if (!socket) return;
  try {
    socket.send(JSON.stringify(message));
  } catch {
    // A socket that is closing: its own close handler cleans up.
  }
}

export class RoomRegistry {
  private readonly rooms = new Map<RoomCode, Map<NodeName, Member>>();
  /** Each room's teacher key, bound by its first host; forgotten with the room. */
  private readonly hostKeys = new Map<RoomCode, string>();

  constructor(
    private readonly limits: { readonly maxPeersPerRoom: number; readonly maxRooms: number } = {
      maxPeersPerRoom: MAX_PEERS_PER_ROOM,
      maxRooms: MAX_ROOMS,
    },
  ) {}

  roomCount(): number {
    return this.rooms.size;
  }

  /** Registered nodes of `room` (subscribed or not), sorted. */
  nodesIn(room: RoomCode): readonly NodeName[] {
    return [...(this.rooms.get(room)?.keys() ?? [])].sort();
  }

  /** Called before a PeerJS socket reaches PeerServer. */
  admit(id: unknown, token: unknown): Admission {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return { ok: false, reason: 'Invalid peer id: expected ROOM-node from this app' };
    if (!isToken(token)) return { ok: false, reason: 'Invalid token' };
    const room = this.rooms.get(parsed.room);
    // A reconnect of an id that is still registered is PeerServer's call (same token → same id).
    if (room?.has(parsed.node)) return { ok: true };
    if (room === undefined && this.rooms.size >= this.limits.maxRooms) {
      return { ok: false, reason: `This server already hosts ${this.limits.maxRooms} rooms; try again later` };
    }
    if (room !== undefined && room.size >= this.limits.maxPeersPerRoom) {
      return { ok: false, reason: `Room ${parsed.room} is full (${this.limits.maxPeersPerRoom} tabs)` };
    }
    return { ok: true };
  }

  /** PeerServer 'connection': the id's socket is open (first time, or re-attached after a reload). */
  registered(id: string, token: string): void {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return;
    const existing = this.rooms.get(parsed.room)?.get(parsed.node);
    if (existing !== undefined && existing.token === token) return;
    // A different token under a registered id: the old holder is gone (pushes its leave). That
    // may empty and delete the room, so look the room up only afterwards.
    if (existing !== undefined) this.unregistered(id);
    let room = this.rooms.get(parsed.room);
    if (room === undefined) {
      room = new Map();
      this.rooms.set(parsed.room, room);
    }
    room.set(parsed.node, { node: parsed.node, token, name: undefined, role: 'student', socket: undefined });
  }

  /** PeerServer 'disconnect': the id's socket closed or timed out. Pushes the leave. */
  unregistered(id: string): void {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return;
    const room = this.rooms.get(parsed.room);
    const member = room?.get(parsed.node);
    if (room === undefined || member === undefined) return;
    room.delete(parsed.node);
    if (room.size === 0) {
      this.rooms.delete(parsed.room);
      this.hostKeys.delete(parsed.room);
    }
    member.socket?.close(ROSTER_CLOSE.left, 'left');
    if (member.name === undefined) return; // never announced, nobody to tell
    for (const other of room.values()) send(other.socket, { type: 'leave', node: parsed.node });
  }

  /** A roster socket asks to follow its room. Sends the snapshot and announces the member. */
  subscribe(
    params: { id: unknown; token: unknown; name: unknown; role: unknown; hostKey?: unknown },
    socket: RosterSocket,
  ): Subscription {
    const parsed = parsePeerJsId(params.id);
    const name = parseDisplayName(params.name);
    const role = parseRole(params.role);
    if (parsed === undefined || typeof params.token !== 'string' || name === undefined || role === undefined) {
      return { ok: false, code: ROSTER_CLOSE.invalid, reason: 'invalid id, token, name or role' };
    }
    const room = this.rooms.get(parsed.room);
    const member = room?.get(parsed.node);
    if (room === undefined || member === undefined || !sameSecret(member.token, params.token)) {
      return { ok: false, code: ROSTER_CLOSE.notRegistered, reason: 'not registered with this token' };
    }
    if (role === 'host') {
      const bound = this.hostKeys.get(parsed.room);
      if (!isHostKey(params.hostKey)) return { ok: false, code: ROSTER_CLOSE.invalid, reason: 'a teacher needs a teacher key' };
      if (bound !== undefined && !sameSecret(bound, params.hostKey)) {
        return { ok: false, code: ROSTER_CLOSE.notTheTeacher, reason: `room ${parsed.room} already has its teacher's screen` };
      }
      this.hostKeys.set(parsed.room, params.hostKey);
    }
    if (member.socket !== undefined && member.socket !== socket) member.socket.close(ROSTER_CLOSE.replaced, 'replaced');
    member.socket = socket;
    member.name = name;
    member.role = role;
    const members: RosterMember[] = [];
    for (const other of room.values()) {
      if (other.node !== parsed.node && other.name !== undefined) members.push({ node: other.node, name: other.name, role: other.role });
    }
    members.sort((a, b) => (a.node < b.node ? -1 : 1));
    send(socket, { type: 'roster', room: parsed.room, members });
    // Everyone else upserts the member (a resubscription may carry a new name).
    for (const other of room.values()) {
      if (other.node !== parsed.node) send(other.socket, { type: 'join', member: { node: parsed.node, name, role } });
    }
    return { ok: true, room: parsed.room, node: parsed.node };
  }

  /** The roster socket closed. Membership stays with the PeerJS socket; only the pushes stop. */
  unsubscribe(room: RoomCode, node: NodeName, socket: RosterSocket): void {
    const member = this.rooms.get(room)?.get(node);
    if (member?.socket === socket) member.socket = undefined;
  }
}
