import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { majorityOf } from '../../../src/core/quorum.ts';
import type { NodeEffect } from '../../../src/core/types.ts';
import { majoritySpec } from '../../../src/machines/majority.ts';
import type { VotingDurable, VotingMessage } from '../../../src/machines/voting-machine.ts';
import { hardStateOf, onceDurable } from '../../../src/core/write-once.ts';
import { decided, effectsOf, LiveCluster, nodeIds, persisted, PureCluster, splitVoteOf25, TIMING, type Envelope } from './effects-harness.ts';

const majorityMachine = majoritySpec.machine;
const majorityView = majoritySpec.view;
const parseMajorityMessage = majoritySpec.parseMessage;
type MajorityMessage = VotingMessage;
type MajorityDurable = VotingDurable;

type Effect = NodeEffect<MajorityMessage, MajorityDurable>;

const FIVE = nodeIds(5); // n01 … n05

function startAlone(self = 'n01', members = FIVE, durable?: MajorityDurable) {
  return initialTransition(majorityMachine, { self, members, seed: 1, timing: TIMING, durable: onceDurable(durable) })[0];
}

function receive(snapshot: ReturnType<typeof startAlone>, from: string, message: MajorityMessage) {
  const [next, actions] = transition(majorityMachine, snapshot, { type: 'receive', from, message });
  return { snapshot: next, effects: effectsOf<MajorityMessage, MajorityDurable>(actions) };
}

const sends = (effects: readonly Effect[]) => effects.filter((e) => e.type === 'send');

describe('majority: messages at the boundary', () => {
  it('accepts the three message shapes and keeps only known fields', () => {
    expect(parseMajorityMessage({ type: 'candidate', value: 'red' })).toEqual({ type: 'candidate', value: 'red' });
    expect(parseMajorityMessage({ type: 'vote', value: 'x'.repeat(40), from: 'n05' })).toEqual({
      type: 'vote',
      value: 'x'.repeat(40),
    });
    expect(parseMajorityMessage({ type: 'vote', value: 'red', needYours: true })).toEqual({ type: 'vote', value: 'red', needYours: true });
    expect(parseMajorityMessage({ type: 'voteRequest', extra: 1 })).toEqual({ type: 'voteRequest' });
  });

  it('no longer knows the acknowledgement of the old protocol (a tab of the previous version sends junk)', () => {
    expect(parseMajorityMessage({ type: 'voteAck' })).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['a string', 'vote red'],
    ['an array', [{ type: 'vote', value: 'red' }]],
    ['no type', { value: 'red' }],
    ['an unknown type', { type: 'ballot', value: 'red' }],
    ['an inherited property as type', { type: 'toString' }],
    ['a missing value', { type: 'vote' }],
    ['a numeric value', { type: 'candidate', value: 7 }],
    ['an empty value', { type: 'vote', value: '' }],
    ['an oversized value', { type: 'candidate', value: 'x'.repeat(41) }],
    ['needYours that is not true', { type: 'vote', value: 'red', needYours: false }],
    ['needYours as text', { type: 'vote', value: 'red', needYours: 'yes' }],
    ['needYours without a valid value', { type: 'vote', value: '', needYours: true }],
  ])('rejects %s', (_, raw) => {
    expect(parseMajorityMessage(raw)).toBeUndefined();
  });
});

