/**
 * Which node a tab is, across reloads and across closing and reopening the tab.
 *
 * Closing a tab is how a student crashes their node, and opening the join link again is how
 * they restart it, so the same node must come back: same id, same stored state. Two stores
 * serve that:
 * - sessionStorage (per tab, kept across a reload, restored by "reopen closed tab");
 * - localStorage, per room and display name, so that opening the join link again in a new tab
 *   finds the node that was closed.
 * A tab keeps, with its node id, a secret token that it passes to PeerServer as the PeerJS
 * `token`: PeerServer hands an id that is still registered back to a socket presenting the same
 * token, so a reloaded tab gets its id back at once, while a client that merely knows the id
 * (every roster shows it) gets "ID is taken". Tokens come from the CSPRNG.
 *
 * The trap is two live tabs becoming one node (a duplicated tab copies sessionStorage; a second
 * tab may join with the same name). So an identity is *claimed* while a page uses it and
 * *released* on `pagehide`; the room-wide claim is also a lease renewed every few seconds, so a
 * tab that crashed (no `pagehide`) frees its node once the lease runs out. A tab that finds the
 * identity claimed by a live page mints a fresh one: it becomes a separate node.
 */
import { cryptoRandomIndex, isNodeName, randomNodeName, type NodeName, type RandomIndex } from '../rooms/room-code.ts';

export interface TabIdentity {
  readonly node: NodeName;
  /** Secret: proves to the signaling server that this tab owns `node`. */
  readonly token: string;
}

/** The slice of the Storage API we use (sessionStorage in a tab, a Map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY_NODE = 'consensus-playground:node';
const KEY_TOKEN = 'consensus-playground:token';
/** 'released' after pagehide; 'claimed' while a page of this tab is alive. */
const KEY_STATE = 'consensus-playground:identity-state';

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** 24 characters of 62 ≈ 143 bits: unguessable. Alphanumeric because PeerJS puts it in a URL raw. */
const TOKEN_LENGTH = 24;
const TOKEN_PATTERN = new RegExp(`^[A-Za-z0-9]{${TOKEN_LENGTH}}$`);

export function isToken(raw: unknown): raw is string {
  return typeof raw === 'string' && TOKEN_PATTERN.test(raw);
}

export function newIdentity(randomIndex: RandomIndex = cryptoRandomIndex): TabIdentity {
  let token = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomIndex(TOKEN_ALPHABET.length)] ?? 'x';
  return { node: randomNodeName(randomIndex), token };
}

/**
 * The pure decision: reuse what this tab stored if it was released by a previous page of this
 * same tab (a reload or navigation), otherwise (nothing stored, garbage, or still claimed — a
 * duplicated tab) mint a new identity.
 */
export function decideIdentity(
  stored: { readonly node: string | null; readonly token: string | null; readonly state: string | null },
  randomIndex: RandomIndex = cryptoRandomIndex,
): { readonly identity: TabIdentity; readonly reused: boolean } {
  if (stored.state === 'released' && isNodeName(stored.node) && isToken(stored.token)) {
    return { identity: { node: stored.node, token: stored.token }, reused: true };
  }
  return { identity: newIdentity(randomIndex), reused: false };
}

function safeGet(store: KeyValueStore, key: string): string | null {
  try {
    return store.getItem(key);
  } catch {
    return null; // storage disabled (some private modes): behave as a fresh tab
  }
}

function safeSet(store: KeyValueStore, key: string, value: string): void {
  try {
    store.setItem(key, value);
  } catch {
    // Quota or disabled storage: the tab still works, it just becomes a new node on reload.
  }
}

/** How long a room-wide claim lasts without renewal: a crashed tab's node is free after this. */
export const IDENTITY_LEASE_MS = 15_000;
/** Renewal period of a live tab's claim (background tabs still run timers about once a second). */
const LEASE_RENEW_MS = 3_000;

const claimedThisPage = new Map<string, TabIdentity>();

interface RoomClaim {
  readonly node: string;
  readonly token: string;
  /** 0 once released by `pagehide`; otherwise when the lease runs out (ms since epoch). */
  readonly claimedUntil: number;
}

function parseRoomClaim(text: string | null): RoomClaim | undefined {
  if (text === null) return undefined;
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== 'object' || raw === null) return undefined;
    const { node, token, claimedUntil } = raw as Record<string, unknown>;
    if (!isNodeName(node) || !isToken(token) || typeof claimedUntil !== 'number') return undefined;
    return { node, token, claimedUntil };
  } catch {
    return undefined;
  }
}

export interface RoomIdentityDeps {
  /** Per tab: sessionStorage in a browser. */
  readonly tabStore?: KeyValueStore | undefined;
  /** Shared by the browser's tabs: localStorage in a browser. */
  readonly browserStore?: KeyValueStore | undefined;
  readonly events?: Pick<EventTarget, 'addEventListener'> | undefined;
  readonly now?: () => number;
  readonly every?: (fn: () => void, periodMs: number) => void;
  readonly randomIndex?: RandomIndex;
}

