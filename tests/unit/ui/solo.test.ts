/**
 * Solo mode's model: the FLP scene it stages, the snapshot the page renders (properties come
 * from the classroom's checker), the URL preset, and the runes class's commands.
 */
import { describe, expect, it } from 'vitest';
import { SOLO_MAX_HELD_SHOWN, SOLO_TRACE_LINES } from '../../../src/limits.ts';
import { parseRoute } from '../../../src/ui/route.ts';
import { Solo } from '../../../src/ui/solo.svelte.ts';
import { FLP_FIFTH, newSimulation, snapshotOf, stageFlp, type FlpAlgorithm, type SoloSnapshot } from '../../../src/ui/solo.ts';

const SEEDS = [1, 2, 3, 2025, 987_654];

function heldCandidate(snap: SoloSnapshot, value: string): number {
  const held = snap.held.find((h) => h.to === FLP_FIFTH && h.kind === 'candidate' && h.summary === `candidate value ${value}`);
  if (held === undefined) throw new Error(`no ${value} candidate held for ${FLP_FIFTH}: ${JSON.stringify(snap.held)}`);
  return held.id;
}

describe('the FLP scene', () => {
  for (const algorithm of ['majority', 'tiebreak', 'impatient-tiebreak'] as const satisfies readonly FlpAlgorithm[]) {
    for (const seed of SEEDS) {
      it(`${algorithm}, seed ${seed}: four nodes at 2–2, both candidates held for n5`, () => {
        const { sim, hold } = stageFlp(algorithm, seed);
        const snap = snapshotOf(sim, hold);
        for (const node of snap.nodes.slice(0, 4)) {
          expect(node.member.view?.tally, `seed ${seed}, ${node.id}`).toEqual({ red: 2, blue: 2 });
          expect(node.member.decidedValues, `seed ${seed}, ${node.id}`).toEqual([]);
        }
        expect(snap.nodes[4]?.member.view?.tally, `seed ${seed}`).toEqual({});
        heldCandidate(snap, 'red');
        heldCandidate(snap, 'blue');
        expect(snap.properties.termination.status).toBe('undecided');
        expect(snap.properties.agreement.status).toBe('pending');
      });

      for (const [first, other] of [['red', 'blue'], ['blue', 'red']] as const) {
        it(`${algorithm}, seed ${seed}: delivering ${first} first to n5 makes every node decide ${first}`, () => {
          const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed });
          solo.stageFlp(algorithm, seed);
          expect(solo.snapshot.hold).toEqual({ kind: 'to', node: FLP_FIFTH });
          solo.deliver(heldCandidate(solo.snapshot, first));
          solo.deliverAllHeld();
          solo.setHold(false);
          solo.run(1000);
          expect(solo.problem).toBeUndefined();
          const snap = solo.snapshot;
          expect(snap.outcome, `seed ${seed}`).toBe(first);
          for (const node of snap.nodes) expect(node.member.decidedValues, `seed ${seed}, ${node.id}`).toEqual([first]);
          expect(snap.nodes[4]?.member.view?.tally, `seed ${seed}`).toEqual({ [first]: 3, [other]: 2 });
          expect(snap.properties.agreement.status).toBe('ok');
          expect(snap.properties.validity.status).toBe('ok');
          expect(snap.properties.termination.status).toBe('decided');
        });
      }
    }
  }
});

