/**
 * The order book's presets (classroom/book-presets.ts) in the simulator: what the tests run over
 * many seeds. The same runner the dashboard drives in a live room; here the adversary's
 * partitions are the simulator's blocked links, and a command is a fresh client's submit at the
 * named replica (clients do not resubmit elsewhere within a preset's run: a phone resubmits only
 * at its own replica, and a command moved to the other side of a partition would be another scene).
 */
import { isSevered, type AdversaryRules } from '../classroom/adversary.ts';
import { BOOK_PRESETS, BookPresetFailure, outcomeReached, runBookPreset, type BookPresetHost, type BookPresetName } from '../classroom/book-presets.ts';
import type { Role } from '../classroom/presets.ts';
import { orderBook as orderBookMachine, type OrderBook, type OrderCommand, type OrderResult } from '../core/order-book.ts';
import type { LogAlgorithmName } from '../machines/names.ts';
import { LOG_ALGORITHMS } from '../machines/log-index.ts';
import { PRESET_OUTCOME_WATCH_MS, PRESET_STEP_TIMEOUT_MS } from '../limits.ts';
import { checkLogRun, type LogProperty } from '../sim/log-checker.ts';
import { LogCluster } from '../sim/log-cluster.ts';

/** Virtual time between two looks at the outcome while watching for it (the checker is the whole run's). */
const WATCH_SLICE_MS = 1_000;
/**
 * Virtual time between two looks at what a step waits for `promptly`: under one message delay,
 * so the next step acts on it (a candidate in a given term) before the next message or
 * retransmit changes it, as the teacher's dashboard does from the replicas' reports. Other waits
 * are looked at as the cluster's audits come (a leader just elected may still be deposed by a
 * rival within a few messages; a preset should not name it that early).
 */
const STEP_SLICE_MS = 5;

export interface BookPresetRun {
  readonly cluster: LogCluster<OrderBook, OrderCommand, OrderResult>;
  readonly reached: boolean;
  readonly detail: string;
  readonly violations: readonly LogProperty[];
}

/** Runs `name` on a fresh five-replica book of `algorithm` with `seed`, then watches for its outcome. */
export function runBookPresetToOutcome(name: BookPresetName, seed: number, algorithm: LogAlgorithmName = BOOK_PRESETS[name].runsOn[0]!): BookPresetRun {
  const preset = BOOK_PRESETS[name];
  const members: Role[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const cluster = new LogCluster<OrderBook, OrderCommand, OrderResult>({
    algorithm: LOG_ALGORITHMS[algorithm],
    stateMachine: orderBookMachine,
    members,
    seed,
    retryMs: 10 * PRESET_STEP_TIMEOUT_MS,
  });
  const sim = cluster.sim;
  let clients = 0;
  const host: BookPresetHost = {
    setRules: (rules: AdversaryRules) => {
      sim.heal();
      for (const a of members) for (const b of members) if (isSevered(rules, a, b)) sim.cut(a, b);
    },
    submit: (node, command) => cluster.submit(`preset-${++clients}`, node, command),
    crash: (node) => sim.crash(node),
    restart: (node) => sim.restart(node),
    isUp: (node) => sim.status(node) === 'up',
    roleOf: (node) => {
      const view = sim.status(node) === 'up' ? sim.logView(node) : undefined;
      return view && { role: view.role, epoch: view.epoch };
    },
    orderStatus: (node, order) => (sim.status(node) === 'up' ? cluster.replicaState(node).orders[order]?.status : undefined),
    logged: (node, command) =>
      (sim.logEntries(node) ?? []).some((e) => e.command.kind === 'command' && JSON.stringify(e.command.command) === JSON.stringify(command)),
    say: (text) => sim.note(text),
  };
  const sameState = (): boolean => new Set(members.filter((n) => sim.status(n) === 'up').map((n) => orderBookMachine.stateKey(cluster.replicaState(n)))).size === 1;
  const violations = (): LogProperty[] => checkLogRun(cluster.record(`preset ${name} on ${algorithm}, seed ${seed}`, false)).map((v) => v.property);
  /**
   * The whole run's checker is not cheap: a book that should agree is watched on its states and
   * judged once at the end (any violation still fails it); a broken one is judged as it goes.
   */
  const judged = (final: boolean) => ({ sameState: sameState(), violations: final || preset.outcome.kind === 'violation' ? violations() : [] });
  const steps = runBookPreset(preset, host);
  try {
    for (let next = steps.next(); !next.done; next = steps.next()) {
      const wait = next.value;
      const until = sim.now + PRESET_STEP_TIMEOUT_MS;
      const slice = wait.promptly === true ? STEP_SLICE_MS : PRESET_STEP_TIMEOUT_MS;
      while (!wait.ready() && sim.now < until) cluster.runUntil(Math.min(until, sim.now + slice), () => wait.ready());
      if (!wait.ready()) throw new BookPresetFailure(`preset ${name} on ${algorithm}, seed ${seed}: waited ${PRESET_STEP_TIMEOUT_MS} ms for ${wait.why}`);
    }
  } catch (error) {
    if (!(error instanceof BookPresetFailure)) throw error;
    return { cluster, reached: false, detail: error.message, violations: violations() };
  }
  let last = judged(false);
  const deadline = sim.now + PRESET_OUTCOME_WATCH_MS;
  while (!outcomeReached(preset.outcome, host, last) && sim.now < deadline) {
    cluster.runUntil(Math.min(deadline, sim.now + WATCH_SLICE_MS));
    last = judged(false);
  }
  last = judged(true);
  const reached = outcomeReached(preset.outcome, host, last);
  return { cluster, reached, detail: `${reached ? 'reached' : 'not reached'}; same state ${last.sameState}; violations ${last.violations.join(', ') || 'none'}`, violations: last.violations };
}
