/**
 * Who is in which room, as the signaling server sees it, and the live roster pushed to each
 * room's members. Membership is a PeerJS registration: an id `${room}-${node}` whose PeerJS
 * socket is open (PeerServer's 'connection'/'disconnect' events, which see a closed tab within
 * tens of milliseconds). A member's display name and role arrive with its roster subscription.
 *
 * What outlives a connection (and a server restart) is in the store (store.ts): the rooms, the
 * digest of each room's teacher key, and the digest of each node id's token. Who is connected,
 * names, roles and addresses are memory only.
 *
 * Rules enforced here:
 * - admission: only ids of our shape; a node id belongs to its first token for the room's
 *   lifetime (a returning tab gets its node back, anyone else is refused); at most
 *   MAX_PEERS_PER_ROOM students plus MAX_TEACHER_SCREENS_PER_ROOM teacher screens connected;
 *   at most maxRooms rooms; the per-address limits of SERVER_LIMITS (not for trusted addresses
 *   nor for the teacher's robots);
 * - a roster subscription must present the id's token, so a client only ever learns the roster
 *   of the room it is registered in (knowing someone's id is not enough);
 * - the host role needs the room's teacher key: the first one presented is bound for the room's
 *   lifetime, restarts included;
 * - one roster socket per id (the newest wins);
 * - a room lives until its teacher closes it or its retention runs out, not when it empties.
 */
import { MAX_PEERS_PER_ROOM, MAX_ROOMS, MAX_TEACHER_SCREENS_PER_ROOM, SERVER_LIMITS } from '../src/limits.ts';
import { parsePeerJsId, type NodeName, type RoomCode } from '../src/rooms/room-code.ts';
import { parseDisplayName, parseRole } from '../src/rooms/names.ts';
import { isToken } from '../src/transport/identity.ts';
import {
  isHostKey,
  ROSTER_CLOSE,
  type RobotAdmissionRequest,
  type RobotAdmissionResponse,
  type RoomClosedResponse,
  type RosterMember,
  type RosterMessage,
} from '../src/transport/signaling-protocol.ts';
import { digestSecret, sameDigest, sameSecret } from './secrets.ts';
import type { RoomStore } from './store.ts';

export { sameSecret };

/** The part of a WebSocket the registry uses (ws's WebSocket in production, fakes in tests). */
export interface RosterSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** The limits the registry enforces: room capacity and SERVER_LIMITS. */
export interface RegistryLimits {
  readonly maxPeersPerRoom: number;
  readonly maxRooms: number;
  readonly roomRetentionMs: number;
  readonly unclaimedRoomRetentionMs: number;
  readonly nodeIdsPerRoom: number;
  readonly roomsPerAddress: number;
  readonly tabsPerAddressPerRoom: number;
  readonly newNodesPerAddressPerRoom: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxPeersPerRoom: MAX_PEERS_PER_ROOM,
  maxRooms: MAX_ROOMS,
  roomRetentionMs: SERVER_LIMITS.roomRetentionMs,
  unclaimedRoomRetentionMs: SERVER_LIMITS.unclaimedRoomRetentionMs,
  nodeIdsPerRoom: SERVER_LIMITS.nodeIdsPerRoom,
  roomsPerAddress: SERVER_LIMITS.roomsPerAddress,
  tabsPerAddressPerRoom: SERVER_LIMITS.tabsPerAddressPerRoom,
  newNodesPerAddressPerRoom: SERVER_LIMITS.newNodesPerAddressPerRoom,
};

/** Who is asking: the TCP peer address, and whether it is exempt from per-address limits. */
export interface ClientAddress {
  readonly address: string;
  readonly trusted: boolean;
}

/** Tests and internal calls that have no socket. */
export const TRUSTED_CLIENT: ClientAddress = { address: 'local', trusted: true };

export type Admission = { readonly ok: true; readonly robot: boolean } | { readonly ok: false; readonly reason: string };
export type Subscription =
  | { readonly ok: true; readonly room: RoomCode; readonly node: NodeName }
  | { readonly ok: false; readonly code: number; readonly reason: string; readonly evict?: boolean };
