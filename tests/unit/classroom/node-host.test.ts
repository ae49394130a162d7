/**
 * The plumbing both live hosts share (node-host.ts): how storage trouble shows in a node's view,
 * what a machine starts from for each kind of stored read, and the held inbox both hosts use.
 */
import { describe, expect, it } from 'vitest';
import { NO_ADVERSARY } from '../../../src/classroom/adversary.ts';
import { HeldInbox, hostView, startingDurable, UNREADABLE_DURABLE } from '../../../src/classroom/node-host.ts';
import type { NodeView } from '../../../src/core/types.ts';
import { FakeClock } from './fake-clock.ts';

const view = { phase: 'idle', waitingFor: 'a value', waitingOn: ['n2'] } as unknown as NodeView;

describe('node-host', () => {
  it('shows a failed write as a stopped node and unreadable storage as listen-only, else the machine’s view', () => {
    expect(hostView(view, 'ok')).toBe(view);
    expect(hostView(view, 'full')).toMatchObject({ storage: 'full', phase: 'stopped', waitingOn: [] });
    expect(hostView(view, 'unreadable')).toMatchObject({ storage: 'unreadable', phase: 'idle', waitingOn: ['n2'] });
  });

  it('starts a machine fresh only when nothing was stored; unreadable storage gives what every machine refuses', () => {
    expect(startingDurable({ kind: 'absent' })).toBeUndefined();
    expect(startingDurable({ kind: 'unreadable' })).toBe(UNREADABLE_DURABLE);
    expect(UNREADABLE_DURABLE).not.toBeUndefined();
    expect(startingDurable({ kind: 'ok', durable: { term: 3 } })).toEqual({ term: 3 });
  });

  it('the held inbox passes, holds (merging retransmissions), releases and loses as the rules say', () => {
    const clock = new FakeClock();
    let rules = { ...NO_ADVERSARY, paused: true };
    const delivered: string[] = [];
    let reports = 0;
    const inbox = new HeldInbox({
      self: 'n1',
      now: () => clock.now(),
      rules: () => rules,
      clock,
      deliveryDelayMs: () => 100,
      deliver: (from, message) => delivered.push(`${from}:${(message as { type: string }).type}`),
      onHeld: () => reports++,
      carriedValue: (message) => ((message as { type: string }).type === 'forward' ? 'place A (mug)' : undefined),
    });
    inbox.receive('n2', { type: 'forward' }, { inc: 1, seq: 1 });
    inbox.receive('n2', { type: 'forward' }, { inc: 1, seq: 2 });
    inbox.receive('n3', { type: 'vote' }, { inc: 2, seq: 1 });
    expect(inbox.report().entries.map((e) => [e.from, e.kind, e.value, e.copies])).toEqual([
      ['n2', 'forward', 'place A (mug)', 2],
      ['n3', 'vote', undefined, 1],
    ]);
    expect(reports).toBe(3);
    inbox.command({ do: 'step' });
    expect(delivered).toEqual(['n2:forward']);
    rules = { ...NO_ADVERSARY, groups: [['n1'], ['n3']] };
    inbox.rulesChanged();
    expect(inbox.report()).toMatchObject({ entries: [], lost: 1 });
    rules = NO_ADVERSARY;
    inbox.receive('n3', { type: 'vote' }, { inc: 2, seq: 2 });
    expect(delivered).toEqual(['n2:forward']);
    clock.advance(100);
    expect(delivered).toEqual(['n2:forward', 'n3:vote']);
  });
});
