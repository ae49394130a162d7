import { describe, expect, it } from 'vitest';
import { CHAPTERS, PROPERTY_NAMES, chapterById } from '../../../src/lessons/chapters.ts';
import { lessonHref, lessonSoloHref } from '../../../src/lessons/links.ts';
import { parseRoute } from '../../../src/ui/route.ts';
import { isAlgorithmName } from '../../../src/machines/spec.ts';
import { isScenarioName } from '../../../src/classroom/scenarios.ts';
import { MAX_MESSAGE_DELAY_MS } from '../../../src/limits.ts';

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

  it('link every "try this" to solo mode set up with the chapter’s algorithm, nodes and seed', () => {
    for (const chapter of CHAPTERS) {
      if (!chapter.tryThis) continue;
      const route = parseRoute(lessonSoloHref(chapter));
      expect(route.kind, chapter.id).toBe('solo');
      if (route.kind !== 'solo') continue;
      expect(route.setup, chapter.id).toEqual(chapter.tryThis.solo);
    }
  });

  it('have a lessons link per chapter', () => {
    expect(lessonHref('flp')).toBe('?lessons=1&chapter=flp');
    expect(lessonSoloHref(chapterById('flp')!)).toContain('scene=flp');
  });
});
