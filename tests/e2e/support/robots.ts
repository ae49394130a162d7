/**
 * Drives the teacher's robots (src/robots) from a test or a benchmark: the real `npm run robots`
 * CLI as a child process in --json mode (so its CPU is its own and it runs exactly as a teacher
 * runs it), commands on its stdin, events and answers read from its stdout.
 *
 * Robots only pair over the namespace's veth addresses (tests/bench/isolate.ts): call
 * addRobotVeth() (or ensureLoopbackOnly(…, { robots: true })) before starting them.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { RobotSnapshot } from '../../../src/robots/robot.ts';

const CLI = fileURLToPath(new URL('../../../src/robots/cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RobotDecided {
  readonly robot: string;
  readonly decision: string;
  readonly value: string;
  /** Wall clock (ms since epoch) in the robots' process when the robot's node decided. */
  readonly at: number;
}

export interface StartRobotsOptions {
  readonly room: string;
  readonly count: number;
  /** The signaling server, e.g. http://127.0.0.1:4173. */
  readonly baseURL: string;
  /** The room's teacher key: admit the robots as the teacher's (servers that support it). */
  readonly hostKey?: string;
  /** Bound on the whole run: the robots leave by themselves after this long. */
  readonly maxSeconds: number;
  readonly readyTimeoutMs?: number;
}

export class Robots {
  readonly ids: readonly string[];
  readonly decided: RobotDecided[] = [];
  private readonly waiters = new Set<() => void>();
  private lastState: RobotSnapshot[] | undefined;
  /** The latest state answer ever received (lastState is cleared per request). */
  private lastKnown: RobotSnapshot[] | undefined;
  private readonly errors: string[] = [];

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dataDir: string,
    ids: readonly string[],
    lines: AsyncIterableIterator<string>,
    /** The last few kB the robots wrote to stderr (a worker's crash lands there). */
    private readonly stderrTail: () => string,
  ) {
    this.ids = ids;
    void this.read(lines);
  }

  static async start(options: StartRobotsOptions): Promise<Robots> {
    const dataDir = mkdtempSync(join(tmpdir(), 'cp-robots-'));
    const args = ['--import', 'tsx', CLI, '--room', options.room, '--count', String(options.count), '--server', options.baseURL];
    args.push('--data', dataDir, '--json', '--for', String(options.maxSeconds));
    if (options.hostKey !== undefined) args.push('--key', options.hostKey);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    // One exit listener for the whole wait (one per line read piled up past Node's warning at 10).
    const childExited = exited(child);
    for (;;) {
      const next = await Promise.race([lines.next(), childExited, timedOut]);
      if (next === 'timeout') break;
      if (next === 'exited' || next.done) {
        clearTimeout(timer);
        throw new Error(`robots exited before ready: ${stderr}`);
      }
      const event = parse(next.value);
      if (event?.['type'] === 'ready') {
        clearTimeout(timer);
        const ids = (event['robots'] as { id: string }[]).map((r) => r.id);
        return new Robots(child, dataDir, ids, lines, () => stderr);
      }
    }
    child.kill('SIGKILL');
    throw new Error(`robots not ready within ${timeoutMs} ms: ${stderr}`);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  command(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Every robot's status and decisions, as the robots see them now. */
  async state(timeoutMs = 10_000): Promise<RobotSnapshot[]> {
    this.lastState = undefined;
    this.command('state');
    await this.until(() => this.lastState !== undefined, timeoutMs, 'robots did not answer "state"');
    return this.lastState!;
  }

  /** Polls `state` until `check` holds. */
  async waitState(check: (robots: RobotSnapshot[]) => boolean, timeoutMs: number, what: string): Promise<RobotSnapshot[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A busy robot process (a whole room handshaking on two cores) may answer late: keep asking until the deadline.
      const state = await this.state(Math.max(1_000, deadline - Date.now())).catch(() => this.lastKnown);
      if (state !== undefined && check(state)) return state;
      if (Date.now() > deadline) {
        const errors = [...this.errors, ...(this.stderrTail().trim() === '' ? [] : [`stderr: ${this.stderrTail().trim().slice(-1_500)}`])];
        const told = errors.length > 0 ? `; ${errors.join('; ')}` : '';
        throw new Error(`robots: ${what} not within ${timeoutMs} ms: ${JSON.stringify((state ?? []).map((r) => [r.name, r.status, r.connected, r.decisions[0]?.phase]))}${told}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Resolves when `count` robots told that they decided `decision`. */
  async waitDecided(decision: string, count: number, timeoutMs: number): Promise<RobotDecided[]> {
    const of = (): RobotDecided[] => this.decided.filter((d) => d.decision === decision);
    await this.until(() => of().length >= count, timeoutMs, `${count} robots deciding ${decision} (have ${of().length})`);
    return of();
  }

  /** Errors the robots answered to commands so far. */
  commandErrors(): readonly string[] {
    return this.errors;
  }

  /** Every robot leaves (goodbye); the process ends. Kills it if it does not. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.command('quit');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited(this.child);
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async read(lines: AsyncIterableIterator<string>): Promise<void> {
    for await (const line of lines) {
      if (process.env['CP_ROBOTS_DEBUG']) console.error(`robots> ${line.slice(0, 200)}`);
      const event = parse(line);
      if (event === undefined) continue;
      if (event['type'] === 'decided') this.decided.push(event as unknown as RobotDecided);
      else if (event['type'] === 'state') this.lastState = this.lastKnown = event['robots'] as RobotSnapshot[];
      else if (event['type'] === 'error') this.errors.push(String(event['message']));
      for (const wake of [...this.waiters]) wake();
    }
  }

  private until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!check()) return;
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`robots: ${what} not within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a log line, not an event
  }
}

function exited(child: ChildProcessWithoutNullStreams): Promise<'exited'> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve('exited');
  return new Promise((resolve) => child.once('exit', () => resolve('exited')));
}

/** The room's teacher key, as the dashboard tab stored it: robots are admitted under it. */
export async function hostKeyOf(host: Page, room: string): Promise<string | undefined> {
  return host.evaluate((code) => localStorage.getItem(`consensus-playground:host-key:${code}`) ?? undefined, room);
}

/**
 * Until the room is a full mesh: the dashboard, every tab and every robot lists all `students`
 * others as connected (a tab's list holds the dashboard too, so every node counts `students`).
 */
export async function fullMesh(pages: readonly Page[], fleet: Robots, students: number, timeoutMs: number, pollingMs = 100): Promise<void> {
  const connected = (page: Page): Promise<unknown> =>
    page.waitForFunction((n) => window.__room?.peers().filter((p) => p.status === 'connected').length === n, students, { timeout: timeoutMs, polling: pollingMs });
  await Promise.all([...pages.map(connected), fleet.waitState((state) => state.every((r) => r.connected === students), timeoutMs, 'full mesh')]);
}
