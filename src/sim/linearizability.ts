/**
 * Linearizability of a client-visible history against a `StateMachine` model.
 *
 * A history is linearizable when every operation can be given one instant between its call and
 * its return such that applying the operations in the order of those instants, from the model's
 * initial state, gives every completed operation the answer its client saw. Operations that never
 * returned may or may not have taken effect: they are treated as returning at infinity with any
 * answer (placing one after everything else is the same as it never happening).
 *
 * The search is Wing & Gong's with Lowe's memoization, as in Porcupine:
 * - every call and return becomes an event, sorted by time, calls before returns on equal times
 *   (an operation that returns at t and one called at t may be ordered either way), kept in a
 *   doubly linked list;
 * - walking the list, at a call whose operation the model accepts in the current state, the
 *   operation is linearized: pushed on a stack, its call and return unlinked, the walk restarted
 *   from the head; unless the pair (set of linearized operations, resulting state) was already
 *   explored, in which case that branch is known to fail and the walk moves on;
 * - reaching a return means that operation should already have been linearized: backtrack (pop,
 *   relink, try the next call after it). An empty stack there means no order exists.
 * The search ends with "linearizable" as soon as every completed operation is linearized (the
 * pending ones left can all go at the end).
 *
 * Partitions: with a model that has `partitionKey`, each key's operations are checked on their
 * own (exponentially cheaper), unless some answer depended on other keys
 * (`resultCrossesPartitions`), in which case the history is checked whole.
 *
 * Budget: a step is one move of the walk, plus one per LIN_STATE_CHARS_PER_STEP characters of
 * state key hashed and per LIN_OPS_PER_STEP operations in the linearized set, so that the step
 * budget tracks time even when a history is checked whole over a large state. Past `maxSteps`
 * (or the injected clock's deadline) the answer is 'unknown' rather than a hang. Steps count
 * across partitions; partitions are checked smallest first so a budget cut leaves as many of
 * them decided as possible.
 */
import {
  LIN_CLOCK_CHECK_EVERY_STEPS,
  LIN_DEFAULT_MAX_STEPS,
  LIN_MAX_COUNTEREXAMPLE_OPERATIONS,
  LIN_MAX_HISTORY_OPERATIONS,
  LIN_OPS_PER_STEP,
  LIN_STATE_CHARS_PER_STEP,
} from '../limits.ts';
import { nextFloat, seedPrng } from '../core/prng.ts';
import { isCompleted, type HistoryOperation, type StateMachine } from '../core/state-machine.ts';

export interface LinearizabilityOptions {
  /** Search steps across all partitions before answering 'unknown'. Default LIN_DEFAULT_MAX_STEPS. */
  readonly maxSteps?: number;
  /**
   * A wall-clock budget as well: `now` is injected (e.g. `performance.now` in the CLI, a fake in
   * tests), so the checker itself never reads a clock.
   */
  readonly deadline?: { readonly now: () => number; readonly budgetMs: number };
  /** Check per `partitionKey` (default true when the model has one). */
  readonly partition?: boolean;
}

/** Where the search got furthest in the partition that has no linearization. */
export interface LinearizabilityCounterexample<C, R> {
  /** The partition's key, or null when the history was checked whole. */
  readonly partition: string | null;
  /** Operations in that partition. */
  readonly operations: number;
  /**
   * The longest order of operations the search found consistent with the model and the real-time
   * order (the last LIN_MAX_COUNTEREXAMPLE_OPERATIONS of it).
   */
  readonly linearized: ReadonlyArray<HistoryOperation<C, R>>;
  /** How many operations the longest order had (`linearized` may show only its end). */
  readonly linearizedCount: number;
  /**
   * An operation that returned before it could be placed after `linearized`: no completed
   * operation left could come next and still get the answer its client saw.
   */
  readonly stuck: HistoryOperation<C, R> | undefined;
  /** `stateKey` of the model's state after `linearized`. */
  readonly stateAfter: string;
}

