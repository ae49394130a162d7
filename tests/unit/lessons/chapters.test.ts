import { describe, expect, it } from 'vitest';
import { CHAPTERS, PROPERTY_NAMES, chapterById } from '../../../src/lessons/chapters.ts';
import { lessonHref, lessonSoloHref } from '../../../src/lessons/links.ts';
import { parseRoute } from '../../../src/ui/route.ts';
import { isAlgorithmName } from '../../../src/machines/spec.ts';
import { isScenarioName } from '../../../src/classroom/scenarios.ts';
import { MAX_MESSAGE_DELAY_MS } from '../../../src/limits.ts';
import { PRESET_ALGORITHMS, PRESET_NODES, isPresetName, type PresetName } from '../../../src/classroom/preset-names.ts';
import { PRESETS } from '../../../src/classroom/presets.ts';
import { isLogAlgorithmName } from '../../../src/machines/spec.ts';
import { isStateMachineName } from '../../../src/core/state-machines.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
      const tryThis = chapter.tryThis;
      expect(tryThis, `${chapter.id} has a "try this"`).toBeDefined();
      if (tryThis === undefined) continue;
      const lives = tryThis.kind === 'decision' ? [tryThis.live, ...(tryThis.followUp === undefined ? [] : [tryThis.followUp.live])] : [];
      for (const live of lives) {
        expect(isAlgorithmName(live.algorithm), chapter.id).toBe(true);
        expect(isScenarioName(live.scenario), chapter.id).toBe(true);
      }
      for (const live of [...lives, tryThis.live]) {
        expect(live.delayMs).toBeGreaterThanOrEqual(0);
        expect(live.delayMs).toBeLessThanOrEqual(MAX_MESSAGE_DELAY_MS);
      }
      if (tryThis.kind === 'log') {
        expect(isLogAlgorithmName(tryThis.live.algorithm), chapter.id).toBe(true);
        expect(isStateMachineName(tryThis.live.stateMachine), chapter.id).toBe(true);
      }
      expect(tryThis.steps.length).toBeGreaterThan(0);
    }
  });

  it('start the order book on Raft live, and open solo mode\'s log with Paxos beside Raft on a schedule that crashes the leader (chapter 7)', () => {
    const tryThis = chapterById('replication')?.tryThis;
    expect(tryThis?.kind).toBe('log');
    if (tryThis?.kind !== 'log') return;
    expect(tryThis.live).toMatchObject({ algorithm: 'raft', stateMachine: 'orders' });
    const route = parseRoute(lessonSoloHref(chapterById('replication')!));
    expect(route).toMatchObject({ kind: 'solo', log: { algorithm: 'raft', stateMachine: 'orders', compare: tryThis.solo.compare } });
    // The file exists, and it crashes the leader (the step the chapter is about).
    const file = JSON.parse(readFileSync(join('tests/scenarios', tryThis.solo.compare), 'utf8')) as { steps: { do: string; node?: string }[] };
    expect(file.steps).toContainEqual(expect.objectContaining({ do: 'crash', node: 'leader' }));
    // A link cannot smuggle a path into the file name.
    expect(parseRoute('?solo=1&algorithm=raft&compare=../../etc/passwd')).toMatchObject({ kind: 'solo', log: { algorithm: 'raft' } });
    expect((parseRoute('?solo=1&algorithm=raft&compare=../x.json') as { log?: { compare?: string } }).log?.compare).toBeUndefined();
  });

  it('link every "try this" to solo mode set up with the chapter’s algorithm, nodes and seed, staging its preset or scene', () => {
    for (const chapter of CHAPTERS) {
      if (!chapter.tryThis) continue;
      const route = parseRoute(lessonSoloHref(chapter));
      expect(route.kind, chapter.id).toBe('solo');
      if (route.kind !== 'solo') continue;
      const tryThis = chapter.tryThis;
      if (tryThis.kind === 'log') {
        expect(route.log, chapter.id).toEqual({ algorithm: tryThis.solo.algorithm, stateMachine: tryThis.solo.stateMachine, compare: tryThis.solo.compare });
        continue;
      }
      expect(route.setup, chapter.id).toEqual(tryThis.solo);
      const preset = tryThis.presets?.solo;
      if (preset !== undefined) expect(route.start, chapter.id).toEqual({ kind: 'preset', name: preset });
      else expect(route.start, chapter.id).toEqual({ kind: 'fresh' });
    }
  });

  it('give the variants the chapters discuss a second scene: impatient tiebreak, Paxos with amnesia', () => {
    const followUps = Object.fromEntries(CHAPTERS.map((c) => [c.id, c.tryThis?.kind === 'decision' ? c.tryThis.followUp?.preset : undefined]));
    expect(followUps).toEqual({ 'write-once': undefined, coordinator: undefined, majority: undefined, tiebreak: 'impatient-disagree', flp: undefined, paxos: 'amnesia-restart', replication: undefined });
  });

  it('name the demonstration preset of every chapter whose failure has one', () => {
    const named = Object.fromEntries(CHAPTERS.map((c) => [c.id, c.tryThis?.kind === 'decision' ? c.tryThis.presets : undefined]));
    expect(named).toEqual({
      'write-once': undefined,
      coordinator: { live: 'coordinator-crash', solo: 'coordinator-crash' },
      majority: { live: 'majority-split', solo: 'majority-split' },
      tiebreak: { live: 'tiebreak-crash', solo: 'impatient-disagree' },
      flp: { live: 'flp-scene', solo: 'flp-scene', more: ['flp-red-first', 'flp-blue-first'] },
      paxos: { live: 'paxos-duel', solo: 'paxos-duel' },
      replication: undefined,
    });
  });

  it('name only presets that exist, each on the chapter’s algorithm', () => {
    // The other presets a chapter names run its algorithm or the variant the chapter discusses.
    for (const chapter of CHAPTERS) {
      const tryThis = chapter.tryThis;
      if (tryThis?.kind !== 'decision') continue;
      // The second scene's preset runs on its own decision, of the variant's algorithm.
      if (tryThis.followUp !== undefined) expect(PRESETS[tryThis.followUp.preset].runsOn, chapter.id).toContain(tryThis.followUp.live.algorithm);
      const presets = tryThis.presets;
      if (presets === undefined) continue;
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
      // The adversary panel offers the others on the same decision: they must run on it.
      for (const name of presets.more ?? []) expect(PRESETS[name].runsOn, `${chapter.id}: ${name}`).toContain(tryThis.live.algorithm);
    }
  });

  it('have a lessons link per chapter', () => {
    expect(lessonHref('flp')).toBe('?lessons=1&chapter=flp');
    // The FLP chapter's solo link stages the class's own FLP preset (the same 2–2 tie at n5).
    expect(lessonSoloHref(chapterById('flp')!)).toBe('?solo=1&algorithm=tiebreak&nodes=5&seed=1&scene=preset&preset=flp-scene');
  });
});
