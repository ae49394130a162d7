/**
 * `npm run bench:idle` — what an idle room of robots costs, without a browser: N robots (the
 * real `npm run robots` CLI, its worker processes) in one room on our signaling server, in a
 * namespace of their own (tests/bench/isolate.ts). Prints, per run:
 * - mesh: from starting the CLI until every robot lists the N−1 others as connected, and the
 *   CPU seconds the robots' processes and this process (the signaling server) used meanwhile
 *   (on 2 cores, the wall time cannot be below that sum / 2);
 * - idle: the robots' processes' CPU (user + system from /proc, each process and in total) over
 *   IDLE_WINDOW_MS of the meshed, idle room, in cores, and the signaling server's.
 * The robots' settings come from the environment, so the same run compares options: the CLI's
 * worker processes inherit it (CP_BENCH_ROBOTS_PER_PROCESS, CP_BENCH_HEARTBEAT_MS, CP_BENCH_RTC,
 * see src/robots). Not a test: it prints and exits; every wait is bounded.
 *
 * Options (env): BENCH_IDLE_SIZES="20,40", BENCH_IDLE_RUNS=1; BENCH_IDLE_PERF=<file prefix>: after
 * the measured window, `perf record` the robots' processes for another IDLE_WINDOW_MS (sampling
 * costs CPU, so not during the figure) into <prefix>-N<n>-<run>.data, for `perf report --sort
 * comm,dso,sym` (thread names: "juice poll", "juice mux", "usrsctp timer"? see the report's comm).
 */
import { loadavg } from 'node:os';
import { MAX_PEERS_PER_ROOM } from '../../src/limits.ts';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import { Robots } from '../e2e/support/robots.ts';
import { startAppServer } from '../e2e/support/server.ts';
import { intList } from './cdp.ts';
import { cpuByThread, describeCpuByThread, processTree, threadBreakdown, treeCpuSeconds, treeThreadTicks } from './cpu.ts';
import { ensureLoopbackOnly } from './isolate.ts';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { RobotSnapshot } from '../../src/robots/robot.ts';

const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 10_000;
const MESH_WAIT_MS = 120_000;

