/**
 * Pure geometry and read-models of the projector's network picture (NetworkDiagram.svelte):
 * where each message is on its way, what a node's circle says, where members sit, and where
 * labels go so they never pile up into unreadable strings. No DOM, no Svelte: unit-tested.
 */
import type { Value } from '../../core/types.ts';
import { LANDED_SHOWN_MS, MIN_FLIGHT_MS } from '../../limits.ts';
import type { MemberState } from '../../classroom/dashboard.ts';
import type { Flight } from '../../classroom/flights.ts';

/** Where a message that has used up its expected flight time waits (held, or its receiver is slow). */
export const ARRIVING_AT = 0.88;

export type FlightPhase = 'flying' | 'arriving' | 'landed';

export interface FlightPosition {
  readonly phase: FlightPhase;
  /** 0 at the sender's edge, 1 at the receiver's edge. */
  readonly progress: number;
  /** Landed: 1 just after landing, fading to 0 at LANDED_SHOWN_MS. Otherwise 1. */
  readonly strength: number;
}

/**
 * Where a message is drawn at `nowMs`: in flight it moves over the configured delay (the
 * receiving node holds every message that long before processing it), then waits at the
 * receiver's door until the receiver reports processing it; landed, it sits at the receiver
 * and fades. Undefined: no longer shown.
 */
export function flightPosition(flight: Flight, nowMs: number, delayMs: number): FlightPosition | undefined {
  if (flight.landedAtMs !== undefined) {
    const since = nowMs - flight.landedAtMs;
    if (since >= LANDED_SHOWN_MS) return undefined;
    return { phase: 'landed', progress: 1, strength: 1 - Math.max(0, since) / LANDED_SHOWN_MS };
  }
  const expected = Math.max(MIN_FLIGHT_MS, delayMs);
  const progress = Math.max(0, nowMs - flight.sentAtMs) / expected;
  if (progress >= ARRIVING_AT) return { phase: 'arriving', progress: ARRIVING_AT, strength: 1 };
  return { phase: 'flying', progress, strength: 1 };
}

/** What a node's circle says beside its phase: the value it decided, voted for, accepted, or proposes. */
export interface NodeValue {
  readonly value: Value;
  readonly how: 'decided' | 'voted' | 'accepted' | 'proposes';
}

const EMPTY = new Set(['—', '-', '', 'not cast yet', 'unknown yet']);

export function nodeValue(member: MemberState | undefined): NodeValue | undefined {
  if (member === undefined) return undefined;
  const decided = member.decidedValues[member.decidedValues.length - 1] ?? member.view?.decided;
  if (decided !== undefined) return { value: decided, how: 'decided' };
  const field = (label: string): string | undefined => {
    const value = member.view?.fields.find((f) => f.label === label)?.value;
    return value === undefined || EMPTY.has(value) || value.startsWith('none') ? undefined : value;
  };
  const vote = field('my vote');
  if (vote !== undefined) return { value: vote, how: 'voted' };
  // Paxos: "blue in 2.n3" (value, then the ballot it was accepted in).
  const accepted = field('accepted');
  if (accepted !== undefined) {
    const cut = accepted.lastIndexOf(' in ');
    return { value: cut > 0 ? accepted.slice(0, cut) : accepted, how: 'accepted' };
  }
  const proposal = field('my candidate') ?? field('my proposal') ?? field('proposing') ?? member.proposed[0];
  return proposal === undefined ? undefined : { value: proposal, how: 'proposes' };
}

// ---- members on a ring ----------------------------------------------------------------------

export interface RingLayout {
  /** The drawing's size in CSS pixels (the viewBox is in pixels, so font sizes are real pixels). */
  readonly width: number;
  readonly height: number;
  readonly radius: number;
  readonly positions: readonly { readonly x: number; readonly y: number }[];
}

/** Room below each circle for the member's name. */
export const NAME_SPACE = 30;

/**
 * Members around the drawing's box, each circle at least `minRadius` (room for a value in 18 px
 * text), neighbours at least a radius apart. A few members sit on a circle; when a circle cannot
 * hold them they go round the box's edge (a 16:9 panel holds twice as many that way); when even
 * that is too short the drawing grows beyond the box and its panel scrolls, instead of
 * shrinking the text.
 */
