import { assertNever } from '../core/assert.ts';
import type { Value } from '../core/types.ts';

/**
 * The stories a decision can tell. A scenario only chooses which values students may propose;
 * the algorithm underneath is the same write-once variable.
 */
export const SCENARIO_NAMES = ['colors', 'user-of-the-day', 'order-cancellation'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  /** The question the class is answering, shown above the buttons. */
  readonly question: string;
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  colors: { name: 'colors', title: 'Colour vote', question: 'Which colour does the class pick?' },
  'user-of-the-day': {
    name: 'user-of-the-day',
    title: 'User of the day',
    question: 'Exactly one participant must become today’s user of the day.',
  },
  'order-cancellation': {
    name: 'order-cancellation',
    title: 'Order cancellation',
    question: 'The warehouse wants to ship, the customer wants to cancel: only one may happen.',
  },
};

export const COLORS: readonly Value[] = ['red', 'blue', 'green', 'yellow'];
export const ORDER_OUTCOMES: readonly Value[] = ['warehouse: ship', 'customer: cancel'];

/**
 * The values a student may propose in `scenario`. For "user of the day" these are the
 * participants' names; the phone view offers one drawn at random (the random draw is the UI's,
 * never the algorithm's).
 */
export function proposalChoices(scenario: ScenarioName, participants: readonly string[]): readonly Value[] {
  switch (scenario) {
    case 'colors':
      return COLORS;
    case 'order-cancellation':
      return ORDER_OUTCOMES;
    case 'user-of-the-day':
      return participants.length > 0 ? participants : ['nobody yet'];
    default:
      return assertNever(scenario, 'scenario');
  }
}
