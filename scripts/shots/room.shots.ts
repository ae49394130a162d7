/**
 * A class of 30+ as the teacher and a student see it: the projector at 1280×720, a phone at
 * 360×740. Pictures for a person to look at (is the outcome readable from the back of the room,
 * do 33 nodes fit, is anything cut off or shown as a raw id), not a test: it asserts only what it
 * needs to reach each situation.
 *
 * The room: SHOTS_TABS real Chromium tabs (phones, default 3) and robots (src/robots, the
 * teacher's headless nodes) up to SHOTS_NODES students (default 33), and the dashboard.
 * Robots use node-datachannel, whose ICE ignores loopback, so this adds a veth pair inside the
 * run's own network namespace (tests/bench/isolate.ts) and refuses to run outside one. Run it,
 * after `npm run build`, as the e2e specs are run (E2E_PORT is only the shared server's; this
 * script starts its own on a free loopback port):
 *
 *   unshare -n sh -c 'ip link set lo up && SHOTS_DIR=/tmp/shots E2E_PORT=4870 \
 *     npx playwright test -c scripts/shots/playwright.config.ts room.shots.ts'
 *
 * SHOTS_PARTS=crash,raft picks situations (default: majority,paxos,crash,raft,multipaxos; the
 * lobby always). On a loaded machine an 18-robot worker process may fall behind and drop its
 * links; CP_BENCH_ROBOTS_PER_PROCESS=10 spreads the robots over more processes.
 *
 * Each situation is saved as NAME-1280.png (the projector's one screen, what the class sees
 * without scrolling), NAME-1280-full.png (the whole page) and NAME-360.png (a phone's screen,
 * full page); the log line per picture says how far the page scrolls down and whether it
 * scrolls sideways.
 */
import type { Page } from '@playwright/test';
import { addRobotVeth } from '../../tests/bench/isolate.ts';
import { expect, newRoomCode, test } from '../../tests/e2e/support/fixtures.ts';
import { fullMesh, hostKeyOf, Robots } from '../../tests/e2e/support/robots.ts';
import { startAppServer, type AppServer } from '../../tests/e2e/support/server.ts';

const DIR = process.env['SHOTS_DIR'] ?? 'test-results/shots';
const TABS = Number(process.env['SHOTS_TABS'] ?? 3);
const NODES = Number(process.env['SHOTS_NODES'] ?? 33);
const PROJECTOR = { width: 1280, height: 720 } as const;
const PHONE = { width: 360, height: 740 } as const;
const PHONE_NAMES = ['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo'];
/** SHOTS_PARTS: which situations to shoot, in this order (default all; the lobby is always shot). */
const PARTS = new Set((process.env['SHOTS_PARTS'] ?? 'majority,paxos,crash,raft,multipaxos').split(',').map((p) => p.trim()));

const vethProblem = addRobotVeth();

/** How far `page` scrolls down and sideways beyond its viewport (px). */
async function overflow(page: Page): Promise<{ down: number; sideways: number }> {
  return page.evaluate(() => ({
    down: document.documentElement.scrollHeight - window.innerHeight,
    sideways: document.documentElement.scrollWidth - window.innerWidth,
  }));
}

async function shootHost(host: Page, name: string): Promise<void> {
  await host.evaluate(() => window.scrollTo(0, 0));
  await host.screenshot({ path: `${DIR}/${name}-1280.png` });
  await host.screenshot({ path: `${DIR}/${name}-1280-full.png`, fullPage: true });
  const o = await overflow(host);
  console.log(`${name}-1280: scrolls ${o.down} px down, ${o.sideways} px sideways`);
}

/** One projector screen of the page from `selector`'s top down (what the teacher sees after scrolling to it). */
async function shootSection(host: Page, selector: string, name: string): Promise<void> {
  await host.evaluate(() => window.scrollTo(0, 0));
  const box = await host.locator(selector).first().boundingBox();
  if (box === null) {
    console.log(`${name}: ${selector} not on the page`);
    return;
  }
  const height = await host.evaluate(() => document.documentElement.scrollHeight);
  const y = Math.max(0, Math.min(box.y, height - PROJECTOR.height));
  await host.screenshot({ path: `${DIR}/${name}-1280.png`, fullPage: true, clip: { x: 0, y, width: PROJECTOR.width, height: PROJECTOR.height } });
}

/** Waits for `what` to be visible; on a loaded machine it may not come: say so and shoot what is there. */
async function appears(page: Page, selector: string, timeout: number, what: string): Promise<boolean> {
  try {
    await expect(page.locator(selector).first()).toBeVisible({ timeout });
    return true;
  } catch {
    console.log(`${what}: not within ${timeout} ms, shooting what there is`);
    return false;
  }
}

