/**
 * A tiny seeded PRNG (mulberry32) whose state is a plain number, so it can live in an XState
 * context or a simulator and be advanced purely: `next(state) -> [float in [0,1), newState]`.
 * Deterministic across platforms (32-bit integer arithmetic only).
 */
export type PrngState = number;

export function seedPrng(seed: number): PrngState {
  // Mix the seed so that consecutive seeds (1, 2, 3...) give unrelated streams.
  let s = (seed ^ 0x9e3779b9) >>> 0;
  s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
  s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
  return (s ^ (s >>> 16)) >>> 0;
}

export function nextFloat(state: PrngState): [number, PrngState] {
  const nextState = (state + 0x6d2b79f5) >>> 0;
  let t = nextState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return [value, nextState];
}

/** Integer in [min, max], inclusive. */
export function nextInt(state: PrngState, min: number, max: number): [number, PrngState] {
  const [f, s] = nextFloat(state);
  return [min + Math.floor(f * (max - min + 1)), s];
}

/** A mutable convenience wrapper for hosts (simulator), which own their PRNG. */
export class Prng {
  constructor(private state: PrngState) {}
  static fromSeed(seed: number): Prng {
    return new Prng(seedPrng(seed));
  }
  float(): number {
    const [v, s] = nextFloat(this.state);
    this.state = s;
    return v;
  }
  int(min: number, max: number): number {
    const [v, s] = nextInt(this.state, min, max);
    this.state = s;
    return v;
  }
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)] as T;
  }
}
