/**
 * The live order book, end to end: five real Chromium student tabs and the teacher's dashboard,
 * each tab a replica of a log algorithm over real WebRTC. One room runs a book of each algorithm
 * in turn (the teacher starts the next book; a room costs seconds of CPU to set up): orders from
 * three phones, the leader's tab closed while commands flow, a new leader, nothing committed
 * lost, every replica's book identical; the closed tab reopened catches up from its stored log;
 * a ship and a cancel of one order pressed at once on two phones end in one outcome everywhere;
 * the teacher's pause holds a command (listed on the dashboard) until resume lets it commit.
 *
 * Add an algorithm by adding its name to ALGORITHMS below (it must be in LOG_ALGORITHMS).
 */
import type { Page } from '@playwright/test';
import type { LogAlgorithmName } from '../../src/machines/spec.ts';
import { expect, expectPeers, nodeIdOf, test, type Tabs } from './support/fixtures.ts';
import { openClass, type Class } from './support/classroom.ts';

const ALGORITHMS: readonly LogAlgorithmName[] = ['raft', 'multipaxos'];

/** A commit on loopback takes milliseconds; an election after a closed tab a few seconds. */
const COMMIT_MS = 20_000;

function bookNode(host: Page, id: string) {
  return host.locator(`[data-testid="book-node"][data-node-id="${id}"]`);
}

function orderRow(page: Page, order: string) {
  return page.locator(`[data-testid="order-row"][data-order="${order}"]`);
}

async function startBook(c: Class, algorithm: LogAlgorithmName): Promise<string> {
  const board = c.host.getByTestId('book-board');
  // The room's previous book, if any: its board may still show until the new one is drawn, and
  // its id matches the pattern too, so wait for an id other than it.
  const previous = (await board.count()) > 0 ? await board.getAttribute('data-book-id') : null;
  await c.host.getByTestId('book-select').selectOption(`orders:${algorithm}`);
  await c.host.getByTestId('start-book').click();
  await expect(board).toHaveAttribute('data-book-id', /^b\d+-[a-z0-9]+$/);
  await expect.poll(() => board.getAttribute('data-book-id')).not.toBe(previous);
  const id = (await board.getAttribute('data-book-id')) as string;
  for (const student of c.students) await expect(student.getByTestId('book-panel')).toHaveAttribute('data-book-id', id);
  return id;
}

/** The member the projector shows as leader, once exactly one is. */
async function leaderOf(c: Class, among: readonly string[]): Promise<string> {
  let leader: string | undefined;
  await expect
    .poll(
      async () => {
        const roles = await Promise.all(among.map((id) => bookNode(c.host, id).getAttribute('data-role')));
        const leaders = among.filter((_, i) => roles[i] === 'leader');
        leader = leaders.length === 1 ? leaders[0] : undefined;
        return leader !== undefined;
      },
      { timeout: COMMIT_MS },
    )
    .toBe(true);
  return leader as string;
}

async function placeOrder(page: Page): Promise<void> {
  await page.getByTestId('place-order').click();
}

/** Every open replica holds the same book (same digest) with `orders` orders in it. */
async function expectSameBooks(pages: readonly Page[], orders: number): Promise<string> {
  for (const page of pages) await expect(page.getByTestId('order-row')).toHaveCount(orders, { timeout: COMMIT_MS });
  const digests = await Promise.all(pages.map((p) => p.getByTestId('book-panel').getAttribute('data-digest')));
  // Applied counts can differ by a no-op in flight; the state must not.
  expect(new Set(digests).size, `digests ${digests.join(', ')}`).toBe(1);
  return digests[0] as string;
}

