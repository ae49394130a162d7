/** What scripts/check-budgets.ts counts as a page's first-paint JS, on a small chunk graph. */
import { describe, expect, it } from 'vitest';
import { pageLoads } from '../../../scripts/check-budgets.ts';
import type { ChunkGraph, ChunkInfo } from '../../../scripts/vite-delivery.ts';

function chunk(file: string, fields: Partial<ChunkInfo> = {}): ChunkInfo {
  return { file, isEntry: false, isDynamicEntry: false, facade: undefined, imports: [], dynamicImports: [], modules: [], ...fields };
}

const PAGES = ['Landing', 'StudentPage', 'HostPage', 'SoloPage'];
const graph: ChunkGraph = {
  chunks: [
    chunk('main.js', { isEntry: true, facade: 'src/index.html', imports: ['runtime.js'], dynamicImports: PAGES.map((p) => `${p}.js`) }),
    chunk('runtime.js'),
    chunk('room.js', { imports: ['runtime.js', 'main.js'], dynamicImports: ['peerjs.js'] }),
    chunk('peerjs.js', { modules: ['node_modules/peerjs/dist/bundler.mjs'] }),
    chunk('qr.js'),
    ...PAGES.map((p) =>
      chunk(`${p}.js`, {
        isDynamicEntry: true,
        facade: `src/ui/pages/${p}.svelte`,
        imports: p === 'StudentPage' || p === 'HostPage' ? ['main.js', 'room.js', ...(p === 'HostPage' ? ['qr.js'] : [])] : ['main.js'],
      }),
    ),
  ],
};

describe('page loads', () => {
  const loads = new Map(pageLoads(graph).map((load) => [load.page, load]));

  it('first paint is the entry, the page and their static imports; lazy parts come after', () => {
    expect([...loads.get('student')!.firstPaint].sort()).toEqual(['StudentPage.js', 'main.js', 'room.js', 'runtime.js']);
    expect([...loads.get('student')!.total].sort()).toEqual(['StudentPage.js', 'main.js', 'peerjs.js', 'room.js', 'runtime.js']);
    expect([...loads.get('host')!.firstPaint]).toContain('qr.js');
  });

  it('never counts the other pages the entry could load', () => {
    expect([...loads.get('landing')!.total].sort()).toEqual(['Landing.js', 'main.js', 'runtime.js']);
    expect(loads.get('student')!.total.has('HostPage.js')).toBe(false);
  });

  it('fails loudly when a page is no longer a chunk of its own', () => {
    const merged: ChunkGraph = { chunks: graph.chunks.filter((c) => c.facade !== 'src/ui/pages/SoloPage.svelte') };
    expect(() => pageLoads(merged)).toThrow(/solo page/);
  });
});
