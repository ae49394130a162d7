/**
 * The named safety mutants (tests/mutation/safety-mutants.ts) must keep applying to today's
 * sources: when a core is rewritten, this fails with "anchor not found: <mutant>" in `npm test`,
 * instead of `npm run test:safety-mutants` discovering it later (or a stale mutant passing silently).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnchorError, applyEdit, mutatedFiles } from '../../mutation/apply-mutant.ts';
import { CHECKER_TEST, SAFETY_MUTANTS } from '../../mutation/safety-mutants.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string): string => readFileSync(`${root}${file}`, 'utf8');

describe('safety mutants', () => {
  it.each(SAFETY_MUTANTS.map((m) => [m.name, m] as const))('%s applies to today’s source and names existing tests', (_name, mutant) => {
    const files = mutatedFiles(mutant, read);
    for (const [file, text] of files) expect(text, file).not.toBe(read(file));
    for (const test of [...mutant.tests, ...(mutant.checker === true ? [CHECKER_TEST] : [])]) expect(existsSync(`${root}${test}`), test).toBe(true);
  });

  it('names are unique, and the list covers the issue’s fourteen', () => {
    const names = SAFETY_MUTANTS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it('a missing or repeated anchor is an error that names the mutant, never a silent skip', () => {
    const source = 'export function f() {\n  return a + 1;\n}\nexport function g() {\n  return a + 1;\n}\n';
    const edit = { file: 'x.ts', scope: 'export function f(', find: 'return a + 1;', replace: 'return a;' };
    // Whitespace-insensitive, and only inside f: g's identical line is untouched.
    expect(applyEdit(source, { ...edit, find: 'return   a +\n 1;' }, 'm')).toBe(source.replace('return a + 1;', 'return a;'));
    expect(() => applyEdit(source, { ...edit, find: 'return b;' }, 'gone')).toThrow(new AnchorError('anchor not found: gone ("return b;" in export function f(… of x.ts)'));
    expect(() => applyEdit(source, { ...edit, scope: 'export function h(' }, 'gone')).toThrow(/anchor not found: gone/);
    expect(() => applyEdit(source, { ...edit, scope: 'export function' }, 'two')).toThrow(/anchor ambiguous: two/);
  });
});
