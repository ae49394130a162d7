import { defineConfig } from 'vitest/config';

/**
 * The Vitest run StrykerJS uses (`npm run test:mutation`): only the fast tests that exercise
 * src/core and src/machines, in plain Node, without the Svelte and signaling plugins of
 * vite.config.ts (no mutant lives in them, and they cost start-up time per worker).
 *
 * Left out on purpose: every test under tests/unit/sim (seed searches and swarm sweeps). Stryker
 * reruns each test that covers a mutant, and a mutant that stops a simulated cluster from deciding
 * makes a seed search run to its step limit: measured on the shared 2 cores, those tests turned a
 * run into ~7 hours of timeouts. The simulator's share of mutant killing is measured separately,
 * mutant by mutant, by `npm run test:safety-mutants` (tests/mutation/).
 */
export default defineConfig({
  test: {
    include: [
      'tests/unit/quorum.test.ts',
      'tests/unit/core-rules.test.ts',
      'tests/unit/core/write-once.test.ts',
      'tests/unit/core/order-book.test.ts',
      'tests/unit/machines/**/*.test.ts',
    ],
    environment: 'node',
    // The shared 2 cores are often busy: a 25-node cluster test took over 5 s (Vitest's default) there.
    testTimeout: 60_000,
  },
});
