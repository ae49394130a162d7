/**
 * Solo mode's replicated logs in a real Chromium tab (the simulator runs in the page: no room,
 * no WebRTC): Raft's order book through a leader crash, then Paxos beside Raft on one schedule.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';

const tile = (page: Page, node: string) => page.locator(`[data-testid="solo-log-node"][data-node-id="${node}"]`);

async function leader(page: Page): Promise<string> {
  const leaders = page.locator('[data-testid="solo-log-node"][data-status="up"][data-role="leader"]');
  await expect(leaders).toHaveCount(1);
  return (await leaders.getAttribute('data-node-id')) as string;
}

test('solo raft order book: place, crash the leader, a new leader, the same book on every node; Paxos beside Raft', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1');
  await page.getByTestId('solo-algorithm').selectOption('raft');
  await page.getByTestId('solo-state-machine').selectOption('orders');
  await page.getByTestId('solo-nodes').fill('5');
  await page.getByTestId('solo-seed').fill('3');
  await page.getByTestId('solo-reset').click();
  await expect(page.getByTestId('solo-log')).toHaveAttribute('data-algorithm', 'raft');
  await expect(page.getByTestId('solo-log-node')).toHaveCount(5);

  await page.getByTestId('solo-run-1000').click();
  const first = await leader(page);
  await page.getByTestId('solo-log-at').selectOption(first === 'n2' ? 'n3' : 'n2');
  await page.getByTestId('solo-order').fill('A');
  await page.getByTestId('solo-place').click();
  await page.getByTestId('solo-order').fill('B');
  await page.getByTestId('solo-item').selectOption('lamp');
  await page.getByTestId('solo-place').click();
  await page.getByTestId('solo-run-1000').click();
  await expect(tile(page, first).locator('[data-testid="state-row"]')).toHaveCount(2);

  await tile(page, first).getByTestId('solo-crash').click();
  await expect(tile(page, first)).toHaveAttribute('data-status', 'down');
  await page.getByTestId('solo-run-1000').click();
  await page.getByTestId('solo-run-1000').click();
  const second = await leader(page);
  expect(second).not.toBe(first);
  await page.getByTestId('solo-log-at').selectOption(second);
  await page.getByTestId('solo-order').fill('A');
  await page.getByTestId('solo-ship').click();
  await tile(page, first).getByTestId('solo-restart').click();
  await page.getByTestId('solo-run-1000').click();
  await page.getByTestId('solo-run-1000').click();

  // Every node, the restarted one included, holds the same book: A shipped, B placed.
  await expect(page.getByTestId('solo-books-agree')).toHaveAttribute('data-agree', 'true');
  const digests = new Set<string>();
  for (const node of ['n1', 'n2', 'n3', 'n4', 'n5']) {
    await expect(tile(page, node)).toHaveAttribute('data-status', 'up');
    await expect(tile(page, node).locator('[data-testid="state-row"][data-row="A"]')).toHaveAttribute('data-status', 'shipped');
    await expect(tile(page, node).locator('[data-testid="state-row"][data-row="B"]')).toHaveAttribute('data-status', 'placed');
    digests.add((await tile(page, node).getAttribute('data-digest')) as string);
  }
  expect(digests.size).toBe(1);

  // The same run, as a schedule, on Multi-Paxos and on Raft.
  await page.getByTestId('compare-run-mine').click();
  const columns = page.getByTestId('compare-column');
  await expect(columns).toHaveCount(2);
  for (const algorithm of ['multipaxos', 'raft']) {
    const column = page.locator(`[data-testid="compare-column"][data-algorithm="${algorithm}"]`);
    await expect(column).toHaveAttribute('data-ok', 'true');
    await expect(column.getByTestId('compare-committed')).toHaveAttribute('data-all', 'true');
    await expect(column.getByTestId('compare-committed')).toHaveAttribute('data-submitted', '3');
    await expect(column.getByTestId('compare-messages')).not.toHaveAttribute('data-value', '');
    await expect(column.getByTestId('compare-latency')).not.toHaveAttribute('data-value', '');
    await expect(column.getByTestId('compare-crash')).toHaveAttribute('data-found', 'true');
    await expect(column.getByTestId('compare-checks')).toHaveAttribute('data-violations', '0');
  }

  // A scenario file from tests/scenarios.
  await page.getByTestId('compare-file').selectOption('raft-re-election.json');
  await page.getByTestId('compare-run-file').click();
  await expect(page.getByTestId('compare')).toContainText('raft-re-election.json');
  await expect(page.locator('[data-testid="compare-column"][data-algorithm="raft"] [data-testid="compare-committed"]')).toHaveAttribute('data-submitted', '1');
  // On a 360 px phone the tiles and the two columns stack: nothing sticks out sideways.
  await page.setViewportSize({ width: 360, height: 780 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // A link opens solo mode straight on a replicated log.
  const direct = await tabs.open('/?solo=1&algorithm=multipaxos&stateMachine=register&nodes=3&seed=2');
  await expect(direct.getByTestId('solo-log')).toHaveAttribute('data-algorithm', 'multipaxos');
  await expect(direct.getByTestId('solo-log-node')).toHaveCount(3);
  await expect(direct.getByTestId('solo-write')).toBeVisible();
});
