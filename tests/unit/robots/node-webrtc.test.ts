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

describe('robots: never any ICE server, public or not', () => {
  // The shape of PeerJS's util.defaultConfig (its feature check hands it to one connection at
  // load), with placeholder names: a STUN and a TURN server that must never be contacted.
  const peerJsDefault = {
    iceServers: [
      { urls: 'stun:stun.public.invalid:19302' },
      { urls: ['turn:eu.turn.public.invalid:3478', 'turn:us.turn.public.invalid:3478'], username: 'u', credential: 'p' },
    ],
    sdpSemantics: 'unified-plan',
  } as RTCConfiguration;

  it('gives every robot connection an empty server list, whatever it was made with', () => {
    expect(robotIceServersFor(peerJsDefault)).toEqual([]);
    const school = { urls: ['turn:turn.school.invalid:3478'], username: 'u', credential: 'p' };
    expect(robotIceServersFor({ iceServers: [school, ...peerJsDefault.iceServers!] })).toEqual([]);
    expect(robotIceServersFor({ iceServers: [] })).toEqual([]);
    expect(robotIceServersFor(undefined)).toEqual([]);
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
