/**
 * Storage fails safe: a decision's node whose stored state is there but cannot be read restarts
 * listen-only (never as a fresh node: that is amnesia), in the one layout (NodeStore) and in the
 * StoredNode blobs older builds wrote; a write that fails stops the node before any message that
 * depends on it leaves; and what older builds stored is migrated, promises and votes kept.
 */
import { describe, expect, it } from 'vitest';
import { liveTiming } from '../../../src/classroom/classroom.ts';
import { LiveNode } from '../../../src/classroom/live-node.ts';
import { migrateStoredNode, NodeStore, readStoredNode, STORE_VERSION, storeKey, storedNodeKey } from '../../../src/classroom/node-store.ts';
import type { DecisionAnnouncement, NodeReport } from '../../../src/classroom/protocol.ts';
import { MemoryStore } from '../../../src/classroom/storage.ts';
import { coordinatorSpec } from '../../../src/machines/coordinator.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import type { OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { FakeClock } from './fake-clock.ts';

const members = ['n1', 'n2', 'n3'];

function decision(algorithm: DecisionAnnouncement['algorithm'] = 'paxos', id = 'd1'): DecisionAnnouncement {
  return { id, seq: 1, algorithm, scenario: 'colors', members, startedAt: 0 };
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

/** What a working node of d1 stored (the one layout), to corrupt one part of. */
function storedByANode(): MemoryStore {
  const store = new MemoryStore();
  const first = start(store);
  first.node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 1 });
  first.node.stop();
  return store;
}

