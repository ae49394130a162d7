/**
 * Browser tests: Debian's Chromium driving the built app (dist/) served by our own signaling
 * server on 127.0.0.1. Run inside a loopback-only network namespace (see README / .ci/run).
 *
 * Facts this config rests on (measured, /work/shared/verified-setup.md):
 * - Chromium gathers no ICE candidates in a loopback-only namespace unless the context has the
 *   'microphone' permission AND `--allow-loopback-in-peer-connection` is passed; without them
 *   the mesh silently never forms.
 * - Tabs of one test share one browser context (the default `context` fixture): a context per
 *   tab costs ~2.4× the memory and made round trips much slower on 2 cores.
 * - One worker: a room test opens up to 7 tabs and 2 cores are the limit.
 */
import { defineConfig } from '@playwright/test';
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
    permissions: ['microphone'],
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--allow-loopback-in-peer-connection',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
