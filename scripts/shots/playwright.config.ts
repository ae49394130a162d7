/**
 * Screenshots for a person to look at, not a test: the e2e suite's browser, server and fixtures,
 * with this folder as the only test directory, so `npm test` never runs it. Run it as the e2e
 * specs are run (a loopback-only namespace, an E2E_PORT of your own):
 *   npx playwright test -c scripts/shots/playwright.config.ts
 * SHOTS_DIR says where the PNGs go (default: test-results/shots).
 */
import { defineConfig } from '@playwright/test';
import base from '../../tests/e2e/playwright.config.ts';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '*.shots.ts',
  projects: undefined,
  workers: 1,
  globalSetup: '../../tests/e2e/support/global-setup.ts',
  outputDir: '../../test-results/shots-run',
});
