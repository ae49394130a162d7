/**
 * The transport contract suite (tests/contract/transport-contract.ts) against the PeerJS
 * transport: each node is a real Chromium tab on /harness.html, all tabs of a test in one
 * browser context, meshed over WebRTC through our signaling server on 127.0.0.1.
 */
import { test, type BrowserContext, type Page } from '@playwright/test';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import type { TransportHarness } from '../../src/transport/harness.ts';
import { transportContract, type ContractHarness, type ContractNode } from '../contract/transport-contract.ts';

declare global {
  interface Window {
    transportHarness?: TransportHarness;
  }
}

function browserHarness(context: BrowserContext): ContractHarness {
  const room = randomRoomCode(cryptoRandomIndex);
  const pages = new Map<string, Page>();
  let next = 0;

  async function open(name: string): Promise<ContractNode> {
    const page = await context.newPage();
    await page.goto(`/harness.html?room=${room}&name=${encodeURIComponent(name)}`);
    const id = await page.waitForFunction(() => window.transportHarness?.transport.self).then((handle) => handle.jsonValue());
    if (typeof id !== 'string') throw new Error('harness page did not start a transport');
    pages.set(id, page);
    return {
      id,
      name,
      send: (to, message) => page.evaluate(([t, m]) => window.transportHarness!.transport.send(t, m as never), [to, message] as const),
      broadcast: (message) => page.evaluate((m) => window.transportHarness!.transport.broadcast(m as never), message),
      sendRawFrame: (to, frame) => page.evaluate(([t, f]) => window.transportHarness!.transport.sendRawFrame(t, f), [to, frame] as const),
      received: () => page.evaluate(() => window.transportHarness!.received.map(({ from, message }) => ({ from, message }))),
      rejects: () => page.evaluate(() => window.transportHarness!.rejects.map(({ from, reason }) => ({ from, reason }))),
      peers: () => page.evaluate(() => window.transportHarness!.transport.peers()),
      stats: () => page.evaluate(() => window.transportHarness!.transport.stats()),
      close: () => page.evaluate(() => window.transportHarness!.transport.close()),
    };
  }

  return {
    async spawn(count, names) {
      const nodes: ContractNode[] = [];
      for (let i = 0; i < count; i++) nodes.push(await open(names?.[i] ?? `n${next++}`));
      return nodes;
    },
    async kill(node) {
      const page = pages.get(node.id);
      if (!page) return;
      // A renderer crash: no pagehide, no goodbye; the browser drops the tab's sockets.
      const crashed = page.waitForEvent('crash', { timeout: 10_000 });
      const cdp = await context.newCDPSession(page);
      // Never answered: the session dies with the renderer.
      void cdp.send('Page.crash').catch(() => undefined);
      await crashed;
      pages.delete(node.id);
    },
    async dispose() {
      await Promise.all([...pages.values()].map((page) => page.close().catch(() => undefined)));
    },
  };
}

test.describe('transport contract: PeerJS in Chromium', () => {
  for (const contractCase of transportContract) {
    test(contractCase.name, async ({ context }) => {
      const harness = browserHarness(context);
      try {
        await contractCase.run(harness);
      } finally {
        await harness.dispose();
      }
    });
  }
});
