import { describe, expect, it } from 'vitest';
import { impatientTiebreakSpec } from '../../../src/machines/impatient-tiebreak.ts';
import type { VotingMessage } from '../../../src/machines/voting-machine.ts';
import { LiveCluster, nodeIds, TIMING } from './effects-harness.ts';

const parseImpatientTiebreakMessage = impatientTiebreakSpec.parseMessage;
type ImpatientTiebreakMessage = VotingMessage;

const FIVE = nodeIds(5);

/** A cluster where n05 is down and every message is held until the test delivers it. */
function fourOfFive(): LiveCluster<ImpatientTiebreakMessage, unknown> {
  return new LiveCluster(impatientTiebreakSpec, FIVE).start(['n01', 'n02', 'n03', 'n04']);
}

const isVote = (e: { message: ImpatientTiebreakMessage }) => e.message.type === 'vote';

describe('impatient tiebreak (deliberately broken)', () => {
  it('is labelled broken', () => {
    expect(impatientTiebreakSpec.broken).toBe(true);
    expect(impatientTiebreakSpec.label).toMatch(/broken/i);
    expect(impatientTiebreakSpec.summary).toMatch(/Agreement/);
  });

  it('validates its messages at the boundary', () => {
    expect(parseImpatientTiebreakMessage({ type: 'candidate', value: 'red' })).toEqual({ type: 'candidate', value: 'red' });
    expect(parseImpatientTiebreakMessage({ type: 'candidate', value: ['red'] })).toBeUndefined();
  });

  it('after timing.impatienceMs without all votes, tiebreaks over the partial tally it has', () => {
    const cluster = fourOfFive();
    cluster.propose('n01', 'red');
    cluster.propose('n02', 'blue');
    cluster.deliver((e) => e.message.type === 'candidate' && (e.to === 'n01') === (e.message.value === 'red'));
    cluster.deliver((e) => e.message.type === 'candidate');
    // n01 hears only its own vote (red) and n02's (blue); other votes to n01 are held back.
    cluster.deliver((e) => isVote(e) && e.to === 'n01' && (e.from === 'n01' || e.from === 'n02'));
    expect(cluster.view('n01').tally).toEqual({ red: 1, blue: 1 });

    cluster.advance(TIMING.impatienceMs - 10);
    expect(cluster.decisions.has('n01')).toBe(false);
    cluster.advance(10);
    expect(cluster.decisions.get('n01')).toBe('blue');
    expect(cluster.durable.get('n01')).toMatchObject({ decided: 'blue' });
  });

  it('lets two nodes with different partial tallies decide different values (Agreement broken)', () => {
    const cluster = fourOfFive();
    cluster.propose('n01', 'red');
    cluster.propose('n04', 'blue');
    // n01, n02, n03 vote red; n04 votes blue.
    cluster.deliver((e) => e.message.type === 'candidate' && (e.to === 'n04') === (e.message.value === 'blue'));
    cluster.deliver((e) => e.message.type === 'candidate');
    // n01 hears red twice, n04 hears only its own blue and one red: a majority (3 of 5) for red
    // is forming, but n04 gives up first.
    cluster.deliver((e) => isVote(e) && e.to === 'n01' && e.from <= 'n02');
    cluster.deliver((e) => isVote(e) && e.to === 'n04' && (e.from === 'n04' || e.from === 'n01'));
    cluster.advance(TIMING.impatienceMs);
    expect(cluster.decisions.get('n01')).toBe('red');
    expect(cluster.decisions.get('n04')).toBe('blue');
    // Late votes change nothing: a decision is final, so the disagreement stays.
    cluster.deliver();
    cluster.advance(TIMING.retransmitMs * 3);
    cluster.deliver();
    expect(cluster.decisions.get('n04')).toBe('blue');
    expect(new Set(cluster.decisions.values())).toEqual(new Set(['red', 'blue']));
  });

  it('with every vote in before the timeout it behaves like tiebreak', () => {
    const cluster = new LiveCluster(impatientTiebreakSpec, nodeIds(4)).start();
    cluster.propose('n01', 'red');
    cluster.propose('n04', 'green');
    cluster.deliver((e) => e.message.type === 'candidate' && (e.to <= 'n02') === (e.message.value === 'red'));
    cluster.deliver();
    expect(new Set(cluster.decisions.values())).toEqual(new Set(['green']));
    expect(cluster.decisions.size).toBe(4);
  });

  it('does not start its patience clock before it hears a vote', () => {
    const cluster = fourOfFive();
    cluster.advance(TIMING.impatienceMs * 3);
    cluster.propose('n03', 'green');
    cluster.deliver((e) => e.message.type === 'candidate');
    cluster.deliver((e) => isVote(e) && e.to === 'n01' && e.from === 'n03');
    expect(cluster.decisions.size).toBe(0);
    cluster.advance(TIMING.impatienceMs);
    expect(cluster.decisions.get('n01')).toBe('green');
  });
});