async function shootPhone(phone: Page, name: string): Promise<void> {
  await phone.evaluate(() => window.scrollTo(0, 0));
  await phone.screenshot({ path: `${DIR}/${name}-360.png`, fullPage: true });
  const o = await overflow(phone);
  console.log(`${name}-360: scrolls ${o.down} px down, ${o.sideways} px sideways`);
}

test.describe(`a room of ${NODES} on the projector and a phone`, () => {
  let server: AppServer;
  let robots: Robots | undefined;

  test.beforeAll(async () => {
    if (vethProblem !== undefined) throw new Error(`robots need a veth pair in this network namespace: ${vethProblem}`);
    server = await startAppServer(0);
  });
  test.afterAll(async () => {
    await robots?.stop();
    await server.stop();
  });

  test('lobby, majority, paxos, a crash, the Raft and Multi-Paxos books', async ({ tabs }) => {
    test.setTimeout(900_000);
    const room = newRoomCode();
    const baseURL = server.baseURL;
    const host = await tabs.host(room, { baseURL });
    await host.setViewportSize(PROJECTOR);
    const hostKey = await hostKeyOf(host, room);
    const phones: Page[] = [];
    for (let i = 0; i < TABS; i++) {
      const phone = await tabs.student(room, PHONE_NAMES[i]!, { baseURL });
      await phone.setViewportSize(PHONE);
      phones.push(phone);
    }
    const fleet = await Robots.start({ room, count: NODES - TABS, baseURL, maxSeconds: 900, ...(hostKey ? { hostKey } : {}) });
    robots = fleet;
    // A loaded machine may not finish the mesh: after the wait, shoot the room as it is (the log says so).
    await fullMesh([host, ...phones], fleet, NODES, 240_000, 250).catch((error: unknown) => console.log(`not fully meshed, going on: ${String(error).slice(0, 300)}`));
    await shootHost(host, 'lobby');
    await shootPhone(phones[0]!, 'lobby');

    const current = host.getByTestId('current-decision');
    /** Starts a decision from the dashboard's controls; returns its id once every phone and robot has it. */
    const startDecision = async (algorithm: 'majority' | 'paxos', delayMs: number): Promise<string> => {
      const previous = (await current.count()) > 0 ? await current.getAttribute('data-decision-id') : null;
      await host.getByTestId('delay-control').fill(String(delayMs));
      await host.getByTestId('algorithm-select').selectOption(algorithm);
      await host.getByTestId('scenario-select').selectOption('colors');
      await host.getByTestId('start-decision').click();
      await expect(current).toHaveAttribute('data-decision-id', /^d\d+-[a-z0-9]+$/);
      if (previous !== null) await expect(current).not.toHaveAttribute('data-decision-id', previous);
      const id = (await current.getAttribute('data-decision-id'))!;
      for (const phone of phones) await expect(phone.getByTestId('decision-panel')).toHaveAttribute('data-decision-id', id, { timeout: 30_000 });
      await fleet.waitState((s) => s.every((r) => r.decisions.some((d) => d.decision === id)), 30_000, `${algorithm} reached every robot`);
      return id;
    };
    const propose = (phone: Page, value: string): Promise<unknown> =>
      phone.evaluate((v) => document.querySelector<HTMLButtonElement>(`[data-testid="propose-button"][data-value="${v}"]`)?.click(), value);
    const decided = '[data-testid="outcome"] [data-testid="decided-value"]';

    if (PARTS.has('majority')) {
      // Majority, slow enough (1 s per message) to catch it in progress. The robots agree (one
      // colour wins a majority); the phones do not all.
      await startDecision('majority', 1000);
      await shootPhone(phones[0]!, 'majority-before');
      const colours = ['blue', 'red', 'green'];
      for (const [i, phone] of phones.entries()) await propose(phone, colours[i % colours.length]!);
      fleet.command('propose all blue');
      await host.waitForTimeout(2_500);
      await shootHost(host, 'majority-running');
      await shootPhone(phones[0]!, 'majority-running');
      await appears(host, decided, 120_000, 'majority decided');
      await host.waitForTimeout(3_000);
      await shootHost(host, 'majority-decided');
      await shootSection(host, '[data-testid="member-cards"]', 'majority-cards');
      await shootSection(host, '[data-testid="adversary-panel"]', 'majority-adversary');
      await shootSection(host, '[data-testid="member-cards"] + .side', 'majority-quorum');
      await shootPhone(phones[0]!, 'majority-decided');
    }
    if (PARTS.has('paxos')) {
      // Paxos, one proposer (a phone), at 300 ms per message.
      await startDecision('paxos', 300);
      await propose(phones[0]!, 'blue');
      await host.waitForTimeout(1_200);
      await shootHost(host, 'paxos-running');
      await shootPhone(phones[1]!, 'paxos-running');
      await appears(host, decided, 120_000, 'paxos decided');
      await host.waitForTimeout(3_000);
      await shootHost(host, 'paxos-decided');
      await shootSection(host, '[data-testid="member-cards"]', 'paxos-cards');
      await shootPhone(phones[1]!, 'paxos-decided');
    }
    if (PARTS.has('crash')) {
      // A crashed node in a paxos decision: robot 2, crashed from the teacher's adversary panel
      // before anyone proposes; then a phone proposes.
      await startDecision('paxos', 300);
      const robotId = fleet.ids[1]!;
      await host.locator(`[data-testid="adversary-node"][data-peer="${robotId}"] [data-testid="adversary-crash"]`).click();
      const card = host.locator(`[data-testid="node-card"][data-peer-id="${robotId}"]`);
      await expect(card).toHaveAttribute('data-liveness', 'crashed', { timeout: 30_000 });
      await propose(phones[0]!, 'green');
      await appears(host, decided, 120_000, 'paxos with a crash decided');
      await host.waitForTimeout(2_000);
      await shootHost(host, 'crashed');
      await shootPhone(phones[0]!, 'crashed');
      await shootSection(host, '[data-testid="adversary-panel"]', 'crashed-adversary');
      await card.scrollIntoViewIfNeeded();
      await host.screenshot({ path: `${DIR}/crashed-card-1280.png` });
      await host.locator(`[data-testid="adversary-node"][data-peer="${robotId}"] [data-testid="adversary-restart"]`).click();
      await host.waitForTimeout(2_000);
    }
    for (const algorithm of (['raft', 'multipaxos'] as const).filter((a) => PARTS.has(a))) {
      await host.getByTestId('book-select').selectOption(`orders:${algorithm}`);
      const before = (await host.getByTestId('book-board').count()) > 0 ? await host.getByTestId('book-board').getAttribute('data-book-id') : null;
      await host.getByTestId('start-book').click();
      await expect(host.getByTestId('book-board')).not.toHaveAttribute('data-book-id', before ?? '');
      await expect(host.locator('[data-testid="book-node"][data-role="leader"]')).toHaveCount(1, { timeout: 120_000 });
      for (const phone of phones) await expect(phone.getByTestId('place-order')).toBeVisible({ timeout: 30_000 });
      await shootPhone(phones[0]!, `${algorithm}-empty`);
      for (const phone of phones) await phone.getByTestId('place-order').click();
      await expect(phones[0]!.getByTestId('order-row')).toHaveCount(TABS, { timeout: 60_000 }).catch(() => console.log(`${algorithm}: not every order committed within 60 s`));
      await phones[0]!.getByTestId('ship-order').first().click({ timeout: 30_000 }).catch(() => console.log(`${algorithm}: nothing to ship`));
      await phones[1]!.getByTestId('cancel-order').last().click({ timeout: 30_000 }).catch(() => console.log(`${algorithm}: nothing to cancel`));
      await phones[2]?.getByTestId('place-order').click();
      await host.waitForTimeout(4_000);
      await shootHost(host, `${algorithm}-book`);
      await shootPhone(phones[0]!, `${algorithm}-book`);
      await host.getByTestId('book-board').screenshot({ path: `${DIR}/${algorithm}-board-1280.png` });
      await shootSection(host, '[data-testid="book-adversary"]', `${algorithm}-adversary`);
      await shootSection(host, '[data-testid="book-picker"], [data-testid="book-select"]', `${algorithm}-below`);
      // The leader crashed from the dashboard: a new one is elected, the old one shown down.
      const leader = await host.locator('[data-testid="book-node"][data-role="leader"]').first().getAttribute('data-node-id');
      if (leader !== null) {
        const row = host.locator(`[data-testid="book-adversary"] [data-testid="adversary-node"][data-peer="${leader}"]`);
        if ((await row.count()) > 0) {
          await row.getByTestId('adversary-crash').click();
          await host.waitForTimeout(6_000);
          await shootHost(host, `${algorithm}-leader-crashed`);
          await host.getByTestId('book-board').screenshot({ path: `${DIR}/${algorithm}-leader-crashed-board-1280.png` });
          await row.getByTestId('adversary-restart').click();
        } else {
          console.log(`${algorithm}: no adversary row for leader ${leader}`);
        }
      }
    }
  });
});
