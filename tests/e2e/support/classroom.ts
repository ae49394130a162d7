/**
 * Helpers for the live-classroom browser tests: a room of student tabs plus the teacher's
 * dashboard, all through the app's real UI (buttons, selects, the delay slider), reading the
 * stable data-testids of src/ui/classroom. Tabs come from the room fixtures (one context).
 */
import type { Page } from '@playwright/test';
import type { ScenarioName } from '../../../src/classroom/scenarios.ts';
import type { AlgorithmName } from '../../../src/machines/spec.ts';
import type { RoomCode } from '../../../src/rooms/room-code.ts';
import { expect, expectPeers, newRoomCode, nodeIdOf, peerRow, type TabOptions, type Tabs } from './fixtures.ts';

export const STUDENT_NAMES = ['Ada', 'Bo', 'Cy', 'Di', 'Ed'] as const;

export interface Class {
  readonly room: RoomCode;
  readonly host: Page;
  readonly hostId: string;
  readonly students: Page[];
  readonly ids: string[];
  readonly names: readonly string[];
}

export interface Preset {
  readonly algorithm?: AlgorithmName;
  readonly scenario?: ScenarioName;
}

/**
 * The teacher's page (optionally a lesson link with a preset) and `n` students, fully meshed;
 * `on` picks another server than the shared one.
 */
export async function openClass(tabs: Tabs, n: number, preset: Preset = {}, on?: TabOptions): Promise<Class> {
  const room = newRoomCode();
  const query = new URLSearchParams({ room, view: 'host', ...preset });
  const host = await tabs.open(`/?${query}`, on);
  await expect(host.getByTestId('node-id')).toHaveText(/^[a-z0-9]{6}$/);
  const names = STUDENT_NAMES.slice(0, n);
  const students: Page[] = [];
  for (const name of names) students.push(await tabs.student(room, name, on));
  const ids = await Promise.all(students.map(nodeIdOf));
  const hostId = await nodeIdOf(host);
  await expectPeers(host, ids, 'connected');
  for (const [i, student] of students.entries()) {
    await expectPeers(student, [...ids.filter((_, j) => j !== i), hostId], 'connected');
  }
  return { room, host, hostId, students, ids, names };
}

/** Sets the message delay with the dashboard's slider and waits until every student applied it. */
export async function setDelay(c: Class, ms: number): Promise<void> {
  await c.host.getByTestId('delay-control').fill(String(ms));
  await expect(c.host.getByTestId('delay-value')).toHaveText(`${ms / 1000} s`);
  for (const student of c.students) {
    if (!student.isClosed()) await expect(student.getByTestId('decision-panel')).toHaveAttribute('data-message-delay', String(ms));
  }
}

/** Starts a decision from the dashboard; waits until every open student tab shows it. Returns its id. */
export async function startDecision(c: Class, algorithm?: AlgorithmName, scenario?: ScenarioName): Promise<string> {
  const shown = c.host.getByTestId('current-decision');
  const previous = (await shown.count()) > 0 ? await shown.getAttribute('data-decision-id') : null;
  if (algorithm !== undefined) await c.host.getByTestId('algorithm-select').selectOption(algorithm);
  if (scenario !== undefined) await c.host.getByTestId('scenario-select').selectOption(scenario);
  await c.host.getByTestId('start-decision').click();
  await expect(shown).toHaveAttribute('data-decision-id', /^d\d+-[a-z0-9]+$/);
  if (previous !== null) await expect(shown).not.toHaveAttribute('data-decision-id', previous);
  const id = await shown.getAttribute('data-decision-id');
  if (id === null || id === previous) throw new Error('the dashboard did not start a new decision');
  for (const student of c.students) {
    if (student.isClosed()) continue;
    await expect(student.getByTestId('decision-panel')).toHaveAttribute('data-decision-id', id);
    await expect(student.getByTestId('my-node')).toBeVisible();
  }
  return id;
}

export function proposeButton(page: Page, value: string) {
  return page.locator(`[data-testid="propose-button"][data-value="${value}"]`);
}

/**
 * Clicks each tab's button at the same wall-clock instant (tabs share the machine's clock), so
 * the proposals are as simultaneous as a browser timer allows: what splits a vote.
 */
