/**
 * `npm run bench:replication` — how fast the replicated logs run. Not a test: it prints tables,
 * each figure beside its limit, for every log algorithm in LOG_ALGORITHMS that is not broken on
 * purpose (Multi-Paxos appears when it is registered).
 *
 * 1. Simulator (the log swarm with the CLI's workload: 5 nodes, 3 clients × 5 order-book
 *    commands, no faults and all faults): client commands committed per wall-clock second of
 *    simulation (checkers and the linearizability search included), and per virtual second of
 *    the simulated run. Limit: CI's 2,000 seeds per algorithm (30,000 commands) should take at
 *    most a minute of one core, a modest share of the 15-minute budget: ≥ 500 commands per wall
 *    second.
 * 2. Live room (5 real Chromium student tabs + the dashboard over WebRTC on loopback, the app's
 *    own buttons): commands per second with every phone placing orders one after the other
 *    (each waits for its answer: a client has one command outstanding), and latency per command
 *    from the click to the answer shown on the phone, beside 2 × the measured one-way delay
 *    (follower → leader → follower is the least a forwarded command needs; from the leader's
 *    own phone it is leader → followers → leader), with the ratio. Limit on the rate: the
 *    phones' own command rate limit (LIVE_COMMAND_BURST per phone at once, then
 *    LIVE_COMMANDS_PER_MINUTE); the run stays inside one burst so that limit does not bite.
 * 3. Live failover: the leader's tab closed → the first entry committed after it (the new
 *    leader's first commit, seen as an applied index moving on a surviving phone). Limit: the
 *    longest election timeout (RAFT_ELECTION_TIMEOUT_FACTOR × LIVE_ELECTION_TIMEOUT_MS) plus
 *    one second for the close to be noticed and the vote round.
 *
 * Network rule: WebRTC here only ever sees loopback; outside a loopback-only namespace the script
 * re-executes itself under `unshare -n` (see isolate.ts).
 *
 * Options (env): BENCH_SEEDS=200 (simulator seeds per fault family), BENCH_COMMANDS=8 (commands
 * per phone in the live run, at most LIVE_COMMAND_BURST and LIVE_MAX_ANSWERS_SHOWN), BENCH_PROBES=40.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type Page } from '@playwright/test';
import { LIVE_COMMAND_BURST, LIVE_COMMANDS_PER_MINUTE, LIVE_MAX_ANSWERS_SHOWN, LIVE_ELECTION_TIMEOUT_MS, RAFT_ELECTION_TIMEOUT_FACTOR } from '../../src/limits.ts';
import { LOG_ALGORITHMS } from '../../src/machines/log-index.ts';
import { LOG_ALGORITHM_NAMES, type LogAlgorithmName } from '../../src/machines/spec.ts';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { runLogSwarm } from '../../src/sim/log-swarm.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { DIST_DIR, startAppServer } from '../e2e/support/server.ts';
import { ensureLoopbackOnly } from './isolate.ts';

const WAIT_MS = 60_000;
const STUDENTS = 5;
const SIM_LIMIT_COMMANDS_PER_SECOND = 500;
const FAILOVER_LIMIT_MS = RAFT_ELECTION_TIMEOUT_FACTOR * LIVE_ELECTION_TIMEOUT_MS + 1_000;

function intValue(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${raw}`);
  return value;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

// ---- 1. simulator ---------------------------------------------------------------------------

function simulator(algorithms: readonly LogAlgorithmName[], seeds: number): void {
  console.log(`\nSimulator: log swarm, 5 nodes, 3 clients × 5 commands (orders), ${seeds} seeds per row`);
  console.log('algorithm        faults  commands  wall s  commands/wall s  limit ≥   commands/virtual s  violations');
  for (const name of algorithms) {
    for (const faults of ['none', 'all'] as const) {
      const started = performance.now();
      const summary = runLogSwarm({ algorithm: LOG_ALGORITHMS[name], stateMachine: 'orders', nodes: 5, clients: 3, commands: 5, faults, seeds });
      const wallS = (performance.now() - started) / 1000;
      const rate = summary.committed / wallS;
      console.log(
        `${name.padEnd(16)} ${faults.padEnd(6)}  ${String(summary.committed).padStart(8)}  ${fmt(wallS, 2).padStart(6)}  ${fmt(rate, 0).padStart(15)}  ${String(SIM_LIMIT_COMMANDS_PER_SECOND).padStart(7)}  ${fmt(summary.commandsPerVirtualSecond ?? Number.NaN).padStart(18)}  ${summary.violationRuns}`,
      );
    }
  }
}

// ---- 2 and 3. the live room -----------------------------------------------------------------

interface LiveRoom {
  readonly host: Page;
  readonly students: Page[];
  readonly ids: string[];
}

async function openRoom(browser: Browser, baseURL: string): Promise<LiveRoom> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS], baseURL });
  // tsx keeps function names with an `__name(fn, "name")` helper that the page does not have:
  // the functions this script evaluates in the tabs need it defined there.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  const room = randomRoomCode(cryptoRandomIndex);
  const open = async (query: Record<string, string>): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`/?${new URLSearchParams({ room, ...query })}`);
    return page;
  };
  const host = await open({ view: 'host' });
  const students = await Promise.all(Array.from({ length: STUDENTS }, (_, i) => open({ name: `Phone ${i + 1}` })));
  await Promise.all(
    [host, ...students].map((page) =>
      page.waitForFunction(
        (others) => window.__room !== undefined && window.__room.peers().filter((p) => p.status === 'connected').length === others,
        STUDENTS,
        { timeout: WAIT_MS, polling: 20 },
      ),
    ),
  );
  const ids = await Promise.all(students.map((page) => page.evaluate(() => window.__room!.self)));
  return { host, students, ids };
}

async function oneWayDelayMs(room: LiveRoom, probes: number): Promise<number> {
  const rtts: number[] = [];
  for (const [i, page] of room.students.entries()) {
    const peer = room.ids[(i + 1) % room.ids.length] as string;
    rtts.push(...(await page.evaluate(([p, k]) => window.__room!.probeMany(p, k), [peer, probes] as const)));
  }
  return quantile(rtts, 0.5) / 2;
}

async function startBook(room: LiveRoom, algorithm: LogAlgorithmName): Promise<void> {
  await room.host.getByTestId('book-select').selectOption(`orders:${algorithm}`);
  await room.host.getByTestId('start-book').click();
  await room.host.getByTestId('book-board').waitFor({ timeout: WAIT_MS });
  const id = await room.host.getByTestId('book-board').getAttribute('data-book-id');
  await Promise.all(room.students.map((p) => p.locator(`[data-testid="book-panel"][data-book-id="${id}"]`).waitFor({ timeout: WAIT_MS })));
}

async function leaderIndex(room: LiveRoom, among: readonly number[]): Promise<number> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const roles = await Promise.all(among.map((i) => (room.students[i] as Page).getByTestId('my-role').getAttribute('data-role')));
    const leaders = among.filter((_, k) => roles[k] === 'leader');
    if (leaders.length === 1) return leaders[0] as number;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no single leader');
}

/**
 * In the phone: presses Place `count` times, each after the previous command's answer is shown;
 * returns each command's click → answer time and the first click / last answer instants.
 */
