import * as picture from '../../../src/ui/classroom/picture.ts';
import { LANDED_SHOWN_MS, MAX_TRACKED_FLIGHTS, MIN_FLIGHT_MS } from '../../../src/limits.ts';
import { describe, expect, it } from 'vitest';
import type { MemberState } from '../../../src/classroom/dashboard.ts';
import { FlightLog, type Flight } from '../../../src/classroom/flights.ts';
import type { NodeView } from '../../../src/core/types.ts';
import {
  ARRIVING_AT,
  flightPosition,
  layoutLabels,
  NAME_SPACE,
  nodeValue,
  ringLayout,
  type Box,
} from '../../../src/ui/classroom/picture.ts';

function flight(over: Partial<Flight> = {}): Flight {
  return { id: 1, key: 'a>1.1', from: 'a', to: 'b', kind: 'vote', value: 'red', sentAtMs: 1_000, landedAtMs: undefined, ...over };
}

function view(over: Partial<NodeView> = {}): NodeView {
  return { phase: 'idle', waitingFor: 'a proposal', decided: undefined, tally: {}, fields: [], ...over };
}

function member(over: Partial<MemberState> = {}): MemberState {
  return { view: view(), decidedValues: [], decidedAtMs: undefined, proposed: [], rejoined: false, lastReportAtMs: 0, ...over };
}

describe('flights: a message joined from its send to its receive by id', () => {
  const vote = { to: ['b', 'c'], firstSeq: 7, kind: 'vote', summary: 'vote red', value: 'red' };

  it('is in flight from the send until the receiver reports processing it', () => {
    const log = new FlightLog();
    log.sent('a', 3, vote, 100);
    expect(log.toArray().map((f) => [f.to, f.landedAtMs])).toEqual([
      ['b', undefined],
      ['c', undefined],
    ]);
    log.received('c', 'a', { inc: 3, seq: 8 }, 3_100);
    const [b, c] = log.toArray();
    expect(b).toMatchObject({ to: 'b', landedAtMs: undefined, value: 'red' });
    expect(c).toMatchObject({ to: 'c', sentAtMs: 100, landedAtMs: 3_100 });
    // Another incarnation's sequence number is another message.
    log.received('b', 'a', { inc: 4, seq: 7 }, 3_200);
    expect(log.toArray()[0]).toMatchObject({ to: 'b', landedAtMs: undefined });
  });

  it('joins a receive reported before its send', () => {
    const log = new FlightLog();
    log.received('b', 'a', { inc: 3, seq: 7 }, 50);
    log.sent('a', 3, vote, 60);
    expect(log.toArray().find((f) => f.to === 'b')).toMatchObject({ sentAtMs: 50, landedAtMs: 50 });
    const toC = log.toArray().find((f) => f.to === 'c');
    expect(toC).toBeDefined(); // the broadcast's other copy is in flight, not landed
    expect(toC?.landedAtMs).toBeUndefined();
  });

  it('stays bounded when messages never land (dropped on the way)', () => {
    const log = new FlightLog();
    for (let i = 0; i < 2_000; i++) log.sent('a', 1, { ...vote, to: ['b'], firstSeq: i }, i);
    const open = log.toArray();
    expect(open.length).toBeLessThanOrEqual(MAX_TRACKED_FLIGHTS);
    expect(open.at(-1)?.key).toBe('a>1.1999');
  });
});

