/**
 * A phone that kept an old page open across a server update: its bundle speaks another protocol
 * version, the real server refuses its roster socket, and the page says "This page is out of
 * date — reload" instead of half-working. The old bundle is simulated in a context of its own by
 * rewriting the version its roster socket announces, before any of the page's code runs.
 */
import { PROTOCOL_PARAM, PROTOCOL_VERSION } from '../../src/transport/signaling-protocol.ts';
import { CONTEXT_PERMISSIONS } from './support/chromium.ts';
import { expect, expectPeers, newRoomCode, nodeIdOf, test } from './support/fixtures.ts';

test('a tab on an older protocol is told to reload and is never listed; the room carries on', async ({ tabs, browser, baseURL }) => {
  const room = newRoomCode();
  const host = await tabs.host(room);
  const student = await tabs.student(room, 'Ada');
  const hostId = await nodeIdOf(host);
  const studentId = await nodeIdOf(student);
  await expectPeers(host, [studentId], 'connected');

  const old = await browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
  try {
    await old.addInitScript(
      ({ param, older }) => {
        const Native = window.WebSocket;
        // The old bundle: same page, but its roster socket announces an older version.
        window.WebSocket = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            const target = new URL(url);
            if (target.pathname.endsWith('/roster')) target.searchParams.set(param, older);
            super(target, protocols);
          }
        };
      },
      { param: PROTOCOL_PARAM, older: String(PROTOCOL_VERSION - 1) },
    );
    const phone = await old.newPage();
    await phone.goto(new URL(`/?${new URLSearchParams({ room, name: 'Bo' })}`, baseURL).toString());
    const banner = phone.getByTestId('signaling-banner');
    await expect(banner.locator('[data-state="outdated"]')).toHaveText('This page is out of date — reload.');
    // It stopped: it neither appears in the room nor lists anyone.
    await expect(phone.locator('[data-testid="peer-row"]')).toHaveCount(0);
    await expectPeers(host, [studentId], 'connected');
    await expectPeers(student, [hostId], 'connected');
    // The button reloads the page (here the old bundle again, so the same message comes back).
    const reloaded = phone.waitForEvent('load');
    await phone.getByTestId('reload-page').click();
    await reloaded;
    await expect(phone.getByTestId('signaling-banner').locator('[data-state="outdated"]')).toBeVisible();
  } finally {
    await old.close();
  }
});
