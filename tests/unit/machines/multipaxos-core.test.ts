/**
 * Multi-Paxos's pure core: phase 1 once for every open slot (adopting the highest-ballot value
 * reported, no-ops in the gaps), phase 2 per command, the chosen prefix learned in the leader's
 * ballot, persist-before-reply, forwarding, paged promises, and bounded wire messages.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES_PER_MESSAGE, MAX_ROUND } from '../../../src/limits.ts';
import { becomeLeader, initialMpCore, MULTIPAXOS_OPTIONS, receive, startCandidacy, submit, type MpCore, type MpEntry } from '../../../src/core/multipaxos.ts';
import { parseMultiPaxosMessage } from '../../../src/machines/multipaxos.ts';
import type { Ballot, LogCommand } from '../../../src/core/types.ts';

const members = ['n1', 'n2', 'n3'];
const cmd = (seq: number): LogCommand => ({ kind: 'command', client: 'c1', seq, command: { op: 'ship', order: 'A' } });
const b = (round: number, node: string): Ballot => ({ round, node });
const at = (ballot: Ballot, command: LogCommand): MpEntry => ({ ballot, command });
function core(log: (MpEntry | undefined)[] = [], extra: Partial<MpCore> = {}, options = MULTIPAXOS_OPTIONS): MpCore {
  return { ...initialMpCore('n1', members, undefined, options, 64), log, ...extra };
}

/** n1 runs phase 1; n2 promises with what it accepted; the result after the quorum. */
function elect(options = MULTIPAXOS_OPTIONS, reported: { slot: number; ballot: Ballot; command: LogCommand }[] = [], own: (MpEntry | undefined)[] = []) {
  const started = startCandidacy(core(own, { maxRound: 4 }, options));
  const ballot = started.core.ballot as Ballot;
  const promised = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: reported, more: false });
  return { started, ballot, promised, led: becomeLeader(promised.core) };
}

