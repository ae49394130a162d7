/**
 * startNode (src/machines/spec.ts) names each timer it hands the host's clock by reading XState's
 * private `system.getSnapshot()._scheduledEvents`: the scheduler records the delayed event there
 * just BEFORE it calls `clock.setTimeout`, so the newest entry is the one being scheduled. The
 * explorer's "this timer fires next", schedule files' `timer` steps and solo links all rely on
 * those names. `_scheduledEvents` is not public API: these tests pin the field, its shape and the
 * record-before-setTimeout order, so an XState upgrade that changes any of them fails here, loudly,
 * instead of leaving every timer unnamed.
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { majoritySpec } from '../../../src/machines/majority.ts';
import { startNode, type Clock } from '../../../src/machines/spec.ts';
import type { NodeInput } from '../../../src/core/types.ts';
import { DEFAULT_TIMING } from '../../../src/sim/simulator.ts';

const machine = setup({ delays: { wait: 100 } }).createMachine({
  id: 'pin',
  initial: 'a',
  states: { a: { after: { wait: 'b' } }, b: { on: { BACK: 'a' } } },
});

interface Scheduled {
  readonly event: { readonly type: string };
}
function scheduledEvents(actor: { system: { getSnapshot(): unknown } }): Scheduled[] {
  const snapshot = actor.system.getSnapshot() as { readonly _scheduledEvents?: Record<string, Scheduled> };
  expect(snapshot._scheduledEvents, 'XState no longer has system.getSnapshot()._scheduledEvents: startNode cannot name timers').toBeTypeOf('object');
  return Object.values(snapshot._scheduledEvents ?? {});
}

describe("XState's private _scheduledEvents, as startNode reads it", () => {
  it('holds the delayed event, named xstate.after.<delay>.<machine>.<state>, before the clock is asked', () => {
    const seenAtSetTimeout: (string | undefined)[] = [];
    const timers = new Map<number, () => void>();
    let next = 1;
    const clock = {
      setTimeout: (fn: () => void) => {
        seenAtSetTimeout.push(scheduledEvents(actor).at(-1)?.event.type);
        timers.set(next, fn);
        return next++;
      },
      clearTimeout: (id: unknown) => void timers.delete(id as number),
    };
    const actor = createActor(machine, { clock });
    actor.start();
    expect(seenAtSetTimeout).toEqual(['xstate.after.wait.pin.a']);
    expect(scheduledEvents(actor).map((e) => e.event.type)).toEqual(['xstate.after.wait.pin.a']);
    // The timer fires: the entry goes, and a new one comes when the state is entered again.
    for (const fn of [...timers.values()]) fn();
    expect(actor.getSnapshot().value).toBe('b');
    expect(scheduledEvents(actor)).toEqual([]);
    actor.send({ type: 'BACK' });
    expect(seenAtSetTimeout).toEqual(['xstate.after.wait.pin.a', 'xstate.after.wait.pin.a']);
    actor.stop();
  });

  it('startNode passes that name to the host clock and lists it in machineState().timers', () => {
    const labels: (string | undefined)[] = [];
    const clock: Clock = {
      setTimeout: (_fn, _ms, label) => {
        labels.push(label);
        return labels.length;
      },
      clearTimeout: () => {},
    };
    const input: NodeInput<unknown> = { self: 'n1', members: ['n1', 'n2', 'n3'], seed: 1, timing: DEFAULT_TIMING };
    const node = startNode(majoritySpec, input, clock, () => {});
    node.send({ type: 'tryInitialize', value: 'red' });
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label).toMatch(/^xstate\.after\./);
    expect(node.machineState().timers.length).toBeGreaterThan(0);
    for (const timer of node.machineState().timers) expect(labels).toContain(timer);
    node.stop();
  });
});
