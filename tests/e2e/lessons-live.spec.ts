/**
 * Lessons, live and alone: the teacher steps through the chapters on the projector while five
 * phones follow, and each chapter's "try this" sets its scene up in the room with one click
 * (algorithm, scenario, delay, demonstration preset; the order book for chapter 7) and reaches
 * the outcome the chapter promises, read in the live checker's own words. Then every chapter's
 * solo link stages the same scene in solo mode and runs it to the same outcome. One room for
 * all the live chapters, one tab for all the solo ones; every wait is on a condition.
 */
import type { Locator, Page } from '@playwright/test';
import { CHAPTERS, type Chapter, type LiveSetup } from '../../src/lessons/chapters.ts';
import { lessonHref, lessonSoloHref } from '../../src/lessons/links.ts';
import { PRESET_TITLES, type PresetName } from '../../src/classroom/preset-names.ts';
import { card, openClass, property, proposeAtOnce, type Class } from './support/classroom.ts';
import { expect, test } from './support/fixtures.ts';

const DECIDE_MS = 20_000;
/** A preset's steps each wait at most PRESET_STEP_TIMEOUT_MS; the impatient one waits out the phones' patience. */
const PRESET_MS = 30_000;

/** The preset roles n1…n5 are the members in sorted order. */
function roleIds(c: Class): (role: number) => string {
  const sorted = [...c.ids].sort();
  return (role) => sorted[role - 1]!;
}

/** The same check on every phone at once (each waits on its own condition). */
async function everyPhone(c: Class, check: (student: Page) => Promise<void>): Promise<void> {
  await Promise.all(c.students.map(check));
}

/** Presses `button`, waits for the new decision on the projector and on every phone, with the scene's delay and algorithm. */
async function pressForDecision(c: Class, button: Locator, live: LiveSetup): Promise<string> {
  const shown = c.host.getByTestId('current-decision');
  const previous = (await shown.count()) > 0 ? await shown.getAttribute('data-decision-id') : null;
  await button.click();
  await expect(shown).toHaveAttribute('data-decision-id', /^d\d+-[a-z0-9]+$/);
  if (previous !== null) await expect(shown).not.toHaveAttribute('data-decision-id', previous);
  const id = (await shown.getAttribute('data-decision-id')) ?? '';
  await everyPhone(c, async (student) => {
    const panel = student.getByTestId('decision-panel');
    await expect(panel).toHaveAttribute('data-decision-id', id);
    await expect(panel).toHaveAttribute('data-message-delay', String(live.delayMs));
    await expect(panel.getByTestId('algorithm-name')).toHaveAttribute('data-algorithm', live.algorithm);
  });
  return id;
}

/** The lesson's demonstration ran to its end on the decision "try this" started. */
async function presetDone(c: Class, preset: PresetName): Promise<void> {
  const running = c.host.getByTestId('lesson-preset');
  await expect(running).toHaveAttribute('data-preset', preset);
  await expect(running).toContainText(PRESET_TITLES[preset]);
  await expect(running).toHaveAttribute('data-state', 'done', { timeout: PRESET_MS });
}

/** Termination as the projector's checker words it: its label (blocked, split, …) and detail. */
async function terminationSays(page: Page, label: string, detail: RegExp, timeout = DECIDE_MS): Promise<void> {
  const row = property(page, 'termination');
  await expect(row).toHaveAttribute('data-status', 'undecided', { timeout });
  await expect(row.locator('.status')).toHaveText(label, { timeout });
  await expect(row.getByTestId('property-detail')).toHaveText(detail, { timeout });
}

async function agreementBroken(page: Page): Promise<void> {
  const row = property(page, 'agreement');
  await expect(row).toHaveAttribute('data-status', 'violated', { timeout: DECIDE_MS });
  await expect(row.getByTestId('property-detail')).toHaveText(/^nodes disagree: .+ decided "blue"; .+ decided "red"$|^nodes disagree: .+ decided "red"; .+ decided "blue"$/);
}

