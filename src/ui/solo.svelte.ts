import { assertNever } from '../core/assert.ts';
import { PRESET_ALGORITHMS, PRESET_NODES, type PresetName } from '../classroom/preset-names.ts';
import type { NodeId, Value } from '../core/types.ts';
import type { Simulation } from '../sim/simulator.ts';
import type { TraceEntry } from '../sim/trace.ts';
import { EXPLORE_MAX_NODES, SIM_MAX_STEPS } from '../limits.ts';
import type { CriticalStep, ExploreStep } from '../explore/explorer.ts';
import type { RunQuestion, RunQuestionKind } from '../explore/from-run.ts';
import { runQuestion } from '../explore/question.ts';
import type { ScheduleFileStep } from '../explore/run-prefix.ts';
import { FLP_SCENE_ADVERSARY } from '../explore/scenes.ts';
import { timelineFromTrace, type Timeline } from '../timeline/timeline.ts';
import { FLP_NODES, snapshotOf, type FlpAlgorithm, type HoldMode, type SoloSetup, type SoloSnapshot } from './solo.ts';
import { apply, branchAt, presetsLoaded, replay, type SoloCommand, type SoloScript, type SoloStart } from './solo-script.ts';

/**
 * Solo mode's state: one deterministic `Simulation` driven by the user's commands, which are
 * also kept as a script (solo-script.ts) so the run can be scrubbed back, branched and shared.
 * The simulation only changes when a command runs (virtual time does not flow by itself), so
 * each command ends by publishing a fresh plain snapshot in `$state.raw`; the page reads that
 * and nothing else. There is no outside event source to subscribe to, hence no createSubscriber.
 */
export class Solo {
  /** The run as data: replaying it rebuilds `#sim` exactly (see solo-script.ts). */
  #script: SoloScript;
  #sim: Simulation;
  #hold: HoldMode = { kind: 'off' };
  #snapshot: SoloSnapshot;
  #timeline: Timeline;
  /** The scrubber's step, or undefined when showing the run as it stands now. */
  #cursor: number | undefined = $state.raw(undefined);
  /** What the cards show while scrubbing: the run replayed up to the cursor. */
  #scrubbed: SoloSnapshot | undefined = $state.raw(undefined);
  /** Steps the setup itself takes (nodes starting, the FLP staging): the scrubber starts there. */
  #startStep = $state.raw(0);
  #problem: string | undefined = $state.raw(undefined);
  #lastRun: string | undefined = $state.raw(undefined);