/** An HTTP answer of the teacher's calls. */
export type TeacherCallResult<T> = { readonly status: 200; readonly body: T } | { readonly status: 400 | 401 | 404 | 409 | 507; readonly body: { readonly error: string } };

interface Member {
  readonly node: NodeName;
  readonly token: string;
  readonly client: ClientAddress;
  readonly robot: boolean;
  name: string | undefined;
  role: RosterMember['role'];
  socket: RosterSocket | undefined;
}

function send(socket: RosterSocket | undefined, message: RosterMessage): void {
  if (!socket) return;
  try {
    socket.send(JSON.stringify(message));
  } catch {
    // A socket that is closing: its own close handler cleans up.
  }
}

function tokenDigest(room: RoomCode, node: NodeName, token: string): Buffer {
  return digestSecret('node-token', [room, node], token);
}

function teacherDigest(room: RoomCode, key: string): Buffer {
  return digestSecret('teacher-key', [room], key);
}

function describe(member: Member): RosterMember {
  return { node: member.node, name: member.name ?? '', role: member.role, ...(member.robot ? { robot: true as const } : {}) };
}

export interface RegistryOptions {
  readonly limits?: Partial<RegistryLimits>;
  /** Wall clock for room timestamps (tests pass a fake one). */
  readonly now?: () => number;
  /** Drops an id's PeerJS socket with a reason the client shows (attach.ts sends a PeerJS ERROR). */
  readonly evict?: (peerJsId: string, reason: string) => void;
  readonly log?: (line: string) => void;
}

export class RoomRegistry {
  /** Connected members by room. A room with nobody connected has no entry here, but lives on in the store. */
  private readonly live = new Map<RoomCode, Map<NodeName, Member>>();
  /** Admitted ids waiting for PeerServer's 'connection', with who asked. */
  private readonly admitted = new Map<string, { readonly client: ClientAddress; readonly robot: boolean }>();
  /** Rooms each untrusted address created that still exist (memory only: addresses are not stored). */
  private readonly roomsByAddress = new Map<string, Set<RoomCode>>();
  /** New node ids each untrusted address created, per room. */
  private readonly newNodesByAddress = new Map<RoomCode, Map<string, number>>();
  readonly limits: RegistryLimits;
  private readonly now: () => number;
  private readonly evict: (peerJsId: string, reason: string) => void;
  private readonly log: (line: string) => void;

  constructor(
    readonly store: RoomStore,
    options: RegistryOptions = {},
  ) {
    this.limits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.evict = options.evict ?? (() => {});
    this.log = options.log ?? (() => {});
  }

  /** Rooms the server keeps (connected or not). */
  roomCount(): number {
    return this.store.roomCount();
  }

  roomExists(room: RoomCode): boolean {
    return this.store.room(room) !== undefined;
  }

  /** Connected nodes of `room` (subscribed or not), sorted. */
  nodesIn(room: RoomCode): readonly NodeName[] {
    return [...(this.live.get(room)?.keys() ?? [])].sort();
  }