describe('flight progress over the real flight time', () => {
  it('moves over the dialled delay, then waits at the door until it lands', () => {
    expect(flightPosition(flight(), 1_000, 3_000)).toEqual({ phase: 'flying', progress: 0, strength: 1 });
    expect(flightPosition(flight(), 2_500, 3_000)?.progress).toBeCloseTo(0.5);
    // 3 s later it has not landed yet (the receiver is slow, or the message is held): it waits.
    expect(flightPosition(flight(), 4_000, 3_000)).toEqual({ phase: 'arriving', progress: ARRIVING_AT, strength: 1 });
    expect(flightPosition(flight(), 60_000, 3_000)?.phase).toBe('arriving');
  });

  it('lands when the receiver processed it, and fades from there', () => {
    const landed = flight({ landedAtMs: 4_100 });
    expect(flightPosition(landed, 4_100, 3_000)).toEqual({ phase: 'landed', progress: 1, strength: 1 });
    expect(flightPosition(landed, 4_100 + LANDED_SHOWN_MS / 2, 3_000)?.strength).toBeCloseTo(0.5);
    expect(flightPosition(landed, 4_100 + LANDED_SHOWN_MS, 3_000)).toBeUndefined();
  });

  it('travels at least MIN_FLIGHT_MS with no delay, so it is seen moving', () => {
    expect(flightPosition(flight(), 1_000 + MIN_FLIGHT_MS / 2, 0)?.progress).toBeCloseTo(0.5);
  });
});

describe('what a node circle holds', () => {
  it('prefers the decided value, then the vote, the accepted value, the proposal', () => {
    expect(nodeValue(member({ decidedValues: ['blue'] }))).toEqual({ value: 'blue', how: 'decided' });
    const fields = (pairs: [string, string][]) => view({ fields: pairs.map(([label, value]) => ({ label, value })) });
    expect(nodeValue(member({ view: fields([['my candidate', 'red'], ['my vote', 'green']]) }))).toEqual({ value: 'green', how: 'voted' });
    expect(nodeValue(member({ view: fields([['my vote', 'not cast yet'], ['my candidate', 'red']]) }))).toEqual({ value: 'red', how: 'proposes' });
    expect(nodeValue(member({ view: fields([['accepted', 'blue in 2.n3']]) }))).toEqual({ value: 'blue', how: 'accepted' });
    expect(nodeValue(member({ view: fields([['accepted', '—']]), proposed: ['yellow'] }))).toEqual({ value: 'yellow', how: 'proposes' });
    expect(nodeValue(member())).toBeUndefined();
    expect(nodeValue(undefined)).toBeUndefined();
  });
});

describe('labels never overlap', () => {
  const bounds: Box = { x: 0, y: 0, width: 1_000, height: 1_000 };
  const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  it('moves a label that would cover another, and leaves out one with no free spot', () => {
    const requests = Array.from({ length: 6 }, (_, i) => ({ key: `m${i}`, x: 500, y: 500, width: 120, height: 28 }));
    const placed = [...layoutLabels(requests, [], bounds).values()];
    // Above and below the shared anchor; right and left would cover those two, so they are left out.
    expect(placed.length).toBeGreaterThanOrEqual(2);
    expect(placed.length).toBeLessThan(6);
    for (const [i, a] of placed.entries()) for (const b of placed.slice(i + 1)) expect(overlap(a, b)).toBe(false);
  });

  it('keeps clear of obstacles (node circles) and inside the drawing', () => {
    const circle: Box = { x: 440, y: 400, width: 120, height: 120 };
    const placed = layoutLabels([{ key: 'm', x: 500, y: 530, width: 100, height: 28 }], [circle], bounds).get('m');
    expect(placed).toBeDefined();
    expect(overlap(placed!, circle)).toBe(false);
    // Near the left edge: not centred (it would stick out), but to the right of its anchor.
    expect(layoutLabels([{ key: 'edge', x: 2, y: 50, width: 100, height: 28 }], [], bounds).get('edge')?.x).toBeGreaterThanOrEqual(0);
    expect(layoutLabels([{ key: 'out', x: 2, y: 2, width: 100, height: 28 }], [], { x: 0, y: 0, width: 60, height: 20 }).size).toBe(0);
  });
});

