/**
 * The live diagrams of the books the dashboard has shown (loaded with the book's diagram, after
 * first paint): coming back to a book goes on from what was read, and so does each replay.
 */
import type { BookAnnouncement } from '../../classroom/log-protocol.ts';
import { LIVE_BOOK_HISTORY } from '../../limits.ts';
import { LOG_ALGORITHMS } from '../../machines/log-index.ts';
import { ReportFeed } from '../../timeline/live.ts';

const feeds = new Map<string, ReportFeed>();

export function bookFeedOf(book: BookAnnouncement): ReportFeed {
  let feed = feeds.get(book.id);
  if (feed === undefined) {
    feed = new ReportFeed(book.members, LOG_ALGORITHMS[book.algorithm]);
    feeds.set(book.id, feed);
    // As many as the dashboard keeps books: the oldest goes first.
    if (feeds.size > LIVE_BOOK_HISTORY) feeds.delete(feeds.keys().next().value!);
  }
  return feed;
}
