/**
 * `npm run bench:load` — what a cold first load of each page moves over the wire, measured in
 * Chromium against our real server: body bytes on the wire (after Content-Encoding) for JS, CSS
 * and HTML, with the number of requests. Not a test: it prints a table. The budget
 * check (scripts/check-budgets.ts) is the gate; this shows what a browser really fetches.
 *
 * BENCH_DIST=dir serves another build (e.g. an older dist/ kept for a before/after comparison);
 * default: the production build, dist/. Each page gets a fresh context (empty cache). Student
 * and teacher pages open a room, so the run needs the loopback-only namespace like the others.
 */
import { chromium, type Page } from '@playwright/test';
import { ensureLoopbackOnly } from './isolate.ts';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { PRODUCTION_DIST_DIR, startAppServer } from '../e2e/support/server.ts';

/** After `load`, a page still fetches its lazy parts (PeerJS); this is ample on loopback. */
const SETTLE_MS = 1_500;

interface Totals {
  requests: number;
  wire: number;
}

async function measure(page: Page, url: string): Promise<Record<'js' | 'css' | 'html', Totals>> {
  const totals = { js: { requests: 0, wire: 0 }, css: { requests: 0, wire: 0 }, html: { requests: 0, wire: 0 } };
  const pending: Promise<void>[] = [];
  page.on('requestfinished', (request) => {
    pending.push(
      (async () => {
        const response = await request.response();
        if (response === null) return;
        const type = response.headers()['content-type'] ?? '';
        const kind = type.includes('javascript') ? 'js' : type.includes('css') ? 'css' : type.includes('html') ? 'html' : undefined;
        if (kind === undefined) return;
        const sizes = await request.sizes();
        totals[kind].requests += 1;
        totals[kind].wire += sizes.responseBodySize;
      })(),
    );
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(SETTLE_MS);
  await Promise.all(pending);
  return totals;
}

function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:load');
  const dist = process.env['BENCH_DIST'] ?? PRODUCTION_DIST_DIR;
  const server = await startAppServer(0, {}, dist.endsWith('/') ? dist : `${dist}/`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
  const room = randomRoomCode(cryptoRandomIndex);
  const pages: [string, string][] = [
    ['landing', '/'],
    ['student', `/?room=${room}&name=Ada`],
    ['host', `/?room=${room}&view=host`],
    ['solo', '/?solo=1'],
  ];
  try {
    console.log(`Cold first load per page (${dist}):`);
    console.log('page      requests   JS wire  CSS wire  HTML wire  total wire');
    for (const [name, path] of pages) {
      const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
      const page = await context.newPage();
      const t = await measure(page, `${server.baseURL}${path}`);
      await context.close();
      const wire = t.js.wire + t.css.wire + t.html.wire;
      const requests = t.js.requests + t.css.requests + t.html.requests;
      console.log(
        `${name.padEnd(8)}  ${String(requests).padStart(8)}  ${kb(t.js.wire).padStart(8)}  ${kb(t.css.wire).padStart(8)}  ${kb(t.html.wire).padStart(9)}  ${kb(wire).padStart(10)}`,
      );
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}

void main().then(
  () => process.exit(0), // PeerJS sockets of the room pages must not keep the run alive
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
