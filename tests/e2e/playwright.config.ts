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
 * - Two workers: measured, a room test keeps ~0.9 of CI's 2 cores busy (its tabs mostly wait on
 *   timers, the network and each other), so two tests side by side fill both. Tests whose
 *   assertions time the CPU itself (the dashboard's 200 ms answer under a flood, the explorer's
 *   valence within 2 s, the dashboard within 1 s of the last of 40 nodes), and the projector's
 *   axe scans (seconds of CPU each; under a load average of ~30 they timed out beside another
 *   test) run afterwards, one at a time, with nothing beside them: the `alone` project, which
 *   depends on `shared` (so when a `shared` test fails, Playwright skips `alone` and says so:
 *   the run is red either way).
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH, CONTEXT_PERMISSIONS } from './support/chromium.ts';
import { E2E_BASE_URL } from './support/env.ts';

/** Spec files with assertions on CPU time, or CPU-heavy scans: they run alone, after the others (see above). */
const ALONE = ['classroom.spec.ts', 'explorer.spec.ts', 'projector.spec.ts', 'robots.spec.ts'];

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  workers: 2,
  fullyParallel: false,
  projects: [
    { name: 'shared', testIgnore: ALONE.map((file) => `**/${file}`) },
    { name: 'alone', testMatch: ALONE.map((file) => `**/${file}`), dependencies: ['shared'], workers: 1 },
  ],
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
