/**
 * The transport contract, written once and run against both implementations:
 * - the in-memory transport in Vitest (tests/unit/transport/memory-contract.test.ts);
 * - the PeerJS transport in real Chromium tabs through our signaling server
 *   (tests/e2e/transport-contract.spec.ts).
 *
 * A case sees nodes only through `ContractNode` (every call async, because in the browser it
 * is a round trip into a tab) and fails by throwing (node:assert), so either runner can host it.
 */
import assert from 'node:assert/strict';
import type { PeerInfo, RejectReason, TransportStats } from '../../src/transport/types.ts';
import { MAX_MESSAGE_BYTES } from '../../src/limits.ts';

export interface ContractNode {
  readonly id: string;
  readonly name: string;
  send(to: string, message: unknown): Promise<boolean>;
  broadcast(message: unknown): Promise<void>;
  /** Puts a frame on the channel to `to` as is (a hostile or buggy peer). */
  sendRawFrame(to: string, frame: string): Promise<boolean>;
  received(): Promise<readonly { readonly from: string; readonly message: unknown }[]>;
  rejects(): Promise<readonly { readonly from: string; readonly reason: RejectReason }[]>;
  peers(): Promise<readonly PeerInfo[]>;
  stats(): Promise<TransportStats>;
  close(): Promise<void>;
}

export interface ContractHarness {
  /** Starts `count` more nodes in this harness's room and returns them (names n0, n1, … unless given). */
  spawn(count: number, names?: readonly string[]): Promise<ContractNode[]>;
  /** Ends a node abruptly, with no goodbye: a crashed tab. */
  kill(node: ContractNode): Promise<void>;
  dispose(): Promise<void>;
}

export interface ContractCase {
  readonly name: string;
  run(harness: ContractHarness): Promise<void>;
}

/** The promised bound for "a peer that left is shown down". */
export const DOWN_WITHIN_MS = 5_000;
const MESH_WITHIN_MS = 20_000;

export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until every node lists every other node as connected. Returns the time it took. */
export async function awaitMesh(nodes: readonly ContractNode[], timeoutMs = MESH_WITHIN_MS): Promise<number> {
  const started = Date.now();
  await eventually(`a full mesh of ${nodes.length}`, timeoutMs, async () => {
    for (const node of nodes) {
      const peers = await node.peers();
      for (const other of nodes) {
        if (other === node) continue;
        const info = peers.find((p) => p.id === other.id);
        if (info?.status !== 'connected' || info.name !== other.name) return undefined;
      }
    }
    return true;
  });
  return Date.now() - started;
}

async function statusSeenBy(observer: ContractNode, peer: string): Promise<PeerInfo['status'] | undefined> {
  return (await observer.peers()).find((p) => p.id === peer)?.status;
}

