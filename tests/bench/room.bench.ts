/**
 * `npm run bench:room` — a whole classroom room on this machine: for N = 10, 20, 40 students
 * (a few real Chromium tabs, robots filling the rest) plus the teacher's dashboard tab:
 * - mesh formation: from opening the first tab until every node (tabs and robots) lists every
 *   other as connected;
 * - idle CPU: process CPU time (user + system, from /proc) of Chromium (all its processes), the
 *   robots' process and the signaling server over 10 s of an idle, meshed room, in cores;
 * - click to last node: a Paxos decision started from the dashboard's UI, one tab's propose
 *   button clicked, until the LAST node (tab or robot) has decided; every node must decide the
 *   clicked value.
 * Each figure is printed beside its target (issue #11) in the same run. Not a test: it prints a
 * table and exits; every wait is bounded.
 *
 * Network rule: runs in a network namespace of its own (re-executes itself under `unshare -n`
 * when not in one, needs root) with a veth pair whose two addresses exist only there: robots
 * (node-datachannel) do not pair over loopback, tabs and robots pair over the veth addresses.
 *
 * Options (env): BENCH_ROOM_SIZES="10,20,40", BENCH_ROOM_TABS=5 (student tabs per room, at most
 * N), BENCH_ROOM_RUNS=3 (decisions per size).
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium, type Browser, type Page } from '@playwright/test';
import { MAX_PEERS_PER_ROOM } from '../../src/limits.ts';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import * as signalingProtocol from '../../src/transport/signaling-protocol.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from '../e2e/support/chromium.ts';
import { Robots } from '../e2e/support/robots.ts';
import { DIST_DIR, startAppServer } from '../e2e/support/server.ts';
import { childrenMatching, processCpu, treeCpu } from './cpu.ts';
import { ensureLoopbackOnly } from './isolate.ts';

/** Targets from issue #11 ("A real class of 40"), compared against in the table. */
const TARGETS = {
  /** "Mesh formation for 40 nodes ≤ 10 s here." */
  meshMs: 10_000,
  /** "Idle CPU of a 40-node write-once room ≤ 0.2 cores in total on this machine." */
  idleCores: 0.2,
} as const;

const WAIT_MS = 90_000;
const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 10_000;
const PROPOSAL = 'blue';

function intList(name: string, fallback: string, min: number, max: number): number[] {
  const raw = process.env[name] ?? fallback;
  const parsed = raw.split(',').map((s) => Number(s.trim()));
  if (parsed.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new Error(`${name}: ${min}..${max} each, got "${raw}"`);
  return parsed;
}

interface Row {
  readonly n: number;
  readonly tabs: number;
  readonly robots: number;
  readonly meshMs: number;
  readonly cpu: { readonly chromium: number; readonly robots: number; readonly server: number };
  readonly lastNodeMs: readonly number[];
}

interface Room {
  readonly code: string;
  readonly host: Page;
  readonly students: readonly Page[];
  readonly robots: Robots | undefined;
}

/** The server admits robots under the teacher's key once it has that endpoint (the server work of #11). */
function serverAdmitsRobots(): boolean {
  return 'robotsPath' in signalingProtocol;
}

async function connectedCount(page: Page, others: number): Promise<void> {
  await page.waitForFunction(
    (n) => window.__room !== undefined && window.__room.peers().filter((p) => p.status === 'connected').length === n,
    others,
    { timeout: WAIT_MS, polling: 50 },
  );
}

async function openRoom(browser: Browser, baseURL: string, tabs: number, robots: number): Promise<{ room: Room; meshMs: number }> {
  const context = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  const code = randomRoomCode(cryptoRandomIndex);
  const open = async (query: Record<string, string>): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(`${baseURL}/?${new URLSearchParams({ room: code, test: '1', ...query })}`);
    return page;
  };
  const started = performance.now();
  const host = await open({ view: 'host' });
  await host.waitForFunction(() => window.__room !== undefined, undefined, { timeout: WAIT_MS });
  const hostKey = serverAdmitsRobots()
    ? await host.evaluate((room) => localStorage.getItem(`consensus-playground:host-key:${room}`) ?? undefined, code)
    : undefined;
  const [students, fleet] = await Promise.all([
    Promise.all(Array.from({ length: tabs }, (_, i) => open({ name: `Tab ${i + 1}` }))),
    robots > 0
      ? Robots.start({ room: code, count: robots, baseURL, maxSeconds: 600, ...(hostKey ? { hostKey } : {}) })
      : Promise.resolve(undefined),
  ]);
  const n = tabs + robots;
  await Promise.all([
    connectedCount(host, n),
    ...students.map((page) => connectedCount(page, n)),
    fleet?.waitState((state) => state.every((r) => r.connected === n), WAIT_MS, 'full mesh'),
  ]);
  return { room: { code, host, students, robots: fleet }, meshMs: performance.now() - started };
}

