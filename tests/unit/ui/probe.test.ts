import { describe, expect, it } from 'vitest';
import { MAX_OUTSTANDING_PROBES, PROBE_TIMEOUT_MS, parseProbe, Prober, type ProbeMessage } from '../../../src/ui/room/probe.ts';

/** Fake time and a recorded outbox: the prober is driven by hand. */
function harness(options: { sendOk?: boolean } = {}) {
  let now = 1_000;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextTimer = 1;
  const sent: { to: string; message: ProbeMessage }[] = [];
  const prober = new Prober({
    now: () => now,
    send: (to, message) => {
      sent.push({ to, message });
      return options.sendOk ?? true;
    },
    setTimeout: (fn, ms) => {
      const id = nextTimer++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (handle) => timers.delete(handle as number),
  });
  const advance = (ms: number): void => {
    now += ms;
    for (const [id, timer] of [...timers]) {
      if (timer.at <= now) {
        timers.delete(id);
        timer.fn();
      }
    }
  };
  return { prober, sent, advance, timers };
}

describe('parseProbe', () => {
  it('accepts exactly the two probe shapes', () => {
    expect(parseProbe({ type: 'room-probe', seq: 3 })).toEqual({ type: 'room-probe', seq: 3 });
    expect(parseProbe({ type: 'room-probe-reply', seq: 0 })).toEqual({ type: 'room-probe-reply', seq: 0 });
  });

  it('refuses anything else', () => {
    for (const raw of [
      null,
      'room-probe',
      { type: 'room-probe' },
      { type: 'room-probe', seq: -1 },
      { type: 'room-probe', seq: 1.5 },
      { type: 'room-probe', seq: '1' },
      { type: 'room-probe', seq: 1, from: 'n1' },
      { type: 'decision', seq: 1 },
    ]) {
      expect(parseProbe(raw)).toBeUndefined();
    }
  });
});

describe('Prober', () => {
  it('measures the round trip of a reply from the probed peer', async () => {
    const { prober, sent, advance } = harness();
    const result = prober.probe('b');
    expect(sent).toEqual([{ to: 'b', message: { type: 'room-probe', seq: 0 } }]);
    advance(7);
    expect(prober.receive('b', { type: 'room-probe-reply', seq: 0 })).toBe(true);
    await expect(result).resolves.toBe(7);
    expect(prober.latest('b')).toBe(7);
  });

  it('answers probes from any peer, to that peer', () => {
    const { prober, sent } = harness();
    expect(prober.receive('c', { type: 'room-probe', seq: 42 })).toBe(false);
    expect(sent).toEqual([{ to: 'c', message: { type: 'room-probe-reply', seq: 42 } }]);
  });

  it('ignores a reply from another peer than the one probed, and unknown sequence numbers', async () => {
    const { prober, advance } = harness();
    const result = prober.probe('b');
    expect(prober.receive('mallory', { type: 'room-probe-reply', seq: 0 })).toBe(false);
    expect(prober.receive('b', { type: 'room-probe-reply', seq: 99 })).toBe(false);
    expect(prober.latest('mallory')).toBeUndefined();
    advance(PROBE_TIMEOUT_MS);
    await expect(result).resolves.toBeUndefined();
    expect(prober.latest('b')).toBeUndefined();
  });

  it('reports a probe that could not be sent as lost at once', async () => {
    const { prober, timers } = harness({ sendOk: false });
    await expect(prober.probe('b')).resolves.toBeUndefined();
    expect(timers.size).toBe(0);
  });

  it('times out unanswered probes and ignores late replies', async () => {
    const { prober, advance } = harness();
    const result = prober.probe('b');
    advance(PROBE_TIMEOUT_MS);
    await expect(result).resolves.toBeUndefined();
    expect(prober.receive('b', { type: 'room-probe-reply', seq: 0 })).toBe(false);
  });

  it('bounds outstanding probes, settling the oldest as lost', async () => {
    const { prober, timers } = harness();
    const first = prober.probe('b');
    for (let i = 0; i < MAX_OUTSTANDING_PROBES; i++) void prober.probe('b');
    await expect(first).resolves.toBeUndefined();
    expect(timers.size).toBe(MAX_OUTSTANDING_PROBES);
  });

  it('forgets a peer, and close() settles everything', async () => {
    const { prober, timers } = harness();
    const pending = prober.probe('b');
    prober.receive('b', { type: 'room-probe-reply', seq: 0 });
    await pending;
    expect(prober.forget('b')).toBe(true);
    expect(prober.latest('b')).toBeUndefined();
    const open = prober.probe('c');
    prober.close();
    await expect(open).resolves.toBeUndefined();
    expect(timers.size).toBe(0);
  });
});
