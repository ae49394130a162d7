/**
 * `tsx scripts/check-budgets.ts [distDir]` (run by `npm test` after the build): what each page of
 * the production build (dist/) makes a browser download, against the budgets in src/limits.ts.
 *
 * For each page it follows the chunk graph the build wrote (scripts/vite-delivery.ts):
 * - before first paint: the entry chunk, the page's own chunk (App imports it as soon as the
 *   route is known) and everything those import statically (the browser fetches those before it
 *   runs them); this is what the budget limits, in gzip bytes as the server sends them;
 * - total: that plus everything the page can load later by dynamic import (lazy parts).
 * It also checks where the heavy dependencies may appear: PeerJS only on the pages that use
 * WebRTC, the QR encoder only on the teacher's dashboard, the simulator only in solo mode.
 *
 * Prints one table and exits 1 on any breach, naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PAGE_JS_BUDGET_GZIP_BYTES, type BudgetedPage } from '../src/limits.ts';
import { CHUNK_GRAPH_FILE, compressBoth, type ChunkGraph, type ChunkInfo } from './vite-delivery.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** The module each page's chunk is built from (App.svelte imports these). */
const PAGE_MODULES: Readonly<Record<BudgetedPage, string>> = {
  landing: 'src/ui/pages/Landing.svelte',
  student: 'src/ui/pages/StudentPage.svelte',
  host: 'src/ui/pages/HostPage.svelte',
  solo: 'src/ui/pages/SoloPage.svelte',
};

/** Dependencies that may only appear on some pages, by the module-id prefix that identifies them. */
const PLACEMENT: readonly {
  readonly what: string;
  readonly prefix: string;
  readonly allowed: readonly BudgetedPage[];
  /** Modules under the prefix that are not the thing itself, with the pages that may load them. */
  readonly except?: Readonly<Record<string, readonly BudgetedPage[]>>;
}[] = [
  { what: 'PeerJS (WebRTC)', prefix: 'node_modules/peerjs/', allowed: ['student', 'host'] },
  { what: 'the QR encoder', prefix: 'node_modules/qrcode/', allowed: ['host'] },
  {
    what: 'the simulator',
    prefix: 'src/sim/',
    allowed: ['solo'],
    // The log checkers are pure functions over facts (and their trace types): the projector runs
    // them over what the order book's reports carry (issue 7), lazily, with the board. The board's
    // chunk is reachable from the classroom section students share, though only the host renders it.
    except: { 'src/sim/log-checker.ts': ['solo', 'host', 'student'], 'src/sim/trace.ts': ['solo', 'host', 'student'] },
  },
];

/** Parts of PeerJS we never run (we send JSON text in 'raw' mode): reported when bundled. */
const UNUSED_SERIALIZERS: readonly string[] = ['node_modules/peerjs-js-binarypack/', 'node_modules/@msgpack/msgpack/'];

export interface PageLoad {
  readonly page: BudgetedPage;
  readonly firstPaint: ReadonlySet<string>;
  readonly total: ReadonlySet<string>;
}

function staticClosure(byFile: ReadonlyMap<string, ChunkInfo>, roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...(byFile.get(file)?.imports ?? []));
  }
  return seen;
}

/** Everything reachable from `roots`, static or dynamic, except the `skip` chunks (the other pages). */
function fullClosure(byFile: ReadonlyMap<string, ChunkInfo>, roots: readonly string[], skip: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>(skip);
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const chunk = byFile.get(file);
    stack.push(...(chunk?.imports ?? []), ...(chunk?.dynamicImports ?? []));
  }
  for (const file of skip) seen.delete(file);
  return seen;
}

