/**
 * Debugging only: what the transport's dial code saw, for a tracer to join with its own record
 * of each handshake (src/robots/dial-trace.ts, CP_DEBUG_DIALS). Unset, nothing is collected.
 */
import type { PeerId } from './types.ts';

export interface DialDebugEvent {
  readonly kind: 'dial' | 'open' | 'timeout' | 'error' | 'close';
  readonly self: PeerId;
  readonly peer: PeerId;
  /** PeerJS's connection id: the same on both ends of one handshake. */
  readonly connectionId: string;
  readonly ageMs: number;
  readonly detail?: string;
}

let observer: ((event: DialDebugEvent) => void) | undefined;

/** Installs the one observer (a tracer); replaces any earlier one. */
export function observeDials(next: ((event: DialDebugEvent) => void) | undefined): void {
  observer = next;
}

export function dialDebug(event: DialDebugEvent): void {
  observer?.(event);
}

export function dialDebugEnabled(): boolean {
  return observer !== undefined;
}
