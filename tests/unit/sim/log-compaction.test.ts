/**
 * Log compaction in the simulator, for Raft and Multi-Paxos: a node that missed many commands
 * while down is caught up by a snapshot (its peers compacted the entries it needs), a node
 * restarts from its stored snapshot plus the entries after it, and the checkers judge such runs
 * (and fail on a crafted one where a snapshot disagrees with another replica's applied entries).
 */
import { describe, expect, it } from 'vitest';
import { stateMachineNamed } from '../../../src/core/state-machines.ts';
import type { CommittedEntry, LogCommand } from '../../../src/core/types.ts';
import { getLogAlgorithm } from '../../../src/machines/log-index.ts';
import { checkLogRun, type ApplyRecord, type LogRunRecord, type StateCheckpoint } from '../../../src/sim/log-checker.ts';
import { LogCluster } from '../../../src/sim/log-cluster.ts';
import type { TraceEntry } from '../../../src/sim/trace.ts';

const members = ['n1', 'n2', 'n3', 'n4', 'n5'];
const orders = stateMachineNamed('orders');
const place = (i: number) => ({ op: 'place', order: `o${i}`, item: 'book' });

function cluster(algorithm: string, seed: number): LogCluster {
  return new LogCluster({ algorithm: getLogAlgorithm(algorithm), stateMachine: orders as never, members, seed, snapshotEvery: 8 });
}

describe.each(['raft', 'multipaxos'])('%s compaction in the simulator', (algorithm) => {
  it('a follower that was down for many commands is caught up by snapshot, and every replica ends equal', () => {
    const c = cluster(algorithm, 11);
    c.runUntil(2_000);
    c.sim.crash('n5');
    c.addClient('c1', Array.from({ length: 40 }, (_, i) => place(i)));
    c.startNext('c1', 'n1');
    c.runUntil(30_000, () => c.allAnswered());
    expect(c.allAnswered()).toBe(true);
    // The live nodes compacted the entries n5 lacks: it can only catch up from a snapshot.
    expect(Math.min(...['n1', 'n2', 'n3', 'n4'].map((n) => c.sim.storedSnapshotIndex(n)))).toBeGreaterThanOrEqual(32);
    c.sim.restart('n5');
    c.runUntil(c.sim.now + 10_000);
    expect(c.snapshots.installed).toBeGreaterThan(0);
    expect(c.appliedIndex('n5')).toBe(c.appliedIndex('n1'));
    const book = JSON.stringify(c.replicaState('n1'));
    for (const n of members) expect(JSON.stringify(c.replicaState(n))).toBe(book);
    // Storage holds the snapshot and only the entries after it, not the whole log.
    for (const n of members) expect(c.sim.storedEntries(n)).toBeLessThan(20);
    const violations = checkLogRun(c.record('test', true));
    expect(violations).toEqual([]);
    expect(c.linearizable()).toBe(true);
  });

  it('a crashed node restarts from its stored snapshot plus the entries after it', () => {
    const c = cluster(algorithm, 12);
    c.addClient('c1', Array.from({ length: 20 }, (_, i) => place(i)));
    c.startNext('c1', 'n1');
    c.runUntil(30_000, () => c.allAnswered());
    expect(c.allAnswered()).toBe(true);
    const stored = c.sim.storedSnapshotIndex('n2');
    expect(stored).toBeGreaterThanOrEqual(16);
    c.sim.crash('n2');
    c.sim.restart('n2');
    // Before any message arrives, its state machine is the snapshot's and its commit index too.
    expect(c.snapshots.restarted).toBe(1);
    expect(c.appliedIndex('n2')).toBe(stored);
    expect(c.sim.logView('n2')?.commitIndex).toBe(stored);
    expect(c.sim.logView('n2')?.snapshotIndex).toBe(stored);
    c.runUntil(c.sim.now + 5_000);
    expect(c.appliedIndex('n2')).toBe(c.appliedIndex('n1'));
    expect(JSON.stringify(c.replicaState('n2'))).toBe(JSON.stringify(c.replicaState('n1')));
    expect(checkLogRun(c.record('test', true))).toEqual([]);
  });
});

