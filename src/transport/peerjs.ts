/**
 * The real transport: WebRTC data channels between the tabs of one room, brokered by our own
 * signaling server (signaling/server.ts). Never the public PeerJS cloud, its TURN, or public
 * STUN: host/port/path/key/secure and the ICE servers are always passed explicitly, and the ICE
 * list is empty unless the school configured TURN (/config.json).
 *
 * Choices, each for a measured reason (shared/verified-setup.md, the team's notes measured before the first line):
 * - `reliable: true` (PeerJS defaults to unordered) and serialization 'raw': we send JSON text we
 *   stringified ourselves, so MAX_MESSAGE_BYTES is measured on the bytes that travel and a hostile
 *   frame is parsed by our try/catch, not by PeerJS ('json' mode parses inside an event listener
 *   and obeys a remote `__peerData: close`; 'binary' chunks and rebuilds arbitrary values).
 * - Full mesh, one connection per pair: a hash of the pair picks which of the two dials
 *   (pacing.ts), so each node dials about half the room, and each node keeps at most
 *   MAX_PENDING_DIALS dials negotiating at once, fewer while its dials stall (nextDialWindow). If a second connection appears anyway (a re-dial racing an old one, a hostile client), the
 *   newest replaces the older.
 * - Who is in the room comes from the server's roster socket (joins and leaves pushed within
 *   ~30 ms of a tab's socket opening/closing), not from PeerJS discovery (disabled).
 * - Liveness never waits for PeerJS 'close' (it never fires after an abrupt tab close): goodbye
 *   on `pagehide`, the roster's leave push, heartbeats, and RTCPeerConnection state feed the
 *   pure rule in liveness.ts.
 * - Signaling restarts: the PeerJS socket reconnects with capped exponential backoff using the
 *   same id and token; data channels that are up stay up throughout.
 */
import type { DataConnection, Peer, PeerError } from 'peerjs';
import {
  DIAL_TIMEOUT_MS,
  LINK_MAINTENANCE_MS,
  MAX_PENDING_DIALS,
  MAX_MESSAGE_BYTES,
  MAX_QUEUED_PER_PEER,
  SIGNALING_RETRY_BASE_MS,
  SIGNALING_RETRY_MAX_MS,
  SUSPECT_AFTER_MS,
  DOWN_AFTER_MS,
} from '../limits.ts';
import { parseDisplayName } from '../rooms/names.ts';
import { cryptoRandomIndex, parsePeerJsId, peerJsId, type RoomCode } from '../rooms/room-code.ts';
import { every, systemClock, type TransportClock } from './clock.ts';
import { TransportCore } from './core.ts';
import { claimHostKey, claimRoomIdentity, type TabIdentity } from './identity.ts';
import type { LinkState } from './liveness.ts';
import { dialDebug, dialDebugEnabled } from './dial-debug.ts';
import { dialsToStart, dialTimeoutMs, isDialler, negotiationVerdict, nextDialWindow, type NegotiationState } from './pacing.ts';
import {
  CLIENT_CONFIG_PATH,
  PEERJS_KEY,
  PROTOCOL_PARAM,
  PROTOCOL_VERSION,
  ROSTER_CLOSE,
  ROSTER_PATH,
  SIGNALING_PATH,
  parseClientConfig,
  type ClientConfig,
  parseRosterMessage,
  type IceServerConfig,
  type RosterMember,
} from './signaling-protocol.ts';
import type { MessageParser, PeerId, PeerRole, Transport, Unsubscribe } from './types.ts';

/** Where the signaling server is. Defaults to the page's own origin and SIGNALING_PATH. */
export interface SignalingEndpoint {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  /** Mount path of the PeerServer, default SIGNALING_PATH ('/signal'). */
  readonly path?: string;
}

export interface PeerTransportOptions<M> {
  readonly room: RoomCode;
  /** Display name; validated with parseDisplayName (createPeerTransport throws a RangeError if invalid). */
  readonly name: string;
  readonly role: PeerRole;
  /**
   * Role 'host' only: the teacher's key for this room (see isHostKey). Default: the one this
   * browser keeps for the room (claimHostKey).
   */
  readonly hostKey?: string;
  readonly parse: MessageParser<M>;
  /** This page's node id and secret token; default claimRoomIdentity(room, name). */
  readonly identity?: TabIdentity;
  readonly signaling?: SignalingEndpoint;
  /** ICE servers; default: what the server's /config.json says, [] if it says nothing. */
  readonly iceServers?: readonly IceServerConfig[];
  readonly clock?: TransportClock;
  /** PeerJS log level (0 none … 3 all). */
  readonly debug?: 0 | 1 | 2 | 3;
  /** Benchmarks only: a link idle this long gets a heartbeat (default HEARTBEAT_INTERVAL_MS). */
  readonly heartbeatIntervalMs?: number;
  /** Benchmarks only: rooms of this many nodes relay liveness (default RELAY_MIN_ROOM, relay.ts). */
  readonly relayMinRoom?: number;
}

