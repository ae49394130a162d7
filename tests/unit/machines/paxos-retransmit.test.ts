/**
 * Phase 2 retransmission (found untested by the mutation run): every retransmit period a
 * proposer resends its accept to each member not yet known to have accepted its ballot, and only
 * to those, so lost accepts are repaired without flooding the members that already answered.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { PaxosMessage } from '../../../src/core/paxos.ts';
import type { Timing } from '../../../src/core/types.ts';
import { paxosSpec, type PaxosEffect, type PaxosEvent } from '../../../src/machines/paxos.ts';
import { startNode } from '../../../src/machines/spec.ts';

const timing: Timing = { retransmitMs: 50, impatienceMs: 100, backoffMs: 40, phaseTimeoutMs: 200 };
const ballot = { round: 1, node: 'n1' };

describe('paxos proposer, phase 2 retransmission', () => {
  it('resends its accept each period to the members that have not reported accepting it, and stops for those that have', () => {
    const clock = new SimulatedClock();
    const effects: PaxosEffect[] = [];
    const node = startNode<PaxosMessage, unknown, PaxosEvent, PaxosEffect>(paxosSpec, { self: 'n1', members: ['n1', 'n2', 'n3'], seed: 1, timing }, clock, (batch) => effects.push(...batch));
    const receive = (from: string, message: PaxosMessage) => node.send({ type: 'receive', from, message });
    node.send({ type: 'tryInitialize', value: 'red' });
    receive('n1', { type: 'promise', ballot });
    receive('n2', { type: 'promise', ballot });
    const accepts = () => effects.flatMap((e) => (e.type === 'send' && e.message.type === 'accept' ? [{ to: e.to, message: e.message }] : []));
    expect(accepts().map((a) => a.to)).toEqual(['n1', 'n2', 'n3']);

    receive('n2', { type: 'accepted', ballot, value: 'red' });
    effects.length = 0;
    clock.increment(timing.retransmitMs);
    expect(accepts()).toEqual([
      { to: 'n1', message: { type: 'accept', ballot, value: 'red' } },
      { to: 'n3', message: { type: 'accept', ballot, value: 'red' } },
    ]);

    receive('n1', { type: 'accepted', ballot: { round: 0, node: 'n9' }, value: 'blue' });
    effects.length = 0;
    clock.increment(timing.retransmitMs);
    // n1's report is for another ballot: it still needs this one; n2 does not.
    expect(accepts().map((a) => a.to)).toEqual(['n1', 'n3']);
    node.stop();
  });
});
