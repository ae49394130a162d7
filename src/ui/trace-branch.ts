/**
 * "Branch from here" for an imported trace: the run up to one step of the replayed diagram,
 * re-enacted in solo mode's simulator as a script of ordinary solo commands, so the user can go
 * on from there with another delivery order (and scrub, branch again, share the link).
 *
 * The members become n1…nN in sorted order. Every message is held (the adversary picks every
 * delivery, as in the FLP scene), and each step the trace recorded is given as the command that
 * makes the simulator take the same step: a proposal, the delivery of the same message, the
 * same timer, a crash, a restart from storage. Virtual time does not move while it is rebuilt.
 *
 * Messages are matched by their place on their link, not by content: the k-th message a sender's
 * incarnation sent to a receiver in the room is the k-th it sends there in the simulator (the
 * same machine fed the same inputs in the same order), whatever node ids a message carries.
 * Each re-enacted step is checked to send as many messages as the node reported: a prefix the
 * simulator cannot take exactly is refused, with the step and the reason, never half-built.
 */
import type { NodeId } from '../core/types.ts';
import { SOLO_MAX_NODES, SOLO_MIN_NODES } from '../limits.ts';
import type { LiveTimeline, PrefixEvent } from '../timeline/live.ts';
import type { TraceFile } from '../timeline/trace-file.ts';
import { MAX_SOLO_SEED, newSimulation, type HoldMode } from './solo.ts';
import { apply } from './solo-script.ts';
import type { SoloCommand, SoloScript } from './solo-link.ts';

export interface TraceBranch {
  readonly script: SoloScript;
  /** Each member's node in solo mode, in member order: "Ann is n1". */
  readonly nodes: ReadonlyMap<string, NodeId>;
}

/** The delayed event's name in an XState `after` label (`xstate.after.retransmit.…` → `retransmit`): what a solo timer command names. */
function delayName(label: string | undefined): string | undefined {
  const match = label === undefined ? null : /^xstate\.after\.([\w-]+)\./.exec(label);
  return match?.[1] ?? (label !== undefined && /^[\w.-]+$/.test(label) ? label : undefined);
}

