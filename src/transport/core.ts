/**
 * What both transports share above their links: the peer table with each peer's liveness, the
 * inbound boundary (rate limit → size → JSON → envelope → application parser), hello/heartbeat/
 * goodbye, the handler registries and the counters. The in-memory and PeerJS transports differ
 * only in how a frame reaches the peer (`LinkLayer`) and in what tells them a peer exists.
 *
 * Frames are strings on both transports, so the in-memory one exercises exactly the same
 * serialisation and validation as the real one and the contract suite means something.
 */
import { HEARTBEAT_INTERVAL_MS, LIVENESS_CHECK_MS, MAX_INBOUND_PER_PEER_PER_SECOND, MAX_KNOWN_PEERS, PROBE_AFTER_MS, RELAY_INTERVAL_MS, RELAY_LINK_BEAT_MS } from '../limits.ts';
import { isDialler } from './pacing.ts';
import { digestOf, relayHubs, relaysLiveness } from './relay.ts';
import { onTheBeat, type TransportClock } from './clock.ts';
import {
  applyLiveness,
  DEFAULT_LIVENESS_TIMING,
  livenessStatus,
  newLivenessRecord,
  type LinkState,
  type LivenessEvent,
  type LivenessRecord,
  type LivenessTiming,
} from './liveness.ts';
import type {
  MessageParser,
  PeerId,
  PeerInfo,
  PeerRole,
  PeerStatus,
  RejectReason,
  Transport,
  TransportStats,
  Unsubscribe,
} from './types.ts';
import { PROTOCOL_VERSION } from './signaling-protocol.ts';
import { decodeFrame, encodeEnvelope, type WireEnvelope } from './wire.ts';

/** How a transport moves frames; implemented by memory.ts and peerjs.ts. */
export interface LinkLayer {
  /** Hands one frame to the link to `to`; false when no link can take it now (nothing sent). */
  deliver(to: PeerId, frame: string): boolean;
  /** Peers whose channel is open now: they get heartbeats. */
  openLinks(): Iterable<PeerId>;
  /** The peer said goodbye: the link may release its connection. */
  released?(peer: PeerId): void;
}

export interface TransportCoreOptions<M> {
  readonly self: PeerId;
  /** Our display name and role, announced in every hello. Already validated by the caller. */
  readonly name: string;
  readonly role: PeerRole;
  readonly parse: MessageParser<M>;
  readonly clock: TransportClock;
  readonly timing?: LivenessTiming;
  /** A link we sent nothing on for this long gets a heartbeat (default HEARTBEAT_INTERVAL_MS). */
  readonly heartbeatIntervalMs?: number;
  /** How often beats are due-checked and statuses re-read (default LIVENESS_CHECK_MS). */
  readonly checkIntervalMs?: number;
  /** In a relaying room (relay.ts): a node beats its hubs, and a hub sends its digest, this often (default RELAY_INTERVAL_MS). */
  readonly relayIntervalMs?: number;
  /** Rooms of at least this many nodes relay liveness (default RELAY_MIN_ROOM; benchmarks compare). */
  readonly relayMinRoom?: number;
}

interface PeerEntry {
  name: string;
  role: PeerRole;
  record: LivenessRecord;
  status: PeerStatus;
  /** Inbound rate limit: frames counted in the one-second window starting at windowStart. */
  windowStart: number;
  windowCount: number;
  /**
   * Its last hello announced another PROTOCOL_VERSION than ours (an old page kept open across an
   * update): until it says hello with ours (a reload), its other frames are dropped, uncounted,
   * since it is out of date rather than hostile. A peer's version never stops this tab: a liar
   * could claim any; only the server tells a tab it is outdated (peerjs.ts).
   */
  incompatible?: boolean;
  /** When we last handed the link any frame (hello, app, heartbeat): a beat is due after a quiet period. */
  lastSentAt: number | undefined;
  /** A hub: when we last sent this peer our digest. */
  lastDigestAt: number | undefined;
  /** A relaying room: when we last probed this peer (limits.ts PROBE_AFTER_MS). */
  lastProbedAt: number | undefined;
}

