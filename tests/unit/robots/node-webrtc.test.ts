/**
 * The robots' browser globals (src/robots/node-webrtc.ts): a WebSocket whose server is not
 * there must behave as a tab's does (an error event, then close) instead of throwing an
 * unheard 'error' that ends the robots' process.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { robotIceServersFor } from '../../../src/robots/node-webrtc.ts';

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('robots: browser-like WebSocket', () => {
  it('a refused connection just closes, as in a browser, when nobody listens for its error', async () => {
    const port = await closedPort();
    const socket = new (globalThis.WebSocket as unknown as typeof WebSocket)(`ws://127.0.0.1:${port}/`);
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      socket.onclose = () => {
        events.push('close');
        resolve();
      };
    });
    expect(events).toEqual(['close']);
    expect(socket.readyState).toBe(3); // CLOSED
  });
});

describe('robots: never PeerJS’s public servers', () => {
  // PeerJS 1.5.5's util.defaultConfig, which its feature check hands to one connection at load.
  const peerJsDefault = {
    iceServers: [
      { urls: 'stun:stun.l.google.com:19302' },
      { urls: ['turn:eu-0.turn.peerjs.com:3478', 'turn:us-0.turn.peerjs.com:3478'], username: 'peerjs', credential: 'peerjsp' },
    ],
    sdpSemantics: 'unified-plan',
  } as RTCConfiguration;

  it('drops Google’s STUN and PeerJS’s TURN, keeps the school’s own servers', () => {
    expect(robotIceServersFor(peerJsDefault)).toEqual([]);
    const school = { urls: ['turn:turn.school.example:3478'], username: 'u', credential: 'p' };
    expect(robotIceServersFor({ iceServers: [school, ...peerJsDefault.iceServers!] })).toEqual([school]);
    expect(robotIceServersFor({ iceServers: [] })).toEqual([]);
  });

  it('a connection made with PeerJS’s default config is configured without them', () => {
    const pc = new globalThis.RTCPeerConnection(peerJsDefault);
    try {
      expect(pc.getConfiguration().iceServers).toEqual([]);
    } finally {
      pc.close();
    }
  });
});
