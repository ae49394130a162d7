/**
 * Solo mode's space-time diagram and the lessons, in a real Chromium tab: scrub back and forward
 * through a run (the cards show the state at that moment, the same as live), branch from a
 * moment, share a run as a link that replays it, and open a chapter's "try this".
 */
import { PRESET_TITLES } from '../../src/classroom/preset-names.ts';
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';

async function decidedValues(page: Page): Promise<string[]> {
  return page.locator('[data-testid="solo-node"] [data-testid="node-card"]').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-decided') ?? ''));
}

test('scrub back to the start and forward to the end of a run shows the same states as live', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1&algorithm=paxos&nodes=5&seed=4');
  await page.locator('[data-testid="solo-node"][data-node-id="n1"] [data-testid="solo-propose"][data-value="red"]').click();
  await page.locator('[data-testid="solo-node"][data-node-id="n2"] [data-testid="solo-propose"][data-value="blue"]').click();
  await page.getByTestId('solo-run-1000').click();
  await expect(page.getByTestId('solo-outcome')).toBeVisible();
  const live = await decidedValues(page);
  expect(new Set(live).size).toBe(1);
  const lastStep = Number(await page.getByTestId('spacetime-step').textContent());
  expect(lastStep).toBeGreaterThan(10);

  const start = Number(await page.getByTestId('spacetime-scrub').getAttribute('min'));
  await page.getByTestId('spacetime-scrub').fill(String(start + 2));
  await expect(page.getByTestId('solo-scrubbed')).toContainText(`Showing step ${start + 2}`);
  expect(await decidedValues(page)).toEqual(['', '', '', '', '']);
  await expect(page.getByTestId('solo-outcome')).toHaveCount(0);

  await page.getByTestId('spacetime-scrub').focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('solo-scrubbed')).toHaveCount(0);
  expect(await decidedValues(page)).toEqual(live);
});

test('branch from a moment, then share the run: the link replays it exactly', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1&algorithm=majority&nodes=5&seed=2');
  await page.locator('[data-testid="solo-node"][data-node-id="n1"] [data-testid="solo-propose"][data-value="red"]').click();
  await page.getByTestId('solo-run-100').click();
  const start = Number(await page.getByTestId('spacetime-scrub').getAttribute('min'));
  await page.getByTestId('spacetime-scrub').fill(String(start + 1));
  await page.getByTestId('solo-branch').click();
  await expect(page.getByTestId('spacetime-step')).toHaveText(String(start + 1));
  await page.locator('[data-testid="solo-node"][data-node-id="n2"] [data-testid="solo-propose"][data-value="blue"]').click();
  await page.getByTestId('solo-run-1000').click();
  const steps = await page.getByTestId('spacetime-step').textContent();
  const decided = await decidedValues(page);

  await page.getByTestId('solo-share').click();
  const shared = page.url();
  expect(shared).toContain('run=');
  const again = await tabs.open(new URL(shared).pathname + new URL(shared).search);
  await expect(again.getByTestId('spacetime-step')).toHaveText(steps ?? '');
  expect(await decidedValues(again)).toEqual(decided);
});

test('a broken shared link opens the plain setup and says why', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1&algorithm=paxos&run=<script>');
  await expect(page.getByTestId('solo-run-problem')).toContainText("can't be read");
  const fresh = await tabs.open('/?solo=1&algorithm=paxos');
  await expect(page.getByTestId('spacetime-step')).toHaveText((await fresh.getByTestId('spacetime-step').textContent()) ?? '');
});

test('a lesson chapter opens its "try this" in solo mode, set up as the chapter says', async ({ tabs }) => {
  const page = await tabs.open('/');
  await page.getByTestId('lessons-link').click();
  await expect(page.getByTestId('chapter')).toContainText('set only once');
  await page.getByRole('button', { name: /Two messages, one phone/ }).first().click();
  await page.getByRole('button', { name: 'Reveal the answer' }).click();
  await expect(page.getByTestId('answer')).toBeVisible();
  await page.getByTestId('try-solo').click();
  // The chapter's solo link stages the class's own FLP preset (the lessons work): its title, and
  // both candidates held on their way to n5.
  await expect(page.getByTestId('solo-preset-lesson')).toContainText(PRESET_TITLES['flp-scene']);
  await expect(page.locator('[data-testid="held-message"][data-to="n5"][data-kind="candidate"]').first()).toBeVisible();
});
