/**
 * The explorer in solo mode, in a real Chromium tab: its Web Worker answers the FLP question
 * from the run's own state, marks the critical step, flips to "only red" when red is delivered
 * first, and finds, replays and saves a counterexample. No room, no signaling, no WebRTC.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from './support/fixtures.ts';

test('FLP scene: valence within 2 s (worker), critical step marked, flips to only red when red is delivered first', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1');
  const valence = page.getByTestId('explore-valence');
  const clicked = Date.now();
  await page.getByTestId('solo-flp').click();
  await expect(valence).toHaveAttribute('data-values', 'red,blue');
  const shownMs = Date.now() - clicked;
  await expect(valence).toHaveAttribute('data-complete', '1');
  await expect(valence).toHaveText('Both red and blue are still reachable.');
  const workerMs = Number(await valence.getAttribute('data-ms'));
  // The measurement the issue asks for: the FLP scene's valence within 2 s in the browser.
  console.log(`FLP scene valence in Chromium: ${workerMs} ms from question to answer (worker start included); ${shownMs} ms from the click to the words on screen`);
  expect(workerMs).toBeLessThan(2_000);

  await expect(page.getByTestId('explore-critical')).toHaveAttribute('data-node', 'n5');
  const critical = page.locator('[data-testid="held-message"][data-critical="1"]');
  await expect(critical).toHaveCount(2);
  await expect(critical.filter({ hasText: 'red' })).toHaveCount(1);
  await expect(critical.filter({ hasText: 'blue' })).toHaveCount(1);
  await expect(page.locator('[data-testid="spacetime"] line.lane[data-critical="1"]')).toHaveCount(1);

  await critical.filter({ hasText: 'red' }).getByTestId('held-deliver').click();
  await expect(valence).toHaveAttribute('data-values', 'red');
  await expect(valence).toHaveText('Only red can be decided from here.');
  await expect(page.locator('[data-testid="held-message"][data-critical="1"]')).toHaveCount(0);
});

test('counterexamples: impatient tiebreak breaks Agreement, replayed step by step and saved; paxos has none within the bound', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1');
  await page.getByTestId('solo-algorithm').selectOption('impatient-tiebreak');
  await page.getByTestId('solo-nodes').fill('3');
  await page.getByTestId('solo-reset').click();
  await page.getByTestId('solo-hold').check();
  const card = (node: string) => page.locator(`[data-testid="solo-node"][data-node-id="${node}"]`);
  await card('n1').locator('[data-testid="solo-propose"][data-value="red"]').click();
  await card('n2').locator('[data-testid="solo-propose"][data-value="blue"]').click();
  await expect(page.getByTestId('explore-valence')).toHaveAttribute('data-values', /red/);

  await page.getByTestId('explore-find').click();
  const found = page.getByTestId('explore-counterexample');
  await expect(found).toHaveAttribute('data-property', 'agreement', { timeout: 20_000 });
  const steps = Number(await found.getAttribute('data-steps'));
  expect(steps).toBeGreaterThan(0);
  await page.getByTestId('explore-replay-step').click();
  await expect(page.getByTestId('explore-replay-step')).toContainText(`(1/${steps})`);
  await page.getByTestId('explore-replay-all').click();
  await expect(page.getByTestId('explore-replay-problem')).toHaveCount(0);
  await expect(page.getByTestId('explore-replay-step')).toContainText(`(${steps}/${steps})`);
  // The replay ran on the simulator itself: its own checker sees the disagreement.
  await expect(page.getByTestId('property-agreement')).toHaveAttribute('data-status', 'violated');

  const download = page.waitForEvent('download');
  await page.getByTestId('explore-save').click();
  const file = JSON.parse(readFileSync(await (await download).path(), 'utf8')) as { algorithm: string; steps: { do: string }[]; expect: unknown };
  expect(file.algorithm).toBe('impatient-tiebreak');
  expect(file.steps[0]?.do).toBe('hold');
  expect(file.expect).toEqual({ violations: ['agreement'] });

  await page.getByTestId('solo-algorithm').selectOption('paxos');
  await page.getByTestId('solo-reset').click();
  await card('n1').locator('[data-testid="solo-propose"][data-value="red"]').click();
  await card('n2').locator('[data-testid="solo-propose"][data-value="blue"]').click();
  await page.getByTestId('explore-find').click();
  await expect(page.getByTestId('explore-none')).toContainText(/No Agreement violation in \d+ states/, { timeout: 20_000 });
});