/** The tab's connection to the signaling server, for the UI's "reconnecting…" banner. */
export type SignalingState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open' }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly retryInMs: number; readonly reason: string }
  /** The server refused us (room full, too many rooms, bad id): not retried automatically. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /**
   * The server refused this bundle's PROTOCOL_VERSION (signaling-protocol.ts): the transport
   * stopped; reloading the page fetches the current bundle.
   */
  | { readonly kind: 'outdated' }
  | { readonly kind: 'closed' };

export interface LinkInfo {
  readonly peer: PeerId;
  readonly open: boolean;
  /** True if we dialled this connection, false if the peer did. */
  readonly dialled: boolean;
  readonly connectionState: string;
}

export interface PeerTransport<M> extends Transport<M> {
  readonly room: RoomCode;
  /** The id registered on the signaling server: `${room}-${self}`. */
  readonly peerJsId: string;
  signaling(): SignalingState;
  onSignaling(handler: (state: SignalingState) => void): Unsubscribe;
  /** The current data connections, for diagnostics and benchmarks. */
  links(): readonly LinkInfo[];
  /**
   * Puts `frame` on the open data channel to `to` as is, bypassing our encoder: how tests (and
   * the "a tab sends garbage" demo) play a hostile peer. Returns false without an open channel.
   */
  sendRawFrame(to: PeerId, frame: string | ArrayBuffer): boolean;
  /**
   * Ends this node as a crash would: no goodbye, every connection and socket torn down at once.
   * The others learn it from the signaling server (its socket closed) like a crashed tab's. For
   * headless nodes (robots), whose "crash" is not a closed tab.
   */
  abort(): void;
}

/** RTCPeerConnection states (connection or ICE) after which a handshake cannot succeed. */
const ENDED_STATES: ReadonlySet<string> = new Set(['failed', 'closed']);

/** Whether the answer (or offer) of the other side has been applied; node-datachannel reports an empty one as ''. */
function hasRemoteDescription(pc: RTCPeerConnection): boolean {
  try {
    return Boolean(pc.remoteDescription?.sdp);
  } catch {
    return false;
  }
}

/** A PeerJS socket that neither opens nor fails within this long is abandoned and retried. */
const SIGNALING_CONNECT_TIMEOUT_MS = 10_000;
/** close(): time for the goodbye frames to leave before the connections are torn down. */
const GOODBYE_FLUSH_MS = 100;
/** /config.json must answer quickly; without it we use no ICE servers (fine on one LAN). */
const CONFIG_FETCH_TIMEOUT_MS = 3_000;

interface Link {
  readonly conn: DataConnection;
  readonly dialled: boolean;
  readonly createdAt: number;
  /** Which dial of this peer it is (0 = the first): its waits double with it (negotiationVerdict). */
  readonly attempt: number;
  /** How long this dial may negotiate before it is given up (dialTimeoutMs of its attempt). */
  readonly timeoutMs: number;
  /** When the dialler first saw the answer applied; undefined before (and on the answering side). */
  answeredAt: number | undefined;
  /** When the channel opened (clock.now()); undefined while negotiating. */
  openedAt: number | undefined;
  open: boolean;
  connectionState: string;
}

export function defaultSignalingEndpoint(): SignalingEndpoint {
  const { protocol, hostname, port } = globalThis.location;
  const secure = protocol === 'https:';
  return { host: hostname, port: port ? Number(port) : secure ? 443 : 80, secure, path: SIGNALING_PATH };
}

/** Reads the server's client config; undefined when it is absent, slow or invalid. */
export async function fetchClientConfig(origin = globalThis.location.origin): Promise<ClientConfig | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CONFIG_FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(new URL(CLIENT_CONFIG_PATH, origin), { signal: controller.signal, cache: 'no-store' });
    if (!response.ok) return undefined;
    return parseClientConfig(await response.json());
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** The ICE servers the school configured; [] (LAN only) when the config cannot be read. */
export async function fetchClientIceServers(origin = globalThis.location.origin): Promise<readonly IceServerConfig[]> {
  return (await fetchClientConfig(origin))?.iceServers ?? [];
}

/** Capped exponential backoff with ±25 % jitter so a whole class does not reconnect in lockstep. */
export function backoffDelay(attempt: number, randomFraction: number): number {
  const base = Math.min(SIGNALING_RETRY_MAX_MS, SIGNALING_RETRY_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.75 + 0.5 * randomFraction));
}

/** States after which the transport does not reconnect by itself. */
function isFinal(state: SignalingState): boolean {
  return state.kind === 'rejected' || state.kind === 'outdated';
}

function randomFraction(): number {
  return cryptoRandomIndex(1_000_000) / 1_000_000;
}