export interface LinearizabilityReport<C, R> {
  readonly result: true | false | 'unknown';
  /** Partitions the history split into (1 when checked whole). */
  readonly partitions: number;
  /** Partitions decided (linearizable or not) before the answer; the rest ran out of budget or were skipped. */
  readonly partitionsChecked: number;
  /** Search steps taken in all (weighted as described at the top of this file). */
  readonly steps: number;
  readonly operations: number;
  /** Present when result is false. */
  readonly counterexample?: LinearizabilityCounterexample<C, R>;
  /** Key of the partition the budget ran out in (null: the whole history), when result is 'unknown'. */
  readonly unknownPartition?: string | null;
}

interface Partition<C, R> {
  readonly key: string | null;
  readonly operations: ReadonlyArray<HistoryOperation<C, R>>;
}

/** Mutable budget shared by the partitions of one check. */
interface Budget {
  steps: number;
  /** Moves of the walk, for reading the clock every LIN_CLOCK_CHECK_EVERY_STEPS of them. */
  moves: number;
  readonly maxSteps: number;
  readonly deadline: LinearizabilityOptions['deadline'];
  readonly startedAt: number;
}

type PartitionOutcome<C, R> =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'not-linearizable'; readonly counterexample: LinearizabilityCounterexample<C, R> }
  | { readonly kind: 'unknown' };

export function checkLinearizability<S, C, R>(
  machine: StateMachine<S, C, R>,
  history: ReadonlyArray<HistoryOperation<C, R>>,
  options: LinearizabilityOptions = {},
): LinearizabilityReport<C, R> {
  validateHistory(history);
  const partitions = partitionHistory(machine, history, options.partition ?? true);
  const budget: Budget = {
    steps: 0,
    moves: 0,
    maxSteps: options.maxSteps ?? LIN_DEFAULT_MAX_STEPS,
    deadline: options.deadline,
    startedAt: options.deadline === undefined ? 0 : options.deadline.now(),
  };
  const base = { partitions: partitions.length, operations: history.length };
  let checked = 0;
  let unknownPartition: string | null | undefined;
  for (const partition of partitions) {
    const outcome = checkPartition(machine, partition, budget);
    if (outcome.kind === 'not-linearizable') {
      return { ...base, result: false, partitionsChecked: checked + 1, steps: budget.steps, counterexample: outcome.counterexample };
    }
    if (outcome.kind === 'unknown') {
      // Later partitions are still searched while budget remains: any of them may be a definite 'false'.
      if (unknownPartition === undefined) unknownPartition = partition.key;
      continue;
    }
    checked++;
  }
  if (unknownPartition !== undefined) return { ...base, result: 'unknown', partitionsChecked: checked, steps: budget.steps, unknownPartition };
  return { ...base, result: true, partitionsChecked: checked, steps: budget.steps };
}

function validateHistory<C, R>(history: ReadonlyArray<HistoryOperation<C, R>>): void {
  history.forEach((op, i) => {
    if (!Number.isFinite(op.call)) throw new RangeError(`history operation ${i}: call time must be a finite number, got ${String(op.call)}`);
    if (op.return === undefined) return;
    if (!Number.isFinite(op.return)) throw new RangeError(`history operation ${i}: return time must be a finite number or absent (pending)`);
    if (op.return < op.call) throw new RangeError(`history operation ${i}: returns at ${op.return}, before its call at ${op.call}`);
  });
}

