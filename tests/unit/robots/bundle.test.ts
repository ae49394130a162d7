/**
 * The robots' bundles (src/robots/bundle.ts): a bundle older than any of its sources is rebuilt,
 * never run; a split fleet's workers get this process's Node options without tsx's loader.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { isFresh, robotBundle, withoutTsx } from '../../../src/robots/bundle.ts';

describe('robots bundle: freshness', () => {
  const manifest = { builtAt: 1_000, inputs: ['src/a.ts', 'src/b.ts'] };

  it('is fresh when every input is older than the build', () => {
    expect(isFresh(manifest, () => 999)).toBe(true);
  });

  it('is stale when one input changed at or after the build started', () => {
    expect(isFresh(manifest, (path) => (path === 'src/b.ts' ? 1_000 : 10))).toBe(false);
    expect(isFresh(manifest, (path) => (path === 'src/a.ts' ? 5_000 : 10))).toBe(false);
  });

  it('is stale when an input is gone, or when it lists none', () => {
    expect(isFresh(manifest, (path) => (path === 'src/a.ts' ? undefined : 10))).toBe(false);
    expect(isFresh({ builtAt: 1_000, inputs: [] }, () => 10)).toBe(false);
  });
});

describe('robots bundle: worker options', () => {
  it('drops tsx as tsx starts a script, and as the tests start the CLI', () => {
    const tsxCli = ['--require', '/srv/app/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///srv/app/node_modules/tsx/dist/loader.mjs'];
    expect(withoutTsx(tsxCli)).toEqual([]);
    expect(withoutTsx(['--import', 'tsx'])).toEqual([]);
    expect(withoutTsx(['--import=tsx', '-r', 'C:\\p\\tsx\\dist\\preflight.cjs'])).toEqual([]);
  });

  it('keeps every other option, including other loaders', () => {
    const options = ['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--import', './my-hook.mjs', '--max-old-space-size=512', '--import=tsxish'];
    expect(withoutTsx([...options, '--import', 'tsx'])).toEqual(options);
  });

  // PeerJS reads the WebRTC globals when it is evaluated; node-webrtc.ts installs them when it is.
  // An external package's static import runs before any of the bundle's own code, so a static
  // `import … from "peerjs"` in the bundle is a PeerJS without WebRTC: no robot opens a link.
  it('loads PeerJS only after the WebRTC globals: the bundle has no static import of peerjs', async () => {
    const text = readFileSync(await robotBundle(), 'utf8');
    expect(text).not.toMatch(/^import\b[^;]*\bfrom\s*["']peerjs["']/m);
    expect(text).toMatch(/import\(["']peerjs["']\)/);
  }, 60_000);
});
