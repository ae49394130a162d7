/**
 * `npm run bench:explore`: how fast the explorer searches, each figure beside its limit.
 *
 * - 3-node Paxos, 2 proposers, at most 1 crash: states explored in 60 s (limit: ≥ 1,000,000),
 *   and states per second;
 * - the 5-node FLP scene (majority), before and after red's candidate reaches n5: time to the
 *   complete valence answer (limit: ≤ 2 s; the browser's worker runs the same code).
 * Prints a table with the load average beside it (this machine is shared: figures scale with
 * it). Not a test: exits non-zero only when a limit is broken. `--paxos-ms MS` shortens the
 * Paxos run for a quick look (its limit is then scaled, and says so).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { explore, type ExploreResult } from '../../src/explore/explorer.ts';
import { flpScene } from '../../src/explore/scenes.ts';
import { majoritySpec } from '../../src/machines/majority.ts';
import { paxosSpec } from '../../src/machines/paxos.ts';
import { valenceSentence } from '../../src/explore/words.ts';

const PAXOS_MS = 60_000;
const PAXOS_STATES_LIMIT = 1_000_000;
const FLP_MS_LIMIT = 2_000;

function argMs(): number {
  const i = process.argv.indexOf('--paxos-ms');
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : PAXOS_MS;
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

interface Row {
  readonly what: string;
  readonly measured: string;
  readonly limit: string;
  readonly ok: boolean;
}

function paxos(budgetMs: number): { row: Row; rate: Row; result: ExploreResult } {
  const result = explore({
    algorithm: paxosSpec,
    nodes: ['n1', 'n2', 'n3'],
    proposals: [{ node: 'n1', value: 'red' }, { node: 'n2', value: 'blue' }],
    maxCrashes: 1,
    maxDepth: 1_000,
    budgetMs,
    walks: 0,
    now: () => performance.now(),
  });
  const limit = Math.round((PAXOS_STATES_LIMIT * budgetMs) / PAXOS_MS);
  const rate = (result.statesExplored / result.wallMs) * 1000;
  return {
    result,
    row: {
      what: `paxos 3 nodes, 2 proposers, ≤1 crash: states within ${fmt(budgetMs / 1000)} s`,
      measured: `${fmt(result.statesExplored)} in ${fmt(result.wallMs)} ms${result.stoppedBy === 'states' ? ' (the state cap)' : ''}, every schedule ≤ ${result.completeDepth} steps, ${result.violation?.property === 'agreement' ? 'AGREEMENT VIOLATED' : 'no Agreement violation'}`,
      limit: `≥ ${fmt(limit)}${budgetMs === PAXOS_MS ? '' : ' (scaled)'}`,
      ok: result.statesExplored >= limit || result.exhausted,
    },
    rate: { what: 'paxos: states per second', measured: fmt(rate), limit: `≥ ${fmt(PAXOS_STATES_LIMIT / (PAXOS_MS / 1000))}`, ok: rate >= PAXOS_STATES_LIMIT / (PAXOS_MS / 1000) },
  };
}

function flp(redFirst: boolean): Row {
  const started = performance.now();
  const result = explore({ ...flpScene(majoritySpec, { redFirst }), now: () => performance.now() });
  const ms = performance.now() - started;
  return {
    what: `FLP scene, 5 nodes${redFirst ? ', red delivered to n5 first' : ''}: valence`,
    measured: `${fmt(ms)} ms, ${fmt(result.statesExplored)} states: ${valenceSentence(result.initialValence)}`,
    limit: `≤ ${fmt(FLP_MS_LIMIT)} ms`,
    ok: ms <= FLP_MS_LIMIT && result.initialValence.complete,
  };
}

const load = loadavg().map((l) => l.toFixed(1)).join(' ');
const rows: Row[] = [flp(false), flp(true)];
const p = paxos(argMs());
rows.push(p.row, p.rate);
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => [r.what, r.measured, r.limit][c]!.length), 8));
const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
console.log(`explorer benchmark (load average before: ${load}; after: ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
console.log(line(['measure', 'measured', 'limit']) + '  ok');
for (const r of rows) console.log(`${line([r.what, r.measured, r.limit])}  ${r.ok ? 'yes' : 'NO'}`);
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
