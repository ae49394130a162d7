/**
 * `npm run bench:decide` — the JavaScript a live decision costs, without a browser: N students'
 * Classrooms and the teacher's dashboard in one Node process over the in-memory transport (the
 * same Classroom, LiveNode, report buffer, machines and wire encoding a tab runs; no PeerJS, DOM,
 * rendering or localStorage), on fake time. Per decision: process CPU time divided by N, and the
 * reports each student sent. What bench:room's per-tab main thread cannot show on a shared
 * machine (its figures move ±30 % with the load): whether a change to the per-message path
 * (transport core, classroom, report buffer, machine) costs more or less. Run it with
 * `node --cpu-prof --import tsx tests/bench/decide-cpu.bench.ts` to see where the time goes.
 *
 * The CPU includes the dashboard applying every report and the fake clock's own bookkeeping, so
 * it is an upper bound on a student's share; compare runs, not against the browser's limits.
 *
 * Options (env): BENCH_DECIDE_SIZES="10,40", BENCH_DECIDE_RUNS=5 (decisions per size, after one
 * warm-up), BENCH_DECIDE_ALGORITHMS="majority,paxos", BENCH_DECIDE_SLOW=0 (how many members get
 * every message 5 s late: a slow room, where retransmits and answers run).
 */
import { loadavg } from 'node:os';
import { Classroom } from '../../src/classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage } from '../../src/classroom/protocol.ts';
import { MemoryStore } from '../../src/classroom/storage.ts';
import { Prng } from '../../src/core/prng.ts';
import { ALGORITHMS } from '../../src/machines/index.ts';
import type { AlgorithmName } from '../../src/machines/spec.ts';
import { MemoryNetwork } from '../../src/transport/memory.ts';
import { FakeClock } from '../unit/classroom/fake-clock.ts';
import { intList, printRows, quantile } from './cdp.ts';

/** A slow member gets every frame this late: beyond the live retransmit timer at 40 (4.5 s). */
const SLOW_DELAY_MS = 5_000;
/** Fake time a decision may take before the run fails. */
const DECIDE_LIMIT_MS = 120_000;
/** Fake time after every node decided: trailing votes and reports land. */
const SETTLE_MS = 2_000;
const PROPOSAL = 'blue';

interface Result {
  readonly n: number;
  readonly algorithm: AlgorithmName;
  readonly cpuMsPerStudent: number[];
  readonly reportsPerStudent: number[];
}

function measure(n: number, algorithm: AlgorithmName, runs: number, slow: number): Result {
  const clock = new FakeClock();
  const ids = Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const slowIds = new Set(ids.slice(n - slow));
  const network = new MemoryNetwork({ clock, delayMs: (_from, to) => (slowIds.has(to) ? SLOW_DELAY_MS : 1) });
  const prng = Prng.fromSeed(7);
  let reports = 0;
  const open = (id: string, role: 'host' | 'student'): Classroom => {
    const transport = network.createTransport<ClassroomMessage>(id, { name: id, role, parse: parseClassroomMessage });
    const send = transport.send.bind(transport);
    transport.send = (to, message) => {
      if (message.type === 'report') reports++;
      return send(to, message);
    };
    return new Classroom({ transport, role, store: new MemoryStore(), clock, random: () => prng.float(), algorithms: ALGORITHMS });
  };
  const host = open('host', 'host');
  const students = ids.map((id) => open(id, 'student'));
  clock.advance(slow > 0 ? 2 * SLOW_DELAY_MS : 100);
  const result: Result = { n, algorithm, cpuMsPerStudent: [], reportsPerStudent: [] };
  try {
    for (let run = 0; run <= runs; run++) {
      const decision = host.startDecision(algorithm, 'colors');
      if (typeof decision === 'string') throw new Error(decision);
      if (decision.members.length !== n) throw new Error(`only ${decision.members.length} of ${n} students were connected`);
      clock.advanceUntil(() => students.every((s) => s.node(decision.id) !== undefined), DECIDE_LIMIT_MS);
      const reportsBefore = reports;
      const before = process.cpuUsage();
      const problem = students[0]!.propose(decision.id, PROPOSAL);
      if (problem !== undefined) throw new Error(problem);
      clock.advanceUntil(() => students.every((s) => s.node(decision.id)?.view().decided === PROPOSAL), DECIDE_LIMIT_MS, 5);
      clock.advance(SETTLE_MS);
      const used = process.cpuUsage(before);
      if (run === 0) continue; // warm-up
      result.cpuMsPerStudent.push((used.user + used.system) / 1000 / n);
      result.reportsPerStudent.push((reports - reportsBefore) / n);
    }
  } finally {
    for (const classroom of [host, ...students]) classroom.close();
  }
  return result;
}

function main(): void {
  const sizes = intList('BENCH_DECIDE_SIZES', '10,40', 2, 40);
  const [runs] = intList('BENCH_DECIDE_RUNS', '5', 1, 50);
  const [slow] = intList('BENCH_DECIDE_SLOW', '0', 0, 39);
  const algorithms = (process.env['BENCH_DECIDE_ALGORITHMS'] ?? 'majority,paxos').split(',').map((a) => a.trim());
  const unknown = algorithms.filter((a) => !Object.hasOwn(ALGORITHMS, a));
  if (unknown.length > 0) throw new Error(`BENCH_DECIDE_ALGORITHMS: unknown ${unknown.join(', ')}`);
  const results: Result[] = [];
  for (const n of sizes) {
    if (slow! >= n) throw new Error(`BENCH_DECIDE_SLOW=${slow} must be below the room size ${n}`);
    for (const algorithm of algorithms as AlgorithmName[]) results.push(measure(n, algorithm, runs!, slow!));
  }
  const f = (x: number): string => x.toFixed(2);
  printRows(
    ['N', 'algorithm', 'slow members', 'CPU ms per student per decision (p50)', 'min', 'max', 'reports per student (p50)'],
    results.map((r) => [
      String(r.n),
      r.algorithm,
      String(slow),
      f(quantile(r.cpuMsPerStudent, 0.5)),
      f(Math.min(...r.cpuMsPerStudent)),
      f(Math.max(...r.cpuMsPerStudent)),
      quantile(r.reportsPerStudent, 0.5).toFixed(1),
    ]),
  );
  console.log(`${runs} decisions per row after one warm-up; CPU of the whole process (students, dashboard, fake clock) / N.`);
  console.log(`load average: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine inflates every figure)`);
}

main();
