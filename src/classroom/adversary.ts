/**
 * The network adversary's rules, as pure data and functions: what the teacher's dashboard tells
 * every member (pause, which receivers hold, partitions, one-way cuts, per-node slowness), how a
 * receiving node judges one inbound message by them, and the list of messages a node holds for
 * the teacher (deliver, drop, duplicate, step).
 *
 * Messages still travel over WebRTC: the adversary acts at the receiver, which is the only place
 * a browser can stop a message without trusting its sender. The same rules drive the simulator
 * in the presets' runner (presets.ts), so a demonstration means the same thing live and solo.
 */
import type { Value } from '../core/types.ts';
import { isBoundedArray, isNonNegativeInteger, isPeerId, isRecord } from '../core/validate.ts';
import { MAX_HELD_PER_NODE, MAX_NODE_SLOWNESS_MS, MAX_PEERS_PER_ROOM } from '../limits.ts';
import type { PeerId } from '../transport/types.ts';
import { summarizeMessage } from './summary.ts';

/** A one-way cut: messages from `from` to `to` are lost; the other direction still works. */
export interface Cut {
  readonly from: PeerId;
  readonly to: PeerId;
}

export interface AdversaryRules {
  /** Every message held at its receiver and every node's algorithm clock frozen. */
  readonly paused: boolean;
  /** Receivers that hold every message sent to them (the FLP scene holds the fifth node's). */
  readonly holdTo: readonly PeerId[];
  /**
   * A partition: nodes in different groups cannot reach each other (their messages are lost);
   * nodes in no group form one more group together. Empty: no partition.
   */
  readonly groups: readonly (readonly PeerId[])[];
  readonly cuts: readonly Cut[];
  /** Extra delay, ms, on every message to or from a node (both ends add up). */
  readonly slowMs: Readonly<Record<PeerId, number>>;
}

export const NO_ADVERSARY: AdversaryRules = { paused: false, holdTo: [], groups: [], cuts: [], slowMs: {} };

/** What happens to one inbound message. */
export type Verdict =
  | { readonly kind: 'pass'; readonly extraDelayMs: number }
  | { readonly kind: 'hold' }
  | { readonly kind: 'lost'; readonly reason: 'partition' | 'cut' };

function groupOf(rules: AdversaryRules, node: PeerId): number {
  const index = rules.groups.findIndex((g) => g.includes(node));
  return index === -1 ? rules.groups.length : index;
}

/** True when the partition or a cut keeps `from` from reaching `to`. */
export function isSevered(rules: AdversaryRules, from: PeerId, to: PeerId): Verdict | undefined {
  if (from === to) return undefined;
  if (rules.cuts.some((c) => c.from === from && c.to === to)) return { kind: 'lost', reason: 'cut' };
  if (rules.groups.length > 0 && groupOf(rules, from) !== groupOf(rules, to)) return { kind: 'lost', reason: 'partition' };
  return undefined;
}

/**
 * Judges a message from `from` arriving at `to`. A node's message to itself crosses no network:
 * the adversary never touches it (pause still freezes it, through the node's clock).
 */
export function judge(rules: AdversaryRules, from: PeerId, to: PeerId): Verdict {
  if (from === to) return { kind: 'pass', extraDelayMs: 0 };
  const severed = isSevered(rules, from, to);
  if (severed) return severed;
  if (rules.paused || rules.holdTo.includes(to)) return { kind: 'hold' };
  return { kind: 'pass', extraDelayMs: (rules.slowMs[from] ?? 0) + (rules.slowMs[to] ?? 0) };
}

/** True when nothing is adversarial: the network as it is. */
export function isQuiet(rules: AdversaryRules): boolean {
  return !rules.paused && rules.holdTo.length === 0 && rules.groups.length === 0 && rules.cuts.length === 0 && Object.keys(rules.slowMs).length === 0;
}

// ---- editing the rules (the dashboard's controls) -------------------------------------------

/** Puts `node` into partition group `group` (0, 1, 2…), or out of every group (undefined). */
export function assignGroup(rules: AdversaryRules, node: PeerId, group: number | undefined): AdversaryRules {
  const groups = rules.groups.map((g) => g.filter((n) => n !== node));
  if (group !== undefined) {
    while (groups.length <= group) groups.push([]);
    groups[group] = [...(groups[group] ?? []), node].sort();
  }
  // Empty groups at the end mean nothing; one group alone is no partition either.
  while (groups.length > 0 && groups[groups.length - 1]!.length === 0) groups.pop();
  const nonEmpty = groups.filter((g) => g.length > 0);
  return { ...rules, groups: nonEmpty.length === 0 ? [] : groups };
}

