/**
 * The protocol version on the peer hello (wire.ts, core.ts): a peer that speaks another version
 * is ignored until it says hello with ours and is never counted as hostile; and the roster
 * socket's parameter check the server applies.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/transport/clock.ts';
import { TransportCore } from '../../../src/transport/core.ts';
import { isCurrentProtocolParam, PROTOCOL_VERSION } from '../../../src/transport/signaling-protocol.ts';

type Msg = { readonly n: number };
const parse = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && typeof (raw as Msg).n === 'number' ? { n: (raw as Msg).n } : undefined;

const hello = (protocol?: number) => JSON.stringify({ type: 'hello', name: 'Bob', role: 'student', ...(protocol === undefined ? {} : { protocol }) });
const app = (n: number) => JSON.stringify({ type: 'app', payload: { n } });

describe('protocol version on the hello', () => {
  let core: TransportCore<Msg>;
  let sent: { to: string; frame: string }[];
  let received: [string, Msg][];

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    received = [];
    core = new TransportCore<Msg>(
      {
        self: 'a',
        name: 'Ada',
        role: 'student',
        parse,
        clock: systemClock,
      },
      { deliver: (to, frame) => (sent.push({ to, frame }), true), openLinks: () => ['b'] },
    );
    core.onMessage((from, message) => received.push([from, message]));
  });
  afterEach(() => {
    core.stop();
    vi.useRealTimers();
  });

  it('announces our version in every hello', () => {
    core.linkOpened('b');
    expect(JSON.parse(sent[0]!.frame)).toEqual({ type: 'hello', name: 'Ada', role: 'student', protocol: PROTOCOL_VERSION });
  });

  it('a peer of our version is heard as before', () => {
    core.receive('b', hello(PROTOCOL_VERSION));
    core.receive('b', app(1));
    expect(received).toEqual([['b', { n: 1 }]]);
    expect(core.peers()).toEqual([{ id: 'b', name: 'Bob', role: 'student', status: 'connected' }]);
  });

  it('ignores a peer of another version, uncounted; a hello with ours brings it back', () => {
    core.receive('b', hello(PROTOCOL_VERSION + 1));
    core.receive('b', app(1));
    core.receive('b', JSON.stringify({ type: 'heartbeat' }));
    expect(received).toEqual([]);
    expect(core.peers()[0]?.status).not.toBe('connected'); // never heard
    expect(core.stats().rejected).toEqual({ malformed: 0, oversized: 0, 'unknown-type': 0, 'rate-limited': 0 });
    // The peer reloads with our bundle: its new hello is ours, and it is heard again.
    core.receive('b', hello(PROTOCOL_VERSION));
    core.receive('b', app(2));
    expect(received).toEqual([['b', { n: 2 }]]);
  });

  it('ignores a bundle from before versioning (no protocol in its hello) as version 0', () => {
    core.receive('b', hello());
    core.receive('b', app(1));
    expect(received).toEqual([]);
    expect(core.stats().received).toBe(0);
  });
});

describe('protocol version on the roster socket', () => {
  it('accepts exactly our version, written plainly', () => {
    expect(isCurrentProtocolParam(String(PROTOCOL_VERSION))).toBe(true);
    for (const raw of [null, '', '0', String(PROTOCOL_VERSION + 1), `0${PROTOCOL_VERSION}`, ` ${PROTOCOL_VERSION}`, `${PROTOCOL_VERSION}.0`]) {
      expect(isCurrentProtocolParam(raw), String(raw)).toBe(false);
    }
  });
});