// One room runs every algorithm's book in turn: each book does all of it (orders, the teacher's
// pause, a failover, a reopened tab, a race), ~50 s on a busy 2-core machine, so 90 s each.
test(`order book on ${ALGORITHMS.join(', then ')}: leader closed while orders flow, nothing lost, reopened tab catches up, ship vs cancel`, async ({ tabs }) => {
  test.setTimeout(90_000 * ALGORITHMS.length);
  const c = await openClass(tabs, 5);
  for (const algorithm of ALGORITHMS) {
    await test.step(`order book on ${algorithm}`, () => bookRound(c, tabs, algorithm));
  }
});

/**
 * One book of `algorithm` in the room `c`, all five students open. The leader's tab is closed
 * and reopened on the way: `c.students` holds the reopened page afterwards, so the next book
 * starts with five members again.
 */
async function bookRound(c: Class, tabs: Tabs, algorithm: LogAlgorithmName): Promise<void> {
  // Members are the students connected when the book starts: the reopened tab must be back.
  await expectPeers(c.host, c.ids, 'connected');
  await startBook(c, algorithm);
  const [s0, s1, s2] = c.students as [Page, Page, Page];
  // A phone 360 px wide: large buttons, nothing wider than the screen.
  await s0.setViewportSize({ width: 360, height: 740 });
  const button = await s0.getByTestId('place-order').boundingBox();
  expect(button?.height).toBeGreaterThanOrEqual(44);
  expect(await s0.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // Orders from three phones (followers among them: forwarded to the leader).
  await leaderOf(c, c.ids);
  for (const phone of [s0, s1, s2]) await placeOrder(phone);
  await expectSameBooks(c.students, 3);
  // Orders read as whose they are: "You #1" on the phone that placed it, the student's name on
  // the others and on the projector's tiles (the id stays in data-order).
  await expect(s0.getByTestId('order-row').filter({ hasText: 'You #' })).toHaveCount(1);
  await expect(s0.getByTestId('order-row').filter({ hasText: `${c.names[1]} #` })).toHaveCount(1);
  await expect(c.host.getByTestId('state-row').filter({ hasText: `${c.names[0]} #` }).first()).toBeVisible({ timeout: COMMIT_MS });
  // The narrow phone's ship and cancel buttons are large too, and still fit its width.
  for (const testid of ['ship-order', 'cancel-order']) expect((await s0.getByTestId(testid).first().boundingBox())?.height).toBeGreaterThanOrEqual(44);
  expect(await s0.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // The teacher pauses the network: a command submitted meanwhile is held (listed on the
  // dashboard with its sender, kind and command) and does not commit; no election fires while
  // paused; resume lets it commit.
  const before = await leaderOf(c, c.ids);
  const adversary = c.host.getByTestId('book-adversary');
  await adversary.getByTestId('adversary-pause').click();
  await expect(adversary.getByTestId('adversary-pause')).toHaveAttribute('aria-pressed', 'true');
  await expect(s1.getByTestId('adversary-notice')).toContainText('paused');
  await placeOrder(s1);
  const heldCommand = adversary.locator('[data-testid="held-entry"][data-value^="place "]');
  await expect(heldCommand.first()).toBeVisible({ timeout: COMMIT_MS });
  await expect(s1.getByTestId('my-command').last()).toHaveAttribute('data-answered', 'false');
  for (const phone of c.students) await expect(phone.getByTestId('order-row')).toHaveCount(3);
  await adversary.getByTestId('adversary-pause').click();
  await expect(heldCommand).toHaveCount(0, { timeout: COMMIT_MS });
  await expectSameBooks(c.students, 4);
  await expect(s1.getByTestId('my-command').last()).toHaveAttribute('data-answered', 'true', { timeout: COMMIT_MS });
  expect(await leaderOf(c, c.ids)).toBe(before);

  // The leader's tab closes while three more orders are in flight.
  const leader = await leaderOf(c, c.ids);
  const li = c.ids.indexOf(leader);
  const leaderPage = c.students[li] as Page;
  const leaderUrl = leaderPage.url();
  const survivors = c.students.filter((_, i) => i !== li);
  const survivorIds = c.ids.filter((_, i) => i !== li);
  for (const phone of survivors.slice(0, 3)) await placeOrder(phone);
  await leaderPage.close();
  const next = await leaderOf(c, survivorIds);
  expect(next).not.toBe(leader);
  // Nothing committed is lost: the first three orders are on every survivor, and the three
  // placed during the failover are answered (retried at the new leader when needed).
  const book = await expectSameBooks(survivors, 7);
  for (const phone of survivors.slice(0, 3)) {
    await expect(phone.getByTestId('my-command').last()).toHaveAttribute('data-answered', 'true', { timeout: COMMIT_MS });
  }

  // The closed tab reopens as the same node and catches up from its stored log.
  const back = await tabs.open(leaderUrl);
  expect(await nodeIdOf(back)).toBe(leader);
  c.students[li] = back;
  await expect(back.getByTestId('book-panel')).toHaveAttribute('data-digest', book, { timeout: COMMIT_MS });
  await expect(bookNode(c.host, leader)).toHaveAttribute('data-digest', book, { timeout: COMMIT_MS });
  const all = [...survivors, back];

  // A ship and a cancel of the same order pressed at once on two phones.
  const order = await firstPlacedOrder(survivors[0] as Page);
  const at = Date.now() + 400;
  await Promise.all(
    [
      [survivors[1] as Page, 'ship-order'],
      [survivors[2] as Page, 'cancel-order'],
    ].map(([page, testid]) =>
      (page as Page).evaluate(
        ({ order, testid, at }) =>
          new Promise<boolean>((resolve) => {
            setTimeout(() => {
              const button = document.querySelector<HTMLButtonElement>(
                `[data-testid="order-row"][data-order="${CSS.escape(order)}"] [data-testid="${testid}"]`,
              );
              button?.click();
              resolve(button !== null);
            }, at - Date.now());
          }),
        { order, testid: testid as string, at },
      ),
    ),
  );
  // Wait on the ship / cancel row itself: the phone draws a new row on its next frame, so
  // `.last()` right after the click can still be an earlier, answered command.
  // The row says whose order it is ("Ada #4"); data-command keeps the command with its id.
  const mine = (page: Page) => page.locator(['ship', 'cancel'].map((op) => `[data-testid="my-command"][data-command=${JSON.stringify(`${op} ${order}`)}]`).join(', '));
  for (const page of [survivors[1] as Page, survivors[2] as Page]) {
    await expect(mine(page)).toHaveCount(1, { timeout: COMMIT_MS });
    await expect(mine(page)).toHaveAttribute('data-answered', 'true', { timeout: COMMIT_MS });
  }

  await expect(orderRow(survivors[0] as Page, order)).not.toHaveAttribute('data-status', 'placed', { timeout: COMMIT_MS });
  const outcome = await orderRow(survivors[0] as Page, order).getAttribute('data-status');
  expect(outcome === 'shipped' || outcome === 'cancelled').toBe(true);
  for (const page of all) await expect(orderRow(page, order)).toHaveAttribute('data-status', outcome as string, { timeout: COMMIT_MS });
  const answers = await Promise.all(
    [survivors[1] as Page, survivors[2] as Page].map((p) => mine(p).textContent()),
  );
  expect(answers.filter((a) => a?.includes('refused')).length, answers.join(' | ')).toBe(1);
  await expectSameBooks(all, 7);

  // The projector's live checker found nothing wrong.
  await expect(c.host.getByTestId('book-check')).toHaveAttribute('data-violations', '0');
  for (const p of await c.host.getByTestId('book-property').all()) await expect(p).toHaveAttribute('data-ok', 'true');
}

/** The id of the first order still placed on this phone. */
async function firstPlacedOrder(page: Page): Promise<string> {
  const row = page.locator('[data-testid="order-row"][data-status="placed"]').first();
  await expect(row).toBeVisible();
  return (await row.getAttribute('data-order')) as string;
}
