/**
 * Per-client-address limits on what reaches the signaling endpoints (SERVER_LIMITS in
 * src/limits.ts): open sockets, socket openings per minute, unknown room codes per minute (the
 * room-code guessing throttle) and wrong teacher keys per minute. The rates are counted with
 * rate-limiter-flexible's in-memory store; nothing about an address is ever written to disk.
 *
 * Trusted addresses (default: loopback, the teacher's own machine) and the teacher's robots are
 * exempt; the caller decides that and never asks.
 */
import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { SERVER_LIMITS } from '../src/limits.ts';
import type { ClientAddress } from './rooms.ts';

export interface AddressLimits {
  readonly socketsPerAddress: number;
  readonly joinsPerAddressPerMinute: number;
  readonly newRoomCodesPerAddressPerMinute: number;
  readonly wrongTeacherKeysPerAddressPerMinute: number;
  /** Exact addresses (after mapping ::ffff:a.b.c.d to a.b.c.d) exempt from every per-address limit. */
  readonly trustedAddresses: readonly string[];
}

export const DEFAULT_ADDRESS_LIMITS: AddressLimits = {
  socketsPerAddress: SERVER_LIMITS.socketsPerAddress,
  joinsPerAddressPerMinute: SERVER_LIMITS.joinsPerAddressPerMinute,
  newRoomCodesPerAddressPerMinute: SERVER_LIMITS.newRoomCodesPerAddressPerMinute,
  wrongTeacherKeysPerAddressPerMinute: SERVER_LIMITS.wrongTeacherKeysPerAddressPerMinute,
  trustedAddresses: SERVER_LIMITS.trustedAddresses,
};

/** The TCP peer's address, IPv4-mapped IPv6 shown as IPv4. Never a header: headers are the client's word. */
export function clientAddressOf(req: IncomingMessage): string {
  const raw = req.socket.remoteAddress ?? 'unknown';
  return raw.startsWith('::ffff:') && raw.includes('.') ? raw.slice('::ffff:'.length) : raw;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: Verdict = { ok: true };

function minutes(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}

export class AddressGuard {
  readonly limits: AddressLimits;
  private readonly sockets = new Map<string, number>();
  private readonly joins: RateLimiterMemory;
  private readonly newRoomCodes: RateLimiterMemory;
  private readonly wrongKeys: RateLimiterMemory;

  constructor(limits: Partial<AddressLimits> = {}) {
    this.limits = { ...DEFAULT_ADDRESS_LIMITS, ...limits };
    this.joins = new RateLimiterMemory({ points: this.limits.joinsPerAddressPerMinute, duration: 60 });
    this.newRoomCodes = new RateLimiterMemory({ points: this.limits.newRoomCodesPerAddressPerMinute, duration: 60 });
    this.wrongKeys = new RateLimiterMemory({ points: this.limits.wrongTeacherKeysPerAddressPerMinute, duration: 60 });
  }

  client(req: IncomingMessage): ClientAddress {
    const address = clientAddressOf(req);
    return { address, trusted: this.limits.trustedAddresses.includes(address) };
  }

  /** Open signaling sockets of an address right now. */
  openSockets(address: string): number {
    return this.sockets.get(address) ?? 0;
  }

  /** Counts one socket opening; refuses beyond the open-socket cap or the per-minute rate. */
  async opening(client: ClientAddress): Promise<Verdict> {
    if (client.trusted) return OK;
    if (this.openSockets(client.address) >= this.limits.socketsPerAddress) {
      return { ok: false, reason: `Too many connections from your device (${this.limits.socketsPerAddress}); close some tabs` };
    }
    return this.take(this.joins, client.address, (wait) => `Too many connection attempts from your device; try again in ${wait}`);
  }

  /** Counts one unknown room code (a new room, or a guess). */
  async unknownRoomCode(client: ClientAddress): Promise<Verdict> {
    if (client.trusted) return OK;
    return this.take(this.newRoomCodes, client.address, (wait) => `Too many unknown room codes from your device; check the code on the projector and try again in ${wait}`);
  }

  /** Whether this address may still try a teacher key (without counting a try). */
  async mayTryTeacherKey(client: ClientAddress): Promise<Verdict> {
    if (client.trusted) return OK;
    const state = await this.wrongKeys.get(client.address);
    if (state !== null && state.remainingPoints <= 0) {
      return { ok: false, reason: `Too many wrong teacher keys from your device; try again in ${minutes(state.msBeforeNext)}` };
    }
    return OK;
  }

  /** Counts a wrong teacher key. */
  async wrongTeacherKey(client: ClientAddress): Promise<void> {
    if (client.trusted) return;
    await this.take(this.wrongKeys, client.address, () => '');
  }

  /** A socket of `client` opened (counted) or closed (released). */
  socketOpened(client: ClientAddress): () => void {
    this.sockets.set(client.address, this.openSockets(client.address) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.openSockets(client.address) - 1;
      if (left <= 0) this.sockets.delete(client.address);
      else this.sockets.set(client.address, left);
    };
  }

  private async take(limiter: RateLimiterMemory, key: string, reason: (wait: string) => string): Promise<Verdict> {
    try {
      await limiter.consume(key);
      return OK;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return { ok: false, reason: reason(minutes(refusal.msBeforeNext)) };
      throw refusal;
    }
  }
}
