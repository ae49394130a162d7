/**
 * Tells node-webrtc.ts which peer each RTCPeerConnection PeerJS makes for a robot is towards, so
 * the robot can pick a shared UDP port no other connection towards that peer uses (udp-mux.ts).
 * PeerJS 1.5.5 makes the RTCPeerConnection synchronously inside `Peer.connect(peer)` (a dial) and
 * inside `Peer._handleMessage` for an OFFER from `message.src` (an answer): both are wrapped, in
 * the robots' process only (robot.ts imports this module, after node-webrtc.ts). Adapter code.
 *
 * Import after node-webrtc.ts: this module evaluates PeerJS, which reads the WebRTC globals then.
 */
import * as peerjs from 'peerjs';
import { towardsPeer } from './node-webrtc.ts';

interface PeerInternals {
  connect(peer: string, ...rest: unknown[]): unknown;
  _handleMessage(message: { readonly type?: unknown; readonly src?: unknown }): void;
}

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
