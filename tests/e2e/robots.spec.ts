/**
 * A big room on this machine: 5 real student tabs, the rest robots (src/robots, the teacher's
 * headless nodes: their own ids, WebRTC links and stored state), and the teacher's dashboard.
 * ROBOTS_E2E_NODES students in all, 40 by default: the class of issue #11, 5 tabs and 35 robots.
 * History: on a shared machine at load 20–30 a 40-node room did not mesh within 75–420 s and the
 * suite ran 20; measured on a quiet machine (2026-12-02, load 4–7 from one other benchmark), 40
 * meshed 3.0 and 6.8 s after the last node started and the whole test took 17–18 s (20 nodes:
 * 7.6 s), so the suite runs the full class. `ROBOTS_E2E_NODES=20` runs a smaller room.
 * The dashboard must show the outcome no later than DASHBOARD_AFTER_LAST_NODE_MS after the last
 * node (tab or robot) decided (MutationObservers in the tabs and the dashboard, the robots' own
 * decision times; one machine, one clock).
 * One Paxos decision with two duelling proposers (a tab and a robot, different values): every
 * node must decide, and all the same value, a proposed one.
 *
 * Robots use node-datachannel, whose ICE ignores loopback: the test adds a veth pair to the
 * network namespace it runs in (CI runs `npm test` under `unshare -n`, as root) and tabs and
 * robots pair over its one address, which exists only in that namespace. Not root, or not in a
 * namespace of our own: the test is skipped, saying why, rather than touching this machine's
 * real interfaces.
 */
import { MAX_PEERS_PER_ROOM } from '../../src/limits.ts';
import { WATCH_DASHBOARD, WATCH_DECISION } from '../bench/cdp.ts';
import { addRobotVeth } from '../bench/isolate.ts';
import { expect, newRoomCode, test } from './support/fixtures.ts';
import { fullMesh, hostKeyOf, Robots } from './support/robots.ts';
import { startAppServer, type AppServer } from './support/server.ts';

const TABS = 5;
const NODES = Number(process.env['ROBOTS_E2E_NODES'] ?? 40);
if (!Number.isInteger(NODES) || NODES <= TABS || NODES > MAX_PEERS_PER_ROOM) {
  throw new RangeError(`ROBOTS_E2E_NODES: ${TABS + 1}–${MAX_PEERS_PER_ROOM}`);
}
const ROBOTS = NODES - TABS;
const MESH_WITHIN_MS = 75_000;
const DECIDE_WITHIN_MS = 30_000;
/** Issue 11: the projector shows the outcome no later than this after the last node decided. */
const DASHBOARD_AFTER_LAST_NODE_MS = 1_000;

const vethProblem = addRobotVeth();

