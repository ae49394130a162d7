import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, PRESETS, presetsFor, roleMap, rulesInRoom } from '../../../src/classroom/presets.ts';
import { ALGORITHM_NAMES } from '../../../src/machines/names.ts';
import { runPresetToOutcome } from '../../../src/ui/solo-presets.ts';
import { snapshotOf } from '../../../src/ui/solo.ts';

/** Every preset must reach its outcome on every one of these seeds: no lucky timing. */
const SEEDS = Number(process.env.PRESET_SEEDS ?? 100);

describe('demonstration presets in the simulator', () => {
  for (const name of PRESET_NAMES) {
    it(`${name} reaches "${PRESETS[name].outcome.kind}" on ${SEEDS} of ${SEEDS} seeds`, () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        try {
          const verdict = runPresetToOutcome(name, seed, 'facts');
          if (!verdict.reached) failures.push(`seed ${seed}: ${verdict.detail}`);
        } catch (error) {
          failures.push(`seed ${seed}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      expect(failures.slice(0, 5)).toEqual([]);
    }, 60_000); // 100 seeds take 1–4 s alone; on 2 busy cores many times that
  }

  it('the FLP scene decides by delivery order alone: red first gives red, blue first blue', () => {
    expect(runPresetToOutcome('flp-red-first', 7).detail).toBe('decided red');
    expect(runPresetToOutcome('flp-blue-first', 7).detail).toBe('decided blue');
  });

  it('the staged FLP scene leaves four nodes at 2–2 with both candidates held at n5', () => {
    const { run } = runPresetToOutcome('flp-scene', 3);
    run.sim.runFor(200); // the votes released among n1–n4 land
    const atFifth = run.sim.held().filter((h) => h.to === 'n5').map((h) => (h.message as { type: string; value?: string }));
    expect([...new Set(atFifth.filter((m) => m.type === 'candidate').map((m) => m.value))].sort()).toEqual(['blue', 'red']);
    for (const n of ['n1', 'n2', 'n3', 'n4']) expect(run.sim.view(n)?.tally).toEqual({ red: 2, blue: 2 });
    expect(run.sim.decisions).toEqual([]);
  });

  it('FLP with n5 crashed while both candidates are held: tiebreak waits forever, impatient tiebreak breaks Agreement', () => {
    for (const seed of [1, 2, 3]) {
      const patient = runPresetToOutcome('flp-crash', seed);
      expect(patient.reached, `seed ${seed}: ${patient.detail}`).toBe(true);
      expect(patient.run.sim.status('n5')).toBe('down');
      // Blocked, not slow: four nodes at 2–2 waiting on the one that crashed.
      for (const n of ['n1', 'n2', 'n3', 'n4']) {
        expect(patient.run.sim.view(n)?.tally).toEqual({ red: 2, blue: 2 });
        expect(patient.run.sim.view(n)?.waitingOn).toEqual(['n5']);
      }
      const blocked = snapshotOf(patient.run.sim, patient.run.hold).properties;
      expect(blocked.agreement.status).not.toBe('violated');
      expect(blocked.termination.detail).toMatch(/blocked/);

      const impatient = runPresetToOutcome('flp-crash-impatient', seed);
      expect(impatient.reached, `seed ${seed}: ${impatient.detail}`).toBe(true);
      const byNode = new Map(impatient.run.sim.decisions.map((d) => [d.node, d.value]));
      expect(Object.fromEntries(byNode)).toEqual({ n1: 'blue', n2: 'blue', n3: 'blue', n4: 'blue', n5: 'red' });
      // The classroom's checker (what solo mode and the projector show) names the violation.
      const broken = snapshotOf(impatient.run.sim, impatient.run.hold).properties;
      expect(broken.agreement.status).toBe('violated');
      expect(broken.agreement.detail).toMatch(/red/);
    }
  });

  it('covers every write-once algorithm with at least one failure preset', () => {
    for (const algorithm of ALGORITHM_NAMES) expect(presetsFor(algorithm).length, algorithm).toBeGreaterThan(0);
  });
});

describe('presets in a live room', () => {
  it('maps roles onto the sorted members and rewrites rules in peer ids', () => {
    const { peerOf, roleOf } = roleMap(['e', 'c', 'a', 'd', 'b']);
    expect(peerOf('n1')).toBe('a');
    expect(roleOf('e')).toBe('n5');
    const rules = rulesInRoom({ paused: false, holdTo: ['n5'], groups: [['n1', 'n2']], cuts: [{ from: 'n1', to: 'n3' }], slowMs: { n4: 5 } }, peerOf);
    expect(rules).toEqual({ paused: false, holdTo: ['e'], groups: [['a', 'b']], cuts: [{ from: 'a', to: 'c' }], slowMs: { d: 5 } });
    expect(() => roleMap(['a', 'b'])).toThrow(/5 members/);
  });
});
