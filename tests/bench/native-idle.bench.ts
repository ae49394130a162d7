/**
 * `npm run bench:native-idle` — what node-datachannel's native stack alone costs an idle mesh,
 * per native thread: no PeerJS, no signaling server, no app frames. Two worker processes of
 * ROBOTS robots each (as the robots' CLI splits 35 robots into 18 + 17); every robot opens one
 * data channel to every other robot, descriptions passed through this process; then the mesh
 * sits idle and each thread's CPU (utime + stime, /proc/<pid>/task) is read over IDLE_WINDOW_MS,
 * beside the namespace's UDP datagrams per second (/proc/net/snmp: consent checks, SCTP
 * heartbeats and their answers). Not a test: it prints and exits; every wait is bounded.
 *
 * Options (env): BENCH_NATIVE_ROBOTS=18 (per process), BENCH_NATIVE_MODE=poll|mux (mux: every
 * robot's connections share BENCH_NATIVE_MUX_PORTS UDP ports, one of them per remote robot, see
 * src/robots/udp-mux.ts), BENCH_NATIVE_SCTP (JSON, node-datachannel setSctpSettings),
 * BENCH_NATIVE_RUNS=1.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureLoopbackOnly } from './isolate.ts';
import type { RobotUdpMux } from '../../src/robots/udp-mux.ts';

const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 10_000;
const OPEN_WAIT_MS = 120_000;

type ToWorker =
  | { readonly type: 'start'; readonly robots: readonly number[]; readonly peers: readonly number[]; readonly mode: string; readonly muxPorts: number; readonly sctp: Record<string, number> }
  | { readonly type: 'signal'; readonly from: number; readonly to: number; readonly link: string; readonly kind: 'sdp' | 'candidate'; readonly sdp?: string; readonly sdpType?: string; readonly candidate?: string; readonly mid?: string };
type FromWorker = ToWorker | { readonly type: 'open'; readonly count: number } | { readonly type: 'ready' };

function threadTicks(pid: number): Map<string, { name: string; ticks: number }> {
  const out = new Map<string, { name: string; ticks: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')).replace(/[0-9]+$/, '#');
      const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // exited
    }
  }
  return out;
}

function udpDatagrams(): { in: number; out: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/).map(Number);
  return { in: values[names.indexOf('InDatagrams')]!, out: values[names.indexOf('OutDatagrams')]! };
}

async function worker(): Promise<void> {
  const ndc = await import('node-datachannel');
  const { RobotUdpMux } = await import('../../src/robots/udp-mux.ts');
  const send = (message: FromWorker): void => void process.send!(message);
  const pcs = new Map<string, InstanceType<typeof ndc.PeerConnection>>();
  const channels: unknown[] = [];
  let opened = 0;
  let config: { mode: string; muxPorts: number } = { mode: 'poll', muxPorts: 1 };
  /** Mux: each robot's ports (the robots' own RobotUdpMux: bound for the run, one port per remote robot). */
  const muxes = new Map<number, RobotUdpMux>();

  function settings(self: number, remote: number): Record<string, unknown> {
    if (config.mode !== 'mux') return {};
    let mux = muxes.get(self);
    if (mux === undefined) {
      mux = RobotUdpMux.open(config.muxPorts);
      muxes.set(self, mux);
    }
    return { ...mux.settingsFor(String(remote)).config };
  }

  function connection(self: number, remote: number, link: string): InstanceType<typeof ndc.PeerConnection> {
    const pc = new ndc.PeerConnection(`${self}-${remote}`, { iceServers: [], ...settings(self, remote) });
    pc.onLocalDescription((sdp, type) => send({ type: 'signal', from: self, to: remote, link, kind: 'sdp', sdp, sdpType: type }));
    pc.onLocalCandidate((candidate, mid) => send({ type: 'signal', from: self, to: remote, link, kind: 'candidate', candidate, mid }));
    pcs.set(`${link}:${self}`, pc);
    return pc;
  }

  function counted(dc: { onOpen(cb: () => void): void }): void {
    channels.push(dc);
    dc.onOpen(() => send({ type: 'open', count: ++opened }));
  }

  process.on('message', (message: ToWorker) => {
    if (message.type === 'start') {
      config = { mode: message.mode, muxPorts: message.muxPorts };
      if (Object.keys(message.sctp).length > 0) ndc.setSctpSettings(message.sctp);
      // Robot a dials robot b when a < b, as one link each way would double the mesh.
      for (const self of message.robots) {
        for (const remote of message.peers) {
          if (self >= remote) continue;
          const pc = connection(self, remote, `${self}>${remote}`);
          counted(pc.createDataChannel('data'));
        }
      }
      send({ type: 'ready' });
      return;
    }
    const key = `${message.link}:${message.to}`;
    let pc = pcs.get(key);
    if (pc === undefined) {
      pc = connection(message.to, message.from, message.link);
      pc.onDataChannel((dc) => counted(dc));
    }
    if (message.kind === 'sdp') pc.setRemoteDescription(message.sdp!, message.sdpType as 'offer' | 'answer');
    else pc.addRemoteCandidate(message.candidate!, message.mid!);
  });
  send({ type: 'ready' });
}

