/**
 * A live book scrubbed back: each replica's tile (ReplicaTile.svelte, the one the live board
 * draws) as that replica reported it up to the step the scrubber is on. Reports are what the
 * tiles show live, so the scrubbed book looks as the live one did then: the role, term or
 * ballot, the log window with its markers, and the order book's rows.
 *
 * A replica reports the steps of one frame together, with its log as it stood after the last of
 * them; the report chosen is the newest whose steps all lie at or before the cursor, so a tile
 * never shows what had not happened yet (it may lag the cursor by the rest of that frame).
 */
import type { LogReport } from '../../classroom/log-protocol.ts';
import type { NodeReport } from '../../classroom/protocol.ts';
import type { NodeId } from '../../core/types.ts';
import type { LiveTimeline } from '../../timeline/live.ts';

export type ScrubbedReplica =
  /** Its log as its newest report at or before the step had it. */
  | { readonly kind: 'reported'; readonly log: LogReport }
  /** Down at this step (between a crash and its restart); `log` is its last report before the crash, if any. */
  | { readonly kind: 'crashed'; readonly log: LogReport | undefined }
  /** Nothing of it is known up to this step (its first report covers later steps, or none came). */
  | { readonly kind: 'not-started' };

interface Placed {
  readonly inc: number;
  /** Steps of incarnation `inc` placed at or before the cursor. */
  steps: number;
  crashed: boolean;
}

/** Where each replica stood at `step`: its incarnation then, how many of its steps were placed, and whether it was down. */
function placedAt(timeline: LiveTimeline, step: number): Map<NodeId, Placed> {
  const placed = new Map<NodeId, Placed>();
  for (const event of timeline.prefix(step)) {
    const known = placed.get(event.node);
    if (event.kind === 'crash') {
      if (known !== undefined) known.crashed = true;
      continue;
    }
    if (known === undefined || known.inc !== event.inc) placed.set(event.node, { inc: event.inc, steps: 1, crashed: false });
    else known.steps++;
  }
  return placed;
}

/** The log of `node`'s newest report of incarnation `inc` whose steps are all among its first `steps`. */
function reportedLog(reports: readonly { readonly node: NodeId; readonly report: NodeReport }[], node: NodeId, inc: number, steps: number): LogReport | undefined {
  let seen = 0;
  let log: LogReport | undefined;
  for (const { node: from, report } of reports) {
    if (from !== node || report.inc !== inc) continue;
    seen += report.steps.length;
    if (seen > steps) break;
    if (report.log !== undefined) log = report.log;
  }
  return log;
}

/** Every member's tile data at diagram step `step`. */
export function scrubbedBook(
  members: readonly NodeId[],
  timeline: LiveTimeline,
  reports: readonly { readonly node: NodeId; readonly report: NodeReport }[],
  step: number,
): Map<NodeId, ScrubbedReplica> {
  const placed = placedAt(timeline, step);
  return new Map(
    members.map((node): [NodeId, ScrubbedReplica] => {
      const at = placed.get(node);
      if (at === undefined) return [node, { kind: 'not-started' }];
      const log = reportedLog(reports, node, at.inc, at.steps);
      if (at.crashed) return [node, { kind: 'crashed', log }];
      return [node, log === undefined ? { kind: 'not-started' } : { kind: 'reported', log }];
    }),
  );
}
