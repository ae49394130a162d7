/**
 * Reading an exported trace back (the dashboard's "Export JSON", version 3) to replay it: a file
 * is user input from anywhere, so it is parsed like a message off the network. Every field is
 * bounded, every report goes through the same parser the dashboard uses on the wire, and a file
 * that fails any check is refused whole, with a sentence saying what is wrong and where.
 *
 * What it holds is what a replay needs: the decision (algorithm, members), and every report each
 * member sent, in the order the dashboard heard them. The reports carry each incarnation's seed,
 * timing and starting state, and each step's input (a proposal, a message received with its id
 * and content, a timer by ordinal) and sends (message ids), so LiveTimeline rebuilds the diagram
 * and re-runs each node's machine from its start with the same inputs in the same order.
 */
import { parseAnnouncement, parseReport, type DecisionAnnouncement, type NodeReport } from '../classroom/protocol.ts';
import { isFiniteNumber, isRecord } from '../core/validate.ts';
import { getAlgorithm } from '../machines/index.ts';
import { MAX_NAME_LENGTH, MAX_TRACE_ENTRIES, MAX_TRACE_FILE_BYTES } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import { LiveTimeline } from './live.ts';
import { TRACE_FORMAT, TRACE_VERSION } from './trace-format.ts';

// Re-exported: a reader of trace files (the tests) finds the format it checks beside the parser.
export { TRACE_FORMAT, TRACE_VERSION };

export interface TraceFileEntry {
  readonly atMs: number;
  readonly node: PeerId;
  readonly report: NodeReport;
}

export interface TraceFile {
  readonly decision: DecisionAnnouncement;
  readonly names: ReadonlyMap<PeerId, string>;
  readonly entries: readonly TraceFileEntry[];
  /** Members the dashboard judged crashed when it saved the file (optional: older files lack it). */
  readonly crashes: readonly { readonly node: PeerId; readonly atMs: number }[];
}

export type TraceParse = { readonly ok: true; readonly trace: TraceFile } | { readonly ok: false; readonly error: string };

const refuse = (error: string): TraceParse => ({ ok: false, error });

/** Parses the text of a trace file; never throws. */
export function parseTraceFile(text: string): TraceParse {
  // Length in UTF-16 units is at most the byte length (a file's size was checked before reading).
  if (text.length > MAX_TRACE_FILE_BYTES) return refuse(`This file is larger than ${MAX_TRACE_FILE_BYTES / 1024 / 1024} MB: not a trace this app exported.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return refuse('This file is not JSON: choose a trace saved with the dashboard’s “Export JSON”.');
  }
  if (!isRecord(raw) || raw.format !== TRACE_FORMAT) return refuse('This JSON is not a Consensus Playground trace (its "format" field is missing or different).');
  if (raw.version !== TRACE_VERSION) {
    if (raw.version === 1 || raw.version === 2) {
      return refuse(`This trace is version ${String(raw.version)}, from an older version of the app: it lacks the messages and seeds a replay needs. Export the decision again.`);
    }
    return refuse(`This trace is version ${JSON.stringify(raw.version)}; this app reads version ${TRACE_VERSION}.`);
  }
  const decision = parseAnnouncement(raw.decision);
  if (decision === undefined) return refuse('The trace’s "decision" (algorithm, members) is missing or malformed.');
  const members = new Set(decision.members);
  const names = new Map<PeerId, string>();
  if (raw.names !== undefined) {
    if (!isRecord(raw.names)) return refuse('The trace’s "names" is not a list of member names.');
    for (const [peer, name] of Object.entries(raw.names)) {
      if (!members.has(peer)) return refuse(`The trace names ${JSON.stringify(peer.slice(0, 40))}, who is not a member of its decision.`);
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) return refuse(`The name of ${peer} is not a short text.`);
      names.set(peer, name);
    }
  }
  if (!Array.isArray(raw.entries)) return refuse('The trace has no "entries" (the members’ reports).');
  if (raw.entries.length > MAX_TRACE_ENTRIES) return refuse(`The trace holds ${raw.entries.length} reports; at most ${MAX_TRACE_ENTRIES} are read.`);
  const entries: TraceFileEntry[] = [];
  for (const [i, entry] of raw.entries.entries()) {
    const where = `Report ${i + 1} of ${raw.entries.length}`;
    if (!isRecord(entry) || !isFiniteNumber(entry.atMs) || typeof entry.node !== 'string') return refuse(`${where} is malformed.`);
    if (!members.has(entry.node)) return refuse(`${where} comes from ${JSON.stringify(entry.node.slice(0, 40))}, who is not a member of the decision.`);
    const report = parseReport(entry.report);
    if (report === undefined) return refuse(`${where} (from ${entry.node}) is malformed or out of bounds.`);
    entries.push({ atMs: entry.atMs, node: entry.node, report });
  }
  const crashes: { node: PeerId; atMs: number }[] = [];
  if (raw.crashes !== undefined) {
    if (!Array.isArray(raw.crashes) || raw.crashes.length > decision.members.length) return refuse('The trace’s "crashes" is not a short list of members.');
    for (const crash of raw.crashes) {
      if (!isRecord(crash) || typeof crash.node !== 'string' || !members.has(crash.node) || !isFiniteNumber(crash.atMs)) {
        return refuse('The trace’s "crashes" names someone who is not a member, or has no time.');
      }
      crashes.push({ node: crash.node, atMs: crash.atMs });
    }
  }
  return { ok: true, trace: { decision, names, entries, crashes } };
}

/** The diagram of an imported trace, every report applied in its order and nothing left waiting. */
export function timelineOfTrace(trace: TraceFile): LiveTimeline {
  const timeline = new LiveTimeline(trace.decision.members, getAlgorithm(trace.decision.algorithm));
  for (const entry of trace.entries) timeline.add(entry.node, entry.report, entry.atMs);
  timeline.finish();
  for (const crash of trace.crashes) timeline.markCrashed(crash.node, crash.atMs);
  return timeline;
}
