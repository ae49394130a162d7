/**
 * At most once per animation frame: what the classroom's screens and reports are paced by.
 * `FrameGate` folds any number of `request()`s between two frames into one run; the scheduler is
 * injected (requestAnimationFrame in a tab, fake time in unit tests).
 */
import { RENDER_FRAME_FALLBACK_MS, REPORT_FRAME_FALLBACK_MS } from '../../limits.ts';

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
