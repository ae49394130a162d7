/**
 * Storage fails safe: an entry that is there but cannot be read restarts the node listen-only
 * (never as a fresh node: that is amnesia), and a write that fails stops the node before any
 * message that depends on it leaves.
 */
import { describe, expect, it } from 'vitest';
import { liveTiming } from '../../../src/classroom/classroom.ts';
import { LiveNode, migrateStoredNode, nodeKey, STORED_NODE_VERSION, type StoredNode } from '../../../src/classroom/live-node.ts';
import type { DecisionAnnouncement, NodeReport } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { coordinatorSpec } from '../../../src/machines/coordinator.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { FakeClock } from './fake-clock.ts';

const members = ['n1', 'n2', 'n3'];

function decision(algorithm: DecisionAnnouncement['algorithm'] = 'paxos'): DecisionAnnouncement {
  return { id: 'd1', seq: 1, algorithm, scenario: 'colors', members, startedAt: 0 };
}

/** A store whose writes start failing (as localStorage does at its quota) once `full` is set. */
class FillingStore extends MemoryStore {
  full = false;
  writes = 0;
  override save(key: string, value: unknown): void {
    if (this.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.writes++;
    super.save(key, value);
  }
}

interface Started {
  readonly node: LiveNode;
  readonly sent: { to: string; message: unknown }[];
  readonly reports: NodeReport[];
  readonly clock: FakeClock;
}

function start(store: MemoryStore, spec: OnceAlgorithmSpec = paxosSpec, announced = decision()): Started {
  const clock = new FakeClock();
  const sent: { to: string; message: unknown }[] = [];
  const reports: NodeReport[] = [];
  const node = new LiveNode({
    self: 'n1',
    decision: announced,
    spec,
    store,
    clock,
    seed: 1,
    timing: liveTiming(0),
    sendAlgorithmMessage: (to, message) => sent.push({ to, message }),
    deliveryDelayMs: () => 0,
    onReport: (batch) => reports.push(...batch),
    incarnation: 1,
    now: () => clock.now(),
    scheduleFrame: (flush) => clock.setTimeout(flush, 16),
  });
  return { node, sent, reports, clock };
}

describe('an entry that exists but cannot be read', () => {
  const corruptions: ReadonlyArray<readonly [string, string]> = [
    ['bad JSON', '{"decision": {"id": "d1"'],
    ['wrong shape', JSON.stringify({ decision: 'd1', durable: 42 })],
    ['another version', JSON.stringify({ version: STORED_NODE_VERSION + 1, decision: decision(), durable: {}, proposed: [] })],
    ['another decision', JSON.stringify({ decision: { ...decision(), id: 'd2' }, durable: {}, proposed: [] })],
  ];

  for (const [what, text] of corruptions) {
    it(`(${what}) restarts the Paxos node listen-only: no promise, no proposal, and its view says so`, () => {
      const store = new MemoryStore();
      store.saveText(nodeKey('d1'), text);
      const { node, sent, clock } = start(store);
      expect(node.view().storage).toBe('unreadable');
      expect(node.view().waitingFor).toMatch(/only listens/);
      node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 1 });
      node.propose('red');
      clock.advance(10);
      expect(sent.filter((s) => (s.message as { type: string }).type !== 'query')).toEqual([]);
      // The evidence stays until the node has something of its own to write, and that write keeps the mark.
      const stored = store.load(nodeKey('d1')) as StoredNode;
      expect(stored.storage).toBe('unreadable');
      expect(stored.durable).toBeNull();
    });
  }

  it('stays listen-only across a further restart, yet still learns the decision from two members', () => {
    const store = new MemoryStore();
    store.saveText(nodeKey('d1'), 'not json at all');
    start(store).node.propose('red'); // writes the entry back, with the listen-only mark
    const { node, reports } = start(store);
    expect(node.view().storage).toBe('unreadable');
    node.receive('n2', { type: 'chosen', value: 'blue' }, { inc: 9, seq: 2 });
    node.receive('n3', { type: 'chosen', value: 'blue' }, { inc: 9, seq: 3 });
    expect(node.view().decided).toBe('blue');
    expect(reports.at(-1)?.view?.storage).toBe('unreadable');
  });

