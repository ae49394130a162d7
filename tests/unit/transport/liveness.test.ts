import { describe, expect, it } from 'vitest';
import { DOWN_AFTER_MS, SUSPECT_AFTER_MS } from '../../../src/limits.ts';
import {
  applyLiveness,
  livenessStatus,
  newLivenessRecord,
  type LivenessEvent,
  type LivenessRecord,
} from '../../../src/transport/liveness.ts';

/** Folds events (each with its own time) from a record created at t=0. */
function fold(events: readonly LivenessEvent[]): LivenessRecord {
  return events.reduce<LivenessRecord>((record, event) => applyLiveness(record, event), newLivenessRecord(0));
}

describe('peer liveness', () => {
  it('is suspected until first heard, then connected', () => {
    const record = newLivenessRecord(0);
    expect(livenessStatus(record, 0)).toBe('suspected');
    expect(livenessStatus(applyLiveness(record, { type: 'heard', now: 10 }), 10)).toBe('connected');
  });

  it('goes suspected after SUSPECT_AFTER_MS of silence and down after DOWN_AFTER_MS', () => {
    const record = fold([{ type: 'heard', now: 1_000 }]);
    expect(livenessStatus(record, 1_000 + SUSPECT_AFTER_MS - 1)).toBe('connected');
    expect(livenessStatus(record, 1_000 + SUSPECT_AFTER_MS)).toBe('suspected');
    expect(livenessStatus(record, 1_000 + DOWN_AFTER_MS - 1)).toBe('suspected');
    expect(livenessStatus(record, 1_000 + DOWN_AFTER_MS)).toBe('down');
  });

  it('heartbeats keep a peer connected indefinitely', () => {
    let record = newLivenessRecord(0);
    for (let t = 0; t <= 60_000; t += 1_000) {
      record = applyLiveness(record, { type: 'heard', now: t });
      expect(livenessStatus(record, t + 999)).toBe('connected');
    }
  });

  it('a goodbye or the server’s leave push is down at once', () => {
    for (const type of ['goodbye', 'server-left'] as const) {
      const record = fold([{ type: 'heard', now: 5 }, { type, now: 6 }]);
      expect(livenessStatus(record, 6)).toBe('down');
    }
  });

  it('hearing from a peer again brings it back (a goodbye from a page that came back)', () => {
    const record = fold([
      { type: 'heard', now: 5 },
      { type: 'goodbye', now: 6 },
      { type: 'heard', now: 7 },
    ]);
    expect(livenessStatus(record, 7)).toBe('connected');
  });

  it('ICE disconnected/failed makes a heard peer suspected, and recovery clears it ("failed" is not final)', () => {
    const heard: LivenessEvent = { type: 'heard', now: 100 };
    for (const state of ['disconnected', 'failed', 'closed'] as const) {
      const troubled = fold([heard, { type: 'link', state, now: 150 }]);
      expect(livenessStatus(troubled, 200)).toBe('suspected');
      const recovered = applyLiveness(troubled, { type: 'link', state: 'connected', now: 300 });
      expect(livenessStatus(recovered, 300)).toBe('connected');
    }
    // Negotiation states of the current connection say nothing new.
    const checking = fold([heard, { type: 'link', state: 'checking', now: 150 }]);
    expect(livenessStatus(checking, 200)).toBe('connected');
    // A fresh connection ('new') replacing a troubled one starts clean.
    const replaced = fold([heard, { type: 'link', state: 'failed', now: 150 }, { type: 'link', state: 'new', now: 160 }]);
    expect(replaced.link).toBe('pending');
  });

  it('a silent troubled peer still goes down on time', () => {
    const record = fold([{ type: 'heard', now: 0 }, { type: 'link', state: 'failed', now: 1 }]);
    expect(livenessStatus(record, DOWN_AFTER_MS)).toBe('down');
  });

  it('a listing revives a down peer as suspected (a rejoin) but does not disturb a live one', () => {
    const live = fold([{ type: 'heard', now: 1_000 }]);
    expect(applyLiveness(live, { type: 'listed', now: 1_500 })).toBe(live);

    const left = fold([{ type: 'heard', now: 1_000 }, { type: 'server-left', now: 1_100 }]);
    const rejoined = applyLiveness(left, { type: 'listed', now: 2_000 });
    expect(livenessStatus(rejoined, 2_000)).toBe('suspected');
    // Heard since it rejoined: connected. Not heard: down again DOWN_AFTER_MS after the rejoin.
    expect(livenessStatus(applyLiveness(rejoined, { type: 'heard', now: 2_100 }), 2_100)).toBe('connected');
    expect(livenessStatus(rejoined, 2_000 + DOWN_AFTER_MS)).toBe('down');

    const silent = fold([{ type: 'heard', now: 0 }]);
    const relisted = applyLiveness(silent, { type: 'listed', now: DOWN_AFTER_MS + 5 });
    expect(livenessStatus(relisted, DOWN_AFTER_MS + 5)).toBe('suspected');
  });

  it('a listed peer never heard goes down after DOWN_AFTER_MS (it never managed a channel)', () => {
    const record = newLivenessRecord(0);
    expect(livenessStatus(record, DOWN_AFTER_MS - 1)).toBe('suspected');
    expect(livenessStatus(record, DOWN_AFTER_MS)).toBe('down');
  });

  it('honours custom timing', () => {
    const timing = { suspectAfterMs: 10, downAfterMs: 20 };
    const record = fold([{ type: 'heard', now: 0 }]);
    expect(livenessStatus(record, 9, timing)).toBe('connected');
    expect(livenessStatus(record, 10, timing)).toBe('suspected');
    expect(livenessStatus(record, 20, timing)).toBe('down');
  });
});
