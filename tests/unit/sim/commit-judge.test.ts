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

  describe('history that starts after index 1 (a dashboard that reloaded mid-book)', () => {
    /** n1's reports start after its snapshot at 100 (the judge saw nothing before), then 101 … 103. */
    function reloaded(): CommitJudge {
      const judge = new CommitJudge();
      judge.restore('n1', 0, 100, at(1));
      judge.commit('n1', 0, [101, 102, 103].map((index) => ({ index, command: cmd('c1', index, 'place') })), at(2));
      return judge;
    }

    it('a retry of a command first committed before history, answered from the snapshot, is no phantom', () => {
      const judge = reloaded();
      // c9#1 was committed (and applied) at some index <= 100 the judge never saw; its retry lands at 104.
      judge.commit('n1', 0, [{ index: 104, command: cmd('c9', 1, 'ship') }], at(3));
      expect(judge.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 3 })).toEqual([]);
      // Another replica, also restored past the judge's history, answers the same retry the same way.
      judge.restore('n2', 0, 100, at(4));
      judge.commit('n2', 0, [101, 102, 103].map((index) => ({ index, command: cmd('c1', index, 'place') })), at(4));
      judge.commit('n2', 0, [{ index: 104, command: cmd('c9', 1, 'ship') }], at(4));
      expect(judge.apply({ ...applied('n2', 104, 'c9#1', 'duplicate', '"shipped"'), step: 4 })).toEqual([]);
      expect(exactlyOnce(judge.findings)).toBe(true);
      // …but not another way: the sessions keep the first answer, whatever the judge saw.
      judge.restore('n3', 0, 100, at(5));
      judge.commit('n3', 0, [101, 102, 103].map((index) => ({ index, command: cmd('c1', index, 'place') })), at(5));
      judge.commit('n3', 0, [{ index: 104, command: cmd('c9', 1, 'ship') }], at(5));
      expect(judge.apply({ ...applied('n3', 104, 'c9#1', 'duplicate', '"refused"'), step: 5 })[0]?.kind).toBe('answer-changed');
    });

    it('a real duplicate inside history is still caught', () => {
      // A command first committed at 102, inside history: n1 applied its entries from 101 itself.
      const judge = reloaded();
      judge.commit('n1', 0, [{ index: 104, command: cmd('c1', 102, 'place') }], at(3));
      expect(judge.apply({ ...applied('n1', 102, 'c1#102', 'applied', '"ok"'), step: 3 })).toEqual([]);
      expect(judge.apply({ ...applied('n1', 104, 'c1#102', 'applied', '"ok"'), step: 3 })[0]?.kind).toBe('applied-twice');
      // Answered as a duplicate at the index where another replica ran it for the first time.
      const phantom = reloaded();
      phantom.restore('n2', 0, 100, at(2));
      phantom.commit('n2', 0, [{ index: 101, command: cmd('c1', 101, 'place') }], at(2));
      expect(phantom.apply({ ...applied('n2', 101, 'c1#101', 'applied', '"ok"'), step: 3 })).toEqual([]);
      expect(phantom.apply({ ...applied('n1', 101, 'c1#101', 'duplicate', '"ok"'), step: 3 })[0]?.kind).toBe('phantom-duplicate');
      // A replica the judge saw from index 1 cannot answer from before history.
      const whole = new CommitJudge();
      whole.commit('n1', 0, [{ index: 1, command: cmd('c9', 1, 'ship') }], at(1));
      expect(whole.apply(applied('n1', 1, 'c9#1', 'duplicate', '"shipped"'))[0]?.kind).toBe('phantom-duplicate');
    });

    it('a retry accepted as from before history, then applied at that index by another replica, was a phantom', () => {
      const judge = reloaded();
      judge.commit('n1', 0, [{ index: 104, command: cmd('c9', 1, 'ship') }], at(3));
      expect(judge.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 3 })).toEqual([]);
      // n2's log from 1 (its reports came later): c9#1 is new at 104, and n2 applies it there.
      judge.commit('n2', 0, Array.from({ length: 104 }, (_, i) => ({ index: i + 1, command: i < 103 ? cmd('c0', i + 1, 'place') : cmd('c9', 1, 'ship') })), at(4));
      const found = judge.apply({ ...applied('n2', 104, 'c9#1', 'applied', '"shipped"'), step: 4 });
      expect(found[0]).toMatchObject({ kind: 'phantom-duplicate', record: { node: 'n1', index: 104 } });
    });

    it('once the judge has seen every index up to a replica’s snapshot, a phantom there is judged again', () => {
      const judge = new CommitJudge();
      judge.commit('n2', 0, Array.from({ length: 100 }, (_, i) => ({ index: i + 1, command: cmd('c0', i + 1, 'place') })), at(1));
      judge.restore('n1', 0, 100, at(2));
      judge.commit('n1', 0, [{ index: 101, command: cmd('c9', 1, 'ship') }], at(2));
      // c9#1 was not among 1 … 100: n1's snapshot cannot remember it.
      expect(judge.apply({ ...applied('n1', 101, 'c9#1', 'duplicate', '"shipped"'), step: 2 })[0]?.kind).toBe('phantom-duplicate');
    });
  });
});
