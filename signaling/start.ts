/**
 * `npm start`: the teacher's one command. Builds the app if dist/ is missing or older than the
 * sources, then serves app + signaling on one port and prints where students can join (local
 * and LAN URLs, and a QR code of the LAN one in the terminal).
 *
 * Environment:
 *   PORT (default 8080), HOST (default 0.0.0.0: every interface, so phones on the classroom
 *   network can connect), CERT_FILE + KEY_FILE (serve https with that certificate),
 *   ICE_SERVERS (JSON array of RTCIceServer, e.g. a school's TURN server; default none),
 *   STATE_DB, ROOM_RETENTION_HOURS, TRUSTED_ADDRESSES, LIMIT_* (the store and the abuse limits:
 *   signaling/config.ts).
 */
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { parseClientConfig, type IceServerConfig } from '../src/transport/signaling-protocol.ts';
import { parseServerEnv } from './config.ts';
import { createSignalingServer } from './server.ts';
import { RoomStore } from './store.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const distDir = path.join(projectRoot, 'dist');
/** What the build depends on: newer than dist/index.html means rebuild. */
const BUILD_INPUTS = ['src', 'static', 'vite.config.ts', 'svelte.config.js', 'package.json'];

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(1);
}

function newestMtime(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

async function buildIfNeeded(): Promise<void> {
  const builtIndex = path.join(distDir, 'index.html');
  const builtAt = existsSync(builtIndex) ? statSync(builtIndex).mtimeMs : 0;
  const sourcesAt = Math.max(...BUILD_INPUTS.map((input) => newestMtime(path.join(projectRoot, input))));
  if (builtAt >= sourcesAt) return;
  console.log(builtAt === 0 ? 'Building the app (first start)…' : 'Sources changed since the last build: rebuilding…');
  const { build } = await import('vite');
  await build({ configFile: path.join(projectRoot, 'vite.config.ts'), logLevel: 'warn' });
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 8080;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`PORT must be a port number (1–65535), got "${raw}"`);
  return port;
}

function parseIceServers(raw: string | undefined): readonly IceServerConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    fail('ICE_SERVERS must be JSON, e.g. [{"urls":"turn:turn.school.example:3478","username":"u","credential":"p"}]');
  }
  const config = parseClientConfig({ iceServers: json });
  if (config === undefined) fail('ICE_SERVERS: each entry needs "urls" (stun:/turn:/turns:) and optional "username"/"credential"');
  return config.iceServers;
}

function readTls(): { cert: Buffer; key: Buffer } | undefined {
  const certFile = process.env['CERT_FILE'];
  const keyFile = process.env['KEY_FILE'];
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) fail('set both CERT_FILE and KEY_FILE for https, or neither');
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    fail(`cannot read the certificate: ${(error as Error).message}`);
  }
}

/** This machine's IPv4 addresses on its networks, for the join URL. Read only: nothing is contacted. */
function lanAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) addresses.push(entry.address);
    }
  }
  return addresses;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

async function main(): Promise<void> {
  const host = process.env['HOST'] ?? '0.0.0.0';
  const port = parsePort(process.env['PORT']);
  const iceServers = parseIceServers(process.env['ICE_SERVERS']);
  const tls = readTls();
  const env = parseServerEnv(process.env, process.cwd());
  if (!env.ok) fail(env.error);
  let store: RoomStore;
  try {
    store = new RoomStore(env.config.stateDb);
  } catch (error) {
    fail(`${(error as Error).message} (STATE_DB; move the file away to start with no rooms)`);
  }
  await buildIfNeeded();

  const scheme = tls ? 'https' : 'http';
  const loopbackOnly = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  // Where phones can reach us; the teacher's page puts the first one in its QR code.
  const lan = isWildcard(host)
    ? lanAddresses().map((ip) => `${scheme}://${ip}:${port}`)
    : loopbackOnly
      ? []
      : [`${scheme}://${host}:${port}`];
  const server = createSignalingServer({
    host,
    port,
    staticDir: distDir,
    iceServers,
    joinOrigins: lan,
    stateDb: store,
    limits: env.config.limits,
    ...(tls ? { tls } : {}),
    log: (line) => console.log(line),
  });
  let bound: { host: string; port: number };
  try {
    bound = await server.ready;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === 'EADDRINUSE' ? `port ${port} is in use: try PORT=8081 npm start` : (error as Error).message);
  }

  const local = `${scheme}://localhost:${bound.port}/`;
  console.log('\nConsensus Playground is running.\n');
  console.log(`  On this computer:   ${local}`);
  for (const origin of lan) console.log(`  On the network:     ${origin}/`);
  if (iceServers.length > 0) console.log(`  ICE servers:        ${iceServers.length} configured (ICE_SERVERS)`);
  console.log(`  Rooms kept in:      ${env.config.stateDb} (STATE_DB)`);
  const qrTarget = lan[0] === undefined ? undefined : `${lan[0]}/`;
  if (qrTarget !== undefined) {
    console.log(`\nStudents: scan to open ${qrTarget}\n`);
    console.log(await QRCode.toString(qrTarget, { type: 'terminal', small: true }));
  } else {
    console.log('\nOnly this computer can reach the app' + (loopbackOnly ? ` (HOST=${host}).` : ': no network address found.'));
    console.log('For phones, connect this computer to the classroom Wi-Fi and use HOST=0.0.0.0 (the default).\n');
  }
  console.log('Open the page, choose "Start a class room", and show the room page to the class. Ctrl+C stops.\n');

  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1); // a second Ctrl+C: do not wait
    stopping = true;
    console.log('\nStopping…');
    void server.close().then(() => {
      store.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main().catch((error: unknown) => fail(error instanceof Error ? error.stack ?? error.message : String(error)));
