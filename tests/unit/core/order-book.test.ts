import { describe, expect, it } from 'vitest';
import { MAX_ITEM_LENGTH, MAX_ORDERS, MAX_ORDER_ID_LENGTH } from '../../../src/limits.ts';
import { Prng } from '../../../src/core/prng.ts';
import { mintOrderId, orderBook, orderMinter, type OrderBook, type OrderCommand, type OrderResult } from '../../../src/core/order-book.ts';
import { commandText, entryText, orderNamer } from '../../../src/ui/book/book-model.ts';

const { apply, initial } = orderBook;

function run(commands: readonly OrderCommand[], from: OrderBook = initial()): { book: OrderBook; results: OrderResult[] } {
  let book = from;
  const results: OrderResult[] = [];
  for (const command of commands) {
    const applied = apply(book, command);
    book = applied.state;
    results.push(applied.result);
  }
  return { book, results };
}

function randomCommands(seed: number, count: number, orders: number): OrderCommand[] {
  const prng = Prng.fromSeed(seed);
  return Array.from({ length: count }, (): OrderCommand => {
    const order = `o${prng.int(1, orders)}`;
    const roll = prng.int(0, 2);
    return roll === 0 ? { op: 'place', order, item: prng.pick(['book', 'lamp']) } : roll === 1 ? { op: 'ship', order } : { op: 'cancel', order };
  });
}

/** An independent reference: a Map of statuses, written as the rules read. */
function reference(commands: readonly OrderCommand[]): string[] {
  const status = new Map<string, 'placed' | 'shipped' | 'cancelled'>();
  return commands.map((c) => {
    const now = status.get(c.order);
    if (c.op === 'place') {
      if (now !== undefined) return 'refused already-placed';
      status.set(c.order, 'placed');
      return 'placed';
    }
    if (now === undefined) return 'refused no-such-order';
    if (now !== 'placed') return `refused already-${now}`;
    const to = c.op === 'ship' ? 'shipped' : 'cancelled';
    status.set(c.order, to);
    return to;
  });
}