describe('multipaxos core', () => {
  it('a candidate picks a ballot above every round seen, persists its own promise, then prepares every open slot', () => {
    const { started, ballot } = elect();
    expect(ballot).toEqual({ round: 5, node: 'n1' });
    expect(started.persist).toEqual([{ op: 'hard', state: { promised: ballot } }]);
    expect(started.sends.map((s) => s.message)).toEqual([
      { type: 'prepare', ballot, from: 1 },
      { type: 'prepare', ballot, from: 1 },
    ]);
  });

  it('a new leader re-proposes the highest-ballot value reported in each open slot and fills gaps with no-ops', () => {
    const own = [at(b(1, 'n3'), cmd(1))]; // slot 1: n1 accepted c1#1 in ballot 1.n3
    const { led, ballot } = elect(MULTIPAXOS_OPTIONS, [
      { slot: 1, ballot: b(2, 'n2'), command: cmd(2) }, // a higher ballot wins slot 1
      { slot: 3, ballot: b(1, 'n3'), command: cmd(3) }, // slot 2 is a gap
    ], own);
    expect(led.core.role).toBe('leader');
    expect(led.core.log).toEqual([at(ballot, cmd(2)), at(ballot, { kind: 'noop' }), at(ballot, cmd(3))]);
    // Persisted (as its own acceptor) before the accepts leave.
    expect(led.persist.map((p) => p.op)).toEqual(['put', 'put', 'put']);
    const accept = led.sends[0]?.message;
    expect(accept?.type === 'accept' && accept.entries.map((e) => e.slot)).toEqual([1, 2, 3]);
  });

  it('the broken no-adopt variant ignores what promises report and writes its own command there', () => {
    const started = startCandidacy(core([], { maxRound: 4, pending: [{ client: 'c9', seq: 1, command: { op: 'cancel', order: 'A' } }] }, { adopt: false }));
    const ballot = started.core.ballot as Ballot;
    const promised = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: [{ slot: 1, ballot: b(2, 'n2'), command: cmd(1) }], more: false });
    const led = becomeLeader(promised.core);
    expect(led.core.log[0]?.command).toEqual({ kind: 'command', client: 'c9', seq: 1, command: { op: 'cancel', order: 'A' } });
  });

  it('steady state is phase 2 only: one accept per follower, and a majority of accepted commits (2 message delays)', () => {
    const { led, ballot } = elect();
    const proposed = submit(led.core, { client: 'c1', seq: 7, command: { op: 'ship', order: 'A' } });
    expect(proposed.persist).toEqual([{ op: 'put', index: 1, entry: at(ballot, { kind: 'command', client: 'c1', seq: 7, command: { op: 'ship', order: 'A' } }) }]);
    expect(proposed.sends.map((s) => [s.to, s.message.type])).toEqual([['n2', 'accept'], ['n3', 'accept']]);
    const chosen = receive(proposed.core, 'n2', { type: 'accepted', ballot, slots: [1], commitIndex: 0, behind: false });
    expect(chosen.commits.map((c) => [c.index, c.command.kind === 'command' && c.command.seq])).toEqual([[1, 7]]);
    expect(chosen.core.commitIndex).toBe(1);
  });

  it('an acceptor persists the promise and the accepted slot before it replies, and refuses a lower ballot', () => {
    const acceptor = { ...initialMpCore('n2', members, undefined, MULTIPAXOS_OPTIONS, 64) };
    const accepted = receive(acceptor, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [{ slot: 1, command: cmd(1) }], commitIndex: 0 });
    expect(accepted.persist).toEqual([{ op: 'hard', state: { promised: b(3, 'n1') } }, { op: 'put', index: 1, entry: at(b(3, 'n1'), cmd(1)) }]);
    expect(accepted.sends).toEqual([{ to: 'n1', message: { type: 'accepted', ballot: b(3, 'n1'), slots: [1], commitIndex: 0, behind: false } }]);
    const stale = receive(accepted.core, 'n3', { type: 'accept', ballot: b(2, 'n3'), entries: [{ slot: 1, command: cmd(9) }], commitIndex: 0 });
    expect(stale.persist).toEqual([]);
    expect(stale.sends[0]?.message).toEqual({ type: 'nack', ballot: b(2, 'n3'), promised: b(3, 'n1') });
  });

  it('a follower learns the chosen prefix only for slots it accepted in the leader ballot, else asks to catch up', () => {
    const follower = { ...initialMpCore('n2', members, undefined, MULTIPAXOS_OPTIONS, 64), log: [at(b(3, 'n1'), cmd(1)), at(b(2, 'n3'), cmd(5))], promised: b(3, 'n1') };
    const step = receive(follower, 'n1', { type: 'accept', ballot: b(3, 'n1'), entries: [], commitIndex: 2 });
    expect(step.commits.map((c) => c.index)).toEqual([1]);
    expect(step.sends[0]?.message).toEqual({ type: 'accepted', ballot: b(3, 'n1'), slots: [], commitIndex: 1, behind: true });
  });

  it('a follower forwards a submit to the leader it knows', () => {
    const follower = { ...initialMpCore('n2', members, undefined, MULTIPAXOS_OPTIONS, 64), leader: 'n1' };
    expect(submit(follower, { client: 'c1', seq: 1, command: { op: 'ship', order: 'A' } }).sends).toEqual([
      { to: 'n1', message: { type: 'forward', client: 'c1', seq: 1, command: { op: 'ship', order: 'A' } } },
    ]);
  });

  it('promises come in pages: a long log needs a quorum for each page before the candidate leads', () => {
    const long = Array.from({ length: MAX_ENTRIES_PER_MESSAGE + 3 }, (_, i) => at(b(1, 'n3'), cmd(i + 1)));
    const started = startCandidacy(core(long, { maxRound: 1 }));
    const ballot = started.core.ballot as Ballot;
    const page1 = receive(started.core, 'n2', { type: 'promise', ballot, from: 1, entries: [], more: false });
    expect(page1.core.role).toBe('candidate');
    expect(page1.sends.map((s) => s.message)).toContainEqual({ type: 'prepare', ballot, from: 1 + MAX_ENTRIES_PER_MESSAGE });
  });

  it('refuses unbounded or malformed messages at the boundary', () => {
    expect(parseMultiPaxosMessage({ type: 'prepare', ballot: { round: 2, node: 'n1' }, from: 1 })).toEqual({ type: 'prepare', ballot: { round: 2, node: 'n1' }, from: 1 });
    expect(parseMultiPaxosMessage({ type: 'prepare', ballot: { round: MAX_ROUND + 1, node: 'n1' }, from: 1 })).toBeUndefined();
    expect(parseMultiPaxosMessage({ type: 'prepare', ballot: { round: 2, node: 'n1' }, from: 0 })).toBeUndefined();
    const entries = Array.from({ length: MAX_ENTRIES_PER_MESSAGE + 1 }, (_, i) => ({ slot: i + 1, command: { kind: 'noop' } }));
    expect(parseMultiPaxosMessage({ type: 'accept', ballot: { round: 1, node: 'n1' }, entries, commitIndex: 0 })).toBeUndefined();
    // Slots out of order, or a promise entry outside its page.
    expect(parseMultiPaxosMessage({ type: 'accept', ballot: { round: 1, node: 'n1' }, entries: [{ slot: 2, command: { kind: 'noop' } }, { slot: 1, command: { kind: 'noop' } }], commitIndex: 0 })).toBeUndefined();
    expect(parseMultiPaxosMessage({ type: 'promise', ballot: { round: 1, node: 'n1' }, from: 1, entries: [{ slot: 1 + MAX_ENTRIES_PER_MESSAGE, ballot: { round: 1, node: 'n2' }, command: { kind: 'noop' } }], more: false })).toBeUndefined();
    expect(parseMultiPaxosMessage({ type: 'accepted', ballot: { round: 1, node: 'n1' }, slots: [1], commitIndex: 0 })).toBeUndefined();
  });
});