export function ringLayout(count: number, width: number, height: number, minRadius: number, maxRadius: number): RingLayout {
  const n = Math.max(1, count);
  const margin = (r: number): number => r + NAME_SPACE + 8;
  const w0 = Math.max(1, width);
  const h0 = Math.max(1, height);
  const edge = (w: number, h: number, r: number) => ({ w: Math.max(0, w - 2 * margin(r)), h: Math.max(0, h - 2 * margin(r) + NAME_SPACE) });
  for (let r = maxRadius; r >= minRadius; r -= 2) {
    const layout = circle(n, w0, h0, r, margin(r));
    if (Math.min(w0, h0) / 2 > margin(r) && apart(layout)) return layout;
  }
  for (let r = maxRadius; r >= minRadius; r -= 2) {
    const layout = around(n, w0, h0, r, edge(w0, h0, r), margin(r));
    if (apart(layout)) return layout;
  }
  // Grow the box, keeping its proportions, until the edge holds everyone at the smallest circles.
  const r = minRadius;
  for (let grow = 1.1; ; grow *= 1.1) {
    const w = w0 * grow;
    const h = h0 * grow;
    const layout = around(n, w, h, r, edge(w, h, r), margin(r));
    if (apart(layout) || grow > 64) return layout;
  }
}

/** Every two circles, with the name under each, clear of each other (O(n²): n is a class). */
function apart(layout: RingLayout): boolean {
  const gap = 2 * layout.radius + NAME_SPACE;
  const { positions } = layout;
  for (let i = 0; i < positions.length; i++) {
    for (let j = i + 1; j < positions.length; j++) {
      const a = positions[i]!;
      const b = positions[j]!;
      if (Math.hypot(a.x - b.x, a.y - b.y) < gap) return false;
    }
  }
  return true;
}

function circle(n: number, w: number, h: number, radius: number, margin: number): RingLayout {
  const ring = n === 1 ? 0 : Math.min(w, h) / 2 - margin;
  const cx = w / 2;
  const cy = h / 2 - NAME_SPACE / 2;
  const positions = Array.from({ length: n }, (_, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { x: cx + ring * Math.cos(angle), y: cy + ring * Math.sin(angle) };
  });
  return { width: w, height: h, radius, positions };
}

/** Evenly along the edge of the inner box, clockwise from the top middle. */
function around(n: number, w: number, h: number, radius: number, inner: { w: number; h: number }, margin: number): RingLayout {
  const perimeter = 2 * (inner.w + inner.h);
  const x0 = margin;
  const y0 = margin - NAME_SPACE / 2;
  const positions = Array.from({ length: n }, (_, i) => {
    let d = (inner.w / 2 + (perimeter * i) / n) % perimeter;
    if (d < inner.w) return { x: x0 + d, y: y0 };
    d -= inner.w;
    if (d < inner.h) return { x: x0 + inner.w, y: y0 + d };
    d -= inner.h;
    if (d < inner.w) return { x: x0 + inner.w - d, y: y0 + inner.h };
    d -= inner.w;
    return { x: x0, y: y0 + inner.h - d };
  });
  return { width: w, height: h, radius, positions };
}

// ---- a big room: a grid scaled to fit ---------------------------------------------------------

/** Members up to which the picture draws big circles with 18 px text (issue 8's one-screen layout). */
export const RING_MEMBERS = 12;
/** Smallest circle of a big room's grid: a value swatch and a 14 px name stay readable from the back. */
export const GRID_MIN_RADIUS = 16;
export const GRID_MAX_RADIUS = 36;
/** Text size of names in a big room's grid (px): smaller than the ring's 20, still projector-legible. */
export const GRID_FONT = 14;

/**
 * A big room (more than RING_MEMBERS) in rows and columns filling the box: the column count that
 * gives the largest cells, circles a third of a cell. Up to 40 members fit a 1280×720 projector's
 * panel without scrolling; only a box too small for GRID_MIN_RADIUS circles grows (and scrolls).
 */
