import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { tiebreakSpec } from '../../../src/machines/tiebreak.ts';
import type { VotingDurable, VotingMessage } from '../../../src/machines/voting-machine.ts';
import { onceDurable } from '../../../src/core/write-once.ts';
import { decided, effectsOf, LiveCluster, nodeIds, PureCluster, splitVoteOf25, TIMING } from './effects-harness.ts';

const tiebreakMachine = tiebreakSpec.machine;
const tiebreakView = tiebreakSpec.view;
const parseTiebreakMessage = tiebreakSpec.parseMessage;
type TiebreakMessage = VotingMessage;
type TiebreakDurable = VotingDurable;

const FIVE = nodeIds(5);

function startAlone(self = 'n01', members = FIVE, durable?: TiebreakDurable) {
  return initialTransition(tiebreakMachine, { self, members, seed: 1, timing: TIMING, durable: onceDurable(durable) });
}

function receiveVotes(snapshot: ReturnType<typeof startAlone>[0], votes: ReadonlyArray<readonly [string, string]>) {
  let s = snapshot;
  let effects: ReturnType<typeof effectsOf<TiebreakMessage, TiebreakDurable>> = [];
  for (const [from, value] of votes) {
    const [next, actions] = transition(tiebreakMachine, s, { type: 'receive', from, message: { type: 'vote', value } });
    s = next;
    effects = effectsOf<TiebreakMessage, TiebreakDurable>(actions);
  }
  return { snapshot: s, effects };
}

describe('tiebreak', () => {
  it('validates its messages at the boundary', () => {
    expect(parseTiebreakMessage({ type: 'vote', value: 'blue' })).toEqual({ type: 'vote', value: 'blue' });
    expect(parseTiebreakMessage({ type: 'vote', value: 'b'.repeat(41) })).toBeUndefined();
    expect(parseTiebreakMessage({ type: 'tiebreak' })).toBeUndefined();
    expect(parseTiebreakMessage(undefined)).toBeUndefined();
  });

  it('decides the 25-node split vote 9 / 5 / 11 on the smallest candidate, the same on every node', () => {
    const cluster = splitVoteOf25<TiebreakMessage>(tiebreakMachine);
    expect(cluster.decisions.size).toBe(25);
    expect(new Set(cluster.decisions.values())).toEqual(new Set(['blue']));
    for (const node of cluster.members) {
      expect(tiebreakView(cluster.snapshot(node))).toMatchObject({
        phase: 'decided',
        decided: 'blue',
        tally: { red: 9, blue: 5, green: 11 },
      });
    }
  });

  it('waits for the last vote before breaking a tie, and breaks it only then', () => {
    const { snapshot, effects } = receiveVotes(startAlone()[0], [
      ['n01', 'red'],
      ['n02', 'red'],
      ['n03', 'green'],
      ['n04', 'green'],
    ]);
    expect(effects.some((e) => e.type === 'commit')).toBe(false);
    expect(tiebreakView(snapshot).waitingFor).toBe('votes from n05');
    const last = receiveVotes(snapshot, [['n05', 'yellow']]);
    expect(last.effects.filter((e) => e.type === 'commit')).toEqual([decided('green')]);
  });

  it('still decides a strict majority without waiting for everyone', () => {
    const { snapshot } = receiveVotes(startAlone()[0], [
      ['n02', 'yellow'],
      ['n03', 'yellow'],
      ['n05', 'yellow'],
    ]);
    // The tiebreaker would say "blue" if n01/n04 voted blue, but yellow already has 3 of 5.
    expect(snapshot.context.decided).toBe('yellow');
  });

  it('blocks forever when one member is silent, and says who it waits for', () => {
    const cluster = new LiveCluster(tiebreakSpec, FIVE).start(['n01', 'n02', 'n03', 'n04']);
    cluster.propose('n01', 'red');
    cluster.propose('n04', 'blue');
    cluster.deliver((e) => e.message.type === 'candidate' && (e.to <= 'n02') === (e.message.value === 'red'));
    cluster.deliver();
    cluster.advance(TIMING.retransmitMs * 50);
    cluster.deliver();
    expect(cluster.decisions.size).toBe(0);
    for (const node of ['n01', 'n02', 'n03', 'n04']) {
      expect(cluster.view(node)).toMatchObject({
        phase: 'voting',
        decided: undefined,
        waitingFor: 'votes from n05',
        waitingOn: ['n05'],
        tally: { red: 2, blue: 2 },
      });
    }
    // Everyone keeps knocking on n05's door, and only there.
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.length).toBeGreaterThan(0);
    expect(cluster.sent.every((e) => e.to === 'n05')).toBe(true);
  });

  it('a restarted node reports its stored decision without persisting or deciding anew', () => {
    const durable: TiebreakDurable = {
      proposal: undefined,
      vote: 'red',
      votes: { n01: 'red', n02: 'blue', n03: 'blue', n04: 'green', n05: 'red' },
      decided: 'blue',
    };
    const [snapshot, actions] = startAlone('n03', FIVE, durable);
    expect(effectsOf(actions)).toEqual([decided('blue')]);
    expect(tiebreakView(snapshot).decided).toBe('blue');
  });

  it('a node that restarts after every vote is recorded decides from its stored tally', () => {
    const cluster = new PureCluster<TiebreakMessage>(tiebreakMachine, FIVE);
    const durable: TiebreakDurable = {
      proposal: undefined,
      vote: 'red',
      votes: { n01: 'red', n02: 'blue', n03: 'blue', n04: 'green', n05: 'red' },
      decided: undefined,
    };
    cluster.start(['n02'], durable);
    expect(cluster.decisions.get('n02')).toBe('blue');
  });
});