/** Split per key (smallest partition first), or keep whole when splitting would be unsound. */
function partitionHistory<S, C, R>(
  machine: StateMachine<S, C, R>,
  history: ReadonlyArray<HistoryOperation<C, R>>,
  wanted: boolean,
): Array<Partition<C, R>> {
  const keyOf = machine.partitionKey;
  const crosses = machine.resultCrossesPartitions;
  const sound = keyOf !== undefined && !history.some((op) => isCompleted(op) && crosses !== undefined && crosses(op.output));
  if (!wanted || !sound || keyOf === undefined) return [{ key: null, operations: history }];
  const byKey = new Map<string, Array<HistoryOperation<C, R>>>();
  for (const op of history) {
    const key = keyOf(op.input);
    const ops = byKey.get(key);
    if (ops === undefined) byKey.set(key, [op]);
    else ops.push(op);
  }
  return [...byKey.entries()]
    .map(([key, operations]) => ({ key, operations }))
    .sort((a, b) => a.operations.length - b.operations.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The event list as arrays (dancing links): node 0 is the head, node 2i+1 the call of operation
 * i and 2i+2 its return; NIL ends the list.
 */
const NIL = -1;
const HEAD = 0;
const callNode = (op: number): number => 2 * op + 1;
const opOfNode = (node: number): number => (node - 1) >> 1;
const isCallNode = (node: number): boolean => (node & 1) === 1;

interface EventList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
}

function buildEventList<C, R>(ops: ReadonlyArray<HistoryOperation<C, R>>): EventList {
  const nodes: number[] = [];
  for (let i = 0; i < ops.length; i++) nodes.push(callNode(i), callNode(i) + 1);
  const timeOf = (node: number): number => {
    const op = ops[opOfNode(node)] as HistoryOperation<C, R>;
    return isCallNode(node) ? op.call : (op.return ?? Infinity);
  };
  // Time, then calls before returns (ties are concurrency), then operation order for determinism.
  nodes.sort((a, b) => timeOf(a) - timeOf(b) || (isCallNode(b) ? 1 : 0) - (isCallNode(a) ? 1 : 0) || a - b);
  const size = 2 * ops.length + 1;
  const next = new Int32Array(size).fill(NIL);
  const prev = new Int32Array(size).fill(NIL);
  let last = HEAD;
  for (const node of nodes) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  return { next, prev };
}

/** Unlink one node; `relink` puts it back (dancing links: undo in the reverse order). */
function unlink(list: EventList, node: number): void {
  const before = list.prev[node] as number;
  const after = list.next[node] as number;
  list.next[before] = after;
  if (after !== NIL) list.prev[after] = before;
}

function relink(list: EventList, node: number): void {
  const before = list.prev[node] as number;
  const after = list.next[node] as number;
  list.next[before] = node;
  if (after !== NIL) list.prev[after] = node;
}

/** Unlink an operation's call and return (its return is always after its call). */
function lift(list: EventList, call: number): void {
  unlink(list, call);
  unlink(list, call + 1);
}

function unlift(list: EventList, call: number): void {
  relink(list, call + 1);
  relink(list, call);
}

/**
 * The set of linearized operations as a bitset, with an incremental hash (Zobrist: one fixed
 * pseudo-random word per operation, xor-ed in and out) so the memo never rebuilds a key.
 */
class OpSet {
  readonly words: Uint32Array;
  hash = 0;
  constructor(private readonly zobrist: Int32Array) {
    this.words = new Uint32Array(Math.ceil(zobrist.length / 32));
  }
  add(op: number): void {
    this.words[op >>> 5] = (this.words[op >>> 5] as number) | (1 << (op & 31));
    this.hash ^= this.zobrist[op] as number;
  }
  remove(op: number): void {
    this.words[op >>> 5] = (this.words[op >>> 5] as number) & ~(1 << (op & 31));
    this.hash ^= this.zobrist[op] as number;
  }
}

/** Deterministic per-operation hash words (no Math.random: a check is a pure function of its input). */
function zobristWords(size: number): Int32Array {
  const words = new Int32Array(size);
  let prng = seedPrng(size);
  for (let i = 0; i < size; i++) {
    const [value, next] = nextFloat(prng);
    prng = next;
    words[i] = (value * 4294967296) | 0;
  }
  return words;
}

interface Explored {
  readonly state: number;
  readonly words: Uint32Array;
}

/**
 * Lowe's memo: the (linearized set, state) pairs already explored. States are interned to small
 * numbers by their `stateKey`; pairs are bucketed by a hash of both and compared exactly.
 */
class Memo {
  private readonly stateIds = new Map<string, number>();
  private readonly buckets = new Map<number, Explored[]>();

  stateId(key: string): number {
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.stateIds.size;
      this.stateIds.set(key, id);
    }
    return id;
  }

  /** Records `set ∪ {op}` with `state`; false when that pair was explored already. */
  addIfNew(set: OpSet, op: number, opHash: number, state: number): boolean {
    const hash = (set.hash ^ opHash ^ Math.imul(state + 1, 0x9e3779b1)) | 0;
    const word = op >>> 5;
    const bit = 1 << (op & 31);
    const bucket = this.buckets.get(hash);
    if (bucket !== undefined) {
      for (const entry of bucket) if (entry.state === state && sameWithBit(entry.words, set.words, word, bit)) return false;
    }
    const words = set.words.slice();
    words[word] = (words[word] as number) | bit;
    if (bucket === undefined) this.buckets.set(hash, [{ state, words }]);
    else bucket.push({ state, words });
    return true;
  }
}

