/**
 * A demonstration preset (presets.ts) run by the teacher's dashboard in a live room: the same
 * steps the simulator runs, carried out through the adversary's controls (rules broadcast to
 * every member, held messages delivered by their receiving node, crashes and restarts, staged
 * proposals), each waiting for the members' reports of what they hold and decided.
 */
import type { Value } from '../core/types.ts';
import { PRESET_STEP_TIMEOUT_MS } from '../limits.ts';
import type { TransportClock } from '../transport/clock.ts';
import type { PeerId } from '../transport/types.ts';
import type { Classroom } from './classroom.ts';
import { PRESETS, roleMap, rulesInRoom, runPreset, type PresetHeld, type PresetHost, type PresetName, type PresetWait, type Role } from './presets.ts';
import type { DecisionAnnouncement } from './protocol.ts';

export type PresetProgress =
  | { readonly state: 'running'; readonly waitingFor: string | undefined; readonly said: readonly string[] }
  | { readonly state: 'done'; readonly said: readonly string[] }
  | { readonly state: 'failed'; readonly why: string; readonly said: readonly string[] };

/**
 * Runs `name` on `decision` (a decision of its algorithm among five members). Returns a handle
 * whose `progress` the dashboard shows; `onProgress` hears every change. `stop()` abandons it
 * (the rules stay as they are: the teacher clears them with the adversary's controls).
 */
export function runLivePreset(
  classroom: Classroom,
  decision: DecisionAnnouncement,
  name: PresetName,
  clock: TransportClock,
  onProgress: (progress: PresetProgress) => void,
): LiveRun {
  const preset = PRESETS[name];
  if (!preset.runsOn.includes(decision.algorithm)) {
    return refusedRun(`the preset runs ${preset.runsOn.join(' or ')}; this decision runs ${decision.algorithm}`, onProgress);
  }
  const roles = rolesOrWhy(decision.members);
  if (typeof roles === 'string') return refusedRun(roles, onProgress);
  const said: string[] = [];
  const { peerOf, roleOf } = roles;
  const control = (role: Role, c: Parameters<Classroom['control']>[2]): void => classroom.control(decision.id, peerOf(role), c);
  const host: PresetHost = {
    setRules: (rules) => classroom.setAdversary(rulesInRoom(rules, peerOf)),
    propose: (node, value: Value) => control(node, { do: 'propose', value }),
    crash: (node) => control(node, { do: 'crash' }),
    restart: (node) => control(node, { do: 'restart' }),
    held: (at): PresetHeld[] =>
      (classroom.heldAt(decision.id, peerOf(at))?.entries ?? []).flatMap((e) => {
        const from = roleOf(e.from);
        return from === undefined ? [] : [{ entry: e.entry, from, kind: e.kind, summary: e.summary }];
      }),
    deliver: (at, entry) => control(at, { do: 'deliver', entry }),
    hasDecided: (node) => (classroom.dashboard?.decision(decision.id)?.members.get(peerOf(node))?.decidedValues.length ?? 0) > 0,
    say: (text) => said.push(text),
  };
  return driveLive(runPreset(preset, host), classroom, clock, said, onProgress);
}

/** A live preset run: `progress` is what the dashboard shows; `stop()` abandons it. */
export interface LiveRun {
  stop(): void;
  readonly progress: PresetProgress;
}

/** A run that cannot start (wrong algorithm, not five members): failed at once, nothing to stop. */
export function refusedRun(why: string, onProgress: (progress: PresetProgress) => void): LiveRun {
  const progress: PresetProgress = { state: 'failed', why, said: [] };
  onProgress(progress);
  return { stop: () => undefined, progress };
}

/** The members as roles n1…n5 (presets.ts roleMap), or why they cannot be. */
export function rolesOrWhy(members: readonly PeerId[]): ReturnType<typeof roleMap<PeerId>> | string {
  try {
    return roleMap(members);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Drives a preset's steps in a live room (this one's and the order book's, live-book-presets.ts):
 * each wait is re-checked whenever the classroom changes (a report, a held list), given up after
 * PRESET_STEP_TIMEOUT_MS, and the progress reported at every turn.
 */
export function driveLive(
  steps: Generator<PresetWait, void, void>,
  classroom: Pick<Classroom, 'subscribe'>,
  clock: TransportClock,
  said: readonly string[],
  report: (progress: PresetProgress) => void,
): LiveRun {
  let progress: PresetProgress = { state: 'running', waitingFor: undefined, said };
  const tell = (next: PresetProgress): void => {
    progress = next;
    report(next);
  };
  let stopped = false;
  let wait: PresetWait | undefined;
  let deadline: unknown;
  const unsubscribe = classroom.subscribe(() => {
    if (wait !== undefined && wait.ready()) advance();
  });
  const finish = (next: PresetProgress): void => {
    stopped = true;
    unsubscribe();
    if (deadline !== undefined) clock.clearTimeout(deadline);
    tell(next);
  };
  function advance(): void {
    if (stopped) return;
    if (deadline !== undefined) clock.clearTimeout(deadline);
    deadline = undefined;
    wait = undefined;
    let next: IteratorResult<PresetWait, void>;
    try {
      next = steps.next();
    } catch (error) {
      return finish({ state: 'failed', why: error instanceof Error ? error.message : String(error), said });
    }
    if (next.done) return finish({ state: 'done', said });
    const pending = next.value;
    wait = pending;
    tell({ state: 'running', waitingFor: pending.why, said });
    deadline = clock.setTimeout(() => {
      if (wait === pending && !stopped) finish({ state: 'failed', why: `waited ${PRESET_STEP_TIMEOUT_MS / 1000} s for ${pending.why}`, said });
    }, PRESET_STEP_TIMEOUT_MS);
    // A condition true already (a report that arrived with the step) goes on at once, but not
    // nested in this call: the next report will do, or a zero timer.
    if (pending.ready()) clock.setTimeout(() => wait === pending && advance(), 0);
  }
  advance();
  return {
    stop: () => {
      if (!stopped) finish({ state: 'failed', why: 'stopped by the teacher', said });
    },
    get progress() {
      return progress;
    },
  };
}
