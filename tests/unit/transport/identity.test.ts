import { describe, expect, it } from 'vitest';
import { claimRoomIdentity, decideIdentity, IDENTITY_LEASE_MS, isToken, newIdentity, type RoomIdentityDeps } from '../../../src/transport/identity.ts';
import { isNodeName } from '../../../src/rooms/room-code.ts';

class MapStore {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  clone(): MapStore {
    const copy = new MapStore();
    for (const [k, v] of this.map) copy.map.set(k, v);
    return copy;
  }
}

class FakeWindow extends EventTarget {
  fire(type: 'pagehide' | 'pageshow'): void {
    this.dispatchEvent(new Event(type));
  }
}

describe('tab identity', () => {
  it('mints a node id and an unguessable token', () => {
    const identity = newIdentity();
    expect(isNodeName(identity.node)).toBe(true);
    expect(isToken(identity.token)).toBe(true);
    expect(newIdentity().token).not.toBe(identity.token);
  });

  it('reuses a released identity and refuses garbage', () => {
    const kept = newIdentity();
    expect(decideIdentity({ node: kept.node, token: kept.token, state: 'released' })).toEqual({ identity: kept, reused: true });
    expect(decideIdentity({ node: kept.node, token: kept.token, state: 'claimed' }).reused).toBe(false);
    expect(decideIdentity({ node: 'NOT-A-NODE', token: kept.token, state: 'released' }).reused).toBe(false);
    expect(decideIdentity({ node: kept.node, token: 'short', state: 'released' }).reused).toBe(false);
    expect(decideIdentity({ node: null, token: null, state: null }).reused).toBe(false);
  });

  /** One browser: a shared localStorage, fake time, and a tab = its own sessionStorage + window. */
  function browser() {
    const shared = new MapStore();
    let nowMs = 1_000_000;
    const renewals: Array<() => void> = [];
    const tab = (tabStore = new MapStore(), page = new FakeWindow()): RoomIdentityDeps & { tabStore: MapStore; page: FakeWindow } => ({
      tabStore,
      browserStore: shared,
      events: page,
      page,
      now: () => nowMs,
      every: (fn) => void renewals.push(fn),
    });
    return {
      tab,
      advance(ms: number) {
        nowMs += ms;
      },
      renewAll() {
        for (const renew of renewals) renew();
      },
    };
  }

  it('a reload keeps the node; a second live tab with the same name is a different node', () => {
    const b = browser();
    const page1 = b.tab();
    const first = claimRoomIdentity('KQ7RX', 'Ann', page1);
    const sameName = claimRoomIdentity('KQ7RX', 'Ann', b.tab());
    expect(sameName.node).not.toBe(first.node);
    page1.page.fire('pagehide'); // reload
    expect(claimRoomIdentity('KQ7RX', 'Ann', b.tab(page1.tabStore))).toEqual(first);
  });

  it('closing the tab and opening the join link again brings back the same node', () => {
    const b = browser();
    const closed = b.tab();
    const first = claimRoomIdentity('KQ7RX', 'Ann', closed);
    closed.page.fire('pagehide'); // the tab is closed
    expect(claimRoomIdentity('KQ7RX', 'ann', b.tab())).toEqual(first); // new tab, fresh sessionStorage
  });

  it('a crashed tab (no pagehide) frees its node once its lease runs out, not before', () => {
    const b = browser();
    const first = claimRoomIdentity('KQ7RX', 'Ann', b.tab());
    b.advance(IDENTITY_LEASE_MS - 1);
    expect(claimRoomIdentity('KQ7RX', 'Ann', b.tab()).node).not.toBe(first.node);
    b.advance(2);
    expect(claimRoomIdentity('KQ7RX', 'Ann', b.tab())).toEqual(first);
  });

  it('a live tab keeps renewing its claim', () => {
    const b = browser();
    const first = claimRoomIdentity('KQ7RX', 'Ann', b.tab());
    b.advance(IDENTITY_LEASE_MS - 1);
    b.renewAll();
    b.advance(IDENTITY_LEASE_MS - 1);
    expect(claimRoomIdentity('KQ7RX', 'Ann', b.tab()).node).not.toBe(first.node);
  });

  it('another room or another name is another node', () => {
    const b = browser();
    const ann = b.tab();
    const first = claimRoomIdentity('KQ7RX', 'Ann', ann);
    ann.page.fire('pagehide');
    expect(claimRoomIdentity('KQ7RY', 'Ann', b.tab()).node).not.toBe(first.node);
    expect(claimRoomIdentity('KQ7RX', 'Bob', b.tab()).node).not.toBe(first.node);
  });

  it('a duplicated tab (sessionStorage copied from a live tab) gets a new identity', () => {
    const b = browser();
    const original = b.tab();
    const first = claimRoomIdentity('KQ7RX', 'Ann', original);
    const duplicate = claimRoomIdentity('KQ7RX', 'Ann', b.tab(original.tabStore.clone()));
    expect(duplicate.node).not.toBe(first.node);
    expect(duplicate.token).not.toBe(first.token);
  });

  it('a page restored from the back/forward cache claims its identity again', () => {
    const b = browser();
    const page = b.tab();
    const first = claimRoomIdentity('KQ7RX', 'Ann', page);
    page.page.fire('pagehide');
    page.page.fire('pageshow');
    expect(claimRoomIdentity('KQ7RX', 'Ann', b.tab()).node).not.toBe(first.node);
  });

  it('works without storage (private mode): a fresh identity each time, no throw', () => {
    const broken = {
      getItem(): string | null {
        throw new Error('SecurityError');
      },
      setItem(): void {
        throw new Error('QuotaExceededError');
      },
    };
    expect(isNodeName(claimRoomIdentity('KQ7RX', 'Ann', { tabStore: broken, browserStore: broken, events: new FakeWindow(), every: () => {} }).node)).toBe(true);
  });
});
