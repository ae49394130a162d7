/**
 * `npm run robots -- --room CODE --count 20` — the teacher's robots from a terminal.
 *
 * Starts `count` robot nodes in room CODE on the signaling server at --server (default
 * http://127.0.0.1:$PORT, i.e. the `npm start` on this laptop; the data channels then use the
 * laptop's LAN address, since WebRTC here never pairs over loopback). Then reads commands, one
 * per line, from the terminal:
 *
 *   propose [all|N|ID] [VALUE]   robot(s) propose VALUE (default: a choice of the scenario's)
 *   crash N|ID                   crash a robot (no goodbye; its stored state stays)
 *   restart N|ID                 crash and start again: same node, same stored state
 *   start N|ID / leave N|ID      start a stopped robot / leave politely
 *   state                        every robot's status and decisions
 *   quit                         every robot leaves; the program ends (also on end of input)
 *
 * Options: --data DIR (default: $TMPDIR/consensus-robots/CODE; the same DIR gives the same
 * robots back), --key KEY or CP_TEACHER_KEY (the room's teacher key: robots are admitted as the
 * teacher's; without it they join as ordinary students), --name PREFIX (default "Robot"),
 * --json (machine-readable events and answers, one JSON object per line: what the benchmarks
 * and the browser tests use), --for SECONDS (leave and exit after that long).
 *
 * The robots run in worker processes of this same program, ROBOTS_PER_PROCESS robots each (one
 * process's JavaScript runs on one core; see ROBOTS_PER_PROCESS for the measured trade), at least
 * one when started from the TypeScript sources (the workers run its bundle, bundle.ts); this
 * process then only forwards commands and merges their answers.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MAX_PEERS_PER_ROOM, ROBOTS_PER_PROCESS } from '../limits.ts';
import { normalizeRoomCode, type RoomCode } from '../rooms/room-code.ts';
import type { SignalingEndpoint } from '../transport/peerjs.ts';
import { SIGNALING_PATH } from '../transport/signaling-protocol.ts';
// The fleet (WebRTC, PeerJS, the classroom, every machine) is imported only by the process that
// runs robots: a split fleet's parent spawns its workers before it would have finished loading
// them (measured here: ~1 s of CPU and 3 s at load 30 for the imports alone, per process).
import type { RobotFleet as RobotFleetClass } from './fleet.ts';
import type { RobotEvent, RobotSnapshot } from './robot.ts';
import { robotBundle, runningFromSource, withoutTsx } from './bundle.ts';

interface CliOptions {
  readonly room: RoomCode;
  readonly count: number;
  readonly signaling: SignalingEndpoint;
  readonly dataDir: string;
  readonly hostKey: string | undefined;
  readonly namePrefix: string;
  readonly json: boolean;
  readonly forSeconds: number | undefined;
  /** Number of the first robot (workers of a split fleet). */
  readonly first: number;
  /** A worker of a split fleet: answers only for its own robots, always in JSON. */
  readonly worker: boolean;
}

/** A run that outlives this is a forgotten terminal, not a lesson. */
const MAX_RUN_SECONDS = 24 * 60 * 60;

function fail(message: string): never {
  console.error(`robots: ${message}`);
  process.exit(2);
}

export function parseEndpoint(url: string): SignalingEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`--server must be a URL like http://127.0.0.1:8080, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError('--server must be http:// or https://');
  const secure = parsed.protocol === 'https:';
  const port = parsed.port ? Number(parsed.port) : secure ? 443 : 80;
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, secure, path: SIGNALING_PATH };
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') flags.add('json');
    else if (arg === '--worker') flags.add('worker');
    else if (arg.startsWith('--') && i + 1 < argv.length) values.set(arg.slice(2), argv[++i]!);
    else throw new RangeError(`unknown argument "${arg}"`);
  }
  const known = new Set(['room', 'count', 'server', 'data', 'key', 'name', 'for', 'first']);
  for (const key of values.keys()) if (!known.has(key)) throw new RangeError(`unknown option --${key}`);
  const room = normalizeRoomCode(values.get('room') ?? '');
  if (room === undefined) throw new RangeError('--room CODE is required (the code on the teacher’s screen)');
  const count = Number(values.get('count') ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > MAX_PEERS_PER_ROOM) throw new RangeError(`--count: 1–${MAX_PEERS_PER_ROOM}`);
  const forRaw = values.get('for');
  const forSeconds = forRaw === undefined ? undefined : Number(forRaw);
  if (forSeconds !== undefined && !(forSeconds > 0 && forSeconds <= MAX_RUN_SECONDS)) throw new RangeError(`--for: 1–${MAX_RUN_SECONDS} seconds`);
  const first = Number(values.get('first') ?? '1');
  if (!Number.isInteger(first) || first < 1 || first + count - 1 > MAX_PEERS_PER_ROOM) throw new RangeError(`--first: robots are numbered 1–${MAX_PEERS_PER_ROOM}`);
  const namePrefix = values.get('name') ?? 'Robot';
  if (namePrefix.length < 1 || namePrefix.length > 24) throw new RangeError('--name: 1–24 characters');
  return {
    room,
    count,
    signaling: parseEndpoint(values.get('server') ?? `http://127.0.0.1:${env['PORT'] ?? '8080'}`),
    dataDir: values.get('data') ?? join(tmpdir(), 'consensus-robots', room),
    hostKey: values.get('key') ?? env['CP_TEACHER_KEY'],
    namePrefix,
    json: flags.has('json') || flags.has('worker'),
    forSeconds,
    first,
    worker: flags.has('worker'),
  };
}

