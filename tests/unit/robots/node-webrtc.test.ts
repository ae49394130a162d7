/**
 * The robots' browser globals (src/robots/node-webrtc.ts): a WebSocket whose server is not
 * there must behave as a tab's does (an error event, then close) instead of throwing an
 * unheard 'error' that ends the robots' process.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import '../../../src/robots/node-webrtc.ts';

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
