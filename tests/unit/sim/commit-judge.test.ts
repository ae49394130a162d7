/**
 * The shared commit judge (simulator checkers and dashboard): each finding can be produced by a
 * crafted feed, a clean feed produces none, and the write-once case is index 1.
 */
import { describe, expect, it } from 'vitest';
import { CommitJudge, decisionCommand, exactlyOnce, exactlyOnceVerdict, stateMachineSafe, type ApplyRecord } from '../../../src/sim/commit-judge.ts';
import type { LogCommand } from '../../../src/core/types.ts';
import { LogRunJudge } from '../../../src/sim/log-checker.ts';

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
      // Its log shows every index up to n1's snapshot without c9#1: n1's answer was a phantom, found at that commit.
      const atCommit = judge.commit('n2', 0, Array.from({ length: 104 }, (_, i) => ({ index: i + 1, command: i < 103 ? cmd('c0', i + 1, 'place') : cmd('c9', 1, 'ship') })), at(4));
      expect(atCommit.filter((f) => f.kind === 'phantom-duplicate')).toMatchObject([{ kind: 'phantom-duplicate', record: { node: 'n1', index: 104 } }]);
      // …and n2 applying it there for the first time does not report it again.
      expect(judge.apply({ ...applied('n2', 104, 'c9#1', 'applied', '"shipped"'), step: 4 }).filter((f) => f.kind === 'phantom-duplicate')).toEqual([]);
      expect(judge.findings.filter((f) => f.kind === 'phantom-duplicate')).toHaveLength(1);
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

  /**
   * The first submission of c9#1 is committed at index 50; a retry of it at 104. Replica n1's
   * history starts after 50 (its snapshot at 100), so its first reported commit of c9#1 is the
   * retry's. Whether its answer there is legal depends on index 50, which only other replicas'
   * reports can show, and they may come before or after n1's, or never.
   */
  describe('a replica whose first reported commit of a command is its retry’s', () => {
    const K = cmd('c9', 1, 'ship');
    /** n1 restored at 100 (its snapshot covers 50), then commits 101 … 103 and the retry at 104. */
    function n1AtRetry(judge: CommitJudge, step = 1): void {
      judge.restore('n1', 0, 100, { step, time: step });
      judge.commit('n1', 0, [101, 102, 103].map((index) => ({ index, command: cmd('c1', index, 'place') })), at(step));
      judge.commit('n1', 0, [{ index: 104, command: K }], at(step));
    }
    /** n2's history from index 1: 1 … 104 with the first submission at `first` (undefined: none, c9#1 is new at 104). */
    function n2Whole(judge: CommitJudge, first: number | undefined, step = 2): void {
      const entries = Array.from({ length: 104 }, (_, i) => {
        const index = i + 1;
        if (index === first || index === 104) return { index, command: K };
        return { index, command: index > 100 ? cmd('c1', index, 'place') : cmd('c0', index, 'place') };
      });
      judge.commit('n2', 0, entries, at(step));
      if (first !== undefined) judge.apply({ ...applied('n2', first, 'c9#1', 'applied', '"shipped"'), step });
      judge.apply({ ...applied('n2', 104, 'c9#1', first === undefined ? 'applied' : 'duplicate', '"shipped"'), step });
    }

    it('legal: answered from the session table of its snapshot, which covers the first commit at 50, whichever report comes first', () => {
      const before = new CommitJudge();
      n2Whole(before, 50);
      n1AtRetry(before, 3);
      expect(before.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 3 })).toEqual([]);
      expect(before.undecided).toEqual([]);
      const after = new CommitJudge();
      n1AtRetry(after);
      expect(after.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 1 })).toEqual([]);
      // Nothing the judge saw says whether c9#1 is inside n1's snapshot: not yet decided.
      expect(after.undecided.map((r) => r.node)).toEqual(['n1']);
      expect(exactlyOnceVerdict(after)).toBe('unknown');
      n2Whole(after, 50, 4);
      expect(after.findings).toEqual([]);
      expect(after.undecided).toEqual([]);
      expect(exactlyOnceVerdict(after)).toBe(true);
    });

    it('illegal: run through the state machine again at the retry, caught whichever report comes first', () => {
      const before = new CommitJudge();
      n2Whole(before, 50);
      n1AtRetry(before, 3);
      expect(before.apply({ ...applied('n1', 104, 'c9#1', 'applied', '"shipped"'), step: 3 }).map((f) => f.kind)).toEqual(['applied-twice']);
      // n1's report first: its application at 104 looks like the first until n2 shows index 50.
      const after = new CommitJudge();
      n1AtRetry(after);
      expect(after.apply({ ...applied('n1', 104, 'c9#1', 'applied', '"shipped"'), step: 1 })).toEqual([]);
      n2Whole(after, 50, 4);
      expect(after.findings.map((f) => f.kind)).toContain('applied-late');
      expect(after.findings.find((f) => f.kind === 'applied-late')).toMatchObject({ record: { node: 'n1', index: 104 }, expectedIndex: 50 });
      expect(exactlyOnceVerdict(after)).toBe(false);
    });

    it('illegal: a phantom, answered as a duplicate where nothing was committed before, once every index up to its snapshot is seen', () => {
      const judge = new CommitJudge();
      n1AtRetry(judge);
      expect(judge.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 1 })).toEqual([]);
      expect(exactlyOnceVerdict(judge)).toBe('unknown');
      // n2 shows 1 … 100 without c9#1 and does not apply it at 104 either (its report ends at 100).
      judge.commit('n2', 0, Array.from({ length: 100 }, (_, i) => ({ index: i + 1, command: cmd('c0', i + 1, 'place') })), at(2));
      expect(judge.findings).toMatchObject([{ kind: 'phantom-duplicate', record: { node: 'n1', index: 104 } }]);
      expect(judge.undecided).toEqual([]);
      expect(exactlyOnceVerdict(judge)).toBe(false);
    });

    it('unknown where the information is not there: no report covers 1 … 100', () => {
      const judge = new CommitJudge();
      n1AtRetry(judge);
      judge.apply({ ...applied('n1', 104, 'c9#1', 'duplicate', '"shipped"'), step: 1 });
      // A second replica restored past the same hole, answering the same: still nothing to decide by.
      judge.restore('n3', 0, 100, at(2));
      judge.commit('n3', 0, [101, 102, 103].map((index) => ({ index, command: cmd('c1', index, 'place') })), at(2));
      judge.commit('n3', 0, [{ index: 104, command: K }], at(2));
      judge.apply({ ...applied('n3', 104, 'c9#1', 'duplicate', '"shipped"'), step: 2 });
      expect(judge.findings).toEqual([]);
      expect(judge.undecided.map((r) => r.node)).toEqual(['n1', 'n3']);
      expect(exactlyOnceVerdict(judge)).toBe('unknown');
    });
  });

  it('the log checker (simulator and projector) passes the undecided retries on: a history mark, then the retry answered', () => {
    const judge = new LogRunJudge({ seed: 0, reproduce: '' });
    const K = cmd('c9', 1, 'ship');
    judge.entry({ kind: 'snapshot', node: 'n1', incarnation: 0, index: 100, cause: 'history', step: 1, time: 1 });
    judge.entry({ kind: 'commit', node: 'n1', incarnation: 0, entries: [{ index: 101, term: 1, command: K }], step: 1, time: 1 });
    expect(judge.apply({ ...applied('n1', 101, 'c9#1', 'duplicate', '"shipped"'), step: 1 })).toEqual([]);
    expect(judge.undecided.map((r) => r.index)).toEqual([101]);
    judge.entry({ kind: 'commit', node: 'n2', incarnation: 0, entries: Array.from({ length: 101 }, (_, i) => ({ index: i + 1, term: 1, command: i === 49 || i === 100 ? K : cmd('c0', i + 1, 'place') })), step: 2, time: 2 });
    expect(judge.undecided).toEqual([]);
    expect(judge.violations).toEqual([]);
  });
});

