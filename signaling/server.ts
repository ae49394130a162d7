/**
 * One Node http(s) server for a classroom: serves the built app and carries our signaling
 * (PeerServer + the room roster) on the same port, so a phone needs one URL and nothing else.
 *
 *   const server = createSignalingServer({ host: '127.0.0.1', port: 0, staticDir: 'dist' });
 *   const { host, port } = await server.ready;
 *   …
 *   await server.close();
 *
 * Tests bind 127.0.0.1 and port 0; `npm start` binds HOST (default 0.0.0.0, the teacher's LAN).
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { attachSignaling, type AttachedSignaling, type SignalingOptions } from './attach.ts';
import { applySecurityHeaders } from './headers.ts';
import { createStaticHandler } from './static.ts';

export interface SignalingServerOptions extends SignalingOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The built app (dist/). Without it only the signaling endpoints and /config.json exist. */
  readonly staticDir?: string;
  /** Serve https with this certificate (PEM text or buffers). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface SignalingServer {
  /** Resolves once listening, with the bound address (the real port when 0 was asked). */
  readonly ready: Promise<{ readonly host: string; readonly port: number }>;
  /** Stops accepting, closes every socket, and resolves when the port is released. */
  close(): Promise<void>;
  /** The bound address, or undefined before `ready` / after close. */
  address(): { readonly host: string; readonly port: number } | undefined;
  /** The room bookkeeping, for tests and diagnostics. */
  readonly signaling: AttachedSignaling;
}

export function createSignalingServer(options: SignalingServerOptions): SignalingServer {
  const serveStatic = options.staticDir !== undefined ? createStaticHandler(options.staticDir) : undefined;
  let signaling: AttachedSignaling | undefined;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // Every response, the app's files and the signaling endpoints alike (headers.ts).
    applySecurityHeaders(req, res);
    if (signaling?.handleRequest(req, res)) return;
    if (serveStatic === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found');
      return;
    }
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };

  const server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(onRequest);
  signaling = attachSignaling(server, options);
  const attached = signaling;
  server.on('upgrade', (req, socket, head) => {
    if (!attached.handleUpgrade(req, socket, head)) socket.destroy();
  });
  // A slow or malicious client must not hold sockets forever.
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;

  let bound: { host: string; port: number } | undefined;
  const ready = new Promise<{ host: string; port: number }>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      bound = { host: address.address, port: address.port };
      resolve(bound);
    });
  });

  return {
    ready,
    signaling: attached,
    address: () => bound,
    close: () =>
      new Promise<void>((resolve) => {
        attached.close();
        bound = undefined;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
