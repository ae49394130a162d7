/**
 * The simulator's own line of defence against the Paxos bugs that random delays almost never
 * expose (tests/mutation/safety-mutants.ts, `checker: true`): a learner that counts one value
 * across different ballots, a promise counted twice, adopting the lowest-ballot value.
 *
 * 1. Targeted schedules. Each is the interleaving that breaks one of those bugs, written as a
 *    script of deliveries in the real simulator (manual delivery: every message between nodes
 *    is held until the script delivers it; a node's messages to itself flow on their own). The
 *    script names messages by kind, sender and receiver, never by what the algorithm computed, so
 *    the same script runs any variant of the algorithm; the verdict is the property checker's,
 *    read from the trace. On the real algorithm every script ends with one value decided; on the
 *    mutant it ends with two (`npm run test:safety-mutants` runs this file against each mutant).
 * 2. PCT seed search. Swarm runs under the PCT schedule (src/sim/pct.ts): no safety violation on
 *    the real algorithm. The runner raises the seed count through SAFETY_MUTANT_PCT_SEEDS; the
 *    default keeps `npm test` fast.
 *
 * Why scripts and not only seeds (measured on the three mutants, paxos, 3 nodes): with no faults,
 * 300–500 seeds found none of them under random delays, and at most 1 in 500 under PCT; with
 * all faults and 3 proposers, 400 seeds of random delays found no repeated-promise violation,
 * PCT found it twice (seeds 30 and 139), and neither found the other two. A decided node answers
 * every later prepare with the chosen value, so these bugs need several specific messages held
 * back at once, which no delay distribution we tried makes likely. The scripts are those
 * interleavings, made exact; PCT stays as the broader, cheaper search.
 */
import { describe, expect, it } from 'vitest';
import type { PaxosMessage } from '../../../src/core/paxos.ts';
import type { NodeId, Timing } from '../../../src/core/types.ts';
import { paxosSpec } from '../../../src/machines/paxos.ts';
import { checkRun, isSafety, type Violation } from '../../../src/sim/checker.ts';
import { Simulation } from '../../../src/sim/simulator.ts';
import { reproduceCommand, runSeed, type SwarmConfig } from '../../../src/sim/swarm.ts';

/** Slow timers: the script, not a timeout, decides when a ballot is abandoned. */
const SCRIPTED_TIMING: Partial<Timing> = { retransmitMs: 1_000, phaseTimeoutMs: 10_000, backoffMs: 10 };

/** A scripted run: every inter-node message is held; `deliver` releases them by kind and link. */
class Script {
  readonly sim: Simulation;
  constructor(timing: Partial<Timing> = SCRIPTED_TIMING) {
    this.sim = new Simulation({
      algorithm: paxosSpec,
      nodes: ['n1', 'n2', 'n3'],
      seed: 1,
      timing,
      // 1 ms everywhere: a node's messages to itself arrive at once, in order.
      link: { minDelayMs: 1, maxDelayMs: 1 },
      manual: true,
    });
  }
  /** Lets self-messages and short timers run. */
  settle(ms = 5): this {
    this.sim.runFor(ms);
    return this;
  }
  propose(node: NodeId, value: string): this {
    this.sim.propose(node, value);
    return this.settle();
  }
  /**
   * Delivers the newest (default) or oldest held message of `type` from → to, if any, then lets
   * the receiver's messages to itself run. Newest is the current ballot's; oldest, a stale report.
   */
  deliver(type: PaxosMessage['type'], from: NodeId, to: NodeId, which: 'newest' | 'oldest' = 'newest'): this {
    const matching = this.sim.held().filter((h) => h.from === from && h.to === to && (h.message as PaxosMessage).type === type);
    const held = which === 'newest' ? matching.at(-1) : matching[0];
    if (held !== undefined) this.sim.deliver(held.id);
    return this.settle();
  }
  violations(): Violation[] {
    return checkRun({ seed: 1, members: this.sim.members, trace: this.sim.trace, reproduce: 'tests/unit/sim/pct-safety.test.ts' });
  }
  decided(): Record<NodeId, string | undefined> {
    return Object.fromEntries(this.sim.members.map((m) => [m, this.sim.decidedValue(m)]));
  }
}

function expectSafe(script: Script, name: string): void {
  const unsafe = script.violations().filter((v) => isSafety(v.property));
  expect(unsafe.map((v) => v.message), `targeted schedule "${name}"`).toEqual([]);
}