describe('an entry that exists but cannot be read', () => {
  // [what, how the store is broken]: StoredNode blobs of older builds, and parts of the one layout.
  const corruptions: ReadonlyArray<readonly [string, (store: MemoryStore) => void]> = [
    ['StoredNode blob, bad JSON', (store) => store.saveText(storedNodeKey('d1'), '{"decision": {"id": "d1"')],
    ['StoredNode blob, wrong shape', (store) => store.saveText(storedNodeKey('d1'), JSON.stringify({ decision: 'd1', durable: 42 }))],
    ['StoredNode blob, a newer version', (store) => store.saveText(storedNodeKey('d1'), JSON.stringify({ version: 2, decision: decision(), durable: {}, proposed: [] }))],
    ['StoredNode blob, another decision', (store) => store.saveText(storedNodeKey('d1'), JSON.stringify({ decision: { ...decision(), id: 'd2' }, durable: {}, proposed: [] }))],
    ['meta, bad JSON', (store) => store.saveText(storeKey('d1', 'meta'), '{"version": 3,')],
    ['meta, a newer version', (store) => store.save(storeKey('d1', 'meta'), { version: STORE_VERSION + 1, last: 0, base: 0 })],
    ['hard state, bad JSON', (store) => store.saveText(storeKey('d1', 'hard'), '{"promised": {"round": 1,')],
    ['facts of another decision', (store) => store.save(storeKey('d1', 'decision'), { decision: { ...decision(), id: 'd2' }, proposed: [] })],
    ['facts, wrong shape', (store) => store.save(storeKey('d1', 'decision'), { decision: decision(), proposed: 'red' })],
    ['hard state without a meta', (store) => store.remove(storeKey('d1', 'meta'))],
    ['a book under this id', (store) => {
      store.remove(storeKey('d1', 'decision'));
      store.save(storeKey('d1', 'book'), { id: 'd1', seq: 1, algorithm: 'raft', stateMachine: 'orders', members, startedAt: 0 });
    }],
  ];

  for (const [what, corrupt] of corruptions) {
    it(`(${what}) restarts the Paxos node listen-only: no promise, no proposal, and its view says so`, () => {
      const store = what.startsWith('StoredNode') ? new MemoryStore() : storedByANode();
      corrupt(store);
      // The one adapter's read, judged against the decision it is opened for (a book's log reads, but is not a decision's).
      expect(new NodeStore(store, { kind: 'decision', decision: decision(), proposed: [] }).read.kind).toBe('unreadable');
      const { node, sent, clock } = start(store);
      expect(node.view().storage).toBe('unreadable');
      expect(node.view().waitingFor).toMatch(/only listens/);
      node.receive('n2', { type: 'prepare', ballot: { round: 2, node: 'n2' } }, { inc: 9, seq: 1 });
      node.propose('red');
      clock.advance(10);
      expect(sent.filter((s) => (s.message as { type: string }).type !== 'query')).toEqual([]);
      // Its first write of its own (the proposal) stores the listen-only mark first: unreadable for good.
      expect(store.load(storeKey('d1', 'meta'))).toMatchObject({ version: STORE_VERSION, listenOnly: true });
      expect(start(store).node.view().storage).toBe('unreadable');
    });
  }

  it('leaves the evidence as it is until the node has something of its own to write', () => {
    const store = new MemoryStore();
    store.saveText(storedNodeKey('d1'), 'not json at all');
    const { node } = start(store);
    expect(node.view().storage).toBe('unreadable');
    expect(store.keys('')).toEqual([storedNodeKey('d1')]);
    node.propose('red');
    // The mark is in the one layout now, so the unreadable blob goes.
    expect(store.exists(storedNodeKey('d1'))).toBe(false);
    expect(readStoredNode(store, 'd1')).toMatchObject({ kind: 'unreadable', facts: { kind: 'decision', proposed: ['red'] } });
  });

  it('stays listen-only across a further restart, yet still learns the decision from two members', () => {
    const store = new MemoryStore();
    store.saveText(storedNodeKey('d1'), 'not json at all');
    start(store).node.propose('red'); // writes the node's facts, with the listen-only mark
    const { node, reports } = start(store);
    expect(node.view().storage).toBe('unreadable');
    expect(node.proposed).toEqual(['red']);
    node.receive('n2', { type: 'chosen', value: 'blue' }, { inc: 9, seq: 2 });
    node.receive('n3', { type: 'chosen', value: 'blue' }, { inc: 9, seq: 3 });
    expect(node.view().decided).toBe('blue');
    expect(reports.at(-1)?.view?.storage).toBe('unreadable');
  });

  it('keeps a voting node from voting again, and a coordinator from keeping a new first write', () => {
    const store = new MemoryStore();
    store.saveText(storedNodeKey('d1'), '[1, 2, 3]');
    const voter = start(store, majoritySpec, decision('majority'));
    voter.node.receive('n2', { type: 'candidate', value: 'red' }, { inc: 9, seq: 4 });
    voter.clock.advance(10);
    expect(voter.sent.filter((s) => (s.message as { type: string }).type === 'vote')).toEqual([]);

    const coordinatorStore = new MemoryStore();
    coordinatorStore.saveText(storeKey('d1', 'meta'), '{');
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

  it('an absent entry is a first start: a normal node that promises, and its decision is stored at once', () => {
    const store = new MemoryStore();
    const { node, sent } = start(store);
    expect(node.view().storage).toBeUndefined();
    expect(readStoredNode(store, 'd1')).toEqual({ kind: 'ok', from: 'current', durable: { hard: undefined, entries: [] }, facts: { kind: 'decision', decision: decision(), proposed: [] } });
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

  it('stops a proposer whose proposal cannot be stored before any prepare is sent, and keeps no proposal in memory', () => {
    const store = new FillingStore();
    const { node, sent, reports } = start(store);
    store.full = true;
    node.propose('red');
    expect(sent).toEqual([]);
    expect(reports.at(-1)?.stopped).toBe('storage-full');
    expect(node.proposed).toEqual([]);
    expect(readStoredNode(store, 'd1')).toMatchObject({ kind: 'ok', facts: { proposed: [] } });
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

  it('while storage works, persists before it sends, one write per step (the control case)', () => {
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

/**
 * The bytes the builds before the one store wrote under `node:<id>`, exactly (recorded by running
 * that code: version 1 is what HEAD~ of this change stored, version 0 the same without `version`,
 * as builds before cd50c8e stored it). Decision d1-ab of n1, n2, n3.
 */
const ANNOUNCED = '{"id":"d1-ab","seq":1,"algorithm":"ALGO","scenario":"colors","members":["n1","n2","n3"],"startedAt":0}';
const V1 = {
  paxosPromised: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"durable":{"promised":{"round":5,"node":"n2"}},"proposed":[]}`,
  paxosAccepted: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"durable":{"promised":{"round":5,"node":"n2"},"accepted":{"ballot":{"round":5,"node":"n2"},"value":"blue"}},"proposed":[]}`,
  paxosProposer: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"durable":{"promised":{"round":1,"node":"n1"},"proposal":{"value":"red","round":1},"round":1},"proposed":["red"]}`,
  majorityDecided: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'majority')},"durable":{"proposal":"red","vote":"red","votes":{"n1":"red","n2":"red"},"decided":"red"},"proposed":["red"]}`,
  listenOnly: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"durable":null,"proposed":["green"],"storage":"unreadable"}`,
  firstStart: `{"version":1,"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"proposed":[]}`,
};
const V0 = {
  paxosPromised: `{"decision":${ANNOUNCED.replace('ALGO', 'paxos')},"durable":{"promised":{"round":5,"node":"n2"}},"proposed":[]}`,
  majorityDecided: `{"decision":${ANNOUNCED.replace('ALGO', 'majority')},"durable":{"proposal":"red","vote":"red","votes":{"n1":"red","n2":"red"},"decided":"red"},"proposed":["red"]}`,
};

function storedBlob(text: string): MemoryStore {
  const store = new MemoryStore();
  store.saveText(storedNodeKey('d1-ab'), text);
  return store;
}

const paxosD1 = decision('paxos', 'd1-ab');
const majorityD1 = decision('majority', 'd1-ab');

describe('a StoredNode blob of an older build (versions 0 and 1)', () => {
  for (const [version, blob] of [['0', V0.paxosPromised], ['1', V1.paxosPromised]] as const) {
    it(`(version ${version}) is migrated on load: the returning Paxos acceptor keeps its promise and is not made listen-only`, () => {
      const store = storedBlob(blob);
      expect(readStoredNode(store, 'd1-ab')).toMatchObject({ kind: 'ok', from: `stored-node-v${version}`, durable: { hard: { promised: { round: 5, node: 'n2' } }, entries: [] } });
      const { node, sent, clock } = start(store, paxosSpec, paxosD1);
      expect(node.view().storage).toBeUndefined();
      // Migrated at once, into the one layout: the hard state bare under the log's hard key, the facts beside it.
      expect(store.exists(storedNodeKey('d1-ab'))).toBe(false);
      expect(store.load(storeKey('d1-ab', 'hard'))).toEqual({ promised: { round: 5, node: 'n2' } });
      expect(store.load(storeKey('d1-ab', 'decision'))).toEqual({ decision: paxosD1, proposed: [] });
      expect(store.load(storeKey('d1-ab', 'meta'))).toEqual({ version: STORE_VERSION, last: 0, base: 0 });
      node.receive('n3', { type: 'prepare', ballot: { round: 3, node: 'n3' } }, { inc: 9, seq: 2 });
      clock.advance(10);
      // A fresh acceptor (amnesia) would promise ballot 3; the migrated one remembers 5.n2.
      expect(sent.at(-1)?.message).toMatchObject({ type: 'nack', promised: { round: 5, node: 'n2' } });
      node.receive('n3', { type: 'prepare', ballot: { round: 6, node: 'n3' } }, { inc: 9, seq: 3 });
      clock.advance(10);
      expect(sent.at(-1)?.message).toEqual({ type: 'promise', ballot: { round: 6, node: 'n3' } });
      // The stored state is the machine's state itself (its log's `hard`), never a log wrapper.
      const hard = store.load(storeKey('d1-ab', 'hard')) as Record<string, unknown>;
      expect(hard).toMatchObject({ promised: { round: 6, node: 'n3' } });
      expect(hard).not.toHaveProperty('entries');
      node.stop();
      expect(readStoredNode(store, 'd1-ab')).toMatchObject({ kind: 'ok', from: 'current' });
    });
  }

  it('(version 1) keeps an accepted value: a new proposer hears it in the promise', () => {
    const { node, sent, clock } = start(storedBlob(V1.paxosAccepted), paxosSpec, paxosD1);
    node.receive('n3', { type: 'prepare', ballot: { round: 6, node: 'n3' } }, { inc: 9, seq: 1 });
    clock.advance(10);
    expect(sent.at(-1)?.message).toMatchObject({ type: 'promise', ballot: { round: 6, node: 'n3' }, accepted: { value: 'blue' } });
  });

  it('(version 1) keeps a proposer its proposals and its round', () => {
    const { node } = start(storedBlob(V1.paxosProposer), paxosSpec, paxosD1);
    expect(node.proposed).toEqual(['red']);
    expect(node.view().storage).toBeUndefined();
    expect(node.view().fields.find((f) => f.label === 'promised')?.value).toMatch(/1/);
  });

  for (const [version, blob] of [['0', V0.majorityDecided], ['1', V1.majorityDecided]] as const) {
    it(`(version ${version}) restarts a decided voter with its vote and decision, not listen-only`, () => {
      const store = storedBlob(blob);
      const { node } = start(store, majoritySpec, majorityD1);
      expect(node.view()).toMatchObject({ phase: 'decided', decided: 'red' });
      expect(node.view().storage).toBeUndefined();
      expect(node.proposed).toEqual(['red']);
      expect(store.load(storeKey('d1-ab', 'hard'))).toEqual({ proposal: 'red', vote: 'red', votes: { n1: 'red', n2: 'red' }, decided: 'red' });
    });
  }

  it('(version 1) keeps the listen-only mark through the migration, and its proposals', () => {
    const store = storedBlob(V1.listenOnly);
    expect(readStoredNode(store, 'd1-ab')).toMatchObject({ kind: 'unreadable', from: 'stored-node-v1', facts: { proposed: ['green'] } });
    const { node, sent, clock } = start(store, paxosSpec, paxosD1);
    expect(node.view().storage).toBe('unreadable');
    expect(store.exists(storedNodeKey('d1-ab'))).toBe(false);
    expect(store.load(storeKey('d1-ab', 'meta'))).toEqual({ version: STORE_VERSION, last: 0, base: 0, listenOnly: true });
    node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 1 });
    clock.advance(10);
    expect(sent.filter((s) => (s.message as { type: string }).type === 'promise')).toEqual([]);
    node.stop();
    // Still listen-only after another reload, in the one layout.
    const again = start(store, paxosSpec, paxosD1).node;
    expect(again.view().storage).toBe('unreadable');
    expect(again.proposed).toEqual(['green']);
  });

  it('(version 1) a first start that never persisted stays a first start', () => {
    const store = storedBlob(V1.firstStart);
    const { node, sent } = start(store, paxosSpec, paxosD1);
    expect(node.view().storage).toBeUndefined();
    node.receive('n2', { type: 'prepare', ballot: { round: 1, node: 'n2' } }, { inc: 9, seq: 1 });
    expect(sent).toContainEqual({ to: 'n2', message: { type: 'promise', ballot: { round: 1, node: 'n2' } } });
    expect(store.exists(storeKey('d1-ab', 'hard'))).toBe(true);
  });

  it('a migration whose write fails stops the node and keeps the blob, migrated by the next load', () => {
    const store = new FillingStore();
    store.saveText(storedNodeKey('d1-ab'), V1.paxosPromised);
    store.full = true;
    const failed = start(store, paxosSpec, paxosD1);
    expect(failed.node.view().storage).toBe('full');
    failed.clock.advance(1_000);
    expect(failed.sent).toEqual([]);
    expect(store.exists(storedNodeKey('d1-ab'))).toBe(true);
    store.full = false;
    const { node, sent, clock } = start(store, paxosSpec, paxosD1);
    expect(node.view().storage).toBeUndefined();
    expect(store.exists(storedNodeKey('d1-ab'))).toBe(false);
    node.receive('n3', { type: 'prepare', ballot: { round: 3, node: 'n3' } }, { inc: 9, seq: 2 });
    clock.advance(10);
    expect(sent.at(-1)?.message).toMatchObject({ type: 'nack', promised: { round: 5, node: 'n2' } });
  });

  it('is still unreadable (listen-only) when it does not fit that layout', () => {
    // The listen-only mark did not exist before versions did: a version-0 entry carrying one was not written by us.
    const marked = storedBlob(JSON.stringify({ ...JSON.parse(V0.paxosPromised), storage: 'unreadable' }));
    expect(start(marked, paxosSpec, paxosD1).node.view().storage).toBe('unreadable');
    const negative = storedBlob(JSON.stringify({ ...JSON.parse(V1.paxosPromised), version: -1 }));
    expect(start(negative, paxosSpec, paxosD1).node.view().storage).toBe('unreadable');
    const badMark = storedBlob(JSON.stringify({ ...JSON.parse(V1.paxosPromised), storage: 'full' }));
    expect(start(badMark, paxosSpec, paxosD1).node.view().storage).toBe('unreadable');
  });

  it('a blob left behind once the one layout is written is ignored: the one layout is read', () => {
    const store = new MemoryStore();
    const first = start(store, paxosSpec, paxosD1);
    first.node.receive('n2', { type: 'prepare', ballot: { round: 7, node: 'n2' } }, { inc: 9, seq: 1 });
    first.node.stop();
    store.saveText(storedNodeKey('d1-ab'), V1.paxosPromised); // as a migration cut short before the removal leaves it
    const { node, sent, clock } = start(store, paxosSpec, paxosD1);
    node.receive('n3', { type: 'prepare', ballot: { round: 6, node: 'n3' } }, { inc: 9, seq: 2 });
    clock.advance(10);
    expect(sent.at(-1)?.message).toMatchObject({ type: 'nack', promised: { round: 7, node: 'n2' } });
  });
});

describe('migrateStoredNode', () => {
  it('lifts version 0 to version 1 and refuses newer or malformed versions', () => {
    expect(migrateStoredNode({ decision: 'd', durable: 1, proposed: [] })).toEqual({ decision: 'd', durable: 1, proposed: [], version: 1 });
    expect(migrateStoredNode({ version: 1, durable: 1 })).toEqual({ version: 1, durable: 1 });
    expect(migrateStoredNode({ version: 2 })).toBeUndefined();
    expect(migrateStoredNode({ version: '1' })).toBeUndefined();
    expect(migrateStoredNode({ version: 0.5 })).toBeUndefined();
  });
});
