/**
 * Who dials whom, and how many at once: the pure half of mesh formation (peerjs.ts does the
 * dialling). Two rules:
 *
 * - One dialler per pair, balanced. "The smaller id dials" made the node with the smallest id
 *   dial everyone (39 handshakes in a room of 40) while the largest dialled no one; the slowest
 *   node set the pace of the whole mesh. A hash of the pair picks the dialler instead, the same
 *   on both sides, so each node dials about half of its peers.
 * - Paced. A node keeps at most MAX_PENDING_DIALS dials negotiating at once and starts the next
 *   as soon as one opens or fails (the teacher's screen first: it must see everyone), then the
 *   students in id order starting just after its own id (a ring), so at any moment the room's
 *   dials are spread over everyone instead of all aimed at the same few smallest ids. Forty
 *   nodes each firing 20 offers at once put ~800 handshakes and thousands of ICE candidates
 *   through one signaling server and two cores in the same second, and everything timed out
 *   together; a bounded number in flight keeps each handshake fast.
 * - Backing off when handshakes stall. The bound is a window (nextDialWindow): a dial given up
 *   because the machine is too busy to finish it in time halves it, a dial that opens widens it
 *   again, as TCP's congestion window does. On a quiet machine no dial stalls and every node keeps
 *   MAX_PENDING_DIALS in flight; on a busy one fewer handshakes share the CPU, so each finishes
 *   before its timeouts instead of all of them being abandoned and started over.
 */
import { DIAL_ANSWER_TIMEOUT_MS, DIAL_CONNECT_TIMEOUT_MS, DIAL_TIMEOUT_MAX_MS, DIAL_TIMEOUT_MS, MAX_PENDING_DIALS, MIN_PENDING_DIALS } from '../limits.ts';
import type { PeerId, PeerRole } from './types.ts';

/** FNV-1a over the two ids in a fixed order: cheap, stable, and well spread over similar ids. */
function pairHash(a: PeerId, b: PeerId): number {
  const [low, high] = a < b ? [a, b] : [b, a];
  let hash = 0x811c9dc5;
  for (const ch of `${low}\n${high}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** True if `self` is the one of the pair that dials `peer` (exactly one of the two is). */
export function isDialler(self: PeerId, peer: PeerId): boolean {
  if (self === peer) return false;
  const smallerDials = (pairHash(self, peer) & 1) === 0;
  return smallerDials === self < peer;
}

export interface DialCandidate {
  readonly peer: PeerId;
  readonly role: PeerRole;
}

/**
 * Which of `wanted` (peers we should dial and have no link to, not in backoff) to dial now,
 * given `pending` dials still negotiating: at most MAX_PENDING_DIALS in flight, hosts first,
 * then by id, starting after `self` when given (ids above ours, then from the smallest). With
 * plain id order every node of a forming room dialled the same smallest ids first, and those few
 * answered ~16 handshakes each at once while the rest waited; from each node's own place on the
 * ring, each id is in about as many first waves as any other.
 */
export function dialsToStart(
  wanted: readonly DialCandidate[],
  pending: number,
  maxPending: number = MAX_PENDING_DIALS,
  self?: PeerId,
): PeerId[] {
  const room = Math.max(0, maxPending - pending);
  if (room === 0) return [];
  const lap = (peer: PeerId): number => (self !== undefined && peer < self ? 1 : 0);
  const byRing = (a: PeerId, b: PeerId): number => lap(a) - lap(b) || (a < b ? -1 : a > b ? 1 : 0);
  return [...wanted]
    .sort((a, b) => (a.role === b.role ? byRing(a.peer, b.peer) : a.role === 'host' ? -1 : 1))
    .slice(0, room)
    .map((c) => c.peer);
}

/** Why a dial ended, as far as the window of dials in flight cares. */
export type DialOutcome = 'opened' | 'stalled' | 'failed';

/**
 * A node's window of dials in flight after one of its dials ended: `opened` widens it by one (up to
 * MAX_PENDING_DIALS); `stalled` (given up as not answered, not connecting or timed out: the
 * machine or the peer is too busy to finish handshakes in time) halves it (down to
 * MIN_PENDING_DIALS); `failed` (the connection itself ended, e.g. a refused DTLS handshake: not a
 * sign of load) leaves it.
 */
export function nextDialWindow(window: number, outcome: DialOutcome): number {
  switch (outcome) {
    case 'opened':
      return Math.min(MAX_PENDING_DIALS, window + 1);
    case 'stalled':
      return Math.max(MIN_PENDING_DIALS, Math.floor(window / 2));
    case 'failed':
      return window;
  }
}

/**
 * How long dial number `attempt` (0 = the first) to one peer may negotiate before it is given up:
 * DIAL_TIMEOUT_MS, doubled on each retry up to DIAL_TIMEOUT_MAX_MS. A handshake too slow for
 * the first timeout is slow because the machine is busy; restarting it with the same timeout
 * only restarts it (measured at 40 nodes, load ~20: 1,916 of 3,268 robot dials timed out).
 */
export function dialTimeoutMs(attempt: number): number {
  // The exponent is capped only so that a long-failing dial's attempt count cannot overflow the
  // product; DIAL_TIMEOUT_MAX_MS is reached after two doublings anyway.
  return Math.min(DIAL_TIMEOUT_MAX_MS, DIAL_TIMEOUT_MS * 2 ** Math.max(0, Math.min(attempt, 8)));
}

/** What a dial that has not opened yet looks like from its own RTCPeerConnection. */
export interface NegotiationState {
  /** Since the dial started (the offer was made). */
  readonly ageMs: number;
  /** Since the answer was applied (signaling state back to 'stable'); undefined while none came. */
  readonly sinceAnswerMs: number | undefined;
  /** Which dial of this peer it is (0 = the first), as in dialTimeoutMs. */
  readonly attempt: number;
  /** The connection or its ICE agent says 'failed' or 'closed', or PeerJS has let it go. */
  readonly ended: boolean;
}

/**
 * Whether to keep waiting for a dial, and if not, why it is given up:
 * - 'failed': the connection ended before its channel opened. Nothing will come of it, and
 *   PeerJS does not always say so: node-datachannel closes a connection whose DTLS handshake
 *   failed without the ICE state change PeerJS watches (measured: every one of the dials that
 *   hung until DIAL_TIMEOUT_MS in a 35-robot room), so the channel stays 'connecting' forever.
 * - 'no-answer': no answer after DIAL_ANSWER_TIMEOUT_MS (the offer or the answer was lost, or
 *   the peer is not really there);
 * - 'not-connecting': answered, but ICE + DTLS + SCTP have not opened the channel
 *   DIAL_CONNECT_TIMEOUT_MS later;
 * - 'timeout': the backstop, dialTimeoutMs of the attempt in all.
 * Each wait doubles with the attempt like dialTimeoutMs: a slow handshake on a busy machine gets
 * more time on each retry instead of being restarted over and over.
 */
export type NegotiationVerdict = 'negotiating' | 'failed' | 'no-answer' | 'not-connecting' | 'timeout';

export function negotiationVerdict(state: NegotiationState): NegotiationVerdict {
  if (state.ended) return 'failed';
  if (state.ageMs >= dialTimeoutMs(state.attempt)) return 'timeout';
  const scale = 2 ** Math.max(0, Math.min(state.attempt, 8));
  if (state.sinceAnswerMs === undefined) return state.ageMs >= DIAL_ANSWER_TIMEOUT_MS * scale ? 'no-answer' : 'negotiating';
  return state.sinceAnswerMs >= DIAL_CONNECT_TIMEOUT_MS * scale ? 'not-connecting' : 'negotiating';
}
