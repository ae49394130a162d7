/**
 * Fixtures for room tests: every tab of a test is a page of the test's ONE browser context
 * (which carries the 'microphone' permission WebRTC needs in a loopback-only namespace), and a
 * test that restarts the signaling server gets a private server instead of the shared one.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { randomRoomCode, type RoomCode } from '../../../src/rooms/room-code.ts';
import type { PeerStatus } from '../../../src/transport/types.ts';
import { startAppServer, type AppServer } from './server.ts';

export { expect };

export interface TabOptions {
  /** Another server than the shared one (a test's own, see `ownServer`). */
  readonly baseURL?: string;
}

export interface Tabs {
  /** Opens a tab that joins `room` as student `name` at once (`?room&name`). */
  student(room: RoomCode, name: string, options?: TabOptions): Promise<Page>;
  /** Opens the teacher's room page (`?room&view=host`). */
  host(room: RoomCode, options?: TabOptions): Promise<Page>;
  /** Opens any path of the app in a new tab, without waiting for a room. */
  open(pathAndQuery: string, options?: TabOptions): Promise<Page>;
  /**
   * Uncaught errors and Content-Security-Policy violations any tab raised so far ("tab: message").
   * Checked empty after every test, so every browser test also proves the app runs under our CSP.
   */
  readonly errors: readonly string[];
}

/** A console line in which Chromium reports a Content-Security-Policy violation. */
export function isCspViolation(text: string): boolean {
  return /Content Security Policy/i.test(text);
}

/** A fresh room per test, so tests never see each other's tabs. */
export function newRoomCode(): RoomCode {
  return randomRoomCode((n) => Math.floor(Math.random() * n));
}

export const test = base.extend<{ tabs: Tabs; ownServer: AppServer }>({
  tabs: async ({ context, baseURL }, use) => {
    const errors: string[] = [];
    let opened = 0;
    const open = async (pathAndQuery: string, options?: TabOptions): Promise<Page> => {
      const page = await context.newPage();
      const label = `tab${++opened}`;
      page.on('pageerror', (error) => errors.push(`${label}: ${error.message}`));
      // Chromium reports each CSP violation as a console error ("Refused to … because it violates
      // the following Content Security Policy directive …").
      page.on('console', (message) => {
        if (message.type() === 'error' && isCspViolation(message.text())) errors.push(`${label}: ${message.text()}`);
      });
      await page.goto(new URL(pathAndQuery, options?.baseURL ?? baseURL).toString());
      return page;
    };
    const joined = async (page: Page): Promise<Page> => {
      // The page shows its node id as soon as its transport exists.
      await expect(page.getByTestId('node-id')).toHaveText(/^[a-z0-9]{6}$/);
      return page;
    };
    await use({
      student: async (room, name, options) =>
        joined(await open(`/?${new URLSearchParams({ room, name })}`, options)),
      host: async (room, options) => joined(await open(`/?${new URLSearchParams({ room, view: 'host' })}`, options)),
      open,
      errors,
    });
    expect(errors, 'uncaught errors in the tabs').toEqual([]);
  },
  ownServer: async ({}, use) => {
    const server = await startAppServer(0);
    await use(server);
    await server.stop();
  },
});

export async function nodeIdOf(page: Page): Promise<string> {
  return (await page.getByTestId('node-id').textContent())?.trim() ?? '';
}

/** The row of `peer` in `page`'s list. */
export function peerRow(page: Page, peer: string) {
  return page.locator(`[data-testid="peer-row"][data-peer-id="${peer}"]`);
}

/** Waits until `page` lists exactly `peers`, each with `status`. */
export async function expectPeers(
  page: Page,
  peers: readonly string[],
  status: PeerStatus,
  timeout = 10_000,
): Promise<void> {
  await expect(page.locator('[data-testid="peer-row"]')).toHaveCount(peers.length, { timeout });
  for (const peer of peers) await expect(peerRow(page, peer)).toHaveAttribute('data-status', status, { timeout });
}
