/**
 * The decision as it was at one step of its space-time diagram, for the network picture and the
 * node cards: the live record with each member's view replaced by the one its replay rebuilt.
 * What the replay cannot show (a node not started, crashed, or whose reports have a gap) is a
 * member without a view, with the reason beside it for the screen.
 */
import type { DecisionRecord, MemberState } from '../../classroom/dashboard.ts';
import type { ReplayedNode } from '../../timeline/live.ts';
import type { PeerId } from '../../transport/types.ts';

export interface Moment {
  readonly step: number;
  readonly record: DecisionRecord;
  /** Members the replay cannot show at this step, and why, in words for the projector. */
  readonly unavailable: ReadonlyMap<PeerId, string>;
  /** Some replays ran out of this frame's time: ask again next frame. */
  readonly pending: boolean;
  /** Members down at this step (between a crash and its restart): their cards say crashed. */
  readonly crashed: ReadonlySet<PeerId>;
}

export function momentOf(record: DecisionRecord, step: number, states: ReadonlyMap<PeerId, ReplayedNode>): Moment {
  const members = new Map<PeerId, MemberState>();
  const unavailable = new Map<PeerId, string>();
  for (const [peer, live] of record.members) {
    const state = states.get(peer);
    const view = state?.kind === 'view' ? state.view : undefined;
    if (state?.kind === 'crashed') unavailable.set(peer, 'crashed at this step');
    else if (state?.kind === 'unavailable') unavailable.set(peer, state.why);
    else if (state?.kind === 'pending') unavailable.set(peer, 'rebuilding…');
    else if (state === undefined || state.kind === 'not-started') unavailable.set(peer, 'not started yet');
    members.set(peer, {
      ...live,
      view,
      decidedValues: view?.decided === undefined ? [] : [view.decided],
      decidedAtMs: undefined,
    });
  }
  const crashed = new Set([...states].flatMap(([peer, state]) => (state.kind === 'crashed' ? [peer] : [])));
  return { step, record: { ...record, members }, unavailable, pending: [...states.values()].some((s) => s.kind === 'pending'), crashed };
}

/** A record with no live state, for a run replayed from a file: every view comes from the replay. */
export function emptyRecord(announcement: DecisionRecord['announcement']): DecisionRecord {
  const member: MemberState = {
    view: undefined,
    decidedValues: [],
    decidedAtMs: undefined,
    proposed: [],
    rejoined: false,
    lastReportAtMs: undefined,
  };
  return { announcement, members: new Map(announcement.members.map((peer) => [peer, member])), feed: [], version: 0 };
}