describe('majority: one node', () => {
  it('broadcasts its candidate to every member, itself included, after persisting it', () => {
    const [, actions] = transition(majorityMachine, startAlone(), { type: 'tryInitialize', value: 'red' });
    const effects = effectsOf<MajorityMessage, MajorityDurable>(actions);
    expect(effects[0]).toMatchObject(persisted({ proposal: 'red' }));
    expect(sends(effects).map((e) => e.type === 'send' && [e.to, e.message])).toEqual(
      FIVE.map((to) => [to, { type: 'candidate', value: 'red' }]),
    );
  });

  it('refuses an oversized local value instead of sending what peers would reject', () => {
    const [, actions] = transition(majorityMachine, startAlone(), { type: 'tryInitialize', value: 'x'.repeat(41) });
    expect(effectsOf(actions)).toEqual([]);
  });

  it('votes once, for the first candidate heard, persisting the vote before broadcasting it', () => {
    const first = receive(startAlone('n02'), 'n04', { type: 'candidate', value: 'red' });
    expect(first.effects[0]).toEqual(persisted({ proposal: undefined, vote: 'red', votes: {}, decided: undefined }));
    expect(sends(first.effects)).toHaveLength(5);
    expect(sends(first.effects).every((e) => e.type === 'send' && e.message.type === 'vote' && e.message.value === 'red')).toBe(true);

    const second = receive(first.snapshot, 'n05', { type: 'candidate', value: 'blue' });
    expect(second.effects).toEqual([]);
    expect(second.snapshot.context.vote).toBe('red');
  });

  it('never votes again after a restart, even for a different candidate', () => {
    const restarted = startAlone('n02', FIVE, { proposal: undefined, vote: 'red', votes: {}, decided: undefined });
    const { effects, snapshot } = receive(restarted, 'n05', { type: 'candidate', value: 'blue' });
    expect(effects).toEqual([]);
    expect(snapshot.context.vote).toBe('red');
  });

  it('counts votes by the sender the transport reports, first vote only, members only', () => {
    let s = startAlone('n01');
    ({ snapshot: s } = receive(s, 'n02', { type: 'vote', value: 'red' }));
    // n02 changing its mind does not count (the first vote stands), and n02 is named for it.
    const again = receive(s, 'n02', { type: 'vote', value: 'blue' });
    expect(again.effects).toEqual([
      { type: 'refused', from: 'n02', reason: 'implausible', detail: 'voted "blue" after voting "red"; the first vote counts' },
    ]);
    expect(again.snapshot.context.votes).toEqual({ n02: 'red' });
    // A repeated copy of the first vote changes nothing and costs nothing.
    expect(receive(again.snapshot, 'n02', { type: 'vote', value: 'red' }).effects).toEqual([]);
    // A stranger's vote is neither counted nor answered.
    const stranger = receive(again.snapshot, 'mallory', { type: 'vote', value: 'blue' });
    expect(stranger.effects).toEqual([]);
    expect(majorityView(stranger.snapshot).tally).toEqual({ red: 1 });
  });

  it('records a vote durably and sends nothing back: no acknowledgement', () => {
    const { effects } = receive(startAlone('n01'), 'n03', { type: 'vote', value: 'green' });
    expect(effects).toEqual([persisted({ proposal: undefined, vote: undefined, votes: { n03: 'green' }, decided: undefined })]);
  });

  it('answers a resend that asks for its vote with its stored vote, after persisting the vote it brought', () => {
    const voted = receive(startAlone('n02'), 'n04', { type: 'candidate', value: 'red' }).snapshot;
    const asked = receive(voted, 'n03', { type: 'vote', value: 'blue', needYours: true });
    expect(asked.effects).toEqual([
      persisted({ proposal: undefined, vote: 'red', votes: { n03: 'blue' }, decided: undefined }),
      { type: 'send', to: 'n03', message: { type: 'vote', value: 'red' } },
    ]);
    // Asked again (my answer was lost): answered again, nothing new to store.
    expect(receive(asked.snapshot, 'n03', { type: 'vote', value: 'blue', needYours: true }).effects).toEqual([
      { type: 'send', to: 'n03', message: { type: 'vote', value: 'red' } },
    ]);
    // A voteRequest (from a node with no vote of its own) gets the same answer.
    expect(receive(asked.snapshot, 'n05', { type: 'voteRequest' }).effects).toEqual([{ type: 'send', to: 'n05', message: { type: 'vote', value: 'red' } }]);
    // A node that has not voted has nothing to answer with; my own resend to myself needs no answer.
    expect(receive(startAlone('n02'), 'n03', { type: 'voteRequest' }).effects).toEqual([]);
    expect(receive(voted, 'n02', { type: 'vote', value: 'red', needYours: true }).effects.filter((e) => e.type === 'send')).toEqual([]);
    // A stranger asking is refused like any stranger.
    expect(receive(voted, 'mallory', { type: 'voteRequest' }).effects).toEqual([]);
  });

  it('a changed vote that asks for mine is refused and not answered', () => {
    let s = receive(startAlone('n02'), 'n04', { type: 'candidate', value: 'red' }).snapshot;
    s = receive(s, 'n03', { type: 'vote', value: 'blue' }).snapshot;
    const changed = receive(s, 'n03', { type: 'vote', value: 'green', needYours: true });
    expect(changed.effects.map((e) => e.type)).toEqual(['refused']);
  });

  it.each([5, 4, 25])('with %i members decides at exactly majorityOf(n) votes for one value', (n) => {
    const members = nodeIds(n);
    const need = majorityOf(n);
    let s = startAlone('n01', members);
    // Every member but the last `need` votes blue: those votes never help red.
    for (const from of members.slice(need)) s = receive(s, from, { type: 'vote', value: 'blue' }).snapshot;
    for (const from of members.slice(0, need - 1)) {
      const step = receive(s, from, { type: 'vote', value: 'red' });
      s = step.snapshot;
      expect(step.effects.some((e) => e.type === 'commit')).toBe(false);
    }
    expect(s.context.decided).toBeUndefined();
    const last = receive(s, members[need - 1] ?? '', { type: 'vote', value: 'red' });
    expect(last.effects.map((e) => e.type)).toEqual(['persistLog', 'persistLog', 'commit']);
    expect(last.effects[1]).toMatchObject(persisted({ decided: 'red' }));
    expect(last.effects[2]).toEqual(decided('red'));
    expect(majorityView(last.snapshot)).toMatchObject({ phase: 'decided', decided: 'red' });
  });

  it('says whose votes it is still waiting for', () => {
    let s = startAlone('n01');
    for (const from of ['n01', 'n02', 'n03']) s = receive(s, from, { type: 'vote', value: from === 'n03' ? 'blue' : 'red' }).snapshot;
    const view = majorityView(s);
    expect(view.waitingFor).toBe('votes from n04, n05');
    expect(view.waitingOn).toEqual(['n04', 'n05']);
    expect(view.tally).toEqual({ red: 2, blue: 1 });
    expect(view.fields).toContainEqual({ label: 'votes heard', value: '3 of 5' });
  });

  it('treats hostile node ids as plain keys', () => {
    const members = ['constructor', '__proto__', 'toString'];
    let s = startAlone('toString', members);
    s = receive(s, 'constructor', { type: 'vote', value: 'red' }).snapshot;
    expect(majorityView(s).waitingOn).toEqual(['__proto__', 'toString']);
    const decidedStep = receive(s, '__proto__', { type: 'vote', value: 'red' });
    expect(decidedStep.snapshot.context.decided).toBe('red');
    expect(Object.keys(decidedStep.snapshot.context.votes)).toEqual(['constructor', '__proto__']);
  });

  it('with unreadable stored state it only listens: no vote, no proposal, no ack, no write — but it still decides', () => {
    let s = startAlone('n01', FIVE, { vote: 42, votes: 'all of them' } as unknown as MajorityDurable);
    expect(s.context.vote).toBeUndefined();
    expect(s.context.votes).toEqual({});
    expect(s.context.listenOnly).toBe(true);
    // It may have voted before it crashed: a second, different vote could give two majorities.
    const candidate = receive(s, 'n02', { type: 'candidate', value: 'blue' });
    expect(candidate.effects).toEqual([]);
    const [, proposed] = transition(majorityMachine, candidate.snapshot, { type: 'tryInitialize', value: 'green' });
    expect(effectsOf<MajorityMessage, MajorityDurable>(proposed)).toEqual([]);
    s = candidate.snapshot;
    for (const voter of ['n02', 'n03']) {
      const heard = receive(s, voter, { type: 'vote', value: 'red' });
      expect(heard.effects).toEqual([]); // neither persisted nor acknowledged
      s = heard.snapshot;
    }
    const third = receive(s, 'n04', { type: 'vote', value: 'red' });
    expect(third.snapshot.context.decided).toBe('red');
    expect(third.effects).toEqual([decided('red')]);
    expect(majorityView(third.snapshot).fields.find((f) => f.label === 'my vote')?.value).toContain('unreadable');
  });

  it('a first start (nothing stored) votes normally', () => {
    expect(startAlone('n01', FIVE).context.listenOnly).toBe(false);
  });
});

