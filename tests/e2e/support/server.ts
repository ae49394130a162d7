/**
 * Our real signaling server (signaling/server.ts) serving the built app, started in-process
 * for tests and benchmarks, always on 127.0.0.1.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SignalingOptions } from '../../../signaling/attach.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';

export const DIST_DIR = fileURLToPath(new URL('../../../dist/', import.meta.url));
const HOST = '127.0.0.1';

export interface AppServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly baseURL: string;
  readonly port: number;
  /** True while listening. */
  readonly running: boolean;
  /** Stops the server: every signaling and roster socket closes; data channels are not ours to close. */
  stop(): Promise<void>;
  /** Starts it again on the same port, as after a crash or a teacher restarting `npm start`. */
  start(): Promise<void>;
  /** The server's SQLite file (a fresh temporary one unless `options.stateDb` names one): it survives stop/start. */
  readonly stateDb: string;
}

function requireBuild(): void {
  if (!existsSync(`${DIST_DIR}index.html`)) {
    throw new Error(`no built app in ${DIST_DIR}: run \`npm run build\` first (npm test does)`);
  }
}

/** Starts a server on `port` (0 = any free port), with `options` for its signaling (e.g. lower room limits). */
export async function startAppServer(port = 0, given: SignalingOptions = {}): Promise<AppServer> {
  requireBuild();
  // A real file, so a restart (stop, start) is a real one: the new process-equivalent reopens it.
  const stateDb = typeof given.stateDb === 'string' ? given.stateDb : path.join(mkdtempSync(path.join(tmpdir(), 'cp-state-')), 'playground.sqlite');
  const options: SignalingOptions = { ...given, stateDb };
  let server: SignalingServer | undefined = createSignalingServer({ ...options, host: HOST, port, staticDir: DIST_DIR });
  const bound = await server.ready;
  return {
    baseURL: `http://${HOST}:${bound.port}`,
    port: bound.port,
    stateDb,
    get running() {
      return server !== undefined;
    },
    async stop() {
      const current = server;
      server = undefined;
      await current?.close();
    },
    async start() {
      if (server !== undefined) return;
      const next = createSignalingServer({ ...options, host: HOST, port: bound.port, staticDir: DIST_DIR });
      await next.ready;
      server = next;
    },
  };
}