export function toggleCut(rules: AdversaryRules, from: PeerId, to: PeerId): AdversaryRules {
  if (from === to) return rules;
  const has = rules.cuts.some((c) => c.from === from && c.to === to);
  return { ...rules, cuts: has ? rules.cuts.filter((c) => !(c.from === from && c.to === to)) : [...rules.cuts, { from, to }] };
}

export function setSlowness(rules: AdversaryRules, node: PeerId, ms: number): AdversaryRules {
  const clamped = Math.min(MAX_NODE_SLOWNESS_MS, Math.max(0, Math.round(ms)));
  const slowMs = { ...rules.slowMs };
  if (clamped === 0) delete slowMs[node];
  else slowMs[node] = clamped;
  return { ...rules, slowMs };
}

export function toggleHoldTo(rules: AdversaryRules, node: PeerId): AdversaryRules {
  const holdTo = rules.holdTo.includes(node) ? rules.holdTo.filter((n) => n !== node) : [...rules.holdTo, node].sort();
  return { ...rules, holdTo };
}

/** No partition, no cut (pause, holds and slowness stay). */
export function healed(rules: AdversaryRules): AdversaryRules {
  return { ...rules, groups: [], cuts: [] };
}

// ---- validation at the boundary ------------------------------------------------------------

const isCut = (raw: unknown): raw is Cut => isRecord(raw) && isPeerId(raw.from) && isPeerId(raw.to) && raw.from !== raw.to;
const isGroup = (raw: unknown): raw is PeerId[] => isBoundedArray(raw, MAX_PEERS_PER_ROOM, isPeerId);

/** The rules a teacher's message carries, or undefined when anything is malformed or out of bounds. */
export function parseRules(raw: unknown): AdversaryRules | undefined {
  if (!isRecord(raw) || typeof raw.paused !== 'boolean') return undefined;
  if (!isBoundedArray(raw.holdTo, MAX_PEERS_PER_ROOM, isPeerId)) return undefined;
  if (!isBoundedArray(raw.groups, MAX_PEERS_PER_ROOM, isGroup)) return undefined;
  if (new Set(raw.groups.flat()).size !== raw.groups.flat().length) return undefined; // a node in two groups
  if (!isBoundedArray(raw.cuts, MAX_PEERS_PER_ROOM * MAX_PEERS_PER_ROOM, isCut)) return undefined;
  if (!isRecord(raw.slowMs)) return undefined;
  const slow = Object.entries(raw.slowMs);
  if (slow.length > MAX_PEERS_PER_ROOM) return undefined;
  const isSlow = (ms: unknown) => isNonNegativeInteger(ms) && ms <= MAX_NODE_SLOWNESS_MS;
  if (!slow.every(([node, ms]) => isPeerId(node) && isSlow(ms))) return undefined;
  return {
    paused: raw.paused,
    holdTo: [...raw.holdTo],
    groups: raw.groups.map((g) => [...g]),
    cuts: raw.cuts.map((c) => ({ from: c.from, to: c.to })),
    slowMs: Object.fromEntries(slow) as Record<PeerId, number>,
  };
}

// ---- the messages one node holds ------------------------------------------------------------

/** One held message as the dashboard lists it (plain data, sent in `held` reports). */
export interface HeldSummary {
  /** This node's number for the entry: what the dashboard's deliver/drop/duplicate name. */
  readonly entry: number;
  readonly from: PeerId;
  readonly kind: string;
  readonly summary: string;
  readonly value?: Value;
  /** 1 + retransmissions of the same message merged into this entry. */
  readonly copies: number;
  /** How long it has been held, ms, when the list was reported: orders entries across nodes (Step). */
  readonly heldForMs: number;
}

export interface HeldEntry<T> extends Omit<HeldSummary, 'heldForMs'> {
  /** When it was first held, on the holding node's clock. */
  readonly heldAt: number;
  /** What the node delivers when the teacher releases the entry (its first copy). */
  readonly payload: T;
  /** Same sender, same message: a retransmission merges here. */
  readonly key: string;
}

export interface HeldList<T> {
  /** Oldest first. */
  readonly entries: readonly HeldEntry<T>[];
  readonly nextEntry: number;
  /** Distinct messages lost because the list was full (MAX_HELD_PER_NODE). */
  readonly overflowed: number;
}

export function emptyHeld<T>(): HeldList<T> {
  return { entries: [], nextEntry: 1, overflowed: 0 };
}

/** Stable text of a message: object keys sorted, so equal messages give equal keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Holds `message` from `from` (`carried`: the value it carries, when it has no `value` field). A retransmission (same sender, same message) merges into its
 * entry; a new message beyond MAX_HELD_PER_NODE is lost and counted (the list stays bounded
 * whatever a sender does).
 */
