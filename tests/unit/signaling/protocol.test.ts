/** The server's side of the protocol version: a roster socket of another version is told to reload. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';
import { newIdentity } from '../../../src/transport/identity.ts';
import {
  OUTDATED_PAGE_MESSAGE,
  PEERJS_KEY,
  PROTOCOL_PARAM,
  PROTOCOL_VERSION,
  ROSTER_CLOSE,
} from '../../../src/transport/signaling-protocol.ts';

const HOST = '127.0.0.1';

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('roster socket protocol version', () => {
  let server: SignalingServer;
  let port: number;

  beforeAll(async () => {
    server = createSignalingServer({ host: HOST, port: 0 });
    port = (await server.ready).port;
  });
  afterAll(async () => {
    await server.close();
  });

  function rosterUrl(id: string, token: string, protocol: string | undefined): string {
    const query = new URLSearchParams({ id, token, name: 'Ada', role: 'student' });
    if (protocol !== undefined) query.set(PROTOCOL_PARAM, protocol);
    return `ws://${HOST}:${port}/signal/roster?${query}`;
  }

  it.each([
    ['absent (a bundle from before versioning)', undefined],
    ['older', String(PROTOCOL_VERSION - 1)],
    ['newer', String(PROTOCOL_VERSION + 1)],
    ['not a number', 'one'],
  ])('closes a roster socket whose version is %s with "outdated" and the reload message', async (_what, protocol) => {
    const { node, token } = newIdentity();
    const ws = new WebSocket(rosterUrl(`KQ7RXA4-${node}`, token, protocol));
    expect(await closeOf(ws)).toEqual({ code: ROSTER_CLOSE.outdated, reason: OUTDATED_PAGE_MESSAGE });
  });

  it('lets a socket of our version through to the usual checks (a registered id gets its roster)', async () => {
    const { node, token } = newIdentity();
    const id = `KQ7RXA4-${node}`;
    const peer = new WebSocket(`ws://${HOST}:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${id}&token=${token}`);
    await new Promise<void>((resolve) => peer.once('message', () => resolve()));
    const roster = new WebSocket(rosterUrl(id, token, String(PROTOCOL_VERSION)));
    const first = await new Promise<string>((resolve) => roster.once('message', (data) => resolve(data.toString())));
    expect(JSON.parse(first)).toEqual({ type: 'roster', room: 'KQ7RXA4', members: [] });
    roster.close();
    peer.close();
  });
});
