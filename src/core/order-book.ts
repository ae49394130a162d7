/**
 * The story's order book as a replicated state machine: orders are placed, then either shipped
 * or cancelled, never both. When a ship and a cancel of one order race, the log orders them and
 * the later one gets a definite refusal ("already shipped" / "already cancelled"), the same on
 * every replica. Pure and bounded (MAX_ORDERS, MAX_ORDER_ID_LENGTH, MAX_ITEM_LENGTH).
 */
import { MAX_ITEM_LENGTH, MAX_ORDERS, MAX_ORDER_ID_LENGTH } from '../limits.ts';
import { assertNever } from './assert.ts';
import { defineOwn, ownEntry, withOwnEntry, type Applied, type Parsed, type StateMachine } from './state-machine.ts';
import { isBoundedString, isRecord } from './validate.ts';

export type OrderId = string;
export type OrderStatus = 'placed' | 'shipped' | 'cancelled';

export interface Order {
  readonly item: string;
  readonly status: OrderStatus;
}

/** Every order ever placed, shipped and cancelled ones included (they are the lesson's evidence). */
export interface OrderBook {
  readonly orders: Readonly<Record<OrderId, Order>>;
}

export type OrderCommand =
  | { readonly op: 'place'; readonly order: OrderId; readonly item: string }
  | { readonly op: 'ship'; readonly order: OrderId }
  | { readonly op: 'cancel'; readonly order: OrderId };

/** Why a command changed nothing. */
export type OrderRefusal = 'already-placed' | 'already-shipped' | 'already-cancelled' | 'no-such-order' | 'book-full';

export type OrderResult =
  | { readonly kind: 'placed' }
  | { readonly kind: 'shipped' }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'refused'; readonly reason: OrderRefusal };

const STATUSES: readonly OrderStatus[] = ['placed', 'shipped', 'cancelled'];
const REFUSALS: readonly OrderRefusal[] = ['already-placed', 'already-shipped', 'already-cancelled', 'no-such-order', 'book-full'];

function refused(reason: OrderRefusal): OrderResult {
  return { kind: 'refused', reason };
}

function countOrders(book: OrderBook): number {
  return Object.keys(book.orders).length;
}

function place(book: OrderBook, order: OrderId, item: string): Applied<OrderBook, OrderResult> {
  if (ownEntry(book.orders, order) !== undefined) return { state: book, result: refused('already-placed') };
  // Counting is O(orders), bounded by MAX_ORDERS; only placements pay it.
  if (countOrders(book) >= MAX_ORDERS) return { state: book, result: refused('book-full') };
  return { state: { orders: withOwnEntry(book.orders, order, { item, status: 'placed' }) }, result: { kind: 'placed' } };
}

/** Ship or cancel: only a placed order moves, and only once. */
function finish(book: OrderBook, order: OrderId, to: 'shipped' | 'cancelled'): Applied<OrderBook, OrderResult> {
  const current = ownEntry(book.orders, order);
  if (current === undefined) return { state: book, result: refused('no-such-order') };
  switch (current.status) {
    case 'shipped':
      return { state: book, result: refused('already-shipped') };
    case 'cancelled':
      return { state: book, result: refused('already-cancelled') };
    case 'placed':
      return { state: { orders: withOwnEntry(book.orders, order, { item: current.item, status: to }) }, result: { kind: to } };
    default:
      return assertNever(current.status, 'order status');
  }
}

function applyOrder(book: OrderBook, command: OrderCommand): Applied<OrderBook, OrderResult> {
  switch (command.op) {
    case 'place':
      return place(book, command.order, command.item);
    case 'ship':
      return finish(book, command.order, 'shipped');
    case 'cancel':
      return finish(book, command.order, 'cancelled');
    default:
      return assertNever(command, 'order command');
  }
}

/**
 * A phone's order ids: the first ORDER_ID_NODE_CHARS characters of its node id, a dash, and its
 * next command seq ("k3v9q2ab-4"). Unique in the room without a round trip (node ids are random,
 * a phone never reuses a seq), and within MAX_ORDER_ID_LENGTH (16) for seqs below 10^7: at
 * LIVE_COMMANDS_PER_MINUTE a phone needs 58 days of pressing to get there.
 */
const ORDER_ID_NODE_CHARS = 8;

export function mintOrderId(node: string, seq: number): OrderId {
  return `${node.slice(0, ORDER_ID_NODE_CHARS)}-${seq}`;
}

/**
 * Which member minted an order id (mintOrderId), and its seq: the one member whose id begins with
 * the id's prefix; undefined for other ids (a scenario's "A"), an unknown or ambiguous prefix.
 * The members' prefixes are indexed once, so a page naming every order of every tile asks a map.
 */
