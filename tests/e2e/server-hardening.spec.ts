/**
 * The server's half of the hardening (issue 9, items 5, 6 and 9): real Chromium tabs against
 * the real server. Each attack is refused, and the class still decides one value.
 * - teacher takeover after a REAL restart (a new `npm start` process on the same database,
 *   after the old one was killed without any cleanup);
 * - node id squatting while a student's tab is closed;
 * - one client flooding a room (tabs from one address, and 40 scripted fake ids).
 */
import type { Browser, Page } from '@playwright/test';
import WebSocket from 'ws';
import { SERVER_LIMITS } from '../../src/limits.ts';
import { newIdentity } from '../../src/transport/identity.ts';
import { PEERJS_KEY, PROTOCOL_PARAM, PROTOCOL_VERSION, ROSTER_CLOSE } from '../../src/transport/signaling-protocol.ts';
import { CONTEXT_PERMISSIONS } from './support/chromium.ts';
import { openClass, proposeButton, property, startDecision, type Class } from './support/classroom.ts';
import { expect, expectPeers, peerRow, test } from './support/fixtures.ts';
import { startAppServer } from './support/server.ts';
import { startServerProcess } from './support/server-process.ts';

const DECIDE_MS = 20_000;

function rejectedBanner(page: Page) {
  return page.getByTestId('signaling-banner').locator('[data-state="rejected"]');
}

/** One decision through the dashboard; every open tab and the dashboard show the same value. */
async function decideOne(c: Class, proposer: Page, value: string): Promise<void> {
  await startDecision(c, 'paxos', 'colors');
  await proposeButton(proposer, value).click();
  await expect(c.host.getByTestId('decided-value')).toHaveText(value, { timeout: DECIDE_MS });
  for (const student of c.students) {
    if (!student.isClosed()) await expect(student.getByTestId('decided-value')).toHaveText(value, { timeout: DECIDE_MS });
  }
  await expect(property(c.host, 'agreement')).toHaveAttribute('data-status', 'ok');
  await expect(c.host.getByTestId('violation-banner')).toHaveCount(0);
}

/** A page in another browser (its own storage: no teacher key, no identities of this class). */
async function elsewhere(browser: Browser) {
  return browser.newContext({ permissions: [...CONTEXT_PERMISSIONS] });
}

/** A scripted client: registers `ROOM-node` on the PeerJS socket; resolves with the server's first answer. */
function register(port: number, room: string, identity = newIdentity()): Promise<{ type: string; payload?: { msg: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/signal/peerjs?key=${PEERJS_KEY}&id=${room}-${identity.node}&token=${identity.token}&version=1.5.5`);
    ws.on('error', reject);
    ws.once('message', (data) => {
      resolve(JSON.parse(data.toString()) as { type: string; payload?: { msg: string } });
      // Keep an admitted socket open a moment (a flood holds its places), then go.
      setTimeout(() => ws.terminate(), 2_000);
    });
  });
}

test('after a real server restart the teacher is still the teacher, impostors are refused, and the class decides one value', async ({ tabs, browser }) => {
  const server = await startServerProcess();
  const other = await elsewhere(browser);
  try {
    const on = { baseURL: server.baseURL };
    const c = await openClass(tabs, 3, {}, on);
    // A crash: the process dies without closing a socket or the database.
    await server.stop('SIGKILL');
    for (const page of [c.host, ...c.students]) {
      await expect(page.getByTestId('signaling-banner').locator('[data-state="reconnecting"]')).toBeVisible();
    }
    await server.start();

    // First thing after the restart, before the teacher's tab retries: a scripted impostor
    // registers a node and asks for the host role with its own key. It used to become the teacher.
    const impostor = newIdentity();
    expect(await register(server.port, c.room, impostor)).toEqual({ type: 'OPEN' });
    const refusal = await new Promise<number>((resolve) => {
      const query = new URLSearchParams({
        id: `${c.room}-${impostor.node}`,
        token: impostor.token,
        name: 'Teacher',
        role: 'host',
        hostKey: newIdentity().token,
        [PROTOCOL_PARAM]: String(PROTOCOL_VERSION),
      });
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/signal/roster?${query}`);
      ws.on('error', () => {});
      ws.once('close', (code) => resolve(code));
    });
    expect(refusal).toBe(ROSTER_CLOSE.notTheTeacher);
    // And an impostor's browser opening the teacher's page: told so, listed nowhere.
    const fake = await other.newPage();
    await fake.goto(new URL(`/?${new URLSearchParams({ room: c.room, view: 'host', test: '1' })}`, server.baseURL).toString());
    await expect(fake.getByTestId('signaling-banner')).toContainText('already has its teacher', { timeout: 20_000 });

    // The real teacher's tab and the students reconnect by themselves; the teacher is still the host.
    for (const page of [c.host, ...c.students]) await expect(page.getByTestId('signaling-banner')).toHaveCount(0, { timeout: 20_000 });
    for (const [i, student] of c.students.entries()) {
      await expectPeers(student, [...c.ids.filter((_, j) => j !== i), c.hostId], 'connected');
      await expect(peerRow(student, c.hostId)).toHaveAttribute('data-role', 'host');
    }
    await expectPeers(c.host, c.ids, 'connected');
    await decideOne(c, c.students[1]!, 'green');
  } finally {
    await other.close();
    await server.stop();
  }
});

