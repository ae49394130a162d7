/**
 * Browser tests: Debian's Chromium driving the built app (dist/) served by our own signaling
 * server on 127.0.0.1. Run inside a loopback-only network namespace (see README / .ci/run).
 *
 * Facts this config rests on (measured: shared/verified-setup.md, the team's notes):
 * - Chromium gathers no ICE candidates in a loopback-only namespace unless the context has the
 *   'microphone' permission AND `--allow-loopback-in-peer-connection` is passed; without them
 *   the mesh silently never forms.
 * - Tabs of one test share one browser context (the default `context` fixture): a context per
 *   tab costs ~2.4× the memory and made round trips much slower on 2 cores.
 * - One worker: a room test opens up to 7 tabs and 2 cores are the limit.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from './support/chromium.ts';
import { E2E_BASE_URL } from './support/env.ts';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env['CI']),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  globalSetup: './support/global-setup.ts',
  outputDir: '../../test-results',
  use: {
    baseURL: E2E_BASE_URL,
    browserName: 'chromium',
    headless: true,
    permissions: [...CONTEXT_PERMISSIONS],
    // Off: recording 6 tabs per test costs more CPU than 2 cores spare; use --trace on to debug.
    trace: 'off',
    launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] },
  },
});