  it('keeps a voting node from voting again, and a coordinator from keeping a new first write', () => {
    const store = new MemoryStore();
    store.saveText(nodeKey('d1'), '[1, 2, 3]');
    const voter = start(store, majoritySpec, decision('majority'));
    voter.node.receive('n2', { type: 'candidate', value: 'red' }, { inc: 9, seq: 4 });
    voter.clock.advance(10);
    expect(voter.sent.filter((s) => (s.message as { type: string }).type === 'vote')).toEqual([]);

    const coordinatorStore = new MemoryStore();
    coordinatorStore.saveText(nodeKey('d1'), '{');
    // n3 is the coordinator of n1..n3; run the coordinator's own tab.
    const clock = new FakeClock();
    const sent: unknown[] = [];
    const coordinator = new LiveNode({
      self: 'n3',
      decision: decision('coordinator'),
      spec: coordinatorSpec,
      store: coordinatorStore,
      clock,
      seed: 1,
      timing: liveTiming(0),
      sendAlgorithmMessage: (_to, message) => sent.push(message),
      deliveryDelayMs: () => 0,
      onReport: () => {},
      incarnation: 1,
      now: () => clock.now(),
      scheduleFrame: (flush) => clock.setTimeout(flush, 16),
    });
    coordinator.receive('n1', { type: 'initialize', value: 'red' }, { inc: 9, seq: 5 });
    clock.advance(10);
    expect(coordinator.view().decided).toBeUndefined();
    expect(sent).toEqual([]);
  });

  it('an absent entry is a first start: a normal node that promises', () => {
    const store = new MemoryStore();
    const { node, sent } = start(store);
    expect(node.view().storage).toBeUndefined();
    node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 6 });
    expect(sent).toContainEqual({ to: 'n2', message: { type: 'promise', ballot: { round: 1, node: 'n2' } } });
  });
});

describe('a write that fails', () => {
  it('stops the node before the promise that depends on it leaves, and the report says so', () => {
    const store = new FillingStore();
    const { node, sent, reports } = start(store);
    store.full = true;
    node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 7 });
    expect(sent).toEqual([]);
    expect(node.stoppedForStorage).toBe(true);
    expect(node.view()).toMatchObject({ storage: 'full', phase: 'stopped' });
    expect(reports.at(-1)).toMatchObject({ stopped: 'storage-full', view: { storage: 'full' } });
    // Stopped for good: later messages and proposals do nothing, even once space is back.
    store.full = false;
    node.receive('n2', { type: 'prepare', ballot: { round: 2, node: 'n2' } }, { inc: 9, seq: 8 });
    node.propose('red');
    expect(sent).toEqual([]);
  });

  it('stops a proposer whose proposal cannot be stored before any prepare is sent', () => {
    const store = new FillingStore();
    const { node, sent, reports } = start(store);
    store.full = true;
    node.propose('red');
    expect(sent).toEqual([]);
    expect(reports.at(-1)?.stopped).toBe('storage-full');
  });

  it('stops a node whose very first write fails, without sending anything', () => {
    const store = new FillingStore();
    store.full = true;
    const { node, sent, clock, reports } = start(store);
    clock.advance(5_000);
    expect(sent).toEqual([]);
    expect(node.view().storage).toBe('full');
    expect(reports.at(-1)?.stopped).toBe('storage-full');
  });

  it('while storage works, persists before it sends (the control case)', () => {
    const store = new FillingStore();
    const { node, sent } = start(store);
    const before = store.writes;
    node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 9 });
    expect(store.writes).toBe(before + 1);
    expect(sent).toHaveLength(1);
  });
});

describe('a readable entry', () => {
  it('restarts the node with what it stored (the control case for the corruptions above)', () => {
    const store = new MemoryStore();
    const first = start(store);
    first.node.receive('n2', { type: 'prepare', ballot: { round: 3, node: 'n2' } }, { inc: 9, seq: 10 });
    first.node.stop();
    const { node, sent } = start(store);
    expect(node.view().storage).toBeUndefined();
    node.receive('n3', { type: 'prepare', ballot: { round: 2, node: 'n3' } }, { inc: 9, seq: 11 });
    expect(sent.at(-1)).toEqual({
      to: 'n3',
      message: { type: 'nack', ballot: { round: 2, node: 'n3' }, promised: { round: 3, node: 'n2' } },
    });
  });
});

