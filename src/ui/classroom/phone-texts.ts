/**
 * What a phone says about safety and about its past decisions: pure texts from the teacher's
 * screen's verdict (protocol.ts SafetyVerdict) and the tab's own part, unit-tested.
 */
import type { MyPart } from '../../classroom/classroom.ts';
import type { SafetyVerdict } from '../../classroom/protocol.ts';
import type { Value } from '../../core/types.ts';
import type { PeerId } from '../../transport/types.ts';

export interface VerdictAlarm {
  /** "AGREEMENT BROKEN", shouted. */
  readonly headline: string;
  /** What this phone's own node decided, e.g. "Your node decided “blue”". */
  readonly mine: string;
  /** Who else decided what, and what the property means. */
  readonly detail: string;
}

function quoted(value: Value): string {
  return `“${value}”`;
}

export function verdictAlarm(
  verdict: SafetyVerdict,
  self: PeerId,
  myDecision: Value | undefined,
  nameOf: (peer: PeerId) => string,
): VerdictAlarm {
  const headline = `${verdict.broken.join(' and ').toUpperCase()} BROKEN`;
  const mine = myDecision === undefined ? 'Your node has not decided.' : `Your node decided ${quoted(myDecision)}.`;
  const parts: string[] = [];
  if (verdict.broken.includes('Agreement')) {
    const groups = verdict.decided.map(({ value, members }) => {
      const names = members.map((m) => (m === self ? 'you' : nameOf(m)));
      return `${names.join(', ')} decided ${quoted(value)}`;
    });
    parts.push(`${groups.join('; ')}. Agreement means every node decides the same value.`);
  }
  if (verdict.broken.includes('Validity')) {
    parts.push(`${verdict.unproposed.map(quoted).join(', ')} was decided, but nobody proposed it. Validity means only a proposed value may be decided.`);
  }
  return { headline, mine, detail: parts.join(' ') };
}

/** One line of "Earlier decisions": what my node decided there, and whether safety broke. */
export function pastDecisionText(part: MyPart, verdict: SafetyVerdict | undefined): string {
  if (!part.member) return 'not a member';
  const outcome = !part.known
    ? 'you took part (its outcome was not kept after this page reloaded)'
    : part.decided === undefined
      ? 'you took part; your node did not decide'
      : `you decided ${quoted(part.decided)}`;
  return verdict === undefined ? outcome : `${outcome} — ${verdict.broken.join(' and ')} broken`;
}
