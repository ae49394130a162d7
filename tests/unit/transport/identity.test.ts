import { describe, expect, it } from 'vitest';
import { claimTabIdentity, decideIdentity, isToken, newIdentity } from '../../../src/transport/identity.ts';
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

  it('a reload keeps the node; a second tab is a different node', () => {
    const tabStore = new MapStore();
    const page1 = new FakeWindow();
    const first = claimTabIdentity(tabStore, page1);
    page1.fire('pagehide'); // reload
    const second = claimTabIdentity(tabStore, new FakeWindow());
    expect(second).toEqual(first);

    const otherTab = claimTabIdentity(new MapStore(), new FakeWindow());
    expect(otherTab.node).not.toBe(first.node);
  });

  it('a duplicated tab (sessionStorage copied from a live tab) gets a new identity', () => {
    const tabStore = new MapStore();
    const original = claimTabIdentity(tabStore, new FakeWindow());
    const duplicate = claimTabIdentity(tabStore.clone(), new FakeWindow());
    expect(duplicate.node).not.toBe(original.node);
    expect(duplicate.token).not.toBe(original.token);
  });

  it('a page restored from the back/forward cache claims its identity again', () => {
    const tabStore = new MapStore();
    const page = new FakeWindow();
    const original = claimTabIdentity(tabStore, page);
    page.fire('pagehide');
    page.fire('pageshow');
    expect(claimTabIdentity(tabStore.clone(), new FakeWindow()).node).not.toBe(original.node);
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
    expect(isNodeName(claimTabIdentity(broken, new FakeWindow()).node)).toBe(true);
  });
});
