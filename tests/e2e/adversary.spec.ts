/**
 * The network adversary end to end: five real Chromium student tabs and the teacher's dashboard
 * over real WebRTC; the teacher holds, pauses, delivers, partitions and crashes from the
 * dashboard's adversary panel (by keyboard: every control is a button or field), and runs the
 * coordinator's demonstration preset (the others run in lessons-live.spec.ts, through the
 * chapters). One room for the whole spec (each scene is a new decision in it); every wait is on
 * a condition.
 */
import type { Page } from '@playwright/test';
import { PRESETS, type PresetName } from '../../src/classroom/presets.ts';
import { expect, test } from './support/fixtures.ts';
import { card, openClass, proposeButton, startDecision, type Class } from './support/classroom.ts';

const DECIDE_MS = 20_000;

/** The preset roles n1…n5 are the members in sorted order. */
function roles(c: Class): { id: (role: number) => string; page: (role: number) => Page } {
  const sorted = [...c.ids].sort();
  return {
    id: (role) => sorted[role - 1]!,
    page: (role) => c.students[c.ids.indexOf(sorted[role - 1]!)]!,
  };
}

function heldEntry(host: Page, to: string, from: string, kind: string) {
  return host.locator(`[data-testid="held-entry"][data-to="${to}"][data-from="${from}"][data-kind="${kind}"]`);
}

async function runPreset(host: Page, name: PresetName): Promise<void> {
  await host.getByTestId('adversary-preset').selectOption(name);
  await host.getByTestId('adversary-run-preset').press('Enter');
  await expect(host.getByTestId('adversary-preset-state')).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
}

/**
 * The first decision, opened in the history while `crashedNow` is crashed in the current one:
 * it unfolds right under the line clicked, which stays where it was on the screen (no jump), and
 * shows every member as it was then (all up), not as it is now.
 */
async function firstDecisionInPlace(host: Page, crashedNow: string): Promise<void> {
  await expect(card(host, crashedNow)).toHaveAttribute('data-liveness', 'crashed');
  const entry = host.getByTestId('history-entry').last();
  const pick = entry.locator('button[aria-expanded]');
  await pick.scrollIntoViewIfNeeded();
  const before = (await pick.boundingBox())!;
  await pick.press('Enter');
  await expect(pick).toHaveAttribute('aria-expanded', 'true');
  const details = entry.getByTestId('history-details');
  await expect(details).toBeVisible();
  const after = (await pick.boundingBox())!;
  const box = (await details.boundingBox())!;
  const viewport = await host.evaluate(() => window.innerHeight);
  expect(Math.abs(after.y - before.y)).toBeLessThanOrEqual(2);
  expect(box.y).toBeGreaterThanOrEqual(after.y + after.height - 1);
  expect(box.y - (after.y + after.height)).toBeLessThan(48);
  expect(box.y).toBeLessThan(viewport);
  await expect(details.getByTestId('history-member')).toHaveCount(5);
  for (const member of await details.getByTestId('history-member').all()) await expect(member).toHaveAttribute('data-liveness', 'up');
  await pick.press('Enter');
  await expect(details).toHaveCount(0);
}

/** Everything the last rules released has been delivered: no node lists a held message. */
async function nothingHeld(host: Page): Promise<void> {
  await expect(host.getByTestId('held-entry')).toHaveCount(0, { timeout: DECIDE_MS });
}

