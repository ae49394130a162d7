/**
 * `npm run bench:live` — how long a live classroom takes to decide, end to end: for N = 3, 5, 10
 * student tabs (plus the teacher's dashboard), the time from one student pressing a propose
 * button until EVERY student tab shows the decided value, for Paxos and majority voting. Not a
 * test: it prints a table.
 *
 * Beside each latency it puts what the network alone would predict: the number of one-way
 * message delays on the algorithm's critical path times the measured median one-way
 * data-channel delay (half the median round trip of the room's own probes). The ratio
 * latency / (delays × one-way) says how much of a decision is the algorithm's message pattern
 * and how much is everything else (the tabs' JavaScript, JSON, persistence, rendering, and the
 * reports to the dashboard, all sharing this machine's cores).
 *
 * Critical paths (one proposer, no failure, message delay 0):
 * - Paxos: prepare → promise → accept → accepted (to every learner) = 4 one-way delays.
 * - Majority: candidate → vote (to everyone, each counts a majority) = 2 one-way delays.
 *
 * Real everything: our signaling server on 127.0.0.1 serving the built app, Debian's Chromium,
 * one browser context per room, the app's own UI (Start button, propose buttons). Times are
 * taken inside the tabs (wall clock, shared by all tabs of the machine): the click's time in the
 * proposing tab, and in each tab the moment a MutationObserver sees the decided value appear.
 *
 * Network rule: WebRTC here must only ever see loopback. When not already inside a loopback-only
 * network namespace, the script re-executes itself under `unshare -n` (needs root); otherwise it
 * refuses to run.
 *
 * Options (env): BENCH_SIZES="3,5,10", BENCH_RUNS=7 (decisions per size and algorithm),
 * BENCH_PROBES=40 (round trips per student for the one-way delay), BENCH_DELAY_MS=0 (the
 * dashboard's message delay: with e.g. 1000 every hop costs a second and the ratio checks the
 * critical-path counts themselves, since each delay is then one-way + the added delay).
 */
import { existsSync } from 'node:fs';
import { ensureLoopbackOnly } from './isolate.ts';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { DIST_DIR, startAppServer } from '../e2e/support/server.ts';

/** A room that has not meshed, or a decision not shown everywhere, by then is a failure. */
const WAIT_MS = 60_000;
/** Proposals go to this value; every tab must show exactly it. */
const PROPOSAL = 'blue';

const ALGORITHMS = [
  { name: 'paxos', delays: 4, path: 'prepare, promise, accept, accepted' },
  { name: 'majority', delays: 2, path: 'candidate, vote' },
] as const;
type BenchAlgorithm = (typeof ALGORITHMS)[number];


