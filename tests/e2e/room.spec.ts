/**
 * The room, end to end: real Chromium tabs, our real signaling server on 127.0.0.1, real WebRTC
 * data channels between the tabs. Each test uses a fresh room code so tests never see each
 * other's tabs; all tabs of a test share one browser context.
 */
import type { Page } from '@playwright/test';
import { MAX_MESSAGE_BYTES, MAX_NAME_LENGTH, ROOM_CODE_LENGTH } from '../../src/limits.ts';
import { expect, expectPeers, newRoomCode, nodeIdOf, peerRow, test } from './support/fixtures.ts';
import { startAppServer } from './support/server.ts';

/** The bar: a tab that is gone shows as down on every screen within 5 s. */
const DOWN_WITHIN_MS = 5_000;

async function ids(pages: readonly Page[]): Promise<string[]> {
  return Promise.all(pages.map(nodeIdOf));
}

function others(all: readonly string[], self: string): string[] {
  return all.filter((id) => id !== self);
}

/** One data-channel round trip from `page` to `peer`, through the app (the e2e build's test hook). */
async function roundTrip(page: Page, peer: string): Promise<number | undefined> {
  return page.evaluate((p) => window.__room!.probe(p), peer);
}

async function signalingKind(page: Page): Promise<string> {
  return page.evaluate(() => window.__room!.signaling().kind);
}

// One room (the teacher and five students) for what a room shows of its members, each check in
// its own step: a room costs seconds of CPU to set up. The steps that close or crash a tab come last.
test('five tabs and the teacher page all see each other connected; a second screen in another browser cannot become the room’s teacher; a reloaded tab comes back as the same node; a closed tab and a crashed tab (no goodbye, no unload) show as down everywhere within 5 s', async ({ tabs, context, browser, baseURL }) => {
  const room = newRoomCode();
  const host = await tabs.host(room);
  const names = ['Ada', 'Barbara', 'Charles', 'Dorothy', 'Edsger'];
  const students: Page[] = [];
  for (const name of names) students.push(await tabs.student(room, name));
  const studentIds = await ids(students);
  const hostId = await nodeIdOf(host);

  await test.step('five tabs and the teacher page all see each other connected', async () => {
    expect(new Set([...studentIds, hostId]).size).toBe(6);
    await expectPeers(host, studentIds, 'connected');
    await expect(host.getByTestId('participant-count')).toHaveText('5');
    for (const [i, student] of students.entries()) {
      await expectPeers(student, [...others(studentIds, studentIds[i]!), hostId], 'connected');
      await expect(student.getByTestId('self-name')).toHaveText(names[i]!);
      await expect(peerRow(student, hostId)).toHaveAttribute('data-role', 'host');
    }
    for (const [i, id] of studentIds.entries()) {
      await expect(peerRow(host, id).getByTestId('peer-name')).toHaveText(names[i]!);
    }
    // Every pair really has a data channel: a round trip from each tab to the next one.
    for (const [i, student] of students.entries()) {
      expect(await roundTrip(student, studentIds[(i + 1) % students.length]!)).toBeGreaterThan(0);
    }
    // The teacher's page probes everyone on its own and shows the round trips.
    await expect(host.getByTestId('peer-note')).toHaveCount(5);
  });

  await test.step('a second screen in another browser cannot become the room’s teacher', async () => {
    const student = students[0]!;
    // A student's own browser (its own storage, so no teacher key) opens the teacher's URL.
    const elsewhere = await browser.newContext({ permissions: ['microphone'] });
    try {
      const impostor = await elsewhere.newPage();
      await impostor.goto(new URL(`/?${new URLSearchParams({ room, view: 'host' })}`, baseURL).toString());
      await expect(impostor.getByTestId('signaling-banner')).toContainText('already has its teacher');
      // Nobody lists it: the real teacher stays the only host.
      await expectPeers(student, [...others(studentIds, studentIds[0]!), hostId], 'connected');
      await expect(peerRow(student, hostId)).toHaveAttribute('data-role', 'host');
    } finally {
      await elsewhere.close();
    }
  });

  await test.step('a reloaded tab comes back as the same node and shows connected again', async () => {
    const [a, b] = [students[0]!, students[1]!];
    const [aId, bId] = [studentIds[0]!, studentIds[1]!];
    await a.reload();
    await expect(a.getByTestId('node-id')).toHaveText(aId);
    await expectPeers(a, [...others(studentIds, aId), hostId], 'connected');
    for (const page of [host, b]) {
      await expect(peerRow(page, aId)).toHaveAttribute('data-status', 'connected');
      // Still one row for the node: the reload did not create a second participant.
      await expect(page.locator('[data-testid="peer-row"]')).toHaveCount(5);
    }
    expect(await roundTrip(b, aId)).toBeGreaterThan(0);
  });

  await test.step('a closed tab shows as down everywhere within 5 s', async () => {
    const goneId = studentIds[2]!;
    const stay = [students[3]!, students[4]!];
    const stayIds = [studentIds[3]!, studentIds[4]!];
    const closedAt = Date.now();
    await students[2]!.close({ runBeforeUnload: false });
    for (const page of [host, ...stay]) {
      await expect(peerRow(page, goneId)).toHaveAttribute('data-status', 'down', { timeout: DOWN_WITHIN_MS });
    }
    expect(Date.now() - closedAt).toBeLessThan(DOWN_WITHIN_MS);
    // Nobody else is affected.
    await expect(peerRow(stay[0]!, stayIds[1]!)).toHaveAttribute('data-status', 'connected');
    await expect(peerRow(host, stayIds[0]!)).toHaveAttribute('data-status', 'connected');
  });

  await test.step('a crashed tab (no goodbye, no unload) shows as down everywhere within 5 s', async () => {
    const victim = students[3]!;
    const witness = students[4]!;
    const [victimId, witnessId] = [studentIds[3]!, studentIds[4]!];
    await expect(peerRow(witness, victimId)).toHaveAttribute('data-status', 'connected');
    // Kill the tab's renderer: no pagehide, no goodbye frame, its sockets simply die.
    const cdp = await context.newCDPSession(victim);
    const crashedAt = Date.now();
    // Not awaited: the command never answers, its target is gone.
    void cdp.send('Page.crash').catch(() => undefined);
    for (const page of [host, witness]) {
      await expect(peerRow(page, victimId)).toHaveAttribute('data-status', 'down', { timeout: DOWN_WITHIN_MS });
    }
    expect(Date.now() - crashedAt).toBeLessThan(DOWN_WITHIN_MS);
    await expect(peerRow(host, witnessId)).toHaveAttribute('data-status', 'connected');
    await victim.close();
  });
});