test('the teacher holds the network: FLP decided by delivery order both ways, a partition, a crash, the coordinator preset and history', async ({ tabs }) => {
  test.setTimeout(180_000);
  const c = await openClass(tabs, 5);
  const { id, page } = roles(c);
  const host = c.host;

  await test.step('FLP, red first, with the room paused while the class talks', async () => {
    await startDecision(c, 'tiebreak', 'colors');
    await runPreset(host, 'flp-scene');
    await expect(heldEntry(host, id(5), id(1), 'candidate')).toHaveAttribute('data-value', 'red');
    await expect(heldEntry(host, id(5), id(2), 'candidate')).toHaveAttribute('data-value', 'blue');
    await host.getByTestId('adversary-pause').press('Enter');
    await expect(host.getByTestId('adversary-pause')).toHaveAttribute('aria-pressed', 'true');
    await expect(host.getByTestId('adversary-said')).toContainText('Paused');
    for (const student of c.students) await expect(student.getByTestId('adversary-notice')).toContainText('paused');
    await heldEntry(host, id(5), id(1), 'candidate').getByTestId('held-deliver').press('Enter');
    // Paused: n5 voted red, but its vote waits at every receiver; nobody decides yet.
    await expect(host.locator(`[data-testid="held-entry"][data-from="${id(5)}"][data-kind="vote"]`).first()).toBeVisible();
    await expect(host.getByTestId('undecided')).toBeVisible();
    await host.getByTestId('adversary-clear').press('Enter');
    await expect(host.getByTestId('decided-value')).toHaveText('red', { timeout: DECIDE_MS });
    for (const student of c.students) await expect(student.getByTestId('decided-value')).toHaveText('red', { timeout: DECIDE_MS });
  });

  await test.step('FLP, blue first: the same state, the other order', async () => {
    await startDecision(c, 'tiebreak', 'colors');
    await runPreset(host, 'flp-scene');
    await heldEntry(host, id(5), id(2), 'candidate').getByTestId('held-deliver').press('Enter');
    await host.getByTestId('adversary-clear').press('Enter');
    await expect(host.getByTestId('decided-value')).toHaveText('blue', { timeout: DECIDE_MS });
  });

  await test.step('a partition leaving a minority stops it deciding Paxos; healing lets it learn', async () => {
    await startDecision(c, 'paxos', 'colors');
    // Tap to assign: n1–n3 into group A, n4 and n5 into group B.
    for (const role of [1, 2, 3]) await host.locator(`[data-testid="adversary-node"][data-peer="${id(role)}"] [data-testid="adversary-group"]`).press('Enter');
    {
      const group = host.locator(`[data-testid="adversary-node"][data-peer="${id(4)}"] [data-testid="adversary-group"]`);
      await group.press('Enter');
      await expect(group).toHaveText(/group A/);
      await group.press('Enter');
      await expect(group).toHaveText(/group B/);
    }
    // Drag to assign: n5's chip dropped on group B (pointer events, as a finger or a mouse does).
    const chip = host.locator(`[data-testid="partition-chip"][data-peer="${id(5)}"]`);
    const zoneB = host.locator('[data-testid="partition-zone"][data-zone="1"]');
    await chip.scrollIntoViewIfNeeded();
    const from = (await chip.boundingBox())!;
    const to = (await zoneB.boundingBox())!;
    await host.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await host.mouse.down();
    await host.mouse.move(to.x + to.width - 12, to.y + to.height - 12, { steps: 5 });
    await host.mouse.up();
    await expect(host.locator(`[data-testid="adversary-node"][data-peer="${id(5)}"] [data-testid="adversary-group"]`)).toHaveText(/group B/);
    await expect(zoneB.locator(`[data-testid="partition-chip"][data-peer="${id(5)}"]`)).toHaveCount(1);
    await proposeButton(page(4), 'blue').click();
    await proposeButton(page(1), 'red').click();
    for (const role of [1, 2, 3]) await expect(page(role).getByTestId('decided-value')).toHaveText('red', { timeout: DECIDE_MS });
    // The minority had its own proposal and every retransmission to the others lost: still undecided.
    for (const role of [4, 5]) await expect(page(role).getByTestId('decided-value')).toHaveCount(0);
    await expect(page(4).getByTestId('adversary-notice')).toContainText('partitioned');
    await host.getByTestId('adversary-heal').press('Enter');
    for (const role of [4, 5]) await expect(page(role).getByTestId('decided-value')).toHaveText('red', { timeout: DECIDE_MS });
  });

  await test.step('crash a node from the dashboard and restart it from storage', async () => {
    const target = id(3);
    await host.locator(`[data-testid="adversary-node"][data-peer="${target}"] [data-testid="adversary-crash"]`).press('Enter');
    await expect(card(host, target)).toHaveAttribute('data-liveness', /crashed/);
    await expect(page(3).getByTestId('adversary-notice')).toContainText('crashed your node');
    await host.locator(`[data-testid="adversary-node"][data-peer="${target}"] [data-testid="adversary-restart"]`).press('Enter');
    await expect(card(host, target)).not.toHaveAttribute('data-liveness', /crashed/);
    await expect(page(3).getByTestId('decided-value')).toHaveText('red');
  });

  // Every other demonstration preset (majority split, tiebreak + crash, impatient tiebreak,
  // amnesia, the duel) reaches its outcome in tests/e2e/lessons-live.spec.ts, where each
  // chapter's "try this" runs it through this same adversary with the checker's own words:
  // running them here again cost ~40 s of CI for weaker assertions. The coordinator's stays
  // here because the history check needs a member crashed now.
  await test.step('preset coordinator-crash: no decision; history shows decision #1 as it was, in place', async () => {
    const name: PresetName = 'coordinator-crash';
    await startDecision(c, PRESETS[name].algorithm, 'colors');
    await runPreset(host, name);
    expect(PRESETS[name].outcome.kind).toBe('no-decision');
    await nothingHeld(host);
    await expect(host.getByTestId('undecided')).toBeVisible();
    // History: the FLP decision (#1) as it was, in place, while the coordinator is down now.
    await firstDecisionInPlace(host, id(5));
  });
});
