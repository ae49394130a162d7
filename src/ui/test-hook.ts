/**
 * The e2e build only (dist-test/, `vite build --mode e2e`): a small window API through which
 * Playwright tests and the browser benchmarks read a tab's room state and drive its channels.
 * It adds no behaviour: everything it calls exists for the UI already, except raw frames, which
 * is exactly what the boundary tests need to play a hostile peer.
 *
 * In the production build (`npm start`'s dist/) `__TEST_HOOKS__` is the constant false, so the
 * body below is dead code the bundler drops: no URL parameter or console call can install it
 * (tests/e2e/production.spec.ts checks the served files and the page).
 */
import type { LinkInfo, SignalingState } from '../transport/peerjs.ts';
import { MAX_PROBES_PER_CALL } from '../limits.ts';
import type { PeerId, PeerInfo, TransportStats } from '../transport/types.ts';
import type { ClassroomSession } from './session.ts';

export interface RoomTestHook {
  readonly room: string;
  readonly self: PeerId;
  peers(): readonly PeerInfo[];
  signaling(): SignalingState;
  stats(): TransportStats;
  links(): readonly LinkInfo[];
  /** One round trip to `peer` over the data channel, in ms; undefined if lost. */
  probe(peer: PeerId): Promise<number | undefined>;
  /** `count` sequential round trips to `peer`; lost ones are left out. */
  probeMany(peer: PeerId, count: number): Promise<number[]>;
  /** Puts `frame` on the open channel to `peer` as is, bypassing our encoder. */
  sendRawText(peer: PeerId, frame: string): boolean;
  sendRawBytes(peer: PeerId, bytes: readonly number[]): boolean;
}

declare global {
  interface Window {
    __room?: RoomTestHook;
  }
}

export function installTestHook(session: ClassroomSession): () => void {
  if (!__TEST_HOOKS__) return () => {};
  const hook: RoomTestHook = {
    room: session.room,
    self: session.self,
    peers: () => session.peers,
    signaling: () => session.signaling,
    stats: () => session.stats(),
    links: () => session.testAccess.links(),
    probe: (peer) => session.probe(peer),
    async probeMany(peer, count) {
      const rtts: number[] = [];
      for (let i = 0; i < Math.min(count, MAX_PROBES_PER_CALL); i++) {
        const rtt = await session.probe(peer);
        if (rtt !== undefined) rtts.push(rtt);
      }
      return rtts;
    },
    sendRawText: (peer, frame) => session.testAccess.sendRawFrame(peer, frame),
    sendRawBytes: (peer, bytes) => session.testAccess.sendRawFrame(peer, new Uint8Array(bytes).buffer),
  };
  window.__room = hook;
  return () => {
    if (window.__room === hook) delete window.__room;
  };
}