describe('an entry of an older layout', () => {
  /** What a tab of the version-0 build stored for a Paxos acceptor that promised ballot 5.n2: no version, no mark. */
  function versionZeroBlob(): string {
    const store = new MemoryStore();
    const first = start(store);
    first.node.receive('n2', { type: 'prepare', ballot: { round: 5, node: 'n2' } }, { inc: 9, seq: 1 });
    first.clock.advance(10);
    const { version, storage, ...rest } = store.load(nodeKey('d1')) as StoredNode;
    expect(version).toBe(STORED_NODE_VERSION);
    expect(storage).toBeUndefined();
    return JSON.stringify(rest);
  }

  it('is migrated on load: the returning student keeps its promise and is not made listen-only', () => {
    const blob = versionZeroBlob();
    expect(JSON.parse(blob)).not.toHaveProperty('version');
    const store = new MemoryStore();
    store.saveText(nodeKey('d1'), blob);
    const { node, sent, clock } = start(store);
    expect(node.view().storage).toBeUndefined();
    node.receive('n3', { type: 'prepare', ballot: { round: 3, node: 'n3' } }, { inc: 9, seq: 2 });
    clock.advance(10);
    // A fresh acceptor (amnesia) would promise ballot 3; the migrated one remembers 5.n2.
    const replies = (to: string, type: string) => sent.filter((s) => s.to === to && (s.message as { type: string }).type === type);
    expect(replies('n3', 'promise')).toEqual([]);
    node.receive('n3', { type: 'prepare', ballot: { round: 6, node: 'n3' } }, { inc: 9, seq: 3 });
    clock.advance(10);
    expect(replies('n3', 'promise')).toHaveLength(1);
    // Its next write stores the current layout.
    expect((store.load(nodeKey('d1')) as StoredNode).version).toBe(STORED_NODE_VERSION);
  });

  it('is still unreadable (listen-only) when it does not fit that layout', () => {
    const store = new MemoryStore();
    // The listen-only mark did not exist before versions did: a version-0 entry carrying one was not written by us.
    store.saveText(nodeKey('d1'), JSON.stringify({ ...JSON.parse(versionZeroBlob()), storage: 'unreadable', durable: { promised: 'garbage' } }));
    expect(start(store).node.view().storage).toBe('unreadable');
    const negative = new MemoryStore();
    negative.saveText(nodeKey('d1'), JSON.stringify({ ...JSON.parse(versionZeroBlob()), version: -1 }));
    expect(start(negative).node.view().storage).toBe('unreadable');
  });
});

describe('an entry written before the one contract (write-once machines as logs of length one)', () => {
  // Bytes as a tab stored them before machines emitted `persistLog` / `commit`: the durable
  // state bare, not wrapped in a log. The host wraps it at the boundary, so they still read.
  const before = (algorithm: DecisionAnnouncement['algorithm'], durable: string): string =>
    `{"version":1,"decision":${JSON.stringify(decision(algorithm))},"durable":${durable},"proposed":[]}`;

  it('restarts a Paxos acceptor with its promise, and its next write stores the same shape as before', () => {
    const store = new MemoryStore();
    store.saveText(nodeKey('d1'), before('paxos', '{"promised":{"round":5,"node":"n2"}}'));
    const { node, sent, clock } = start(store);
    expect(node.view().storage).toBeUndefined();
    node.receive('n3', { type: 'prepare', ballot: { round: 3, node: 'n3' } }, { inc: 9, seq: 1 });
    clock.advance(10);
    expect(sent.at(-1)?.message).toMatchObject({ type: 'nack', promised: { round: 5, node: 'n2' } });
    node.receive('n3', { type: 'prepare', ballot: { round: 6, node: 'n3' } }, { inc: 9, seq: 2 });
    clock.advance(10);
    expect(sent.at(-1)?.message).toEqual({ type: 'promise', ballot: { round: 6, node: 'n3' } });
    // The stored state is the machine's state itself (its log's `hard`), never a log wrapper.
    const durable = (store.load(nodeKey('d1')) as StoredNode).durable as Record<string, unknown>;
    expect(durable).toMatchObject({ promised: { round: 6, node: 'n3' } });
    expect(durable).not.toHaveProperty('hard');
    expect(durable).not.toHaveProperty('entries');
  });

  it('restarts a decided voting node and a decided coordinator with their decisions, not listen-only', () => {
    const voting = new MemoryStore();
    voting.saveText(nodeKey('d1'), before('majority', '{"vote":"blue","votes":{"n1":"blue","n2":"blue"},"decided":"blue"}'));
    const restartedVoter = start(voting, majoritySpec, decision('majority')).node.view();
    expect(restartedVoter).toMatchObject({ phase: 'decided', decided: 'blue' });
    expect(restartedVoter.storage).toBeUndefined();
    const coordinator = new MemoryStore();
    coordinator.saveText(nodeKey('d1'), before('coordinator', '{"decided":"green"}'));
    const restartedCoordinator = start(coordinator, coordinatorSpec, decision('coordinator')).node.view();
    expect(restartedCoordinator).toMatchObject({ phase: 'decided', decided: 'green' });
    expect(restartedCoordinator.storage).toBeUndefined();
  });
});

describe('migrateStoredNode', () => {
  it('lifts every older version to the current one and refuses newer or malformed versions', () => {
    expect(migrateStoredNode({ decision: 'd', durable: 1, proposed: [] })).toEqual({ decision: 'd', durable: 1, proposed: [], version: STORED_NODE_VERSION });
    expect(migrateStoredNode({ version: STORED_NODE_VERSION, durable: 1 })).toEqual({ version: STORED_NODE_VERSION, durable: 1 });
    expect(migrateStoredNode({ version: STORED_NODE_VERSION + 1 })).toBeUndefined();
    expect(migrateStoredNode({ version: '1' })).toBeUndefined();
    expect(migrateStoredNode({ version: 0.5 })).toBeUndefined();
  });
});
