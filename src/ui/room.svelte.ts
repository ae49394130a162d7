/**
 * A tab's membership of one room, as reactive state for the pages: who I am, who else is here
 * and how each of them is doing, and whether the signaling server can hear me.
 *
 * It holds no copy of the transport's state: every getter reads the transport and registers a
 * dependency through `createSubscriber`, so components re-render exactly when the transport
 * reports a change. The application layer (the live classroom) gets `session.app`, a
 * `Transport<M>` that shares this connection and never sees the room's own probes.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { RoomCode } from '../rooms/room-code.ts';
import type { PeerTransport, SignalingState } from '../transport/peerjs.ts';
import type { MessageParser, PeerId, PeerInfo, PeerRole, Transport, TransportStats } from '../transport/types.ts';
import { applicationView, roomPayloadParser, type RoomPayload } from './room/channel.ts';
import { isProbe, Prober } from './room/probe.ts';

/** What the room needs of a transport: the contract plus the signaling state and test access. */
export type RoomLink<P> = Transport<P> & Pick<PeerTransport<P>, 'signaling' | 'onSignaling' | 'links' | 'sendRawFrame'>;

export interface RoomSessionOptions<M extends { readonly type: string }> {
  readonly room: RoomCode;
  readonly name: string;
  readonly role: PeerRole;
  /** The application's boundary parser (the classroom protocol's). */
  readonly parse: MessageParser<M>;
  /** Opens the connection; the PeerJS transport in the app, a fake in tests. */
  readonly connect: (parse: MessageParser<RoomPayload<M>>) => RoomLink<RoomPayload<M>>;
  /**
   * Probe every peer this often to show its round trip (the teacher's page); 0 = only on demand.
   * Students only answer probes, so the load is 2 messages per student per period.
   */
  readonly probeEveryMs?: number;
}

export class RoomSession<M extends { readonly type: string }> {
  readonly room: RoomCode;
  readonly name: string;
  readonly role: PeerRole;
  /** The application's view of this room's connection (probes filtered out). */
  readonly app: Transport<M>;
  readonly #link: RoomLink<RoomPayload<M>>;
  readonly #prober: Prober;
  readonly #probeListeners = new Set<() => void>();
  readonly #stopProbing: () => void;
  /** True once this tab left the room (Leave button, page change): leave() is idempotent. */
  #left = false;

  readonly #subscribe = createSubscriber((update) => {
    const offPeers = this.#link.onPeers(update);
    const offSignaling = this.#link.onSignaling(update);
    this.#probeListeners.add(update);
    return () => {
      offPeers();
      offSignaling();
      this.#probeListeners.delete(update);
    };
  });

  constructor(options: RoomSessionOptions<M>) {
    this.room = options.room;
    this.name = options.name;
    this.role = options.role;
    this.#link = options.connect(roomPayloadParser(options.parse));
    this.app = applicationView(this.#link);
    this.#prober = new Prober({
      now: () => performance.now(),
      send: (to, message) => this.#link.send(to, message),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    });
    this.#link.onMessage((from, message) => {
      if (isProbe(message) && this.#prober.receive(from, message)) this.#probeChanged();
    });
    this.#link.onPeers((peers) => {
      // A peer that went down has no current round trip: showing its last one would mislead.
      let changed = false;
      for (const peer of peers) if (peer.status === 'down') changed = this.#prober.forget(peer.id) || changed;
      if (changed) this.#probeChanged();
    });
    const period = options.probeEveryMs ?? 0;
    const timer = period > 0 ? setInterval(() => this.#probeAll(), period) : undefined;
    this.#stopProbing = () => clearInterval(timer);
  }

  /** This tab's node id (the same after a reload). */
  get self(): PeerId {
    return this.#link.self;
  }

  /** Everyone else in the room with their status, in a stable order; self excluded. */
  get peers(): readonly PeerInfo[] {
    this.#subscribe();
    return this.#link.peers();
  }

  get signaling(): SignalingState {
    this.#subscribe();
    return this.#link.signaling();
  }

  /** Last measured data-channel round trip to `peer` in ms, if any. */
  roundTrip(peer: PeerId): number | undefined {
    this.#subscribe();
    return this.#prober.latest(peer);
  }

  /** Measures one round trip to `peer` now; undefined if it could not be sent or was lost. */
  probe(peer: PeerId): Promise<number | undefined> {
    return this.#prober.probe(peer);
  }

  stats(): TransportStats {
    return this.#link.stats();
  }

  /** For the `?test=1` hook only: the raw channel access the boundary tests need. */
  get testAccess(): Pick<RoomLink<RoomPayload<M>>, 'links' | 'sendRawFrame'> {
    return { links: () => this.#link.links(), sendRawFrame: (to, frame) => this.#link.sendRawFrame(to, frame) };
  }

  /** Says goodbye and releases every connection. Idempotent. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#stopProbing();
    this.#prober.close();
    this.#link.close();
  }

  #probeAll(): void {
    for (const peer of this.#link.peers()) if (peer.status !== 'down') void this.#prober.probe(peer.id);
  }

  #probeChanged(): void {
    for (const listener of [...this.#probeListeners]) listener();
  }
}