function reportHandlerError(error: unknown): void {
  // A subscriber's bug must not stop delivery to the others or break the transport.
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (report) report(error);
  else console.error('transport handler threw', error);
}

function emitTo<A extends unknown[]>(handlers: ReadonlySet<(...args: A) => void>, ...args: A): void {
  for (const handler of [...handlers]) {
    try {
      handler(...args);
    } catch (error) {
      reportHandlerError(error);
    }
  }
}

const RATE_WINDOW_MS = 1_000;

export class TransportCore<M> {
  readonly self: PeerId;
  private readonly entries = new Map<PeerId, PeerEntry>();
  private readonly messageHandlers = new Set<(from: PeerId, message: M) => void>();
  private readonly peersHandlers = new Set<(peers: readonly PeerInfo[]) => void>();
  private readonly rejectHandlers = new Set<(from: PeerId, reason: RejectReason) => void>();
  private readonly rejected: Record<RejectReason, number> = {
    malformed: 0,
    oversized: 0,
    'unknown-type': 0,
    'rate-limited': 0,
  };
  private sentCount = 0;
  private heartbeatCount = 0;
  private lastConnectedAt: number | undefined;
  private receivedCount = 0;
  private peerList: readonly PeerInfo[] = [];
  private listDirty = true;
  private readonly timing: LivenessTiming;
  private readonly heartbeatIntervalMs: number;
  private readonly relayIntervalMs: number;
  /** The hubs as of the last liveness tick, or undefined while the room is small enough for direct beats. */
  private hubs: readonly PeerId[] | undefined;
  private readonly stopBeat: () => void;
  private stopped = false;

  constructor(
    private readonly options: TransportCoreOptions<M>,
    private readonly link: LinkLayer,
  ) {
    this.self = options.self;
    this.timing = options.timing ?? DEFAULT_LIVENESS_TIMING;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.relayIntervalMs = options.relayIntervalMs ?? RELAY_INTERVAL_MS;
    this.stopBeat = onTheBeat(options.clock, options.checkIntervalMs ?? LIVENESS_CHECK_MS, () => this.beat());
  }

  // ---- observations from the link layer -------------------------------------------------

  /** The room's registry (signaling roster, in-memory hub) lists `peer`, maybe with its name. */
  listed(peer: PeerId, info?: { readonly name: string; readonly role: PeerRole }): void {
    const entry = this.entryFor(peer);
    if (entry === undefined) return;
    if (info !== undefined) {
      // The role is the registry's word (the signaling server checks the teacher's key); a
      // peer's own hello can rename it but never promote it. The name: hello wins once heard.
      this.rename(entry, entry.record.lastHeardAt === undefined ? info.name : entry.name, info.role);
    }
    this.observe(entry, { type: 'listed', now: this.options.clock.now() });
  }

  /** The registry saw the peer's socket close (tab closed, crashed, navigated away). */
  serverLeft(peer: PeerId): void {
    const entry = this.entries.get(peer);
    if (entry) this.observe(entry, { type: 'server-left', now: this.options.clock.now() });
  }

  linkState(peer: PeerId, state: LinkState): void {
    const entry = this.entries.get(peer);
    if (entry) this.observe(entry, { type: 'link', state, now: this.options.clock.now() });
  }

  /** A channel to `peer` opened: introduce ourselves first thing. */
  linkOpened(peer: PeerId): void {
    this.entryFor(peer);
    this.sendEnvelope(peer, { type: 'hello', name: this.options.name, role: this.options.role, protocol: PROTOCOL_VERSION });
  }

  /** One frame arrived on the channel whose remote end is `from`. Never throws. */
  receive(from: PeerId, frame: unknown): void {
    if (this.stopped || from === this.self) return;
    const entry = this.entryFor(from);
    if (entry === undefined) return;
    const now = this.options.clock.now();
    if (!within(entry.windowStart, now, RATE_WINDOW_MS)) {
      entry.windowStart = now;
      entry.windowCount = 0;
    }
    entry.windowCount += 1;
    if (entry.windowCount > MAX_INBOUND_PER_PEER_PER_SECOND) {
      this.reject(from, 'rate-limited');
      return;
    }
    const decoded = decodeFrame(frame, this.options.parse);
    if (!decoded.ok) {
      this.reject(from, decoded.reason);
      return;
    }
    this.handle(from, entry, decoded.envelope, now);
  }

