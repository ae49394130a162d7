/**
 * What the teacher's screen tells a decision's phones when a safety property breaks: a pure
 * function of the properties and the judgement the dashboard already shows, so the phones and
 * the projector can never tell two different stories.
 */
import type { DecisionJudgement } from './evidence.ts';
import type { PropertyReport } from './properties.ts';
import type { SafetyProperty, SafetyVerdict } from './protocol.ts';

/** The verdict to send, or undefined while Agreement and Validity hold. */
export function safetyVerdict(properties: PropertyReport, judgement: DecisionJudgement): SafetyVerdict | undefined {
  const broken: SafetyProperty[] = [];
  if (properties.agreement.status === 'violated') broken.push('Agreement');
  if (properties.validity.status === 'violated') broken.push('Validity');
  if (broken.length === 0) return undefined;
  return {
    broken,
    decided: judgement.believed.map(({ value, members }) => ({ value, members: [...members] })),
    unproposed: properties.validity.status === 'violated' ? [...properties.validity.unproposed] : [],
  };
}

/** Equal verdicts are sent once: a key that changes only when what a phone would say changes. */
export function verdictKey(verdict: SafetyVerdict): string {
  return JSON.stringify([verdict.broken, verdict.decided.map((d) => [d.value, [...d.members].sort()]), verdict.unproposed]);
}
