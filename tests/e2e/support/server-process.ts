/**
 * `npm start`'s own entry (signaling/start.ts) as a child process on 127.0.0.1, for tests that
 * restart the server for real: a new process that knows nothing but its database file. `stop`
 * can be a clean shutdown (SIGTERM, as Ctrl+C) or a crash (SIGKILL: no cleanup at all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;

export interface ProcessServer {
  readonly baseURL: string;
  readonly port: number;
  readonly stateDb: string;
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: string;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  start(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the server process with `env` on top of ours (e.g. limits); resolves once it listens. */
export async function startServerProcess(env: Readonly<Record<string, string>> = {}): Promise<ProcessServer> {
  const port = await freePort();
  const stateDb = path.join(mkdtempSync(path.join(tmpdir(), 'cp-proc-')), 'playground.sqlite');
  let child: ChildProcess | undefined;
  let output = '';

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'signaling', 'start.ts')], {
        cwd: ROOT,
        env: { ...process.env, ...env, HOST, PORT: String(port), STATE_DB: stateDb },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      const timer = setTimeout(() => reject(new Error(`the server process did not start in ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Consensus Playground is running')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        if (child === proc) child = undefined;
        reject(new Error(`the server process exited (${code}):\n${output}`));
      });
    });

  await launch();
  return {
    baseURL: `http://${HOST}:${port}`,
    port,
    stateDb,
    get output() {
      return output;
    },
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (proc === undefined) return;
      child = undefined;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill(signal);
      });
    },
    async start() {
      if (child === undefined) await launch();
    },
  };
}
