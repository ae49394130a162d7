/**
 * The live decision's space-time diagram and trace replay, in real Chromium: three student tabs
 * decide over real WebRTC; on the dashboard, scrubbing to the start and to the end of the
 * decision shows each node as it was (rebuilt by replaying its machine), the end exactly as live;
 * the exported trace, imported in solo mode, replays the same decision; a bad file is refused.
 */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './support/fixtures.ts';
import { card, openClass, proposeButton, startDecision } from './support/classroom.ts';

const DECIDE_MS = 20_000;

async function cardStates(cards: Locator): Promise<string[]> {
  return cards.evaluateAll((all) =>
    all.map((c) => `${c.getAttribute('data-peer-id') ?? ''}:${c.getAttribute('data-phase') ?? ''}:${c.getAttribute('data-decided') ?? ''}`).sort(),
  );
}

async function scrub(page: Page, within: Locator, key: 'Home' | 'End'): Promise<void> {
  await within.getByTestId('spacetime-scrub').focus();
  await page.keyboard.press(key);
}

test('scrub a live decision to its start and end; export it and replay the trace in solo mode', async ({ tabs }) => {
  const c = await openClass(tabs, 3, { algorithm: 'paxos', scenario: 'colors' });
  await startDecision(c);
  await proposeButton(c.students[0]!, 'red').click();
  for (const id of c.ids) await expect(card(c.host, id)).toHaveAttribute('data-decided', 'red', { timeout: DECIDE_MS });

  const dashboardCards = c.host.locator('[data-testid="member-cards"] [data-testid="node-card"]');
  // The cards sit under the picture (the projector layout): read them once all are drawn.
  await expect(dashboardCards).toHaveCount(c.ids.length);
  const live = await cardStates(dashboardCards);
  const diagram = c.host.getByTestId('live-spacetime');
  await expect(diagram).toHaveAttribute('data-cursor', 'live');
  expect(Number(await diagram.getAttribute('data-last-step'))).toBeGreaterThan(5);
  // Every message line of the diagram drawn so far joins a send to its receipt.
  await expect(diagram.locator('line.message').first()).toBeVisible();
  // Each lane's short label carries its member's full name (hover, screen readers).
  const laneTitles = await diagram.locator('text.lane-label title').allTextContents();
  expect([...laneTitles].sort()).toEqual([...c.names].sort());

  // Back to the start: nobody has decided, and the projector says it shows the past.
  await scrub(c.host, diagram, 'Home');
  await expect(diagram).toHaveAttribute('data-cursor', '0');
  await expect(c.host.getByTestId('live-scrubbed')).toBeVisible();
  for (const id of c.ids) await expect(card(c.host, id)).toHaveAttribute('data-decided', '');
  // Forward to the end: the replayed states are the live ones, card for card.
  await scrub(c.host, diagram, 'End');
  await expect(diagram).not.toHaveAttribute('data-cursor', 'live');
  await expect(c.host.getByTestId('live-unavailable')).toHaveCount(0);
  expect(await cardStates(dashboardCards)).toEqual(live);
  await c.host.getByTestId('live-now').click();
  await expect(diagram).toHaveAttribute('data-cursor', 'live');

  // The export holds what a replay needs; solo mode re-runs it from a file.
  const [download] = await Promise.all([
    c.host.waitForEvent('download'),
    c.host.getByTestId('current-decision').getByTestId('export-trace').click(),
  ]);
  const path = (await download.path()) ?? '';
  const trace = JSON.parse(await readFile(path, 'utf8')) as { version: number };
  expect(trace.version).toBe(3);
  const solo = await tabs.open('/?solo=1');
  const panel = solo.getByTestId('trace-import');
  await panel.getByTestId('trace-file').setInputFiles(path);
  await expect(panel.getByTestId('trace-loaded')).toHaveAttribute('data-algorithm', 'paxos');
  const replayCards = panel.locator('[data-testid="node-card"]');
  await expect(replayCards).toHaveCount(3);
  await expect(panel.getByTestId('trace-unavailable')).toHaveCount(0);
  // At its end, the replayed run is the live decision: same nodes, same phases, same value.
  expect(await cardStates(replayCards)).toEqual(live);
  await scrub(solo, panel, 'Home');
  for (const id of c.ids) await expect(panel.locator(`[data-testid="node-card"][data-peer-id="${id}"]`)).toHaveAttribute('data-decided', '');

  // A hostile file is refused with a sentence, and the replay already shown stays.
  await panel.getByTestId('trace-file').setInputFiles({ name: 'evil.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"consensus-playground-trace","version":2}') });
  await expect(panel.getByTestId('trace-problem')).toContainText('older version');
  await expect(panel.getByTestId('trace-loaded')).toBeVisible();

  // Branch from an early step of the replay: solo mode plays the run up to there, every message
  // held, and goes on as the user chooses (here, before anyone proposed: n1 proposes red).
  await scrub(solo, panel, 'Home');
  for (let i = 0; i < 4; i++) await solo.keyboard.press('ArrowRight');
  await panel.getByTestId('trace-branch').click();
  await expect(solo.getByTestId('solo-branched')).toBeVisible();
  await expect(solo.getByTestId('solo-node')).toHaveCount(3);
  await expect(solo.getByTestId('solo-hold')).toBeChecked();
  expect(Number(await solo.getByTestId('solo-held-count').textContent())).toBeGreaterThan(0);
  await solo.getByTestId('solo-hold').uncheck();
  await solo.getByTestId('solo-deliver-all').click();
  await solo.locator('[data-testid="solo-node"][data-node-id="n1"] [data-testid="solo-propose"][data-value="red"]').click();
  await solo.getByTestId('solo-run-1000').click();
  await expect(solo.getByTestId('solo-outcome')).toContainText('red');

  // The solo run exports the same trace format, and the importer reads it back.
  const [soloDownload] = await Promise.all([solo.waitForEvent('download'), solo.getByTestId('solo-export').click()]);
  const soloPath = (await soloDownload.path()) ?? '';
  expect((JSON.parse(await readFile(soloPath, 'utf8')) as { version: number }).version).toBe(3);
  await panel.getByTestId('trace-file').setInputFiles(soloPath);
  await expect(panel.getByTestId('trace-loaded')).toHaveAttribute('data-algorithm', 'paxos');
  await expect(panel.getByTestId('trace-unavailable')).toHaveCount(0);
  for (const node of ['n1', 'n2', 'n3']) await expect(panel.locator(`[data-testid="node-card"][data-peer-id="${node}"]`)).toHaveAttribute('data-decided', 'red');
});
