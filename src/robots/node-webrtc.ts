/**
 * Gives Node what PeerJS expects of a browser, so a robot runs the very transport a tab runs
 * (src/transport/peerjs.ts): WebRTC from `node-datachannel`'s polyfill (libdatachannel; its
 * prebuilt binary comes with the npm package) and a WebSocket from `ws` (Node 20 has none).
 *
 * Import this module before anything that imports 'peerjs': PeerJS reads the WebRTC globals
 * when it is first evaluated. Adapter code: it fills globals and does nothing else.
 *
 * node-datachannel's ICE agent ignores loopback: robots and tabs pair over the machine's other
 * addresses (the LAN on a teacher's laptop; a veth pair inside the tests' own namespace, see
 * netns.ts).
 */
import { RTCIceCandidate, RTCPeerConnection, RTCSessionDescription } from 'node-datachannel/polyfill';
import WebSocket from 'ws';

const globals = globalThis as Record<string, unknown>;
for (const [name, value] of Object.entries({ RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, WebSocket })) {
  if (globals[name] === undefined) globals[name] = value;
}
