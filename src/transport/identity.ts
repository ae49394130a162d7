/**
 * Which node a tab is, across reloads.
 *
 * A tab keeps its node id and a secret token in sessionStorage: per tab (a second tab is a
 * separate node; localStorage would make every tab the same node) and kept across a reload. The
 * token is passed to PeerServer as the PeerJS `token`: PeerServer hands an id that is still
 * registered back to a socket that presents the same token, so a reloaded tab gets its id back
 * at once, while another client that merely knows the id (every roster shows it) gets "ID is
 * taken". Tokens come from the CSPRNG and never leave this tab except to our server.
 *
 * One trap: "Duplicate tab" copies sessionStorage, which would make two live tabs one node. So a
 * tab marks its identity released on `pagehide` and claimed again on load/`pageshow`; a copy
 * taken from a live tab finds it still claimed and mints a fresh identity.
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

let claimed: TabIdentity | undefined;

/**
 * This tab's identity: decided once per page, stored, and released on `pagehide`. Pass nothing
 * in a browser; tests pass a store and an event target.
 */
export function claimTabIdentity(
  store: KeyValueStore | undefined = globalThis.sessionStorage,
  events: Pick<EventTarget, 'addEventListener'> | undefined = globalThis.window,
  randomIndex: RandomIndex = cryptoRandomIndex,
): TabIdentity {
  if (claimed && store === globalThis.sessionStorage) return claimed;
  if (store === undefined) return newIdentity(randomIndex);
  const { identity } = decideIdentity(
    { node: safeGet(store, KEY_NODE), token: safeGet(store, KEY_TOKEN), state: safeGet(store, KEY_STATE) },
    randomIndex,
  );
  safeSet(store, KEY_NODE, identity.node);
  safeSet(store, KEY_TOKEN, identity.token);
  safeSet(store, KEY_STATE, 'claimed');
  events?.addEventListener('pagehide', () => safeSet(store, KEY_STATE, 'released'));
  // Back from the back/forward cache: this page is alive again, so a duplicate must not reuse us.
  events?.addEventListener('pageshow', () => safeSet(store, KEY_STATE, 'claimed'));
  if (store === globalThis.sessionStorage) claimed = identity;
  return identity;
}