describe('the FLP scene when n5 crashes with both candidates held', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: tiebreak and majority wait for n5 forever`, () => {
      for (const algorithm of ['tiebreak', 'majority'] as const) {
        const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed });
        solo.stageFlp(algorithm, seed);
        solo.crash(FLP_FIFTH);
        solo.run(1000);
        solo.run(1000);
        const snap = solo.snapshot;
        for (const node of snap.nodes) expect(node.member.decidedValues, `${algorithm}, seed ${seed}, ${node.id}`).toEqual([]);
        // Tiebreak needs every vote: the crash blocks it (majority is stuck on the split, not on n5).
        if (algorithm === 'tiebreak') expect(snap.properties.termination.detail).toMatch(/blocked/);
        expect(snap.properties.agreement.status).toBe('pending');
      }
    });

    it(`seed ${seed}: impatient tiebreak stops waiting, and n5 back with red first breaks Agreement`, () => {
      const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed });
      solo.stageFlp('impatient-tiebreak', seed);
      solo.crash(FLP_FIFTH);
      // What n5 held died with it: nothing is left to deliver to it.
      expect(solo.snapshot.held.filter((h) => h.to === FLP_FIFTH)).toEqual([]);
      solo.run(1000);
      for (const node of solo.snapshot.nodes.slice(0, 4)) expect(node.member.decidedValues, `seed ${seed}, ${node.id}`).toEqual(['blue']);
      expect(solo.snapshot.properties.agreement.status).toBe('ok');
      solo.restart(FLP_FIFTH);
      solo.run(200); // the others' retransmissions reach n5's door again
      solo.deliver(heldCandidate(solo.snapshot, 'red'));
      solo.deliverAllHeld();
      solo.setHold(false);
      solo.run(1000);
      expect(solo.problem).toBeUndefined();
      const snap = solo.snapshot;
      expect(snap.nodes[4]?.member.decidedValues, `seed ${seed}`).toEqual(['red']);
      expect(snap.properties.agreement.status).toBe('violated');
      expect(snap.outcome).toBeUndefined();
      // The whole run is a script: a shared link replays it to the same broken Agreement.
      const again = new Solo(solo.script.setup, solo.script.start, solo.script.commands);
      expect(again.snapshot.properties.agreement.status).toBe('violated');
    });
  }

  it('a link opens the scene with impatient tiebreak', () => {
    const route = parseRoute('?solo=1&scene=flp&algorithm=impatient-tiebreak');
    expect(route).toMatchObject({ kind: 'solo', setup: { algorithm: 'impatient-tiebreak', nodes: 5 }, start: { kind: 'flp', algorithm: 'impatient-tiebreak' } });
  });
});

describe('the solo snapshot', () => {
  it('paxos with 3 nodes decides the proposed value and the checker agrees', () => {
    const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed: 7 });
    expect(solo.snapshot.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    solo.propose('n2', 'green');
    expect(solo.snapshot.nodes[1]?.member.proposed).toEqual(['green']);
    solo.run(1000);
    expect(solo.snapshot.now).toBe(1000);
    expect(solo.snapshot.outcome).toBe('green');
    expect(solo.snapshot.properties.agreement.status).toBe('ok');
    expect(solo.snapshot.trace.length).toBeLessThanOrEqual(SOLO_TRACE_LINES);
    expect(solo.snapshot.trace.some((line) => line.includes('DECIDES "green"'))).toBe(true);
  });

  it('a crashed node is a crashed member; a refused command explains itself and changes nothing', () => {
    // The bully coordinator is the highest id, n3: with it down, nobody can decide.
    const solo = new Solo({ algorithm: 'coordinator', nodes: 3, seed: 1 });
    solo.crash('n3');
    expect(solo.snapshot.nodes[2]?.status).toBe('down');
    expect(solo.snapshot.properties.faultTolerance.crashed).toBe(1);
    const before = solo.snapshot.steps;
    solo.propose('n3', 'red');
    expect(solo.problem).toMatch(/cannot propose on n3: it is down/);
    expect(solo.snapshot.steps).toBe(before);
    solo.propose('n1', 'red');
    expect(solo.problem).toBeUndefined();
    solo.run(1000);
    expect(solo.snapshot.properties.termination.status).toBe('undecided');
    expect(solo.snapshot.properties.termination.blockedOn).toEqual(['n3']);
    solo.restart('n3');
    solo.run(1000);
    expect(solo.snapshot.outcome).toBe('red');
    expect(solo.snapshot.properties.termination.status).toBe('decided');
  });

  it('holds every message while holding is on, and lists at most a screenful', () => {
    const solo = new Solo({ algorithm: 'majority', nodes: 5, seed: 3 });
    solo.setHold(true);
    solo.propose('n1', 'red');
    expect(solo.snapshot.heldCount).toBe(4); // the candidate to each other node; self-messages are never held
    expect(solo.snapshot.held.map((h) => h.kind)).toEqual(['candidate', 'candidate', 'candidate', 'candidate']);
    solo.drop(solo.snapshot.held[0]?.id ?? -1);
    expect(solo.snapshot.heldCount).toBe(3);
    solo.run(3000); // retransmissions pile up, all held
    expect(solo.snapshot.heldCount).toBeGreaterThan(SOLO_MAX_HELD_SHOWN);
    expect(solo.snapshot.held).toHaveLength(SOLO_MAX_HELD_SHOWN);
    expect(solo.snapshot.nodes.slice(1).every((n) => n.member.view?.tally['red'] === undefined)).toBe(true);
  });

  it('step processes one event at a time', () => {
    const solo = new Solo({ algorithm: 'majority', nodes: 3, seed: 1 });
    solo.step();
    expect(solo.lastRun).toBe('nothing left to happen');
    solo.propose('n1', 'blue');
    const steps = solo.snapshot.steps;
    solo.step();
    expect(solo.snapshot.steps).toBe(steps + 1);
    expect(solo.snapshot.now).toBeGreaterThan(0);
  });

  it('refuses node counts and seeds outside the solo range', () => {
    expect(() => newSimulation({ algorithm: 'paxos', nodes: 2, seed: 1 })).toThrow(/3–9 nodes/);
    expect(() => newSimulation({ algorithm: 'paxos', nodes: 10, seed: 1 })).toThrow(/3–9 nodes/);
    expect(() => newSimulation({ algorithm: 'paxos', nodes: 3, seed: -1 })).toThrow(/seed/);
    const solo = new Solo({ algorithm: 'paxos', nodes: 3, seed: 1 });
    solo.reset({ algorithm: 'paxos', nodes: 12, seed: 1 });
    expect(solo.problem).toMatch(/3–9 nodes/);
    expect(solo.snapshot.nodes).toHaveLength(3);
  });
});

describe('the solo route', () => {
  it('opens solo mode with defaults, or the preset from the URL', () => {
    const fresh = { start: { kind: 'fresh' }, commands: [] };
    expect(parseRoute('?solo=1')).toEqual({ kind: 'solo', setup: { algorithm: 'majority', nodes: 5, seed: 1 }, ...fresh });
    expect(parseRoute('?solo=1&algorithm=paxos&nodes=3&seed=42')).toEqual({
      kind: 'solo',
      setup: { algorithm: 'paxos', nodes: 3, seed: 42 },
      ...fresh,
    });
  });

  it('falls back field by field on bad presets', () => {
    const fresh = { start: { kind: 'fresh' }, commands: [] };
    expect(parseRoute('?solo=1&algorithm=<script>&nodes=99&seed=1.5')).toEqual({
      kind: 'solo',
      setup: { algorithm: 'majority', nodes: 5, seed: 1 },
      ...fresh,
    });
    expect(parseRoute('?solo=1&nodes=&seed=')).toEqual({ kind: 'solo', setup: { algorithm: 'majority', nodes: 5, seed: 1 }, ...fresh });
    expect(parseRoute('?solo=0')).toEqual({ kind: 'landing' });
  });
});