function sameWithBit(stored: Uint32Array, current: Uint32Array, word: number, bit: number): boolean {
  for (let i = 0; i < stored.length; i++) {
    const bits = i === word ? (current[i] as number) | bit : (current[i] as number);
    if ((stored[i] as number) !== bits >>> 0) return false;
  }
  return true;
}

function outOfBudget(budget: Budget): boolean {
  if (budget.steps >= budget.maxSteps) return true;
  const deadline = budget.deadline;
  if (deadline === undefined || budget.moves % LIN_CLOCK_CHECK_EVERY_STEPS !== 0) return false;
  return deadline.now() - budget.startedAt >= deadline.budgetMs;
}

interface Frame<S> {
  readonly call: number;
  /** The state before this operation was applied (restored on backtrack). */
  readonly before: S;
}

function checkPartition<S, C, R>(machine: StateMachine<S, C, R>, partition: Partition<C, R>, budget: Budget): PartitionOutcome<C, R> {
  const ops = partition.operations;
  const list = buildEventList(ops);
  const zobrist = zobristWords(ops.length);
  const linearized = new OpSet(zobrist);
  const memo = new Memo();
  const stack: Array<Frame<S>> = [];
  let completedLeft = ops.reduce((n, op) => n + (isCompleted(op) ? 1 : 0), 0);
  let state = machine.initial();
  let deepest = { depth: -1, calls: [] as number[], stuck: undefined as number | undefined, stateKey: machine.stateKey(state) };
  let node = list.next[HEAD] as number;
  // Comparing and copying linearized sets grows with the partition's size.
  const moveCost = 1 + Math.floor(ops.length / LIN_OPS_PER_STEP);

  // While a completed operation is unlinearized its return is still linked, so the walk meets
  // a return before the end of the list: `node` is never NIL inside this loop.
  while (completedLeft > 0) {
    if (outOfBudget(budget)) return { kind: 'unknown' };
    budget.moves++;
    budget.steps += moveCost;
    if (isCallNode(node)) {
      const op = opOfNode(node);
      const operation = ops[op] as HistoryOperation<C, R>;
      const applied = machine.apply(state, operation.input);
      const accepted = !isCompleted(operation) || machine.equalResult(applied.result, operation.output);
      const stateKey = accepted ? machine.stateKey(applied.state) : '';
      budget.steps += Math.floor(stateKey.length / LIN_STATE_CHARS_PER_STEP);
      if (accepted && memo.addIfNew(linearized, op, zobrist[op] as number, memo.stateId(stateKey))) {
        stack.push({ call: node, before: state });
        state = applied.state;
        linearized.add(op);
        if (isCompleted(operation)) completedLeft--;
        lift(list, node);
        node = list.next[HEAD] as number;
      } else {
        node = list.next[node] as number;
      }
      continue;
    }
    // A return: its operation should have been linearized by now.
    if (stack.length > deepest.depth) {
      deepest = { depth: stack.length, calls: stack.map((f) => f.call), stuck: opOfNode(node), stateKey: machine.stateKey(state) };
    }
    const frame = stack.pop();
    if (frame === undefined) return { kind: 'not-linearizable', counterexample: counterexampleOf(partition, deepest) };
    const op = opOfNode(frame.call);
    state = frame.before;
    linearized.remove(op);
    if (isCompleted(ops[op] as HistoryOperation<C, R>)) completedLeft++;
    unlift(list, frame.call);
    node = list.next[frame.call] as number;
  }
  return { kind: 'linearizable' };
}

