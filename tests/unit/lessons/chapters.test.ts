import { describe, expect, it } from 'vitest';
import { CHAPTERS, PROPERTY_NAMES, chapterById } from '../../../src/lessons/chapters.ts';
import { lessonHref, lessonSoloHref } from '../../../src/lessons/links.ts';
import { parseRoute } from '../../../src/ui/route.ts';
import { isAlgorithmName } from '../../../src/machines/spec.ts';
import { isScenarioName } from '../../../src/classroom/scenarios.ts';
import { MAX_MESSAGE_DELAY_MS } from '../../../src/limits.ts';
import { PRESET_ALGORITHMS, PRESET_NODES, isPresetName, type PresetName } from '../../../src/classroom/preset-names.ts';
import { PRESETS } from '../../../src/classroom/presets.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';

describe('lesson chapters', () => {
  it('tell the storyline in order, one chapter per step, with unique ids', () => {
    expect(CHAPTERS.map((c) => c.id)).toEqual(['write-once', 'coordinator', 'majority', 'tiebreak', 'flp', 'paxos', 'replication']);
    expect(new Set(CHAPTERS.map((c) => c.id)).size).toBe(CHAPTERS.length);
  });

  it('judge every chapter on all four properties, once each', () => {
    for (const chapter of CHAPTERS) {
      expect(chapter.verdicts.map((v) => v.property).sort(), chapter.id).toEqual([...PROPERTY_NAMES].sort());
    }
  });

  it('say which property each weak algorithm loses, as the checker finds it', () => {
    const lost = (id: string) => chapterById(id)?.verdicts.filter((v) => !v.kept).map((v) => v.property);
    expect(lost('coordinator')).toEqual(['Fault tolerance']);
    expect(lost('majority')).toEqual(['Termination']);
    expect(lost('tiebreak')).toEqual(['Fault tolerance']);
    expect(lost('paxos')).toEqual([]);
  });

  it('set up every "try this" with an algorithm, scenario and delay the dashboard offers', () => {
    for (const chapter of CHAPTERS) {
      if (!chapter.tryThis) continue;
      const { live } = chapter.tryThis;
      expect(isAlgorithmName(live.algorithm), chapter.id).toBe(true);
      expect(isScenarioName(live.scenario), chapter.id).toBe(true);
      expect(live.delayMs).toBeGreaterThanOrEqual(0);
      expect(live.delayMs).toBeLessThanOrEqual(MAX_MESSAGE_DELAY_MS);
      expect(chapter.tryThis.steps.length).toBeGreaterThan(0);
    }
  });

  it('link every "try this" to solo mode set up with the chapter’s algorithm, nodes and seed, staging its preset or scene', () => {
    for (const chapter of CHAPTERS) {
      if (!chapter.tryThis) continue;
      const route = parseRoute(lessonSoloHref(chapter));
      expect(route.kind, chapter.id).toBe('solo');
      if (route.kind !== 'solo') continue;
      expect(route.setup, chapter.id).toEqual(chapter.tryThis.solo);
      const preset = chapter.tryThis.presets?.solo;
      if (preset !== undefined) expect(route.start, chapter.id).toEqual({ kind: 'preset', name: preset });
      else expect(route.start, chapter.id).toEqual({ kind: 'fresh' });
    }
  });

  it('name the demonstration preset of every chapter whose failure has one', () => {
    const named = Object.fromEntries(CHAPTERS.map((c) => [c.id, c.tryThis?.presets]));
    expect(named).toEqual({
      'write-once': undefined,
      coordinator: { live: 'coordinator-crash', solo: 'coordinator-crash' },
      majority: { live: 'majority-split', solo: 'majority-split' },
      tiebreak: { live: 'tiebreak-crash', solo: 'impatient-disagree' },
      flp: { live: 'flp-scene', solo: 'flp-scene', more: ['flp-red-first', 'flp-blue-first'] },
      paxos: { live: 'paxos-duel', solo: 'paxos-duel', more: ['amnesia-restart'] },
      replication: undefined,
    });
  });

  it('name only presets that exist, each on the chapter’s algorithm', () => {
    // The other presets a chapter names run its algorithm or the variant the chapter discusses.
    const variants: Readonly<Record<string, readonly AlgorithmName[]>> = { paxos: ['paxos-amnesia'] };
    for (const chapter of CHAPTERS) {
      const tryThis = chapter.tryThis;
      const presets = tryThis?.presets;
      if (tryThis === undefined || presets === undefined) continue;
      const all: PresetName[] = [presets.live, ...(presets.solo === undefined ? [] : [presets.solo]), ...(presets.more ?? [])];
      for (const name of all) {
        expect(isPresetName(name), `${chapter.id}: ${name}`).toBe(true);
        expect(PRESETS[name].name, `${chapter.id}: ${name}`).toBe(name);
      }
      // Live: the preset runs on the decision "try this" starts, so on that algorithm.
      expect(PRESETS[presets.live].runsOn, chapter.id).toContain(tryThis.live.algorithm);
      // Solo: the link stages the preset on its own algorithm, which is the chapter's solo one.
      if (presets.solo !== undefined) {
        expect(PRESET_ALGORITHMS[presets.solo], chapter.id).toBe(tryThis.solo.algorithm);
        expect(PRESET_NODES, chapter.id).toBe(tryThis.solo.nodes);
      }
      const chapterAlgorithms = [tryThis.live.algorithm, tryThis.solo.algorithm, ...(variants[chapter.id] ?? [])];
      for (const name of presets.more ?? []) expect(chapterAlgorithms, `${chapter.id}: ${name}`).toContain(PRESET_ALGORITHMS[name]);
    }
  });

  it('have a lessons link per chapter', () => {
    expect(lessonHref('flp')).toBe('?lessons=1&chapter=flp');
    // The FLP chapter's solo link stages the class's own FLP preset (the same 2–2 tie at n5).
    expect(lessonSoloHref(chapterById('flp')!)).toBe('?solo=1&algorithm=tiebreak&nodes=5&seed=1&scene=preset&preset=flp-scene');
  });
});
