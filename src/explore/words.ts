/** The explorer's answers in words, for the CLI and solo mode (one wording for both). */
import { assertNever } from '../core/assert.ts';
import type { Value } from '../core/types.ts';
import type { ExploreStep, Valence } from './explorer.ts';

function list(values: readonly Value[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} and ${values[values.length - 1]}`;
}

/** "both red and blue are still reachable", "only red can be decided from here", "no decision is reachable". */
export function valenceSentence(valence: Valence): string {
  const { values, complete } = valence;
  if (complete) {
    if (values.length === 0) return 'no decision is reachable';
    if (values.length === 1) return `only ${values[0]} can be decided from here`;
    if (values.length === 2) return `both ${values[0]} and ${values[1]} are still reachable`;
    return `${list(values)} are all still reachable`;
  }
  if (values.length === 0) return 'no decision found yet (the search was cut short, so this is not a proof)';
  if (values.length === 1) return `${values[0]} is reachable; whether anything else is, the cut-short search cannot say`;
  return `at least ${list(values)} are reachable (the search was cut short)`;
}

export function stepSentence(step: ExploreStep): string {
  switch (step.do) {
    case 'deliver':
    case 'drop':
      return `${step.do} ${step.kind} ${step.from} → ${step.to} ${JSON.stringify(step.message)}`;
    case 'timer':
      return `timer ${step.timer.replace(/^xstate\.after\./, '').replace(/\..*$/, '')} fires at ${step.node}`;
    case 'crash':
      return `crash ${step.node}`;
    case 'restart':
      return `restart ${step.node}`;
    default:
      return assertNever(step, 'explore step');
  }
}
