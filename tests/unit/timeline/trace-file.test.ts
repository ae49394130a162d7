/**
 * Reading a trace file back: a real export round-trips into the same replay, and hostile or
 * mistaken files are refused whole with a sentence that says what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../../src/classroom/dashboard.ts';
import { ReportBuffer } from '../../../src/classroom/report-buffer.ts';
import type { DecisionAnnouncement, NodeReport } from '../../../src/classroom/protocol.ts';
import { MAX_TRACE_ENTRIES, MAX_TRACE_FILE_BYTES } from '../../../src/limits.ts';
import { parseTraceFile, timelineOfTrace, TRACE_FORMAT, TRACE_VERSION } from '../../../src/timeline/trace-file.ts';

const decision: DecisionAnnouncement = { id: 'd1-abc', seq: 1, algorithm: 'majority', scenario: 'colors', members: ['n1', 'n2'], startedAt: 0 };

/** Two real report buffers' first reports: what an export of a just-started decision holds. */
function exportedText(): string {
  const dashboard = new DashboardModel();
  dashboard.announce(decision);
  for (const self of decision.members) {
    const buffer = new ReportBuffer({
      incarnation: 7,
      seed: 42,
      start: { timing: { retransmitMs: 1_500, impatienceMs: 4_000, backoffMs: 400, phaseTimeoutMs: 2_500 } },
      restarted: false,
      self,
      now: () => 0,
      scheduleFrame: () => {},
      view: () => ({ phase: 'idle', waitingFor: 'a proposal', decided: undefined, tally: {}, fields: [] }),
      proposed: () => [],
      onReport: (reports: readonly NodeReport[]) => reports.forEach((r) => dashboard.applyReport(self, decision.id, r, 5)),
    });
    buffer.flush(true);
  }
  return JSON.stringify(dashboard.exportTrace(decision.id));
}

function withField(field: string, value: unknown): string {
  return JSON.stringify({ ...(JSON.parse(exportedText()) as object), [field]: value });
}

describe('trace file', () => {
  it('reads back what the dashboard exports, seeds and starts included', () => {
    const parsed = parseTraceFile(exportedText());
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.trace.decision).toEqual(decision);
    expect(parsed.trace.entries).toHaveLength(2);
    expect(parsed.trace.entries[0]?.report.seed).toBe(42);
    expect(parsed.trace.entries[0]?.report.start?.timing.retransmitMs).toBe(1_500);
    // Nothing happened yet: both nodes replay to their machine's first state.
    const timeline = timelineOfTrace(parsed.trace);
    const state = timeline.stateAt('n1', 0);
    expect(state.kind).toBe('view');
    expect(state.kind === 'view' && state.view.decided).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"format": ', /not JSON/],
    ['another JSON', '{"hello": 1}', /not a Consensus Playground trace/],
    ['a JSON array', '[]', /not a Consensus Playground trace/],
    ['the old v2 export (no messages, no seeds)', withField('version', 2), /version 2.*older.*Export the decision again/],
    ['a future version', withField('version', 99), /version 99; this app reads version 3/],
    ['a decision with an unknown algorithm', withField('decision', { ...decision, algorithm: 'rm -rf' }), /"decision".*malformed/],
    ['a decision without members', withField('decision', { ...decision, members: [] }), /"decision".*malformed/],
    ['names of strangers', withField('names', { mallory: 'Mallory' }), /not a member/],
    ['a name that is a novel', withField('names', { n1: 'x'.repeat(10_000) }), /not a short text/],
    ['entries that are not a list', withField('entries', { 0: {} }), /no "entries"/],
    ['an entry from a non-member', withField('entries', [{ atMs: 0, node: 'mallory', report: {} }]), /not a member/],
    ['an entry without a time', withField('entries', [{ node: 'n1', report: {} }]), /Report 1 of 1 is malformed/],
    ['a report of another version', withField('entries', [{ atMs: 0, node: 'n1', report: { version: 9 } }]), /Report 1 of 1 \(from n1\) is malformed/],
  ])('refuses %s with a clear sentence', (_name, text, error) => {
    const parsed = parseTraceFile(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(error);
  });

  it('refuses a file beyond the size limit before parsing it', () => {
    const parsed = parseTraceFile(' '.repeat(MAX_TRACE_FILE_BYTES + 1));
    expect(parsed).toEqual({ ok: false, error: expect.stringMatching(/larger than 8 MB/) as unknown as string });
  });

  it('refuses more reports than the dashboard would ever keep', () => {
    const text = JSON.stringify({ format: TRACE_FORMAT, version: TRACE_VERSION, decision, entries: new Array(MAX_TRACE_ENTRIES + 1).fill(0) });
    const parsed = parseTraceFile(text);
    expect(parsed.ok === false && parsed.error).toMatch(/at most 20000/);
  });

  it('refuses out-of-bounds fields inside a report (timing, timer ordinals, received messages)', () => {
    const good = JSON.parse(exportedText()) as { entries: { report: Record<string, unknown> }[] };
    const report = good.entries[0]!.report;
    const cases: Record<string, unknown>[] = [
      { ...report, start: { timing: { retransmitMs: -1, impatienceMs: 0, backoffMs: 0, phaseTimeoutMs: 0 } } },
      { ...report, start: { timing: { retransmitMs: 1e12, impatienceMs: 0, backoffMs: 0, phaseTimeoutMs: 0 } } },
      { ...report, start: 'soon' },
      { ...report, steps: [{ at: 0, cause: { kind: 'timer', timer: -3 }, sent: [], persisted: false }] },
      { ...report, steps: [{ at: 0, cause: { kind: 'receive', from: 'n2', id: { inc: 1, seq: 1 }, message: 'vote red' }, sent: [], persisted: false }] },
    ];
    for (const bad of cases) {
      const text = JSON.stringify({ ...good, entries: [{ ...good.entries[0], report: bad }] });
      expect(parseTraceFile(text).ok).toBe(false);
    }
  });
});
