/**
 * A CPU profile of one tab over a stretch of a benchmark (CDP Profiler), saved as a
 * .cpuprofile (DevTools opens it) and summarised: the functions with the most self time, and
 * the share of each source file. What bench:room uses to find what a decision costs a tab.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CDPSession } from '@playwright/test';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** How many lines of each summary to print. */
const TOP = 25;

export async function startProfile(session: CDPSession): Promise<{ stop: (path: string) => Promise<void> }> {
  await session.send('Profiler.enable');
  // 100 µs: a decision is tens of ms of main thread; the default 1 ms would give tens of samples.
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  return {
    stop: async (path: string) => {
      const { profile } = (await session.send('Profiler.stop')) as { profile: Profile };
      await session.send('Profiler.disable');
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(profile));
      console.log(`profile ${path}:`);
      printSummary(profile);
    },
  };
}

function printSummary(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'} ${url.replace(/^.*\//, '') || '(native)'}:${lineNumber + 1}`;
  };
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += ms;
      return;
    }
    total += ms;
    const file = url.replace(/^.*\//, '') || '(native)';
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf(byId.get(at)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
    }
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + ms);
  });
  const top = (map: Map<string, number>): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([k, ms]) => `  ${ms.toFixed(1).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${k}`);
  console.log(`  busy ${total.toFixed(1)} ms (idle ${idle.toFixed(0)} ms); by function (self):`);
  for (const line of top(selfByFunction)) console.log(line);
  console.log('  by function (inclusive):');
  for (const line of top(inclusive)) console.log(line);
  console.log('  by file (self):');
  for (const line of top(selfByFile)) console.log(line);
}