export function hold<T>(list: HeldList<T>, from: PeerId, message: unknown, payload: T, now = 0, carried?: Value): HeldList<T> {
  const key = `${from} ${canonical(message)}`;
  const existing = list.entries.findIndex((e) => e.key === key);
  if (existing !== -1) {
    const entries = list.entries.map((e, i) => (i === existing ? { ...e, copies: e.copies + 1 } : e));
    return { ...list, entries };
  }
  if (list.entries.length >= MAX_HELD_PER_NODE) return { ...list, overflowed: list.overflowed + 1 };
  const { kind, summary } = summarizeMessage(message);
  // A log algorithm's messages carry commands, not a `value`: their host says what they carry.
  const value = carried ?? (isRecord(message) && typeof message.value === 'string' ? message.value : undefined);
  const entry: HeldEntry<T> = { entry: list.nextEntry, from, kind, summary, ...(value !== undefined ? { value } : {}), copies: 1, payload, key, heldAt: now };
  return { ...list, entries: [...list.entries, entry], nextEntry: list.nextEntry + 1 };
}

/** What the teacher does to one held entry, or to the oldest. */
export type HeldCommand =
  | { readonly do: 'deliver'; readonly entry: number }
  | { readonly do: 'drop'; readonly entry: number }
  | { readonly do: 'duplicate'; readonly entry: number }
  | { readonly do: 'step' };

/** A command carried out: the list after it and what to deliver now (in order; a duplicate gives one copy). */
export interface HeldOutcome<T> {
  readonly list: HeldList<T>;
  readonly deliver: readonly T[];
  /** The entry named no held message (already delivered or dropped): nothing happened. */
  readonly missing: boolean;
}

export function command<T>(list: HeldList<T>, cmd: HeldCommand): HeldOutcome<T> {
  const target = cmd.do === 'step' ? list.entries[0] : list.entries.find((e) => e.entry === cmd.entry);
  if (target === undefined) return { list, deliver: [], missing: true };
  const without = { ...list, entries: list.entries.filter((e) => e !== target) };
  switch (cmd.do) {
    case 'deliver':
    case 'step':
      return { list: without, deliver: [target.payload], missing: false };
    case 'drop':
      return { list: without, deliver: [], missing: false };
    case 'duplicate':
      // One copy arrives now; the entry stays, so the same message can arrive again later.
      return { list, deliver: [target.payload], missing: false };
    default: {
      const never: never = cmd;
      throw new Error(`unknown held command ${JSON.stringify(never)}`);
    }
  }
}

/**
 * After the rules changed: entries the new rules no longer hold are released (delivered in the
 * order they arrived) or lost (the sender is now cut off); the rest stay held.
 */
export function rejudge<T>(list: HeldList<T>, rules: AdversaryRules, self: PeerId): { list: HeldList<T>; deliver: T[]; lost: number } {
  const kept: HeldEntry<T>[] = [];
  const deliver: T[] = [];
  let lost = 0;
  for (const entry of list.entries) {
    const verdict = judge(rules, entry.from, self);
    if (verdict.kind === 'hold') kept.push(entry);
    else if (verdict.kind === 'pass') deliver.push(entry.payload);
    else lost++;
  }
  return { list: { ...list, entries: kept }, deliver, lost };
}

/** Everything held, delivered in arrival order (the teacher's screen is gone, or the rules were cleared). */
export function releaseAll<T>(list: HeldList<T>): { list: HeldList<T>; deliver: T[] } {
  return { list: { ...list, entries: [] }, deliver: list.entries.map((e) => e.payload) };
}

export function summaries<T>(list: HeldList<T>, now = 0): HeldSummary[] {
  return list.entries.map(({ entry, from, kind, summary, value, copies, heldAt }) => ({
    entry,
    from,
    kind,
    summary,
    ...(value !== undefined ? { value } : {}),
    copies,
    heldForMs: Math.max(0, Math.round(now - heldAt)),
  }));
}

/** A held entry somewhere in the room, as the dashboard knows it. */
export interface RoomHeld {
  readonly at: PeerId;
  readonly entry: number;
  /** Held for this long now (its report's age added). */
  readonly heldForMs: number;
}

/**
 * The oldest held message in the room (the dashboard's Step): each node's report says how long
 * each entry had been held when it was sent; the time since the report arrived is added.
 */
export function oldestInRoom(reports: Iterable<{ readonly at: PeerId; readonly entries: readonly HeldSummary[]; readonly receivedAt: number }>, now: number): RoomHeld | undefined {
  let oldest: RoomHeld | undefined;
  for (const { at, entries, receivedAt } of reports) {
    for (const e of entries) {
      const heldForMs = e.heldForMs + Math.max(0, now - receivedAt);
      if (oldest === undefined || heldForMs > oldest.heldForMs) oldest = { at, entry: e.entry, heldForMs };
    }
  }
  return oldest;
}
