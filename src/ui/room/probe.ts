/**
 * Round-trip probes between tabs of a room: the teacher's page shows each student's link delay,
 * and the mesh benchmark measures data-channel round trips with them. A probe is an ordinary
 * application message, so it travels the same validated path as everything else.
 *
 * The room's wire payload is `M | ProbeMessage`: the probe types below are reserved, and the
 * application's own union (the classroom protocol) must not use them.
 */
import { isNonNegativeInteger, isRecord } from '../../core/validate.ts';
import type { PeerId } from '../../transport/types.ts';

export type ProbeMessage =
  | { readonly type: 'room-probe'; readonly seq: number }
  | { readonly type: 'room-probe-reply'; readonly seq: number };

export function parseProbe(raw: unknown): ProbeMessage | undefined {
  if (!isRecord(raw) || !isNonNegativeInteger(raw['seq']) || Object.keys(raw).length !== 2) return undefined;
  const { type, seq } = raw;
  return type === 'room-probe' || type === 'room-probe-reply' ? { type, seq } : undefined;
}

export function isProbe(message: { readonly type: string }): message is ProbeMessage {
  return message.type === 'room-probe' || message.type === 'room-probe-reply';
}

/**
 * Outstanding probes at once. The teacher's page probes each peer every few seconds and the
 * benchmark a few hundred times; anything beyond this is a runaway caller, and old entries go.
 */
export const MAX_OUTSTANDING_PROBES = 1_024;

/** A probe unanswered for this long is lost (the peer is gone or its channel is stuck). */
export const PROBE_TIMEOUT_MS = 5_000;

export interface ProberPorts {
  /** Monotonic milliseconds, sub-millisecond if the platform has it (performance.now). */
  now(): number;
  send(to: PeerId, message: ProbeMessage): boolean;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface Pending {
  readonly peer: PeerId;
  readonly sentAt: number;
  readonly timer: unknown;
  readonly settle: (rttMs: number | undefined) => void;
}

/**
 * Sends probes, answers them, and keeps each peer's latest round trip. Replies are matched by
 * sequence number AND by the peer they came from, so a tab cannot answer a probe sent to another.
 */
export class Prober {
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #latest = new Map<PeerId, number>();

  constructor(private readonly ports: ProberPorts) {}

  /** Resolves with the round trip in ms, or undefined if the probe could not be sent or timed out. */
  probe(peer: PeerId): Promise<number | undefined> {
    return new Promise((resolve) => {
      const seq = this.#seq++;
      if (!this.ports.send(peer, { type: 'room-probe', seq })) {
        resolve(undefined);
        return;
      }
      this.#evictOldest();
      const timer = this.ports.setTimeout(() => this.#settle(seq, undefined), PROBE_TIMEOUT_MS);
      this.#pending.set(seq, { peer, sentAt: this.ports.now(), timer, settle: resolve });
    });
  }

  /** Handles a probe message from `from`. Returns true if the latest round trips changed. */
  receive(from: PeerId, message: ProbeMessage): boolean {
    switch (message.type) {
      case 'room-probe':
        this.ports.send(from, { type: 'room-probe-reply', seq: message.seq });
        return false;
      case 'room-probe-reply': {
        const pending = this.#pending.get(message.seq);
        if (pending === undefined || pending.peer !== from) return false;
        const rtt = this.ports.now() - pending.sentAt;
        this.#latest.set(from, rtt);
        this.#settle(message.seq, rtt);
        return true;
      }
    }
  }

  /** The last measured round trip to `peer`, in ms. */
  latest(peer: PeerId): number | undefined {
    return this.#latest.get(peer);
  }

  /** Forgets a peer's measurement (it went down: an old figure would mislead). */
  forget(peer: PeerId): boolean {
    return this.#latest.delete(peer);
  }

  /** Settles every outstanding probe as lost. */
  close(): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, undefined);
  }

  #settle(seq: number, rtt: number | undefined): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    this.ports.clearTimeout(pending.timer);
    pending.settle(rtt);
  }

  #evictOldest(): void {
    while (this.#pending.size >= MAX_OUTSTANDING_PROBES) {
      const oldest = this.#pending.keys().next();
      if (oldest.done === true) return;
      this.#settle(oldest.value, undefined);
    }
  }
}
