/**
 * The one contract, as a write-once machine must keep it (core/write-once.ts): a log of length
 * one. Every effect each of the six write-once machines emits, over seeded runs with two
 * competing proposers, random delivery order, timers, crashes and restarts from what was stored:
 * - every `persistLog` is exactly one `hard` op (the host writes a step's persists before its sends);
 * - every `commit` is exactly one entry, at index 1, with no term or ballot, whose command is the
 *   write-once decision command of the value the node's view shows as decided;
 * - a node commits at most once per incarnation, and never a different command in a later one
 *   (the broken variants may break Agreement between nodes, never this);
 * - nothing else a log machine may emit (`restore`) comes out.
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { Prng } from '../../../src/core/prng.ts';
import type { NodeEffect, NodeId } from '../../../src/core/types.ts';
import { onceDurable } from '../../../src/core/write-once.ts';
import { ALGORITHMS } from '../../../src/machines/index.ts';
import { startNode, type NodeHandle, type OnceAlgorithmSpec } from '../../../src/machines/spec.ts';
import { TIMING } from './effects-harness.ts';

const MEMBERS: readonly NodeId[] = ['n1', 'n2', 'n3', 'n4', 'n5'];
const SEEDS = 25;
const STEPS = 400;

interface Flight {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: unknown;
}

/** One seeded run; returns how many commits it saw (so the test knows it was not vacuous). */
function run(spec: OnceAlgorithmSpec, seed: number): number {
  const prng = Prng.fromSeed(seed);
  const clock = new SimulatedClock();
  const stored = new Map<NodeId, string>();
  const handles = new Map<NodeId, NodeHandle<unknown>>();
  /** Nodes running (set before a node starts: its start's effects arrive before its handle). */
  const up = new Set<NodeId>();
  const incarnation = new Map<NodeId, number>();
  const committedIn = new Set<string>();
  const firstCommand = new Map<NodeId, string>();
  let inFlight: Flight[] = [];
  let commits = 0;

  const carryOut = (node: NodeId, inc: number, effects: readonly NodeEffect<unknown, unknown, unknown>[]): void => {
    if (incarnation.get(node) !== inc || !up.has(node)) return;
    for (const effect of effects) {
      switch (effect.type) {
        case 'persistLog': {
          expect(effect.ops).toHaveLength(1);
          const [op] = effect.ops;
          expect(op?.op).toBe('hard');
          if (op?.op === 'hard') stored.set(node, JSON.stringify(op.state));
          break;
        }
        case 'commit': {
          expect(effect.entries).toHaveLength(1);
          const [entry] = effect.entries;
          expect(entry).toEqual({ index: 1, command: { kind: 'command', client: 'write-once', seq: 1, command: { value: expect.any(String) } } });
          const key = `${node}#${inc}`;
          expect(committedIn.has(key), `${spec.name} seed ${seed}: ${node} committed twice in one incarnation`).toBe(false);
          committedIn.add(key);
          const command = JSON.stringify(entry?.command);
          expect(firstCommand.get(node) ?? command, `${spec.name} seed ${seed}: ${node} committed another command after a restart`).toBe(command);
          firstCommand.set(node, command);
          commits++;
          break;
        }
        case 'send':
          inFlight.push({ from: node, to: effect.to, message: effect.message });
          break;
        case 'refused':
          break;
        case 'restore':
          throw new Error(`${spec.name}: a write-once machine emitted 'restore'`);
      }
    }
  };

  const boot = (node: NodeId): void => {
    const inc = (incarnation.get(node) ?? -1) + 1;
    incarnation.set(node, inc);
    const text = stored.get(node);
    const durable = onceDurable(text === undefined ? undefined : (JSON.parse(text) as unknown));
    up.add(node);
    const handle = startNode(spec, { self: node, members: MEMBERS, seed: seed * 10 + inc, timing: TIMING, durable }, clock, (effects) =>
      carryOut(node, inc, effects),
    );
    handles.set(node, handle);
  };

  for (const node of MEMBERS) boot(node);
  handles.get('n1')?.send({ type: 'tryInitialize', value: 'red' });
  handles.get('n4')?.send({ type: 'tryInitialize', value: 'blue' });
  for (let step = 0; step < STEPS; step++) {
    const roll = prng.float();
    if (roll < 0.03) {
      const node = prng.pick(MEMBERS);
      const handle = handles.get(node);
      if (handle === undefined) {
        boot(node);
      } else {
        handles.delete(node);
        up.delete(node);
        handle.stop();
        inFlight = inFlight.filter((f) => f.to !== node);
      }
    } else if (roll < 0.15 || inFlight.length === 0) {
      clock.increment(TIMING.retransmitMs / 2);
    } else {
      const [flight] = inFlight.splice(prng.int(0, inFlight.length - 1), 1);
      const handle = flight === undefined ? undefined : handles.get(flight.to);
      if (flight !== undefined && handle !== undefined) handle.send({ type: 'receive', from: flight.from, message: spec.parseMessage(flight.message) });
    }
  }
  // What a node committed is what its view shows as decided.
  for (const [node, handle] of handles) {
    const command = firstCommand.get(node);
    const decided = handle.view().decided;
    if (command !== undefined && decided !== undefined) expect(JSON.parse(command)).toMatchObject({ command: { value: decided } });
    handle.stop();
  }
  return commits;
}

describe('a write-once machine is a log of length one', () => {
  for (const spec of Object.values(ALGORITHMS)) {
    it(`${spec.name}: one hard op per persist, one commit at index 1 per incarnation, never another command`, () => {
      let commits = 0;
      for (let seed = 1; seed <= SEEDS; seed++) commits += run(spec, seed);
      expect(commits).toBeGreaterThan(SEEDS);
    });
  }
});
