/**
 * A broadcast is serialised once, whatever the room's size: every peer's link gets the very same
 * frame, and a message too large for one frame is refused for all of them (nothing is sent).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../../src/limits.ts';
import { TransportCore } from '../../../src/transport/core.ts';
import type { TransportClock } from '../../../src/transport/clock.ts';

type Msg = { readonly text: string };
const parse = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as Msg).text === 'string' ? { text: (raw as Msg).text } : undefined;

/** No timer ever fires: the beat stays out of the way. */
const stillClock: TransportClock = { now: () => 1_000, setTimeout: () => 0, clearTimeout: () => undefined };

const PEERS = Array.from({ length: 39 }, (_, i) => `p${String(i).padStart(2, '0')}`);

function room(): { core: TransportCore<Msg>; frames: Map<string, string[]> } {
  const frames = new Map<string, string[]>();
  const core = new TransportCore<Msg>(
    { self: 'me', name: 'Me', role: 'student', parse, clock: stillClock },
    {
      deliver: (to, frame) => {
        frames.set(to, [...(frames.get(to) ?? []), frame]);
        return true;
      },
      openLinks: () => PEERS,
    },
  );
  for (const peer of PEERS) core.listed(peer, { name: peer.toUpperCase(), role: 'student' });
  return { core, frames };
}

afterEach(() => vi.restoreAllMocks());

describe('broadcast', () => {
  it('serialises the envelope once and hands every peer the same frame', () => {
    const { core, frames } = room();
    const stringify = vi.spyOn(JSON, 'stringify');
    core.broadcast({ text: 'vote blue' });
    expect(stringify).toHaveBeenCalledTimes(1);
    expect([...frames.keys()].sort()).toEqual(PEERS);
    const sent = PEERS.map((peer) => frames.get(peer)!);
    expect(sent.every((list) => list.length === 1 && list[0] === sent[0]![0])).toBe(true);
    expect(JSON.parse(sent[0]![0]!)).toEqual({ type: 'app', payload: { text: 'vote blue' } });
    expect(core.stats().sent).toBe(PEERS.length);
  });

  it('refuses a message over the frame limit for every peer, sending nothing', () => {
    const { core, frames } = room();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    core.broadcast({ text: 'x'.repeat(MAX_MESSAGE_BYTES) });
    expect(frames.size).toBe(0);
    expect(core.stats().sent).toBe(0);
    expect(warn).toHaveBeenCalledOnce();
    // Just under the limit still goes, to everyone.
    const overhead = JSON.stringify({ type: 'app', payload: { text: '' } }).length;
    core.broadcast({ text: 'x'.repeat(MAX_MESSAGE_BYTES - overhead) });
    expect(frames.size).toBe(PEERS.length);
  });
});