test('restarting the signaling server keeps existing links and lets a new tab join', async ({ tabs, ownServer }) => {
  const room = newRoomCode();
  const on = { baseURL: ownServer.baseURL };
  const host = await tabs.host(room, on);
  const a = await tabs.student(room, 'Ada', on);
  const b = await tabs.student(room, 'Bo', on);
  const [hostId, aId, bId] = await ids([host, a, b]);
  await expectPeers(host, [aId!, bId!], 'connected');
  await expectPeers(a, [bId!, hostId!], 'connected');

  await ownServer.stop();
  for (const page of [host, a, b]) {
    await expect(page.getByTestId('signaling-banner').locator('[data-state="reconnecting"]')).toBeVisible();
  }
  // Longer than the suspicion threshold: heartbeats over the data channels keep everyone connected.
  await a.waitForTimeout(4_000);
  await expectPeers(host, [aId!, bId!], 'connected', 1);
  await expectPeers(a, [bId!, hostId!], 'connected', 1);
  expect(await roundTrip(a, bId!)).toBeGreaterThan(0);
  expect(await roundTrip(b, hostId!)).toBeGreaterThan(0);

  await ownServer.start();
  for (const page of [host, a, b]) {
    await expect.poll(() => signalingKind(page), { timeout: 20_000 }).toBe('open');
    await expect(page.getByTestId('signaling-banner')).toHaveCount(0);
  }
  const c = await tabs.student(room, 'Cy', on);
  const cId = await nodeIdOf(c);
  await expectPeers(c, [aId!, bId!, hostId!], 'connected', 20_000);
  for (const page of [host, a, b]) await expect(peerRow(page, cId)).toHaveAttribute('data-status', 'connected');
});

test('a full room turns newcomers away with a clear banner, and its members carry on', async ({ tabs }) => {
  // A server whose rooms hold two tabs, so "full" is reachable without 40 tabs.
  const server = await startAppServer(0, { limits: { maxPeersPerRoom: 2, maxRooms: 10 } });
  try {
    const room = newRoomCode();
    const on = { baseURL: server.baseURL };
    const a = await tabs.student(room, 'Ada', on);
    const b = await tabs.student(room, 'Bo', on);
    const [aId, bId] = await ids([a, b]);
    await expectPeers(a, [bId!], 'connected');

    const late = await tabs.student(room, 'Late', on);
    const banner = late.getByTestId('signaling-banner').locator('[data-state="rejected"]');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('full');
    await expect(late.getByTestId('peer-list-empty')).toBeVisible();
    // Not retried in a loop, and invisible to the room it could not enter.
    await late.waitForTimeout(1_500);
    await expect(banner).toBeVisible();
    await expectPeers(a, [bId!], 'connected', 1);
    await expectPeers(b, [aId!], 'connected', 1);
  } finally {
    await server.stop();
  }
});