  private handle(from: PeerId, entry: PeerEntry, envelope: WireEnvelope<M>, now: number): void {
    if (envelope.type === 'hello') entry.incompatible = envelope.protocol !== PROTOCOL_VERSION;
    if (entry.incompatible) return;
    switch (envelope.type) {
      case 'hello':
        // The hello's role is informative only: a tab cannot make itself the teacher.
        this.rename(entry, envelope.name, entry.role);
        this.observe(entry, { type: 'heard', now });
        return;
      case 'heartbeat':
        this.observe(entry, { type: 'heard', now });
        return;
      case 'probe':
        this.observe(entry, { type: 'heard', now });
        // Answered at once, unless this link just carried a frame (which the peer will hear).
        if (within(entry.lastSentAt, now, LIVENESS_CHECK_MS)) return;
        if (this.sendEnvelope(from, { type: 'heartbeat' })) this.heartbeatCount += 1;
        return;
      case 'digest':
        this.observe(entry, { type: 'heard', now });
        for (const [peer, ageMs] of envelope.heard) {
          // Only peers we know (the roster or a link told us of them): a digest never adds one.
          const known = peer === this.self ? undefined : this.entries.get(peer);
          if (known !== undefined) this.observe(known, { type: 'relayed', ageMs, now });
        }
        return;
      case 'goodbye':
        this.observe(entry, { type: 'goodbye', now });
        this.link.released?.(from);
        return;
      case 'app':
        this.observe(entry, { type: 'heard', now });
        this.receivedCount += 1;
        emitTo(this.messageHandlers, from, envelope.payload);
        return;
    }
  }

  // ---- Transport API -----------------------------------------------------------------------

  /** The Transport methods both implementations expose unchanged, bound to this core. */
  transportMethods(): Pick<Transport<M>, 'send' | 'broadcast' | 'onMessage' | 'onPeers' | 'onReject' | 'peers' | 'stats'> {
    return {
      send: (to, message) => this.send(to, message),
      broadcast: (message) => this.broadcast(message),
      onMessage: (handler) => this.onMessage(handler),
      onPeers: (handler) => this.onPeers(handler),
      onReject: (handler) => this.onReject(handler),
      peers: () => this.peers(),
      stats: () => this.stats(),
    };
  }

  send(to: PeerId, message: M): boolean {
    const entry = this.entries.get(to);
    if (this.stopped || entry === undefined || entry.status === 'down') return false;
    const sent = this.sendEnvelope(to, { type: 'app', payload: message });
    if (sent) this.sentCount += 1;
    return sent;
  }

  broadcast(message: M): void {
    if (this.stopped) return;
    const encoded = encodeEnvelope<M>({ type: 'app', payload: message });
    if (!encoded.ok) {
      console.warn(`transport: not broadcasting a ${encoded.reason} message`);
      return;
    }
    const now = this.options.clock.now();
    for (const [peer, entry] of this.entries) {
      if (entry.status !== 'down' && this.link.deliver(peer, encoded.text)) {
        this.sentCount += 1;
        entry.lastSentAt = now;
      }
    }
  }

  onMessage(handler: (from: PeerId, message: M) => void): Unsubscribe {
    this.messageHandlers.add(handler);
    return () => this.messageHandlers.delete(handler);
  }

  onPeers(handler: (peers: readonly PeerInfo[]) => void): Unsubscribe {
    this.peersHandlers.add(handler);
    return () => this.peersHandlers.delete(handler);
  }

  onReject(handler: (from: PeerId, reason: RejectReason) => void): Unsubscribe {
    this.rejectHandlers.add(handler);
    return () => this.rejectHandlers.delete(handler);
  }