describe('targeted schedules: the interleavings behind the subtle Paxos bugs, judged by the checker', () => {
  it('adopt the highest-ballot value: an old accepted red must not beat the newer blue', () => {
    const s = new Script();
    // Ballot 1.n1 (red): promises from n1 and n3; only n1 itself accepts red.
    s.propose('n1', 'red').deliver('prepare', 'n1', 'n3').deliver('promise', 'n3', 'n1');
    // Ballot 1.n2 (blue): promises from n2 and n3; n2 and n3 accept blue; n3 hears n2's accepted and decides blue.
    s.propose('n2', 'blue').deliver('prepare', 'n2', 'n3').deliver('promise', 'n3', 'n2');
    s.deliver('accept', 'n2', 'n3').deliver('accepted', 'n2', 'n3');
    // n1's accept reaches n2, which promised 1.n2: the nack sends n1 to a new ballot.
    s.deliver('accept', 'n1', 'n2').deliver('nack', 'n2', 'n1').settle(100);
    // Ballot 2.n1: promises from n1 (red in 1.n1) and n2 (blue in 1.n2, not yet decided).
    s.deliver('prepare', 'n1', 'n2').deliver('promise', 'n2', 'n1');
    // Whatever n1 proposes is accepted by n1 and n2, and n1 decides it.
    s.deliver('accept', 'n1', 'n2').deliver('accepted', 'n2', 'n1');
    expect(s.sim.decidedValue('n3')).toBe('blue');
    expect(s.sim.decidedValue('n1'), 'the schedule reached its end: n1 decided').toBeDefined();
    expectSafe(s, 'adopt the highest-ballot value');
  });

  it('count each promiser once: a promise delivered twice is not a quorum', () => {
    // n1's messages to itself take 50 ms while it retransmits every 20 ms, so its prepare to
    // itself is answered twice before any other promise arrives.
    const s = new Script({ ...SCRIPTED_TIMING, retransmitMs: 20 });
    s.sim.setLink('n1', 'n1', { minDelayMs: 50, maxDelayMs: 50 });
    // Ballot 1.n2 (blue) is chosen by n2 and n3; n3 decides. n1 only hears n2's prepare.
    s.propose('n2', 'blue').deliver('prepare', 'n2', 'n3').deliver('promise', 'n3', 'n2');
    s.deliver('accept', 'n2', 'n3').deliver('accepted', 'n2', 'n3').deliver('prepare', 'n2', 'n1');
    // Ballot 2.n1 (red): n1 promises itself twice, and nobody else.
    s.propose('n1', 'red').settle(150);
    // If n1 went on to phase 2, n2 (undecided: n3's accepted is held) accepts and tells n1.
    s.deliver('accept', 'n1', 'n2').deliver('accepted', 'n2', 'n1').settle(150);
    expect(s.sim.decidedValue('n3')).toBe('blue');
    expectSafe(s, 'count each promiser once');
  });

  it('count acceptors per ballot: red accepted in 1.n1 and in 2.n3 is not chosen, and blue is', () => {
    const s = new Script();
    // Ballot 1.n1 (red): n1 alone accepts it.
    s.propose('n1', 'red').deliver('prepare', 'n1', 'n3').deliver('promise', 'n3', 'n1');
    // Ballot 1.n2 (blue): promises from n2 and n3; n2 alone accepts it.
    s.propose('n2', 'blue').deliver('prepare', 'n2', 'n3').deliver('promise', 'n3', 'n2');
    // Ballot 2.n3: promises from n3 and n1 (red in 1.n1), so n3 proposes red and alone accepts it.
    s.propose('n3', 'green').deliver('prepare', 'n3', 'n1').deliver('promise', 'n1', 'n3');
    // n1's accept for 1.n1 reaches n3, promised 2.n3: the nack sends n1 to ballot 3.n1.
    s.deliver('accept', 'n1', 'n3').deliver('nack', 'n3', 'n1').settle(100);
    // Ballot 3.n1: promises from n1 (red in 1.n1) and n2 (blue in 1.n2): blue, the higher one.
    s.deliver('prepare', 'n1', 'n2').deliver('promise', 'n2', 'n1');
    // n1 and n3 accept blue in 3.n1: blue is chosen, and n1 decides it.
    s.deliver('accept', 'n1', 'n3').deliver('accepted', 'n3', 'n1');
    expect(s.sim.decidedValue('n1')).toBe('blue');
    // Now n2 hears the old reports: red from n1 (in 1.n1) and red from n3 (in 2.n3).
    s.deliver('accepted', 'n1', 'n2', 'oldest').deliver('accepted', 'n3', 'n2', 'oldest');
    expect(s.decided()).toMatchObject({ n1: 'blue' });
    expectSafe(s, 'count acceptors per ballot');
  });
});

/** Seeds of the PCT search: the runner raises it; `npm test` keeps it small. */
const PCT_SEEDS = Number(process.env.SAFETY_MUTANT_PCT_SEEDS ?? 25);

describe('PCT seed search (src/sim/pct.ts)', () => {
  it.each([
    { nodes: 3, proposers: 3, faults: 'all' },
    { nodes: 3, proposers: 2, faults: 'none' },
  ] as const)('paxos, $nodes nodes, $proposers proposers, faults $faults: no safety violation under PCT', { timeout: 120_000 }, ({ nodes, proposers, faults }) => {
    const config: SwarmConfig = { algorithm: paxosSpec, nodes, proposers, faults, schedule: 'pct' };
    for (let seed = 1; seed <= PCT_SEEDS; seed++) {
      const run = runSeed(config, seed);
      const unsafe = run.violations.filter((v) => isSafety(v.property));
      // Stop at the first failing seed: its message carries the replay command.
      expect(unsafe.map((v) => v.message), `seed ${seed}: ${reproduceCommand(config, seed)}`).toEqual([]);
      expect(run.decided, `seed ${seed} did not decide after healing: ${reproduceCommand(config, seed)}`).toBe(true);
    }
  });
});
