/**
 * Where a chapter's "try this" takes the reader. Kept beside the chapters (and out of the UI) so
 * a unit test can check that every link parses to the screen it promises.
 */
import type { Chapter } from './chapters.ts';

/**
 * Solo mode set up for the chapter: `?solo=1&algorithm=…&nodes=…&seed=…`, staging the chapter's
 * solo preset (`&scene=preset&preset=…`, the same link the solo menu's presets use), so the
 * reader at home sees the scene the class saw (the FLP chapter: the same staged 2–2 tie).
 */
export function lessonSoloHref(chapter: Chapter): string {
  const params = new URLSearchParams({ solo: '1' });
  if (chapter.tryThis) {
    params.set('algorithm', chapter.tryThis.solo.algorithm);
    params.set('nodes', String(chapter.tryThis.solo.nodes));
    params.set('seed', String(chapter.tryThis.solo.seed));
  }
  const preset = chapter.tryThis?.presets?.solo;
  if (preset !== undefined) {
    params.set('scene', 'preset');
    params.set('preset', preset);
  }
  return `?${params.toString()}`;
}

/** The lessons page at one chapter. */
export function lessonHref(chapterId: string): string {
  return `?${new URLSearchParams({ lessons: '1', chapter: chapterId }).toString()}`;
}
