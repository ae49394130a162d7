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
 * Beside the latencies it prints, each next to its limit (issue 11):
 * - main-thread ms per tab per decision: Chromium's own accounting (CDP Performance.getMetrics
 *   TaskDuration and ScriptDuration in thread time (`timeDomain: 'threadTicks'`, so a tab that the
 *   OS descheduled on a busy machine is not counted as busy), before the click and after the last tab and the dashboard
 *   showed the value), less the tab's idle rate over the same window (heartbeats, timers), so it
 *   is what the decision cost, not wall time. Limit: 15 ms at N ≤ 10, 40 ms at N ≤ 40.
 * - click → dashboard: until the projector's outcome shows the value; and the dashboard's lag
 *   behind the last tab (limit: one frame, ~17 ms, behind the last report; here: behind the last tab).
 * - messages per decision: algorithm messages that crossed the network (Σ students' app messages
 *   sent − the dashboard's app messages received, i.e. reports), beside the algorithm's count for
 *   one proposer and no failure (messages to oneself do not cross the network and are not counted).
 *
 * Options (env): BENCH_SIZES="3,5,10", BENCH_RUNS=7 (decisions per size and algorithm),
 * BENCH_PROBES=40 (round trips per student for the one-way delay), BENCH_DELAY_MS=0 (the
 * dashboard's message delay: with e.g. 1000 every hop costs a second and the ratio checks the
 * critical-path counts themselves, since each delay is then one-way + the added delay).
 */
import { existsSync } from 'node:fs';
import { ensureLoopbackOnly } from './isolate.ts';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { loadavg } from 'node:os';
import {
  clickPropose,
  FRAME_MS,
  idleRates as tabIdleRates,
  intList,
  mainThreadLimitMs,
  openThreadClock,
  printRows,
  quantile,
  taskMsLessIdle,
  threadTimes as sessionThreadTimes,
  waitDashboardDecided,
  waitTabDecided,
  WATCH_DASHBOARD,
  WATCH_DECISION,
  type ThreadTime,
} from './cdp.ts';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { DIST_DIR, startAppServer } from '../e2e/support/server.ts';

/** A room that has not meshed, or a decision not shown everywhere, by then is a failure. */
const WAIT_MS = 60_000;
/** Proposals go to this value; every tab must show exactly it. */
const PROPOSAL = 'blue';

/**
 * Network messages of one undisturbed decision with one proposer among n nodes (self excluded):
 * - Paxos: prepare, promise, accept to/from the n−1 others, then every acceptor's `accepted` to
 *   the n−1 others: 3(n−1) + n(n−1).
 * - Majority: the candidate to n−1, every vote to n−1 (no acknowledgements: a vote is resent,
 *   asking for the other's, only to a member whose vote did not arrive): (n−1) + n(n−1).
 */
const ALGORITHMS = [
  { name: 'paxos', delays: 4, path: 'prepare, promise, accept, accepted', formula: '3(n−1) + n(n−1)', messages: (n: number) => 3 * (n - 1) + n * (n - 1) },
  { name: 'majority', delays: 2, path: 'candidate, vote', formula: '(n−1) + n(n−1)', messages: (n: number) => n - 1 + n * (n - 1) },
] as const;

/** After the last tab and the dashboard show the value: trailing acks and reports land. */
const SETTLE_MS = 300;
/** Window over which each tab's idle main-thread rate is measured, before the runs. */
const IDLE_WINDOW_MS = 2_000;
type BenchAlgorithm = (typeof ALGORITHMS)[number];


function intValue(name: string, fallback: number, min: number, max: number): number {
  const [value] = intList(name, String(fallback), min, max);
  return value ?? fallback;
}

interface Room {
  readonly host: Page;
  readonly students: readonly Page[];
  readonly ids: readonly string[];
  /** One CDP session per student tab, for its main-thread metrics. */
  readonly cdp: readonly CDPSession[];
}

async function threadTimes(room: Room): Promise<ThreadTime[]> {
  return sessionThreadTimes(room.cdp);
}

/** App messages each tab sent / received so far (the transport's counters). */
async function appCounts(page: Page): Promise<{ sent: number; received: number }> {
  return page.evaluate(() => {
    const stats = window.__room!.stats();
    return { sent: stats.sent, received: stats.received };
  });
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
  const cdp = await Promise.all(students.map((page) => openThreadClock(context, page)));
  return { host, students, ids, cdp };
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

async function armWatchers(room: Room): Promise<void> {
  await Promise.all([...room.students.map((page) => page.evaluate(WATCH_DECISION)), room.host.evaluate(WATCH_DASHBOARD)]);
}

/** Each tab's idle main-thread rate (ms per ms), measured over IDLE_WINDOW_MS. */
async function idleRates(room: Room): Promise<number[]> {
  return tabIdleRates(room.cdp, IDLE_WINDOW_MS);
}

interface Run {
  /** Click → every tab shows the value. */
  readonly allMs: number;
  /** Click → median tab shows it. */
  readonly medianTabMs: number;
  /** Click → the dashboard's outcome shows it. */
  readonly dashboardMs: number;
  /** Click → every node card on the dashboard shows it decided. */
  readonly cardsMs: number;
  /** Median over tabs of main-thread task time in the window, less the idle rate; ms. */
  readonly taskMsPerTab: number;
  /** The same for script time alone (no idle correction: idle scripts are heartbeats). */
  readonly scriptMsPerTab: number;
  /** Algorithm messages that crossed the network. */
  readonly messages: number;
}

async function decideOnce(room: Room, algorithm: BenchAlgorithm, idle: readonly number[]): Promise<Run> {
  await startDecision(room, algorithm.name);
  await armWatchers(room);
  const proposer = room.students[0]!;
  const countsBefore = await Promise.all([room.host, ...room.students].map(appCounts));
  const timesBefore = await threadTimes(room);
  const windowStart = Date.now();
  const clickedAt = await clickPropose(proposer, PROPOSAL);
  const seen = await Promise.all(room.students.map((page) => waitTabDecided(page, WAIT_MS)));
  const wrong = seen.filter((s) => s.value !== PROPOSAL);
  if (wrong.length > 0) throw new Error(`${algorithm.name}: tabs showed ${wrong.map((w) => w.value).join(', ')}, not ${PROPOSAL}`);
  const dashboard = await waitDashboardDecided(room.host, WAIT_MS);
  if (dashboard.decided.value !== PROPOSAL) throw new Error(`${algorithm.name}: the dashboard showed ${dashboard.decided.value}`);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const timesAfter = await threadTimes(room);
  const windowMs = Date.now() - windowStart;
  const countsAfter = await Promise.all([room.host, ...room.students].map(appCounts));
  const reports = countsAfter[0]!.received - countsBefore[0]!.received;
  const studentSent = countsAfter.slice(1).reduce((sum, c, i) => sum + c.sent - countsBefore[i + 1]!.sent, 0);
  const times = seen.map((s) => s.at - clickedAt);
  const task = taskMsLessIdle(timesBefore, timesAfter, idle, windowMs);
  const script = timesAfter.map((t, i) => t.scriptMs - timesBefore[i]!.scriptMs);
  return {
    allMs: Math.max(...times),
    medianTabMs: quantile(times, 0.5),
    dashboardMs: dashboard.decided.at - clickedAt,
    cardsMs: dashboard.cards.at - clickedAt,
    taskMsPerTab: quantile(task, 0.5),
    scriptMsPerTab: quantile(script, 0.5),
    messages: studentSent - reports,
  };
}

interface Row {
  readonly n: number;
  readonly algorithm: BenchAlgorithm;
  readonly runs: readonly Run[];
  readonly rttP50: number;
  readonly oneWay: number;
  /** Load average (1 min) when this row's decisions ended: other work on the machine inflates every figure. */
  readonly load: number;
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
      const idle = await idleRates(room);
      // One warm-up decision (first use of each code path in every tab), not counted.
      await decideOnce(room, algorithm, idle);
      const measured: Run[] = [];
      for (let i = 0; i < runs; i++) measured.push(await decideOnce(room, algorithm, idle));
      rows.push({ n, algorithm, runs: measured, rttP50, oneWay, load: loadavg()[0]! });
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
  printRows(header, body);
  console.log(`all tabs: from the proposer's click until every student tab shows the value (${runs} decisions each, after one warm-up).`);
  console.log('median tab: until half of the tabs show it.');
  console.log(`one-way: half the median data-channel round trip (${probes} probes per student to its successor, idle room).`);
  for (const a of ALGORITHMS) console.log(`delays: ${a.name} = ${a.delays} (${a.path}).`);
  if (delayMs > 0) console.log(`message delay: ${delayMs} ms added by each receiving node to every algorithm message.`);
  console.log(`ratio: all tabs p50 / (delays × ${delayMs > 0 ? '(one-way + message delay)' : 'one-way'}).`);
  printCostTable(rows);
}

/** Issue 11's figures, each beside its limit: medians over the measured decisions. */
function printCostTable(rows: readonly Row[]): void {
  const f = (ms: number): string => (Number.isNaN(ms) ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
  const p50 = (r: Row, pick: (run: Run) => number): number => quantile(r.runs.map(pick), 0.5);
  const header = [
    'N',
    'algorithm',
    'main-thread ms/tab',
    'limit',
    'script ms/tab',
    'click→last tab',
    'click→dashboard',
    'click→all cards',
    'dashboard lag',
    'lag limit',
    'messages',
    'theory',
    'load 1 min',
  ];
  const body = rows.map((r) => {
    const task = p50(r, (x) => x.taskMsPerTab);
    const limit = mainThreadLimitMs(r.n);
    const lag = p50(r, (x) => x.dashboardMs - x.allMs);
    return [
      String(r.n),
      r.algorithm.name,
      `${f(task)} ${task <= limit ? 'ok' : '✗'}`,
      `≤ ${limit}`,
      f(p50(r, (x) => x.scriptMsPerTab)),
      f(p50(r, (x) => x.allMs)),
      f(p50(r, (x) => x.dashboardMs)),
      f(p50(r, (x) => x.cardsMs)),
      `${f(lag)} ${lag <= FRAME_MS ? 'ok' : '✗'}`,
      `≤ ${f(FRAME_MS)}`,
      String(p50(r, (x) => x.messages)),
      String(r.algorithm.messages(r.n)),
      r.load.toFixed(1),
    ];
  });
  printRows(header, body);
  console.log('All figures are medians over the measured decisions; ✗ marks a figure over its limit.');
  console.log(
    `main-thread ms/tab: CDP TaskDuration from just before the click until ${SETTLE_MS} ms after the last tab and the dashboard showed the value, less the tab's idle rate; median over tabs.`,
  );
  console.log('script ms/tab: CDP ScriptDuration over the same window, not corrected for idle.');
  console.log('dashboard lag: click→dashboard − click→last tab (the limit is one frame behind the last report).');
  console.log('messages: algorithm messages that crossed the network (Σ students sent − reports the dashboard received).');
  for (const a of ALGORITHMS) console.log(`theory: ${a.name} = ${a.formula} (one proposer, no failure).`);
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