// The squatter's room is then closed by its teacher: one room for both (a room costs seconds of CPU).
test('a squatter cannot take a closed tab’s node id; the reopened tab gets its node back and the class decides; then the teacher closes the room for everyone: every phone is told why', async ({ tabs, browser }) => {
  const c = await openClass(tabs, 3);
  const [ada] = c.students;
  const adaId = c.ids[0]!;
  const adaUrl = ada!.url();
  await ada!.close(); // the crash-restart lesson: Ada's node is down
  await expect(peerRow(c.host, adaId)).toHaveAttribute('data-status', 'down');

  // Someone with developer tools plants Ada's node id (shown on every screen) with a token of
  // their own in their tab's storage, and joins.
  const other = await elsewhere(browser);
  try {
    await other.addInitScript(
      ({ room, node, token }) => {
        sessionStorage.setItem(`consensus-playground:node:${room}`, node);
        sessionStorage.setItem(`consensus-playground:token:${room}`, token);
        sessionStorage.setItem(`consensus-playground:identity-state:${room}`, 'released');
      },
      { room: c.room, node: adaId, token: newIdentity().token },
    );
    const squatter = await other.newPage();
    await squatter.goto(new URL(`/?${new URLSearchParams({ room: c.room, name: 'Mallory', test: '1' })}`, adaUrl).toString());
    await expect(squatter.getByTestId('node-id')).toHaveText(adaId); // it really tried Ada's id
    await expect(rejectedBanner(squatter)).toContainText('belongs to another tab');
    await expect(peerRow(c.host, adaId)).toHaveAttribute('data-status', 'down');
  } finally {
    await other.close();
  }

  // Ada opens her join link again: her own node, connected to everyone.
  const back = await tabs.open(adaUrl);
  await expect(back.getByTestId('node-id')).toHaveText(adaId);
  await expectPeers(back, [...c.ids.slice(1), c.hostId], 'connected', 20_000);
  await expect(peerRow(c.host, adaId)).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
  c.students[0] = back;
  await decideOne(c, back, 'blue');

  await test.step('the teacher closes the room for everyone: every phone is told why', async () => {
    c.host.once('dialog', (dialog) => void dialog.accept());
    await c.host.getByTestId('close-room').click();
    // Every phone hears that the room is gone (its signaling socket is refused with the reason).
    for (const student of c.students) await expect(student.getByText(/closed by its teacher/)).toBeVisible({ timeout: 10_000 });
  });
});

test('one client cannot fill a room: extra tabs and 40 scripted ids from one address are refused, the class decides', async ({ tabs }) => {
  // Loopback is trusted by default (the teacher's own machine); here it is limited like any
  // classroom device, with room for the teacher's screen and three students.
  const perDevice = 4;
  const server = await startAppServer(0, { limits: { trustedAddresses: [], tabsPerAddressPerRoom: perDevice } });
  try {
    const on = { baseURL: server.baseURL };
    const c = await openClass(tabs, 3, {}, on);
    const extra = await tabs.open(`/?${new URLSearchParams({ room: c.room, name: 'Flood', test: '1' })}`, on);
    await expect(rejectedBanner(extra)).toContainText(`already has ${perDevice} tabs in room ${c.room}`);

    // The scripted flood: 40 fresh ids at once. Every one is refused (no place, or too fast).
    const answers = await Promise.all(Array.from({ length: 40 }, () => register(server.port, c.room)));
    expect(answers.filter((a) => a.type === 'OPEN')).toHaveLength(0);
    expect(answers.every((a) => a.type === 'ERROR' && /Your device|Too many/.test(a.payload?.msg ?? ''))).toBe(true);
    expect(SERVER_LIMITS.tabsPerAddressPerRoom).toBeLessThan(40); // the default stops it too

    // Nobody saw the flood; the class carries on.
    for (const [i, student] of c.students.entries()) await expectPeers(student, [...c.ids.filter((_, j) => j !== i), c.hostId], 'connected', 1_000);
    await decideOne(c, c.students[2]!, 'red');
  } finally {
    await server.stop();
  }
});
