/**
 * The checker can fail: hand-written traces that break each property, one at a time, and a
 * clean one that breaks none. (The simulator-found failures of the real algorithms are in
 * weak-algorithms.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { checkRun, type Property, type RunRecord } from '../../../src/sim/checker.ts';
import type { TraceEntry } from '../../../src/sim/trace.ts';
import type { AcceptorProbe, Ballot } from '../../../src/core/types.ts';

const SEED = 4242;
const REPRODUCE = `npm run sim -- --algorithm paxos --nodes 3 --proposers 2 --faults all --replay ${SEED}`;
const MEMBERS = ['n1', 'n2', 'n3'];

/** Builds a trace one step at a time, 10 ms apart. */
class TraceBuilder {
  readonly entries: TraceEntry[] = [];
  private step = 0;
  constructor() {
    for (const node of MEMBERS) this.add({ kind: 'start', node, incarnation: 0 });
  }
  add(entry: DistributiveOmit<TraceEntry, 'step' | 'time'>): this {
    this.step++;
    this.entries.push({ ...entry, step: this.step, time: this.step * 10 } as TraceEntry);
    return this;
  }
  propose(node: string, value: string): this {
    return this.add({ kind: 'propose', node, value });
  }
  decide(node: string, value: string, incarnation = 0): this {
    return this.add({ kind: 'decide', node, value, incarnation });
  }
  probe(node: string, probe: AcceptorProbe, incarnation = 0): this {
    return this.add({ kind: 'probe', node, incarnation, probe });
  }
  record(liveness?: RunRecord['liveness']): RunRecord {
    return { seed: SEED, members: MEMBERS, trace: this.entries, liveness, reproduce: REPRODUCE };
  }
}
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const b = (round: number, node: string): Ballot => ({ round, node });

function properties(record: RunRecord): Property[] {
  return checkRun(record).map((v) => v.property);
}

