/**
 * Each log checker fails on a crafted trace that breaks its property, and stays quiet on the
 * same trace without the break (a checker that cannot fail checks nothing).
 */
import { describe, expect, it } from 'vitest';
import type { CommittedEntry, Epoch, LogCommand, LogEntryFact } from '../../../src/core/types.ts';
import { checkLogRun, matchProblem, type ApplyRecord, type LogAudit, type LogRunRecord } from '../../../src/sim/log-checker.ts';
import type { TraceEntry } from '../../../src/sim/trace.ts';

const cmd = (client: string, seq: number, order: string): LogCommand => ({ kind: 'command', client, seq, command: { op: 'ship', order } });
const term = (t: number): Epoch => ({ kind: 'term', term: t });
let step = 0;
const at = () => ({ step: ++step, time: step * 10 });
const role = (node: string, r: 'leader' | 'follower' | 'candidate', t: number, log?: LogEntryFact[]): TraceEntry => ({ kind: 'role', ...at(), node, incarnation: 0, role: r, epoch: term(t), log });
const commit = (node: string, entries: CommittedEntry[], incarnation = 0): TraceEntry => ({ kind: 'commit', ...at(), node, incarnation, entries });
const entry = (index: number, t: number, command: LogCommand): CommittedEntry => ({ index, term: t, command });
const fact = (index: number, t: number, command: LogCommand): LogEntryFact => ({ index, epoch: term(t), command });

function run(trace: TraceEntry[], extra: Partial<LogRunRecord> = {}): LogRunRecord {
  return { seed: 1, epochKind: 'term', trace, applies: [], audits: [], reproduce: 'test', ...extra };
}
const properties = (r: LogRunRecord) => checkLogRun(r).map((v) => v.property);

describe('log checkers', () => {
  const a = cmd('c1', 1, 'A');
  const b = cmd('c2', 1, 'B');

  it('election safety: two leaders in one term fail, one per term passes', () => {
    expect(properties(run([role('n1', 'leader', 2), role('n2', 'leader', 3)]))).toEqual([]);
    expect(properties(run([role('n1', 'leader', 2), role('n2', 'leader', 2)]))).toEqual(['election-safety']);
  });

  it('state-machine safety: different commands at one index fail; a retracted commit fails', () => {
    expect(properties(run([commit('n1', [entry(1, 1, a)]), commit('n2', [entry(1, 1, a)])]))).toEqual([]);
    expect(properties(run([commit('n1', [entry(1, 1, a)]), commit('n2', [entry(1, 2, b)])]))).toEqual(['state-machine-safety']);
    expect(properties(run([commit('n1', [entry(1, 1, a)]), commit('n1', [entry(1, 1, a)])]))).toEqual(['state-machine-safety']);
    expect(properties(run([commit('n1', [entry(2, 1, a)])]))).toEqual(['state-machine-safety']);
    // A restarted node starts its commit stream over at 1.
    expect(properties(run([commit('n1', [entry(1, 1, a)]), commit('n1', [entry(1, 1, a)], 1)]))).toEqual([]);
  });

  it('write-once decisions are commits of index 1: two values is a state-machine safety violation', () => {
    const decide = (node: string, value: string): TraceEntry => ({ kind: 'decide', ...at(), node, value, incarnation: 0 });
    expect(properties(run([decide('n1', 'red'), decide('n2', 'red')]))).toEqual([]);
    expect(properties(run([decide('n1', 'red'), decide('n2', 'blue')]))).toEqual(['state-machine-safety']);
  });

  it('leader completeness: a later leader missing a committed entry fails', () => {
    const base = [role('n1', 'leader', 1), commit('n1', [entry(1, 1, a)])];
    expect(properties(run([...base, role('n2', 'leader', 2, [fact(1, 1, a)])]))).toEqual([]);
    expect(properties(run([...base, role('n2', 'leader', 2, [])]))).toEqual(['leader-completeness']);
    expect(properties(run([...base, role('n2', 'leader', 2, [fact(1, 2, b)])]))).toEqual(['leader-completeness']);
  });

  it('log matching: the same index and term with different prefixes fails', () => {
    const x = [fact(1, 1, a), fact(2, 2, b)];
    expect(matchProblem(x, [fact(1, 1, a), fact(2, 2, b), fact(3, 2, a)])).toBeUndefined();
    expect(matchProblem(x, [fact(1, 1, b), fact(2, 2, b)])).toMatch(/differ at index 1/);
    const audit = (logs: Record<string, LogEntryFact[]>): LogAudit => ({ ...at(), logs });
    expect(properties(run([], { audits: [audit({ n1: x, n2: [fact(1, 1, a)] })] }))).toEqual([]);
    expect(properties(run([], { audits: [audit({ n1: x, n2: [fact(1, 1, b), fact(2, 2, b)] })] }))).toEqual(['log-matching']);
  });

  it('exactly-once: applying a (client, seq) twice, or answering a retry differently, fails', () => {
    const apply = (index: number, outcome: ApplyRecord['outcome'], result: string): ApplyRecord => ({ node: 'n1', incarnation: 0, index, ...at(), key: 'c1#1', outcome, result });
    const trace = [commit('n1', [entry(1, 1, a), entry(2, 1, a)])];
    expect(properties(run(trace, { applies: [apply(1, 'applied', '"ok"'), apply(2, 'duplicate', '"ok"')] }))).toEqual([]);
    expect(properties(run(trace, { applies: [apply(1, 'applied', '"ok"'), apply(2, 'applied', '"ok"')] }))).toEqual(['exactly-once']);
    expect(properties(run(trace, { applies: [apply(1, 'applied', '"ok"'), apply(2, 'duplicate', '"other"')] }))).toEqual(['exactly-once']);
    expect(properties(run(trace, { applies: [apply(2, 'applied', '"ok"')] }))).toEqual(['exactly-once']);
  });

  it('definite answer: commands left unanswered after healing fail', () => {
    expect(properties(run([], { unanswered: [] }))).toEqual([]);
    expect(properties(run([], { unanswered: ['c1#3'] }))).toEqual(['definite-answer']);
  });
});