  /** Called before a PeerJS socket reaches PeerServer. Writes the room and the id's owner before answering. */
  admit(id: unknown, token: unknown, client: ClientAddress = TRUSTED_CLIENT): Admission {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return { ok: false, reason: 'Invalid peer id: expected ROOM-node from this app' };
    if (!isToken(token)) return { ok: false, reason: 'Invalid token' };
    const { room, node } = parsed;
    const stored = this.store.room(room);
    if (stored === undefined) {
      if (this.store.roomCount() >= this.limits.maxRooms) {
        return { ok: false, reason: `This server already hosts ${this.limits.maxRooms} rooms; try again later` };
      }
      if (!client.trusted && (this.roomsByAddress.get(client.address)?.size ?? 0) >= this.limits.roomsPerAddress) {
        return { ok: false, reason: `Your device already opened ${this.limits.roomsPerAddress} rooms on this server: check the room code on the projector` };
      }
    }
    const owner = stored === undefined ? undefined : this.store.node(room, node);
    const digest = tokenDigest(room, node, token);
    if (owner !== undefined && !sameDigest(owner.tokenDigest, digest)) {
      return { ok: false, reason: `Node ${node} of room ${room} belongs to another tab; open the join link again to get a node of your own` };
    }
    const robot = owner?.kind === 'robot';
    const exempt = client.trusted || robot;
    if (owner === undefined && stored !== undefined) {
      if (this.store.nodeCount(room) >= this.limits.nodeIdsPerRoom) {
        return { ok: false, reason: `Room ${room} has had ${this.limits.nodeIdsPerRoom} different tabs; ask the teacher to start a new room` };
      }
      if (!exempt && (this.newNodesByAddress.get(room)?.get(client.address) ?? 0) >= this.limits.newNodesPerAddressPerRoom) {
        return { ok: false, reason: `Your device already opened ${this.limits.newNodesPerAddressPerRoom} different tabs in room ${room}` };
      }
    }
    const members = this.live.get(room);
    if (!members?.has(node)) {
      if ((members?.size ?? 0) >= this.limits.maxPeersPerRoom + MAX_TEACHER_SCREENS_PER_ROOM) {
        return { ok: false, reason: this.fullReason(room) };
      }
      const fromAddress = [...(members?.values() ?? [])].filter((m) => !m.client.trusted && !m.robot && m.client.address === client.address).length;
      if (!exempt && fromAddress >= this.limits.tabsPerAddressPerRoom) {
        return { ok: false, reason: `Your device already has ${this.limits.tabsPerAddressPerRoom} tabs in room ${room}; close one first` };
      }
    }
    const now = this.now();
    try {
      this.store.transaction(() => {
        if (stored === undefined) this.store.createRoom(room, now);
        if (owner === undefined) this.store.bindNode(room, node, digest, 'tab', now);
        else this.store.touchRoom(room, now);
      });
    } catch (error) {
      this.log(`store: cannot admit ${room}-${node}: ${(error as Error).message}`);
      return { ok: false, reason: 'The server could not save this connection (its storage failed); tell the teacher' };
    }
    if (!client.trusted) {
      if (stored === undefined) this.roomsOf(client.address).add(room);
      if (owner === undefined) {
        const counts = this.newNodesByAddress.get(room) ?? new Map<string, number>();
        counts.set(client.address, (counts.get(client.address) ?? 0) + 1);
        this.newNodesByAddress.set(room, counts);
      }
    }
    this.admitted.set(`${room}-${node}`, { client, robot });
    return { ok: true, robot };
  }

  private roomsOf(address: string): Set<RoomCode> {
    let rooms = this.roomsByAddress.get(address);
    if (rooms === undefined) {
      rooms = new Set();
      this.roomsByAddress.set(address, rooms);
    }
    return rooms;
  }

  private fullReason(room: RoomCode): string {
    return `Room ${room} is full (${this.limits.maxPeersPerRoom} students)`;
  }

  /** PeerServer 'connection': the id's socket is open (first time, or re-attached after a reload). */
  registered(id: string, token: string): void {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return;
    const admission = this.admitted.get(id);
    this.admitted.delete(id);
    const existing = this.live.get(parsed.room)?.get(parsed.node);
    if (existing !== undefined && sameSecret(existing.token, token)) return;
    // The store refuses another token at admission; a different one here means PeerServer
    // re-registered the id after ours was dropped: the old holder is gone (pushes its leave).
    if (existing !== undefined) this.unregistered(id);
    let members = this.live.get(parsed.room);
    if (members === undefined) {
      members = new Map();
      this.live.set(parsed.room, members);
    }
    members.set(parsed.node, {
      node: parsed.node,
      token,
      client: admission?.client ?? TRUSTED_CLIENT,
      robot: admission?.robot ?? false,
      name: undefined,
      role: 'student',
      socket: undefined,
    });
  }

