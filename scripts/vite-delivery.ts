/**
 * Build-time delivery plugins (vite.config.ts uses both):
 *
 * - `chunkGraph()` writes `.vite/chunks.json` into the output: every JS chunk with its static and
 *   dynamic imports and the modules inside it. scripts/check-budgets.ts reads it to know what
 *   each page loads before its first paint, and what it can never load (PeerJS on the landing
 *   page, the QR encoder outside the dashboard, the simulator outside solo mode).
 * - `precompress()` writes a `.gz` and a `.br` beside every text asset once the bundle is on disk,
 *   so the server (signaling/static.ts) sends compressed bytes without compressing per request.
 *
 * The server never serves `.vite/` (it refuses dot-segments), so the graph stays a build artefact.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';
import { PRECOMPRESS_MIN_BYTES } from '../src/limits.ts';

/** Where the chunk graph is written inside the output directory. */
export const CHUNK_GRAPH_FILE = '.vite/chunks.json';

export interface ChunkInfo {
  readonly file: string;
  readonly isEntry: boolean;
  readonly isDynamicEntry: boolean;
  /** The module the chunk was made for (a page component, the entry), relative to the project. */
  readonly facade: string | undefined;
  readonly imports: readonly string[];
  readonly dynamicImports: readonly string[];
  /** Project-relative module ids; `node_modules/<package>/…` for dependencies. */
  readonly modules: readonly string[];
}

export interface ChunkGraph {
  readonly chunks: readonly ChunkInfo[];
}

function relativeId(projectRoot: string, id: string): string {
  const clean = id.replace(/^\0/, '').split('?')[0] ?? id;
  const relative = path.relative(projectRoot, clean);
  return relative.startsWith('..') || path.isAbsolute(relative) ? clean : relative.split(path.sep).join('/');
}

export function chunkGraph(projectRoot: string): Plugin {
  return {
    name: 'consensus-playground:chunk-graph',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks: ChunkInfo[] = [];
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        chunks.push({
          file: output.fileName,
          isEntry: output.isEntry,
          isDynamicEntry: output.isDynamicEntry,
          facade: output.facadeModuleId ? relativeId(projectRoot, output.facadeModuleId) : undefined,
          imports: output.imports,
          dynamicImports: output.dynamicImports,
          modules: output.moduleIds.map((id) => relativeId(projectRoot, id)).sort(),
        });
      }
      chunks.sort((a, b) => (a.file < b.file ? -1 : 1));
      const graph: ChunkGraph = { chunks };
      this.emitFile({ type: 'asset', fileName: CHUNK_GRAPH_FILE, source: `${JSON.stringify(graph, null, 2)}\n` });
    },
  };
}

/** What browsers get compressed: text. Images other than SVG and fonts are compressed already. */
export const COMPRESSIBLE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.svg',
  '.txt',
  '.webmanifest',
  '.map',
]);

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // .vite/: build artefacts, never served
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}

/** Gzip (level 9) and brotli (quality 11, text mode) of `bytes`: build time, so the slowest settings. */
export function compressBoth(bytes: Buffer): { gzip: Buffer; brotli: Buffer } {
  return {
    gzip: gzipSync(bytes, { level: 9 }),
    brotli: brotliCompressSync(bytes, {
      params: {
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
        [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  };
}

/** Writes `file.gz` and `file.br` for every compressible file of `outDir` where that saves bytes. */
export async function precompressDir(outDir: string): Promise<number> {
  let written = 0;
  for (const file of await filesUnder(outDir)) {
    if (!COMPRESSIBLE_EXTENSIONS.has(path.extname(file).toLowerCase())) continue;
    const bytes = await fs.readFile(file);
    if (bytes.length < PRECOMPRESS_MIN_BYTES) continue;
    const { gzip, brotli } = compressBoth(bytes);
    // A variant that is not smaller is not written: the server then sends the file as is.
    if (gzip.length < bytes.length) {
      await fs.writeFile(`${file}.gz`, gzip);
      written++;
    }
    if (brotli.length < bytes.length) {
      await fs.writeFile(`${file}.br`, brotli);
      written++;
    }
  }
  return written;
}

export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'consensus-playground:precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      await precompressDir(outDir);
    },
  };
}