async function one(robotsPerProcess: number, mode: string, muxPorts: number, sctp: Record<string, number>): Promise<string> {
  const self = fileURLToPath(import.meta.url);
  const workers: ChildProcess[] = [0, 1].map(() => fork(self, ['--worker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const all = Array.from({ length: robotsPerProcess * 2 }, (_, i) => i);
  const home = (robot: number): ChildProcess => workers[robot % 2]!;
  const expected = (all.length * (all.length - 1)) / 2; // links; each opens a channel at both ends
  let opened = 0;
  const readies: Promise<void>[] = workers.map((w) => new Promise((resolve) => w.once('message', () => resolve())));
  await Promise.all(readies);
  const allOpen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${opened} of ${expected * 2} channel ends opened`)), OPEN_WAIT_MS);
    for (const w of workers) {
      w.on('message', (message: FromWorker) => {
        if (message.type === 'signal') home(message.to).send(message);
        else if (message.type === 'open' && ++opened === expected * 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  });
  const started = performance.now();
  for (const [i, w] of workers.entries()) w.send({ type: 'start', robots: all.filter((r) => r % 2 === i), peers: all, mode, muxPorts, sctp } satisfies ToWorker);
  try {
    await allOpen;
    const openMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const pids = workers.map((w) => w.pid!);
    const before = pids.map(threadTicks);
    const udpBefore = udpDatagrams();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const seconds = (performance.now() - t0) / 1000;
    const udp = udpDatagrams();
    const after = pids.map(threadTicks);
    const sums = new Map<string, { cores: number; count: number }>();
    let total = 0;
    for (const [p, threads] of after.entries()) {
      for (const [tid, now] of threads) {
        const cores = (now.ticks - (before[p]!.get(tid)?.ticks ?? now.ticks)) / 100 / seconds;
        total += cores;
        const entry = sums.get(now.name) ?? { cores: 0, count: 0 };
        entry.cores += cores;
        entry.count += 1;
        sums.set(now.name, entry);
      }
    }
    const threads = [...sums]
      .filter(([, v]) => v.cores >= 0.002)
      .sort((a, b) => b[1].cores - a[1].cores)
      .map(([k, v]) => `${k}×${v.count} ${v.cores.toFixed(3)}`)
      .join(', ');
    return (
      `${robotsPerProcess * 2} robots (${expected} links, ${expected * 2} connections), ${mode}${mode === 'mux' ? ` ${muxPorts} ports/robot` : ''}, sctp ${JSON.stringify(sctp)}: ` +
      `open ${(openMs / 1000).toFixed(1)} s; idle ${total.toFixed(3)} cores; UDP in ${((udp.in - udpBefore.in) / seconds).toFixed(0)}/s out ${((udp.out - udpBefore.out) / seconds).toFixed(0)}/s; by thread ${threads}; load ${loadavg()[0]!.toFixed(1)}`
    );
  } finally {
    for (const w of workers) w.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  ensureLoopbackOnly('bench:native-idle', { robots: true });
  const robots = Number(process.env['BENCH_NATIVE_ROBOTS'] ?? 18);
  const mode = process.env['BENCH_NATIVE_MODE'] ?? 'poll';
  const muxPorts = Number(process.env['BENCH_NATIVE_MUX_PORTS'] ?? 2);
  const sctp = JSON.parse(process.env['BENCH_NATIVE_SCTP'] ?? '{}') as Record<string, number>;
  const runs = Number(process.env['BENCH_NATIVE_RUNS'] ?? 1);
  if (!Number.isInteger(robots) || robots < 1 || robots > 40) throw new RangeError('BENCH_NATIVE_ROBOTS: 1–40');
  for (let i = 0; i < runs; i++) console.log(await one(robots, mode, muxPorts, sctp));
}

if (process.argv.includes('--worker')) {
  void worker();
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
