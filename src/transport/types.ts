/**
 * The small typed interface every layer above uses to talk to other nodes. Two implementations
 * pass one contract suite: `memory.ts` (in-process, for tests) and `peerjs.ts`
 * (WebRTC data channels through our own signaling server).
 *
 * The sender of a message is always the peer at the other end of the connection it arrived on;
 * no payload ever carries a trusted "from" field.
 */

/** A peer's id inside one room (the PeerJS id minus the room prefix). */
export type PeerId = string;

/**
 * connected: heard from recently (heartbeat or message) over an open channel.
 * suspected: silent for longer than the heartbeat allows, or ICE reported 'disconnected' /
 *            'failed' (which is not final: a frozen phone can come back on the same link).
 * down:      said goodbye, the signaling server reported it left, or silent far too long.
 */
export type PeerStatus = 'connected' | 'suspected' | 'down';

export type PeerRole = 'student' | 'host';

export interface PeerInfo {
  readonly id: PeerId;
  /** Display name, already validated and length-limited; render as text only. */
  readonly name: string;
  readonly role: PeerRole;
  readonly status: PeerStatus;
}

export type Unsubscribe = () => void;

/**
 * Why an inbound message was rejected at the boundary (counted, never thrown).
 * 'rate-limited': the peer sent more than MAX_INBOUND_PER_PEER_PER_SECOND this second.
 */
export type RejectReason = 'malformed' | 'oversized' | 'unknown-type' | 'rate-limited';

export interface TransportStats {
  readonly sent: number;
  readonly received: number;
  /** Liveness frames sent: heartbeats (only on links otherwise idle, or answering a probe), probes and, from a hub of a relaying room, digests (relay.ts). */
  readonly heartbeats: number;
  readonly rejected: Readonly<Record<RejectReason, number>>;
  /**
   * When (the transport clock's now()) a peer last became connected: the moment this node's view
   * of the room last grew. A benchmark reads when the mesh formed from it (the latest over all
   * nodes) rather than from when it happened to poll a busy robot process.
   */
  readonly lastConnectedAt: number | undefined;
  /** The WebRTC transport only: how the mesh was made and remade (diagnostics, benchmarks). */
  readonly mesh?: MeshCounters;
}

/**
 * Counts since the transport started. An open channel dropped and re-dialled is a feedback loop
 * under load (silence, drop, a new handshake adding load): `dropped` says why each one went.
 */
export interface MeshCounters {
  /** Dials started (offers made). */
  readonly dials: number;
  /** Channels that opened, dialled or accepted. */
  readonly opened: number;
  /** Dials given up after DIAL_TIMEOUT_MS without opening. */
  readonly dialTimeouts: number;
  /** Dials whose connection ended (failed or closed) before the channel opened, re-dialled at once. */
  readonly dialsFailed: number;
  /** Dials given up sooner than the timeout (pacing.ts negotiationVerdict): no answer, or answered but not connecting. */
  readonly dialsStalled: { readonly noAnswer: number; readonly notConnecting: number };
  /** Open channels we closed to dial afresh, by the reason. */
  readonly dropped: { readonly down: number; readonly failedAndSilent: number; readonly silent: number };
  /** Open channels that closed under us (the peer, PeerJS or ICE). */
  readonly closed: number;
}

/** `M` is the application's message union; the transport validates it with the parser it is given. */
export interface Transport<M> {
  readonly self: PeerId;
  /** Sends to one peer. Returns false (and sends nothing) if that peer is not reachable now. */
  send(to: PeerId, message: M): boolean;
  /** Sends to every peer currently connected or suspected (not to self). */
  broadcast(message: M): void;
  onMessage(handler: (from: PeerId, message: M) => void): Unsubscribe;
  /** Called with the full peer list (self excluded) whenever it or any status changes. */
  onPeers(handler: (peers: readonly PeerInfo[]) => void): Unsubscribe;
  /** Called when an inbound message is dropped at the boundary, with the peer it came from. */
  onReject(handler: (from: PeerId, reason: RejectReason) => void): Unsubscribe;
  peers(): readonly PeerInfo[];
  stats(): TransportStats;
  /** Says goodbye to every peer and releases every connection. */
  close(): void;
}

/** Validates an application payload at the boundary; returns undefined when it is not an `M`. */
export type MessageParser<M> = (raw: unknown) => M | undefined;