  constructor(setup: SoloSetup, start: SoloStart = { kind: 'fresh' }, commands: readonly SoloCommand[] = []) {
    if (start.kind === 'preset' && !presetsLoaded()) {
      // A shared preset link: begin fresh for the first paint, then stage it once the presets load.
      const wanted: SoloScript = { setup, start, commands };
      void import('./solo-presets.ts').then(() => this.#restart(wanted));
      start = { kind: 'fresh' };
      commands = [];
    }
    this.#script = { setup, start, commands: [] };
    const replayed = replay({ setup, start, commands });
    this.#sim = replayed.sim;
    this.#hold = replayed.hold;
    this.#script = { setup, start, commands: commands.slice(0, replayed.applied) };
    this.#problem = replayed.problem === undefined ? undefined : `The shared run stopped early: ${replayed.problem}`;
    this.#startStep = replay({ setup, start, commands: [] }).sim.steps;
    this.#snapshot = $state.raw(snapshotOf(this.#sim, this.#hold));
    this.#timeline = $state.raw(timelineFromTrace(this.#sim.members, this.#sim.trace));
  }

  /** What the page shows: the run now, or at the scrubber's step. */
  get snapshot(): SoloSnapshot {
    return this.#scrubbed ?? this.#snapshot;
  }

  /** The run now, whatever the scrubber shows. */
  get current(): SoloSnapshot {
    return this.#snapshot;
  }

  get timeline(): Timeline {
    return this.#timeline;
  }

  get cursor(): number | undefined {
    return this.#cursor;
  }

  get startStep(): number {
    return this.#startStep;
  }

  get script(): SoloScript {
    return this.#script;
  }

  /** Why the last command was refused (e.g. proposing on a crashed node), in words. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** What the last Step or Run did, e.g. "ran 1000 ms: nothing left to happen". */
  get lastRun(): string | undefined {
    return this.#lastRun;
  }

  /**
   * The explorer's question about the run as it stands (see explore/from-run.ts), or why it
   * cannot be asked. The adversary follows the hold: the FLP scene's adversary (candidates to
   * n5) in the scene (solo's own or the class's preset), those to one node when holding for one
   * node, otherwise FLP's (every message).
   */
  exploreQuestion(kind: RunQuestionKind, prefixOf?: (trace: readonly TraceEntry[]) => readonly ScheduleFileStep[] | string): RunQuestion | string {
    const sim = this.#sim;
    if (sim.members.length > EXPLORE_MAX_NODES) return `the explorer takes at most ${EXPLORE_MAX_NODES} nodes; this run has ${sim.members.length}`;
    const hold = this.#hold;
    const adversary = hold.kind !== 'to' ? undefined : isFlpStart(this.#script.start) ? FLP_SCENE_ADVERSARY : { to: [hold.node] };
    const question = runQuestion(sim, kind, adversary);
    if (kind !== 'counterexample') return question;
    // A counterexample is saved as a file the simulator replays alone: the run so far comes first.
    // `prefixOf` is the explorer panel's (explore/run-prefix.ts loads with that panel, not with
    // the page: solo's first paint stays within its budget).
    if (prefixOf === undefined) throw new Error('a counterexample needs the run prefix (explore/run-prefix.ts)');
    const prefix = prefixOf(sim.trace);
    return typeof prefix === 'string' ? prefix : { ...question, prefix };
  }

  /** Held messages (ids) that are the two messages of a critical step at the current state. */
  criticalIds(critical: CriticalStep | null): number[] {
    if (critical === null || critical.steps.length > 0) return [];
    const ids: number[] = [];
    for (const m of [critical.first, critical.second]) {
      const found = this.#find({ from: m.from, to: critical.node, message: m.message });
      if (found !== undefined) ids.push(found.id);
    }
    return ids;
  }

  /**
   * Carries out one step of an explorer schedule on the live run, as the command a user could
   * have given (so it joins the script: scrubbing, branching and links keep working). Returns
   * why not, when the run has no such step (the run moved on since the schedule was found).
   */
  followStep(step: ExploreStep): string | undefined {
    let command: SoloCommand;
    switch (step.do) {
      case 'deliver':
      case 'drop': {
        const found = this.#find({ from: step.from, to: step.to, message: step.message });
        if (found === undefined) return `no ${step.kind} ${step.from} → ${step.to} is on its way any more`;
        if (step.do === 'drop' && !found.held) return `only a held message can be dropped (${step.kind} ${step.from} → ${step.to} is not held)`;
        command = step.do === 'drop' ? { do: 'drop', id: found.id } : found.held ? { do: 'deliver', id: found.id } : { do: 'deliver-now', id: found.id };
        break;
      }
      case 'timer':
        command = { do: 'timer', node: step.node, timer: step.timer };
        break;
      case 'crash':
      case 'restart':
        command = { do: step.do, node: step.node };
        break;
      default:
        return assertNever(step, 'explorer step');
    }
    this.#do(command);
    return this.#problem;
  }

  #find(want: { from: NodeId; to: NodeId; message: unknown }): { id: number; held: boolean } | undefined {
    const key = JSON.stringify(want.message, mapReplacer);
    const matches = this.#sim.runState().inFlight.filter((m) => m.from === want.from && m.to === want.to && JSON.stringify(m.message, mapReplacer) === key);
    // The explorer's in-flight messages are a set: any copy will do, a held one first (the user's to give).
    return matches.find((m) => m.held) ?? matches[0];
  }

  /** The run as a version 3 trace file's object, the dashboard's export format (its code loads on first use). */
  async traceExport(): Promise<object> {
    const { soloTraceExport } = await import('./solo-export.ts');
    return soloTraceExport(this.#sim);
  }

  /** Makes `script` the run (a branch of an imported trace): replayed, then carried on by the user. */
  load(script: SoloScript): void {
    this.#restart(script);
  }

  reset(setup: SoloSetup): void {
    this.#restart({ setup, start: { kind: 'fresh' }, commands: [] });
  }

  /** The FLP scene: 2 vs 2 among n1–n4, both candidates held on their way to n5. */
  /** Stages a demonstration preset (five nodes, its algorithm) with `seed`; its steps load on first use. */
  async stagePreset(name: PresetName, seed: number): Promise<void> {
    await import('./solo-presets.ts');
    this.#restart({ setup: { algorithm: PRESET_ALGORITHMS[name], nodes: PRESET_NODES, seed }, start: { kind: 'preset', name }, commands: [] });
  }

  stageFlp(algorithm: FlpAlgorithm, seed: number): void {
    this.#restart({ setup: { algorithm, nodes: FLP_NODES, seed }, start: { kind: 'flp', algorithm }, commands: [] });
  }

  propose(node: NodeId, value: Value): void {
    this.#do({ do: 'propose', node, value });
  }

  crash(node: NodeId): void {
    this.#do({ do: 'crash', node });
  }

  restart(node: NodeId): void {
    this.#do({ do: 'restart', node });
  }

  /** Processes the next event in virtual-time order (a delivery or a timer). */
  step(): void {
    const before = this.#sim.now;
    const steps = this.#sim.steps;
    this.#do({ do: 'step' });
    const stepped = this.#sim.steps > steps;
    this.#lastRun = stepped ? `one step: ${Math.round((this.#sim.now - before) * 10) / 10} ms later` : 'nothing left to happen';
  }

  run(ms: number): void {
    this.#do({ do: 'run', ms });
    const stop = this.#sim.steps >= SIM_MAX_STEPS ? 'step-limit' : this.#sim.pending === 0 ? 'idle' : 'time';
    this.#lastRun = `ran ${ms} ms: ${STOP_WORDS[stop]}`;
  }

  /** Holding on keeps every message aside for Deliver/Drop; off lets new ones flow (held ones stay listed). */
  setHold(on: boolean): void {
    this.#do({ do: 'hold', on });
  }

  deliver(id: number): void {
    this.#do({ do: 'deliver', id });
  }

  drop(id: number): void {
    this.#do({ do: 'drop', id });
  }

  /** Delivers every held message, oldest first (what happens once the network stops being adversarial). */
  deliverAllHeld(): void {
    this.#do({ do: 'deliver-all' });
  }

  /**
   * Shows the run as it was after `step` steps: the cards, the properties and the held messages
   * are rebuilt by replaying the script (the simulator is deterministic), the live run is kept.
   * Stepping past the end returns to now.
   */
  scrubTo(step: number): void {
    if (step >= this.#sim.steps) {
      this.#cursor = undefined;
      this.#scrubbed = undefined;
      return;
    }
    const at = Math.max(this.#startStep, Math.floor(step));
    const replayed = replay(this.#script, at);
    this.#cursor = at;
    this.#scrubbed = snapshotOf(replayed.sim, replayed.hold);
  }

  /** Makes the scrubbed moment the run's present: what follows it is forgotten, to be played differently. */
  branchHere(): void {
    if (this.#cursor === undefined) return;
    this.#restart(branchAt(this.#script, this.#cursor));
  }

  #restart(script: SoloScript): void {
    let replayed: ReturnType<typeof replay>;
    try {
      replayed = replay(script);
    } catch (error) {
      // A setup outside solo mode's range: keep the run we have and say why.
      this.#problem = error instanceof Error ? error.message : String(error);
      this.#publish();
      return;
    }
    this.#script = { ...script, commands: script.commands.slice(0, replayed.applied) };
    this.#startStep = replay({ ...script, commands: [] }).sim.steps;
    this.#sim = replayed.sim;
    this.#hold = replayed.hold;
    this.#lastRun = undefined;
    this.#problem = replayed.problem;
    this.#publish();
  }

  /** Runs one command on the live run; only commands that succeed join the script. */
  #do(command: SoloCommand): void {
    if (this.#cursor !== undefined) {
      // A command while looking at the past continues from there: that is a branch.
      this.branchHere();
    }
    try {
      this.#hold = apply(this.#sim, this.#hold, command);
      this.#script = { ...this.#script, commands: [...this.#script.commands, command] };
      this.#problem = undefined;
    } catch (error) {
      this.#problem = error instanceof Error ? error.message : String(error);
    }
    this.#publish();
  }

  #publish(): void {
    this.#cursor = undefined;
    this.#scrubbed = undefined;
    this.#snapshot = snapshotOf(this.#sim, this.#hold);
    this.#timeline = timelineFromTrace(this.#sim.members, this.#sim.trace);
  }
}

/** As the explorer keys messages: Maps by their entries. */
function mapReplacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? { '#map': [...value.entries()] } : value;
}

const STOP_WORDS = {
  time: 'time is up, more is scheduled',
  idle: 'nothing left to happen',
  'step-limit': 'step limit reached (a run this long is a bug; reset)',
} as const;

/**
 * The FLP scene, staged by solo mode or by the class's preset (the lesson's link): both leave the
 * two candidates held at n5, the two messages the story is about, so the explorer orders those
 * (every other message to n5 too would make the graph too large to answer within the budget).
 */
function isFlpStart(start: SoloStart): boolean {
  return start.kind === 'flp' || (start.kind === 'preset' && start.name === 'flp-scene');
}
