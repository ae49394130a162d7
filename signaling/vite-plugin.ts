/**
 * `npm run dev` with the same signaling as `npm start`: mounts attach.ts on Vite's own http
 * server (dev and `vite preview`). Upgrades to our paths are routed by us; every other upgrade
 * (Vite's HMR socket) is left to Vite, which is why PeerServer gets a `noServer` socket server.
 */
import type { Server as HttpServer } from 'node:http';
import type { Plugin, PreviewServer, ViteDevServer } from 'vite';
import { attachSignaling, type SignalingOptions } from './attach.ts';
import { parseServerEnv } from './config.ts';

function mount(server: ViteDevServer | PreviewServer, options: SignalingOptions): void {
  const http = server.httpServer as HttpServer | null;
  if (http === null) return; // middleware mode: the embedding server owns signaling
  // The dev server keeps rooms like `npm start` (STATE_DB, default ./data/playground.sqlite).
  const env = parseServerEnv(process.env, server.config.root);
  if (!env.ok) throw new Error(env.error);
  const signaling = attachSignaling(http, {
    log: (line) => server.config.logger.info(line),
    stateDb: env.config.stateDb,
    limits: env.config.limits,
    ...options,
  });
  server.middlewares.use((req, res, next) => {
    if (!signaling.handleRequest(req, res)) next();
  });
  http.on('upgrade', (req, socket, head) => {
    signaling.handleUpgrade(req, socket, head); // false: not ours, Vite's HMR listener takes it
  });
  http.on('close', () => signaling.close());
}

export function signalingPlugin(options: SignalingOptions = {}): Plugin {
  return {
    name: 'consensus-playground:signaling',
    configureServer: (server) => mount(server, options),
    configurePreviewServer: (server) => mount(server, options),
  };
}