describe('checkers over compacted runs (crafted)', () => {
  const a: LogCommand = { kind: 'command', client: 'c1', seq: 1, command: { op: 'place', order: 'A', item: 'book' } };
  const b: LogCommand = { kind: 'command', client: 'c2', seq: 1, command: { op: 'place', order: 'B', item: 'pen' } };
  let stepNo = 0;
  const at = () => ({ step: ++stepNo, time: stepNo * 10 });
  const commit = (node: string, entries: CommittedEntry[], incarnation = 0): TraceEntry => ({ kind: 'commit', ...at(), node, incarnation, entries });
  const snapshot = (node: string, index: number, cause: 'install' | 'restart', incarnation = 0): TraceEntry => ({ kind: 'snapshot', ...at(), node, incarnation, index, cause });
  const checkpoint = (node: string, index: number, source: StateCheckpoint['source'], key: string, incarnation = 0): StateCheckpoint => ({ node, incarnation, index, source, key, ...at() });
  const apply = (node: string, index: number, key: string, outcome: ApplyRecord['outcome'], result: string, incarnation = 0): ApplyRecord => ({ node, incarnation, index, key, outcome, result, ...at() });
  const run = (trace: TraceEntry[], extra: Partial<LogRunRecord> = {}): LogRunRecord => ({ seed: 1, epochKind: 'term', trace, applies: [], audits: [], reproduce: 'test', ...extra });
  const properties = (r: LogRunRecord) => checkLogRun(r).map((v) => v.property);

  it('a snapshot that disagrees with another node\'s applied entries fails state-machine safety; an equal one passes', () => {
    const trace = [commit('n1', [{ index: 1, term: 1, command: a }, { index: 2, term: 1, command: b }]), snapshot('n2', 2, 'install')];
    const applied = checkpoint('n1', 2, 'applied', 'book:A,B');
    expect(properties(run(trace, { checkpoints: [applied, checkpoint('n2', 2, 'install', 'book:A,B')] }))).toEqual([]);
    const wrong = checkLogRun(run(trace, { checkpoints: [applied, checkpoint('n2', 2, 'install', 'book:A')] }));
    expect(wrong.map((v) => v.property)).toEqual(['state-machine-safety']);
    expect(wrong[0]?.message).toContain('n2 installed a snapshot');
  });

  it('commits continue after a snapshot; restoring below what was committed, or skipping past it, fails', () => {
    const c3: LogCommand = { kind: 'command', client: 'c3', seq: 1, command: { op: 'ship', order: 'A' } };
    const ok = [commit('n1', [{ index: 1, term: 1, command: a }, { index: 2, term: 1, command: b }, { index: 3, term: 1, command: c3 }]), snapshot('n2', 2, 'restart', 1), commit('n2', [{ index: 3, term: 1, command: c3 }], 1)];
    expect(properties(run(ok))).toEqual([]);
    const back = [commit('n1', [{ index: 1, term: 1, command: a }, { index: 2, term: 1, command: b }]), snapshot('n1', 1, 'install')];
    expect(properties(run(back))).toEqual(['state-machine-safety']);
    const skip = [commit('n1', [{ index: 1, term: 1, command: a }, { index: 2, term: 1, command: b }, { index: 3, term: 1, command: c3 }]), snapshot('n2', 1, 'restart', 1), commit('n2', [{ index: 3, term: 1, command: c3 }], 1)];
    expect(properties(run(skip))).toEqual(['state-machine-safety']);
  });

  it('exactly-once across a snapshot: a repeat answered from the snapshot\'s sessions passes; applying it again fails', () => {
    const trace = [
      commit('n1', [{ index: 1, term: 1, command: a }, { index: 2, term: 1, command: a }]),
      snapshot('n2', 1, 'restart', 1),
      commit('n2', [{ index: 2, term: 1, command: a }], 1),
    ];
    const first = apply('n1', 1, 'c1#1', 'applied', '"ok"');
    const dupN1 = apply('n1', 2, 'c1#1', 'duplicate', '"ok"');
    expect(properties(run(trace, { applies: [first, dupN1, apply('n2', 2, 'c1#1', 'duplicate', '"ok"', 1)] }))).toEqual([]);
    expect(properties(run(trace, { applies: [first, dupN1, apply('n2', 2, 'c1#1', 'applied', '"ok"', 1)] }))).toEqual(['exactly-once']);
    expect(properties(run(trace, { applies: [first, dupN1, apply('n2', 2, 'c1#1', 'duplicate', '"other"', 1)] }))).toEqual(['exactly-once']);
  });
});