describe('checker', () => {
  it('passes a clean run: one value proposed, accepted in one ballot and decided everywhere', () => {
    const trace = new TraceBuilder()
      .propose('n1', 'red')
      .propose('n2', 'blue')
      .probe('n1', { promised: b(1, 'n1'), accepted: undefined })
      .probe('n1', { promised: b(1, 'n1'), accepted: { ballot: b(1, 'n1'), value: 'red' } })
      .probe('n2', { promised: b(1, 'n1'), accepted: { ballot: b(1, 'n1'), value: 'red' } })
      .probe('n2', { promised: b(2, 'n2'), accepted: { ballot: b(1, 'n1'), value: 'red' } })
      .decide('n1', 'red')
      .decide('n2', 'red')
      .decide('n3', 'red');
    expect(checkRun(trace.record({ healedAt: 0, budgetMs: 1_000, endedAt: 100, endStep: trace.entries.length }))).toEqual([]);
  });

  it('catches an Agreement violation, naming the seed, step, time, nodes and the replay', () => {
    const trace = new TraceBuilder().propose('n1', 'red').propose('n2', 'blue').decide('n1', 'red').decide('n3', 'blue');
    const [violation, ...rest] = checkRun(trace.record());
    expect(rest).toEqual([]);
    // 3 starts, 2 proposals, n1's decision: n3's conflicting decision is step 7.
    expect(violation).toMatchObject({ property: 'agreement', seed: SEED, step: 7, time: 70, nodes: ['n1', 'n3'] });
    expect(violation?.message).toContain(`seed ${SEED}`);
    expect(violation?.message).toContain('step 7');
    expect(violation?.message).toContain('n1 decided "red"');
    expect(violation?.message).toContain(`Reproduce: ${REPRODUCE}`);
  });

  it('catches a node that changes its decision across a restart', () => {
    const trace = new TraceBuilder()
      .propose('n1', 'red')
      .propose('n2', 'blue')
      .decide('n1', 'red')
      .add({ kind: 'crash', node: 'n1' })
      .add({ kind: 'restart', node: 'n1', incarnation: 1, durable: false })
      .decide('n1', 'blue', 1);
    const violations = checkRun(trace.record());
    expect(violations.map((v) => v.property)).toEqual(['agreement']);
    expect(violations[0]?.nodes).toEqual(['n1']);
  });

  it('catches a Validity violation: a decided value nobody proposed (or proposed only later)', () => {
    expect(properties(new TraceBuilder().propose('n1', 'red').decide('n1', 'green').record())).toEqual(['validity']);
    const late = new TraceBuilder().decide('n1', 'red').propose('n2', 'red').record();
    expect(properties(late)).toEqual(['validity']);
  });

  it('catches non-termination: a live node undecided when the budget ran out', () => {
    const trace = new TraceBuilder()
      .propose('n1', 'red')
      .decide('n1', 'red')
      .add({ kind: 'crash', node: 'n3' })
      .decide('n2', 'red')
      .add({ kind: 'crash', node: 'n2' })
      .add({ kind: 'restart', node: 'n2', incarnation: 1, durable: true });
    // n3 is down (excused); n2 decided, but only in the incarnation before its restart.
    const violations = checkRun(trace.record({ healedAt: 50, budgetMs: 500, endedAt: 550, endStep: 99 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ property: 'termination', step: 99, time: 550, nodes: ['n2'] });
    expect(violations[0]?.message).toContain('(down: n3)');
    // A decision after the deadline does not count either.
    const slow = new TraceBuilder().propose('n1', 'red').decide('n1', 'red').decide('n2', 'red').decide('n3', 'red');
    expect(properties(slow.record({ healedAt: 0, budgetMs: 60, endedAt: 100, endStep: 7 }))).toEqual(['termination']);
    // Without a liveness window, termination is not judged.
    expect(properties(new TraceBuilder().propose('n1', 'red').record())).toEqual([]);
  });

  it('catches a promised ballot that decreases, including one forgotten across a restart', () => {
    const lower = new TraceBuilder()
      .probe('n2', { promised: b(3, 'n1'), accepted: undefined })
      .probe('n2', { promised: b(2, 'n3'), accepted: undefined });
    expect(properties(lower.record())).toEqual(['promise-monotonic']);
    const amnesia = new TraceBuilder()
      .probe('n2', { promised: b(1, 'n1'), accepted: undefined })
      .add({ kind: 'crash', node: 'n2' })
      .add({ kind: 'restart', node: 'n2', incarnation: 1, durable: true })
      .probe('n2', { promised: undefined, accepted: undefined }, 1);
    const [violation] = checkRun(amnesia.record());
    expect(violation?.property).toBe('promise-monotonic');
    expect(violation?.message).toContain('forgot its promise across a restart');
    // Equal and higher ballots are fine; a tie on round is broken by node id.
    const fine = new TraceBuilder()
      .probe('n2', { promised: b(1, 'n1'), accepted: undefined })
      .probe('n2', { promised: b(1, 'n3'), accepted: undefined })
      .probe('n2', { promised: b(2, 'n1'), accepted: undefined });
    expect(properties(fine.record())).toEqual([]);
  });

  it('catches an accepted ballot above the promise', () => {
    const trace = new TraceBuilder().probe('n1', { promised: b(1, 'n1'), accepted: { ballot: b(2, 'n2'), value: 'red' } });
    expect(properties(trace.record())).toEqual(['accepted-within-promise']);
    const unpromised = new TraceBuilder().probe('n1', { promised: undefined, accepted: { ballot: b(1, 'n2'), value: 'red' } });
    expect(properties(unpromised.record())).toEqual(['accepted-within-promise']);
  });

  it('catches two values accepted in one ballot', () => {
    const trace = new TraceBuilder()
      .probe('n1', { promised: b(4, 'n2'), accepted: { ballot: b(4, 'n2'), value: 'red' } })
      .probe('n3', { promised: b(4, 'n2'), accepted: { ballot: b(4, 'n2'), value: 'blue' } });
    const [violation] = checkRun(trace.record());
    expect(violation).toMatchObject({ property: 'one-value-per-ballot', nodes: ['n1', 'n3'] });
    expect(violation?.message).toContain('ballot 4.n2 carries "red"');
  });
});
