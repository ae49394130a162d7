/**
 * What the browser benchmarks (bench:live, bench:room) share to measure a tab's main thread and
 * a room's decisions: Chromium's own accounting through the DevTools protocol (CDP
 * Performance.getMetrics in thread time), the watchers that time the moment a decided value
 * appears, and the idle correction. One copy here, so both tables mean the same thing.
 */
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

/** Main-thread time of one tab so far, ms (Chromium counts in seconds). */
export interface ThreadTime {
  readonly taskMs: number;
  readonly scriptMs: number;
}

/**
 * A CDP session on `page` reporting in thread time (`timeDomain: 'threadTicks'`): on a shared
 * machine a tab the OS descheduled is not a busy tab.
 */
export async function openThreadClock(context: BrowserContext, page: Page): Promise<CDPSession> {
  const session = await context.newCDPSession(page);
  await session.send('Performance.enable', { timeDomain: 'threadTicks' });
  return session;
}

export async function threadTime(session: CDPSession): Promise<ThreadTime> {
  const { metrics } = (await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const metric = (name: string): number => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  return { taskMs: metric('TaskDuration'), scriptMs: metric('ScriptDuration') };
}

export async function threadTimes(sessions: readonly CDPSession[]): Promise<ThreadTime[]> {
  return Promise.all(sessions.map(threadTime));
}

/** Each tab's idle main-thread rate (ms of task time per ms of wall time) over `windowMs`. */
export async function idleRates(sessions: readonly CDPSession[], windowMs: number): Promise<number[]> {
  const before = await threadTimes(sessions);
  const startedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const after = await threadTimes(sessions);
  const elapsed = Date.now() - startedAt;
  return after.map((a, i) => Math.max(0, a.taskMs - before[i]!.taskMs) / elapsed);
}

/** Main-thread ms each tab spent between two readings, less its idle rate over `windowMs`. */
export function taskMsLessIdle(before: readonly ThreadTime[], after: readonly ThreadTime[], idle: readonly number[], windowMs: number): number[] {
  return after.map((t, i) => Math.max(0, t.taskMs - before[i]!.taskMs - idle[i]! * windowMs));
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Arms a MutationObserver in a student tab: the wall-clock moment its decided value appears. A
 * string script, because tsx would wrap named inner functions in a helper the page does not have.
 */
export const WATCH_DECISION = `(() => {
  delete window.__decided;
  let resolve;
  window.__decidedPromise = new Promise((r) => { resolve = r; });
  const shown = () => document.querySelector('[data-testid="decision-panel"] [data-testid="decided-value"]');
  const record = (el) => { window.__decided = { at: Date.now(), value: (el.textContent || '').trim() }; resolve(window.__decided); };
  if (shown()) { record(shown()); return; }
  const observer = new MutationObserver(() => {
    const el = shown();
    if (el) { record(el); observer.disconnect(); }
  });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

/** The same on the dashboard: when its outcome shows the value, and when every node card does. */
export const WATCH_DASHBOARD = `(() => {
  delete window.__decided;
  delete window.__cards;
  const n = document.querySelectorAll('[data-testid="current-decision"] [data-testid="node-card"]').length;
  const check = () => {
    const el = document.querySelector('[data-testid="current-decision"] [data-testid="outcome"] [data-testid="decided-value"]');
    if (el && !window.__decided) window.__decided = { at: Date.now(), value: (el.textContent || '').trim() };
    const cards = [...document.querySelectorAll('[data-testid="current-decision"] [data-testid="node-card"]')];
    if (!window.__cards && cards.length === n && cards.every((c) => (c.getAttribute('data-decided') || '') !== '')) window.__cards = { at: Date.now() };
    return window.__decided && window.__cards;
  };
  if (check()) return;
  const observer = new MutationObserver(() => { if (check()) observer.disconnect(); });
  observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

/**
 * What WATCH_DECISION recorded in a student tab, once it has. Awaits the watcher's promise in
 * the page instead of polling: Playwright's waitForFunction, polling every 20 ms, ran its
 * injected script ~100 times in each measured tab per decision, and that main-thread time was
 * counted as the tab's (paxos at N=20, load 22–33: median 32 ms a tab polled, 27 ms awaited).
 */
export async function waitTabDecided(page: Page, timeoutMs: number): Promise<{ at: number; value: string }> {
  return page.evaluate(
    (ms) =>
      Promise.race([
        (window as unknown as { __decidedPromise: Promise<{ at: number; value: string }> }).__decidedPromise,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no decision shown within ${ms} ms`)), ms)),
      ]),
    timeoutMs,
  );
}

/** What WATCH_DASHBOARD recorded, once the outcome and every card show the decision. */
export async function waitDashboardDecided(host: Page, timeoutMs: number): Promise<{ decided: { at: number; value: string }; cards: { at: number } }> {
  const handle = await host.waitForFunction(
    () => {
      const w = window as unknown as { __decided?: { at: number; value: string }; __cards?: { at: number } };
      return w.__decided && w.__cards ? { decided: w.__decided, cards: w.__cards } : undefined;
    },
    undefined,
    { timeout: timeoutMs, polling: 20 },
  );
  return (await handle.jsonValue()) as { decided: { at: number; value: string }; cards: { at: number } };
}

/** Clicks the propose button for `value` in `page`; the click's wall-clock time in the tab. */
export async function clickPropose(page: Page, value: string): Promise<number> {
  return page.evaluate((v) => {
    const button = document.querySelector<HTMLButtonElement>(`[data-testid="propose-button"][data-value="${v}"]`);
    if (button === null) throw new Error(`no propose button for ${v}`);
    const at = Date.now();
    button.click();
    return at;
  }, value);
}

/** Issue 11's per-tab budget for one decision, main-thread ms: 15 at N ≤ 10, 40 up to 40. */
export function mainThreadLimitMs(n: number): number {
  return n <= 10 ? 15 : 40;
}

/** One frame at 60 Hz: the dashboard may trail the last report by at most this. */
export const FRAME_MS = 1000 / 60;

/** Integers from an env list ("10,20,40"), each in [min, max]. */
export function intList(name: string, fallback: string, min: number, max: number): number[] {
  const raw = process.env[name] ?? fallback;
  const parsed = raw.split(',').map((s) => Number(s.trim()));
  if (parsed.some((n) => !Number.isInteger(n) || n < min || n > max)) throw new Error(`${name}: ${min}..${max} each, got "${raw}"`);
  return parsed;
}

/** A table with right-aligned cells and a rule under the header. */
export function printRows(header: readonly string[], body: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join(' | ');
  console.log();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of body) console.log(line(row));
  console.log();
}