function intList(name: string, fallback: string, min: number, max: number): number[] {
  const raw = process.env[name] ?? fallback;
  const parsed = raw.split(',').map((s) => Number(s.trim()));
  if (parsed.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new Error(`${name}: ${min}..${max} each, got "${raw}"`);
  return parsed;
}

function intValue(name: string, fallback: number, min: number, max: number): number {
  const [value] = intList(name, String(fallback), min, max);
  return value ?? fallback;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

interface Room {
  readonly host: Page;
  readonly students: readonly Page[];
  readonly ids: readonly string[];
}

async function openRoom(context: BrowserContext, baseURL: string, n: number): Promise<Room> {
  const room = randomRoomCode(cryptoRandomIndex);
  const open = async (query: Record<string, string>): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${baseURL}/?${new URLSearchParams({ room, ...query })}`);
    return page;
  };
  const host = await open({ view: 'host' });
  const students = await Promise.all(Array.from({ length: n }, (_, i) => open({ name: `Student ${i + 1}` })));
  // Full mesh: every tab lists every other tab (students and the dashboard) as connected.
  await Promise.all(
    [host, ...students].map((page) =>
      page.waitForFunction(
        (others) => window.__room !== undefined && window.__room.peers().filter((p) => p.status === 'connected').length === others,
        n,
        { timeout: WAIT_MS, polling: 20 },
      ),
    ),
  );
  const ids = await Promise.all(students.map((page) => page.evaluate(() => window.__room!.self)));
  return { host, students, ids };
}

/** Median one-way delay: half the median of sequential round trips, each student to its successor. */
async function oneWayDelayMs(room: Room, probesPerStudent: number): Promise<{ rttP50: number; oneWay: number }> {
  const rtts: number[] = [];
  for (const [i, page] of room.students.entries()) {
    const peer = room.ids[(i + 1) % room.ids.length]!;
    rtts.push(...(await page.evaluate(([p, k]) => window.__room!.probeMany(p, k), [peer, probesPerStudent] as const)));
  }
  const rttP50 = quantile(rtts, 0.5);
  return { rttP50, oneWay: rttP50 / 2 };
}

/** Starts a decision from the dashboard's UI and waits until every student tab shows it. */
async function startDecision(room: Room, algorithm: BenchAlgorithm['name']): Promise<string> {
  const shown = room.host.getByTestId('current-decision');
  const previous = (await shown.count()) > 0 ? await shown.getAttribute('data-decision-id') : null;
  await room.host.getByTestId('algorithm-select').selectOption(algorithm);
  await room.host.getByTestId('scenario-select').selectOption('colors');
  await room.host.getByTestId('start-decision').click();
  await room.host.waitForFunction(
    (prev) => {
      const id = document.querySelector('[data-testid="current-decision"]')?.getAttribute('data-decision-id');
      return id !== undefined && id !== null && id !== prev ? id : undefined;
    },
    previous,
    { timeout: WAIT_MS },
  );
  const id = (await shown.getAttribute('data-decision-id')) ?? '';
  await Promise.all(
    room.students.map((page) =>
      page.waitForFunction(
        (decision) =>
          document.querySelector('[data-testid="decision-panel"]')?.getAttribute('data-decision-id') === decision &&
          document.querySelector('[data-testid="propose-button"]:not([disabled])') !== null,
        id,
        { timeout: WAIT_MS },
      ),
    ),
  );
  return id;
}

/**
 * Arms a MutationObserver in each tab: the wall-clock moment its decided value appears. A string
 * script, because tsx would wrap named inner functions in a helper the page does not have.
 */
const WATCH_DECISION = `(() => {
  delete window.__decided;
  const shown = () => document.querySelector('[data-testid="decision-panel"] [data-testid="decided-value"]');
  const record = (el) => { window.__decided = { at: Date.now(), value: (el.textContent || '').trim() }; };
  if (shown()) { record(shown()); return; }
  const observer = new MutationObserver(() => {
    const el = shown();
    if (el) { record(el); observer.disconnect(); }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

async function armWatchers(room: Room): Promise<void> {
  await Promise.all(room.students.map((page) => page.evaluate(WATCH_DECISION)));
}

interface Run {
  /** Click → every tab shows the value. */
  readonly allMs: number;
  /** Click → median tab shows it. */
  readonly medianTabMs: number;
}

async function decideOnce(room: Room, algorithm: BenchAlgorithm): Promise<Run> {
  await startDecision(room, algorithm.name);
  await armWatchers(room);
  const proposer = room.students[0]!;
  const clickedAt = await proposer.evaluate((value) => {
    const button = document.querySelector<HTMLButtonElement>(`[data-testid="propose-button"][data-value="${value}"]`);
    if (button === null) throw new Error(`no propose button for ${value}`);
    const at = Date.now();
    button.click();
    return at;
  }, PROPOSAL);
  const seen = await Promise.all(
    room.students.map(async (page) => {
      const handle = await page.waitForFunction(
        () => (window as unknown as { __decided?: { at: number; value: string } }).__decided,
        undefined,
        { timeout: WAIT_MS, polling: 20 },
      );
      return (await handle.jsonValue()) as { at: number; value: string };
    }),
  );
  const wrong = seen.filter((s) => s.value !== PROPOSAL);
  if (wrong.length > 0) throw new Error(`${algorithm.name}: tabs showed ${wrong.map((w) => w.value).join(', ')}, not ${PROPOSAL}`);
  const times = seen.map((s) => s.at - clickedAt);
  return { allMs: Math.max(...times), medianTabMs: quantile(times, 0.5) };
}

interface Row {
  readonly n: number;
  readonly algorithm: BenchAlgorithm;
  readonly runs: readonly Run[];
  readonly rttP50: number;
  readonly oneWay: number;
}

/** Sets the dashboard's message delay and waits until every student applied it. */
async function setMessageDelay(room: Room, delayMs: number): Promise<void> {
  await room.host.getByTestId('delay-control').fill(String(delayMs));
  await Promise.all(
    room.students.map((page) =>
      page.waitForFunction(
        (ms) => document.querySelector('[data-testid="decision-panel"]')?.getAttribute('data-message-delay') === String(ms),
        delayMs,
        { timeout: WAIT_MS },
      ),
    ),
  );
}

async function benchSize(browser: Browser, baseURL: string, n: number, runs: number, probes: number, delayMs: number): Promise<Row[]> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    const room = await openRoom(context, baseURL, n);
    if (delayMs > 0) await setMessageDelay(room, delayMs);
    const rows: Row[] = [];
    for (const algorithm of ALGORITHMS) {
      // The one-way delay is measured right before each algorithm's runs, in the same room.
      const { rttP50, oneWay } = await oneWayDelayMs(room, probes);
      // One warm-up decision (first use of each code path in every tab), not counted.
      await decideOnce(room, algorithm);
      const measured: Run[] = [];
      for (let i = 0; i < runs; i++) measured.push(await decideOnce(room, algorithm));
      rows.push({ n, algorithm, runs: measured, rttP50, oneWay });
      process.stdout.write(`  N=${n} ${algorithm.name}: p50 ${quantile(measured.map((r) => r.allMs), 0.5)} ms\n`);
    }
    return rows;
  } finally {
    await context.close();
  }
}

function printTable(rows: readonly Row[], runs: number, probes: number, delayMs: number): void {
  const f = (ms: number): string => (Number.isNaN(ms) ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
  const header = [
    'N',
    'algorithm',
    'all tabs p50 ms',
    'min',
    'max',
    'median tab p50 ms',
    'rtt p50 ms',
    'one-way ms',
    'delays',
    delayMs > 0 ? `delays × (one-way + ${delayMs}) ms` : 'delays × one-way ms',
    'ratio',
  ];
  const body = rows.map((r) => {
    const all = r.runs.map((x) => x.allMs);
    const p50 = quantile(all, 0.5);
    const predicted = r.algorithm.delays * (r.oneWay + delayMs);
    return [
      String(r.n),
      r.algorithm.name,
      f(p50),
      f(Math.min(...all)),
      f(Math.max(...all)),
      f(quantile(r.runs.map((x) => x.medianTabMs), 0.5)),
      f(r.rttP50),
      f(r.oneWay),
      String(r.algorithm.delays),
      f(predicted),
      (p50 / predicted).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of body) console.log(line(row));
  console.log();
  console.log(`all tabs: from the proposer's click until every student tab shows the value (${runs} decisions each, after one warm-up).`);
  console.log('median tab: until half of the tabs show it.');
  console.log(`one-way: half the median data-channel round trip (${probes} probes per student to its successor, idle room).`);
  for (const a of ALGORITHMS) console.log(`delays: ${a.name} = ${a.delays} (${a.path}).`);
  if (delayMs > 0) console.log(`message delay: ${delayMs} ms added by each receiving node to every algorithm message.`);
  console.log(`ratio: all tabs p50 / (delays × ${delayMs > 0 ? '(one-way + message delay)' : 'one-way'}).`);
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:live');
  if (!existsSync(`${DIST_DIR}index.html`)) {
    console.log('bench:live: no built app in dist/, building it first…');
    const { build } = await import('vite');
    await build({ configFile: new URL('../../vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
  }
  const sizes = intList('BENCH_SIZES', '3,5,10', 2, 30);
  const runs = intValue('BENCH_RUNS', 7, 1, 100);
  const probes = intValue('BENCH_PROBES', 40, 1, 1_000);
  const delayMs = intValue('BENCH_DELAY_MS', 0, 0, 3_000);
  const server = await startAppServer(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  const rows: Row[] = [];
  try {
    for (const n of sizes) {
      process.stdout.write(`N=${n}: ${n} student tabs + the dashboard…\n`);
      rows.push(...(await benchSize(browser, server.baseURL, n, runs, probes, delayMs)));
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  printTable(rows, runs, probes, delayMs);
}

main().then(
  // Done: leave even if a library still holds a handle open (a finished benchmark has nothing to wait for).
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    console.error('bench:live: if the classroom UI never appeared, dist/ may be stale: run `npm run build`.');
    process.exit(1);
  },
);
