/**
 * What `npm start` serves (the production build, dist/) carries no test hook and no test page,
 * and the app works under its Content-Security-Policy. The shared e2e server serves the e2e
 * build (dist-test/) instead; the last test checks that one does install the hook, so the
 * checks here are not true of every build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, expectPeers, isCspViolation, newRoomCode, nodeIdOf, test } from './support/fixtures.ts';
import { PRODUCTION_DIST_DIR, startAppServer, type AppServer } from './support/server.ts';

/** Names only the test hook's code contains (src/ui/test-hook.ts). */
const HOOK_MARKERS = ['probeMany', 'sendRawText', 'sendRawBytes', '__room'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

function hasHook(page: Page): Promise<boolean> {
  return page.evaluate(() => '__room' in window);
}

test.describe('the production build', () => {
  let production: AppServer;

  test.beforeAll(async () => {
    production = await startAppServer(0, {}, PRODUCTION_DIST_DIR);
  });

  test.afterAll(async () => {
    await production.stop();
  });

  test('contains no harness page and no test-hook code', () => {
    const files = filesUnder(PRODUCTION_DIST_DIR).map((file) => path.relative(PRODUCTION_DIST_DIR, file));
    expect(files.filter((file) => /harness/i.test(file))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(path.join(PRODUCTION_DIST_DIR, file), 'utf8');
      for (const marker of HOOK_MARKERS) expect(text.includes(marker), `${marker} in ${file}`).toBe(false);
    }
  });

  test('does not serve the harness page or the build’s chunk graph', async ({ request }) => {
    expect((await request.get(`${production.baseURL}/harness.html`)).status()).toBe(404);
    expect((await request.get(`${production.baseURL}/.vite/chunks.json`)).status()).toBe(404);
  });

  test('?test=1 installs nothing: a room works and no page has a window hook', async ({ tabs }) => {
    const room = newRoomCode();
    const options = { baseURL: production.baseURL };
    const host = await tabs.open(`/?${new URLSearchParams({ room, view: 'host', test: '1' })}`, options);
    const student = await tabs.open(`/?${new URLSearchParams({ room, name: 'Ada', test: '1' })}`, options);
    await expect(student.getByTestId('node-id')).toHaveText(/^[a-z0-9]{6}$/);
    await expect(host.getByTestId('node-id')).toHaveText(/^[a-z0-9]{6}$/);
    // The room really works under the production CSP (the fixture fails the test on any violation).
    await expectPeers(host, [await nodeIdOf(student)], 'connected');
    await expectPeers(student, [await nodeIdOf(host)], 'connected');
    expect(await hasHook(host)).toBe(false);
    expect(await hasHook(student)).toBe(false);
    const landing = await tabs.open('/?test=1', options);
    await expect(landing.getByTestId('start-room')).toBeVisible();
    expect(await hasHook(landing)).toBe(false);
  });

  test('serves its pages under the CSP, compressed', async ({ request }) => {
    const page = await request.get(`${production.baseURL}/`, { headers: { 'accept-encoding': 'br, gzip' } });
    const csp = page.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    // index.html itself is under the precompression threshold; its entry script is not.
    const entry = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
    expect(entry).toBeDefined();
    const script = await request.get(`${production.baseURL}${entry}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(script.headers()['content-encoding']).toBe('br');
    expect(script.headers()['vary']).toBe('Accept-Encoding');
    expect(script.headers()['cache-control']).toContain('immutable');
  });
});

test('the CSP blocks inline script, and the tabs fixture sees the violation', async ({ context, baseURL }) => {
  // Not through `tabs`: this page violates the policy on purpose.
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && isCspViolation(message.text())) violations.push(message.text());
  });
  await page.goto(`${baseURL}/`);
  await expect(page.getByTestId('start-room')).toBeVisible();
  const ran = await page.evaluate(async () => {
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.body.append(script);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return (window as { inlineRan?: boolean }).inlineRan === true;
  });
  expect(ran).toBe(false);
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  await page.close();
});

test('the e2e build that tests use does install the hook', async ({ tabs }) => {
  const room = newRoomCode();
  const student = await tabs.student(room, 'Ada');
  expect(await hasHook(student)).toBe(true);
});
