/** The transport contract suite against the in-memory transport (same cases as in Chromium). */
import { afterEach, describe, it } from 'vitest';
import { isRecord, type UnknownRecord } from '../../../src/core/validate.ts';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory.ts';
import type { PeerId, RejectReason } from '../../../src/transport/types.ts';
import { transportContract, type ContractHarness, type ContractNode } from '../../contract/transport-contract.ts';

function memoryHarness(): ContractHarness {
  // A small delay so frames really are asynchronous and interleave like on a network.
  const network = new MemoryNetwork({ delayMs: 1 });
  const transports = new Map<string, MemoryTransport<UnknownRecord>>();
  let next = 0;
  return {
    async spawn(count, names) {
      const nodes: ContractNode[] = [];
      for (let i = 0; i < count; i++) {
        const id = `n${next++}`;
        const name = names?.[i] ?? id;
        const transport = network.createTransport<UnknownRecord>(id, {
          name,
          role: 'student',
          parse: (raw) => (isRecord(raw) ? raw : undefined),
        });
        transports.set(id, transport);
        const received: { from: PeerId; message: unknown }[] = [];
        const rejects: { from: PeerId; reason: RejectReason }[] = [];
        transport.onMessage((from, message) => received.push({ from, message }));
        transport.onReject((from, reason) => rejects.push({ from, reason }));
        nodes.push({
          id,
          name,
          send: async (to, message) => transport.send(to, message as UnknownRecord),
          broadcast: async (message) => transport.broadcast(message as UnknownRecord),
          sendRawFrame: async (to, frame) => transport.sendRawFrame(to, frame),
          received: async () => [...received],
          rejects: async () => [...rejects],
          peers: async () => transport.peers(),
          stats: async () => transport.stats(),
          close: async () => transport.close(),
        });
      }
      return nodes;
    },
    async kill(node) {
      network.kill(node.id);
    },
    async dispose() {
      for (const transport of transports.values()) transport.close();
    },
  };
}

describe('transport contract: MemoryNetwork', () => {
  let harness: ContractHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });
  for (const contractCase of transportContract) {
    it(contractCase.name, async () => {
      harness = memoryHarness();
      await contractCase.run(harness);
    });
  }
});