const WATCH_DECISION = `(() => {
  delete window.__decided;
  const shown = () => document.querySelector('[data-testid="decision-panel"] [data-testid="decided-value"]');
  const record = (el) => { window.__decided = { at: Date.now(), value: (el.textContent || '').trim() }; };
  if (shown()) { record(shown()); return; }
  const observer = new MutationObserver(() => { const el = shown(); if (el) { record(el); observer.disconnect(); } });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

async function startDecision(room: Room): Promise<string> {
  const shown = room.host.getByTestId('current-decision');
  const previous = (await shown.count()) > 0 ? await shown.getAttribute('data-decision-id') : null;
  await room.host.getByTestId('algorithm-select').selectOption('paxos');
  await room.host.getByTestId('scenario-select').selectOption('colors');
  await room.host.getByTestId('start-decision').click();
  const id = (await (
    await room.host.waitForFunction(
      (prev) => {
        const value = document.querySelector('[data-testid="current-decision"]')?.getAttribute('data-decision-id');
        return value && value !== prev ? value : undefined;
      },
      previous,
      { timeout: WAIT_MS },
    )
  ).jsonValue()) as string;
  await Promise.all([
    ...room.students.map((page) =>
      page.waitForFunction(
        (decision) =>
          document.querySelector('[data-testid="decision-panel"]')?.getAttribute('data-decision-id') === decision &&
          document.querySelector('[data-testid="propose-button"]:not([disabled])') !== null,
        id,
        { timeout: WAIT_MS },
      ),
    ),
    room.robots?.waitState((state) => state.every((r) => r.decisions.some((d) => d.decision === id)), WAIT_MS, `decision ${id} known`),
  ]);
  return id;
}

/** One decision: click in the first tab, until the last tab or robot decided. */
async function clickToLastNode(room: Room): Promise<number> {
  const decision = await startDecision(room);
  await Promise.all(room.students.map((page) => page.evaluate(WATCH_DECISION)));
  const clickedAt = await room.students[0]!.evaluate((value) => {
    const button = document.querySelector<HTMLButtonElement>(`[data-testid="propose-button"][data-value="${value}"]`);
    if (button === null) throw new Error(`no propose button for ${value}`);
    const at = Date.now();
    button.click();
    return at;
  }, PROPOSAL);
  const [tabs, robots] = await Promise.all([
    Promise.all(
      room.students.map(async (page) => {
        const handle = await page.waitForFunction(() => (window as unknown as { __decided?: { at: number; value: string } }).__decided, undefined, {
          timeout: WAIT_MS,
          polling: 20,
        });
        return (await handle.jsonValue()) as { at: number; value: string };
      }),
    ),
    room.robots ? room.robots.waitDecided(decision, room.robots.ids.length, WAIT_MS) : Promise.resolve([]),
  ]);
  const all = [...tabs, ...robots];
  const wrong = all.filter((d) => d.value !== PROPOSAL);
  if (wrong.length > 0) throw new Error(`decision ${decision}: nodes decided ${wrong.map((w) => w.value).join(', ')}, not ${PROPOSAL}`);
  return Math.max(...all.map((d) => d.at)) - clickedAt;
}

async function benchSize(browser: Browser, baseURL: string, n: number, tabs: number, runs: number): Promise<Row> {
  const robots = n - tabs;
  process.stdout.write(`N=${n}: ${tabs} tabs + ${robots} robots + the dashboard… `);
  const { room, meshMs } = await openRoom(browser, baseURL, tabs, robots);
  process.stdout.write(`mesh ${(meshMs / 1000).toFixed(1)} s, `);
  try {
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const [browserPid] = childrenMatching(process.pid, 'chrom');
    if (browserPid === undefined) throw new Error('cannot find the Chromium process');
    const trees = await Promise.all([
      treeCpu({ chromium: browserPid, ...(room.robots ? { robots: room.robots.pid } : {}) }, IDLE_WINDOW_MS),
      processCpu(process.pid, IDLE_WINDOW_MS),
    ]);
    const cpu = { chromium: trees[0]['chromium'] ?? 0, robots: trees[0]['robots'] ?? 0, server: trees[1] };
    process.stdout.write(`idle ${(cpu.chromium + cpu.robots + cpu.server).toFixed(2)} cores, `);
    const lastNodeMs: number[] = [];
    for (let i = 0; i < runs; i++) lastNodeMs.push(await clickToLastNode(room));
    process.stdout.write(`decided in ${lastNodeMs.join(', ')} ms\n`);
    return { n, tabs, robots, meshMs, cpu, lastNodeMs };
  } finally {
    await room.robots?.stop();
    await room.host.context().close();
  }
}

function printTable(rows: readonly Row[]): void {
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'OVER');
  const header = ['N', 'tabs+robots', 'mesh s', 'mesh target', 'idle cores (chromium/robots/server)', 'idle total', 'idle target', 'click→last node ms (each run)'];
  const body = rows.map((r) => {
    const idle = r.cpu.chromium + r.cpu.robots + r.cpu.server;
    const meshTarget = r.n === 40 ? `≤ ${TARGETS.meshMs / 1000} s ${verdict(r.meshMs <= TARGETS.meshMs)}` : '(40 only)';
    const idleTarget = r.n === 40 ? `≤ ${TARGETS.idleCores} ${verdict(idle <= TARGETS.idleCores)}` : '(40 only)';
    return [
      String(r.n),
      `${r.tabs}+${r.robots}`,
      (r.meshMs / 1000).toFixed(1),
      meshTarget,
      `${r.cpu.chromium.toFixed(3)} / ${r.cpu.robots.toFixed(3)} / ${r.cpu.server.toFixed(3)}`,
      idle.toFixed(3),
      idleTarget,
      r.lastNodeMs.join(', '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of body) console.log(line(row));
  console.log();
  console.log('N: students (tabs + robots); the teacher’s dashboard tab comes on top and is part of the mesh and of Chromium’s CPU.');
  console.log('mesh: from opening the dashboard until every tab and robot lists all N other nodes as connected.');
  console.log(`idle: CPU time from /proc over ${IDLE_WINDOW_MS / 1000} s of the meshed room, ${IDLE_SETTLE_MS / 1000} s after it formed, in cores (1 = one core busy).`);
  console.log('click→last node: Paxos, colors; from the first tab’s click until the last tab or robot decided (no target in #11).');
  console.log(`load average of the machine during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on it inflates every figure)`);
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:room', { robots: true });
  if (!existsSync(`${DIST_DIR}index.html`)) {
    console.log('bench:room: no built app in dist/, building it first…');
    const { build } = await import('vite');
    await build({ configFile: new URL('../../vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
  }
  const sizes = intList('BENCH_ROOM_SIZES', '10,20,40', 1, MAX_PEERS_PER_ROOM);
  const [tabsWanted] = intList('BENCH_ROOM_TABS', '5', 1, MAX_PEERS_PER_ROOM);
  const [runs] = intList('BENCH_ROOM_RUNS', '3', 1, 20);
  // The room limit counts students only: 40 students and the dashboard fit a room.
  const server = await startAppServer(0);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  const rows: Row[] = [];
  try {
    for (const n of sizes) rows.push(await benchSize(browser, server.baseURL, n, Math.min(n, tabsWanted!), runs!));
  } finally {
    await browser.close();
    await server.stop();
  }
  printTable(rows);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