async function awaitReceived(node: ContractNode, count: number): Promise<readonly { from: string; message: unknown }[]> {
  return eventually(`${node.id} to receive ${count} messages`, 10_000, async () => {
    const received = await node.received();
    return received.length >= count ? received : undefined;
  });
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const transportContract: readonly ContractCase[] = [
  {
    name: 'two nodes exchange messages both ways, from the right sender',
    async run(h) {
      const [a, b] = await h.spawn(2);
      assert(a && b);
      await awaitMesh([a, b]);
      assert.equal(await a.send(b.id, { text: 'hi b' }), true);
      assert.equal(await b.send(a.id, { text: 'hi a' }), true);
      assert.deepEqual(await awaitReceived(b, 1), [{ from: a.id, message: { text: 'hi b' } }]);
      assert.deepEqual(await awaitReceived(a, 1), [{ from: b.id, message: { text: 'hi a' } }]);
      assert.equal((await a.stats()).sent, 1);
      assert.equal((await b.stats()).received, 1);
    },
  },
  {
    name: 'five nodes: every ordered pair delivers, in order, exactly once',
    async run(h) {
      const nodes = await h.spawn(5);
      await awaitMesh(nodes);
      for (const from of nodes) {
        for (const to of nodes) {
          if (from === to) continue;
          for (let seq = 0; seq < 3; seq++) assert.equal(await from.send(to.id, { seq, to: to.id }), true);
        }
      }
      for (const node of nodes) {
        const received = await awaitReceived(node, 4 * 3);
        await settle(100); // nothing extra may trickle in
        const again = await node.received();
        assert.equal(again.length, 12, `${node.id} received ${again.length} messages, expected 12`);
        for (const from of nodes) {
          if (from === node) continue;
          const seqs = received.filter((r) => r.from === from.id).map((r) => (r.message as { seq: number }).seq);
          assert.deepEqual(seqs, [0, 1, 2], `${node.id} got ${JSON.stringify(seqs)} from ${from.id}`);
        }
      }
    },
  },
  {
    name: 'broadcast reaches every other node once and never the sender',
    async run(h) {
      const nodes = await h.spawn(5);
      await awaitMesh(nodes);
      const [sender, ...others] = nodes;
      assert(sender);
      await sender.broadcast({ kind: 'to-all' });
      for (const node of others) {
        assert.deepEqual(await awaitReceived(node, 1), [{ from: sender.id, message: { kind: 'to-all' } }]);
      }
      await settle(100);
      assert.equal((await sender.received()).length, 0);
      assert.equal((await sender.stats()).sent, others.length);
    },
  },
  {
    name: 'the sender is the connection’s peer even when the payload claims another',
    async run(h) {
      const [a, b, c] = await h.spawn(3);
      assert(a && b && c);
      await awaitMesh([a, b, c]);
      await a.send(c.id, { from: b.id, sender: b.id, text: 'I am b, honest' });
      const [got] = await awaitReceived(c, 1);
      assert.equal(got?.from, a.id);
      // The claim is just data to the application; the transport never used it.
      assert.deepEqual(got?.message, { from: b.id, sender: b.id, text: 'I am b, honest' });
    },
  },
  {
    name: 'malformed, oversized and unknown frames are dropped and counted; the receiver keeps working',
    async run(h) {
      const [a, b, c] = await h.spawn(3);
      assert(a && b && c);
      await awaitMesh([a, b, c]);
      const garbage: readonly [string, RejectReason][] = [
        ['this is not json', 'malformed'],
        ['[1,2,3]', 'malformed'],
        ['null', 'malformed'],
        ['{"type":"app"}', 'malformed'],
        ['{"type":"app","payload":42}', 'malformed'], // the application's parser says no
        ['{"type":"hello","name":"","role":"student"}', 'malformed'],
        ['{"type":"hello","name":"Eve","role":"admin"}', 'malformed'],
        ['{"type":"heartbeat","extra":1}', 'malformed'],
        ['{"type":"teleport","payload":{}}', 'unknown-type'],
        [`{"type":"app","payload":{"blob":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}}`, 'oversized'],
      ];
      for (const [frame] of garbage) assert.equal(await a.sendRawFrame(b.id, frame), true);
      const rejects = await eventually('all garbage rejected', 10_000, async () => {
        const list = await b.rejects();
        return list.length >= garbage.length ? list : undefined;
      });
      assert.deepEqual(
        rejects.map((r) => [r.from, r.reason]),
        garbage.map(([, reason]) => [a.id, reason]),
      );
      const stats = await b.stats();
      assert.deepEqual(stats.rejected, { malformed: 8, oversized: 1, 'unknown-type': 1, 'rate-limited': 0 });
      assert.equal(stats.received, 0);
      // b still works, with a and with c, and a is still a connected peer of b.
      await a.send(b.id, { after: 'garbage' });
      await c.send(b.id, { from: 'c' });
      const received = await awaitReceived(b, 2);
      assert.deepEqual(new Set(received.map((r) => r.from)), new Set([a.id, c.id]));
      assert.equal(await statusSeenBy(b, a.id), 'connected');
    },
  },
  {
    name: 'peers appear on join with name and role, and the list updates for newcomers',
    async run(h) {
      const [a, b] = await h.spawn(2, ['Ada', 'Grace']);
      assert(a && b);
      await awaitMesh([a, b]);
      const seenByA = (await a.peers()).find((p) => p.id === b.id);
      assert.deepEqual(seenByA, { id: b.id, name: 'Grace', role: 'student', status: 'connected' });
      const [c] = await h.spawn(1, ['Edsger']);
      assert(c);
      await awaitMesh([a, b, c]);
      assert.deepEqual(
        (await c.peers()).map((p) => p.id),
        [a.id, b.id].sort(),
      );
      assert.equal((await a.peers()).some((p) => p.id === a.id), false, 'a node never lists itself');
    },
  },
  {
    name: `close() says goodbye: the others show the node down within ${DOWN_WITHIN_MS} ms`,
    async run(h) {
      const nodes = await h.spawn(3);
      const [leaving, ...staying] = nodes;
      assert(leaving);
      await awaitMesh(nodes);
      const closedAt = Date.now();
      await leaving.close();
      for (const node of staying) {
        await eventually(`${node.id} to see ${leaving.id} down`, DOWN_WITHIN_MS, async () =>
          (await statusSeenBy(node, leaving.id)) === 'down' ? true : undefined,
        );
      }
      assert(Date.now() - closedAt <= DOWN_WITHIN_MS);
      // A down peer cannot be sent to; the rest of the room is unaffected.
      const [x, y] = staying;
      assert(x && y);
      assert.equal(await x.send(leaving.id, { too: 'late' }), false);
      assert.equal(await x.send(y.id, { still: 'here' }), true);
      await awaitReceived(y, 1);
    },
  },
  {
    name: `a node that dies without a goodbye is shown down within ${DOWN_WITHIN_MS} ms`,
    async run(h) {
      const nodes = await h.spawn(3);
      const [dying, ...staying] = nodes;
      assert(dying);
      await awaitMesh(nodes);
      await h.kill(dying);
      for (const node of staying) {
        await eventually(`${node.id} to see ${dying.id} down`, DOWN_WITHIN_MS, async () =>
          (await statusSeenBy(node, dying.id)) === 'down' ? true : undefined,
        );
      }
    },
  },
  {
    name: 'sending to an unknown peer returns false and sends nothing',
    async run(h) {
      const [a, b] = await h.spawn(2);
      assert(a && b);
      await awaitMesh([a, b]);
      assert.equal(await a.send('zzzzzz', { lost: true }), false);
      assert.equal(await a.send(a.id, { self: true }), false);
      assert.equal((await a.stats()).sent, 0);
    },
  },
];
