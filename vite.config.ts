import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { chunkGraph, precompress } from './scripts/vite-delivery.ts';
import { signalingPlugin } from './signaling/vite-plugin.ts';

const projectRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * Two builds from one config:
 * - `vite build` (production, `npm start` serves it): dist/, the app only. No test hook, no
 *   test page: what a student's browser gets carries nothing a console could script the room with.
 * - `vite build --mode e2e` (`npm run build` makes both): dist-test/, the same app with the
 *   window test hook compiled in (`__TEST_HOOKS__`), plus harness.html, the transport contract
 *   page. Only the test and benchmark servers serve it (tests/e2e/support/server.ts).
 */
const E2E_MODE = 'e2e';

// The app's entry (index.html) lives in src/ so the top level stays the project's own;
// `static/` is Vite's public dir.
/** 2,000 seeds each of Raft and Multi-Paxos over two threads of its own (see `projects` below). */
const LOG_SWARM_CI = 'tests/unit/sim/log-swarm-ci.test.ts';

export default defineConfig(({ mode }) => {
  const testBuild = mode === E2E_MODE;
  return {
    root: `${projectRoot}src`,
    publicDir: `${projectRoot}static`,
    define: { __TEST_HOOKS__: JSON.stringify(testBuild) },
    resolve: {
      // PeerJS's binary serializer: we only open 'raw' connections (see src/transport/no-binarypack.ts).
      alias: [{ find: /^peerjs-js-binarypack$/, replacement: `${projectRoot}src/transport/no-binarypack.ts` }],
    },
    // signalingPlugin: `npm run dev` carries the same PeerServer + roster as `npm start`.
    plugins: [
      svelte({ configFile: `${projectRoot}svelte.config.js` }),
      signalingPlugin(),
      chunkGraph(projectRoot),
      precompress(),
    ],
    build: {
      outDir: `${projectRoot}${testBuild ? 'dist-test' : 'dist'}`,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: {
        input: {
          main: `${projectRoot}src/index.html`,
          // A bare page exposing one PeerJS transport: the transport contract suite drives it.
          ...(testBuild ? { harness: `${projectRoot}src/harness.html` } : {}),
        },
        output: {
          // The bundler names a shared chunk after one of its modules; the one every room page
          // shares (transport, classroom) would otherwise be named after test-hook.ts, whose
          // body is not even in the production build.
          chunkFileNames: (chunk) =>
            chunk.moduleIds.some((id) => id.endsWith('/src/ui/session.ts')) ? 'assets/room-[hash].js' : 'assets/[name]-[hash].js',
          // …and so would its stylesheet.
          assetFileNames: (asset) => (asset.names.includes('test-hook.css') ? 'assets/room-[hash][extname]' : 'assets/[name]-[hash][extname]'),
        },
      },
    },
    server: { host: '127.0.0.1', port: 5173 },
    test: {
      root: projectRoot,
      environment: 'node',
      // Seed searches take a second or two on 2 idle cores; Vitest's 5 s default failed them on
      // a machine under load. A hang still fails, 20 s later.
      testTimeout: 20_000,
      // Vitest's default for `run` is one worker fewer than the cores: ONE on CI's 2 cores, which
      // left a core idle for all but the log swarm (whose own threads use both). Every file is
      // CPU-bound, so the unit files use every core; the CI log swarm, which runs its own two
      // threads, comes after them on its own (measured: beside another swarm file, on a machine at
      // a load average of ~30, both overran their timeouts).
      projects: [
        {
          extends: true,
          // Playwright's *.spec.ts files live in tests/e2e and are not Vitest's.
          test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], exclude: [LOG_SWARM_CI], sequence: { groupOrder: 0 }, maxWorkers: Math.max(2, availableParallelism() - 1) },
        },
        { extends: true, test: { name: 'log-swarm', include: [LOG_SWARM_CI], sequence: { groupOrder: 1 }, maxWorkers: 1 } },
      ],
    },
  };
});
