/**
 * The live diagrams of the decisions the dashboard has shown, kept while the page lives (loaded
 * with the diagram, after first paint): picking another decision and coming back goes on from
 * what was read, and so does each replay.
 */
import type { DecisionAnnouncement, DecisionId } from '../../classroom/protocol.ts';
import { MAX_DECISION_HISTORY } from '../../limits.ts';
import { ALGORITHMS } from '../../machines/index.ts';
import { ReportFeed } from '../../timeline/live.ts';

const feeds = new Map<DecisionId, ReportFeed>();

export function feedOf(decision: DecisionAnnouncement): ReportFeed {
  let feed = feeds.get(decision.id);
  if (feed === undefined) {
    feed = new ReportFeed(decision.members, ALGORITHMS[decision.algorithm]);
    feeds.set(decision.id, feed);
    // As many as the dashboard keeps decisions: the oldest goes first.
    if (feeds.size > MAX_DECISION_HISTORY) feeds.delete(feeds.keys().next().value!);
  }
  return feed;
}
