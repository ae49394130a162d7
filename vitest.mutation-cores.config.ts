import { defineConfig } from 'vitest/config';

/**
 * The Vitest run of `stryker.cores.config.json`: mutation testing of the two log cores
 * (src/core/raft.ts, src/core/multipaxos.ts) by their UNIT tests only, in plain Node: raft.ts
 * took 15 min on the loaded shared 2 cores. What these tests leave alive is what no unit test
 * pins; the simulator's share of killing is `npm run test:safety-mutants`.
 *
 * Left out on purpose: the schedule files (tests/unit/sim/schedules.test.ts and its Multi-Paxos
 * twin). Each is a bounded run (~1 s), but a mutant that survives reruns every one that covers
 * it: measured on the loaded 2 cores, raft.ts alone (621 mutants) was heading for ~2 hours.
 */
export default defineConfig({
  test: {
    include: [
      'tests/unit/machines/raft-core.test.ts',
      'tests/unit/machines/raft-snapshot.test.ts',
      'tests/unit/machines/raft-catch-up.test.ts',
      'tests/unit/machines/multipaxos-core.test.ts',
      'tests/unit/machines/multipaxos-snapshot.test.ts',
      'tests/unit/machines/log-cores-safety.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
  },
});