/** Every phone and the projector show one decided value; Agreement holds. Returns it. */
async function oneValueEverywhere(c: Class, value?: string): Promise<string> {
  const decided = c.host.getByTestId('decided-value');
  await expect(decided).toHaveCount(1, { timeout: DECIDE_MS });
  if (value !== undefined) await expect(decided).toHaveText(value);
  const shown = (await decided.textContent())?.trim() ?? '';
  await everyPhone(c, (student) => expect(student.getByTestId('decided-value')).toHaveText(shown, { timeout: DECIDE_MS }));
  await Promise.all(c.ids.map((id) => expect(card(c.host, id)).toHaveAttribute('data-decided', shown)));
  await expect(property(c.host, 'agreement')).toHaveAttribute('data-status', 'ok');
  return shown;
}

/** What each chapter promises in the room, checked after its "try this" (and its second scene, if any). */
const LIVE_OUTCOMES: Readonly<Record<string, (c: Class) => Promise<void>>> = {
  'write-once': async (c) => {
    // Different colours proposed at once; one colour on every phone, all four green.
    await proposeAtOnce([
      [c.students[0]!, 'red'],
      [c.students[2]!, 'blue'],
      [c.students[4]!, 'green'],
    ]);
    await oneValueEverywhere(c);
    await expect(property(c.host, 'validity')).toHaveAttribute('data-status', 'ok');
  },
  coordinator: async (c) => {
    await presetDone(c, 'coordinator-crash');
    await terminationSays(c.host, 'blocked', /blocked: waiting for crashed /);
    await expect(property(c.host, 'fault-tolerance')).toHaveAttribute('data-status', 'blocked');
    await expect(c.host.getByTestId('decided-value')).toHaveCount(0);
  },
  majority: async (c) => {
    await presetDone(c, 'majority-split');
    await terminationSays(c.host, 'split', /split vote \((?=.*red 2)(?=.*blue 2)(?=.*green 1).*\): no value can reach 3$/);
    await expect(c.host.getByTestId('decided-value')).toHaveCount(0);
  },
  tiebreak: async (c) => {
    await presetDone(c, 'tiebreak-crash');
    await terminationSays(c.host, 'blocked', /blocked: waiting for crashed /);
    await expect(c.host.getByTestId('decided-value')).toHaveCount(0);
  },
  flp: async (c) => {
    await presetDone(c, 'flp-scene');
    // The class picks red: its candidate, held at the fifth member, is delivered first.
    const id = roleIds(c);
    const red = c.host.locator(`[data-testid="held-entry"][data-to="${id(5)}"][data-from="${id(1)}"][data-kind="candidate"]`);
    await expect(red).toHaveAttribute('data-value', 'red');
    await expect(c.host.locator(`[data-testid="held-entry"][data-to="${id(5)}"][data-from="${id(2)}"][data-kind="candidate"]`)).toHaveAttribute('data-value', 'blue');
    await red.getByTestId('held-deliver').click();
    await c.host.getByTestId('adversary-clear').click();
    await oneValueEverywhere(c, 'red');
  },
  paxos: async (c) => {
    await presetDone(c, 'paxos-duel');
    await oneValueEverywhere(c);
  },
};

const FOLLOW_UP_OUTCOMES: Readonly<Record<string, (c: Class) => Promise<void>>> = {
  tiebreak: async (c) => {
    await presetDone(c, 'impatient-disagree');
    await agreementBroken(c.host);
    await expect(c.host.getByTestId('decided-value')).toHaveCount(2);
  },
  paxos: async (c) => {
    await presetDone(c, 'amnesia-restart');
    await agreementBroken(c.host);
  },
};

function bookNode(host: Page, id: string) {
  return host.locator(`[data-testid="book-node"][data-node-id="${id}"]`);
}