/**
 * The pure decision for a page joining `room` as `name`: this tab's own released identity first
 * (a reload, or a reopened tab whose sessionStorage the browser restored), then the room-wide
 * one if no live page holds it (the join link opened again after the tab was closed or
 * crashed), else a fresh identity.
 */
export function decideRoomIdentity(
  tab: { readonly node: string | null; readonly token: string | null; readonly state: string | null },
  room: RoomClaim | undefined,
  nowMs: number,
  randomIndex: RandomIndex = cryptoRandomIndex,
): { readonly identity: TabIdentity; readonly source: 'tab' | 'room' | 'new' } {
  const own = decideIdentity(tab, randomIndex);
  if (own.reused) return { identity: own.identity, source: 'tab' };
  if (room !== undefined && room.claimedUntil <= nowMs && isNodeName(room.node)) {
    return { identity: { node: room.node, token: room.token }, source: 'room' };
  }
  return { identity: own.identity, source: 'new' };
}

/**
 * This page's identity in `room` as `name`: decided once per page, stored in both stores,
 * claimed while the page lives, released on `pagehide`. Pass nothing but room and name in a
 * browser; tests pass stores, events and time.
 */
export function claimRoomIdentity(room: string, name: string, deps: RoomIdentityDeps = {}): TabIdentity {
  const roomKey = `consensus-playground:identity:${room}:${name.toLowerCase()}`;
  // One identity per page and room/name: joining again without reloading is the same node.
  const inBrowser = deps.tabStore === undefined && deps.browserStore === undefined;
  const remembered = inBrowser ? claimedThisPage.get(roomKey) : undefined;
  if (remembered !== undefined) return remembered;
  const tabStore = deps.tabStore ?? globalThis.sessionStorage;
  const browserStore = deps.browserStore ?? globalThis.localStorage;
  const events = deps.events ?? globalThis.window;
  const now = deps.now ?? Date.now;
  const every = deps.every ?? ((fn, periodMs) => void globalThis.setInterval(fn, periodMs));
  const tabKey = (key: string): string => `${key}:${room}`;
  if (tabStore === undefined || browserStore === undefined) return newIdentity(deps.randomIndex);

  const existing = parseRoomClaim(safeGet(browserStore, roomKey));
  const { identity } = decideRoomIdentity(
    { node: safeGet(tabStore, tabKey(KEY_NODE)), token: safeGet(tabStore, tabKey(KEY_TOKEN)), state: safeGet(tabStore, tabKey(KEY_STATE)) },
    existing,
    now(),
    deps.randomIndex,
  );
  safeSet(tabStore, tabKey(KEY_NODE), identity.node);
  safeSet(tabStore, tabKey(KEY_TOKEN), identity.token);
  safeSet(tabStore, tabKey(KEY_STATE), 'claimed');
  // An identity other than the one a live page holds room-wide stays this tab's own:
  // overwriting that claim would orphan the other page's node.
  const ownsRoomClaim = existing === undefined || existing.node === identity.node || existing.claimedUntil <= now();
  let released = false;
  const claim = (): void => {
    if (ownsRoomClaim && !released) {
      safeSet(browserStore, roomKey, JSON.stringify({ ...identity, claimedUntil: now() + IDENTITY_LEASE_MS }));
    }
  };
  claim();
  every(claim, LEASE_RENEW_MS);
  events?.addEventListener('pagehide', () => {
    released = true;
    safeSet(tabStore, tabKey(KEY_STATE), 'released');
    if (ownsRoomClaim) safeSet(browserStore, roomKey, JSON.stringify({ ...identity, claimedUntil: 0 }));
  });
  events?.addEventListener('pageshow', () => {
    released = false;
    safeSet(tabStore, tabKey(KEY_STATE), 'claimed');
    claim();
  });
  if (inBrowser) claimedThisPage.set(roomKey, identity);
  return identity;
}

/**
 * The teacher's key for `room`, kept in this browser (localStorage) so the teacher's screen can
 * reload, or reopen, and still be the room's teacher. Another browser — a student opening the
 * teacher's URL — has no key and cannot take the host role while the room exists.
 */
export function claimHostKey(room: string, store: KeyValueStore | undefined = globalThis.localStorage, randomIndex: RandomIndex = cryptoRandomIndex): string {
  const key = `consensus-playground:host-key:${room}`;
  const stored = store === undefined ? null : safeGet(store, key);
  if (stored !== null && TOKEN_PATTERN.test(stored)) return stored;
  const fresh = newIdentity(randomIndex).token;
  if (store !== undefined) safeSet(store, key, fresh);
  return fresh;
}
