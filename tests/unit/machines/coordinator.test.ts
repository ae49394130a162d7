import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  coordinatorMachine,
  coordinatorSpec,
  coordinatorView,
  electCoordinator,
  parseCoordinatorMessage,
  type CoordinatorDurable,
  type CoordinatorMessage,
} from '../../../src/machines/coordinator.ts';
import { ALGORITHMS, getAlgorithm } from '../../../src/machines/index.ts';
import { ALGORITHM_NAMES } from '../../../src/machines/spec.ts';
import { onceDurable } from '../../../src/core/write-once.ts';
import { decided, effectsOf, LiveCluster, nodeIds, persisted, TIMING } from './effects-harness.ts';

const THREE = nodeIds(3); // n01, n02, n03: n03 coordinates

function start(self: string, durable?: CoordinatorDurable, members = THREE) {
  const [snapshot, actions] = initialTransition(coordinatorMachine, { self, members, seed: 1, timing: TIMING, durable: onceDurable(durable) });
  return { snapshot, effects: effectsOf<CoordinatorMessage, CoordinatorDurable>(actions) };
}

function step(snapshot: ReturnType<typeof start>['snapshot'], event: Parameters<typeof coordinatorMachine.transition>[1]) {
  const [next, actions] = transition(coordinatorMachine, snapshot, event);
  return { snapshot: next, effects: effectsOf<CoordinatorMessage, CoordinatorDurable>(actions) };
}

const from = (sender: string, message: CoordinatorMessage) => ({ type: 'receive' as const, from: sender, message });

describe('coordinator: messages at the boundary', () => {
  it('accepts initialize, ask and value, keeping only known fields', () => {
    expect(parseCoordinatorMessage({ type: 'initialize', value: 'red', from: 'n03' })).toEqual({ type: 'initialize', value: 'red' });
    expect(parseCoordinatorMessage({ type: 'ask' })).toEqual({ type: 'ask' });
    expect(parseCoordinatorMessage({ type: 'value', value: 'red' })).toEqual({ type: 'value', value: 'red' });
  });

  it.each([
    ['null', null],
    ['a number', 3],
    ['an unknown type', { type: 'elect' }],
    ['an inherited property as type', { type: 'hasOwnProperty' }],
    ['a value that is not text', { type: 'value', value: { red: true } }],
    ['an oversized value', { type: 'initialize', value: 'r'.repeat(41) }],
    ['an empty value', { type: 'initialize', value: '' }],
  ])('rejects %s', (_, raw) => {
    expect(parseCoordinatorMessage(raw)).toBeUndefined();
  });
});

describe('coordinator: the bully algorithm', () => {
  it('elects the highest node id in string order', () => {
    expect(electCoordinator(['n1', 'n2', 'n3'], 'n1')).toBe('n3');
    expect(electCoordinator(['n9', 'n10'], 'n10')).toBe('n9');
    expect(electCoordinator(['ann', 'Zoe', 'bob'], 'ann')).toBe('bob');
  });

  it('a proposer persists its value, then sends initialize (and its question) to the coordinator', () => {
    const { snapshot, effects: startEffects } = start('n01');
    expect(startEffects).toEqual([{ type: 'send', to: 'n03', message: { type: 'ask' } }]);
    const { effects } = step(snapshot, { type: 'tryInitialize', value: 'red' });
    expect(effects).toEqual([
      persisted({ proposal: 'red', decided: undefined }),
      { type: 'send', to: 'n03', message: { type: 'initialize', value: 'red' } },
      { type: 'send', to: 'n03', message: { type: 'ask' } },
    ]);
  });

  it('the coordinator proposing sends initialize to itself like anyone else', () => {
    const { snapshot, effects: startEffects } = start('n03');
    expect(startEffects).toEqual([]);
    const { effects } = step(snapshot, { type: 'tryInitialize', value: 'blue' });
    expect(effects.filter((e) => e.type === 'send')).toEqual([
      { type: 'send', to: 'n03', message: { type: 'initialize', value: 'blue' } },
    ]);
  });

  it('the coordinator keeps the first value written, persisting it before it answers', () => {
    const first = step(start('n03').snapshot, from('n01', { type: 'initialize', value: 'red' }));
    expect(first.effects).toEqual([
      persisted({ proposal: undefined, decided: 'red' }),
      { type: 'send', to: 'n01', message: { type: 'value', value: 'red' } },
      decided('red'),
    ]);
    const second = step(first.snapshot, from('n02', { type: 'initialize', value: 'blue' }));
    expect(second.effects).toEqual([{ type: 'send', to: 'n02', message: { type: 'value', value: 'red' } }]);
    const asked = step(second.snapshot, from('n02', { type: 'ask' }));
    expect(asked.effects).toEqual([{ type: 'send', to: 'n02', message: { type: 'value', value: 'red' } }]);
    expect(coordinatorView(asked.snapshot)).toMatchObject({ phase: 'decided', decided: 'red' });
  });

  it('ignores questions before it has a value, and writes from strangers', () => {
    const asked = step(start('n03').snapshot, from('n01', { type: 'ask' }));
    expect(asked.effects).toEqual([]);
    const forged = step(asked.snapshot, from('mallory', { type: 'initialize', value: 'evil' }));
    expect(forged.effects).toEqual([]);
    expect(forged.snapshot.context.decided).toBeUndefined();
  });

  it("a follower learns only from the coordinator: the sender is the connection's peer", () => {
    const notCoordinator = step(start('n01').snapshot, from('n02', { type: 'value', value: 'green' }));
    // Only the coordinator announces: n02's announcement is refused and n02 named.
    expect(notCoordinator.effects).toEqual([
      { type: 'refused', from: 'n02', reason: 'implausible', detail: 'announced a value, but n03 is the coordinator' },
    ]);
    expect(notCoordinator.snapshot.context.decided).toBeUndefined();
    const answer = step(notCoordinator.snapshot, from('n03', { type: 'value', value: 'red' }));
    expect(answer.effects).toEqual([
      persisted({ proposal: undefined, decided: 'red' }),
      decided('red'),
    ]);
  });

  it('a coordinator restarted with its durable state keeps its value', () => {
    const restarted = start('n03', { proposal: undefined, decided: 'red' });
    expect(restarted.effects).toEqual([decided('red')]);
    const write = step(restarted.snapshot, from('n02', { type: 'initialize', value: 'blue' }));
    expect(write.effects).toEqual([{ type: 'send', to: 'n02', message: { type: 'value', value: 'red' } }]);
  });

  it('a coordinator whose stored value is unreadable never keeps a new first write', () => {
    const { snapshot } = start('n03', { proposal: 7, decided: ['red'] } as unknown as CoordinatorDurable);
    expect(snapshot.context.decided).toBeUndefined();
    // It may have answered "red" before it crashed: keeping "blue" now could break Agreement.
    const write = step(snapshot, from('n02', { type: 'initialize', value: 'blue' }));
    expect(write.effects).toEqual([]);
    expect(write.snapshot.context.decided).toBeUndefined();
    expect(coordinatorView(write.snapshot).phase).toBe('storage lost');
  });

  it('a member whose stored state is unreadable just asks again', () => {
    const { snapshot } = start('n01', { proposal: 7 } as unknown as CoordinatorDurable);
    const answer = step(snapshot, from('n03', { type: 'value', value: 'red' }));
    expect(answer.snapshot.context.decided).toBe('red');
  });
});

