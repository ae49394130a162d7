/**
 * Random client histories that are linearizable by construction, for the checker's tests and
 * benchmark: every operation gets a linearization point inside [call, return], answers are what
 * the model gives when the operations are applied in the order of those points, and each
 * client's operations follow one another in real time. Seeded (src/core/prng.ts).
 */
import { Prng } from '../../../src/core/prng.ts';
import type { RegisterCommand } from '../../../src/core/register.ts';
import type { OrderCommand } from '../../../src/core/order-book.ts';
import type { HistoryOperation, StateMachine } from '../../../src/core/state-machine.ts';

export interface HistoryShape {
  readonly clients: number;
  readonly opsPerClient: number;
  /** Longest call→effect and effect→return delay, in time units. */
  readonly maxLatency: number;
  /** Chance that an operation never returns (its client stops there); it took effect with probability 1/2. */
  readonly pendingChance: number;
}

interface Planned<C> {
  readonly client: string;
  readonly call: number;
  readonly effect: number | undefined;
  readonly ret: number | undefined;
  readonly input: C;
}

export function randomHistory<S, C, R>(
  machine: StateMachine<S, C, R>,
  seed: number,
  shape: HistoryShape,
  command: (prng: Prng) => C,
): Array<HistoryOperation<C, R>> {
  const prng = Prng.fromSeed(seed);
  const planned: Array<Planned<C>> = [];
  for (let c = 0; c < shape.clients; c++) {
    let t = prng.int(0, shape.maxLatency);
    for (let k = 0; k < shape.opsPerClient; k++) {
      const call = t;
      const effect = call + prng.int(0, shape.maxLatency);
      const ret = effect + prng.int(0, shape.maxLatency);
      const input = command(prng);
      if (prng.chance(shape.pendingChance)) {
        planned.push({ client: `c${c + 1}`, call, effect: prng.chance(0.5) ? effect : undefined, ret: undefined, input });
        break;
      }
      planned.push({ client: `c${c + 1}`, call, effect, ret, input });
      t = ret + prng.int(1, shape.maxLatency);
    }
  }
  const order = planned.map((_, i) => i).filter((i) => planned[i]?.effect !== undefined);
  order.sort((a, b) => (planned[a]?.effect as number) - (planned[b]?.effect as number) || a - b);
  const outputs = new Map<number, R>();
  let state = machine.initial();
  for (const i of order) {
    const applied = machine.apply(state, (planned[i] as Planned<C>).input);
    state = applied.state;
    outputs.set(i, applied.result);
  }
  return planned.map((p, i) =>
    p.ret === undefined
      ? { client: p.client, call: p.call, input: p.input }
      : { client: p.client, call: p.call, return: p.ret, input: p.input, output: outputs.get(i) as R },
  );
}

/** Register commands over `keys` keys and small values, so cas sometimes succeeds. */
export function registerCommand(keys: number, values = 3): (prng: Prng) => RegisterCommand {
  return (prng) => {
    const key = `k${prng.int(1, keys)}`;
    const value = (): string => String(prng.int(1, values));
    const roll = prng.float();
    if (roll < 0.4) return { op: 'write', key, value: value() };
    if (roll < 0.8) return { op: 'read', key };
    return { op: 'cas', key, from: value(), to: value() };
  };
}

/** Order commands over `orders` orders: placements, then races of ship and cancel. */
export function orderCommand(orders: number): (prng: Prng) => OrderCommand {
  return (prng) => {
    const order = `o${prng.int(1, orders)}`;
    const roll = prng.float();
    if (roll < 0.34) return { op: 'place', order, item: prng.pick(['book', 'lamp', 'tea']) };
    return roll < 0.67 ? { op: 'ship', order } : { op: 'cancel', order };
  };
}
