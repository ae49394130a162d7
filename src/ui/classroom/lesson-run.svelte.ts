/**
 * The preset a lesson's "try this" is running in the room. Kept outside LessonControl because
 * the dashboard shows a fresh LessonControl once the decision it started is on screen: the run
 * (and what it says) must outlive the component that started it.
 */
import type { PresetProgress } from '../../classroom/live-presets.ts';
import type { PresetName } from '../../classroom/preset-names.ts';

export interface LessonRun {
  readonly chapter: string;
  readonly preset: PresetName;
  readonly decision: string;
  readonly progress: PresetProgress | undefined;
}

let current = $state.raw<LessonRun | undefined>(undefined);
let handle: { stop(): void } | undefined;

export const lessonRun = {
  get current(): LessonRun | undefined {
    return current;
  },
  /** Stops the run in progress (if any) and forgets it. */
  stop(): void {
    handle?.stop();
    handle = undefined;
    current = undefined;
  },
  /** Starts following a run; later progress of an older run is ignored. */
  begin(run: Omit<LessonRun, 'progress'>): (progress: PresetProgress) => void {
    const mine = { ...run, progress: undefined };
    current = mine;
    return (progress) => {
      if (current?.decision === run.decision && current.preset === run.preset) current = { ...run, progress };
    };
  },
  /** The handle of the run `begin` started, once the runner has loaded. */
  attach(decision: string, running: { stop(): void }): void {
    if (current?.decision === decision) handle = running;
    else running.stop();
  },
};