  peers(): readonly PeerInfo[] {
    if (this.listDirty) {
      this.peerList = [...this.entries]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, entry]) => ({ id, name: entry.name, role: entry.role, status: entry.status }));
      this.listDirty = false;
    }
    return this.peerList;
  }

  roleOf(peer: PeerId): PeerRole | undefined {
    return this.entries.get(peer)?.role;
  }

  statusOf(peer: PeerId): PeerStatus | undefined {
    return this.entries.get(peer)?.status;
  }

  /** Milliseconds since we last heard `peer` (undefined if never): links use it to spot dead channels. */
  silentFor(peer: PeerId): number | undefined {
    const heard = this.entries.get(peer)?.record.lastHeardAt;
    return heard === undefined ? undefined : this.options.clock.now() - heard;
  }

  stats(): TransportStats {
    return { sent: this.sentCount, received: this.receivedCount, heartbeats: this.heartbeatCount, rejected: { ...this.rejected }, lastConnectedAt: this.lastConnectedAt };
  }

  /** Tells every peer with an open channel that we are leaving (close(), `pagehide`). */
  sayGoodbye(): void {
    for (const peer of this.link.openLinks()) this.sendEnvelope(peer, { type: 'goodbye' });
  }

  /** Stops timers and handlers; the transport's close() calls it after saying goodbye. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopBeat();
    this.messageHandlers.clear();
    this.peersHandlers.clear();
    this.rejectHandlers.clear();
  }

  // ---- internals ---------------------------------------------------------------------------

  private sendEnvelope(to: PeerId, envelope: WireEnvelope<M>): boolean {
    const encoded = encodeEnvelope(envelope);
    if (!encoded.ok) {
      console.warn(`transport: not sending a ${encoded.reason} '${envelope.type}' message to ${to}`);
      return false;
    }
    const delivered = this.link.deliver(to, encoded.text);
    const entry = this.entries.get(to);
    if (delivered && entry !== undefined) entry.lastSentAt = this.options.clock.now();
    return delivered;
  }

  /**
   * The liveness tick: the frames liveness needs (below), then every status re-read.
   * - A small room (relaysLiveness false): a heartbeat on each open link that carried nothing for
   *   the heartbeat interval (any frame proves we live, so busy links need none).
   * - A relaying room: a hub sends every open link its digest each relay interval (the digest is
   *   also its heartbeat); any other node beats to the hubs when it sent them nothing else for
   *   that long, and to everyone else only every RELAY_LINK_BEAT_MS.
   */
  private beat(): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    this.hubs = this.currentHubs();
    const hubs = this.hubs;
    const iAmHub = hubs?.includes(this.self) === true;
    const digest = iAmHub ? this.digest(now) : undefined;
    for (const peer of this.link.openLinks()) {
      const entry = this.entries.get(peer);
      if (digest !== undefined) {
        if (entry === undefined || within(entry.lastDigestAt, now, this.relayIntervalMs)) continue;
        if (this.sendEnvelope(peer, digest)) {
          entry.lastDigestAt = now;
          this.heartbeatCount += 1;
        }
        continue;
      }
      // Relaying: to a hub every relay interval; to anyone else a slow beat if it dials this link,
      // since it re-dials a link silent for DOWN_AFTER_MS (peerjs.ts); and a probe to any peer
      // whose signs stopped reaching us, a hub of ours too (views of the hubs differ while a room
      // forms, and one we count as a hub may not count itself one): limits.ts.
      const slow = hubs !== undefined && !hubs.includes(peer);
      const interval = hubs === undefined ? this.heartbeatIntervalMs : slow ? RELAY_LINK_BEAT_MS : this.relayIntervalMs;
      if (hubs !== undefined && entry !== undefined && this.probeDue(entry, now)) {
        if (this.sendEnvelope(peer, { type: 'probe' })) {
          entry.lastProbedAt = now;
          this.heartbeatCount += 1;
        }
        continue;
      }
      if (within(entry?.lastSentAt, now, interval) || (slow && !isDialler(peer, this.self))) continue;
      if (this.sendEnvelope(peer, { type: 'heartbeat' })) this.heartbeatCount += 1;
    }
    for (const entry of this.entries.values()) this.setStatus(entry, livenessStatus(entry.record, now, this.timing));
    this.forgetLongDown();
    this.publishIfDirty();
  }

  /** The peer's freshest sign, direct or relayed, is older than PROBE_AFTER_MS, and we have not probed it for as long. */
  private probeDue(entry: PeerEntry, now: number): boolean {
    if (entry.record.farewell !== undefined) return false; // it said goodbye (or the server said it left): nothing to ask
    const sign = freshestSign(entry.record) ?? entry.record.knownSince;
    if (now - sign <= PROBE_AFTER_MS) return false;
    return !within(entry.lastProbedAt, now, PROBE_AFTER_MS);
  }

  /** The hubs now (relay.ts), or undefined when the room is small enough for a beat on every link. */
  private currentHubs(): readonly PeerId[] | undefined {
    let alive = 1;
    for (const entry of this.entries.values()) if (entry.status !== 'down') alive += 1;
    if (!relaysLiveness(alive, this.options.relayMinRoom)) return undefined;
    const candidates = [{ id: this.self, role: this.options.role }];
    for (const [id, entry] of this.entries) if (entry.status === 'connected') candidates.push({ id, role: entry.role });
    return relayHubs(candidates);
  }

  private digest(now: number): WireEnvelope<M> {
    const signs = [...this.entries].map(([peer, entry]): [PeerId, number | undefined] => [peer, freshestSign(entry.record)]);
    return { type: 'digest', heard: digestOf(signs, now) };
  }

  private entryFor(peer: PeerId): PeerEntry | undefined {
    if (peer === this.self) return undefined;
    let entry = this.entries.get(peer);
    if (entry === undefined) {
      const now = this.options.clock.now();
      const record = newLivenessRecord(now);
      entry = {
        name: '',
        role: 'student',
        record,
        status: livenessStatus(record, now, this.timing),
        windowStart: now,
        windowCount: 0,
        lastSentAt: undefined,
        lastDigestAt: undefined,
        lastProbedAt: undefined,
      };
      this.entries.set(peer, entry);
      this.listDirty = true;
      this.forgetLongDown();
    }
    return entry;
  }

  private observe(entry: PeerEntry, event: LivenessEvent): void {
    entry.record = applyLiveness(entry.record, event, this.timing);
    this.setStatus(entry, livenessStatus(entry.record, event.now, this.timing));
    this.publishIfDirty();
  }

  private rename(entry: PeerEntry, name: string, role: PeerRole): void {
    if (entry.name === name && entry.role === role) return;
    entry.name = name;
    entry.role = role;
    this.listDirty = true;
  }

  private setStatus(entry: PeerEntry, status: PeerStatus): void {
    if (entry.status === status) return;
    entry.status = status;
    if (status === 'connected') this.lastConnectedAt = this.options.clock.now();
    this.listDirty = true;
  }

  private forgetLongDown(): void {
    if (this.entries.size <= MAX_KNOWN_PEERS) return;
    const down = [...this.entries]
      .filter(([, entry]) => entry.status === 'down')
      .sort(([, a], [, b]) => lastSign(a.record) - lastSign(b.record));
    for (const [peer] of down.slice(0, this.entries.size - MAX_KNOWN_PEERS)) this.entries.delete(peer);
    this.listDirty = true;
  }

  private publishIfDirty(): void {
    if (!this.listDirty || this.stopped) return;
    const list = this.peers();
    emitTo(this.peersHandlers, list);
  }

  private reject(from: PeerId, reason: RejectReason): void {
    this.rejected[reason] += 1;
    emitTo(this.rejectHandlers, from, reason);
  }
}

/** `at` is less than `windowMs` before `now` (a clock that went back puts `at` outside: act again rather than never). */
function within(at: number | undefined, now: number, windowMs: number): boolean {
  return at !== undefined && now >= at && now - at < windowMs;
}

function lastSign(record: LivenessRecord): number {
  return Math.max(record.lastHeardAt ?? record.knownSince, record.knownSince);
}

/** The newest sign of life of a peer we have heard directly since it (re)appeared: what a hub relays. */
function freshestSign(record: LivenessRecord): number | undefined {
  if (record.farewell !== undefined || record.lastHeardAt === undefined || record.lastHeardAt < record.knownSince) return undefined;
  return Math.max(record.lastHeardAt, record.relayedAt ?? record.lastHeardAt);
}
