/**
 * `npm run test:safety-mutants [-- --only name,name]`: proves the suite kills every named safety
 * mutant of safety-mutants.ts.
 *
 * For each mutant: copy src/ and tests/ into a fresh temporary directory (node_modules linked),
 * apply the mutant's edits there, and run its unit tests with Vitest (bail at the first failure).
 * For `checker` mutants, run the simulator's PCT seed search (CHECKER_TEST) a second time, alone:
 * the property checker must find the violation without any unit test. The working tree is never
 * touched, so an interrupted run leaves nothing to restore.
 *
 * Before any mutant, every anchor is checked against today's sources ("anchor not found: <mutant>"
 * stops the run) and the same tests run once on an unmutated copy: a test that already fails
 * would "kill" every mutant and prove nothing.
 *
 * Prints a table (mutant, what killed it: test and seed, time) and exits 1 if any mutant survived.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { AnchorError, mutatedFiles } from './apply-mutant.ts';
import { CHECKER_TEST, SAFETY_MUTANTS, type SafetyMutant } from './safety-mutants.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vitestBin = join(root, 'node_modules', 'vitest', 'vitest.mjs');
/** Two at a time: the machine has 2 cores (and Vitest itself runs test files in parallel). */
const PARALLEL = 2;

/** The Vitest config of a mutant's copy: plain Node, no app plugins, patient on a busy machine. */
const COPY_CONFIG = `import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { environment: 'node', testTimeout: 120_000, include: ['tests/**/*.test.ts'] } });
`;

interface Outcome {
  readonly killed: boolean;
  /** The first failing test and the seed its message names, if any. */
  readonly by: string;
  readonly seconds: number;
}

interface VitestJson {
  readonly numFailedTests: number;
  readonly numTotalTests: number;
  readonly testResults: ReadonlyArray<{
    readonly name: string;
    readonly message?: string;
    readonly assertionResults: ReadonlyArray<{ readonly fullName: string; readonly status: string; readonly failureMessages: readonly string[] }>;
  }>;
}

async function makeCopy(label: string, files: ReadonlyMap<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `safety-mutant-${label}-`));
  await cp(join(root, 'src'), join(dir, 'src'), { recursive: true });
  await cp(join(root, 'tests'), join(dir, 'tests'), { recursive: true });
  await cp(join(root, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'vitest.config.ts'), COPY_CONFIG);
  for (const [file, text] of files) await writeFile(join(dir, file), text);
  return dir;
}

function runVitest(dir: string, tests: readonly string[]): Promise<{ json: VitestJson | undefined; output: string }> {
  const out = join(dir, 'vitest-result.json');
  const args = [vitestBin, 'run', '--root', dir, '--config', join(dir, 'vitest.config.ts'), '--reporter=json', `--outputFile=${out}`, '--bail=1', ...tests];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', async () => {
      try {
        resolve({ json: JSON.parse(await readFile(out, 'utf8')) as VitestJson, output });
      } catch {
        resolve({ json: undefined, output });
      }
    });
  });
}

/** Runs `tests` in `dir`; killed means some test failed (a crash with no result counts as killed only if it is not a setup error). */
async function attempt(dir: string, tests: readonly string[]): Promise<Outcome> {
  const started = performance.now();
  const { json, output } = await runVitest(dir, tests);
  const seconds = (performance.now() - started) / 1000;
  if (json === undefined) throw new Error(`Vitest produced no result in ${dir}:\n${output.slice(-2000)}`);
  if (json.numTotalTests === 0) throw new Error(`no test ran in ${dir} for ${tests.join(', ')}:\n${output.slice(-2000)}`);
  for (const file of json.testResults) {
    const failed = file.assertionResults.find((a) => a.status === 'failed');
    if (failed === undefined) continue;
    const message = failed.failureMessages.join('\n');
    const seed = /seed (\d+)/.exec(message)?.[1];
    // The assertion's first line says what broke (e.g. "Agreement violated (seed 1, …"): shown, cut short.
    const first = (message.split('\n')[0] ?? '').replace(/\s+/g, ' ').slice(0, 140);
    const name = `${relative(file.name, dir)} › ${failed.fullName}${seed === undefined ? '' : ` (seed ${seed})`}`;
    return { killed: true, by: `${name}: ${first}`, seconds };
  }
  // A file that fails to load (a patch that breaks the syntax) is a broken mutant, not a kill.
  // (Files skipped after --bail have no results and an empty message.)
  const broken = json.testResults.find((file) => file.assertionResults.length === 0 && (file.message ?? '') !== '');
  if (broken !== undefined) throw new Error(`${relative(broken.name, dir)} did not load: ${broken.message ?? ''}`);
  return { killed: false, by: '', seconds };
}