/** Chapter 7: the order book on Raft, every phone a replica, one leader, one order in every book. */
async function orderBookRuns(c: Class): Promise<void> {
  const board = c.host.getByTestId('book-board');
  await expect(board).toHaveAttribute('data-book-id', /^b\d+-[a-z0-9]+$/);
  const book = (await board.getAttribute('data-book-id')) ?? '';
  await everyPhone(c, (student) => expect(student.getByTestId('book-panel')).toHaveAttribute('data-book-id', book));
  await expect
    .poll(async () => (await Promise.all(c.ids.map((id) => bookNode(c.host, id).getAttribute('data-role')))).filter((r) => r === 'leader').length, { timeout: DECIDE_MS })
    .toBe(1);
  await c.students[1]!.getByTestId('place-order').click();
  await everyPhone(c, (student) => expect(student.getByTestId('order-row')).toHaveCount(1, { timeout: DECIDE_MS }));
  const digests = await Promise.all(c.students.map((s) => s.getByTestId('book-panel').getAttribute('data-digest')));
  expect(new Set(digests).size, `digests ${digests.join(', ')}`).toBe(1);
}

async function followTo(c: Class, chapter: Chapter): Promise<void> {
  await c.host.getByTestId('lesson-select').selectOption(chapter.id);
  await everyPhone(c, async (student) => {
    await expect(student.getByTestId('lesson-follow')).toHaveAttribute('data-chapter', chapter.id);
    await expect(student.getByTestId('lesson-follow')).toContainText(chapter.title);
  });
}

test('live: phones follow every chapter, and each chapter\'s "try this" reaches the outcome it promises in a room of five', async ({ tabs }) => {
  test.setTimeout(180_000);
  const started = Date.now();
  const c = await openClass(tabs, 5);
  const meshed = Date.now();
  for (const chapter of CHAPTERS) {
    await test.step(chapter.id, async () => {
      const at = Date.now();
      await followTo(c, chapter);
      const tryThis = chapter.tryThis;
      if (tryThis === undefined) throw new Error(`${chapter.id} has no "try this"`);
      const button = c.host.getByTestId('lesson-try');
      if (tryThis.kind === 'log') {
        await button.click();
        await orderBookRuns(c);
      } else {
        await pressForDecision(c, button, tryThis.live);
        const outcome = LIVE_OUTCOMES[chapter.id];
        if (outcome === undefined) throw new Error(`no live outcome check for ${chapter.id}`);
        await outcome(c);
        if (tryThis.followUp !== undefined) {
          console.log(`lessons live: ${chapter.id} first scene ${Date.now() - at} ms`);
          await followTo(c, chapter);
          await pressForDecision(c, c.host.getByTestId('lesson-follow-up'), tryThis.followUp.live);
          const then = FOLLOW_UP_OUTCOMES[chapter.id];
          if (then === undefined) throw new Error(`no live outcome check for ${chapter.id}'s second scene`);
          await then(c);
        }
      }
      console.log(`lessons live: ${chapter.id} ${Date.now() - at} ms`);
    });
  }
  // Out of the lessons: the phones drop the chapter.
  await c.host.getByTestId('lesson-select').selectOption('');
  await everyPhone(c, (student) => expect(student.getByTestId('lesson-follow')).toHaveCount(0));
  console.log(`lessons live: room meshed in ${meshed - started} ms, all chapters ${Date.now() - meshed} ms`);
});

// ---- solo mode ----------------------------------------------------------------------------

function soloNode(page: Page, node: string) {
  return page.locator(`[data-testid="solo-node"][data-node-id="${node}"]`);
}

/** Runs virtual time on, a second per click, until `check` passes (the solo page changes only when told to). */
async function runUntil(page: Page, check: () => Promise<void>): Promise<void> {
  await expect(async () => {
    await page.getByTestId('solo-run-1000').click();
    await check();
  }).toPass({ timeout: 15_000, intervals: [0] });
}

const quick = { timeout: 250 };