/** Frozen all the way down: any mutation by `apply` throws (modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const label = (r: OrderResult): string => (r.kind === 'refused' ? `refused ${r.reason}` : r.kind);

describe('order book', () => {
  it('a ship and a cancel of one order: the first wins, the loser gets a definite refusal', () => {
    const placed: OrderCommand = { op: 'place', order: 'A', item: 'book' };
    const shipFirst = run([placed, { op: 'ship', order: 'A' }, { op: 'cancel', order: 'A' }]);
    expect(shipFirst.results.map(label)).toEqual(['placed', 'shipped', 'refused already-shipped']);
    expect(shipFirst.book.orders.A).toEqual({ item: 'book', status: 'shipped' });
    const cancelFirst = run([placed, { op: 'cancel', order: 'A' }, { op: 'ship', order: 'A' }]);
    expect(cancelFirst.results.map(label)).toEqual(['placed', 'cancelled', 'refused already-cancelled']);
    expect(orderBook.describeResult(cancelFirst.results[2] as OrderResult)).toBe('refused: already cancelled');
  });

  it('refuses placing an existing order, and shipping or cancelling an unknown one, changing nothing', () => {
    const { book } = run([{ op: 'place', order: 'A', item: 'book' }]);
    for (const command of [
      { op: 'place', order: 'A', item: 'lamp' },
      { op: 'ship', order: 'B' },
      { op: 'cancel', order: 'B' },
    ] as const) {
      const applied = apply(book, command);
      expect(applied.result.kind).toBe('refused');
      expect(applied.state).toBe(book);
    }
    expect(apply(book, { op: 'place', order: 'A', item: 'lamp' }).result).toEqual({ kind: 'refused', reason: 'already-placed' });
  });

  it('matches an independent reference on seeded random command sequences, and never ships and cancels one order', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const commands = randomCommands(seed, 60, 5);
      const { book, results } = run(commands);
      expect(results.map(label), `seed ${seed}`).toEqual(reference(commands));
      // Each order has at most one successful placement and at most one successful ending.
      for (const order of Object.keys(book.orders)) {
        const endings = commands.filter((c, i) => c.order === order && c.op !== 'place' && results[i]?.kind !== 'refused');
        expect(endings.length, `seed ${seed} order ${order}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is pure and deterministic: the input is never modified and replays are equal', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const commands = randomCommands(seed, 40, 4);
      let book = initial();
      for (const command of commands) {
        const previous = deepFreeze(book);
        const before = JSON.stringify(previous);
        book = apply(previous, command).state;
        expect(JSON.stringify(previous)).toBe(before);
      }
      const replay = run(commands);
      expect(orderBook.equalState(book, replay.book)).toBe(true);
      expect(orderBook.stateKey(book)).toBe(orderBook.stateKey(replay.book));
    }
  });

  it('state keys do not depend on insertion order and do tell states apart', () => {
    const ab = run([{ op: 'place', order: 'A', item: 'x' }, { op: 'place', order: 'B', item: 'y' }]).book;
    const ba = run([{ op: 'place', order: 'B', item: 'y' }, { op: 'place', order: 'A', item: 'x' }]).book;
    expect(orderBook.equalState(ab, ba)).toBe(true);
    const shipped = apply(ab, { op: 'ship', order: 'A' }).state;
    expect(orderBook.equalState(ab, shipped)).toBe(false);
    // Quoting: an item containing the separators cannot imitate another book.
    const tricky = run([{ op: 'place', order: 'A', item: 'x":"y' }]).book;
    const plain = run([{ op: 'place', order: 'A', item: 'x' }]).book;
    expect(orderBook.stateKey(tricky)).not.toBe(orderBook.stateKey(plain));
  });

  it('is bounded: placing beyond MAX_ORDERS is refused as book-full, which crosses partitions', () => {
    const commands: OrderCommand[] = Array.from({ length: MAX_ORDERS }, (_, i) => ({ op: 'place', order: `o${i}`, item: 'x' }));
    const { book } = run(commands);
    const full = apply(book, { op: 'place', order: 'extra', item: 'x' });
    expect(full.result).toEqual({ kind: 'refused', reason: 'book-full' });
    expect(full.state).toBe(book);
    expect(orderBook.resultCrossesPartitions?.(full.result)).toBe(true);
    expect(orderBook.resultCrossesPartitions?.({ kind: 'placed' })).toBe(false);
    // An existing order still ships when the book is full.
    expect(apply(book, { op: 'ship', order: 'o1' }).result).toEqual({ kind: 'shipped' });
  });

  it('treats ids like "__proto__" and "constructor" as ordinary orders', () => {
    const { book, results } = run([
      { op: 'ship', order: 'constructor' },
      { op: 'place', order: '__proto__', item: 'x' },
      { op: 'ship', order: '__proto__' },
    ]);
    expect(results.map(label)).toEqual(['refused no-such-order', 'placed', 'shipped']);
    expect(Object.keys(book.orders)).toEqual(['__proto__']);
    expect(orderBook.parseState(JSON.parse(JSON.stringify(book)))).toEqual(book);
  });

  it('validates commands with a reason', () => {
    expect(orderBook.parseCommand({ op: 'ship', order: 'A' })).toEqual({ op: 'ship', order: 'A' });
    expect(orderBook.parseCommand({ op: 'place', order: 'A', item: 'book', extra: 1 })).toEqual({ op: 'place', order: 'A', item: 'book' });
    const bad: Array<[unknown, RegExp]> = [
      [null, /object/],
      [{ op: 'refund', order: 'A' }, /op must be/],
      [{ op: 'ship' }, /order must be/],
      [{ op: 'ship', order: '' }, /order must be/],
      [{ op: 'ship', order: 'x'.repeat(MAX_ORDER_ID_LENGTH + 1) }, /order must be/],
      [{ op: 'place', order: 'A' }, /item must be/],
      [{ op: 'place', order: 'A', item: 'x'.repeat(MAX_ITEM_LENGTH + 1) }, /item must be/],
    ];
    for (const [raw, reason] of bad) {
      const checked = orderBook.checkCommand(raw);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.error).toMatch(reason);
      expect(orderBook.parseCommand(raw)).toBeUndefined();
    }
  });

  it('round-trips results and states through JSON, and refuses malformed ones', () => {
    const { book, results } = run(randomCommands(3, 40, 4));
    expect(orderBook.parseState(JSON.parse(JSON.stringify(book)))).toEqual(book);
    for (const result of results) expect(orderBook.parseResult(JSON.parse(JSON.stringify(result)))).toEqual(result);
    expect(orderBook.parseResult({ kind: 'refused', reason: 'because' })).toBeUndefined();
    expect(orderBook.parseResult({ kind: 'lost' })).toBeUndefined();
    expect(orderBook.parseState({ orders: { A: { item: 'x', status: 'lost' } } })).toBeUndefined();
    expect(orderBook.parseState({ orders: { A: { status: 'placed' } } })).toBeUndefined();
    expect(orderBook.parseState({ orders: [] })).toBeUndefined();
    const tooMany = Object.fromEntries(Array.from({ length: MAX_ORDERS + 1 }, (_, i) => [`o${i}`, { item: 'x', status: 'placed' }]));
    expect(orderBook.parseState({ orders: tooMany })).toBeUndefined();
  });

  it('describes commands and answers for the projector', () => {
    expect(orderBook.describe({ op: 'place', order: 'A', item: 'book' })).toBe('place A (book)');
    expect(orderBook.describe({ op: 'cancel', order: 'A' })).toBe('cancel A');
    expect(orderBook.describeResult({ kind: 'shipped' })).toBe('shipped');
    expect(orderBook.partitionKey?.({ op: 'cancel', order: 'A' })).toBe('A');
  });
});

describe('order ids a phone mints, and how pages name them', () => {
  const members = ['k3v9q2abXYZ', 'p0m1n2b3QRS', 'p0m1n2b3TUV'];

  it('mints a valid, bounded id from the node id and the seq, and finds its minter among the members', () => {
    const id = mintOrderId('k3v9q2abXYZ', 4);
    expect(id).toBe('k3v9q2ab-4');
    expect(orderBook.parseCommand({ op: 'place', order: mintOrderId('x'.repeat(64), 9_999_999), item: 'mug' })).toBeDefined();
    expect(orderMinter(members)(id)).toEqual({ member: 'k3v9q2abXYZ', seq: 4 });
    // Short node ids (tests, the simulator) mint short prefixes.
    expect(orderMinter(['n1', 'n2'])(mintOrderId('n2', 7))).toEqual({ member: 'n2', seq: 7 });
  });

  it('names nobody for ids it did not mint, unknown or ambiguous prefixes, or a seq that is not a number', () => {
    expect(orderMinter(members)('A')).toBeUndefined();
    expect(orderMinter(members)('order-17')).toBeUndefined(); // no member begins with "order"
    expect(orderMinter(members)('p0m1n2b3-2')).toBeUndefined(); // two members share the prefix
    expect(orderMinter(members)('k3v9q2ab-x')).toBeUndefined();
    expect(orderMinter(members)('k3v9q2ab-')).toBeUndefined();
    expect(orderMinter(members)('-4')).toBeUndefined();
    expect(orderMinter(members)('k3v9q2abX-4')).toBeUndefined(); // a prefix longer than minted ones
    expect(orderMinter(members)('k3v9q2ab-4x')).toBeUndefined();
    expect(orderMinter(members)('k3v9q2ab-x4')).toBeUndefined();
    expect(orderMinter(['12345678XY'])('123456789')).toBeUndefined(); // no dash, digits that look like a prefix and a seq
  });

  it('finds one-character prefixes and many-digit seqs', () => {
    expect(orderMinter(['n', 'm'])(mintOrderId('n', 12))).toEqual({ member: 'n', seq: 12 });
  });

  it('reads an order as its student and number, in rows and commands alike; other ids and registers as they are', () => {
    const name = orderNamer(members, (m) => (m === 'k3v9q2abXYZ' ? 'Ada' : 'Bo'));
    expect(name('k3v9q2ab-4')).toBe('Ada #4');
    expect(name('A')).toBe('A');
    expect(commandText('orders', { op: 'ship', order: 'k3v9q2ab-4' }, name)).toBe('ship Ada #4');
    expect(commandText('orders', { op: 'place', order: 'k3v9q2ab-5', item: 'lamp' }, name)).toBe('place Ada #5 (lamp)');
    expect(commandText('orders', { op: 'ship', order: 'k3v9q2ab-4' })).toBe('ship k3v9q2ab-4');
    expect(commandText('orders', { op: 'fly' }, name)).toBe('unreadable command');
    expect(entryText('orders', { kind: 'noop' }, name)).toBe('no-op');
    expect(entryText('orders', { kind: 'command', client: 'c', seq: 1, command: { op: 'cancel', order: 'k3v9q2ab-4' } }, name)).toBe('cancel Ada #4');
    expect(commandText('register', { op: 'write', key: 'k3v9q2ab-4', value: 'v' }, name)).not.toContain('Ada');
  });
});