function relative(path: string, dir: string): string {
  return path.startsWith(dir) ? path.slice(dir.length + 1) : path;
}

interface Row {
  readonly mutant: string;
  readonly unit: Outcome;
  readonly checker?: Outcome | undefined;
}

async function runMutant(mutant: SafetyMutant): Promise<Row> {
  const files = mutatedFiles(mutant, (file) => readFileSync(join(root, file), 'utf8'));
  const dir = await makeCopy(mutant.name, files);
  try {
    const unit = await attempt(dir, mutant.tests);
    const checker = mutant.checker === true ? await attempt(dir, [CHECKER_TEST]) : undefined;
    return { mutant: mutant.name, unit, checker };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function selected(argv: readonly string[]): readonly SafetyMutant[] {
  const at = argv.indexOf('--only');
  if (at < 0) return SAFETY_MUTANTS;
  const names = (argv[at + 1] ?? '').split(',').filter((n) => n !== '');
  const unknown = names.filter((n) => !SAFETY_MUTANTS.some((m) => m.name === n));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only needs known mutant names; unknown: ${unknown.join(', ') || '(none given)'}. Known: ${SAFETY_MUTANTS.map((m) => m.name).join(', ')}`);
  }
  return SAFETY_MUTANTS.filter((m) => names.includes(m.name));
}

function cell(outcome: Outcome | undefined): string {
  if (outcome === undefined) return '—';
  return outcome.killed ? `killed by ${outcome.by} [${outcome.seconds.toFixed(1)} s]` : `SURVIVED [${outcome.seconds.toFixed(1)} s]`;
}

async function main(argv: readonly string[]): Promise<number> {
  const mutants = selected(argv);
  // Every anchor first: one stale anchor stops the run before minutes of testing.
  const stale: string[] = [];
  for (const mutant of mutants) {
    try {
      mutatedFiles(mutant, (file) => readFileSync(join(root, file), 'utf8'));
    } catch (error) {
      if (!(error instanceof AnchorError)) throw error;
      stale.push(error.message);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(`${stale.join('\n')}\nRe-anchor these mutants in tests/mutation/safety-mutants.ts.\n`);
    return 1;
  }

  const allTests = [...new Set([...mutants.flatMap((m) => m.tests), ...(mutants.some((m) => m.checker) ? [CHECKER_TEST] : [])])];
  process.stdout.write(`baseline: ${allTests.length} test files on an unmutated copy…\n`);
  const baselineDir = await makeCopy('baseline', new Map());
  try {
    const baseline = await attempt(baselineDir, allTests);
    if (baseline.killed) {
      process.stderr.write(`the unmutated code already fails: ${baseline.by}\n`);
      return 1;
    }
    process.stdout.write(`baseline passes (${baseline.seconds.toFixed(1)} s)\n`);
  } finally {
    await rm(baselineDir, { recursive: true, force: true });
  }

  const rows = await pool(mutants, PARALLEL, async (mutant) => {
    const row = await runMutant(mutant);
    process.stdout.write(`${row.mutant}: ${cell(row.unit)}${row.checker === undefined ? '' : `; checker: ${cell(row.checker)}`}\n`);
    return row;
  });

  const survived = rows.filter((r) => !r.unit.killed || r.checker?.killed === false);
  const lines = [
    '',
    '| mutant | unit tests | simulator checker (targeted schedules, PCT search) | time |',
    '|---|---|---|---|',
    ...rows.map((r) => {
      const seconds = r.unit.seconds + (r.checker?.seconds ?? 0);
      const strip = (o: Outcome | undefined) => cell(o).replace(/ \[[\d.]+ s\]$/, '');
      return `| ${r.mutant} | ${strip(r.unit)} | ${strip(r.checker)} | ${seconds.toFixed(1)} s |`;
    }),
    '',
    survived.length === 0
      ? `All ${rows.length} safety mutants killed.`
      : `${survived.length} of ${rows.length} safety mutants SURVIVED: ${survived.map((r) => r.mutant).join(', ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return survived.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