/**
 * One DTLS certificate for every connection this page makes, made once. Without it the browser
 * makes a fresh key pair and certificate for each RTCPeerConnection: one per peer, ~40 per tab
 * in a full room, each on the critical path of its handshake. The promise is shared by every
 * transport of the page. Undefined where WebRTC cannot make one (node-datachannel, the robots,
 * has no generateCertificate): each connection then makes its own, as before.
 */
let certificateOnce: Promise<RTCCertificate | undefined> | undefined;
function tabCertificate(): Promise<RTCCertificate | undefined> {
  certificateOnce ??= (async () => {
    try {
      const generate = globalThis.RTCPeerConnection?.generateCertificate;
      if (typeof generate !== 'function') return undefined;
      return await generate.call(globalThis.RTCPeerConnection, { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
    } catch {
      return undefined;
    }
  })();
  return certificateOnce;
}

/**
 * PeerJS (a third of a student's JavaScript) is loaded when the first transport starts, not with
 * the page: the page paints first and the library arrives while /config.json is fetched, and the
 * pages without WebRTC (landing, solo) never load it (scripts/check-budgets.ts).
 */
let peerClass: Promise<typeof Peer> | undefined;
function loadPeerClass(): Promise<typeof Peer> {
  // In browsers and Vite the module has the class as `Peer`; in plain Node ESM (the robots) the
  // package is its CommonJS build, reached through `default` (module.exports).
  peerClass ??= import('peerjs').then((module) => {
    const commonJs = (module as unknown as { readonly default?: { readonly Peer?: typeof Peer } }).default;
    const found = module.Peer ?? commonJs?.Peer;
    if (found === undefined) throw new Error('peerjs has no Peer class');
    return found;
  });
  // A failed load (network blip) is not cached: the next transport tries again.
  peerClass.catch(() => (peerClass = undefined));
  return peerClass;
}

function rosterUrl(
  endpoint: SignalingEndpoint,
  id: string,
  identity: TabIdentity,
  name: string,
  role: PeerRole,
  hostKey: string | undefined,
): string {
  const scheme = endpoint.secure ? 'wss' : 'ws';
  const query = new URLSearchParams({ id, token: identity.token, name, role, [PROTOCOL_PARAM]: String(PROTOCOL_VERSION) });
  if (hostKey !== undefined) query.set('hostKey', hostKey);
  const basePath = (endpoint.path ?? SIGNALING_PATH).replace(/\/$/, '');
  const rosterPath = basePath + ROSTER_PATH.slice(SIGNALING_PATH.length);
  return `${scheme}://${endpoint.host}:${endpoint.port}${rosterPath}?${query.toString()}`;
}

/**
 * Joins `room` and keeps a full mesh with everyone in it until close(). Returns at once; peers
 * appear through onPeers as the mesh forms.
 */
export function createPeerTransport<M>(options: PeerTransportOptions<M>): PeerTransport<M> {
  const parsedName = parseDisplayName(options.name);
  if (parsedName === undefined) throw new RangeError('createPeerTransport: the display name is empty or too long');
  const name: string = parsedName;
  const identity = options.identity ?? claimRoomIdentity(options.room, name);
  const hostKey = options.role === 'host' ? (options.hostKey ?? claimHostKey(options.room)) : undefined;
  const clock = options.clock ?? systemClock;
  const endpoint = options.signaling ?? defaultSignalingEndpoint();
  const room = options.room;
  const self: PeerId = identity.node;
  const myPeerJsId = peerJsId(room, identity.node);

  const links = new Map<PeerId, Link>();
  /** Frames waiting for a channel to a listed peer, oldest first, at most MAX_QUEUED_PER_PEER. */
  const pending = new Map<PeerId, string[]>();
  /** The roster as last pushed: who we should have a channel to. */
  const roster = new Set<PeerId>();
  /**
   * Members the server has listed since our latest roster snapshot. After a server restart, a
   * peer that left during the outage is never reported as leaving: it stays in `roster` only
   * until liveness calls it down without the new server ever confirming it.
   */
  let confirmed = new Set<PeerId>();
  /** When the server last pushed each peer's leave: a link not heard since then is stale. */
  const leftAt = new Map<PeerId, number>();
  /** Dial backoff per peer. */
  const dialRetry = new Map<PeerId, { attempt: number; notBefore: number }>();
  /** Peers we should dial and have not yet: they wait for a free place (pacing.ts). */
  const wanted = new Set<PeerId>();
  /** How many dials may negotiate at once now: MAX_PENDING_DIALS, less while dials stall (pacing.ts nextDialWindow). */
  let dialWindow = MAX_PENDING_DIALS;
  const signalingHandlers = new Set<(state: SignalingState) => void>();
  const mesh = { dials: 0, opened: 0, dialTimeouts: 0, dialsFailed: 0, dialsStalled: { noAnswer: 0, notConnecting: 0 }, dropped: { down: 0, failedAndSilent: 0, silent: 0 }, closed: 0 };

  let state: SignalingState = { kind: 'connecting' };
  let closed = false;
  let peer: Peer | undefined;
  let iceServers: readonly IceServerConfig[] = options.iceServers ?? [];
  /** This tab's DTLS certificate for all its connections (tabCertificate); undefined where none can be made. */
  let certificate: RTCCertificate | undefined;
  let signalingAttempt = 0;
  let retryTimer: unknown;
  let connectWatchdog: unknown;
  let rosterSocket: WebSocket | undefined;
  let rosterAttempt = 0;
  let rosterTimer: unknown;

  const core = new TransportCore<M>(
    { self, name, role: options.role, parse: options.parse, clock, ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}), ...(options.relayMinRoom !== undefined ? { relayMinRoom: options.relayMinRoom } : {}) },
    {
      deliver: (to, frame) => deliver(to, frame),
      openLinks: () => [...links].filter(([, link]) => link.open).map(([id]) => id),
      released: (from) => dropLink(from),
    },
  );

  /**
   * The server speaks another protocol version (it was updated while this page stayed open):
   * stop talking to anyone and say so; nothing this bundle sends could be trusted to mean the
   * same to them. Only the server's word counts here, never a peer's hello (core.ts).
   */
  function becomeOutdated(): void {
    shutDown({ kind: 'outdated' });
  }

  function setState(next: SignalingState): void {
    state = next;
    for (const handler of [...signalingHandlers]) {
      try {
        handler(next);
      } catch (error) {
        console.error('signaling handler threw', error);
      }
    }
  }

  // ---- frames -----------------------------------------------------------------------------

  function deliver(to: PeerId, frame: string): boolean {
    const link = links.get(to);
    if (link?.open && !link.conn.open) {
      // Closed under us (PeerJS tore the channel down): forget it; the frame waits for a new one.
      links.delete(to);
      core.linkState(to, 'closed');
    } else if (link?.open) {
      // A peer that does not read (or a link that stalls) must not grow our memory without
      // bound: refuse beyond MAX_QUEUED_PER_PEER messages' worth in the channel's send buffer,
      // or that many frames in PeerJS's own overflow queue.
      const overflow = (link.conn as DataConnection & { bufferSize?: number }).bufferSize ?? 0;
      const bufferedBytes = link.conn.dataChannel?.bufferedAmount ?? 0;
      if (overflow >= MAX_QUEUED_PER_PEER || bufferedBytes >= MAX_QUEUED_PER_PEER * MAX_MESSAGE_BYTES) return false;
      try {
        void link.conn.send(frame);
        return true;
      } catch {
        return false;
      }
    }
    if (!roster.has(to) && !links.has(to)) return false;
    let queue = pending.get(to);
    if (queue === undefined) {
      queue = [];
      pending.set(to, queue);
    }
    queue.push(frame);
    // Oldest first out: every algorithm retransmits what it still needs.
    if (queue.length > MAX_QUEUED_PER_PEER) queue.splice(0, queue.length - MAX_QUEUED_PER_PEER);
    return true;
  }

  function flush(to: PeerId): void {
    const queue = pending.get(to);
    pending.delete(to);
    for (const frame of queue ?? []) deliver(to, frame);
  }

  // ---- data connections -------------------------------------------------------------------

  function dropLink(node: PeerId, onlyIf?: DataConnection): void {
    const link = links.get(node);
    if (link === undefined || (onlyIf !== undefined && link.conn !== onlyIf)) return;
    links.delete(node);
    try {
      link.conn.close();
    } catch {
      // already torn down
    }
  }

  function adopt(node: PeerId, conn: DataConnection, dialled: boolean, attempt = 0): void {
    const previous = links.get(node);
    if (previous !== undefined && previous.conn !== conn) dropLink(node);
    const link: Link = { conn, dialled, createdAt: clock.now(), attempt, timeoutMs: dialTimeoutMs(attempt), answeredAt: undefined, openedAt: undefined, open: false, connectionState: 'new' };
    links.set(node, link);
    core.linkState(node, 'new');

    const isCurrent = (): boolean => links.get(node)?.conn === conn;
    if (dialDebugEnabled()) debugDial(dialled ? 'dial' : 'open', node, link, dialled ? 'dialled' : 'incoming');
    const onOpen = (): void => {
      if (dialDebugEnabled()) {
        const answered = link.answeredAt === undefined ? 'unseen' : `${link.answeredAt - link.createdAt}`;
        debugDial('open', node, link, `${isCurrent() ? 'current' : 'not current'}, ${dialled ? 'dialled' : 'incoming'}, attempt ${link.attempt}, answered at ${answered}`);
      }
      if (!isCurrent() || closed) return;
      link.open = true;
      link.openedAt = clock.now();
      mesh.opened++;
      if (dialled) dialWindow = nextDialWindow(dialWindow, 'opened');
      dialRetry.delete(node);
      const pc = conn.peerConnection;
      link.connectionState = pc?.connectionState ?? 'connected';
      pc?.addEventListener('connectionstatechange', () => {
        link.connectionState = pc.connectionState;
        if (isCurrent()) core.linkState(node, pc.connectionState as LinkState);
      });
      core.linkState(node, 'connected');
      core.linkOpened(node); // hello goes before anything queued
      flush(node);
      if (dialled) pumpDials(); // a place is free: the next dial starts now, not at the next maintenance
    };
    conn.on('open', onOpen);
    if (conn.open && conn.dataChannel?.readyState === 'open') onOpen();
    if (dialled) watchNegotiation(node, link);
    // The sender is the connection's peer: whatever the frame claims, it is from `node`.
    conn.on('data', (data) => core.receive(node, data));
    conn.on('close', () => {
      if (dialDebugEnabled()) debugDial('close', node, link, `${isCurrent() ? 'current' : 'not current'}, ${link.open ? 'was open' : 'never opened'}`);
      if (!isCurrent()) return;
      if (link.open) mesh.closed++;
      links.delete(node);
      core.linkState(node, 'closed');
      if (dialled && !link.open) pumpDials();
    });
    conn.on('error', (error) => {
      if (dialDebugEnabled()) debugDial('error', node, link, `${error.type}: ${error.message}`);
      if (options.debug) console.warn(`data connection to ${node}:`, error.type, error.message);
      if (!link.open) {
        dropLink(node, conn);
        if (dialled) pumpDials();
      }
    });
  }

  /**
   * A dial whose connection ends (or is answered) is looked at now, not at the next maintenance:
   * a failed handshake is re-dialled at once instead of after a timeout (negotiationVerdict).
   */
  function watchNegotiation(node: PeerId, link: Link): void {
    const pc = link.conn.peerConnection as RTCPeerConnection | null | undefined;
    if (!pc) return;
    const look = (): void => {
      if (closed || link.open || links.get(node)?.conn !== link.conn) return;
      if (negotiationOf(link, clock.now()).ended) ensureLink(node);
    };
    pc.addEventListener('connectionstatechange', look);
    pc.addEventListener('iceconnectionstatechange', look);
    pc.addEventListener('signalingstatechange', () => void negotiationOf(link, clock.now()));
  }

  /** The dial's state as negotiationVerdict reads it; notes the answer's arrival on the way. */
  function negotiationOf(link: Link, now: number): NegotiationState {
    const pc = link.conn.peerConnection as RTCPeerConnection | null | undefined;
    const ended = !pc || ENDED_STATES.has(pc.connectionState) || ENDED_STATES.has(pc.iceConnectionState);
    if (link.answeredAt === undefined && pc && !ended && pc.signalingState === 'stable' && hasRemoteDescription(pc)) link.answeredAt = now;
    return { ageMs: now - link.createdAt, sinceAnswerMs: link.answeredAt === undefined ? undefined : now - link.answeredAt, attempt: link.attempt, ended };
  }

  function debugDial(kind: 'dial' | 'open' | 'timeout' | 'error' | 'close', node: PeerId, link: Link, detail: string): void {
    dialDebug({ kind, self, peer: node, connectionId: link.conn.connectionId, ageMs: clock.now() - link.createdAt, detail });
  }

  function connectionStates(conn: DataConnection): string {
    const pc = conn.peerConnection as RTCPeerConnection | null;
    const states = pc ? `signaling ${pc.signalingState}, ice ${pc.iceConnectionState}, connection ${pc.connectionState}` : 'no peer connection';
    return `${states}, channel ${conn.dataChannel?.readyState ?? 'none'}, conn.open ${String(conn.open)}`;
  }

  function dial(node: PeerId): void {
    const current = peer;
    if (current === undefined || current.disconnected || current.destroyed || closed) return;
    const conn = current.connect(peerJsId(room, node as typeof identity.node), { reliable: true, serialization: 'raw' });
    if (!conn) return;
    const retry = dialRetry.get(node);
    const attempt = (retry?.attempt ?? -1) + 1;
    // A pending link blocks re-dialling for DIAL_TIMEOUT_MS anyway; after a failure, back off.
    dialRetry.set(node, { attempt, notBefore: clock.now() + backoffDelay(attempt, randomFraction()) });
    mesh.dials++;
    adopt(node, conn, true, attempt);
  }

  function acceptIncoming(conn: DataConnection): void {
    const parsed = parsePeerJsId(conn.peer);
    // Only our room, only the settings we speak: anything else is closed before it opens.
    if (closed || parsed === undefined || parsed.room !== room || parsed.node === self || conn.serialization !== 'raw' || !conn.reliable) {
      conn.close();
      return;
    }
    adopt(parsed.node, conn, false);
  }

  /** How long nothing came over this open channel: since the peer's last frame or the opening, whichever is later. */
  function quietFor(node: PeerId, link: Link, now: number): number {
    const silent = core.silentFor(node);
    const sinceOpen = now - (link.openedAt ?? link.createdAt);
    return silent === undefined ? sinceOpen : Math.min(silent, sinceOpen);
  }

  /** Decides, for one listed peer, whether to (re)dial now. */
  function ensureLink(node: PeerId): void {
    if (closed || node === self || !roster.has(node) || !isDialler(self, node)) return;
    const link = links.get(node);
    const now = clock.now();
    if (link !== undefined) {
      if (!link.open) {
        const verdict = negotiationVerdict(negotiationOf(link, now));
        if (verdict === 'negotiating') return;
        if (verdict === 'failed') mesh.dialsFailed++;
        else if (verdict === 'timeout') mesh.dialTimeouts++;
        else mesh.dialsStalled[verdict === 'no-answer' ? 'noAnswer' : 'notConnecting']++;
        dialWindow = nextDialWindow(dialWindow, verdict === 'failed' ? 'failed' : 'stalled');
        if (dialDebugEnabled()) debugDial('timeout', node, link, `${verdict}: ${connectionStates(link.conn)}`);
      } else {
        const quiet = quietFor(node, link, now);
        const failed = link.connectionState === 'failed' || link.connectionState === 'closed';
        // An open channel is kept unless nothing came over it for DOWN_AFTER_MS (the peer said
        // goodbye, or it is dead while the server still lists it: it lives, dial afresh), or
        // sooner when ICE itself says it failed. Silence counts from when the channel opened,
        // not from when the peer was listed: measured at 40 nodes on a loaded machine, links
        // that opened more than DOWN_AFTER_MS after the listing were dropped as 'down' before
        // the peer's first frame arrived (~1,000 of them in two minutes, each a new handshake
        // adding to the load that made the first one slow). The peer's status (suspected, down)
        // still follows liveness.ts's bounds; only the redial waits for the channel's own silence.
        if (!(failed && quiet >= SUSPECT_AFTER_MS) && quiet < DOWN_AFTER_MS) return;
        if (core.statusOf(node) === 'down') mesh.dropped.down++;
        else if (failed && quiet >= SUSPECT_AFTER_MS) mesh.dropped.failedAndSilent++;
        else mesh.dropped.silent++;
      }
      dropLink(node);
    }
    const retry = dialRetry.get(node);
    if (retry !== undefined && now < retry.notBefore && link === undefined) return;
    wanted.add(node);
    pumpDials();
  }

  /** Dials still negotiating (and not yet given up on): each holds one of the dialWindow places. */
  function pendingDials(): number {
    const now = clock.now();
    let pending = 0;
    for (const link of links.values()) if (link.dialled && !link.open && now - link.createdAt < link.timeoutMs) pending++;
    return pending;
  }

  /** Starts as many wanted dials as there are free places, the teacher's screen first. */
  function pumpDials(): void {
    if (closed || wanted.size === 0) return;
    for (const node of [...wanted]) if (!roster.has(node) || links.has(node)) wanted.delete(node);
    const candidates = [...wanted].map((peer) => ({ peer, role: core.roleOf(peer) ?? 'student' }));
    for (const node of dialsToStart(candidates, pendingDials(), dialWindow, self)) {
      wanted.delete(node);
      dial(node);
    }
  }

  function maintain(): void {
    if (closed) return;
    for (const node of [...roster]) {
      if (!confirmed.has(node) && core.statusOf(node) === 'down') roster.delete(node);
    }
    for (const node of roster) ensureLink(node);
    pumpDials();
    // Channels to peers that are gone for good (down and no longer listed) are released.
    for (const [node, link] of links) {
      if (!roster.has(node) && core.statusOf(node) === 'down' && clock.now() - link.createdAt > DOWN_AFTER_MS) dropLink(node);
    }
    forgetUnlisted();
  }

  /**
   * Bookkeeping about peers that are neither listed nor linked goes with them, so a long lesson
   * of reloads and new tabs cannot grow these maps: each is bounded by the roster and the links.
   */
  function forgetUnlisted(): void {
    for (const node of dialRetry.keys()) if (!roster.has(node)) dialRetry.delete(node);
    for (const node of wanted) if (!roster.has(node)) wanted.delete(node);
    for (const node of pending.keys()) if (!roster.has(node) && !links.has(node)) pending.delete(node);
    // leftAt only matters for a rejoin that finds a channel to the old incarnation.
    for (const node of leftAt.keys()) if (!links.has(node)) leftAt.delete(node);
  }

  // ---- roster socket ----------------------------------------------------------------------

  function onRosterMember(member: RosterMember): void {
    if (member.node === self) return;
    const wasListed = roster.has(member.node);
    roster.add(member.node);
    confirmed.add(member.node);
    // listed() revives a peer we had marked down (a rejoin after a reload) as suspected; a peer
    // we still hear from is unaffected and keeps its channel (ensureLink decides).
    core.listed(member.node, { name: member.name, role: member.role });
    if (!wasListed) {
      // A (re)join: whatever failed before, dial now rather than after the old backoff. A tab
      // that crashed and came straight back left us a channel to its dead incarnation: if we
      // have heard nothing on it since the server said it left, it is that dead one.
      dialRetry.delete(member.node);
      const left = leftAt.get(member.node);
      leftAt.delete(member.node);
      const silent = core.silentFor(member.node);
      if (left !== undefined && links.has(member.node) && (silent === undefined || clock.now() - silent <= left)) {
        dropLink(member.node);
      }
    }
    ensureLink(member.node);
  }

  function openRoster(): void {
    if (closed || rosterSocket !== undefined || peer?.open !== true) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(rosterUrl(endpoint, myPeerJsId, identity, name, options.role, hostKey));
    } catch {
      scheduleRoster();
      return;
    }
    rosterSocket = socket;
    socket.onopen = () => {
      rosterAttempt = 0;
    };
    socket.onmessage = (event) => {
      const message = parseRosterMessage(event.data);
      if (message === undefined || closed) return;
      switch (message.type) {
        case 'roster': {
          // A snapshot adds; it never removes: after a server restart peers trickle back in,
          // and their channels are still up. Departures come as 'leave' pushes (or, for those
          // who left while the server was down, from liveness: see `confirmed`).
          confirmed = new Set();
          for (const member of message.members) onRosterMember(member);
          return;
        }
        case 'join':
          onRosterMember(message.member);
          return;
        case 'leave':
          leftAt.set(message.node, clock.now());
          roster.delete(message.node);
          confirmed.delete(message.node);
          pending.delete(message.node);
          core.serverLeft(message.node);
          return;
      }
    };
    socket.onclose = (event) => {
      if (rosterSocket === socket) rosterSocket = undefined;
      if (event.code === ROSTER_CLOSE.outdated) {
        becomeOutdated();
        return;
      }
      if (event.code === ROSTER_CLOSE.notTheTeacher) {
        setState({ kind: 'rejected', reason: event.reason || 'another screen is this room’s teacher' });
        return;
      }
      if (closed || event.code === ROSTER_CLOSE.invalid || event.code === ROSTER_CLOSE.replaced) return;
      scheduleRoster();
    };
  }

  function scheduleRoster(): void {
    if (closed || rosterTimer !== undefined) return;
    const delay = backoffDelay(rosterAttempt++, randomFraction());
    rosterTimer = clock.setTimeout(() => {
      rosterTimer = undefined;
      openRoster();
    }, delay);
  }

  // ---- signaling socket (PeerJS) ----------------------------------------------------------

  function newPeer(Loaded: typeof Peer): Peer {
    const created = new Loaded(myPeerJsId, {
      host: endpoint.host,
      port: endpoint.port,
      path: endpoint.path ?? SIGNALING_PATH,
      key: PEERJS_KEY,
      secure: endpoint.secure,
      token: identity.token,
      // PeerJS hands `config` to every RTCPeerConnection it makes (negotiator.ts), so the one
      // certificate below serves all of this tab's connections.
      config: {
        iceServers: iceServers.map((s) => ({ ...s, urls: typeof s.urls === 'string' ? s.urls : [...s.urls] })),
        ...(certificate !== undefined ? { certificates: [certificate] } : {}),
      },
      debug: options.debug ?? 0,
    });
    created.on('open', () => {
      if (closed || peer !== created) return;
      clock.clearTimeout(connectWatchdog);
      signalingAttempt = 0;
      setState({ kind: 'open' });
      openRoster();
      for (const node of roster) ensureLink(node);
    });
    created.on('connection', (conn) => {
      if (peer === created) acceptIncoming(conn);
      else conn.close();
    });
    created.on('disconnected', () => {
      if (!closed && peer === created) scheduleSignaling('lost the connection to the signaling server');
    });
    created.on('close', () => {
      if (!closed && peer === created && !isFinal(state)) scheduleSignaling('signaling connection closed');
    });
    created.on('error', (error: PeerError<string>) => onPeerError(created, error));
    return created;
  }

  function onPeerError(source: Peer, error: PeerError<string>): void {
    if (closed || source !== peer) return;
    switch (error.type) {
      case 'server-error':
      case 'invalid-id':
      case 'invalid-key':
      case 'browser-incompatible':
      case 'ssl-unavailable':
        // Our server's gate (room full, too many rooms) or a setup problem: retrying won't help.
        clock.clearTimeout(retryTimer);
        clock.clearTimeout(connectWatchdog);
        setState({ kind: 'rejected', reason: error.message });
        source.destroy();
        return;
      case 'peer-unavailable': {
        // An offer expired: that peer is not registered (yet). Its dial backoff already applies.
        const node = /"?([A-Z0-9]+-[a-z0-9]+)"?$/.exec(error.message)?.[1];
        const parsed = parsePeerJsId(node);
        if (parsed) dropLink(parsed.node);
        pumpDials();
        return;
      }
      case 'unavailable-id':
        // Another socket holds our id with a different token. PeerJS disconnects/destroys; the
        // 'disconnected'/'close' handler retries with backoff until the holder's lease lapses.
        return;
      default:
        // 'network', 'socket-error', 'socket-closed', 'disconnected', 'webrtc': the
        // disconnected/close handlers do the recovery; a single failed dial is retried by maintain().
        if (options.debug) console.warn('peerjs:', error.type, error.message);
    }
  }

  function scheduleSignaling(reason: string): void {
    if (closed || isFinal(state)) return;
    clock.clearTimeout(retryTimer);
    clock.clearTimeout(connectWatchdog);
    const attempt = signalingAttempt++;
    const retryInMs = backoffDelay(attempt, randomFraction());
    setState({ kind: 'reconnecting', attempt: attempt + 1, retryInMs, reason });
    retryTimer = clock.setTimeout(connectSignaling, retryInMs);
  }

  function connectSignaling(): void {
    if (closed || PeerClass === undefined) return;
    const current = peer;
    if (current === undefined || current.destroyed) {
      peer = newPeer(PeerClass);
    } else if (current.disconnected) {
      try {
        current.reconnect();
      } catch {
        peer = newPeer(PeerClass);
      }
    } else if (current.open) {
      return;
    }
    clock.clearTimeout(connectWatchdog);
    connectWatchdog = clock.setTimeout(() => {
      const stuck = peer;
      if (closed || stuck === undefined || stuck.open) return;
      // Neither open nor failed: drop this attempt so the 'disconnected' handler retries.
      if (!stuck.disconnected) stuck.disconnect();
      else scheduleSignaling('the signaling server does not answer');
    }, SIGNALING_CONNECT_TIMEOUT_MS);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  const stopMaintain = every(clock, LINK_MAINTENANCE_MS, maintain);
  const onPageHide = (): void => core.sayGoodbye();
  globalThis.addEventListener?.('pagehide', onPageHide);

  /** Set once PeerJS has loaded; signaling starts only then. */
  let PeerClass: typeof Peer | undefined;
  void (async () => {
    const loading = loadPeerClass();
    const certifying = tabCertificate();
    if (options.iceServers === undefined) iceServers = await fetchClientIceServers();
    certificate = await certifying;
    try {
      PeerClass = await loading;
    } catch {
      if (!closed) setState({ kind: 'rejected', reason: 'the WebRTC code could not be loaded; reload the page' });
      return;
    }
    if (!closed) connectSignaling();
  })();

  function close(): void {
    shutDown({ kind: 'closed' });
  }

  /**
   * Release everything and end in `final` (closed, or outdated). With `goodbye`, every peer is
   * told first; without (a robot crashing), the links just drop, as when a tab is killed.
   */
  function shutDown(final: SignalingState, goodbye = true): void {
    if (closed) return;
    if (goodbye) core.sayGoodbye();
    closed = true;
    core.stop();
    stopMaintain();
    globalThis.removeEventListener?.('pagehide', onPageHide);
    clock.clearTimeout(retryTimer);
    clock.clearTimeout(connectWatchdog);
    clock.clearTimeout(rosterTimer);
    rosterSocket?.close(1000, 'closed');
    rosterSocket = undefined;
    const last = peer;
    // Give the goodbyes a moment on the wire; destroying the RTCPeerConnections drops buffers.
    if (goodbye) clock.setTimeout(() => last?.destroy(), GOODBYE_FLUSH_MS);
    else last?.destroy();
    pending.clear();
    wanted.clear();
    setState(final);
    signalingHandlers.clear();
  }

  return {
    self,
    room,
    peerJsId: myPeerJsId,
    ...core.transportMethods(),
    stats: () => ({ ...core.stats(), mesh: { ...mesh, dialsStalled: { ...mesh.dialsStalled }, dropped: { ...mesh.dropped } } }),
    signaling: (): SignalingState => state,
    onSignaling: (handler: (state: SignalingState) => void): Unsubscribe => {
      signalingHandlers.add(handler);
      return () => signalingHandlers.delete(handler);
    },
    links: (): readonly LinkInfo[] =>
      [...links].map(([id, link]) => ({ peer: id, open: link.open, dialled: link.dialled, connectionState: link.connectionState })),
    sendRawFrame: (to: PeerId, frame: string | ArrayBuffer): boolean => {
      const link = links.get(to);
      if (!link?.open) return false;
      try {
        void link.conn.send(frame);
        return true;
      } catch {
        return false; // the channel closed under us
      }
    },
    close,
    abort: () => shutDown({ kind: 'closed' }, false),
  };
}
