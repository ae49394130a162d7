import { describe, expect, it } from 'vitest';
import { getAlgorithm } from '../../../src/machines/index.ts';
import { Simulation } from '../../../src/sim/simulator.ts';
import { decodeCommands, encodeCommands, type SoloCommand } from '../../../src/ui/solo-link.ts';

describe('the simulator steps an explorer schedule names', () => {
  it('deliverNow takes a queued message ahead of its time, and it is not delivered twice', () => {
    const sim = new Simulation({ algorithm: getAlgorithm('majority'), nodes: 3, seed: 4 });
    sim.propose('n1', 'red');
    const queued = sim.runState().inFlight.filter((m) => !m.held && m.to === 'n3');
    expect(queued.length).toBeGreaterThan(0);
    const id = (queued[0] as { id: number }).id;
    sim.deliverNow(id);
    expect(sim.runState().inFlight.some((m) => m.id === id)).toBe(false);
    sim.runFor(1_000);
    const deliveries = sim.trace.filter((e) => e.kind === 'deliver' && e.id === id);
    expect(deliveries).toHaveLength(1);
    expect(() => sim.deliverNow(id)).toThrow(/no message with id/);
  });

  it('fireTimer fires the named pending timer now and the trace names it', () => {
    const sim = new Simulation({ algorithm: getAlgorithm('impatient-tiebreak'), nodes: 3, seed: 4, manual: true });
    sim.propose('n1', 'red');
    const timers = sim.runState().nodes[0]?.machine?.timers ?? [];
    const impatience = timers.find((t) => t.includes('impatien'));
    expect(impatience, `timers: ${timers.join(', ')}`).toBeDefined();
    sim.fireTimer('n1', impatience as string);
    const last = sim.trace.filter((e) => e.kind === 'timer').at(-1);
    expect(last).toMatchObject({ kind: 'timer', node: 'n1', timer: impatience });
    expect(() => sim.fireTimer('n1', 'xstate.after.no-such-timer')).toThrow(/no pending timer/);
    sim.crash('n1');
    expect(() => sim.fireTimer('n1', impatience as string)).toThrow(/it is down/);
  });

  it('the new solo commands survive a link', () => {
    const commands: SoloCommand[] = [
      { do: 'deliver-now', id: 12 },
      { do: 'timer', node: 'n2', timer: 'xstate.after.impatience.voting.waiting' },
    ];
    expect(decodeCommands(encodeCommands(commands))).toEqual(commands);
    expect(typeof decodeCommands('t.n2.bad%20name')).toBe('string');
  });
});
