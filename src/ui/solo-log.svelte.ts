/**
 * Solo mode's log runs as runes state: holds one LogSoloRun (solo-log.ts), republishes its
 * snapshot and space-time diagram after each command, replays the script for the scrubber, and
 * holds the last side-by-side comparison. Everything it shows is computed in solo-log.ts and
 * solo-compare.ts; this class only keeps it for the page.
 */
import { timelineFromTrace, type Timeline } from '../timeline/timeline.ts';
import { compareSchedule, type Comparison } from './solo-compare.ts';
import { LogSoloRun, replayLog, scheduleOf, type LogSoloCommand, type LogSoloSetup, type LogSoloSnapshot } from './solo-log.ts';

export class LogSolo {
  #run: LogSoloRun;
  #snapshot: LogSoloSnapshot = $state.raw() as LogSoloSnapshot;
  #timeline: Timeline = $state.raw() as Timeline;
  #cursor: number | undefined = $state.raw(undefined);
  #scrubbed: LogSoloSnapshot | undefined = $state.raw(undefined);
  #problem: string | undefined = $state.raw(undefined);
  #comparison: { readonly source: string; readonly result: Comparison; readonly skipped: number } | undefined = $state.raw(undefined);

  constructor(setup: LogSoloSetup) {
    this.#run = new LogSoloRun(setup);
    this.#publish();
  }

  get snapshot(): LogSoloSnapshot {
    return this.#scrubbed ?? this.#snapshot;
  }
  get timeline(): Timeline {
    return this.#timeline;
  }
  get cursor(): number | undefined {
    return this.#cursor;
  }
  get problem(): string | undefined {
    return this.#problem;
  }
  get comparison() {
    return this.#comparison;
  }

  reset(setup: LogSoloSetup): void {
    this.#run = new LogSoloRun(setup);
    this.#problem = undefined;
    this.#publish();
  }

  do(command: LogSoloCommand): void {
    if (this.#cursor !== undefined) this.branchHere();
    try {
      this.#run.apply(command);
      this.#problem = undefined;
    } catch (error) {
      this.#problem = error instanceof Error ? error.message : String(error);
    }
    this.#publish();
  }

  scrubTo(step: number): void {
    if (step >= this.#run.cluster.sim.steps) {
      this.#cursor = undefined;
      this.#scrubbed = undefined;
      return;
    }
    const at = Math.max(0, Math.floor(step));
    this.#cursor = at;
    this.#scrubbed = replayLog(this.#run.setup, this.#run.script, at).snapshot();
  }

  /** The scrubbed moment becomes the present; what followed it is forgotten. */
  branchHere(): void {
    if (this.#cursor === undefined) return;
    this.#run = replayLog(this.#run.setup, this.#run.script, this.#cursor);
    this.#publish();
  }

  /** Runs a schedule file's JSON against Multi-Paxos and Raft. */
  compareFile(name: string, raw: unknown): void {
    this.#comparison = { source: name, result: compareSchedule(raw), skipped: 0 };
  }

  /** Runs this run's own steps (as a schedule) against Multi-Paxos and Raft. */
  compareMine(): void {
    const { schedule, skipped } = scheduleOf(this.#run);
    this.#comparison = { source: 'your run', result: compareSchedule(schedule), skipped };
  }

  #publish(): void {
    this.#cursor = undefined;
    this.#scrubbed = undefined;
    this.#snapshot = this.#run.snapshot();
    this.#timeline = timelineFromTrace(this.#run.members, this.#run.cluster.sim.trace);
  }
}