async function placeInLoop(page: Page, count: number): Promise<{ latencies: number[]; first: number; last: number }> {
  return page.evaluate(async (count) => {
    const answered = (): number => document.querySelectorAll('[data-testid="my-command"][data-answered="true"]').length;
    const latencies: number[] = [];
    let first = 0;
    let last = 0;
    for (let i = 0; i < count; i++) {
      const before = answered();
      const clickAt = performance.now();
      if (i === 0) first = Date.now();
      document.querySelector<HTMLButtonElement>('[data-testid="place-order"]')!.click();
      await new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(() => reject(new Error('no answer within 30 s')), 30_000);
        const check = (): void => {
          // At most LIVE_MAX_ANSWERS_SHOWN commands per phone here, so the list never drops one.
          if (answered() > before) {
            clearTimeout(timeout);
            observer.disconnect();
            resolve();
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-answered'] });
        check();
      });
      latencies.push(performance.now() - clickAt);
      last = Date.now();
    }
    return { latencies, first, last };
  }, count);
}

/** Arms every phone to note the wall time at which its applied index first moves past `from`. */
async function armCommitWatch(pages: readonly Page[]): Promise<void> {
  await Promise.all(
    pages.map((page) =>
      page.evaluate(() => {
        const panel = document.querySelector('[data-testid="book-panel"]')!;
        const from = Number(panel.getAttribute('data-applied'));
        const w = window as unknown as { __movedAt?: number };
        delete w.__movedAt;
        const observer = new MutationObserver(() => {
          if (Number(panel.getAttribute('data-applied')) > from && w.__movedAt === undefined) {
            w.__movedAt = Date.now();
            observer.disconnect();
          }
        });
        observer.observe(panel, { attributes: true, attributeFilter: ['data-applied'] });
      }),
    ),
  );
}

interface LiveFigures {
  readonly algorithm: LogAlgorithmName;
  readonly oneWayMs: number;
  readonly commands: number;
  readonly perSecond: number;
  readonly latencyP50: number;
  readonly latencyP90: number;
  readonly failoverMs: number;
}

