/**
 * Log swarms across worker threads (Node only: the CLI and the CI test). Seeds are cut into
 * one contiguous range per worker; each worker runs `runLogSwarm` on its range and posts the
 * summary back; the summaries merge exactly (mergeLogSwarmSummaries), so the result is the same
 * as one thread's, only sooner. A run is a pure function of its seed, so the split cannot
 * change what is found: firstFailingSeed is the smallest failing seed of all ranges.
 *
 * Workers load this repository's TypeScript through tsx's loader (registered in each worker),
 * the same way `npm run sim` runs.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { StateMachineName } from '../core/state-machine.ts';
import { SIM_DEFAULT_WORKERS, SIM_LIN_BUDGET_MS } from '../limits.ts';
import { getLogAlgorithm } from '../machines/log-index.ts';
import type { LogAlgorithmName } from '../machines/spec.ts';
import { mergeLogSwarmSummaries, runLogSwarm, type LogSwarmSummary } from './log-swarm.ts';
import type { FaultFamily } from './swarm.ts';

/** What a worker needs: plain data (a spec holds a machine, which does not cross threads). */
export interface LogSwarmJob {
  readonly algorithm: LogAlgorithmName;
  readonly stateMachine: StateMachineName;
  readonly nodes: number;
  readonly clients: number;
  readonly commands: number;
  readonly faults: FaultFamily;
  readonly budgetMs?: number | undefined;
  readonly seeds: number;
  readonly firstSeed: number;
}

/** One range of seeds, in this thread. */
export function runLogSwarmJob(job: LogSwarmJob): LogSwarmSummary {
  return runLogSwarm({
    ...job,
    algorithm: getLogAlgorithm(job.algorithm),
    linearizable: (run) => run.cluster.linearizable({ deadline: { now: () => performance.now(), budgetMs: SIM_LIN_BUDGET_MS } }),
  });
}

/** Threads to use by default: the machine's cores, at most SIM_DEFAULT_WORKERS. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(SIM_DEFAULT_WORKERS, availableParallelism()));
}

/** Runs `job` over `workers` threads (1: in this thread) and merges the summaries. */
export async function runLogSwarmParallel(job: LogSwarmJob, workers: number): Promise<LogSwarmSummary> {
  const count = Math.max(1, Math.min(workers, job.seeds));
  if (count === 1) return runLogSwarmJob(job);
  const per = Math.ceil(job.seeds / count);
  const jobs: LogSwarmJob[] = [];
  for (let start = job.firstSeed; start < job.firstSeed + job.seeds; start += per) {
    jobs.push({ ...job, firstSeed: start, seeds: Math.min(per, job.firstSeed + job.seeds - start) });
  }
  const parts = await Promise.all(jobs.map(runInWorker));
  return mergeLogSwarmSummaries(parts);
}

function runInWorker(job: LogSwarmJob): Promise<LogSwarmSummary> {
  const tsx = import.meta.resolve('tsx/esm/api');
  const self = import.meta.url;
  // A tiny bootstrap: register tsx's loader in the worker, then load this file there.
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(self)}); });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(bootstrap, { eval: true, workerData: job });
    worker.once('message', (summary: LogSwarmSummary) => {
      resolve(summary);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`log swarm worker for seeds ${job.firstSeed}… exited with code ${code}`));
    });
  });
}

// In a worker: run the range this thread was given and post its summary.
if (!isMainThread && parentPort !== null && isJob(workerData)) {
  parentPort.postMessage(runLogSwarmJob(workerData));
}

function isJob(raw: unknown): raw is LogSwarmJob {
  return typeof raw === 'object' && raw !== null && typeof (raw as { algorithm?: unknown }).algorithm === 'string' && typeof (raw as { seeds?: unknown }).seeds === 'number';
}