export async function proposeAtOnce(entries: ReadonlyArray<readonly [Page, string]>, leadMs = 500): Promise<void> {
  const at = Date.now() + leadMs;
  await Promise.all(
    entries.map(([page, value]) =>
      page.evaluate(
        ({ value, at }) =>
          new Promise<boolean>((resolve) => {
            setTimeout(() => {
              const button = document.querySelector<HTMLButtonElement>(
                `[data-testid="propose-button"][data-value="${CSS.escape(value)}"]`,
              );
              button?.click();
              resolve(button !== null);
            }, at - Date.now());
          }),
        { value, at },
      ),
    ),
  );
}

/** A member's node card on the dashboard. */
export function card(host: Page, peer: string) {
  return host.locator(`[data-testid="node-card"][data-peer-id="${peer}"]`);
}

export function property(host: Page, name: 'agreement' | 'validity' | 'termination' | 'fault-tolerance') {
  return host.getByTestId(`property-${name}`);
}

/**
 * Makes `from` send each algorithm message to each target as raw frames, exactly what a student
 * could type into the console of their own tab: a lying member (test hook of `?test=1`).
 */
export async function sendAlgoMessages(from: Page, targets: readonly string[], decision: string, messages: readonly unknown[]): Promise<void> {
  await from.evaluate(
    ({ targets, decision, messages }) => {
      const hook = window.__room!;
      // Every algo message carries its sender's message id (incarnation, sequence number).
      let seq = 1;
      for (const to of targets) {
        for (const message of messages) {
          const id = { inc: 31_337, seq: seq++ };
          hook.sendRawText(to, JSON.stringify({ type: 'app', payload: { type: 'algo', decision, id, message } }));
        }
      }
    },
    { targets, decision, messages },
  );
}

/** A member listed under the dashboard's flagged peers. */
export function flaggedPeer(host: Page, peer: string) {
  return host.locator(`[data-testid="flagged-peer"][data-peer-id="${peer}"]`);
}

/**
 * Overwrites one part (`meta`, `hard`, `decision`, …) of node `nodeId`'s stored node of
 * `decision` (localStorage, which every tab of the test context shares; keys
 * `cp:ROOM:NODE:log:DECISION:PART`, see classroom/node-store.ts) with `text`; returns how many
 * entries it hit.
 */
export async function corruptStoredNode(page: Page, nodeId: string, decision: string, part: string, text: string): Promise<number> {
  return page.evaluate(
    ({ suffix, text }) => {
      let hit = 0;
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i);
        if (key !== null && key.endsWith(suffix)) {
          localStorage.setItem(key, text);
          hit++;
        }
      }
      return hit;
    },
    { suffix: `:${nodeId}:log:${decision}:${part}`, text },
  );
}

/**
 * From the next load on, every write of a stored node (keys `…:log:…`, decisions and books
 * alike) throws QuotaExceededError, as a full localStorage does. Other keys still work, so only
 * the node's own persist path is under test.
 */
export async function fillStorageForNodes(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (this: Storage, key: string, value: string): void {
      if (key.includes(':log:')) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      setItem.call(this, key, value);
    };
  });
}

/**
 * Closes student `i`'s tab (if still open) and opens its link again in a fresh tab: the same
 * node, restarted from storage, without whatever the old page carried (an init script, a
 * crashed renderer). Waits until it is back in the full mesh, so a room can be reused for the
 * next check instead of setting up a new one (a room of six tabs costs ~10 CPU-s).
 */
export async function reopenStudent(tabs: Tabs, c: Class, i: number): Promise<Page> {
  const old = c.students[i]!;
  const url = old.url();
  if (!old.isClosed()) await old.close();
  const page = await tabs.open(url);
  await expect(page.getByTestId('node-id')).toHaveText(c.ids[i]!);
  c.students[i] = page;
  // Every open tab and the dashboard see it connected again, and it sees them.
  const open = c.ids.filter((_, j) => j !== i && !c.students[j]!.isClosed());
  for (const peer of [...open, c.hostId]) await expect(peerRow(page, peer)).toHaveAttribute('data-status', 'connected');
  for (const other of [c.host, ...c.students.filter((s, j) => j !== i && !s.isClosed())]) {
    await expect(peerRow(other, c.ids[i]!)).toHaveAttribute('data-status', 'connected');
  }
  return page;
}
