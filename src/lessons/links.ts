/**
 * Where a chapter's "try this" takes the reader. Kept beside the chapters (and out of the UI) so
 * a unit test can check that every link parses to the screen it promises.
 */
import { assertNever } from '../core/assert.ts';
import { PRESET_TITLES } from '../classroom/preset-names.ts';
import { SCENARIOS } from '../classroom/scenarios.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import type { LogAlgorithmName } from '../machines/names.ts';
import type { Chapter, LiveSetup, TryThis } from './chapters.ts';

const STATE_MACHINE_WORDS: Readonly<Record<StateMachineName, string>> = { orders: 'the order book', register: 'the register' };

/** What one click of a decision scene sets up, in words: algorithm, scenario, delay, preset. */
export function liveSetupWords(live: LiveSetup, preset: string | undefined): string {
  const base = `${live.algorithm}, scenario “${SCENARIOS[live.scenario].title}”, message delay ${live.delayMs / 1000} s`;
  return preset === undefined ? base : `${base}, then the demonstration “${preset}”`;
}

/**
 * What the dashboard's "Try this" does for a chapter, in words (the lessons page and the printed
 * plan); `logLabel` names a log algorithm as the menus do (the page passes the menu's labels).
 */
export function tryThisWords(tryThis: TryThis, logLabel: (algorithm: LogAlgorithmName) => string = (a) => a): string {
  switch (tryThis.kind) {
    case 'decision': {
      const preset = tryThis.presets?.live;
      const first = liveSetupWords(tryThis.live, preset === undefined ? undefined : PRESET_TITLES[preset]);
      const then = tryThis.followUp;
      return then === undefined ? first : `${first}; its second button: ${liveSetupWords(then.live, PRESET_TITLES[then.preset])}`;
    }
    case 'log':
      return `${STATE_MACHINE_WORDS[tryThis.live.stateMachine]} on ${logLabel(tryThis.live.algorithm)}, every connected phone a replica`;
    default:
      return assertNever(tryThis, 'try this');
  }
}

/**
 * Solo mode set up for the chapter: `?solo=1&algorithm=…&nodes=…&seed=…`, staging the chapter's
 * solo preset (`&scene=preset&preset=…`, the same link the solo menu's presets use), so the
 * reader at home sees the scene the class saw (the FLP chapter: the same staged 2–2 tie); the
 * replication chapter opens the replicated log with its comparison (`&compare=FILE`).
 */
export function lessonSoloHref(chapter: Chapter): string {
  const params = new URLSearchParams({ solo: '1' });
  const tryThis = chapter.tryThis;
  if (tryThis === undefined) return `?${params.toString()}`;
  params.set('algorithm', tryThis.solo.algorithm);
  params.set('nodes', String(tryThis.solo.nodes));
  params.set('seed', String(tryThis.solo.seed));
  switch (tryThis.kind) {
    case 'decision': {
      const preset = tryThis.presets?.solo;
      if (preset !== undefined) {
        params.set('scene', 'preset');
        params.set('preset', preset);
      }
      break;
    }
    case 'log':
      // The replicated log, with the chapter's schedule run on Multi-Paxos and Raft at once.
      params.set('stateMachine', tryThis.solo.stateMachine);
      params.set('compare', tryThis.solo.compare);
      break;
    default:
      assertNever(tryThis, 'try this');
  }
  return `?${params.toString()}`;
}

/** The lessons page at one chapter. */
export function lessonHref(chapterId: string): string {
  return `?${new URLSearchParams({ lessons: '1', chapter: chapterId }).toString()}`;
}
