/**
 * `npm run bench:lin`: how fast the linearizability checker judges random linearizable histories
 * (tests/unit/sim/lin-histories.ts: every operation takes effect at a random instant inside its
 * call–return interval) as they grow, on the register and the order book.
 *
 * Each line prints operations checked per second and the search steps used, each beside its
 * limit: the step budget (LIN_DEFAULT_MAX_STEPS, past which the answer would be 'unknown') and
 * a floor of MIN_OPS_PER_SECOND (the unit test's "1,000 operations in under a second"). Wall time
 * is the median of a few repetitions. Not a test: it prints, and exits non-zero only when a
 * history is not judged linearizable or a limit is broken.
 */
import { performance } from 'node:perf_hooks';
import { LIN_DEFAULT_MAX_STEPS } from '../../src/limits.ts';
import { orderBook } from '../../src/core/order-book.ts';
import { register } from '../../src/core/register.ts';
import type { HistoryOperation, StateMachine } from '../../src/core/state-machine.ts';
import { checkLinearizability } from '../../src/sim/linearizability.ts';
import { orderCommand, randomHistory, registerCommand, type HistoryShape } from '../unit/sim/lin-histories.ts';
import type { Prng } from '../../src/core/prng.ts';

const MIN_OPS_PER_SECOND = 1_000;
const REPETITIONS = 3;

interface Case<S, C, R> {
  readonly label: string;
  readonly machine: StateMachine<S, C, R>;
  readonly shape: HistoryShape;
  readonly command: (prng: Prng) => C;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

let broken = 0;

function bench<S, C, R>(c: Case<S, C, R>): void {
  const history: Array<HistoryOperation<C, R>> = randomHistory(c.machine, 1, c.shape, c.command);
  const times: number[] = [];
  let report = checkLinearizability(c.machine, history);
  for (let i = 0; i < REPETITIONS; i++) {
    const started = performance.now();
    report = checkLinearizability(c.machine, history);
    times.push(performance.now() - started);
  }
  const ms = median(times);
  const opsPerSecond = (history.length / ms) * 1_000;
  const ok = report.result === true && report.steps <= LIN_DEFAULT_MAX_STEPS && opsPerSecond >= MIN_OPS_PER_SECOND;
  if (!ok) broken++;
  console.log(
    [
      c.label.padEnd(34),
      `${fmt(history.length).padStart(7)} ops`,
      `${String(report.partitions).padStart(4)} partitions`,
      `${fmt(ms).padStart(6)} ms`,
      `${fmt(opsPerSecond).padStart(9)} ops/s (limit ≥ ${fmt(MIN_OPS_PER_SECOND)})`,
      `${fmt(report.steps).padStart(9)} steps (limit ${fmt(LIN_DEFAULT_MAX_STEPS)})`,
      ok ? 'ok' : `BROKEN (result ${String(report.result)})`,
    ].join('  '),
  );
}

// No pending operations here (a client stops at its first one, which would shrink the sizes);
// the unit tests cover them. Keys and orders stay within MAX_REGISTER_KEYS and MAX_ORDERS so
// no answer is "full" and every history splits per key (see the limits' notes in the closing text).
const shape = (clients: number, opsPerClient: number): HistoryShape => ({ clients, opsPerClient, maxLatency: 10, pendingChance: 0 });

// Warm the JIT so the first line is not an outlier.
bench({ label: 'warm-up', machine: register, shape: shape(5, 200), command: registerCommand(4) });
console.log('');

for (const total of [100, 1_000, 10_000]) {
  bench({ label: 'register, 1 key, 5 clients', machine: register, shape: shape(5, total / 5), command: registerCommand(1) });
}
for (const [total, keys] of [[1_000, 4], [10_000, 40], [100_000, 64]] as const) {
  bench({ label: `register, ${keys} keys, 5 clients`, machine: register, shape: shape(5, total / 5), command: registerCommand(keys) });
}
for (const total of [1_000, 10_000]) {
  bench({ label: 'register, 4 keys, 20 clients', machine: register, shape: shape(20, total / 20), command: registerCommand(4) });
}
for (const [total, orders] of [[1_000, 50], [10_000, 500], [100_000, 500]] as const) {
  bench({ label: `orders, ${orders} orders, 10 clients`, machine: orderBook, shape: shape(10, total / 10), command: orderCommand(orders) });
}

if (broken > 0) {
  console.log(`\n${broken} line(s) broke a limit`);
  process.exit(1);
}