  /** PeerServer 'disconnect': the id's socket closed or timed out. Pushes the leave; the room stays. */
  unregistered(id: string): void {
    const parsed = parsePeerJsId(id);
    if (parsed === undefined) return;
    const members = this.live.get(parsed.room);
    const member = members?.get(parsed.node);
    if (members === undefined || member === undefined) return;
    members.delete(parsed.node);
    if (members.size === 0) this.live.delete(parsed.room);
    try {
      // Retention counts from the last time anyone was here.
      this.store.touchRoom(parsed.room, this.now());
    } catch (error) {
      this.log(`store: cannot record activity of ${parsed.room}: ${(error as Error).message}`);
    }
    member.socket?.close(ROSTER_CLOSE.left, 'left');
    if (member.name === undefined) return; // never announced, nobody to tell
    for (const other of members.values()) send(other.socket, { type: 'leave', node: parsed.node });
  }

  /** A roster socket asks to follow its room. Sends the snapshot and announces the member. */
  subscribe(params: { id: unknown; token: unknown; name: unknown; role: unknown; hostKey?: unknown }, socket: RosterSocket): Subscription {
    const parsed = parsePeerJsId(params.id);
    const name = parseDisplayName(params.name);
    const role = parseRole(params.role);
    if (parsed === undefined || typeof params.token !== 'string' || name === undefined || role === undefined) {
      return { ok: false, code: ROSTER_CLOSE.invalid, reason: 'invalid id, token, name or role' };
    }
    const members = this.live.get(parsed.room);
    const member = members?.get(parsed.node);
    if (members === undefined || member === undefined || !sameSecret(member.token, params.token)) {
      return { ok: false, code: ROSTER_CLOSE.notRegistered, reason: 'not registered with this token' };
    }
    const stored = this.store.room(parsed.room);
    if (stored === undefined) return { ok: false, code: ROSTER_CLOSE.roomClosed, reason: `room ${parsed.room} was closed` };
    const others = [...members.values()].filter((m) => m.node !== parsed.node && m.name !== undefined);
    if (role === 'host') {
      if (!isHostKey(params.hostKey)) return { ok: false, code: ROSTER_CLOSE.invalid, reason: 'a teacher needs a teacher key' };
      const digest = teacherDigest(parsed.room, params.hostKey);
      if (stored.teacherKeyDigest !== undefined && !sameDigest(stored.teacherKeyDigest, digest)) {
        return { ok: false, code: ROSTER_CLOSE.notTheTeacher, reason: `room ${parsed.room} already has its teacher's screen` };
      }
      if (member.role !== 'host' && others.filter((m) => m.role === 'host').length >= MAX_TEACHER_SCREENS_PER_ROOM) {
        return { ok: false, code: ROSTER_CLOSE.full, reason: `room ${parsed.room} already shows ${MAX_TEACHER_SCREENS_PER_ROOM} teacher screens`, evict: true };
      }
      if (stored.teacherKeyDigest === undefined) {
        try {
          this.store.claimRoom(parsed.room, digest);
        } catch (error) {
          this.log(`store: cannot bind the teacher of ${parsed.room}: ${(error as Error).message}`);
          return { ok: false, code: ROSTER_CLOSE.throttled, reason: 'the server could not save the teacher key (its storage failed)' };
        }
      }
    } else if (member.name === undefined || member.role !== 'student') {
      // A new student place (a resubscription keeps its place).
      if (others.filter((m) => m.role === 'student').length >= this.limits.maxPeersPerRoom) {
        return { ok: false, code: ROSTER_CLOSE.full, reason: this.fullReason(parsed.room), evict: true };
      }
    }
    if (member.socket !== undefined && member.socket !== socket) member.socket.close(ROSTER_CLOSE.replaced, 'replaced');
    member.socket = socket;
    member.name = name;
    member.role = role;
    const list = others.map(describe).sort((a, b) => (a.node < b.node ? -1 : 1));
    send(socket, { type: 'roster', room: parsed.room, members: list });
    // Everyone else upserts the member (a resubscription may carry a new name).
    const joined = describe(member);
    for (const other of members.values()) {
      if (other.node !== parsed.node) send(other.socket, { type: 'join', member: joined });
    }
    return { ok: true, room: parsed.room, node: parsed.node };
  }

  /** The roster socket closed. Membership stays with the PeerJS socket; only the pushes stop. */
  unsubscribe(room: RoomCode, node: NodeName, socket: RosterSocket): void {
    const member = this.live.get(room)?.get(node);
    if (member?.socket === socket) member.socket = undefined;
  }

