/**
 * Relayed liveness, the pure half (core.ts sends and applies it): who relays, and what a relay
 * says. In a room of RELAY_MIN_ROOM nodes or more, a heartbeat on every idle link (n² frames)
 * would be most of an idle room's traffic; instead every node beats to a couple of hubs and each
 * hub tells everyone, in one digest frame per link, how long ago it heard each peer
 * (limits.ts RELAY_* has the arithmetic of the bounds).
 *
 * The hubs are the RELAY_HUBS smallest ids among the students a node sees connected, itself
 * included: every node in a quiet room sees the same set, so everyone agrees without a word
 * exchanged, and when a hub freezes it is suspected and the next id takes its place. The
 * teacher's screen is never a hub (it already carries every report); it is one only when no
 * student is there to be one.
 */
import { DOWN_AFTER_MS, MAX_KNOWN_PEERS, RELAY_HUBS, RELAY_MIN_ROOM } from '../limits.ts';
import type { PeerId, PeerRole } from './types.ts';

export interface HubCandidate {
  readonly id: PeerId;
  readonly role: PeerRole;
}

/**
 * The hubs as `self` sees them, given the peers it sees connected. `self` is one of the
 * candidates (with its own role), so a node knows whether it is a hub.
 */
export function relayHubs(candidates: readonly HubCandidate[], count: number = RELAY_HUBS): PeerId[] {
  const byId = (a: HubCandidate, b: HubCandidate): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const students = candidates.filter((c) => c.role === 'student').sort(byId);
  const hosts = candidates.filter((c) => c.role !== 'student').sort(byId);
  return [...students, ...hosts].slice(0, count).map((c) => c.id);
}

/** True when a room of `nodes` (self included, down peers not) relays liveness instead of beating every link. */
export function relaysLiveness(nodes: number, minRoom: number = RELAY_MIN_ROOM): boolean {
  return nodes >= minRoom;
}

/** One digest entry: a peer and how long ago (ms) the relay last had a sign of it. */
export type DigestEntry = readonly [peer: PeerId, ageMs: number];

/**
 * What a hub relays: every peer with a sign of life younger than DOWN_AFTER_MS (older ones are
 * down anyway), as whole milliseconds, at most MAX_KNOWN_PEERS of them, the freshest first.
 */
export function digestOf(signs: Iterable<readonly [PeerId, number | undefined]>, now: number): DigestEntry[] {
  const entries: DigestEntry[] = [];
  for (const [peer, at] of signs) {
    if (at === undefined) continue;
    const age = Math.max(0, Math.round(now - at));
    if (age < DOWN_AFTER_MS) entries.push([peer, age]);
  }
  return entries.sort((a, b) => a[1] - b[1]).slice(0, MAX_KNOWN_PEERS);
}
