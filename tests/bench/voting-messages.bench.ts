/**
 * `npx tsx tests/bench/voting-messages.bench.ts` — network messages of one undisturbed decision
 * in the simulator, by kind, for the voting family (majority; tiebreak and impatient tiebreak
 * run the same machine) and Paxos, at N = 5, 10, 40 (env VOTING_SIZES), one proposer, no
 * faults, the simulator's default links and timing. Messages to oneself cross no network and
 * are left out, as in bench:live. "per node" is sends + receives per node: the frames a tab
 * handles per decision. The run goes on until nothing is left to send (every retransmission
 * timer quiet), so messages a node sends after it decided are counted too. Not a test: it prints.
 */
import type { OnceAlgorithmSpec } from '../../src/machines/spec.ts';
import { majoritySpec } from '../../src/machines/majority.ts';
import { paxosSpec } from '../../src/machines/paxos.ts';
import { Simulation } from '../../src/sim/simulator.ts';
import { printRows } from './cdp.ts';

const sizes = (process.env['VOTING_SIZES'] ?? '5,10,40').split(',').map(Number);
const SPECS: readonly OnceAlgorithmSpec[] = [majoritySpec as OnceAlgorithmSpec, paxosSpec as OnceAlgorithmSpec];

function count(spec: OnceAlgorithmSpec, n: number, seed: number): { byKind: Map<string, number>; total: number; decided: boolean } {
  const sim = new Simulation({ algorithm: spec, nodes: n, seed });
  const first = sim.liveNodes()[0]!;
  sim.propose(first, 'red');
  sim.runUntil(10_000);
  const byKind = new Map<string, number>();
  let total = 0;
  for (const entry of sim.trace) {
    if (entry.kind !== 'send' || entry.from === entry.to) continue;
    const type = String((entry.message as { type?: unknown }).type);
    byKind.set(type, (byKind.get(type) ?? 0) + 1);
    total++;
  }
  return { byKind, total, decided: sim.allLiveDecided() };
}

const rows: string[][] = [];
for (const spec of SPECS) {
  for (const n of sizes) {
    const { byKind, total, decided } = count(spec, n, 1);
    const kinds = [...byKind.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
    rows.push([spec.name, String(n), String(total), (total / n).toFixed(1), ((2 * total) / n).toFixed(1), kinds, decided ? 'yes' : 'NO']);
  }
}
printRows(['algorithm', 'N', 'messages', 'sent per node', 'frames per node (sent + received)', 'by kind', 'all decided'], rows);
