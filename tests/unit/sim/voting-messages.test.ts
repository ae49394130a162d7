/**
 * What one undisturbed decision costs the voting family in messages (issue 11: a tab's main-thread
 * time per decision is mostly its frames). One proposer, no faults: the candidate to the n − 1
 * others and each member's vote to the n − 1 others, nothing else (no acknowledgements), and then
 * nothing at all: every node heard every vote, so no resend timer is left.
 */
import { describe, expect, it } from 'vitest';
import { impatientTiebreakSpec } from '../../../src/machines/impatient-tiebreak.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { tiebreakSpec } from '../../../src/machines/tiebreak.ts';
import { Simulation } from '../../../src/sim/simulator.ts';

const SPECS = [majoritySpec, tiebreakSpec, impatientTiebreakSpec] as unknown as readonly OnceAlgorithmSpec[];

// The three share one machine: the room of 40 (issue 11's class) once, the small rooms for each.
const CASES = SPECS.map((spec) => [spec.name, spec, spec === (majoritySpec as unknown) ? [5, 10, 40] : [5, 10]] as const);

describe.each(CASES)('%s: messages of one undisturbed decision', (_, spec, sizes) => {
  it.each(sizes)('n = %i: (n − 1) candidates + n(n − 1) votes, then the room is quiet', (n) => {
    const sim = new Simulation({ algorithm: spec, nodes: n, seed: 7 });
    sim.propose(sim.liveNodes()[0]!, 'red');
    expect(sim.runUntil(60_000)).toBe('idle');
    expect(sim.allLiveDecided()).toBe(true);
    const kinds = new Map<string, number>();
    for (const entry of sim.trace) {
      if (entry.kind !== 'send' || entry.from === entry.to) continue;
      const type = (entry.message as { readonly type: string }).type;
      kinds.set(type, (kinds.get(type) ?? 0) + 1);
    }
    expect(Object.fromEntries(kinds)).toEqual({ candidate: n - 1, vote: n * (n - 1) });
  });
});
