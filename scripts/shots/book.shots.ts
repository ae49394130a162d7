/**
 * The live order book on the projector, live and scrubbed back, at 1280×720 and 360 px wide:
 * both are drawn with the same replica tiles (ReplicaTile.svelte), and these pictures are how a
 * person checks that they look the same.
 */
import type { Page } from '@playwright/test';
import { expect, test } from '../../tests/e2e/support/fixtures.ts';
import { openClass } from '../../tests/e2e/support/classroom.ts';

const DIR = process.env.SHOTS_DIR ?? 'test-results/shots';

/** The page at both widths, and the tiles alone (the live board's, or the scrubbed book's), large enough to read. */
async function shoot(host: Page, name: string): Promise<void> {
  const tiles = name === 'live' ? host.locator('[data-testid="book-board"] > div.nodes') : host.getByTestId('book-scrubbed');
  for (const [label, size] of [
    ['1280', { width: 1280, height: 720 }],
    ['360', { width: 360, height: 740 }],
  ] as const) {
    await host.setViewportSize(size);
    await host.getByTestId('book-board').scrollIntoViewIfNeeded();
    await host.screenshot({ path: `${DIR}/book-${name}-${label}.png`, fullPage: true });
    await tiles.screenshot({ path: `${DIR}/book-${name}-${label}-tiles.png` });
    if (label === '360') await tiles.locator('article').first().screenshot({ path: `${DIR}/book-${name}-${label}-one-tile.png` });
  }
}

test('the order book live and scrubbed', async ({ tabs }) => {
  test.setTimeout(120_000);
  const c = await openClass(tabs, 5);
  await c.host.getByTestId('book-select').selectOption('orders:raft');
  await c.host.getByTestId('start-book').click();
  await expect(c.host.locator('[data-testid="book-node"][data-role="leader"]')).toHaveCount(1, { timeout: 20_000 });
  const [s0, s1, s2] = c.students as [Page, Page, Page];
  for (const phone of [s0, s1, s2]) await phone.getByTestId('place-order').click();
  for (const phone of c.students) await expect(phone.getByTestId('order-row')).toHaveCount(3, { timeout: 20_000 });
  await s0.getByTestId('ship-order').first().click();
  await s1.getByTestId('cancel-order').last().click();
  await expect(c.host.locator('[data-testid="book-node"] [data-testid="state-row"][data-status="shipped"]')).toHaveCount(5, { timeout: 20_000 });
  await expect(c.host.locator('[data-testid="book-node"] [data-testid="state-row"][data-status="cancelled"]')).toHaveCount(5, { timeout: 20_000 });
  await shoot(c.host, 'live');
  // Back to where the three orders were placed and nothing was shipped yet: the step of the
  // first tile row that shows 3 placed orders, found by walking the scrubber back from the end.
  const scrub = c.host.getByTestId('spacetime-scrub');
  const last = Number(await scrub.getAttribute('max'));
  let step = last;
  for (; step > 0; step -= Math.max(1, Math.floor(last / 60))) {
    await scrub.fill(String(step));
    const scrubbed = c.host.getByTestId('book-scrubbed');
    await expect(scrubbed).toBeVisible();
    const shipped = await scrubbed.locator('[data-testid="state-row"][data-status="shipped"]').count();
    const placed = await scrubbed.locator('[data-testid="state-row"][data-status="placed"]').count();
    if (shipped === 0 && placed >= 10) break;
  }
  await expect(c.host.getByTestId('book-scrubbed').getByTestId('book-node-scrubbed')).toHaveCount(5);
  await shoot(c.host, 'scrubbed');
});
