/**
 * The shared commit judge (simulator checkers and dashboard): each finding can be produced by a
 * crafted feed, a clean feed produces none, and the write-once case is index 1.
 */
import { describe, expect, it } from 'vitest';
import { CommitJudge, decisionCommand, exactlyOnce, stateMachineSafe, type ApplyRecord } from '../../../src/sim/commit-judge.ts';
import type { LogCommand } from '../../../src/core/types.ts';

const cmd = (client: string, seq: number, op: string): LogCommand => ({ kind: 'command', client, seq, command: { op, order: 'A' } });
const at = (time: number) => ({ step: 0, time });
const applied = (node: string, index: number, key: string, outcome: ApplyRecord['outcome'], result: string | undefined): ApplyRecord => ({
  node, incarnation: 0, index, key, outcome, result, step: 0, time: index,
});

describe('commit judge', () => {
  it('finds nothing when replicas commit and apply the same log, fed per node in any interleaving', () => {
    const judge = new CommitJudge({ validity: true });
    const log = [cmd('c1', 1, 'place'), cmd('c2', 1, 'ship')];
    for (const c of log) judge.submitted(c);
    judge.commit('n1', 0, [{ index: 1, command: log[0]! }], at(1));
    judge.commit('n2', 0, [{ index: 1, command: log[0]! }, { index: 2, command: log[1]! }], at(2));
    judge.commit('n1', 0, [{ index: 2, command: log[1]! }], at(3));
    judge.apply(applied('n1', 1, 'c1#1', 'applied', '"ok"'));
    judge.apply(applied('n1', 1, 'c1#1', 'duplicate', '"ok"'));
    expect(judge.findings).toEqual([]);
    expect(stateMachineSafe(judge.findings) && exactlyOnce(judge.findings)).toBe(true);
  });

  it('finds two commands at one index (Agreement for a write-once decision at index 1)', () => {
    const judge = new CommitJudge();
    judge.commit('n1', 0, [{ index: 1, command: decisionCommand('red') }], at(1));
    const [finding] = judge.commit('n3', 0, [{ index: 1, command: decisionCommand('blue') }], at(2));
    expect(finding).toMatchObject({ kind: 'conflict', first: { node: 'n1' }, later: { node: 'n3', index: 1 } });
    expect(stateMachineSafe(judge.findings)).toBe(false);
    // Reported once per (node, command), however often it is repeated.
    expect(judge.commit('n3', 1, [{ index: 1, command: decisionCommand('blue') }], at(3))).toEqual([]);
  });

  it('finds an unsubmitted commit only when asked to, and retracted or skipped indexes', () => {
    expect(new CommitJudge({ validity: true }).commit('n1', 0, [{ index: 1, command: decisionCommand('green') }], at(1))[0]?.kind).toBe('unsubmitted');
    expect(new CommitJudge().commit('n1', 0, [{ index: 1, command: decisionCommand('green') }], at(1))).toEqual([]);
    const judge = new CommitJudge();
    expect(judge.commit('n1', 0, [{ index: 2, command: cmd('c1', 1, 'place') }], at(1))[0]).toMatchObject({ kind: 'skipped', last: 0 });
    expect(judge.commit('n1', 0, [{ index: 1, command: cmd('c9', 1, 'place') }], at(2))[0]).toMatchObject({ kind: 'retracted', last: 2 });
  });

  it('finds a command applied twice, late, answered differently, or answered as a duplicate first', () => {
    const judge = new CommitJudge();
    judge.commit('n1', 0, [{ index: 1, command: cmd('c1', 1, 'place') }, { index: 2, command: cmd('c1', 1, 'place') }], at(1));
    judge.apply(applied('n1', 1, 'c1#1', 'applied', '"ok"'));
    expect(judge.apply(applied('n1', 2, 'c1#1', 'applied', '"ok"'))[0]?.kind).toBe('applied-twice');
    expect(judge.apply(applied('n1', 2, 'c1#1', 'duplicate', '"already shipped"'))[0]?.kind).toBe('answer-changed');
    expect(judge.apply(applied('n2', 1, 'c7#1', 'duplicate', '"ok"'))[0]?.kind).toBe('phantom-duplicate');
    const late = new CommitJudge();
    late.commit('n1', 0, [{ index: 1, command: cmd('c1', 1, 'place') }, { index: 2, command: cmd('c1', 1, 'place') }], at(1));
    expect(late.apply(applied('n1', 2, 'c1#1', 'applied', '"ok"'))[0]).toMatchObject({ kind: 'applied-late', expectedIndex: 1 });
    expect(exactlyOnce(late.findings)).toBe(false);
    expect(stateMachineSafe(late.findings)).toBe(true);
  });
});
