/**
 * Applying a safety mutant's textual edits (see safety-mutants.ts): pure string work, shared by
 * the runner and by the unit test that checks every anchor still applies to today's sources.
 */
import type { MutantEdit, SafetyMutant } from './safety-mutants.ts';

export class AnchorError extends Error {
  override readonly name = 'AnchorError';
}

/** A regular expression matching `text` with every run of whitespace as "any whitespace". */
function looseRegex(text: string, flags: string): RegExp {
  const tokens = text.trim().split(/\s+/).map((token) => token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(tokens.join('\\s+'), flags);
}

/** Start and end of the top-level function opened by `scope`: up to the next line starting with `}`. */
function scopeRange(source: string, edit: MutantEdit, mutant: string): [number, number] {
  const opener = looseRegex(edit.scope, 'g');
  const starts = [...source.matchAll(opener)];
  if (starts.length === 0) throw new AnchorError(`anchor not found: ${mutant} (scope "${edit.scope}" in ${edit.file})`);
  if (starts.length > 1) throw new AnchorError(`anchor ambiguous: ${mutant} (scope "${edit.scope}" occurs ${starts.length} times in ${edit.file})`);
  const start = (starts[0] as RegExpMatchArray).index as number;
  const close = /\n\}/g;
  close.lastIndex = start;
  const end = close.exec(source);
  return [start, end === null ? source.length : end.index + 2];
}

/** `source` with one edit applied; throws AnchorError unless `find` occurs exactly once in its scope. */
export function applyEdit(source: string, edit: MutantEdit, mutant: string): string {
  const [start, end] = scopeRange(source, edit, mutant);
  const region = source.slice(start, end);
  const matches = [...region.matchAll(looseRegex(edit.find, 'g'))];
  const where = `in ${edit.scope.trim()}… of ${edit.file}`;
  if (matches.length === 0) throw new AnchorError(`anchor not found: ${mutant} ("${edit.find.split('\n')[0]}" ${where})`);
  if (matches.length > 1) throw new AnchorError(`anchor ambiguous: ${mutant} ("${edit.find.split('\n')[0]}" occurs ${matches.length} times ${where})`);
  const match = matches[0] as RegExpMatchArray;
  const at = start + (match.index as number);
  const patched = source.slice(0, at) + edit.replace + source.slice(at + match[0].length);
  if (patched === source) throw new AnchorError(`mutant ${mutant} changes nothing ${where}`);
  return patched;
}

/** `applyEdit` of the edit, or else of the first of its `otherwise` versions whose anchor is found. */
function applyWithFallbacks(source: string, edit: MutantEdit, mutant: string): string {
  try {
    return applyEdit(source, edit, mutant);
  } catch (error) {
    if (!(error instanceof AnchorError) || edit.otherwise === undefined) throw error;
    for (const other of edit.otherwise) {
      try {
        return applyEdit(source, other, mutant);
      } catch (otherError) {
        if (!(otherError instanceof AnchorError)) throw otherError;
      }
    }
    throw error;
  }
}

/** Every file the mutant touches, patched: file → new text. `read` gives today's text of a file. */
export function mutatedFiles(mutant: SafetyMutant, read: (file: string) => string): Map<string, string> {
  const files = new Map<string, string>();
  for (const edit of mutant.edits) {
    const before = files.get(edit.file) ?? read(edit.file);
    files.set(edit.file, applyWithFallbacks(before, edit, mutant.name));
  }
  return files;
}