function describe(robot: RobotSnapshot): string {
  const latest = robot.decisions[0];
  const decision = latest ? `${latest.decision} ${latest.algorithm}: ${latest.phase}${latest.decided !== undefined ? ` → ${latest.decided}` : ''}` : 'no decision';
  return `${robot.name} (${robot.id}) ${robot.status}, ${robot.connected} peers connected, ${decision}`;
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    fail((error as Error).message);
  }
  // From the TypeScript sources (under tsx), even a small fleet runs in a worker: the worker runs
  // the bundle with plain Node (bundle.ts), while importing the fleet here, through tsx's hooks,
  // cost 0.8 CPU-s more (measured: 1.3 against 0.45 CPU-s for the fleet's modules).
  if (!options.worker && (options.count > perProcess() || runningFromSource(import.meta.url))) return runSplit(options);
  return runFleet(options);
}

async function runFleet(options: CliOptions): Promise<void> {
  const out = (json: Record<string, unknown>, text: string): void => {
    console.log(options.json ? JSON.stringify(json) : text);
  };
  const onEvent = (event: RobotEvent): void => {
    if (event.type === 'decided') out(event, `${event.robot} decided ${event.value} in ${event.decision}`);
    else out(event, `${event.robot} ${event.status}${event.reason ? `: ${event.reason}` : ''}`);
  };
  const { RobotFleet }: { RobotFleet: typeof RobotFleetClass } = await import('./fleet.ts');
  const fleet = new RobotFleet({ ...options, ...(options.hostKey !== undefined ? { hostKey: options.hostKey } : {}), onEvent });
  if (options.hostKey === undefined && !options.json && !options.worker) {
    console.error('robots: no teacher key (--key or CP_TEACHER_KEY): the robots join as ordinary students');
  }
  try {
    await fleet.start();
  } catch (error) {
    fail((error as Error).message);
  }
  out(
    { type: 'ready', robots: fleet.robots.map((r) => ({ id: r.id, name: r.name })) },
    `${fleet.robots.length} robots in room ${options.room} (data in ${options.dataDir}). Commands: propose, crash, restart, start, leave, state, quit`,
  );

  let quitting = false;
  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    fleet.leave();
    // Let the goodbyes leave before the process (and its data channels) ends.
    setTimeout(() => process.exit(0), 300);
  };
  if (options.forSeconds !== undefined) setTimeout(quit, options.forSeconds * 1000).unref();
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);

  const lines = createInterface({ input: process.stdin });
  lines.on('close', quit);
  lines.on('line', (line) => {
    const [command, target, ...rest] = line.trim().split(/\s+/);
    const value = rest.length > 0 ? rest.join(' ') : undefined;
    const error = (message: string): void => out({ type: 'error', message }, `error: ${message}`);
    const robot = (): ReturnType<typeof fleet.find> => {
      const found = target === undefined ? undefined : fleet.find(target);
      // A worker holds only some of the robots: the others are its siblings' to answer for.
      if (found === undefined && !options.worker) error(`no robot "${target ?? ''}" (use its number, id or name)`);
      return found;
    };
    switch (command) {
      case undefined:
      case '':
        return;
      case 'propose': {
        if (target === undefined || target === 'all') {
          const errors = fleet.proposeAll(value);
          out({ type: 'proposed', errors }, Object.keys(errors).length === 0 ? 'proposed' : `errors: ${JSON.stringify(errors)}`);
          return;
        }
        const one = robot();
        if (one === undefined) return;
        const problem = one.propose(value);
        if (problem !== undefined) error(problem);
        else out({ type: 'proposed', errors: {} }, 'proposed');
        return;
      }
      case 'crash':
        robot()?.crash();
        return;
      case 'restart':
        robot()?.restart();
        return;
      case 'start':
        robot()?.start();
        return;
      case 'leave':
        robot()?.leave();
        return;
      case 'state': {
        const snapshot = fleet.snapshot();
        out({ type: 'state', robots: snapshot }, snapshot.map(describe).join('\n'));
        return;
      }
      case 'quit':
        quit();
        return;
      default:
        error(`unknown command "${command}"`);
    }
  });
}

/**
 * A fleet larger than ROBOTS_PER_PROCESS, or any fleet started from the sources: worker processes
 * of this program (its bundle), ROBOTS_PER_PROCESS robots each (numbered on), every command line forwarded to all of them (each acts only for its
 * own robots), their events passed on and their ready/state answers merged into one.
 */