describe('majority: a cluster', () => {
  it('decides the same value everywhere when one candidate has a majority', () => {
    const cluster = new PureCluster<MajorityMessage>(majorityMachine, FIVE).start();
    cluster.propose('n01', 'red');
    cluster.propose('n05', 'blue');
    // n01..n03 hear red first, n04..n05 hear blue first.
    cluster.deliver((e) => e.message.type === 'candidate' && (e.to <= 'n03') === (e.message.value === 'red'));
    cluster.deliver();
    expect([...cluster.decisions.values()]).toEqual(['red', 'red', 'red', 'red', 'red']);
  });

  it('never decides the 25-node split vote 9 / 5 / 11, and goes quiet once every vote is heard', () => {
    const cluster = splitVoteOf25<MajorityMessage>(majorityMachine);
    expect(cluster.decisions.size).toBe(0);
    for (const node of cluster.members) {
      const snapshot = cluster.snapshot(node);
      const view = majorityView(snapshot);
      expect(view.tally).toEqual({ red: 9, blue: 5, green: 11 });
      expect(view.phase).toBe('split vote');
      expect(view.waitingFor).toContain('none has 13');
      // Stopping rule: every vote heard, so no retransmission timer.
      expect(snapshot.value).toMatchObject({ resend: 'quiet' });
    }
  });
});