async function live(browser: Browser, baseURL: string, algorithm: LogAlgorithmName, perPhone: number, probes: number): Promise<LiveFigures> {
  const room = await openRoom(browser, baseURL);
  try {
    const oneWayMs = await oneWayDelayMs(room, probes);
    await startBook(room, algorithm);
    await leaderIndex(room, room.students.map((_, i) => i));
    const runs = await Promise.all(room.students.map((page) => placeInLoop(page, perPhone)));
    const first = Math.min(...runs.map((r) => r.first));
    const last = Math.max(...runs.map((r) => r.last));
    const latencies = runs.flatMap((r) => r.latencies);
    const commands = latencies.length;
    // Failover: close the leader's tab, wait for the first commit after it on a survivor.
    const leader = await leaderIndex(room, room.students.map((_, i) => i));
    const survivors = room.students.filter((_, i) => i !== leader);
    await armCommitWatch(survivors);
    const closedAt = Date.now();
    await (room.students[leader] as Page).close();
    // A survivor submits so there is a command to commit once a new leader is up (Raft's new
    // leader commits its no-op first anyway).
    await (survivors[0] as Page).getByTestId('place-order').click();
    const movedAt = await Promise.race(
      survivors.map((page) =>
        page.waitForFunction(() => (window as unknown as { __movedAt?: number }).__movedAt, undefined, { timeout: WAIT_MS, polling: 10 }).then((h) => h.jsonValue() as Promise<number>),
      ),
    );
    return {
      algorithm,
      oneWayMs,
      commands,
      perSecond: commands / ((last - first) / 1000),
      latencyP50: quantile(latencies, 0.5),
      latencyP90: quantile(latencies, 0.9),
      failoverMs: movedAt - closedAt,
    };
  } finally {
    await room.host.context().close();
  }
}

function printLive(rows: readonly LiveFigures[], perPhone: number): void {
  const rateLimit = STUDENTS * LIVE_COMMANDS_PER_MINUTE / 60;
  console.log(`\nLive room: ${STUDENTS} phones × ${perPhone} orders each, one outstanding per phone, message delay 0`);
  console.log('algorithm        commands  commands/s  limit (burst, then)         latency p50  p90     2×one-way  ratio p50');
  for (const r of rows) {
    const twoWay = 2 * r.oneWayMs;
    console.log(
      `${r.algorithm.padEnd(16)} ${String(r.commands).padStart(8)}  ${fmt(r.perSecond).padStart(10)}  ${`${STUDENTS}×${LIVE_COMMAND_BURST} at once, ${fmt(rateLimit, 0)}/s`.padEnd(26)}  ${fmt(r.latencyP50).padStart(8)} ms  ${fmt(r.latencyP90).padStart(5)}  ${fmt(twoWay, 2).padStart(7)} ms  ${fmt(r.latencyP50 / twoWay).padStart(8)}×`,
    );
  }
  console.log('\nLive failover: leader tab closed → first new commit on a surviving phone');
  console.log('algorithm        failover ms  limit ms');
  for (const r of rows) console.log(`${r.algorithm.padEnd(16)} ${fmt(r.failoverMs, 0).padStart(11)}  ${String(FAILOVER_LIMIT_MS).padStart(8)}`);
  console.log(
    '\nWhy the ratio is large: a command is timed from the click to the answer the phone renders (at most once per frame), through forwarding, the leader, persistence in localStorage and the reports, with 6 tabs sharing the cores; 2 × one-way is the network alone.',
  );
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:replication');
  const algorithms = LOG_ALGORITHM_NAMES.filter((name) => !LOG_ALGORITHMS[name].broken);
  const seeds = intValue('BENCH_SEEDS', 200, 1, 10_000);
  const perPhone = intValue('BENCH_COMMANDS', 8, 1, Math.min(LIVE_COMMAND_BURST, LIVE_MAX_ANSWERS_SHOWN));
  const probes = intValue('BENCH_PROBES', 40, 1, 1_000);
  simulator(algorithms, seeds);
  if (!existsSync(`${DIST_DIR}index.html`)) throw new Error('bench:replication: no built app in dist/: run `npm run build` first');
  const server = await startAppServer(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  const rows: LiveFigures[] = [];
  try {
    for (const algorithm of algorithms) {
      process.stdout.write(`\n${algorithm}: ${STUDENTS} phones + the dashboard…\n`);
      rows.push(await live(browser, server.baseURL, algorithm, perPhone, probes));
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  printLive(rows, perPhone);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