  /** Whether `token` is the token of a robot the teacher admitted as `node` of `room`. */
  isRobot(room: RoomCode, node: NodeName, token: string): boolean {
    const owner = this.store.node(room, node);
    return owner?.kind === 'robot' && sameDigest(owner.tokenDigest, tokenDigest(room, node, token));
  }

  /** Whether `key` is the teacher key bound to `room` (false for a room nobody claimed). */
  isTeacher(room: RoomCode, key: unknown): boolean {
    const digest = this.store.room(room)?.teacherKeyDigest;
    return digest !== undefined && isHostKey(key) && sameDigest(digest, teacherDigest(room, key));
  }

  /** ROBOT ADMISSION (signaling-protocol.ts): binds the robots' node ids to their tokens. */
  admitRobots(room: RoomCode, key: unknown, request: RobotAdmissionRequest): TeacherCallResult<RobotAdmissionResponse> {
    const stored = this.store.room(room);
    if (stored === undefined || stored.teacherKeyDigest === undefined) {
      return { status: 404, body: { error: `no room ${room} with a teacher: open the teacher's page first` } };
    }
    if (!this.isTeacher(room, key)) return { status: 401, body: { error: `not the teacher key of room ${room}` } };
    const fresh: { node: NodeName; digest: Buffer }[] = [];
    for (const robot of request.robots) {
      const digest = tokenDigest(room, robot.node, robot.token);
      const owner = this.store.node(room, robot.node);
      if (owner === undefined) fresh.push({ node: robot.node, digest });
      else if (owner.kind !== 'robot' || !sameDigest(owner.tokenDigest, digest)) {
        return { status: 409, body: { error: `node ${robot.node} of room ${room} belongs to another tab` } };
      }
    }
    if (this.store.nodeCount(room) + fresh.length > this.limits.nodeIdsPerRoom) {
      return { status: 507, body: { error: `room ${room} cannot take ${fresh.length} more node ids (${this.limits.nodeIdsPerRoom} at most)` } };
    }
    const now = this.now();
    try {
      this.store.transaction(() => {
        for (const robot of fresh) this.store.bindNode(room, robot.node, robot.digest, 'robot', now);
        this.store.touchRoom(room, now);
      });
    } catch (error) {
      this.log(`store: cannot admit robots to ${room}: ${(error as Error).message}`);
      return { status: 507, body: { error: 'the server could not save the robots (its storage failed)' } };
    }
    return { status: 200, body: { room, robots: request.robots.map((r) => r.node) } };
  }

  /** CLOSING A ROOM (signaling-protocol.ts): the teacher ends it; everyone is told and the store forgets it. */
  closeRoom(room: RoomCode, key: unknown): TeacherCallResult<RoomClosedResponse> {
    const stored = this.store.room(room);
    if (stored === undefined) return { status: 404, body: { error: `no room ${room}` } };
    if (!this.isTeacher(room, key)) return { status: 401, body: { error: `not the teacher key of room ${room}` } };
    this.forget(room, `Room ${room} was closed by its teacher`);
    return { status: 200, body: { room, closed: true } };
  }

  /** Deletes rooms past their retention that nobody is connected to. Returns their codes. */
  sweep(): RoomCode[] {
    const expired = this.store
      .expiredRooms(this.now(), this.limits.roomRetentionMs, this.limits.unclaimedRoomRetentionMs)
      .filter((room) => !this.live.has(room));
    for (const room of expired) this.forget(room, `Room ${room} expired`);
    return expired;
  }

  private forget(room: RoomCode, reason: string): void {
    this.store.deleteRoom(room);
    const members = this.live.get(room);
    this.live.delete(room);
    this.newNodesByAddress.delete(room);
    for (const [address, rooms] of this.roomsByAddress) {
      rooms.delete(room);
      if (rooms.size === 0) this.roomsByAddress.delete(address);
    }
    for (const member of members?.values() ?? []) {
      member.socket?.close(ROSTER_CLOSE.roomClosed, reason);
      this.evict(`${room}-${member.node}`, reason);
    }
  }
}
