/**
 * The demonstration presets (classroom/presets.ts) in the simulator: solo mode's start, and
 * what the tests run over many seeds. The adversary's rules map onto the simulator's own faults:
 * held messages are its manual delivery, partitions and cuts its blocked links.
 */
import { isSevered, isQuiet, judge, NO_ADVERSARY, type AdversaryRules } from '../classroom/adversary.ts';
import { PRESETS, runPreset, type Preset, type PresetHost, type PresetName, type Role } from '../classroom/presets.ts';
import { summarizeMessage } from '../classroom/summary.ts';
import type { Value } from '../core/types.ts';
import { PRESET_OUTCOME_WATCH_MS, PRESET_STEP_TIMEOUT_MS } from '../limits.ts';
import { getAlgorithm } from '../machines/index.ts';
import { DEFAULT_LINK, Simulation } from '../sim/simulator.ts';
import type { TraceLevel } from '../sim/trace.ts';
import type { HoldMode } from './solo.ts';
import { registerPresetStager } from './solo-script.ts';


export interface PresetRun {
  readonly sim: Simulation;
  /** Solo mode's hold after the preset (what its last rules hold). */
  readonly hold: HoldMode;
  /** Decisions taken before the adversary last let go (the duel must have none). */
  readonly decisionsBeforeRelease: number;
}

export class PresetFailure extends Error {
  override readonly name = 'PresetFailure';
}

function holdModeOf(rules: AdversaryRules): HoldMode {
  if (rules.paused || rules.holdTo.length >= 5) return { kind: 'all' };
  if (rules.holdTo.length === 1) return { kind: 'to', node: rules.holdTo[0]! };
  return { kind: 'off' };
}

/** Runs `name`'s steps on a fresh 5-node simulation with `seed`; throws PresetFailure (with the seed) if a step cannot happen. */
export function stagePreset(name: PresetName, seed: number, trace: TraceLevel = 'full'): PresetRun {
  const preset: Preset = PRESETS[name];
  const sim = new Simulation({ algorithm: getAlgorithm(preset.algorithm), nodes: 5, seed, trace });
  let rules: AdversaryRules = NO_ADVERSARY;
  let decisionsBeforeRelease = -1;
  /**
   * As in a live room, what a node held at its door dies with it: after a restart only what is
   * sent to the new incarnation waits there (the simulator would discard the old copies anyway,
   * and a preset's next delivery must not pick one of them).
   */
  const forgetHeldTo = (node: Role): void => {
    for (const held of sim.held()) if (held.to === node) sim.drop(held.id);
  };
  const host: PresetHost = {
    setRules: (next) => {
      rules = next;
      if (isQuiet(next) && decisionsBeforeRelease === -1) decisionsBeforeRelease = sim.decisions.length;
      sim.heal();
      for (const a of sim.members) for (const b of sim.members) if (isSevered(next, a, b)) sim.cut(a, b);
      for (const a of sim.members) {
        const slow = next.slowMs[a] ?? 0;
        sim.setLink(a, '*', { minDelayMs: DEFAULT_LINK.minDelayMs + slow, maxDelayMs: DEFAULT_LINK.maxDelayMs + slow });
      }
      sim.setManual((from, to) => judge(next, from, to).kind === 'hold');
      // What the new rules no longer hold is released in the order it was sent, or lost.
      for (const held of sim.held()) {
        const verdict = judge(next, held.from, held.to);
        if (verdict.kind === 'pass') sim.deliver(held.id);
        else if (verdict.kind === 'lost') sim.drop(held.id);
      }
    },
    propose: (node, value) => sim.propose(node, value),
    crash: (node) => {
      sim.crash(node);
      forgetHeldTo(node);
    },
    restart: (node) => {
      // Sent while it was down: a live tab's crashed node holds nothing either.
      forgetHeldTo(node);
      sim.restart(node);
    },
    held: (at) =>
      sim
        .held()
        .filter((h) => h.to === at)
        .map((h) => ({ entry: h.id, from: h.from as Role, ...summarizeMessage(h.message) })),
    deliver: (_at, entry) => sim.deliver(entry),
    hasDecided: (node) => sim.status(node) === 'up' && sim.decisions.some((d) => d.node === node),
    say: (text) => sim.note(text),
  };
  const steps = runPreset(preset, host);
  for (let next = steps.next(); !next.done; next = steps.next()) {
    const wait = next.value;
    sim.runUntil(() => wait.ready(), { maxTime: sim.now + PRESET_STEP_TIMEOUT_MS });
    if (!wait.ready()) throw new PresetFailure(`preset ${name}, seed ${seed}: waited ${PRESET_STEP_TIMEOUT_MS} ms for ${wait.why}`);
  }
  return { sim, hold: holdModeOf(rules), decisionsBeforeRelease: Math.max(0, decisionsBeforeRelease) };
}

/** What a preset run ended with, judged against its outcome. */
export interface PresetVerdict {
  readonly reached: boolean;
  readonly detail: string;
}

function decidedValues(sim: Simulation): Set<Value> {
  return new Set(sim.decisions.map((d) => d.value));
}

/** Stages the preset and runs on until its outcome shows (or cannot): the tests' and the CLI's check. */
export function runPresetToOutcome(name: PresetName, seed: number, trace: TraceLevel = 'full'): PresetVerdict & { readonly run: PresetRun } {
  const run = stagePreset(name, seed, trace);
  const { sim } = run;
  const outcome = PRESETS[name].outcome;
  const allLiveDecided = () => sim.liveNodes().every((n) => sim.decisions.some((d) => d.node === n));
  switch (outcome.kind) {
    case 'staged':
      return { run, reached: true, detail: 'staged' };
    case 'no-decision':
      sim.runUntil(sim.now + PRESET_OUTCOME_WATCH_MS);
      return { run, reached: sim.decisions.length === 0, detail: `${sim.decisions.length} decisions in ${PRESET_OUTCOME_WATCH_MS} ms` };
    case 'disagreement':
      sim.runUntil(() => decidedValues(sim).size > 1, { maxTime: sim.now + PRESET_OUTCOME_WATCH_MS });
      return { run, reached: decidedValues(sim).size > 1, detail: `decided ${[...decidedValues(sim)].join(', ') || 'nothing'}` };
    case 'decided': {
      sim.runUntil(allLiveDecided, { maxTime: sim.now + PRESET_OUTCOME_WATCH_MS });
      const values = [...decidedValues(sim)];
      return { run, reached: allLiveDecided() && values.length === 1 && values[0] === outcome.value, detail: `decided ${values.join(', ') || 'nothing'}` };
    }
    case 'decided-after-duel': {
      sim.runUntil(allLiveDecided, { maxTime: sim.now + PRESET_OUTCOME_WATCH_MS });
      const values = [...decidedValues(sim)];
      const reached = run.decisionsBeforeRelease === 0 && allLiveDecided() && values.length === 1;
      return { run, reached, detail: `${run.decisionsBeforeRelease} decisions during the duel, then ${values.join(', ') || 'nothing'}` };
    }
    default: {
      const never: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(never)}`);
    }
  }
}

// Solo mode loads this module on demand; replaying a preset start needs it from then on.
registerPresetStager((name, seed) => {
  const { sim, hold } = stagePreset(name, seed);
  return { sim, hold };
});