async function runSplit(options: CliOptions): Promise<void> {
  // Workers run the CLI's bundle with plain Node (bundle.ts): not this file under tsx.
  const self = runningFromSource(import.meta.url) ? await robotBundle() : fileURLToPath(import.meta.url);
  const argv = process.argv.slice(2);
  const without = (names: readonly string[]): string[] => {
    const kept: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (names.includes(argv[i]!)) i++;
      else if (argv[i] !== '--json') kept.push(argv[i]!);
    }
    return kept;
  };
  const shared = [...without(['--count', '--first', '--data']), '--data', options.dataDir];
  const workers: ChildProcessByStdio<Writable, Readable, null>[] = [];
  for (let first = 1; first <= options.count; first += perProcess()) {
    const count = Math.min(perProcess(), options.count - first + 1);
    const args = [...withoutTsx(process.execArgv), self, ...shared, '--count', String(count), '--first', String(options.first + first - 1), '--worker'];
    workers.push(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] }));
  }
  const print = (json: Record<string, unknown>, text: string): void => console.log(options.json ? JSON.stringify(json) : text);
  const ready: { id: string; name: string }[][] = workers.map(() => []);
  let readyCount = 0;
  // 'state' rounds in flight, oldest first: each worker answers its commands in order, so its
  // k-th state answer belongs to the k-th round it was asked.
  const rounds: { answers: RobotSnapshot[][]; count: number }[] = [];
  let roundsDone = 0;
  const answeredBy = workers.map(() => 0);
  let alive = workers.length;
  let quitting = false;
  for (const [i, worker] of workers.entries()) {
    worker.on('exit', (code, signal) => {
      alive--;
      // A worker that ends on its own (not asked to quit) takes its robots out of the room: say
      // so, loudly, instead of leaving a fleet whose state rounds never complete.
      if (!quitting && (code !== 0 || signal !== null)) {
        const how = signal !== null ? `signal ${signal}` : `code ${String(code)}`;
        print({ type: 'error', message: `robot worker ${i + 1} of ${workers.length} exited (${how})` }, `error: robot worker ${i + 1} exited (${how})`);
      }
      if (alive === 0) process.exit(0);
    });
    createInterface({ input: worker.stdout }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      switch (event['type']) {
        case 'ready':
          ready[i] = event['robots'] as { id: string; name: string }[];
          if (++readyCount === workers.length) {
            print(
              { type: 'ready', robots: ready.flat() },
              `${options.count} robots in room ${options.room} in ${workers.length} processes (data in ${options.dataDir}). Commands: propose, crash, restart, start, leave, state, quit`,
            );
          }
          return;
        case 'state': {
          const round = rounds[answeredBy[i]!++ - roundsDone];
          if (round === undefined) return;
          round.answers[i] = event['robots'] as RobotSnapshot[];
          round.count++;
          while (rounds[0] !== undefined && rounds[0].count === workers.length) {
            const merged = rounds.shift()!.answers.flat();
            roundsDone++;
            print({ type: 'state', robots: merged }, merged.map(describe).join('\n'));
          }
          return;
        }
        case 'decided':
          print(event, `${String(event['robot'])} decided ${String(event['value'])} in ${String(event['decision'])}`);
          return;
        case 'status':
          print(event, `${String(event['robot'])} ${String(event['status'])}${event['reason'] ? `: ${String(event['reason'])}` : ''}`);
          return;
        default:
          print(event, JSON.stringify(event));
      }
    });
  }
  const known = (ref: string): boolean => {
    const n = Number(ref);
    if (Number.isInteger(n)) return n >= options.first && n < options.first + options.count;
    return ready.flat().some((r) => r.id === ref || r.name === ref);
  };
  const forward = (line: string): void => {
    for (const worker of workers) worker.stdin.write(`${line}\n`);
  };
  const quit = (): void => {
    quitting = true;
    forward('quit');
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  const lines = createInterface({ input: process.stdin });
  lines.on('close', quit);
  lines.on('line', (line) => {
    const [command, target] = line.trim().split(/\s+/);
    if (command === 'quit') quitting = true;
    if (command === 'state') {
      rounds.push({ answers: workers.map(() => []), count: 0 });
    } else if (command !== undefined && command !== '' && target !== undefined && target !== 'all' && !known(target)) {
      print({ type: 'error', message: `no robot "${target}" (use its number, id or name)` }, `error: no robot "${target}"`);
      return;
    }
    forward(line.trim());
  });
}

void main();

/** Robots per worker process: ROBOTS_PER_PROCESS, or CP_BENCH_ROBOTS_PER_PROCESS (benchmarks comparing layouts). */
function perProcess(): number {
  return Number(process.env['CP_BENCH_ROBOTS_PER_PROCESS'] ?? ROBOTS_PER_PROCESS);
}
