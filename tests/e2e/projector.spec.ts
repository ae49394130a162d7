/**
 * The projector tells the truth on one screen (issue 8, items 4, 8 and 9): at 1280×720 the
 * current decision, its network picture, the properties and the tally are on screen without
 * scrolling; messages are drawn travelling with their value's colour and land; the diagram's
 * text is at least 18 px; a 360 px phone never scrolls sideways and its touch targets are at
 * least 44 px; axe finds no serious or critical violation on any page. Bounding boxes and
 * computed sizes, no screenshots (set PROJECTOR_SHOTS=dir to save some for a human to look at).
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { CONTEXT_PERMISSIONS } from './support/chromium.ts';
import { openClass, proposeButton, setDelay, startDecision } from './support/classroom.ts';
import { expect, test } from './support/fixtures.ts';

const SHOTS = process.env['PROJECTOR_SHOTS'];

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS !== undefined) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Serious and critical axe findings, as "rule: target" lines (empty is the goal). */
async function axeProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary ?? ''}`));
}

/** The box of `testid` lies inside the viewport, without scrolling. */
async function expectOnScreen(page: Page, testid: string): Promise<void> {
  const box = await page.locator(testid.startsWith('#') ? testid : `[data-testid="${testid}"]`).first().boundingBox();
  const viewport = page.viewportSize()!;
  expect(box, `${testid} is rendered`).not.toBeNull();
  expect(box!.y, `${testid} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${testid} fits across`).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box!.y + box!.height, `${testid} ends above the fold`).toBeLessThanOrEqual(viewport.height + 0.5);
}

/** What sticks out past the right edge of the screen (empty when nothing does), to say what to fix. */
function sideways(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // What scrolls inside its own panel (the network picture of a big class) is not the page's.
    if (document.documentElement.scrollWidth <= width) return [];
    return [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.checkVisibility())
      .filter((el) => !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 0.5))
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}[${el.dataset['testid'] ?? ''}] right=${Math.round(el.getBoundingClientRect().right)}`)
      .slice(0, 8);
  });
}

/** Nothing wider than the screen, and every button, link and field at least 44 px each way. */
async function expectPhoneFriendly(page: Page): Promise<void> {
  expect(await sideways(page), 'no sideways scroll').toEqual([]);
  const small = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, a[href], input, select, summary, [role="button"]')]
      .filter((el) => el.offsetParent !== null && !(el instanceof HTMLInputElement && el.type === 'hidden'))
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.height < 44 || box.width < 44)
      .map(({ el, box }) => `${el.tagName.toLowerCase()}[${el.dataset['testid'] ?? el.textContent?.trim().slice(0, 30)}] ${Math.round(box.width)}×${Math.round(box.height)}`),
  );
  expect(small, 'touch targets under 44 px').toEqual([]);
}

