import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

const projectRoot = fileURLToPath(new URL('.', import.meta.url));

// The app's entry (index.html) lives in src/ so the top level stays the project's own;
// `static/` is Vite's public dir and `dist/` is what the signaling server serves.
export default defineConfig({
  root: `${projectRoot}src`,
  publicDir: `${projectRoot}static`,
  plugins: [svelte({ configFile: `${projectRoot}svelte.config.js` })],
  build: { outDir: `${projectRoot}dist`, emptyOutDir: true, target: 'es2022' },
  server: { host: '127.0.0.1', port: 5173 },
  test: {
    root: projectRoot,
    // Playwright's *.spec.ts files live in tests/e2e and are not Vitest's.
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