// Room A (three students, no teacher: nobody else talks to Alice while her counters are read)
// and room B share one test: first that neither sees the other, then the garbage, in room A.
test('peers of another room are invisible; a tab sending garbage over its data channel is ignored and the others keep working', async ({ tabs }) => {
  const roomA = newRoomCode();
  let roomB = newRoomCode();
  while (roomB === roomA) roomB = newRoomCode();
  const mallory = await tabs.student(roomA, 'Mallory');
  const alice = await tabs.student(roomA, 'Alice');
  const bob = await tabs.student(roomA, 'Bob');
  const hostB = await tabs.host(roomB);
  const b1 = await tabs.student(roomB, 'Ben');
  const [malloryId, aliceId, bobId, hostBId, b1Id] = await ids([mallory, alice, bob, hostB, b1]);

  await test.step('peers of another room are invisible', async () => {
    const expectedOf = [
      [mallory, [aliceId!, bobId!]],
      [alice, [malloryId!, bobId!]],
      [bob, [malloryId!, aliceId!]],
      [hostB, [b1Id!]],
      [b1, [hostBId!]],
    ] as const;
    for (const [page, expected] of expectedOf) await expectPeers(page, expected, 'connected');
    // Give any leak time to show (several heartbeats and roster pushes), then look again.
    await alice.waitForTimeout(2_000);
    for (const [page, expected] of expectedOf) {
      await expectPeers(page, expected, 'connected', 1);
      const linked = await page.evaluate(() => window.__room!.links().map((l) => l.peer));
      expect(linked.sort()).toEqual([...expected].sort());
    }
  });

  await test.step('a tab sending garbage over its data channel is ignored and the others keep working', async () => {
    const before = await alice.evaluate(() => window.__room!.stats());

    const sent = await mallory.evaluate(
      ({ to, maxBytes }) => {
        const hook = window.__room!;
        const frames = [
          'not json at all {',
          'null',
          '[1,2,3]',
          JSON.stringify({ type: 'app' }),
          JSON.stringify({ type: 'app', payload: { type: 'no-such-message' } }),
          JSON.stringify({ type: 'app', payload: { type: 'decision', decision: { id: '<script>' } } }),
          JSON.stringify({ type: 'app', payload: { type: 'room-probe', seq: -1 } }),
          JSON.stringify({ type: 'heartbeat', from: 'someone-else' }),
          JSON.stringify({ type: 'hello', name: '', role: 'host' }),
          JSON.stringify({ type: 'hello', name: 'x'.repeat(500), role: 'student' }),
          JSON.stringify({ type: 'launch-missiles' }),
          JSON.stringify({ type: 'app', payload: { type: 'settings', messageDelayMs: 1, pad: 'x'.repeat(maxBytes) } }),
        ];
        let ok = 0;
        for (const frame of frames) if (hook.sendRawText(to, frame)) ok++;
        if (hook.sendRawBytes(to, [0, 255, 1, 2, 3])) ok++;
        return ok;
      },
      { to: aliceId!, maxBytes: MAX_MESSAGE_BYTES },
    );
    expect(sent).toBe(13);

    await expect
      .poll(async () => {
        const { rejected } = await alice.evaluate(() => window.__room!.stats());
        return rejected.malformed + rejected.oversized + rejected['unknown-type'] - (before.rejected.malformed + before.rejected.oversized + before.rejected['unknown-type']);
      })
      .toBe(13);
    const after = await alice.evaluate(() => window.__room!.stats());
    expect(after.rejected.oversized - before.rejected.oversized).toBe(1);
    expect(after.rejected['unknown-type'] - before.rejected['unknown-type']).toBe(1);
    // Nothing of it reached the application.
    expect(after.received).toBe(before.received);

    // A flood beyond the per-peer rate limit is cut off at the boundary.
    await mallory.evaluate((to) => {
      for (let i = 0; i < 800; i++) window.__room!.sendRawText(to, JSON.stringify({ type: 'heartbeat' }));
    }, aliceId!);
    await expect.poll(async () => (await alice.evaluate(() => window.__room!.stats())).rejected['rate-limited']).toBeGreaterThan(0);

    // Alice and Bob carry on: the room still shows everyone, and messages still flow both ways.
    await expectPeers(alice, [malloryId!, bobId!], 'connected');
    await expectPeers(bob, [malloryId!, aliceId!], 'connected');
    expect(await roundTrip(alice, bobId!)).toBeGreaterThan(0);
    expect(await roundTrip(bob, aliceId!)).toBeGreaterThan(0);
    // Mallory is throttled, not banned: once its one-second rate window has passed it is heard again.
    await alice.waitForTimeout(1_100);
    expect(await roundTrip(alice, malloryId!)).toBeGreaterThan(0);
  });
});

