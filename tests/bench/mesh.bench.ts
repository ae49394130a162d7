/**
 * `npm run bench:mesh` — how fast a room of N headless tabs forms its full WebRTC mesh, and the
 * data-channel round trips inside it, for N = 2, 5, 10, 20. Not a test: it prints a table.
 *
 * Real everything: our signaling server on 127.0.0.1 serving the built app, Debian's Chromium,
 * one browser context for all tabs (as in a classroom, each tab a node), round trips measured by
 * the app's own probes (the e2e build's test hook → RoomSession.probe) over the same validated path as any
 * message.
 *
 * Network rule: WebRTC here must only ever see loopback. When not already inside a loopback-only
 * network namespace, the script re-executes itself under `unshare -n` (needs root, as on CI and
 * the dev machines); otherwise it refuses to run.
 *
 * Options (env): BENCH_SIZES="2,5,10,20", BENCH_PROBES=200 (single pinger), BENCH_ALL_PROBES=20
 * (per tab when every tab pings at once).
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ensureLoopbackOnly } from './isolate.ts';
import { chromium, type Browser, type Page } from '@playwright/test';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { DIST_DIR, startAppServer } from '../e2e/support/server.ts';

/** A mesh that has not formed by then is reported as a failure, not waited on forever. */
const MESH_TIMEOUT_MS = 60_000;


function sizes(): number[] {
  const raw = process.env['BENCH_SIZES'] ?? '2,5,10,20';
  const parsed = raw.split(',').map((s) => Number(s.trim()));
  if (parsed.some((n) => !Number.isInteger(n) || n < 2 || n > 40)) throw new Error(`BENCH_SIZES: 2..40 each, got "${raw}"`);
  return parsed;
}

function count(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > 1_000) throw new Error(`${name}: 1..1000, got ${process.env[name]}`);
  return value;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

interface Result {
  readonly n: number;
  readonly openMs: number;
  readonly meshMs: number;
  readonly single: readonly number[];
  readonly all: readonly number[];
  readonly lost: number;
}

async function fullMesh(page: Page, others: number): Promise<void> {
  await page.waitForFunction(
    (n) => window.__room !== undefined && window.__room.peers().filter((p) => p.status === 'connected').length === n,
    others,
    { timeout: MESH_TIMEOUT_MS, polling: 20 },
  );
}

async function runSize(browser: Browser, baseURL: string, n: number, probes: number, allProbes: number): Promise<Result> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const room = randomRoomCode(cryptoRandomIndex);
    const started = performance.now();
    const pages = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const page = await context.newPage();
        await page.goto(`${baseURL}/?${new URLSearchParams({ room, name: `tab ${i + 1}` })}`);
        return page;
      }),
    );
    const openMs = performance.now() - started;
    await Promise.all(pages.map((page) => fullMesh(page, n - 1)));
    const meshMs = performance.now() - started;

    const ids = await Promise.all(pages.map((page) => page.evaluate(() => window.__room!.self)));
    // One pinger, round-robin over every other tab, one probe in flight at a time.
    const pinger = pages[0]!;
    const targets = ids.slice(1);
    const single = await pinger.evaluate(
      async ({ targets: peers, total }) => {
        const rtts: number[] = [];
        for (let i = 0; i < total; i++) {
          const rtt = await window.__room!.probe(peers[i % peers.length]!);
          if (rtt !== undefined) rtts.push(rtt);
        }
        return rtts;
      },
      { targets, total: probes },
    );
    // Every tab pings its successor at the same time: the room under load.
    const all = (
      await Promise.all(
        pages.map((page, i) => page.evaluate(([peer, k]) => window.__room!.probeMany(peer, k), [ids[(i + 1) % n]!, allProbes] as const)),
      )
    ).flat();
    const lost = probes + n * allProbes - single.length - all.length;
    return { n, openMs, meshMs, single: [...single].sort((a, b) => a - b), all: [...all].sort((a, b) => a - b), lost };
  } finally {
    await context.close();
  }
}

function printTable(results: readonly Result[], probes: number, allProbes: number): void {
  const f = (ms: number): string => (Number.isNaN(ms) ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
  const header = ['N', 'open tabs ms', 'full mesh ms', 'rtt p50 ms', 'rtt p95 ms', 'loaded p50 ms', 'loaded p95 ms', 'lost'];
  const rows = results.map((r) => [
    String(r.n),
    r.openMs.toFixed(0),
    r.meshMs.toFixed(0),
    f(quantile(r.single, 0.5)),
    f(quantile(r.single, 0.95)),
    f(quantile(r.all, 0.5)),
    f(quantile(r.all, 0.95)),
    String(r.lost),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
  console.log();
  console.log(`full mesh: from opening the first tab until every tab lists N-1 peers as connected.`);
  console.log(`rtt: ${probes} sequential probes from one tab, round-robin over the others.`);
  console.log(`loaded: every tab probing its successor at once, ${allProbes} probes each.`);
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:mesh');
  if (!existsSync(`${DIST_DIR}index.html`)) {
    console.log('bench:mesh: no built app in dist/, building it first…');
    const { build } = await import('vite');
    await build({ configFile: new URL('../../vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
  }
  const probes = count('BENCH_PROBES', 200);
  const allProbes = count('BENCH_ALL_PROBES', 20);
  const server = await startAppServer(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  const results: Result[] = [];
  try {
    for (const n of sizes()) {
      process.stdout.write(`N=${n}… `);
      const result = await runSize(browser, server.baseURL, n, probes, allProbes);
      process.stdout.write(`mesh in ${result.meshMs.toFixed(0)} ms\n`);
      results.push(result);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  printTable(results, probes, allProbes);
}

main().then(
  // Exit explicitly: PeerServer 1.0.2 keeps housekeeping timers alive after its server closed.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