test.describe(`robots fill a room of ${NODES}`, () => {
  let server: AppServer;
  let robots: Robots | undefined;

  test.beforeAll(async () => {
    // No silent skip: robots need an address inside this run's own namespace (node-datachannel
    // ignores loopback); without one the test cannot check what it claims, so it fails and says why.
    if (vethProblem !== undefined) throw new Error(`robots need a veth pair in this network namespace: ${vethProblem}`);
    // Its own server: the room limit counts students only, so 40 students and the dashboard fit.
    server = await startAppServer(0);
  });
  test.afterAll(async () => {
    await robots?.stop();
    await server.stop();
  });

  test(`${TABS} tabs and ${ROBOTS} robots decide one Paxos value, every node the same`, async ({ tabs }) => {
    test.setTimeout(150_000);
    const room = newRoomCode();
    const baseURL = server.baseURL;
    const host = await tabs.host(room, { baseURL });
    const hostKey = await hostKeyOf(host, room);
    const [students, fleet] = await Promise.all([
      Promise.all(Array.from({ length: TABS }, (_, i) => tabs.student(room, `Tab ${i + 1}`, { baseURL }))),
      Robots.start({ room, count: ROBOTS, baseURL, maxSeconds: 120, ...(hostKey ? { hostKey } : {}) }),
    ]);
    robots = fleet;

    // Full mesh: every node lists the other students and the dashboard as connected.
    const meshStarted = Date.now();
    await fullMesh([host, ...students], fleet, NODES, MESH_WITHIN_MS);
    console.log(`${NODES} students + dashboard meshed ${Date.now() - meshStarted} ms after the last node started`);

    await host.getByTestId('algorithm-select').selectOption('paxos');
    await host.getByTestId('scenario-select').selectOption('colors');
    await host.getByTestId('start-decision').click();
    const shown = host.getByTestId('current-decision');
    await expect(shown).toHaveAttribute('data-decision-id', /^d\d+-[a-z0-9]+$/);
    const decision = (await shown.getAttribute('data-decision-id'))!;
    await expect(host.getByText(`${NODES} members`)).toBeVisible();
    for (const student of students) {
      await expect(student.getByTestId('decision-panel')).toHaveAttribute('data-decision-id', decision);
      await expect(student.locator('[data-testid="propose-button"][data-value="blue"]')).toBeEnabled();
    }
    await fleet.waitState((state) => state.every((r) => r.decisions.some((d) => d.decision === decision)), 10_000, 'the decision reached every robot');

    // When each tab and the dashboard first show a decided value (a MutationObserver in each).
    await Promise.all([...students.map((student) => student.evaluate(WATCH_DECISION)), host.evaluate(WATCH_DASHBOARD)]);
    // Two proposers at once, with different values: Paxos must still give everyone one value.
    const clickedAt = Date.now();
    // The button is clicked in the page (as a finger would, without Playwright's wait for a
    // still layout: the dashboard's reports keep the page re-rendering on a loaded machine).
    fleet.command('propose 1 red');
    const clicked = await students[0]!.evaluate(() => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid="propose-button"][data-value="blue"]');
      button?.click();
      return button !== null;
    });
    expect(clicked).toBe(true);

    const tabValues = await Promise.all(
      students.map(async (student) => {
        const value = student.getByTestId('decision-panel').getByTestId('decided-value');
        await expect(value).toBeVisible({ timeout: DECIDE_WITHIN_MS });
        return (await value.textContent())?.trim();
      }),
    );
    const decidedByRobots = await fleet.waitDecided(decision, ROBOTS, DECIDE_WITHIN_MS);
    const tabsAt = await Promise.all(students.map((student) => student.evaluate(() => (window as unknown as { __decided?: { at: number } }).__decided?.at)));
    expect(tabsAt.every((at) => at !== undefined)).toBe(true);
    const lastNodeAt = Math.max(...decidedByRobots.map((d) => d.at), ...(tabsAt as number[]));
    const values = new Set([...tabValues, ...decidedByRobots.map((d) => d.value)]);
    expect([...values], 'every node decides the same value').toHaveLength(1);
    const [value] = [...values];
    expect(['blue', 'red']).toContain(value);

    // The robots' own stored view agrees (not only the events they printed).
    const state = await fleet.state();
    expect(state.map((r) => r.decisions.find((d) => d.decision === decision)?.decided)).toEqual(Array(ROBOTS).fill(value));
    expect(state.every((r) => r.status === 'running')).toBe(true);
    expect(fleet.commandErrors()).toEqual([]);

    // The dashboard shows that one value, and nothing else.
    await expect(host.getByTestId('outcome').getByTestId('decided-value')).toHaveText(value!, { timeout: 10_000 });
    await expect(host.getByTestId('outcome').getByTestId('decided-value')).toHaveCount(1);
    const dashboardAt = await host.evaluate(() => (window as unknown as { __decided?: { at: number; value: string } }).__decided);
    expect(dashboardAt?.value).toBe(value);
    const lag = dashboardAt!.at - lastNodeAt;
    console.log(`all ${NODES} decided ${value}; the last node ${lastNodeAt - clickedAt} ms after the click, the dashboard ${lag} ms after that`);
    expect(lag, 'the dashboard shows the outcome within a second of the last node').toBeLessThanOrEqual(DASHBOARD_AFTER_LAST_NODE_MS);
  });
});