const SOLO_OUTCOMES: Readonly<Record<string, (page: Page) => Promise<void>>> = {
  'write-once': async (page) => {
    await soloNode(page, 'n1').locator('[data-testid="solo-propose"][data-value="red"]').click();
    await soloNode(page, 'n2').locator('[data-testid="solo-propose"][data-value="blue"]').click();
    await runUntil(page, () => expect(page.getByTestId('solo-outcome')).toContainText(/Every node decided (red|blue)/, quick));
    await expect(page.getByTestId('property-agreement')).toHaveAttribute('data-status', 'ok');
  },
  coordinator: async (page) => {
    await expect(soloNode(page, 'n5')).toHaveAttribute('data-status', 'down');
    await runUntil(page, () => terminationSays(page, 'blocked', /blocked: waiting for crashed n5/, quick.timeout));
    await expect(page.getByTestId('solo-outcome')).toHaveCount(0);
  },
  majority: async (page) => {
    await runUntil(page, () => terminationSays(page, 'split', /split vote .*: no value can reach 3$/, quick.timeout));
    await expect(page.getByTestId('solo-outcome')).toHaveCount(0);
  },
  tiebreak: async (page) => {
    // Solo mode stages the chapter's variant: the impatient tiebreak's disagreement.
    await runUntil(page, () => expect(page.getByTestId('property-agreement')).toHaveAttribute('data-status', 'violated', quick));
    await expect(page.getByTestId('property-agreement').getByTestId('property-detail')).toHaveText(/^nodes disagree: /);
  },
  flp: async (page) => {
    const valence = page.getByTestId('explore-valence');
    await expect(valence).toHaveText('Both red and blue are still reachable.');
    const critical = page.locator('[data-testid="held-message"][data-critical="1"]');
    await expect(critical).toHaveCount(2);
    await critical.filter({ hasText: 'red' }).getByTestId('held-deliver').click();
    await expect(valence).toHaveText('Only red can be decided from here.');
    await page.getByTestId('solo-deliver-all').click();
    await runUntil(page, () => expect(page.getByTestId('solo-outcome')).toContainText('Every node decided red', quick));
  },
  paxos: async (page) => {
    await runUntil(page, () => expect(page.getByTestId('solo-outcome')).toContainText(/Every node decided (red|blue)/, quick));
    await expect(page.getByTestId('property-agreement')).toHaveAttribute('data-status', 'ok');
  },
  replication: async (page) => {
    // The Raft order book, and one schedule that crashes the leader run on Multi-Paxos and Raft.
    await expect(page.getByTestId('solo-log')).toHaveAttribute('data-algorithm', 'raft');
    const columns = page.getByTestId('compare-column');
    await expect(columns).toHaveCount(2, { timeout: DECIDE_MS });
    for (const algorithm of ['multipaxos', 'raft']) {
      const column = columns.and(page.locator(`[data-algorithm="${algorithm}"]`));
      await expect(column).toHaveAttribute('data-ok', 'true');
      await expect(column.getByTestId('compare-crash')).toHaveAttribute('data-found', 'true');
    }
  },
};

/**
 * Goes to `href` the way the app's own links do (history and popstate, no reload), through the
 * lessons page so solo mode starts afresh from the link: seven page loads cost seconds.
 */
async function openInApp(page: Page, chapter: Chapter): Promise<void> {
  const hop = async (href: string): Promise<void> =>
    page.evaluate((to) => {
      window.history.pushState(null, '', to);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }, href);
  await hop(`/${lessonHref(chapter.id)}`);
  await expect(page.getByTestId('chapter')).toContainText(chapter.title);
  await hop(`/${lessonSoloHref(chapter)}`);
}

test('solo: every chapter\'s "try it alone" link stages its scene and runs it to the outcome the chapter promises', async ({ tabs }) => {
  const started = Date.now();
  const page = await tabs.open('/?lessons=1');
  for (const chapter of CHAPTERS) {
    await test.step(chapter.id, async () => {
      const tryThis = chapter.tryThis;
      if (tryThis === undefined) throw new Error(`${chapter.id} has no "try this"`);
      await openInApp(page, chapter);
      if (tryThis.kind === 'decision') {
        await expect(page.getByTestId('solo-algorithm')).toHaveValue(tryThis.solo.algorithm);
        await expect(page.getByTestId('solo-node')).toHaveCount(tryThis.solo.nodes);
      }
      const outcome = SOLO_OUTCOMES[chapter.id];
      if (outcome === undefined) throw new Error(`no solo outcome check for ${chapter.id}`);
      const at = Date.now();
      await outcome(page);
      console.log(`lessons solo: ${chapter.id} ${Date.now() - at} ms after the page opened`);
    });
  }
  console.log(`lessons solo: all chapters ${Date.now() - started} ms`);
});
