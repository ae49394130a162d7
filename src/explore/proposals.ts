/** Kept apart from the explorer so the solo page can name a run's proposals without bundling the search (it runs in the worker). */
import type { NodeId, Value } from '../core/types.ts';
import type { Proposal } from './explorer.ts';

/** The proposals a run made, by node, in order (one entry per distinct value per node). */
export function proposalsOf(trace: readonly { readonly kind: string; readonly node?: NodeId; readonly value?: Value }[]): Proposal[] {
  const seen = new Set<string>();
  const out: Proposal[] = [];
  for (const e of trace) {
    if (e.kind !== 'propose' || e.node === undefined || e.value === undefined) continue;
    const key = `${e.node}\u0000${e.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ node: e.node, value: e.value });
  }
  return out;
}