test('names are shown as text, never as markup, and bad ones are refused', async ({ tabs }) => {
  const room = newRoomCode();
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const clipped = hostile.slice(0, MAX_NAME_LENGTH);
  const host = await tabs.host(room);
  const evil = await tabs.student(room, clipped);
  const evilId = await nodeIdOf(evil);
  await expect(evil.getByTestId('self-name')).toHaveText(clipped);
  await expect(peerRow(host, evilId).getByTestId('peer-name')).toHaveText(clipped);
  for (const page of [host, evil]) {
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  }

  // A name over the limit in a link opens the join form with an explanation instead.
  const tooLong = await tabs.open(`/?${new URLSearchParams({ room, name: 'x'.repeat(MAX_NAME_LENGTH + 1) })}`);
  await expect(tooLong.getByTestId('route-problem')).toBeVisible();
  await expect(tooLong.getByTestId('join-code')).toHaveValue(room);
  await expect(tooLong.getByTestId('join-name')).toHaveAttribute('maxlength', String(MAX_NAME_LENGTH));
  // An invalid room code in a link lands on the start page with an explanation.
  const badRoom = await tabs.open('/?room=NOPE0&name=Ada');
  await expect(badRoom.getByTestId('route-problem')).toBeVisible();
  await expect(badRoom.getByTestId('student-page')).toHaveCount(0);
});

test('a teacher starts a room and a student joins it through the join link and form', async ({ tabs, baseURL }) => {
  const teacher = await tabs.open('/');
  await teacher.getByTestId('start-room').click();
  await expect(teacher.getByTestId('host-page')).toBeVisible();
  const code = (await teacher.getByTestId('room-code').textContent())?.trim() ?? '';
  expect(code).toMatch(new RegExp(`^[A-Z0-9]{${ROOM_CODE_LENGTH}}$`));
  await expect(teacher).toHaveURL(new RegExp(`[?&]room=${code}(&|$)`));
  await expect(teacher.getByTestId('qr-code')).toBeVisible();
  const joinUrl = (await teacher.getByTestId('join-url').textContent())?.trim() ?? '';
  expect(joinUrl).toBe(`${baseURL}/?room=${code}`);

  const phone = await tabs.open(joinUrl);
  await expect(phone.getByTestId('join-code')).toHaveValue(code);
  await phone.getByTestId('join-submit').click();
  await expect(phone.getByTestId('join-name')).toHaveAttribute('aria-invalid', 'true');
  await phone.getByTestId('join-name').fill('  Grace   Hopper ');
  await phone.getByTestId('join-submit').click();
  await expect(phone.getByTestId('self-name')).toHaveText('Grace Hopper');
  const phoneId = await nodeIdOf(phone);
  await expect(peerRow(teacher, phoneId)).toHaveAttribute('data-status', 'connected');
  await expect(peerRow(teacher, phoneId).getByTestId('peer-name')).toHaveText('Grace Hopper');

  // Leaving says goodbye: the teacher sees the student down at once, and the phone is back home.
  await phone.getByTestId('leave-room').click();
  await expect(phone.getByTestId('start-room')).toBeVisible();
  await expect(peerRow(teacher, phoneId)).toHaveAttribute('data-status', 'down', { timeout: DOWN_WITHIN_MS });
});

test('phone-sized screens: no sideways scrolling and touch targets of at least 44 px', async ({ tabs }) => {
  const room = newRoomCode();
  const pages = [await tabs.open('/'), await tabs.host(room), await tabs.student(room, 'Wide name for a small phone')];
  for (const page of pages) {
    await page.setViewportSize({ width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const target of await page.locator('button, input').all()) {
      const box = await target.boundingBox();
      expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
    }
  }
});
