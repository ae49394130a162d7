/**
 * At most once per animation frame: what the classroom's screens and reports are paced by.
 * `FrameGate` folds any number of `request()`s between two frames into one run; the scheduler is
 * injected (requestAnimationFrame in a tab, fake time in unit tests).
 */
import { RENDER_FRAME_FALLBACK_MS, REPORT_FRAME_FALLBACK_MS, STUDENT_RENDER_INTERVAL_MS } from '../../limits.ts';

export type FrameScheduler = (fn: () => void) => void;

/**
 * The next animation frame, or `fallbackMs` if frames stop or come late (a hidden tab, a phone
 * with its screen off, a starved compositor): whichever comes first, once.
 */
export function frameOrTimeout(fallbackMs: number): FrameScheduler {
  return (fn) => runAtFrame(fn, fallbackMs);
}

/** For reports: a frame, or REPORT_FRAME_FALLBACK_MS. */
export const nextFrame: FrameScheduler = frameOrTimeout(REPORT_FRAME_FALLBACK_MS);
/** For screens: a frame, or RENDER_FRAME_FALLBACK_MS. */
export const nextRender: FrameScheduler = frameOrTimeout(RENDER_FRAME_FALLBACK_MS);

/**
 * `schedule`, but no run sooner than `minIntervalMs` after the previous one began: a request
 * after a quiet spell goes to the next frame as before, one inside the interval waits for its
 * end (and then the next frame). With FrameGate in front, a burst of changes is one run per
 * interval, its last change included.
 */
export function paced(
  schedule: FrameScheduler,
  minIntervalMs: number,
  now: () => number = () => performance.now(),
  after: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms),
): FrameScheduler {
  let lastRun = Number.NEGATIVE_INFINITY;
  return (fn) => {
    const run = (): void => {
      lastRun = now();
      fn();
    };
    const waitMs = lastRun + minIntervalMs - now();
    if (waitMs <= 0) schedule(run);
    else after(() => schedule(run), waitMs);
  };
}

/** For a student's page: a frame, at most once per STUDENT_RENDER_INTERVAL_MS (see there). */
export function studentRender(): FrameScheduler {
  return paced(nextRender, STUDENT_RENDER_INTERVAL_MS);
}

function runAtFrame(fn: () => void, fallbackMs: number): void {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    fn();
  };
  const timer = setTimeout(run, fallbackMs);
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
}

export class FrameGate {
  private pending = false;

  constructor(
    private readonly schedule: FrameScheduler,
    private readonly run: () => void,
  ) {}

  /** Runs `run` at the next frame, once, however often this is called before it. */
  request(): void {
    if (this.pending) return;
    this.pending = true;
    this.schedule(() => {
      this.pending = false;
      this.run();
    });
  }
}