/** The solo run that reaches the imported run's step `step`, or why there is none. */
export function branchFromTrace(trace: TraceFile, timeline: LiveTimeline, step: number): TraceBranch | string {
  const members = [...trace.decision.members].sort();
  if (members.length < SOLO_MIN_NODES || members.length > SOLO_MAX_NODES) {
    return `solo mode runs ${SOLO_MIN_NODES}–${SOLO_MAX_NODES} nodes; this decision has ${members.length} members`;
  }
  const simOf = new Map(members.map((m, i) => [m, `n${i + 1}`] as const));
  const sim$ = (peer: string): NodeId => simOf.get(peer)!;
  const seedReport = trace.entries.find((e) => e.report.seed !== undefined)?.report.seed ?? 1;
  const setup = { algorithm: trace.decision.algorithm, nodes: members.length, seed: Math.abs(Math.trunc(seedReport)) % (MAX_SOLO_SEED + 1) };
  // Replays every node to `step`, so each timer's label is known.
  timeline.statesAt(step);
  const events = timeline.prefix(step);

  const sim = newSimulation(setup);
  const commands: SoloCommand[] = [];
  let hold: HoldMode = { kind: 'off' };
  /** Simulator message ids on each link, per sender incarnation, in send order. */
  const simSends = new Map<string, number[]>();
  /** The room's sequence numbers on each link, per sender incarnation, in send order. */
  const roomSends = new Map<string, number[]>();
  /** Each room incarnation's place among its node's. */
  const incIndexOf = new Map<string, number>();
  const simIncarnation = new Map<NodeId, number>(members.map((m) => [sim$(m), 0]));
  // From the start: what the nodes sent as they booted is on its way too.
  let scanned = 0;
  const link = (from: string, to: string, inc: number): string => `${from}>${to}#${inc}`;

  /** Runs one command and files the sends it caused; returns how many messages it sent. */
  const run = (command: SoloCommand): number => {
    hold = apply(sim, hold, command);
    commands.push(command);
    let sent = 0;
    for (; scanned < sim.trace.length; scanned++) {
      const entry = sim.trace[scanned]!;
      if (entry.kind !== 'send') continue;
      sent++;
      const key = link(entry.from, entry.to, simIncarnation.get(entry.from) ?? 0);
      simSends.set(key, [...(simSends.get(key) ?? []), entry.id]);
    }
    return sent;
  };

  const describe = (event: PrefixEvent): string => `step ${event.step} (${trace.names.get(event.node) ?? event.node})`;
  try {
    run({ do: 'hold', on: true });
    for (const event of events) {
      if (event.kind === 'crash') {
        run({ do: 'crash', node: sim$(event.node) });
        continue;
      }
      if (event.gap !== undefined) return `${describe(event)} cannot be re-run: ${event.gap}`;
      const { fact, node, inc, incIndex } = event;
      incIndexOf.set(`${node}#${inc}`, incIndex);
      for (const group of fact.sent) {
        group.to.forEach((to, i) => {
          const key = link(node, to, inc);
          roomSends.set(key, [...(roomSends.get(key) ?? []), group.firstSeq + i]);
        });
      }
      const self = sim$(node);
      // A later incarnation's first step: the node restarted from its storage just before it
      // (its crash mark came first). A start is not always reported as a step of its own.
      if (incIndex > (simIncarnation.get(self) ?? 0)) {
        simIncarnation.set(self, incIndex);
        run({ do: 'restart', node: self });
      }
      let command: SoloCommand | undefined;
      const cause = fact.cause;
      switch (cause.kind) {
        case 'start':
          // The simulator's boot (or the restart above) is this step; its sends are filed with it.
          break;
        case 'propose':
          command = { do: 'propose', node: self, value: cause.value };
          break;
        case 'receive': {
          const rank = roomSends.get(link(cause.from, node, cause.id.inc))?.indexOf(cause.id.seq) ?? -1;
          const senderInc = incIndexOf.get(`${cause.from}#${cause.id.inc}`);
          const id = rank < 0 || senderInc === undefined || !simOf.has(cause.from) ? undefined : simSends.get(link(sim$(cause.from), self, senderInc))?.[rank];
          if (id === undefined) return `${describe(event)}: the message it received from ${trace.names.get(cause.from) ?? cause.from} is not in the trace before it`;
          command = sim.held().some((h) => h.id === id) ? { do: 'deliver', id } : { do: 'deliver-now', id };
          break;
        }
        case 'timer': {
          const name = cause.timer === undefined ? undefined : delayName(timeline.timerLabel(node, inc, cause.timer));
          if (name === undefined) return `${describe(event)}: the trace does not say which timer fired`;
          command = { do: 'timer', node: self, timer: name };
          break;
        }
        case 'compact':
          // Only a book's replica compacts; a write-once trace has no such step.
          return `${describe(event)}: a log compaction cannot be re-enacted in solo mode`;
        default: {
          const never: never = cause;
          return `${describe(event)}: unknown step ${JSON.stringify(never)}`;
        }
      }
      // A first start is the simulator's own boot; its sends (if any) happened when it began.
      const sent = command === undefined ? 0 : run(command);
      const reported = fact.sent.reduce((n, g) => n + g.to.length, 0);
      if (command !== undefined && sent !== reported) {
        return `${describe(event)}: the simulator sent ${sent} messages where the node reported ${reported}`;
      }
    }
  } catch (error) {
    return `the run cannot be rebuilt in solo mode: ${error instanceof Error ? error.message : String(error)}`;
  }
  return { script: { setup, start: { kind: 'fresh' }, commands }, nodes: new Map(trace.decision.members.map((m) => [m, sim$(m)])) };
}
