/**
 * The colour a value is drawn in (swatches, message dots, decided marks). Colour is never the
 * only cue: the value's name is always written beside it in dark text.
 *
 * The colour scenario's values get their own colour, in shades dark enough to read as marks on
 * white; any other value (a name, "warehouse: ship") gets a stable colour from a small palette.
 */
import type { Value } from '../core/types.ts';

const NAMED: Readonly<Record<string, string>> = {
  red: '#c0392b',
  blue: '#1f5fae',
  green: '#1e7d46',
  yellow: '#b58900',
};

const PALETTE = ['#6c3fa0', '#b04a12', '#0f6f75', '#8a2c5b', '#44631a', '#3b4a8c'];

export function valueColour(value: Value): string {
  const named = NAMED[value];
  if (named !== undefined) return named;
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (hash * 31 + value.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? '#4b5866';
}