export function orderMinter(members: readonly string[]): (order: OrderId) => { readonly member: string; readonly seq: number } | undefined {
  // A prefix two members share names nobody (null).
  const byPrefix = new Map<string, string | null>();
  for (const member of members) {
    const prefix = member.slice(0, ORDER_ID_NODE_CHARS);
    byPrefix.set(prefix, byPrefix.has(prefix) ? null : member);
  }
  return (order) => {
    const dash = order.lastIndexOf('-');
    // No dash, or nothing before it; a prefix longer than minted ones finds no entry below.
    if (dash < 1) return undefined;
    const member = byPrefix.get(order.slice(0, dash));
    const seqText = order.slice(dash + 1);
    if (member == null || !/^\d{1,9}$/.test(seqText)) return undefined;
    return { member, seq: Number(seqText) };
  };
}

function isOrderId(raw: unknown): raw is OrderId {
  return isBoundedString(raw, MAX_ORDER_ID_LENGTH);
}

function checkOrderCommand(raw: unknown): Parsed<OrderCommand> {
  if (!isRecord(raw)) return { ok: false, error: 'an order command must be an object such as {"op": "ship", "order": "A"}' };
  const { op, order, item } = raw;
  if (op !== 'place' && op !== 'ship' && op !== 'cancel') return { ok: false, error: 'op must be "place", "ship" or "cancel"' };
  if (!isOrderId(order)) return { ok: false, error: `order must be a string of 1 to ${MAX_ORDER_ID_LENGTH} characters` };
  if (op !== 'place') return { ok: true, value: { op, order } };
  if (!isBoundedString(item, MAX_ITEM_LENGTH)) return { ok: false, error: `item must be a string of 1 to ${MAX_ITEM_LENGTH} characters` };
  return { ok: true, value: { op, order, item } };
}

function parseOrderResult(raw: unknown): OrderResult | undefined {
  if (!isRecord(raw)) return undefined;
  const { kind, reason } = raw;
  if (kind === 'placed' || kind === 'shipped' || kind === 'cancelled') return { kind };
  if (kind === 'refused' && REFUSALS.includes(reason as OrderRefusal)) return refused(reason as OrderRefusal);
  return undefined;
}

function parseOrder(raw: unknown): Order | undefined {
  if (!isRecord(raw) || !isBoundedString(raw.item, MAX_ITEM_LENGTH)) return undefined;
  const status = STATUSES.find((s) => s === raw.status);
  return status === undefined ? undefined : { item: raw.item, status };
}

function parseOrderBook(raw: unknown): OrderBook | undefined {
  if (!isRecord(raw) || !isRecord(raw.orders)) return undefined;
  const ids = Object.keys(raw.orders);
  if (ids.length > MAX_ORDERS) return undefined;
  const orders: Record<OrderId, Order> = {};
  for (const id of ids) {
    const order = parseOrder(raw.orders[id]);
    if (!isOrderId(id) || order === undefined) return undefined;
    defineOwn(orders, id, order);
  }
  return { orders };
}

/** `"id":"item":status,` per order in id order; JSON quoting keeps it unambiguous. Hot in the linearizability search. */
function orderBookKey(book: OrderBook): string {
  const ids = Object.keys(book.orders);
  if (ids.length > 1) ids.sort();
  let key = '';
  for (const id of ids) {
    const order = book.orders[id] as Order;
    key += `${JSON.stringify(id)}:${JSON.stringify(order.item)}:${order.status},`;
  }
  return key;
}

function describeOrder(command: OrderCommand): string {
  return command.op === 'place' ? `place ${command.order} (${command.item})` : `${command.op} ${command.order}`;
}

function describeOrderResult(result: OrderResult): string {
  return result.kind === 'refused' ? `refused: ${result.reason.replace(/-/g, ' ')}` : result.kind;
}

function equalOrderResult(a: OrderResult, b: OrderResult): boolean {
  if (a.kind === 'refused' || b.kind === 'refused') return a.kind === 'refused' && b.kind === 'refused' && a.reason === b.reason;
  return a.kind === b.kind;
}

export const orderBook: StateMachine<OrderBook, OrderCommand, OrderResult> = {
  name: 'orders',
  initial: () => ({ orders: {} }),
  apply: applyOrder,
  parseCommand: (raw) => {
    const parsed = checkOrderCommand(raw);
    return parsed.ok ? parsed.value : undefined;
  },
  checkCommand: checkOrderCommand,
  parseResult: parseOrderResult,
  parseState: parseOrderBook,
  describe: describeOrder,
  describeResult: describeOrderResult,
  equalState: (a, b) => orderBookKey(a) === orderBookKey(b),
  equalResult: equalOrderResult,
  stateKey: orderBookKey,
  partitionKey: (command) => command.order,
  resultCrossesPartitions: (result) => result.kind === 'refused' && result.reason === 'book-full',
};
