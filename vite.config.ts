import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';
import { signalingPlugin } from './signaling/vite-plugin.ts';

const projectRoot = fileURLToPath(new URL('.', import.meta.url));

// The app's entry (index.html) lives in src/ so the top level stays the project's own;
// `static/` is Vite's public dir and `dist/` is what the signaling server serves.
export default defineConfig({
  root: `${projectRoot}src`,
  publicDir: `${projectRoot}static`,
  // signalingPlugin: `npm run dev` carries the same PeerServer + roster as `npm start`.
  plugins: [svelte({ configFile: `${projectRoot}svelte.config.js` }), signalingPlugin()],
  build: {
    outDir: `${projectRoot}dist`,
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        main: `${projectRoot}src/index.html`,
        // A bare page exposing one PeerJS transport: the transport contract suite drives it.
        harness: `${projectRoot}src/harness.html`,
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173 },
  test: {
    root: projectRoot,
    // Playwright's *.spec.ts files live in tests/e2e and are not Vitest's.
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