test('at 1280×720 a decision, its picture, the properties and the tally fit one screen; messages travel in colour and land', async ({ tabs, browser }) => {
  test.setTimeout(90_000);
  const c = await openClass(tabs, 5);
  await c.host.setViewportSize({ width: 1280, height: 720 });
  // Before a decision: the join card is big; once it starts it folds into the corner.
  await expect(c.host.locator('.join [data-testid="qr-code"]')).toBeVisible();
  await setDelay(c, 1_500);
  await startDecision(c, 'majority', 'colors');
  await expect(c.host.getByTestId('room-corner')).toBeVisible();
  // Where a teacher's page is after pressing Start: at the top.
  await expect.poll(() => c.host.evaluate(() => window.scrollY)).toBe(0);
  await expect(c.host.locator('.join')).toHaveCount(0);

  await proposeButton(c.students[0]!, 'red').click();
  await proposeButton(c.students[1]!, 'red').click();
  // A vote for red travels as a red dot, and is drawn on its way (not only once it landed).
  const redVote = c.host.locator('[data-testid="flight"][data-value="red"]:not([data-phase="landed"])').first();
  await expect(redVote).toBeVisible();
  await expect(redVote.locator('.dot')).toHaveAttribute('fill', '#c0392b');
  await shot(c.host, 'projector-1280x720-in-flight');
  // …and lands: the receiver processed it.
  await expect(c.host.locator('[data-testid="flight"][data-phase="landed"]').first()).toBeAttached({ timeout: 10_000 });

  for (const id of ['#current-title', 'outcome', 'diagram-panel', 'side-panel', 'property-agreement', 'property-termination', 'tally-row']) {
    await expectOnScreen(c.host, id);
  }
  expect(await c.host.evaluate(() => window.scrollY)).toBe(0);
  // The circles show what each node holds: the voters' red.
  await expect(c.host.locator('[data-testid="diagram-node"][data-value="red"]')).not.toHaveCount(0);
  // Text on the diagram: at least 18 px as drawn.
  const smallest = await c.host.getByTestId('network-diagram').evaluate((figure) =>
    Math.min(
      ...[...figure.querySelectorAll<SVGTextElement>('text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1)),
    ),
  );
  expect(smallest).toBeGreaterThanOrEqual(18);
  // Labels never overlap.
  const overlaps = await c.host.locator('[data-testid="flight-label"] rect:first-child').evaluateAll((rects) => {
    const boxes = rects.map((r) => r.getBoundingClientRect());
    let n = 0;
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) n++;
      }
    return n;
  });
  expect(overlaps).toBe(0);
  // The tally bar carries red's colour, and its name in dark text beside it.
  const tally = c.host.locator('[data-testid="tally-row"][data-value="red"]');
  await expect(tally.locator('.value')).toHaveText('red');
  await expect(tally.locator('.fill')).toHaveCSS('background-color', 'rgb(192, 57, 43)');

  // Majority vote: the others vote for the candidate they hear, so red wins.
  await expect(c.host.getByTestId('decided-value')).toHaveText('red', { timeout: 20_000 });
  await shot(c.host, 'projector-1280x720-decided');
  expect(await axeProblems(c.host), 'axe on the teacher’s dashboard').toEqual([]);

  // The same decision at 1920×1080.
  await c.host.setViewportSize({ width: 1920, height: 1080 });
  for (const id of ['#current-title', 'diagram-panel', 'property-fault-tolerance', 'tally-row']) await expectOnScreen(c.host, id);

  // The teacher's page itself at 360 px (a teacher with only a phone): nothing sideways.
  await c.host.setViewportSize({ width: 360, height: 740 });
  // (the picture re-lays itself out on the next frame after the resize)
  await expect.poll(() => sideways(c.host), { message: 'the dashboard at 360 px' }).toEqual([]);
  await shot(c.host, 'dashboard-360');

  // A student's phone at 360 px.
  const phone = c.students[0]!;
  await phone.setViewportSize({ width: 360, height: 740 });
  await expect(phone.getByTestId('decided-value')).toHaveText(/red/);
  await expectPhoneFriendly(phone);
  await shot(phone, 'phone-360-decided');
  expect(await axeProblems(phone), 'axe on a student’s phone').toEqual([]);

  // A second teacher screen (another browser: no teacher key) shows only the refusal.
  const other = await elsewhere(browser);
  try {
    const refused = await other.newPage();
    await refused.setViewportSize({ width: 1280, height: 720 });
    await refused.goto(c.host.url());
    await expect(refused.getByTestId('host-refused')).toBeVisible({ timeout: 20_000 });
    await expect(refused.getByTestId('host-refused')).toContainText('How to get the teacher’s key');
    await expect(refused.getByTestId('classroom-dashboard')).toHaveCount(0);
    await expect(refused.getByTestId('qr-code')).toHaveCount(0);
    await shot(refused, 'refused-teacher-screen');
    expect(await axeProblems(refused), 'axe on a refused teacher screen').toEqual([]);
  } finally {
    await other.close();
  }
});

test('landing, solo and lessons pages: axe finds nothing serious, and a 360 px phone never scrolls sideways', async ({ tabs }) => {
  for (const [name, path, ready] of [
    ['landing', '/', 'join-form'],
    ['solo', '/?solo=1', 'solo-node'],
    ['lessons', '/?lessons=1', 'chapter'],
  ] as const) {
    const page = await tabs.open(path);
    await page.setViewportSize({ width: 360, height: 740 });
    await expect(page.getByTestId(ready).first()).toBeVisible();
    expect(await sideways(page), `${name}: no sideways scroll at 360 px`).toEqual([]);
    await shot(page, `${name}-360`);
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(await axeProblems(page), `axe on the ${name} page`).toEqual([]);
    await page.close();
  }
});

/** A page in another browser (its own storage: no teacher key). */
function elsewhere(browser: Browser) {
  return browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
}