describe('majority: retransmission (simulated clock)', () => {
  it('an undisturbed decision costs the candidate and one vote per member to each member, and nothing after', () => {
    for (const n of [3, 5, 10]) {
      const cluster = new LiveCluster(majoritySpec, nodeIds(n)).start();
      cluster.propose('n01', 'red');
      cluster.deliver();
      cluster.advance(TIMING.retransmitMs * 10);
      expect(cluster.decisions.size).toBe(n);
      const network = cluster.sent.filter((e) => e.from !== e.to);
      expect(network.filter((e) => e.message.type === 'candidate')).toHaveLength(n - 1);
      expect(network.filter((e) => e.message.type === 'vote')).toHaveLength(n * (n - 1));
      expect(network).toHaveLength(n - 1 + n * (n - 1));
    }
  });

  it('a member whose vote was lost is asked for it by the member that missed it, then both stop', () => {
    const cluster = new LiveCluster(majoritySpec, nodeIds(3)).start();
    cluster.propose('n01', 'red');
    cluster.deliver((e) => e.message.type === 'candidate');
    // n02's vote to n03 is lost; everything else arrives.
    expect(cluster.drop((e) => e.from === 'n02' && e.to === 'n03' && e.message.type === 'vote')).toBe(1);
    cluster.deliver();
    expect(cluster.decisions.size).toBe(3); // 2 of 3 suffices for everyone
    cluster.sent.length = 0;

    // n02 heard n03's vote, so it resends nothing; n03 misses n02's and asks with its own vote.
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.map((e: Envelope<MajorityMessage>) => [e.from, e.to, e.message])).toEqual([
      ['n03', 'n02', { type: 'vote', value: 'red', needYours: true }],
    ]);
    cluster.deliver();
    expect(cluster.sent.at(-1)).toEqual({ from: 'n02', to: 'n03', message: { type: 'vote', value: 'red' } });
    expect(majoritySpec.view).toBe(majorityView);
    expect(cluster.view('n03').tally).toEqual({ red: 3 });

    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs * 10);
    expect(cluster.sent).toEqual([]);
  });

  it('the answer to a resend lost too: asked again until it arrives', () => {
    const cluster = new LiveCluster(majoritySpec, nodeIds(3)).start();
    cluster.propose('n01', 'red');
    cluster.deliver((e) => e.message.type === 'candidate');
    cluster.drop((e) => e.from === 'n02' && e.to === 'n03' && e.message.type === 'vote');
    cluster.deliver();
    cluster.advance(TIMING.retransmitMs);
    cluster.deliver((e) => e.from === 'n03');
    expect(cluster.drop((e) => e.from === 'n02' && e.to === 'n03')).toBe(1);
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.map((e) => [e.from, e.to, e.message.type])).toEqual([['n03', 'n02', 'vote']]);
    cluster.deliver();
    expect(cluster.view('n03').tally).toEqual({ red: 3 });
  });

  it('resends its candidate and vote until every member has voted, so a member that was down catches up', () => {
    const cluster = new LiveCluster(majoritySpec, nodeIds(3)).start(['n01', 'n02']);
    cluster.propose('n01', 'red');
    cluster.deliver(); // the copy to n03 is discarded: n03 is down
    expect(cluster.decisions.size).toBe(2);
    cluster.start(['n03']);
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    expect(cluster.sent.map((e) => [e.from, e.to, e.message.type])).toEqual([
      ['n01', 'n03', 'candidate'],
      ['n01', 'n03', 'vote'],
      ['n02', 'n03', 'vote'],
    ]);
    cluster.deliver();
    expect(cluster.decisions.get('n03')).toBe('red');
    expect(cluster.view('n03').tally).toEqual({ red: 3 });
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs * 10);
    expect(cluster.sent).toEqual([]);
  });

  it('a vote heard after deciding is counted but not written: the stored decision is final, and a restart asks again', () => {
    let s = startAlone('n01');
    for (const from of ['n01', 'n02', 'n03']) s = receive(s, from, { type: 'vote', value: 'red' }).snapshot;
    expect(s.context.decided).toBe('red');
    const late = receive(s, 'n04', { type: 'vote', value: 'blue' });
    expect(late.effects).toEqual([]);
    expect(majorityView(late.snapshot).tally).toEqual({ red: 3, blue: 1 });
    // A late vote that asks for mine is still answered (the asker may not have decided yet).
    const asking = receive(late.snapshot, 'n05', { type: 'vote', value: 'blue', needYours: true });
    expect(asking.effects.map((e) => e.type)).toEqual(s.context.vote === undefined ? [] : ['send']);
  });

  it('the votes a node heard survive its restart, so a voter that crashed since still counts', () => {
    // n01 votes red and hears red (n02), blue (n04), blue (n05): 2–2, undecided. n02 then crashes
    // for good and n01 restarts. Only what n01 stored says n02 voted red: with n03's red, that
    // makes 3 of 5. A node that forgot heard votes would wait for n02 forever.
    let node = startAlone('n01');
    const written: MajorityDurable[] = [];
    const heard: [string, MajorityMessage][] = [
      ['n02', { type: 'candidate', value: 'red' }],
      ['n01', { type: 'vote', value: 'red' }], // my own vote comes back to me like anyone's
      ['n02', { type: 'vote', value: 'red' }],
      ['n04', { type: 'vote', value: 'blue' }],
      ['n05', { type: 'vote', value: 'blue' }],
    ];
    for (const [from, message] of heard) {
      const step = receive(node, from, message);
      node = step.snapshot;
      for (const effect of step.effects) if (effect.type === 'persistLog') written.push(hardStateOf(effect.ops));
    }
    expect(majorityView(node)).toMatchObject({ decided: undefined, tally: { red: 2, blue: 2 } });
    const stored = JSON.parse(JSON.stringify(written.at(-1))) as MajorityDurable;
    const restarted = startAlone('n01', FIVE, stored);
    const { snapshot } = receive(restarted, 'n03', { type: 'vote', value: 'red' });
    expect(majorityView(snapshot).decided).toBe('red');
  });

  it('a restarted voter keeps its decision and the tally it decided on, asks again only whom it heard after deciding, and answers a member that lacks its vote', () => {
    const cluster = new LiveCluster(majoritySpec, nodeIds(3)).start();
    cluster.propose('n02', 'blue');
    cluster.deliver((e) => e.message.type === 'candidate');
    // n03's vote to n01 is lost.
    cluster.drop((e) => e.from === 'n03' && e.to === 'n01' && e.message.type === 'vote');
    cluster.deliver();
    expect(cluster.view('n03')).toMatchObject({ decided: 'blue', tally: { blue: 3 } });
    // Through JSON, as a tab's storage would keep it (undefined fields vanish). n03 decided on two
    // votes; the third came after its decision and was kept in memory only.
    const stored = JSON.parse(JSON.stringify(cluster.durable.get('n03'))) as MajorityDurable;
    expect(stored).toMatchObject({ vote: 'blue', decided: 'blue' });
    expect(Object.keys(stored.votes)).toHaveLength(2);
    const lateVoter = nodeIds(3).find((member) => !Object.hasOwn(stored.votes, member));
    cluster.crash('n03');
    cluster.start(['n03'], () => stored);
    expect(cluster.view('n03')).toMatchObject({ decided: 'blue', tally: { blue: 2 } });
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    // n03 asks the one member whose vote it did not store; n01, which never heard n03, asks it.
    expect(cluster.sent.map((e) => [e.from, e.to, e.message])).toEqual(
      expect.arrayContaining([
        ['n01', 'n03', { type: 'vote', value: 'blue', needYours: true }],
        ['n03', lateVoter, { type: 'vote', value: 'blue', needYours: true }],
      ]),
    );
    expect(cluster.sent).toHaveLength(2);
    cluster.deliver();
    expect(cluster.sent).toContainEqual({ from: 'n03', to: 'n01', message: { type: 'vote', value: 'blue' } });
    expect(cluster.view('n01').tally).toEqual({ blue: 3 });
    expect(cluster.view('n03').tally).toEqual({ blue: 3 });
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs * 10);
    expect(cluster.sent).toEqual([]);
  });

  it('a listen-only node asks the others for their votes (it has none to resend) and decides from the answers', () => {
    const members = nodeIds(3);
    const cluster = new LiveCluster(majoritySpec, members).start(['n01', 'n02']);
    cluster.propose('n01', 'red');
    cluster.deliver();
    // n03 comes back with storage it cannot read: it may have voted, so it must not vote now.
    cluster.start(['n03'], () => ({ votes: 'garbage' }) as unknown as MajorityDurable);
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs);
    const fromN03 = cluster.sent.filter((e) => e.from === 'n03').map((e) => [e.to, e.message]);
    expect(fromN03).toEqual([
      ['n01', { type: 'voteRequest' }],
      ['n02', { type: 'voteRequest' }],
    ]);
    cluster.deliver();
    expect(cluster.decisions.get('n03')).toBe('red');
    // Decided: it asks no more (its own vote stays unknown to it, and it never votes).
    cluster.sent.length = 0;
    cluster.advance(TIMING.retransmitMs * 3);
    expect(cluster.sent.filter((e) => e.from === 'n03' && e.message.type === 'voteRequest')).toEqual([]);
  });
});
