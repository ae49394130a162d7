/**
 * The robots run as plain JavaScript, compiled once, not as TypeScript compiled module by module
 * at every start. `npm run robots` (and the tests' and benchmarks' robots) start the CLI from
 * its TypeScript source under tsx; that process then runs the robots in worker processes (one
 * per ROBOTS_PER_PROCESS robots, at least one) started with plain Node on a bundle of the CLI
 * that esbuild (the compiler tsx itself runs on) writes to dist-robots/cli.mjs. Dependencies stay
 * outside the bundle (node-datachannel is native; all resolve from the project's node_modules).
 *
 * Why: measured here (load ~12), loading the fleet's ~300 modules through tsx cost each robot
 * process 1.4 CPU-seconds (1.6–4.4 s of wall time), every module going through tsx's resolve and
 * load hooks even with its compile cache warm; the same code as one bundle loads in 0.4 CPU-s. A
 * 40-node room's robots start as three processes on a machine that is meanwhile opening the
 * browser tabs, so that start was on the mesh's critical path.
 *
 * The bundle is rebuilt when any file it was built from changed since (esbuild's list of inputs
 * is kept beside it), so an edited source never runs as a stale bundle. Each file is written
 * under a temporary name and renamed, so a CLI starting at the same time never reads a
 * half-written one.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root (this file is src/robots/bundle.ts; only ever used from the sources, see runningFromSource). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the bundles go: beside dist/ and dist-test/, ignored by git like them. */
const ROBOTS_BUNDLE_DIR = join(ROOT, 'dist-robots');
const ENTRY = 'src/robots/cli.ts';
const MANIFEST = 'inputs.json';

interface Manifest {
  /** Date.now() when the build started: an input changed after it makes the bundles stale. */
  readonly builtAt: number;
  /** Every source file in the bundles, relative to ROOT. */
  readonly inputs: readonly string[];
}

const BUNDLE = join(ROBOTS_BUNDLE_DIR, 'cli.mjs');

/** True when this module runs from the TypeScript sources (under tsx), false inside a bundle. */
export function runningFromSource(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.ts');
}

/** Whether the bundles of `manifest` are still what the sources would give (every input unchanged since the build). */
export function isFresh(manifest: Manifest, mtimeOf: (path: string) => number | undefined): boolean {
  if (manifest.inputs.length === 0) return false;
  return manifest.inputs.every((input) => {
    const mtime = mtimeOf(input);
    return mtime !== undefined && mtime < manifest.builtAt;
  });
}

function readManifest(): Manifest | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(ROBOTS_BUNDLE_DIR, MANIFEST), 'utf8')) as Partial<Manifest>;
    if (typeof raw.builtAt !== 'number' || !Array.isArray(raw.inputs) || !raw.inputs.every((i) => typeof i === 'string')) return undefined;
    return { builtAt: raw.builtAt, inputs: raw.inputs };
  } catch {
    return undefined;
  }
}

function mtimeOf(input: string): number | undefined {
  try {
    return statSync(join(ROOT, input)).mtimeMs;
  } catch {
    return undefined;
  }
}


/** Writes `text` to `path` whole: a reader sees the old file or the new one, never part of one. */
function writeWhole(path: string, text: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** esbuild, as tsx (a dependency of ours) resolves it: the very compiler our TypeScript already runs through. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; contents: Uint8Array }[]; metafile: { inputs: Record<string, unknown> } }>;
}
function loadEsbuild(): Esbuild {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('tsx'))('esbuild') as Esbuild;
}

/** The path of the robots' bundle (the CLI as one file), (re)built first when missing or older than a source it contains. */
export async function robotBundle(): Promise<string> {
  const manifest = readManifest();
  if (manifest !== undefined && mtimeOf(relative(ROOT, BUNDLE)) !== undefined && isFresh(manifest, mtimeOf)) return BUNDLE;
  const builtAt = Date.now();
  const result = await loadEsbuild().build({
    absWorkingDir: ROOT,
    entryPoints: { cli: ENTRY },
    outdir: ROBOTS_BUNDLE_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(ROBOTS_BUNDLE_DIR, { recursive: true });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeWhole(file.path, file.contents);
  }
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
  writeWhole(join(ROBOTS_BUNDLE_DIR, MANIFEST), JSON.stringify({ builtAt, inputs } satisfies Manifest));
  return BUNDLE;
}

/**
 * This process's Node options without tsx's loader (`--import …tsx…`, `--require …tsx…`): a
 * worker runs the bundle, plain JavaScript. Others (--cpu-prof, --inspect…) are passed on.
 */
const LOADER_FLAGS: ReadonlySet<string> = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);
/** A loader argument that is tsx: the package name or a path through its folder. */
const TSX = /(^|[/\\])tsx([/\\]|$)/;

export function withoutTsx(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const equals = arg.indexOf('=');
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const value = equals === -1 ? execArgv[i + 1] : arg.slice(equals + 1);
    if (LOADER_FLAGS.has(flag) && value !== undefined && TSX.test(value)) {
      if (equals === -1) i++;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}
