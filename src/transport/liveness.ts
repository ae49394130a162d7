/**
 * Peer status as a pure function of what we have observed, so the rule is unit-tested on fake
 * time and shared by both transports.
 *
 * Observations (events) fold into a `LivenessRecord`; `livenessStatus(record, now)` reads the
 * status off it. Nothing here relies on PeerJS 'close' (which never fires after an abrupt tab
 * close): evidence is what we heard over the channel, what the peer told us (goodbye), what the
 * signaling server saw (its socket closing), and what the RTCPeerConnection reports.
 *
 *   farewell (goodbye / server-left) ........................ down
 *   silent ≥ downAfterMs .................................... down
 *   not heard since it (re)appeared, or silent ≥ suspectAfter,
 *   or its connection reports 'disconnected'/'failed'/'closed' suspected
 *   otherwise ................................................ connected
 *
 * Nothing is final: 'failed' ICE can recover (a frozen phone resumes on the same connection),
 * and hearing from a peer that was down brings it back.
 *
 * "Heard" is direct (a frame over our own link) or relayed: in a big room idle links carry no
 * heartbeats, and a relay (relay.ts) tells everyone how long ago it heard each peer. The status
 * is about the NODE: a peer nobody has heard for downAfterMs is down. A relayed sign of life
 * never outweighs a goodbye and never stands in for the first direct frame (a new or rejoined
 * peer is suspected until it says hello over our link), so only our own link proves a link works;
 * a link that itself fails (ICE 'disconnected'/'failed') makes the peer suspected, never down,
 * while others still hear it: it lives, and peerjs.ts re-dials.
 */
import { DOWN_AFTER_MS, SUSPECT_AFTER_MS } from '../limits.ts';
import type { PeerStatus } from './types.ts';

/** RTCPeerConnection.connectionState (or iceConnectionState), as reported. */
export type LinkState = 'new' | 'checking' | 'connecting' | 'connected' | 'completed' | 'disconnected' | 'failed' | 'closed';

export interface LivenessRecord {
  /** When we (re)learned that the peer exists: roster, first channel, or a rejoin after down. */
  readonly knownSince: number;
  /** Last valid envelope from the peer over a channel; undefined if never heard. */
  readonly lastHeardAt: number | undefined;
  /** The freshest sign of life another peer relayed (its time of hearing, on our clock); undefined if none. */
  readonly relayedAt: number | undefined;
  /** An explicit departure not contradicted since. */
  readonly farewell: 'goodbye' | 'server-left' | undefined;
  /** 'troubled' while the current connection reports disconnected/failed/closed. */
  readonly link: 'pending' | 'ok' | 'troubled';
}

export type LivenessEvent =
  /** The signaling server (or the in-memory hub) lists the peer in our room. */
  | { readonly type: 'listed'; readonly now: number }
  /** A valid envelope arrived from the peer. */
  | { readonly type: 'heard'; readonly now: number }
  /** A relay heard the peer `ageMs` ago (its digest, relay.ts). */
  | { readonly type: 'relayed'; readonly ageMs: number; readonly now: number }
  | { readonly type: 'goodbye'; readonly now: number }
  /** The signaling server pushed that the peer's socket closed. */
  | { readonly type: 'server-left'; readonly now: number }
  | { readonly type: 'link'; readonly state: LinkState; readonly now: number };

export interface LivenessTiming {
  readonly suspectAfterMs: number;
  readonly downAfterMs: number;
}

export const DEFAULT_LIVENESS_TIMING: LivenessTiming = {
  suspectAfterMs: SUSPECT_AFTER_MS,
  downAfterMs: DOWN_AFTER_MS,
};

export function newLivenessRecord(now: number): LivenessRecord {
  return { knownSince: now, lastHeardAt: undefined, relayedAt: undefined, farewell: undefined, link: 'pending' };
}

function linkOf(state: LinkState, previous: LivenessRecord['link']): LivenessRecord['link'] {
  switch (state) {
    case 'connected':
    case 'completed':
      return 'ok';
    case 'disconnected':
    case 'failed':
    case 'closed':
      return 'troubled';
    case 'new':
    case 'checking':
    case 'connecting':
      // A fresh connection replacing a troubled one starts clean; mid-negotiation states
      // of the current connection say nothing new.
      return previous === 'troubled' && state === 'new' ? 'pending' : previous;
  }
}

export function applyLiveness(
  record: LivenessRecord,
  event: LivenessEvent,
  timing: LivenessTiming = DEFAULT_LIVENESS_TIMING,
): LivenessRecord {
  switch (event.type) {
    case 'listed':
      // Only a peer we consider down is "rejoining": restart its clock so it is suspected (not
      // instantly down again) until it speaks. For a live peer a listing (e.g. the snapshot
      // after the signaling server restarted) changes nothing, so links do not flicker.
      return livenessStatus(record, event.now, timing) === 'down'
        ? { ...record, knownSince: event.now, farewell: undefined }
        : record;
    case 'heard':
      return { ...record, lastHeardAt: event.now, farewell: undefined };
    case 'relayed': {
      // Ages only: the relay's clock is not ours. A sign older than what we have changes nothing.
      const at = event.now - Math.max(0, event.ageMs);
      return record.relayedAt !== undefined && record.relayedAt >= at ? record : { ...record, relayedAt: at };
    }
    case 'goodbye':
    case 'server-left':
      return { ...record, farewell: event.type };
    case 'link':
      return { ...record, link: linkOf(event.state, record.link) };
  }
}

export function livenessStatus(
  record: LivenessRecord,
  now: number,
  timing: LivenessTiming = DEFAULT_LIVENESS_TIMING,
): PeerStatus {
  if (record.farewell !== undefined) return 'down';
  const heardSinceKnown = record.lastHeardAt !== undefined && record.lastHeardAt >= record.knownSince;
  const lastSign = heardSinceKnown ? Math.max(record.lastHeardAt ?? record.knownSince, record.relayedAt ?? record.knownSince) : record.knownSince;
  const silentFor = now - lastSign;
  if (silentFor >= timing.downAfterMs) return 'down';
  if (!heardSinceKnown || silentFor >= timing.suspectAfterMs || record.link === 'troubled') return 'suspected';
  return 'connected';
}