function counterexampleOf<C, R>(
  partition: Partition<C, R>,
  deepest: { readonly depth: number; readonly calls: readonly number[]; readonly stuck: number | undefined; readonly stateKey: string },
): LinearizabilityCounterexample<C, R> {
  const opAt = (op: number): HistoryOperation<C, R> => partition.operations[op] as HistoryOperation<C, R>;
  const shown = deepest.calls.slice(-LIN_MAX_COUNTEREXAMPLE_OPERATIONS);
  return {
    partition: partition.key,
    operations: partition.operations.length,
    linearized: shown.map((call) => opAt(opOfNode(call))),
    linearizedCount: deepest.calls.length,
    stuck: deepest.stuck === undefined ? undefined : opAt(deepest.stuck),
    stateAfter: deepest.stateKey,
  };
}

/** Lines a person can read: which key, the longest consistent order, and what broke it. */
export function describeCounterexample<S, C, R>(machine: StateMachine<S, C, R>, counterexample: LinearizabilityCounterexample<C, R>): string[] {
  const describeOp = (op: HistoryOperation<C, R>): string => {
    const answer = isCompleted(op) ? `→ ${machine.describeResult(op.output)} @${op.return}` : '(never returned)';
    return `${op.client}: ${machine.describe(op.input)} @${op.call} ${answer}`;
  };
  const where = counterexample.partition === null ? 'the whole history' : `partition ${counterexample.partition}`;
  const lines = [`not linearizable: ${where} (${counterexample.operations} operations)`];
  const hidden = counterexample.linearizedCount - counterexample.linearized.length;
  lines.push(`longest consistent order (${counterexample.linearizedCount} operations${hidden > 0 ? `, last ${counterexample.linearized.length} shown` : ''}):`);
  for (const op of counterexample.linearized) lines.push(`  ${describeOp(op)}`);
  if (counterexample.stuck !== undefined) lines.push(`then cannot place: ${describeOp(counterexample.stuck)}`);
  return lines;
}

/**
 * Builds a history as a host observes it (the simulator's clients, a live room's observer): one
 * `invoke` when a client submits, one `complete` when it gets its answer; what never completes
 * stays pending. Times come from the host's clock; the recorder reads none.
 */
export class HistoryRecorder<C, R> {
  private readonly operations: Array<HistoryOperation<C, R>> = [];

  /** Records a call; returns its id for `complete`. */
  invoke(client: string, input: C, at: number): number {
    if (this.operations.length >= LIN_MAX_HISTORY_OPERATIONS) {
      throw new RangeError(`history is full: ${LIN_MAX_HISTORY_OPERATIONS} operations (LIN_MAX_HISTORY_OPERATIONS)`);
    }
    if (!Number.isFinite(at)) throw new RangeError(`invoke by ${client}: time must be a finite number`);
    this.operations.push({ client, call: at, input });
    return this.operations.length - 1;
  }

  /** Records the answer to call `id`. An unknown id, a second answer or a time before the call is an error. */
  complete(id: number, output: R, at: number): void {
    const op = this.operations[id];
    if (op === undefined) throw new RangeError(`complete: no call with id ${id}`);
    if (isCompleted(op)) throw new RangeError(`complete: call ${id} by ${op.client} already returned at ${op.return}`);
    if (!Number.isFinite(at) || at < op.call) throw new RangeError(`complete: call ${id} by ${op.client} returns at ${at}, before its call at ${op.call}`);
    this.operations[id] = { client: op.client, call: op.call, return: at, input: op.input, output };
  }

  /** A copy of the history so far. */
  history(): Array<HistoryOperation<C, R>> {
    return [...this.operations];
  }
}
