import type { NodeId, Value } from '../core/types.ts';
import type { Simulation } from '../sim/simulator.ts';
import {
  applyHold,
  newSimulation,
  snapshotOf,
  stageFlp,
  type FlpAlgorithm,
  type HoldMode,
  type SoloSetup,
  type SoloSnapshot,
} from './solo.ts';

/**
 * Solo mode's state: one deterministic `Simulation` driven by the user's commands. The
 * simulation only changes when a command runs (virtual time does not flow by itself), so each
 * command ends by publishing a fresh plain snapshot in `$state.raw`; the page reads that and
 * nothing else. There is no outside event source to subscribe to, hence no createSubscriber.
 */
export class Solo {
  #sim: Simulation;
  #hold: HoldMode = { kind: 'off' };
  #snapshot: SoloSnapshot;
  #problem: string | undefined = $state.raw(undefined);
  #lastRun: string | undefined = $state.raw(undefined);

  constructor(setup: SoloSetup) {
    this.#sim = newSimulation(setup);
    this.#snapshot = $state.raw(snapshotOf(this.#sim, this.#hold));
  }

  get snapshot(): SoloSnapshot {
    return this.#snapshot;
  }

  /** Why the last command was refused (e.g. proposing on a crashed node), in words. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** What the last Step or Run did, e.g. "ran 1000 ms: nothing left to happen". */
  get lastRun(): string | undefined {
    return this.#lastRun;
  }

  reset(setup: SoloSetup): void {
    this.#act(() => {
      this.#sim = newSimulation(setup);
      this.#hold = { kind: 'off' };
      this.#lastRun = undefined;
    });
  }

  /** The FLP scene: 2 vs 2 among n1–n4, both candidates held on their way to n5. */
  stageFlp(algorithm: FlpAlgorithm, seed: number): void {
    this.#act(() => {
      const staged = stageFlp(algorithm, seed);
      this.#sim = staged.sim;
      this.#hold = staged.hold;
      this.#lastRun = undefined;
    });
  }

  propose(node: NodeId, value: Value): void {
    this.#act(() => this.#sim.propose(node, value));
  }

  crash(node: NodeId): void {
    this.#act(() => this.#sim.crash(node));
  }

  restart(node: NodeId): void {
    this.#act(() => this.#sim.restart(node));
  }

  /** Processes the next event in virtual-time order (a delivery or a timer). */
  step(): void {
    this.#act(() => {
      const before = this.#sim.now;
      const stepped = this.#sim.step();
      this.#lastRun = stepped ? `one step: ${Math.round((this.#sim.now - before) * 10) / 10} ms later` : 'nothing left to happen';
    });
  }

  run(ms: number): void {
    this.#act(() => {
      const stop = this.#sim.runFor(ms);
      this.#lastRun = `ran ${ms} ms: ${STOP_WORDS[stop]}`;
    });
  }

  /** Holding on keeps every message aside for Deliver/Drop; off lets new ones flow (held ones stay listed). */
  setHold(on: boolean): void {
    this.#act(() => {
      this.#hold = on ? { kind: 'all' } : { kind: 'off' };
      applyHold(this.#sim, this.#hold);
    });
  }

  deliver(id: number): void {
    this.#act(() => this.#sim.deliver(id));
  }

  drop(id: number): void {
    this.#act(() => this.#sim.drop(id));
  }

  /** Delivers every held message, oldest first (what happens once the network stops being adversarial). */
  deliverAllHeld(): void {
    this.#act(() => {
      for (const { id } of this.#sim.held()) this.#sim.deliver(id);
    });
  }

  #act(command: () => void): void {
    try {
      command();
      this.#problem = undefined;
    } catch (error) {
      this.#problem = error instanceof Error ? error.message : String(error);
    }
    this.#publish();
  }

  #publish(): void {
    this.#snapshot = snapshotOf(this.#sim, this.#hold);
  }
}

const STOP_WORDS = {
  time: 'time is up, more is scheduled',
  idle: 'nothing left to happen',
  predicate: 'stopped',
  'step-limit': 'step limit reached (a run this long is a bug; reset)',
} as const;
