/**
 * The order book's demonstration presets in the simulator: each reaches its outcome on every
 * seed tried, on every algorithm it is offered for, whichever replica the election timers made
 * leader; the Figure 8 preset needs the broken commit rule (on Raft it cannot stage its commit);
 * and the runner refuses what a preset must not see.
 */
import { describe, expect, it } from 'vitest';
import { BOOK_PRESET_NAMES, BOOK_PRESETS, bookPresetsFor, runBookPreset, soleCandidate, soleLeader, type BookPreset, type BookPresetHost } from '../../../src/classroom/book-presets.ts';
import { LOG_ALGORITHM_NAMES } from '../../../src/machines/names.ts';
import { LOG_ALGORITHMS } from '../../../src/machines/log-index.ts';
import { runBookPresetToOutcome } from '../../../src/ui/solo-book-presets.ts';
import { CHAPTERS } from '../../../src/lessons/chapters.ts';

/**
 * Seeds per preset and algorithm. A book run costs ~100× a write-once one (elections, heartbeats,
 * the log checker), so CI runs 20; `BOOK_PRESET_SEEDS=100` runs the hundred (all reached when written).
 */
const SEEDS = Number(process.env.BOOK_PRESET_SEEDS ?? 20);

describe('order-book presets in the simulator', () => {
  for (const name of BOOK_PRESET_NAMES) {
    for (const algorithm of BOOK_PRESETS[name].runsOn) {
      it(`${name} on ${algorithm} reaches "${BOOK_PRESETS[name].outcome.kind}" on ${SEEDS} of ${SEEDS} seeds`, { timeout: 120_000 }, () => {
        const failures: string[] = [];
        for (let seed = 1; seed <= SEEDS; seed++) {
          const run = runBookPresetToOutcome(name, seed, algorithm);
          if (!run.reached) failures.push(`seed ${seed}: ${run.detail}`);
        }
        expect(failures.slice(0, 5)).toEqual([]);
      });
    }
  }

  it('the agreeing presets leave no violation; Figure 8 is caught as two commands at one index, and needs the broken rule', { timeout: 60_000 }, () => {
    const crash = runBookPresetToOutcome('book-leader-crash', 3, 'raft');
    expect(crash.violations).toEqual([]);
    const fig8 = runBookPresetToOutcome('book-figure-8', 3, 'raft-no-term-rule');
    expect(fig8.violations).toContain('state-machine-safety');
    // With the own-term rule the staged commit cannot happen: the leader's election no-op, stored by
    // the majority, keeps A and B from ever leading again. Nothing is lost, and the preset says why it stopped.
    const safe = runBookPresetToOutcome('book-figure-8', 3, 'raft');
    expect(safe.reached).toBe(false);
    expect(safe.violations).toEqual([]);
    expect(safe.detail).toMatch(/a leader among A, B/);
  });

  /**
   * The two broken variants' presets stage an opportunity, not the failure: the same steps on the
   * correct algorithm all run (no wait gives up) and end with nothing for the checker to find.
   */
  for (const [name, correct] of [
    ['book-forgotten-vote', 'raft'],
    ['book-no-adopt', 'multipaxos'],
  ] as const) {
    it(`${name}'s steps on ${correct} all run and the checker finds nothing, on ${SEEDS} of ${SEEDS} seeds`, { timeout: 120_000 }, () => {
      const failures: string[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        const run = runBookPresetToOutcome(name, seed, correct);
        if (run.reached || run.violations.length > 0 || /waited/.test(run.detail)) failures.push(`seed ${seed}: ${run.detail}`);
      }
      expect(failures.slice(0, 5)).toEqual([]);
    });
  }

  it('book-forgotten-vote is caught as two leaders in one term; book-no-adopt as two commands at one index', { timeout: 60_000 }, () => {
    const votes = runBookPresetToOutcome('book-forgotten-vote', 2, 'raft-forgets-vote');
    expect(votes.violations).toContain('election-safety');
    const adopt = runBookPresetToOutcome('book-no-adopt', 2, 'multipaxos-no-adopt');
    expect(adopt.violations).toContain('state-machine-safety');
    // The ship was chosen and applied at A; the correct leader proposes it again, so the cancel is refused.
    const safe = runBookPresetToOutcome('book-no-adopt', 2, 'multipaxos');
    const l2 = (['n1', 'n2', 'n3', 'n4', 'n5'] as const).find((n) => safe.cluster.sim.status(n) === 'up' && safe.cluster.sim.logView(n)?.role === 'leader');
    expect(l2).toBeDefined();
    expect(safe.cluster.replicaState(l2!).orders.o1?.status).toBe('shipped');
    expect(safe.cluster.replicaState(l2!).orders.o2?.status).toBe('placed');
  });

  it('the partition preset: the minority leader stores B but never commits it; the majority commits C', { timeout: 60_000 }, () => {
    const run = runBookPresetToOutcome('book-partition', 5, 'raft');
    expect(run.reached).toBe(true);
    const book = run.cluster.replicaState('n1').orders;
    expect(book.C?.status).toBe('placed');
    expect(book.B).toBeUndefined();
  });

  it('every book preset runs on registered log algorithms, and the menu offers the broken one only on its variant', () => {
    for (const preset of Object.values(BOOK_PRESETS)) for (const a of preset.runsOn) expect(LOG_ALGORITHM_NAMES).toContain(a);
    expect(bookPresetsFor('raft').map((p) => p.name)).toEqual(['book-ship-or-cancel', 'book-leader-crash', 'book-partition']);
    expect(bookPresetsFor('raft-no-term-rule').map((p) => p.name)).toEqual(['book-figure-8']);
    expect(bookPresetsFor('raft-forgets-vote').map((p) => p.name)).toEqual(['book-forgotten-vote']);
    expect(bookPresetsFor('multipaxos-no-adopt').map((p) => p.name)).toEqual(['book-no-adopt']);
    expect(bookPresetsFor('multipaxos').map((p) => p.name)).toEqual(['book-ship-or-cancel', 'book-leader-crash', 'book-partition']);
    for (const name of ['book-figure-8', 'book-forgotten-vote', 'book-no-adopt'] as const) {
      expect(BOOK_PRESETS[name].runsOn.every((a) => LOG_ALGORITHMS[a].broken)).toBe(true);
      expect(BOOK_PRESETS[name].outcome.kind).toBe('violation');
    }
  });

  it('chapter 7 offers the book presets its algorithm runs', () => {
    const chapter = CHAPTERS.find((c) => c.id === 'replication');
    const tryThis = chapter?.tryThis;
    if (tryThis?.kind !== 'log') throw new Error('chapter 7 has no log scene');
    const offered = [tryThis.presets?.live, ...(tryThis.presets?.more ?? [])];
    expect(offered).toEqual(expect.arrayContaining(['book-ship-or-cancel', 'book-leader-crash', 'book-partition']));
    for (const name of offered) if (name !== undefined) expect(BOOK_PRESETS[name].runsOn).toContain(tryThis.live.algorithm);
  });
});

