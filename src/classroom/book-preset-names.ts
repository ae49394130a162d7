/**
 * The order book's demonstration presets: names, the log algorithms each runs on, and titles,
 * for the menus and the lessons without the steps (book-presets.ts), so no page pays for them
 * before its first paint.
 */
import type { LogAlgorithmName } from '../machines/names.ts';

export const BOOK_PRESET_NAMES = ['book-ship-or-cancel', 'book-leader-crash', 'book-partition', 'book-figure-8', 'book-forgotten-vote', 'book-no-adopt'] as const;
export type BookPresetName = (typeof BOOK_PRESET_NAMES)[number];

export function isBookPresetName(raw: string): raw is BookPresetName {
  return (BOOK_PRESET_NAMES as readonly string[]).includes(raw);
}

/** The book's algorithms each preset runs on; the first is the one the simulator's tests run. */
export const BOOK_PRESET_ALGORITHMS: Readonly<Record<BookPresetName, readonly LogAlgorithmName[]>> = {
  'book-ship-or-cancel': ['raft', 'multipaxos'],
  'book-leader-crash': ['raft', 'multipaxos'],
  'book-partition': ['raft', 'multipaxos'],
  // Needs the broken commit rule: with it in place the staged commit never happens (the preset says so).
  'book-figure-8': ['raft-no-term-rule'],
  // Need the broken variants too: on raft and multipaxos the same steps end with one leader per term and one command per index.
  'book-forgotten-vote': ['raft-forgets-vote'],
  'book-no-adopt': ['multipaxos-no-adopt'],
};

export const BOOK_PRESET_TITLES: Readonly<Record<BookPresetName, string>> = {
  'book-ship-or-cancel': 'Ship and cancel of one order at once: one outcome on every replica',
  'book-leader-crash': 'The leader crashes mid-book: a new leader, nothing committed lost',
  'book-partition': 'The leader cut off with one follower: the minority cannot commit, then heals and catches up',
  'book-figure-8': 'Raft without the own-term rule: a committed ship is lost (the paper’s Figure 8)',
  'book-forgotten-vote': 'Raft that forgets its vote: a restarted replica votes twice, two leaders in one term',
  'book-no-adopt': 'Multi-Paxos that ignores promises: a new leader writes over a chosen ship',
};

/** Every book preset is staged on five replicas: two majorities must be able to miss each other. */
export const BOOK_PRESET_NODES = 5;