export function gridLayout(count: number, width: number, height: number): RingLayout {
  const n = Math.max(1, count);
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  let best = { cols: 1, rows: n, cell: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const cell = Math.min(w / cols, h / rows - NAME_SPACE / 2);
    if (cell > best.cell) best = { cols, rows, cell };
  }
  const radius = Math.max(GRID_MIN_RADIUS, Math.min(GRID_MAX_RADIUS, Math.floor(best.cell / 3)));
  // Too small a box: grow it to cells that hold the smallest circles, keeping the grid.
  const cellW = Math.max(w / best.cols, 3 * radius);
  const cellH = Math.max(h / best.rows, 3 * radius + NAME_SPACE / 2);
  const positions = Array.from({ length: n }, (_, i) => {
    const row = Math.floor(i / best.cols);
    const col = i % best.cols;
    return { x: cellW * (col + 0.5), y: cellH * row + (cellH - NAME_SPACE / 2) / 2 };
  });
  return { width: Math.max(w, cellW * best.cols), height: Math.max(h, cellH * best.rows), radius, positions };
}

/** A room's picture: the ring for a few members, the grid beyond RING_MEMBERS. */
export function pictureLayout(count: number, width: number, height: number): RingLayout & { readonly compact: boolean } {
  if (count <= RING_MEMBERS) return { ...ringLayout(count, width, height, 44, 78), compact: false };
  return { ...gridLayout(count, width, height), compact: true };
}

/**
 * Characters of a name that fit under a circle without touching the neighbour's name: the
 * nearest neighbour's horizontal distance at `fontSize` (names are truncated, never overlap;
 * the full name is in the node's tooltip and accessible name).
 */
export function nameChars(layout: RingLayout, fontSize: number, max: number): number {
  let nearest = Number.POSITIVE_INFINITY;
  const { positions } = layout;
  for (let i = 0; i < positions.length; i++) {
    for (let j = i + 1; j < positions.length; j++) {
      const a = positions[i]!;
      const b = positions[j]!;
      // Names side by side clash; names in different rows do not.
      if (Math.abs(a.y - b.y) < NAME_SPACE) nearest = Math.min(nearest, Math.abs(a.x - b.x));
    }
  }
  return Math.max(3, Math.min(max, Math.floor((nearest - 6) / (fontSize * 0.62))));
}

// ---- labels that never overlap ------------------------------------------------------------

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface LabelRequest {
  readonly key: string;
  /** The anchor (e.g. the message's dot); the label is centred on it or beside it. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** A label's width at `fontSize` px: a generous average glyph width, plus room for a swatch. */
export function labelWidth(text: string, fontSize: number, swatch: boolean): number {
  return [...text].length * fontSize * 0.62 + (swatch ? fontSize * 1.3 : 0) + fontSize * 0.6;
}

/**
 * Places labels in order (earlier ones win): each at the first of a few spots around its anchor
 * (above, below, right, left) that overlaps no placed label and no obstacle (node circles,
 * names) and stays inside `bounds`. A label with no free spot is left out, never drawn on top
 * of another: the message's dot still shows, and the feed lists every message in words.
 */
export function layoutLabels(requests: readonly LabelRequest[], obstacles: readonly Box[], bounds: Box): Map<string, Box> {
  const placed = new Map<string, Box>();
  const taken: Box[] = [...obstacles];
  for (const r of requests) {
    const gap = 6;
    const spots: Box[] = [
      { x: r.x - r.width / 2, y: r.y - r.height - gap, width: r.width, height: r.height },
      { x: r.x - r.width / 2, y: r.y + gap, width: r.width, height: r.height },
      { x: r.x + gap + 4, y: r.y - r.height / 2, width: r.width, height: r.height },
      { x: r.x - r.width - gap - 4, y: r.y - r.height / 2, width: r.width, height: r.height },
    ];
    const spot = spots.find(
      (s) =>
        s.x >= bounds.x &&
        s.y >= bounds.y &&
        s.x + s.width <= bounds.x + bounds.width &&
        s.y + s.height <= bounds.y + bounds.height &&
        !taken.some((t) => overlaps(s, t)),
    );
    if (spot === undefined) continue;
    placed.set(r.key, spot);
    taken.push(spot);
  }
  return placed;
}

/** A broadcast travels as one group: one label for all its copies ("vote red ×4"). */
export function groupKey(flight: Flight): string {
  return `${flight.from}|${flight.kind}|${flight.value ?? ''}|${flight.sentAtMs}`;
}
