import { describe, expect, it } from 'vitest';
import { parseRoute, soloRunHref } from '../../../src/ui/route.ts';
import { replay, type SoloScript } from '../../../src/ui/solo-script.ts';
import '../../../src/ui/solo-presets.ts'; // registers the preset stager, as solo mode does on first use

describe('solo mode: demonstration presets as a start', () => {
  const script: SoloScript = {
    setup: { algorithm: 'impatient-tiebreak', nodes: 5, seed: 4 },
    start: { kind: 'preset', name: 'impatient-disagree' },
    commands: [{ do: 'run', ms: 2_000 }],
  };

  it('stages the preset and runs on to its outcome: impatient tiebreak breaks Agreement', () => {
    const { sim, problem } = replay(script);
    expect(problem).toBeUndefined();
    expect(new Set(sim.decisions.map((d) => d.value))).toEqual(new Set(['blue', 'red']));
  });

  it('replays the same run bit for bit (the scrubber and shared links rely on it)', () => {
    const a = replay(script).sim;
    const b = replay(script).sim;
    expect(b.steps).toBe(a.steps);
    expect(b.decisions).toEqual(a.decisions);
  });

  it('round-trips through a shared link, and an unknown preset name starts fresh', () => {
    const route = parseRoute(soloRunHref(script).slice(1));
    expect(route).toMatchObject({ kind: 'solo', start: { kind: 'preset', name: 'impatient-disagree' }, setup: { algorithm: 'impatient-tiebreak', nodes: 5 } });
    expect(parseRoute('solo=1&scene=preset&preset=nonsense')).toMatchObject({ kind: 'solo', start: { kind: 'fresh' } });
  });
});
