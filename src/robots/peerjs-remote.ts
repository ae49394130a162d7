/**
 * Tells node-webrtc.ts which peer each RTCPeerConnection PeerJS makes for a robot is towards, so
 * the robot can pick a shared UDP port no other connection towards that peer uses (udp-mux.ts).
 * PeerJS 1.5.5 makes the RTCPeerConnection synchronously inside `Peer.connect(peer)` (a dial) and
 * inside `Peer._handleMessage` for an OFFER from `message.src` (an answer): both are wrapped, in
 * the robots' process only (robot.ts imports this module, after node-webrtc.ts). Adapter code.
 *
 * PeerJS is loaded here with a dynamic import, as transport/peerjs.ts loads it: PeerJS reads the
 * WebRTC globals when it is evaluated, which node-webrtc.ts installs when it is evaluated. A
 * static import would be hoisted above node-webrtc.ts's code in the robots' bundle (bundle.ts
 * keeps packages external, and an external ESM import runs before the bundle's own modules):
 * PeerJS then saw no WebRTC and no robot ever opened a link. The methods are patched on the
 * prototype, looked up at each call, so a Peer made before the patch lands is patched too; the
 * first connect or OFFER comes after a signaling round trip, long after it.
 */
import { towardsPeer } from './node-webrtc.ts';

interface PeerInternals {
  connect(peer: string, ...rest: unknown[]): unknown;
  _handleMessage(message: { readonly type?: unknown; readonly src?: unknown }): void;
}

/** Wraps Peer.connect and Peer._handleMessage so each connection is made inside towardsPeer(its peer). */
function learnConnectionPeers(peerjs: typeof import('peerjs')): void {
  // Plain Node ESM reaches PeerJS's CommonJS build through `default` (as transport/peerjs.ts does).
  const PeerClass = peerjs.Peer ?? (peerjs as unknown as { readonly default?: { readonly Peer?: typeof peerjs.Peer } }).default?.Peer;
  if (PeerClass === undefined) throw new Error('robots: peerjs has no Peer class');
  const proto = PeerClass.prototype as unknown as PeerInternals;
  const connect = proto.connect;
  const handleMessage = proto._handleMessage;
  if (typeof connect !== 'function' || typeof handleMessage !== 'function') {
    // A PeerJS without these (another version): the robots would share ports blindly. Refuse loudly.
    throw new Error('robots: PeerJS has no Peer.connect/_handleMessage to learn a connection’s peer from (peerjs-remote.ts expects PeerJS 1.5)');
  }
  proto.connect = function (this: PeerInternals, peer: string, ...rest: unknown[]): unknown {
    return towardsPeer(peer, () => connect.call(this, peer, ...rest));
  };
  proto._handleMessage = function (this: PeerInternals, message): void {
    if (message?.type === 'OFFER' && typeof message.src === 'string') towardsPeer(message.src, () => handleMessage.call(this, message));
    else handleMessage.call(this, message);
  };
}

/**
 * Settles once PeerJS is patched. A rejection (another PeerJS) is unhandled on purpose: the robots'
 * process stops on it (node-webrtc.ts), rather than sharing ports blindly. Tests await it.
 */
export const connectionPeersLearnt: Promise<void> = import('peerjs').then(learnConnectionPeers);