describe('the book preset runner', () => {
  const quiet = (over: Partial<BookPresetHost> = {}): BookPresetHost => ({
    setRules: () => undefined,
    submit: () => undefined,
    crash: () => undefined,
    restart: () => undefined,
    isUp: () => true,
    roleOf: () => ({ role: 'follower', epoch: { kind: 'term', term: 1 } }),
    orderStatus: () => undefined,
    logged: () => false,
    say: () => undefined,
    ...over,
  });

  it('a leader is named only when one replica leads in the highest epoch: a tie, or a crashed leader, is no leader', () => {
    const leaders: Record<string, number> = { n2: 3, n4: 3 };
    const host = quiet({ roleOf: (n) => (leaders[n] !== undefined ? { role: 'leader', epoch: { kind: 'term', term: leaders[n]! } } : { role: 'follower', epoch: { kind: 'term', term: 3 } }) });
    expect(soleLeader(host, ['n1', 'n2', 'n3', 'n4', 'n5'])).toBeUndefined();
    leaders.n4 = 2;
    expect(soleLeader(host, ['n1', 'n2', 'n3', 'n4', 'n5'])).toBe('n2');
    expect(soleLeader(quiet({ ...host, isUp: (n) => n !== 'n2', roleOf: host.roleOf }), ['n1', 'n2', 'n3', 'n4', 'n5'])).toBe('n4');
  });

  it('a candidate is named only alone, with the others of the group following in its term, and in the reference’s term when one is given', () => {
    const said: Record<string, { role: 'leader' | 'candidate' | 'follower'; term: number }> = {
      n1: { role: 'candidate', term: 4 },
      n2: { role: 'follower', term: 3 },
      n3: { role: 'leader', term: 4 },
      n4: { role: 'candidate', term: 4 },
    };
    const host = quiet({ isUp: (n) => n !== 'n5', roleOf: (n) => (said[n] ? { role: said[n]!.role, epoch: { kind: 'term', term: said[n]!.term } } : undefined) });
    // n2 has not reached term 4: it has not granted n1 its vote yet.
    expect(soleCandidate(host, ['n1', 'n2'])).toBeUndefined();
    said.n2 = { role: 'follower', term: 4 };
    expect(soleCandidate(host, ['n1', 'n2'])).toBe('n1');
    expect(soleCandidate(host, ['n1', 'n2', 'n5'])).toBe('n1'); // a replica down is not asked
    expect(soleCandidate(host, ['n1', 'n4'])).toBeUndefined(); // two candidates
    expect(soleCandidate(host, ['n1'], 'n3')).toBe('n1');
    said.n3 = { role: 'leader', term: 5 };
    expect(soleCandidate(host, ['n1'], 'n3')).toBeUndefined();
    expect(soleCandidate(host, ['n1'], 'n5')).toBeUndefined(); // the reference is down: nothing to compare with
  });

  it('names resolve to roles; an unknown name and a minority that committed fail the preset', () => {
    const submitted: string[] = [];
    const preset: BookPreset = {
      ...BOOK_PRESETS['book-partition'],
      steps: [
        { do: 'pick', as: 'X', notIn: ['n1', 'n2'] },
        { do: 'submit', at: 'X', command: { op: 'place', order: 'A', item: 'mug' } },
        { do: 'check-absent', at: ['n1'], order: 'A' },
        { do: 'submit', at: 'nobody', command: { op: 'ship', order: 'A' } },
      ],
    };
    const run = runBookPreset(preset, quiet({ submit: (n) => submitted.push(n) }));
    expect(() => run.next()).toThrow(/no replica is named nobody/);
    expect(submitted).toEqual(['n3']);
    const committed = runBookPreset(preset, quiet({ orderStatus: (n) => (n === 'n1' ? 'placed' : undefined) }));
    expect(() => committed.next()).toThrow(/n1 applied A, which no majority stored/);
  });
});
