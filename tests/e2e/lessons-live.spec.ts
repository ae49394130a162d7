/**
 * Lessons, live and alone: the teacher steps through the chapters on the projector while five
 * phones follow, and each chapter's "try this" sets its scene up in the room with one click
 * (algorithm, scenario, delay); the first chapter's outcome (one colour everywhere) is reached
 * live. The same chapters' solo links open the scene in solo mode, where the FLP chapter's
 * explorer shows both outcomes still open. One room for all of it.
 */
import { CHAPTERS } from '../../src/lessons/chapters.ts';
import { lessonSoloHref } from '../../src/lessons/links.ts';
import { PRESET_TITLES } from '../../src/classroom/preset-names.ts';
import { card, openClass, property, proposeAtOnce } from './support/classroom.ts';
import { expect, test } from './support/fixtures.ts';

const DECIDE_MS = 20_000;

test('the projector steps through the chapters, phones follow, and every "try this" sets its scene up in the room', async ({ tabs }) => {
  const c = await openClass(tabs, 5);
  const shown = c.host.getByTestId('current-decision');
  let previous: string | null = null;
  for (const chapter of CHAPTERS) {
    await c.host.getByTestId('lesson-select').selectOption(chapter.id);
    for (const student of c.students) {
      await expect(student.getByTestId('lesson-follow')).toHaveAttribute('data-chapter', chapter.id);
      await expect(student.getByTestId('lesson-follow')).toContainText(chapter.title);
    }
    const live = chapter.tryThis?.live;
    if (live === undefined) {
      await expect(c.host.getByTestId('lesson-try')).toHaveCount(0);
      continue;
    }
    await c.host.getByTestId('lesson-try').click();
    await expect(shown).toHaveAttribute('data-decision-id', /^d\d+-[a-z0-9]+$/);
    if (previous !== null) await expect(shown).not.toHaveAttribute('data-decision-id', previous);
    previous = await shown.getAttribute('data-decision-id');
    for (const student of c.students) {
      const panel = student.getByTestId('decision-panel');
      await expect(panel).toHaveAttribute('data-decision-id', previous ?? '');
      await expect(panel).toHaveAttribute('data-message-delay', String(live.delayMs));
      await expect(panel.getByTestId('algorithm-name')).toHaveAttribute('data-algorithm', live.algorithm);
    }
    // Where the chapter's failure has a demonstration preset, "try this" runs it on the decision.
    const preset = chapter.tryThis?.presets?.live;
    if (preset !== undefined) {
      const running = c.host.getByTestId('lesson-preset');
      await expect(running).toHaveAttribute('data-preset', preset);
      await expect(running).toContainText(PRESET_TITLES[preset]);
      await expect(running).not.toHaveAttribute('data-state', 'failed');
      // The coordinator's crash is staged to the end: nobody decides.
      if (chapter.id === 'coordinator') await expect(running).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    } else await expect(c.host.getByTestId('lesson-preset')).toHaveCount(0);
    if (chapter.id === 'write-once') {
      // The chapter's promise: different colours proposed, one colour on every phone, all green.
      await proposeAtOnce([
        [c.students[0]!, 'red'],
        [c.students[2]!, 'blue'],
        [c.students[4]!, 'green'],
      ]);
      const decided = c.host.getByTestId('decided-value');
      await expect(decided).toHaveCount(1, { timeout: DECIDE_MS });
      const value = (await decided.textContent())?.trim() ?? '';
      for (const student of c.students) await expect(student.getByTestId('decided-value')).toHaveText(value, { timeout: DECIDE_MS });
      for (const id of c.ids) await expect(card(c.host, id)).toHaveAttribute('data-decided', value);
      await expect(property(c.host, 'agreement')).toHaveAttribute('data-status', 'ok');
      await expect(property(c.host, 'validity')).toHaveAttribute('data-status', 'ok');
    }
  }
  // Out of the lessons: the phones drop the chapter.
  await c.host.getByTestId('lesson-select').selectOption('');
  for (const student of c.students) await expect(student.getByTestId('lesson-follow')).toHaveCount(0);
});

test('every chapter\'s "try this" opens its scene in solo mode; the FLP chapter\'s explorer shows both outcomes open', async ({ tabs }) => {
  const page = await tabs.open('/');
  for (const chapter of CHAPTERS) {
    const solo = chapter.tryThis?.solo;
    if (solo === undefined) continue;
    await page.goto(`/${lessonSoloHref(chapter)}`);
    await expect(page.getByTestId('solo-algorithm')).toHaveValue(solo.algorithm);
    await expect(page.getByTestId('solo-node')).toHaveCount(solo.nodes);
    if (chapter.id === 'flp') {
      await expect(page.getByTestId('explore-valence')).toHaveText('Both red and blue are still reachable.');
      await expect(page.locator('[data-testid="held-message"][data-critical="1"]')).toHaveCount(2);
    }
  }
});
