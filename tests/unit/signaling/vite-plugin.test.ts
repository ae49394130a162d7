/**
 * `npm run dev`: Vite's dev server carries our signaling, and its HMR socket still works (the
 * reason PeerServer gets a `noServer` socket server and we route upgrades ourselves).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import WebSocket from 'ws';
import { newIdentity } from '../../../src/transport/identity.ts';
import { PEERJS_KEY } from '../../../src/transport/signaling-protocol.ts';

const configFile = fileURLToPath(new URL('../../../vite.config.ts', import.meta.url));

function firstMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.once('error', reject);
  });
}

describe('signaling on the Vite dev server', () => {
  let vite: ViteDevServer;
  let base: string;

  beforeAll(async () => {
    process.env['STATE_DB'] = ':memory:'; // not the developer's ./data
    vite = await createServer({ configFile, server: { host: '127.0.0.1', port: 0, strictPort: false }, logLevel: 'silent' });
    await vite.listen();
    const address = vite.httpServer?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('no address');
    base = `127.0.0.1:${address.port}`;
  }, 30_000);
  afterAll(async () => {
    await vite.close();
  });

  it('serves /config.json and the app', async () => {
    expect(await (await fetch(`http://${base}/config.json`)).json()).toEqual({ iceServers: [], joinOrigins: [] });
    expect((await fetch(`http://${base}/`)).status).toBe(200);
  });

  it('accepts PeerJS sockets and keeps the HMR socket working', async () => {
    const identity = newIdentity();
    const peer = new WebSocket(`ws://${base}/signal/peerjs?key=${PEERJS_KEY}&id=KQ7RXA4-${identity.node}&token=${identity.token}`);
    expect(JSON.parse(await firstMessage(peer))).toEqual({ type: 'OPEN' });
    peer.close();
    const hmr = new WebSocket(`ws://${base}/`, 'vite-hmr');
    expect(JSON.parse(await firstMessage(hmr))).toMatchObject({ type: 'connected' });
    hmr.close();
  });
});