function ticks(pid: number): number {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

/** Open sockets of `pid` (UDP for ICE, one per connection without the mux; TCP for signaling). */
function sockets(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

let perfRuns = 0;

/** Data-channel frames all robots received, and liveness frames they sent, so far. */
function frameCounts(state: readonly RobotSnapshot[]): { received: number; heartbeats: number } {
  return state.reduce((a, r) => ({ received: a.received + (r.frames?.received ?? 0), heartbeats: a.heartbeats + (r.frames?.heartbeats ?? 0) }), { received: 0, heartbeats: 0 });
}

/** UDP datagrams received in this network namespace so far (/proc/net/snmp): ICE consent checks, SCTP heartbeats, app frames, both ways. */
function udpDatagrams(): { in: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/).map(Number);
  return { in: values[names.indexOf('InDatagrams')]! };
}

async function one(baseURL: string, n: number): Promise<string> {
  const room = randomRoomCode(cryptoRandomIndex);
  const serverAt = ticks(process.pid);
  const started = performance.now();
  const robots = await Robots.start({ room, count: n, baseURL, maxSeconds: 600, readyTimeoutMs: 120_000 });
  const readyMs = performance.now() - started;
  try {
    // Without heartbeats (CP_BENCH_HEARTBEAT_MS huge) idle peers turn 'suspected': count open channels instead.
    const quiet = Number(process.env['CP_BENCH_HEARTBEAT_MS'] ?? 0) > 60_000;
    const linked = (m: NonNullable<RobotSnapshot['mesh']>): number => m.opened - m.closed - m.dropped.down - m.dropped.failedAndSilent - m.dropped.silent;
    await robots.waitState((state) => state.every((r) => (quiet ? linked(r.mesh!) >= n - 1 : r.connected === n - 1)), MESH_WAIT_MS, 'full mesh');
    const meshMs = performance.now() - started;
    const formationRobots = treeCpuSeconds(robots.pid);
    const formationServer = (ticks(process.pid) - serverAt) / 100;
    const formationThreads = describeCpuByThread(cpuByThread(new Map(), treeThreadTicks(robots.pid)));
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const pids = processTree(robots.pid);
    const before = pids.map(ticks);
    const threadsBefore = treeThreadTicks(...pids);
    const serverBefore = ticks(process.pid);
    const framesBefore = frameCounts(await robots.state());
    const udpBefore = udpDatagrams();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const seconds = (performance.now() - t0) / 1000;
    const udp = udpDatagrams();
    const framesAfter = frameCounts(await robots.state());
    const per = pids.map((pid, i) => (ticks(pid) - before[i]!) / 100 / seconds);
    const server = (ticks(process.pid) - serverBefore) / 100 / seconds;
    const total = per.reduce((a, b) => a + b, 0);
    const threads = threadBreakdown(threadsBefore, treeThreadTicks(...pids), seconds);
    const socketCount = pids.map(sockets).reduce((a, b) => a + b, 0);
    const perf = process.env['BENCH_IDLE_PERF'];
    if (perf !== undefined) {
      const out = `${perf}-N${n}-${++perfRuns}.data`;
      // BENCH_IDLE_PERF_EVENT (e.g. a uprobe on node's uv_async_send): who wakes the main threads.
      const event = process.env['BENCH_IDLE_PERF_EVENT'];
      const sampling = event === undefined ? ['-F', '499', '-g'] : ['-e', event, '--call-graph', 'dwarf,16384'];
      const result = spawnSync('perf', ['record', ...sampling, '-o', out, '-p', pids.join(','), '--', 'sleep', String(event === undefined ? IDLE_WINDOW_MS / 1000 : 3)], { encoding: 'utf8' });
      console.log(`perf: ${out} (${result.status === 0 ? 'ok' : result.stderr || result.error?.message})`);
    }
    const state = await robots.state();
    const mesh = state
      .map((r) => r.mesh!)
      .reduce(
        (a, m) => ({ dials: a.dials + m.dials, timeouts: a.timeouts + m.dialTimeouts, failed: a.failed + (m.dialsFailed ?? 0), stalled: a.stalled + (m.dialsStalled?.noAnswer ?? 0) + (m.dialsStalled?.notConnecting ?? 0) }),
        { dials: 0, timeouts: 0, failed: 0, stalled: 0 },
      );
    return (
      `N=${n}: ready ${(readyMs / 1000).toFixed(1)} s, mesh ${(meshMs / 1000).toFixed(1)} s (robots ${formationRobots.toFixed(1)} CPU-s, server ${formationServer.toFixed(1)} CPU-s, ` +
      `floor ${((formationRobots + formationServer) / 2).toFixed(1)} s on 2 cores; dials ${mesh.dials}, timeouts ${mesh.timeouts}, failed ${mesh.failed}, stalled ${mesh.stalled}; ` +
      `robots' CPU-s by thread ${formationThreads}); ` +
      `idle robots ${total.toFixed(3)} cores [${per.map((c) => c.toFixed(3)).join(' ')}], server ${server.toFixed(3)}; sockets ${socketCount}; ` +
      `frames/s received ${((framesAfter.received - framesBefore.received) / seconds).toFixed(0)} (liveness sent ${((framesAfter.heartbeats - framesBefore.heartbeats) / seconds).toFixed(0)}), ` +
      `UDP datagrams/s in ${((udp.in - udpBefore.in) / seconds).toFixed(0)}; by thread name ${threads}; load ${loadavg()[0]!.toFixed(1)}`
    );
  } finally {
    await robots.stop();
  }
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:idle', { robots: true });
  const sizes = intList('BENCH_IDLE_SIZES', '20,40', 2, MAX_PEERS_PER_ROOM);
  const [runs] = intList('BENCH_IDLE_RUNS', '1', 1, 10);
  const server = await startAppServer(0);
  const settings = Object.entries(process.env).filter(([k]) => k.startsWith('CP_BENCH_')).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`bench:idle ${settings || '(defaults)'}`);
  try {
    for (const n of sizes) for (let i = 0; i < runs!; i++) console.log(await one(server.baseURL, n));
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
