/**
 * The robots' bundles (src/robots/bundle.ts): a bundle older than any of its sources is rebuilt,
 * never run; a split fleet's workers get this process's Node options without tsx's loader.
 */
import { describe, expect, it } from 'vitest';
import { isFresh, withoutTsx } from '../../../src/robots/bundle.ts';

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
    const tsxCli = ['--require', '/work/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///work/node_modules/tsx/dist/loader.mjs'];
    expect(withoutTsx(tsxCli)).toEqual([]);
    expect(withoutTsx(['--import', 'tsx'])).toEqual([]);
    expect(withoutTsx(['--import=tsx', '-r', 'C:\\p\\tsx\\dist\\preflight.cjs'])).toEqual([]);
  });

  it('keeps every other option, including other loaders', () => {
    const options = ['--cpu-prof', '--cpu-prof-dir=/tmp/p', '--import', './my-hook.mjs', '--max-old-space-size=512', '--import=tsxish'];
    expect(withoutTsx([...options, '--import', 'tsx'])).toEqual(options);
  });
});
