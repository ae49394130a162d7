/**
 * The transport contract suite (tests/contract/transport-contract.ts) against the PeerJS
 * transport: each node is a real Chromium tab on /harness.html, all tabs of a test in one
 * browser context, meshed over WebRTC through our signaling server on 127.0.0.1.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { cryptoRandomIndex, randomRoomCode } from '../../src/rooms/room-code.ts';
import type { TransportHarness } from '../../src/transport/harness.ts';
import {
  DOWN_WITHIN_MS,
  awaitMesh,
  eventually,
  transportContract,
  type ContractHarness,
  type ContractNode,
} from '../contract/transport-contract.ts';
import { startAppServer } from './support/server.ts';
import { DOWN_AFTER_MS, HEARTBEAT_INTERVAL_MS, SUSPECT_AFTER_MS } from '../../src/limits.ts';

declare global {
  interface Window {
    transportHarness?: TransportHarness;
  }
}

/** Opens harness tabs in one room of the server at `baseURL` (default: the shared e2e server). */
function browserHarness(context: BrowserContext, baseURL = ''): ContractHarness & { pageOf(node: ContractNode): Page | undefined } {
  const room = randomRoomCode(cryptoRandomIndex);
  const pages = new Map<string, Page>();
  let next = 0;

  async function open(name: string): Promise<ContractNode> {
    const page = await context.newPage();
    await page.goto(`${baseURL}/harness.html?room=${room}&name=${encodeURIComponent(name)}`);
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
    pageOf: (node) => pages.get(node.id),
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

/** Milliseconds until `observer` shows `peer` with `status`, polling. */
async function timeUntilStatus(observer: ContractNode, peer: string, status: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(`${observer.id} to see ${peer} ${status}`, timeoutMs, async () =>
    (await observer.peers()).some((p) => p.id === peer && p.status === status) ? true : undefined,
  );
  return Date.now() - started;
}

test.describe('PeerJS transport: reloads, restarts, detection', () => {
  test('a reloaded tab comes back as the same node and is connected again', async ({ context }) => {
    const harness = browserHarness(context);
    try {
      const [a, b] = await harness.spawn(2);
      await awaitMesh([a!, b!]);
      const page = harness.pageOf(b!)!;
      await page.reload();
      const idAfter = await page.waitForFunction(() => window.transportHarness?.transport.self).then((h) => h.jsonValue());
      expect(idAfter).toBe(b!.id);
      await timeUntilStatus(a!, b!.id, 'connected', 10_000);
      // And it works both ways on the new channel.
      expect(await page.evaluate((to) => window.transportHarness!.transport.send(to, { back: true }), a!.id)).toBe(true);
      await eventually('a to hear the reloaded b', 5_000, async () => ((await a!.received()).length > 0 ? true : undefined));
    } finally {
      await harness.dispose();
    }
  });

  test('a signaling restart keeps existing links, and a new tab joins afterwards', async ({ context }) => {
    const server = await startAppServer(0);
    const harness = browserHarness(context, server.baseURL);
    try {
      const nodes = await harness.spawn(3);
      await awaitMesh(nodes);
      const [a, b, c] = nodes as [ContractNode, ContractNode, ContractNode];
      await server.stop();
      const signalingOf = (node: ContractNode) => harness.pageOf(node)!.evaluate(() => window.transportHarness!.transport.signaling().kind);
      await eventually('everyone to notice the server is gone', 5_000, async () =>
        (await Promise.all(nodes.map(signalingOf))).every((kind) => kind === 'reconnecting') ? true : undefined,
      );
      // Data channels do not need the server.
      expect(await a.send(c.id, { during: 'outage' })).toBe(true);
      await eventually('c to hear a during the outage', 5_000, async () => ((await c.received()).length === 1 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      for (const node of nodes) for (const other of nodes) if (node !== other) expect(await statusSeen(node, other.id)).toBe('connected');

      await server.start();
      const reconnectStarted = Date.now();
      await eventually('everyone back on the signaling server', 20_000, async () =>
        (await Promise.all(nodes.map(signalingOf))).every((kind) => kind === 'open') ? true : undefined,
      );
      test.info().annotations.push({ type: 'signaling reconnect after restart', description: `${Date.now() - reconnectStarted} ms` });
      const [d] = await harness.spawn(1, ['late']);
      await awaitMesh([a, b, c, d!]);
      expect(await d!.send(b.id, { late: true })).toBe(true);
      await eventually('b to hear the late tab', 5_000, async () => ((await b.received()).some((r) => r.from === d!.id) ? true : undefined));
    } finally {
      await harness.dispose();
      await server.stop();
    }
  });

  test('a crashed tab reloaded at once rejoins as the same node and is reconnected quickly', async ({ context }) => {
    const harness = browserHarness(context);
    try {
      const pair = await harness.spawn(2);
      await awaitMesh(pair);
      // The smaller id dials: crash the larger so the survivor must notice its channel is stale.
      const [dialler, crashing] = [...pair].sort((x, y) => (x.id < y.id ? -1 : 1)) as [ContractNode, ContractNode];
      const page = harness.pageOf(crashing)!;
      // What the crashed tab had in sessionStorage (its node id and token): Chrome restores it
      // when the tab is reloaded; Playwright cannot reload a crashed page, so a new tab gets it.
      const stored = await page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
      const crashed = page.waitForEvent('crash');
      const cdp = await context.newCDPSession(page);
      void cdp.send('Page.crash').catch(() => undefined);
      await crashed;
      await timeUntilStatus(dialler, crashing.id, 'down', DOWN_WITHIN_MS);
      const reloadedAt = Date.now();
      const revived = await context.newPage();
      await revived.addInitScript((entries) => {
        // As after a reload: the previous page of this tab released the identity.
        for (const [key, value] of Object.entries(entries)) {
          sessionStorage.setItem(key, key.startsWith('consensus-playground:identity-state') ? 'released' : value);
        }
      }, stored);
      await revived.goto(page.url());
      const id = await revived.waitForFunction(() => window.transportHarness?.transport.self).then((h) => h.jsonValue());
      expect(id).toBe(crashing.id);
      await timeUntilStatus(dialler, crashing.id, 'connected', DOWN_WITHIN_MS);
      const rejoinMs = Date.now() - reloadedAt;
      test.info().annotations.push({ type: 'crash + reload → connected again', description: `${rejoinMs} ms` });
      console.log(`crashed tab back as the same node: connected again ${rejoinMs} ms after reopening`);
      await revived.close();
    } finally {
      await harness.dispose();
    }
  });

  test('detection latency: closed tab (goodbye) and crashed tab (server leave push)', async ({ context }) => {
    const harness = browserHarness(context);
    try {
      const nodes = await harness.spawn(3);
      await awaitMesh(nodes);
      const [closing, crashing, observer] = nodes as [ContractNode, ContractNode, ContractNode];
      const closedAt = Date.now();
      await harness.pageOf(closing)!.close();
      await timeUntilStatus(observer, closing.id, 'down', DOWN_WITHIN_MS);
      const closeLatency = Date.now() - closedAt;
      const crashedAt = Date.now();
      await harness.kill(crashing);
      await timeUntilStatus(observer, crashing.id, 'down', DOWN_WITHIN_MS);
      const crashLatency = Date.now() - crashedAt;
      test.info().annotations.push(
        { type: 'down after tab close', description: `${closeLatency} ms` },
        { type: 'down after renderer crash', description: `${crashLatency} ms` },
      );
      console.log(`detection: tab close → down in ${closeLatency} ms; crash → down in ${crashLatency} ms (polling every 20 ms)`);
    } finally {
      await harness.dispose();
    }
  });
});

test.describe('PeerJS transport: silent peers', () => {
  test('a frozen tab (no goodbye, sockets open) goes suspected, then down, and comes back when it resumes', async ({ context }) => {
    test.setTimeout(60_000);
    const harness = browserHarness(context);
    try {
      const [watcher, sleeper] = (await harness.spawn(2)) as [ContractNode, ContractNode];
      await awaitMesh([watcher, sleeper]);
      const cdp = await context.newCDPSession(harness.pageOf(sleeper)!);
      const frozenAt = Date.now();
      // The debugger stops the tab's JavaScript at its next timer: no heartbeats, no goodbye,
      // while its sockets and channels stay open, like a phone that froze the page.
      await cdp.send('Debugger.enable');
      await cdp.send('Debugger.pause');
      await timeUntilStatus(watcher, sleeper.id, 'suspected', SUSPECT_AFTER_MS + 2 * HEARTBEAT_INTERVAL_MS + 1_000);
      const suspectedAfter = Date.now() - frozenAt;
      await timeUntilStatus(watcher, sleeper.id, 'down', DOWN_AFTER_MS + 2 * HEARTBEAT_INTERVAL_MS);
      const downAfter = Date.now() - frozenAt;
      expect(suspectedAfter).toBeGreaterThanOrEqual(SUSPECT_AFTER_MS - HEARTBEAT_INTERVAL_MS);
      expect(downAfter).toBeGreaterThanOrEqual(DOWN_AFTER_MS - HEARTBEAT_INTERVAL_MS);
      await cdp.send('Debugger.resume');
      await timeUntilStatus(watcher, sleeper.id, 'connected', 10_000);
      console.log(`frozen tab: suspected after ${suspectedAfter} ms, down after ${downAfter} ms, back on resume`);
    } finally {
      await harness.dispose();
    }
  });
});

async function statusSeen(observer: ContractNode, peer: string): Promise<string | undefined> {
  return (await observer.peers()).find((p) => p.id === peer)?.status;
}
