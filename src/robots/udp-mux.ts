/**
 * The UDP ports one robot's connections share (libjuice's ICE UDP mux, node-datachannel's
 * `enableIceUdpMux`), and which connection may use which.
 *
 * Why: without the mux every connection has its own UDP socket, and one libjuice thread per
 * process polls them all; each wake-up (any datagram, any connection's timer) rebuilds and polls
 * the whole socket list and walks every connection, so an idle process of ~700 connections spends
 * most of its CPU there (see ROBOT_UDP_MUX_PORTS). With the mux, a port has one socket and one
 * thread that walks only its own connections.
 *
 * The rule that makes it safe: a port's thread hands an incoming datagram to the connection its
 * source address was first seen with (libjuice conn_mux.c lookup_agent: by address first, by
 * ICE ufrag only for a STUN request from an unknown address). Two live connections of one port
 * with the same peer robot (a crossing dial, a re-dial while the peer still holds the old one)
 * share that address, and DTLS meant for one reaches the other ("unknown CA"). So a connection
 * towards peer P takes a port that carries no other connection towards P, counting a closed one
 * for ROBOT_UDP_MUX_HOLD_MS more (its native agent is torn down on another thread after close);
 * when every port does, it gets a socket of its own (node-datachannel's default). Each robot
 * keeps its ports (listeners) bound for as long as its process runs, so no other socket can take
 * one between two connections.
 *
 * The other failure the mux brought out was not a mixup but a race inside libdatachannel that a
 * port's own fast thread loses more often than the one busy poll thread did: an offer's DTLS
 * meeting the answerer's certificate before the answer's fingerprint is kept (answer-gate.ts,
 * which node-webrtc.ts applies to every robot connection, mux or not).
 */
import { randomInt } from 'node:crypto';
import { IceUdpMuxListener } from 'node-datachannel';
import { ROBOT_UDP_MUX_HOLD_MS, ROBOT_UDP_MUX_PORTS } from '../limits.ts';
import type { RobotConnectionSettings } from './node-webrtc.ts';

interface Use {
  live: number;
  /** When the last connection towards this peer closed (ms, the book's clock). */
  closedAt: number;
}

/** Which of a robot's ports carries which peers: pure bookkeeping, the clock passed in. */
export class MuxPortBook {
  private readonly uses: ReadonlyMap<number, Map<string, Use>>;

  constructor(
    readonly ports: readonly number[],
    private readonly holdMs: number = ROBOT_UDP_MUX_HOLD_MS,
  ) {
    this.uses = new Map(ports.map((port) => [port, new Map<string, Use>()]));
  }

  /**
   * A port for a new connection towards `peer`: one carrying no live connection towards it and
   * none closed less than holdMs ago, the least loaded of those; undefined if there is none.
   */
  take(peer: string, now: number): number | undefined {
    let best: { port: number; load: number } | undefined;
    for (const [port, peers] of this.uses) {
      const use = peers.get(peer);
      if (use !== undefined && (use.live > 0 || now - use.closedAt < this.holdMs)) continue;
      const load = this.load(peers);
      if (best === undefined || load < best.load) best = { port, load };
    }
    if (best === undefined) return undefined;
    const peers = this.uses.get(best.port)!;
    const use = peers.get(peer) ?? { live: 0, closedAt: -Infinity };
    use.live += 1;
    peers.set(peer, use);
    return best.port;
  }

  /** A connection `take` gave `port` towards `peer` has closed. */
  release(port: number, peer: string, now: number): void {
    const use = this.uses.get(port)?.get(peer);
    if (use === undefined || use.live === 0) throw new Error(`port ${port} carries no connection towards ${peer}`);
    use.live -= 1;
    use.closedAt = now;
  }

  /** Live connections on `port` (for the test and the benchmark). */
  liveOn(port: number): number {
    const peers = this.uses.get(port);
    return peers === undefined ? 0 : this.load(peers);
  }

  private load(peers: ReadonlyMap<string, Use>): number {
    let live = 0;
    for (const use of peers.values()) live += use.live;
    return live;
  }
}

/** Attempts at binding one port before giving up on the mux (each a random port; taken ones fail at once). */
const BIND_ATTEMPTS = 50;
/** Where ports are tried: the IANA dynamic range. A taken one fails to bind and another is tried. */
const PORT_RANGE = [49_152, 65_535] as const;

/** One robot's mux ports: bound listeners, the book, the settings for each connection. */
export class RobotUdpMux {
  private constructor(
    private readonly listeners: readonly IceUdpMuxListener[],
    private readonly book: MuxPortBook,
    private readonly now: () => number,
  ) {}

  /**
   * Binds `count` ports (each held by an IceUdpMuxListener, so no other socket takes it while the
   * robot lives). Throws if a port cannot be bound after BIND_ATTEMPTS tries.
   */
  static open(count: number = ROBOT_UDP_MUX_PORTS, now: () => number = () => performance.now()): RobotUdpMux {
    const listeners: IceUdpMuxListener[] = [];
    try {
      while (listeners.length < count) listeners.push(bindListener());
    } catch (error) {
      for (const listener of listeners) listener.stop();
      throw error;
    }
    return new RobotUdpMux(listeners, new MuxPortBook(listeners.map((l) => l.port())), now);
  }

  get ports(): readonly number[] {
    return this.book.ports;
  }

  /** node-datachannel settings of a new connection towards `peer` (unknown: a socket of its own). */
  settingsFor(peer: string | undefined): RobotConnectionSettings {
    if (peer === undefined) return { config: {} };
    const port = this.book.take(peer, this.now());
    if (port === undefined) return { config: {} };
    return {
      config: { enableIceUdpMux: true, portRangeBegin: port, portRangeEnd: port },
      closed: () => this.book.release(port, peer, this.now()),
    };
  }

  liveOn(port: number): number {
    return this.book.liveOn(port);
  }

  /** Unbinds the ports (a test's cleanup; a robot keeps its ports while its process runs). */
  close(): void {
    for (const listener of this.listeners) listener.stop();
  }
}

function bindListener(): IceUdpMuxListener {
  let last: unknown;
  for (let i = 0; i < BIND_ATTEMPTS; i++) {
    const port = randomInt(PORT_RANGE[0], PORT_RANGE[1]);
    try {
      // No onUnhandledStunRequest: a STUN request with an unknown ufrag (the consent checks of a
      // connection the peer still holds after ours closed) is dropped natively, without a call
      // into JavaScript (libdatachannel's callback is empty-safe, impl/iceudpmuxlistener.hpp).
      return new IceUdpMuxListener(port);
    } catch (error) {
      last = error; // taken: try another
    }
  }
  throw new Error(`robots: no free UDP port for the ICE mux after ${BIND_ATTEMPTS} tries (${(last as Error | undefined)?.message ?? 'unknown'})`);
}