describe('members on a ring', () => {
  const clear = (layout: ReturnType<typeof ringLayout>) => {
    let min = Infinity;
    for (const [i, a] of layout.positions.entries())
      for (const b of layout.positions.slice(i + 1)) min = Math.min(min, Math.hypot(a.x - b.x, a.y - b.y));
    return min;
  };

  it('never lets two circles (and the names under them) overlap, from a phone to a projector', () => {
    for (const [n, w, h] of [[5, 310, 384], [3, 300, 384], [8, 700, 470], [12, 700, 470], [12, 1000, 700], [30, 700, 470]] as const) {
      const layout = ringLayout(n, w, h, 44, 78);
      expect(clear(layout), `${n} in ${w}×${h}`).toBeGreaterThanOrEqual(2 * layout.radius + NAME_SPACE);
    }
  });

  it('fits 12 members in a 1280×720 panel with circles big enough for 18 px text', () => {
    const layout = ringLayout(12, 700, 470, 44, 78);
    expect(layout.width).toBe(700);
    expect(layout.height).toBe(470);
    expect(layout.radius).toBeGreaterThanOrEqual(44);
    for (const p of layout.positions) {
      expect(p.x - layout.radius).toBeGreaterThanOrEqual(0);
      expect(p.y - layout.radius).toBeGreaterThanOrEqual(0);
      expect(p.x + layout.radius).toBeLessThanOrEqual(layout.width);
    }
  });

  it('grows beyond its panel (which scrolls) instead of shrinking circles for a big class', () => {
    const layout = ringLayout(40, 700, 470, 44, 78);
    expect(layout.radius).toBe(44);
    expect(layout.width).toBeGreaterThan(700);
    const [a, b] = layout.positions;
    expect(Math.hypot(a!.x - b!.x, a!.y - b!.y)).toBeGreaterThanOrEqual(2 * layout.radius);
  });
});

describe('a big room on the projector', () => {
  // The picture panel of the dashboard at 1280×720 is about this size (measured in the e2e screenshots).
  const PANEL = { w: 780, h: 430 };

  it.each([13, 20, 30, 40])('%i members fit the panel without scrolling, circles and names clear of each other', (n) => {
    const { pictureLayout, nameChars, GRID_MIN_RADIUS, GRID_FONT, NAME_SPACE } = picture;
    const layout = pictureLayout(n, PANEL.w, PANEL.h);
    expect(layout.compact).toBe(true);
    expect(layout.width).toBeLessThanOrEqual(PANEL.w);
    expect(layout.height).toBeLessThanOrEqual(PANEL.h);
    expect(layout.radius).toBeGreaterThanOrEqual(GRID_MIN_RADIUS);
    expect(layout.positions).toHaveLength(n);
    for (const p of layout.positions) {
      expect(p.x - layout.radius).toBeGreaterThanOrEqual(0);
      expect(p.y + layout.radius + NAME_SPACE / 2).toBeLessThanOrEqual(layout.height);
    }
    // Names are cut to what fits between neighbours: at 14 px, at least a few characters.
    const chars = nameChars(layout, GRID_FONT, 14);
    expect(chars).toBeGreaterThanOrEqual(6);
    const rowGap = Math.min(...layout.positions.slice(1).filter((p) => p.y === layout.positions[0]!.y).map((p, i) => p.x - layout.positions[i]!.x));
    expect(chars * GRID_FONT * 0.62).toBeLessThanOrEqual(rowGap);
  });

  it('a few members keep the ring with its big circles (issue 8’s 18 px layout)', () => {
    const layout = picture.pictureLayout(5, PANEL.w, PANEL.h);
    expect(layout.compact).toBe(false);
    expect(layout.radius).toBeGreaterThanOrEqual(44);
  });

  it('a box too small for the smallest circles grows (the panel scrolls) rather than shrinking them', () => {
    const layout = picture.gridLayout(40, 200, 120);
    expect(layout.radius).toBe(picture.GRID_MIN_RADIUS);
    expect(layout.width * layout.height).toBeGreaterThan(200 * 120);
  });
});
