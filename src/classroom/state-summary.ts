/**
 * A replica's state as its projector tile shows it: a digest of the whole state (equal states
 * give equal digests, so "every order book identical" is visible at a glance and checkable), its
 * size, and its newest rows. Typed rows, never labels the UI must parse.
 */
import { assertNever } from '../core/assert.ts';
import type { OrderBook } from '../core/order-book.ts';
import type { Registers } from '../core/register.ts';
import type { StateMachineName } from '../core/state-machine.ts';
import { stateMachineNamed } from '../core/state-machines.ts';
import { LIVE_REPORT_STATE_ROWS } from '../limits.ts';
import type { StateRow } from './log-protocol.ts';

export interface StateSummary {
  readonly digest: string;
  readonly size: number;
  readonly rows: readonly StateRow[];
}

/** FNV-1a, 32 bits, as 8 hex digits: a fingerprint for the eye and the tests, not a MAC. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** Every row of a state, in insertion order (orders: the order they were placed). */
export function stateRows(name: StateMachineName, state: unknown): StateRow[] {
  switch (name) {
    case 'orders':
      return Object.entries((state as OrderBook).orders).map(([id, order]) => ({ id, text: order.item, status: order.status }));
    case 'register':
      return Object.entries((state as Registers).values).map(([id, value]) => ({ id, text: value }));
    default:
      return assertNever(name, 'state machine');
  }
}

export function summarizeState(name: StateMachineName, state: unknown): StateSummary {
  const machine = stateMachineNamed(name) as { stateKey(s: unknown): string };
  const rows = stateRows(name, state);
  return { digest: fnv1a(machine.stateKey(state)), size: rows.length, rows: rows.slice(-LIVE_REPORT_STATE_ROWS) };
}
