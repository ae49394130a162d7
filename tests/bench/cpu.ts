/**
 * Process CPU time from /proc (Linux), for the benchmarks' idle-CPU figures: the sum of user and
 * system time of a process tree (Chromium's browser, renderers, GPU and network processes; the
 * robots' process), read twice and divided by the wall time in between. No sampling profiler,
 * nothing injected: what the kernel accounted to those processes.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, in ticks. */
  readonly ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(ppid) || !Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return { pid, ppid, ticks: utime + stime };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** Pids of `root` and all its descendants now. */
export function processTree(root: number): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const tree: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** The children of `parent` whose command line contains `needle` (e.g. Chromium under this process). */
export function childrenMatching(parent: number, needle: string): number[] {
  return allStats()
    .filter((s) => s.ppid === parent)
    .map((s) => s.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    });
}

/** CPU seconds (user + system) `root` and its descendants alive now have used so far. */
export function treeCpuSeconds(root: number): number {
  return treeTicks(root) / TICKS_PER_SECOND;
}

function treeTicks(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) total += readStat(pid)?.ticks ?? 0;
  return total;
}

/**
 * Cores used by each named process tree over `windowMs` of wall time (1.0 = one core busy).
 * Processes that exit during the window lose their ticks: measure a steady room.
 */
export async function treeCpu(roots: Readonly<Record<string, number>>, windowMs: number): Promise<Record<string, number>> {
  const names = Object.keys(roots);
  const before = names.map((name) => treeTicks(roots[name]!));
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const elapsedS = (performance.now() - started) / 1000;
  const result: Record<string, number> = {};
  names.forEach((name, i) => {
    result[name] = (treeTicks(roots[name]!) - before[i]!) / TICKS_PER_SECOND / elapsedS;
  });
  return result;
}

/** Cores used by the one process `pid` alone (not its children) over `windowMs`. */
export async function processCpu(pid: number, windowMs: number): Promise<number> {
  const before = readStat(pid)?.ticks ?? 0;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const elapsedS = (performance.now() - started) / 1000;
  return ((readStat(pid)?.ticks ?? 0) - before) / TICKS_PER_SECOND / elapsedS;
}

/** One thread's CPU so far: which process kind it is in (Chromium's --type, else the command), its name, and its ticks. */
export interface ThreadTicks {
  readonly process: string;
  readonly name: string;
  readonly ticks: number;
}

/**
 * What kind of process `pid` is: Chromium's `--type=` (renderer, gpu-process, utility, …, with a
 * utility's sub-type, e.g. `utility:NetworkService`; none = the browser), else its command name.
 */
function processKind(pid: number): string {
  try {
    // Chromium rewrites its command line into one space-separated string: search the whole text.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
    const sub = /--utility-sub-type=([a-zA-Z.]+)/.exec(cmdline)?.[1];
    if (type !== undefined) return sub !== undefined ? `${type}:${sub.replace(/^.*\./, '')}` : type;
    const command = cmdline.split(/[\0 ]/)[0] ?? '';
    return /chrom/.test(command) ? 'browser' : (command.split('/').pop() ?? '?');
  } catch {
    return '?';
  }
}

/** utime + stime of every thread of every process of the trees under `roots` now, keyed by pid/tid. */
export function treeThreadTicks(...roots: readonly number[]): Map<string, ThreadTicks> {
  const out = new Map<string, ThreadTicks>();
  for (const pid of roots.flatMap(processTree)) {
    const kind = processKind(pid);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // Numbered pools (ThreadPoolForeg3, libuv-worker2) are summed under one name.
        const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')).replace(/[0-9]+$/, '#');
        const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}/${tid}`, { process: kind, name, ticks: Number(rest[11]) + Number(rest[12]) });
      } catch {
        // exited
      }
    }
  }
  return out;
}

/**
 * CPU-seconds per "process kind: thread name" between two treeThreadTicks readings, largest
 * first, those of at least `minSeconds`. A thread absent from `before` was born in between and
 * counts from zero (a tab opened during a formation), unless `bornCount` is false (an idle
 * window: a thread born in it is not idle cost); a thread that ended in between is lost.
 */
export function cpuByThread(
  before: ReadonlyMap<string, ThreadTicks>,
  after: ReadonlyMap<string, ThreadTicks>,
  minSeconds = 0.1,
  bornCount = true,
): [string, number, number][] {
  const sums = new Map<string, { seconds: number; count: number }>();
  for (const [key, now] of after) {
    const label = `${now.process}:${now.name}`;
    const entry = sums.get(label) ?? { seconds: 0, count: 0 };
    entry.seconds += (now.ticks - (before.get(key)?.ticks ?? (bornCount ? 0 : now.ticks))) / TICKS_PER_SECOND;
    entry.count += 1;
    sums.set(label, entry);
  }
  return [...sums]
    .map(([label, v]): [string, number, number] => [label, v.seconds, v.count])
    .filter(([, seconds]) => seconds >= minSeconds)
    .sort((a, b) => b[1] - a[1]);
}

/** cpuByThread as one line: "renderer:CrRendererMain×6 4.1 s, …". */
export function describeCpuByThread(rows: readonly [string, number, number][]): string {
  return rows.map(([label, seconds, count]) => `${label}×${count} ${seconds.toFixed(1)}`).join(', ');
}

/** Cores per thread over an idle window of `seconds` between two treeThreadTicks readings, those ≥ `floor`: "kind:name×threads cores, …". */
export function threadBreakdown(before: ReadonlyMap<string, ThreadTicks>, after: ReadonlyMap<string, ThreadTicks>, seconds: number, floor = 0.005): string {
  return cpuByThread(before, after, floor * seconds, false)
    .map(([label, cpuSeconds, count]) => `${label}×${count} ${(cpuSeconds / seconds).toFixed(3)}`)
    .join(', ');
}
