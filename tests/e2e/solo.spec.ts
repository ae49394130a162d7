/**
 * Solo mode in a real Chromium tab: the deterministic simulator runs in the page, so these
 * tests need no room, no signaling and no WebRTC. Everything is driven through the UI.
 */
import type { Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';

function nodeCard(page: Page, node: string) {
  return page.locator(`[data-testid="solo-node"][data-node-id="${node}"]`);
}

async function expectEveryNodeDecided(page: Page, nodes: readonly string[], value: string): Promise<void> {
  await expect(page.getByTestId('solo-node')).toHaveCount(nodes.length);
  for (const node of nodes) await expect(nodeCard(page, node).getByTestId('node-card')).toHaveAttribute('data-decided', value);
  await expect(page.getByTestId('solo-outcome')).toContainText(`Every node decided ${value}`);
  await expect(page.getByTestId('property-agreement')).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('property-validity')).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('property-termination')).toHaveAttribute('data-status', 'decided');
}

const FLP_NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

test('FLP preset: the candidate delivered first to the fifth node decides the outcome (red, then blue)', async ({ tabs }) => {
  const page = await tabs.open('/?solo=1');
  for (const first of ['red', 'blue']) {
    await page.getByTestId('solo-flp').click();
    await expect(page.getByTestId('flp-explanation')).toBeVisible();
    await expect(page.getByTestId('solo-algorithm')).toHaveValue('majority');
    await expect(page.getByTestId('solo-hold')).toBeChecked();
    await expect(page.getByTestId('solo-outcome')).toHaveCount(0);
    await expect(page.getByTestId('property-termination')).toHaveAttribute('data-status', 'undecided');
    for (const node of FLP_NODES) await expect(nodeCard(page, node).getByTestId('node-card')).toHaveAttribute('data-decided', '');

    const candidates = page.locator('[data-testid="held-message"][data-to="n5"][data-kind="candidate"]');
    await expect(candidates.filter({ hasText: 'candidate value red' }).first()).toBeVisible();
    await expect(candidates.filter({ hasText: 'candidate value blue' }).first()).toBeVisible();

    await candidates.filter({ hasText: `candidate value ${first}` }).first().getByTestId('held-deliver').click();
    await page.getByTestId('solo-deliver-all').click();
    await expect(page.getByTestId('solo-held-count')).toHaveText('0');
    await page.getByTestId('solo-hold').uncheck();
    await page.getByTestId('solo-run-1000').click();
    await expectEveryNodeDecided(page, FLP_NODES, first);
  }
});

test('paxos with 3 nodes, from the landing page: propose, run 1 s, every node decides and Agreement holds', async ({ tabs }) => {
  const page = await tabs.open('/');
  await page.getByTestId('solo-link').click();
  await expect(page).toHaveURL(/[?&]solo=1/);
  await page.getByTestId('solo-algorithm').selectOption('paxos');
  await page.getByTestId('solo-nodes').fill('3');
  await page.getByTestId('solo-seed').fill('7');
  await page.getByTestId('solo-reset').click();
  await expect(page.getByTestId('solo-node')).toHaveCount(3);
  await expect(page.getByTestId('solo-time')).toHaveAttribute('data-ms', '0');

  await nodeCard(page, 'n2').locator('[data-testid="solo-propose"][data-value="green"]').click();
  await page.getByTestId('solo-run-1000').click();
  await expect(page.getByTestId('solo-time')).toHaveAttribute('data-ms', '1000');
  await expectEveryNodeDecided(page, ['n1', 'n2', 'n3'], 'green');
  await expect(page.getByTestId('solo-trace')).toContainText('DECIDES "green"');

  // A crash shows as such, and the preset URL opens the same setup directly.
  await nodeCard(page, 'n3').getByTestId('solo-crash').click();
  await expect(nodeCard(page, 'n3')).toHaveAttribute('data-status', 'down');
  await expect(page.getByTestId('property-fault-tolerance')).toContainText('1 of 3 crashed');
  const direct = await tabs.open('/?solo=1&algorithm=paxos&nodes=3&seed=7');
  await expect(direct.getByTestId('solo-algorithm')).toHaveValue('paxos');
  await expect(direct.getByTestId('solo-node')).toHaveCount(3);
});