describe('coordinator: retransmission and crashes (simulated clock)', () => {
  it('retransmits through message loss until everyone knows the value, then goes quiet', () => {
    const cluster = new LiveCluster(coordinatorSpec, THREE).start();
    cluster.propose('n01', 'red');
    cluster.propose('n02', 'blue');
    // n01's first initialize is lost; n02's arrives first: first write wins.
    expect(cluster.drop((e) => e.from === 'n01' && e.message.type === 'initialize')).toBe(1);
    cluster.deliver((e) => e.from === 'n02' && e.message.type === 'initialize');
    expect(cluster.decisions.get('n03')).toBe('blue');
    // Every other message of this round is lost too.
    cluster.drop(() => true);
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.map((e) => [e.from, e.to, e.message.type])).toEqual([
      ['n01', 'n03', 'initialize'],
      ['n01', 'n03', 'ask'],
      ['n02', 'n03', 'initialize'],
      ['n02', 'n03', 'ask'],
    ]);
    cluster.deliver();
    expect(Object.fromEntries(cluster.decisions)).toEqual({ n01: 'blue', n02: 'blue', n03: 'blue' });
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs * 10);
    expect(cluster.sent).toEqual([]);
  });

  it('survives a coordinator crash-restart with its durable state', () => {
    const cluster = new LiveCluster(coordinatorSpec, THREE).start();
    cluster.propose('n01', 'red');
    cluster.deliver((e) => e.message.type === 'initialize');
    cluster.drop(() => true);
    const stored = JSON.parse(JSON.stringify(cluster.durable.get('n03'))) as CoordinatorDurable;
    cluster.crash('n03');
    cluster.propose('n02', 'blue');
    cluster.start(['n03'], () => stored);
    cluster.deliver();
    cluster.advance(TIMING.retransmitMs);
    cluster.deliver();
    expect(Object.fromEntries(cluster.decisions)).toEqual({ n01: 'red', n02: 'red', n03: 'red' });
  });

  it('without its coordinator nobody ever decides, and every view says so', () => {
    const cluster = new LiveCluster(coordinatorSpec, THREE).start(['n01', 'n02']);
    cluster.propose('n01', 'red');
    cluster.advance(TIMING.retransmitMs * 100);
    cluster.deliver();
    expect(cluster.decisions.size).toBe(0);
    for (const node of ['n01', 'n02']) {
      expect(cluster.view(node)).toMatchObject({
        phase: 'asking',
        waitingFor: 'an answer from coordinator n03',
        waitingOn: ['n03'],
        decided: undefined,
      });
    }
    // Still asking, every period, forever.
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.map((e) => `${e.from} ${e.message.type} to ${e.to}`).sort()).toEqual([
      'n01 ask to n03',
      'n01 initialize to n03',
      'n02 ask to n03',
    ]);
  });
});

describe('algorithm registry', () => {
  it('has a spec under every algorithm name, and only those', () => {
    expect(Object.keys(ALGORITHMS).sort()).toEqual([...ALGORITHM_NAMES].sort());
    for (const name of ALGORITHM_NAMES) expect(getAlgorithm(name).name).toBe(name);
  });

  it('marks exactly the deliberately unsafe algorithms as broken', () => {
    const broken = ALGORITHM_NAMES.filter((name) => ALGORITHMS[name].broken);
    expect(broken).toEqual(['impatient-tiebreak', 'paxos-amnesia']);
  });

  it('refuses an unknown name with the list of known ones', () => {
    expect(() => getAlgorithm('raft')).toThrow(/Unknown algorithm "raft".*coordinator, majority/);
  });
});