export function pageLoads(graph: ChunkGraph): PageLoad[] {
  const byFile = new Map(graph.chunks.map((c) => [c.file, c] as const));
  const entries = graph.chunks.filter((c) => c.isEntry && c.facade === 'src/index.html');
  if (entries.length !== 1) throw new Error(`expected one entry chunk for src/index.html, found ${entries.length}`);
  const entry = entries[0]!;
  const entryStatic = staticClosure(byFile, [entry.file]);
  const pages = (Object.keys(PAGE_MODULES) as BudgetedPage[]).map((page) => {
    const chunk = graph.chunks.find((c) => c.isDynamicEntry && c.facade === PAGE_MODULES[page]);
    if (chunk === undefined) throw new Error(`no chunk of its own for the ${page} page (${PAGE_MODULES[page]}): is it still imported dynamically?`);
    return { page, chunk };
  });
  const pageFiles = new Set(pages.map((p) => p.chunk.file));
  return pages.map(({ page, chunk }) => {
    const firstPaint = new Set([...entryStatic, ...staticClosure(byFile, [chunk.file])]);
    // The entry's dynamic imports are the other pages: only the page's own lazy parts count.
    const others = new Set([...pageFiles].filter((file) => file !== chunk.file));
    const total = new Set([...firstPaint, ...fullClosure(byFile, [chunk.file], others)]);
    return { page, firstPaint, total };
  });
}

function modulesOf(graph: ChunkGraph, files: ReadonlySet<string>): string[] {
  return graph.chunks.filter((c) => files.has(c.file)).flatMap((c) => c.modules);
}

function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} kB`;
}

function main(): void {
  const distDir = path.resolve(process.argv[2] ?? path.join(projectRoot, 'dist'));
  const graphFile = path.join(distDir, CHUNK_GRAPH_FILE);
  if (!existsSync(graphFile)) {
    console.error(`check-budgets: no ${CHUNK_GRAPH_FILE} in ${distDir}: run \`npm run build\` first`);
    process.exit(1);
  }
  const graph = JSON.parse(readFileSync(graphFile, 'utf8')) as ChunkGraph;
  const sizes = new Map<string, { raw: number; gzip: number; brotli: number }>();
  const sizeOf = (file: string) => {
    let size = sizes.get(file);
    if (size === undefined) {
      const bytes = readFileSync(path.join(distDir, file));
      const { brotli } = compressBoth(bytes);
      size = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, brotli: brotli.length };
      sizes.set(file, size);
    }
    return size;
  };
  const sum = (files: ReadonlySet<string>, key: 'raw' | 'gzip' | 'brotli') => [...files].reduce((n, f) => n + sizeOf(f)[key], 0);

  const failures: string[] = [];
  const rows: string[][] = [];
  for (const load of pageLoads(graph)) {
    const limit = PAGE_JS_BUDGET_GZIP_BYTES[load.page];
    const gzip = sum(load.firstPaint, 'gzip');
    const ok = gzip <= limit;
    if (!ok) failures.push(`${load.page}: ${kb(gzip)} gzip of JS before first paint, over its ${kb(limit)} budget`);
    rows.push([
      load.page,
      String(load.firstPaint.size),
      kb(sum(load.firstPaint, 'raw')),
      kb(gzip),
      kb(sum(load.firstPaint, 'brotli')),
      kb(limit),
      ok ? 'ok' : 'OVER',
      kb(sum(load.total, 'gzip')),
    ]);
    const modules = modulesOf(graph, load.total);
    for (const rule of PLACEMENT) {
      const excepted = (m: string): boolean => rule.except?.[m]?.includes(load.page) ?? false;
      if (!rule.allowed.includes(load.page) && modules.some((m) => m.startsWith(rule.prefix) && !excepted(m))) {
        failures.push(`${load.page}: bundles ${rule.what} (${rule.prefix}), which only ${rule.allowed.join(', ')} may load`);
      }
    }
    const unused = UNUSED_SERIALIZERS.filter((prefix) => modules.some((m) => m.startsWith(prefix)));
    if (unused.length > 0) failures.push(`${load.page}: bundles PeerJS serializers we never use (${unused.join(', ')})`);
  }

  const header = ['page', 'chunks', 'raw', 'gzip', 'brotli', 'budget (gzip)', '', 'gzip incl. lazy'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('JS each page loads before its first paint (production build):');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (failures.length > 0) {
    console.error(`\ncheck-budgets: ${failures.length} problem(s):\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    process.exit(1);
  }
}

// Run as a script (npm test); imported by the unit test for pageLoads only.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
