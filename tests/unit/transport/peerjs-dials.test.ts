/**
 * The WebRTC transport's dialling (src/transport/peerjs.ts) against a PeerJS that we drive by
 * hand: a dial whose connection ends, or that gets no answer, or is answered but never opens,
 * is re-dialled when its own state says so (pacing.ts negotiationVerdict), not after the flat
 * DIAL_TIMEOUT_MS; and if both ends dial each other anyway, one connection remains. Fake timers:
 * the maintenance tick and the backoff run on virtual time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DIAL_ANSWER_TIMEOUT_MS, DIAL_CONNECT_TIMEOUT_MS, DIAL_TIMEOUT_MS, DOWN_AFTER_MS, LINK_MAINTENANCE_MS, MAX_PENDING_DIALS, MIN_PENDING_DIALS, SIGNALING_RETRY_BASE_MS } from '../../../src/limits.ts';
import { cryptoRandomIndex, peerJsId, randomNodeName, randomRoomCode, type NodeName } from '../../../src/rooms/room-code.ts';
import { isDialler } from '../../../src/transport/pacing.ts';

const fake = vi.hoisted(() => {
  type Handler = (...args: unknown[]) => void;
  class Emitter {
    private readonly handlers = new Map<string, Handler[]>();
    on(event: string, handler: Handler): this {
      this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
      return this;
    }
    emit(event: string, ...args: unknown[]): void {
      for (const handler of this.handlers.get(event) ?? []) handler(...args);
    }
  }

  /** The part of an RTCPeerConnection the transport reads. */
  class FakePeerConnection extends EventTarget {
    connectionState = 'connecting';
    iceConnectionState = 'checking';
    signalingState = 'have-local-offer';
    remoteDescription: { sdp: string } | null = null;
    set(states: Partial<Pick<FakePeerConnection, 'connectionState' | 'iceConnectionState' | 'signalingState' | 'remoteDescription'>>, event: string): void {
      Object.assign(this, states);
      this.dispatchEvent(new Event(event));
    }
  }

  class FakeConnection extends Emitter {
    readonly serialization = 'raw';
    readonly reliable = true;
    readonly connectionId = `dc_${Math.random().toString(36).slice(2)}`;
    open = false;
    closed = false;
    peerConnection: FakePeerConnection | null = new FakePeerConnection();
    dataChannel = { readyState: 'connecting', bufferedAmount: 0 };
    constructor(readonly peer: string) {
      super();
    }
    send(): void {}
    close(): void {
      this.closed = true;
      this.peerConnection = null;
    }
  }

  const peers: FakePeer[] = [];
  class FakePeer extends Emitter {
    open = false;
    disconnected = false;
    destroyed = false;
    readonly dials: FakeConnection[] = [];
    constructor(readonly id: string) {
      super();
      peers.push(this);
      queueMicrotask(() => {
        this.open = true;
        this.emit('open', id);
      });
    }
    connect(peer: string): FakeConnection {
      const conn = new FakeConnection(peer);
      this.dials.push(conn);
      return conn;
    }
    destroy(): void {
      this.destroyed = true;
    }
  }

  /** The roster socket: lists `members` as soon as it opens. */
  const roster = { room: '', members: [] as { node: string; name: string; role: string }[] };
  class FakeRosterSocket {
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: string }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    constructor() {
      queueMicrotask(() => {
        this.onopen?.();
        this.onmessage?.({ data: JSON.stringify({ type: 'roster', room: roster.room, members: roster.members }) });
      });
    }
    close(): void {}
  }
  return { peers, FakePeer, FakeConnection, FakeRosterSocket, roster };
});

// `default` too: the transport reads it (the CommonJS build in plain Node), and a vitest mock throws on a missing export.
vi.mock('peerjs', () => ({ Peer: fake.FakePeer, default: { Peer: fake.FakePeer } }));

const { createPeerTransport } = await import('../../../src/transport/peerjs.ts');

const room = randomRoomCode(cryptoRandomIndex);
let self: NodeName;
/** A peer that `self` dials (the pair's hash says so). */
let dialled: NodeName;
/** A peer that dials `self`. */
let dialling: NodeName;

/** Lets the transport load (the mocked) PeerJS, which takes real module-loading turns, then open. */
async function opened(): Promise<void> {
  for (let i = 0; i < 200 && fake.peers.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  if (fake.peers.length === 0) throw new Error('the transport never made its Peer');
  await vi.advanceTimersByTimeAsync(10);
}

function start(others: readonly NodeName[] = []) {
  fake.roster.room = room;
  fake.roster.members = [
    { node: dialled, name: 'Bea', role: 'student' },
    { node: dialling, name: 'Cy', role: 'student' },
    ...others.map((node, i) => ({ node, name: `P${i}`, role: 'student' })),
  ];
  const transport = createPeerTransport<unknown>({
    room,
    name: 'Ada',
    role: 'student',
    parse: (raw) => raw,
    identity: { node: self, token: 'a'.repeat(24) },
    signaling: { host: '127.0.0.1', port: 1, secure: false },
    iceServers: [],
  });
  return { transport, peer: () => fake.peers.at(-1)! };
}

const dialsTo = (peer: InstanceType<typeof fake.FakePeer>, node: NodeName) => peer.dials.filter((conn) => conn.peer === peerJsId(room, node));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.stubGlobal('WebSocket', fake.FakeRosterSocket);
  fake.peers.length = 0;
  for (;;) {
    [self, dialled, dialling] = [randomNodeName(cryptoRandomIndex), randomNodeName(cryptoRandomIndex), randomNodeName(cryptoRandomIndex)];
    if (new Set([self, dialled, dialling]).size === 3 && isDialler(self, dialled) && isDialler(dialling, self)) break;
  }
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Past the backoff of a first retry (±25 %) and the maintenance tick that starts it. */
const RETRY_WITHIN_MS = 1.25 * SIGNALING_RETRY_BASE_MS + 2 * LINK_MAINTENANCE_MS;

describe('peerjs transport: re-dialling a dial that will not open', () => {
  it('dials only the peers it is the dialler of', async () => {
    const { transport, peer } = start();
    await opened();
    expect(dialsTo(peer(), dialled)).toHaveLength(1);
    expect(dialsTo(peer(), dialling)).toHaveLength(0);
    transport.close();
  });

  it('re-dials at once when the connection ends before its channel opens (a failed DTLS handshake), not after DIAL_TIMEOUT_MS', async () => {
    const { transport, peer } = start();
    await opened();
    const [first] = dialsTo(peer(), dialled);
    await vi.advanceTimersByTimeAsync(500);
    // node-datachannel: 'closed' without the ICE event PeerJS watches; PeerJS says nothing.
    first!.peerConnection!.set({ connectionState: 'closed', iceConnectionState: 'closed', signalingState: 'stable' }, 'connectionstatechange');
    expect(first!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(RETRY_WITHIN_MS);
    expect(dialsTo(peer(), dialled)).toHaveLength(2);
    expect(RETRY_WITHIN_MS + 500).toBeLessThan(DIAL_TIMEOUT_MS / 4);
    expect(transport.stats().mesh).toMatchObject({ dials: 2, dialsFailed: 1, dialTimeouts: 0 });
    transport.close();
  });

  it('gives up on an offer without an answer after DIAL_ANSWER_TIMEOUT_MS', async () => {
    const { transport, peer } = start();
    await opened();
    await vi.advanceTimersByTimeAsync(DIAL_ANSWER_TIMEOUT_MS - LINK_MAINTENANCE_MS - 10);
    expect(dialsTo(peer(), dialled)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2 * LINK_MAINTENANCE_MS);
    expect(dialsTo(peer(), dialled)).toHaveLength(2);
    expect(dialsTo(peer(), dialled)[0]!.closed).toBe(true);
    expect(transport.stats().mesh?.dialsStalled).toEqual({ noAnswer: 1, notConnecting: 0 });
    transport.close();
  });

  it('gives up DIAL_CONNECT_TIMEOUT_MS after the answer when the channel still has not opened', async () => {
    const { transport, peer } = start();
    await opened();
    const answerAfterMs = DIAL_ANSWER_TIMEOUT_MS - 2_000;
    await vi.advanceTimersByTimeAsync(answerAfterMs);
    const [first] = dialsTo(peer(), dialled);
    first!.peerConnection!.set({ signalingState: 'stable', remoteDescription: { sdp: 'v=0' } }, 'signalingstatechange');
    // Past the answer timeout: answered, so it waits for the connect timeout instead.
    await vi.advanceTimersByTimeAsync(DIAL_CONNECT_TIMEOUT_MS - LINK_MAINTENANCE_MS);
    expect(dialsTo(peer(), dialled)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2 * LINK_MAINTENANCE_MS);
    expect(dialsTo(peer(), dialled)).toHaveLength(2);
    expect(transport.stats().mesh?.dialsStalled).toEqual({ noAnswer: 0, notConnecting: 1 });
    transport.close();
  });

  it('a dial that opens is kept, and never re-dialled', async () => {
    const { transport, peer } = start();
    await opened();
    const [first] = dialsTo(peer(), dialled);
    first!.peerConnection!.set({ signalingState: 'stable', remoteDescription: { sdp: 'v=0' }, connectionState: 'connected', iceConnectionState: 'connected' }, 'connectionstatechange');
    first!.open = true;
    first!.dataChannel.readyState = 'open';
    first!.emit('open');
    // Past the answer timeout; not so long that the silent peer's link is dropped (DOWN_AFTER_MS).
    const waitMs = DOWN_AFTER_MS - LINK_MAINTENANCE_MS;
    expect(waitMs).toBeGreaterThan(DIAL_ANSWER_TIMEOUT_MS);
    await vi.advanceTimersByTimeAsync(waitMs);
    expect(dialsTo(peer(), dialled)).toHaveLength(1);
    expect(transport.links().filter((l) => l.peer === dialled)).toEqual([{ peer: dialled, open: true, dialled: true, connectionState: 'connected' }]);
    transport.close();
  });

  it('if both ends dial each other anyway, one connection remains: the newer replaces the older', async () => {
    const { transport, peer } = start();
    await opened();
    const [ours] = dialsTo(peer(), dialled);
    // The peer dials us too (an old bundle, a re-dial racing ours).
    const theirs = new fake.FakeConnection(peerJsId(room, dialled));
    peer().emit('connection', theirs);
    expect(ours!.closed).toBe(true);
    expect(transport.links().filter((l) => l.peer === dialled)).toEqual([{ peer: dialled, open: false, dialled: false, connectionState: 'new' }]);
    // And we do not dial again over the incoming one while it negotiates.
    await vi.advanceTimersByTimeAsync(3 * LINK_MAINTENANCE_MS);
    expect(dialsTo(peer(), dialled)).toHaveLength(1);
    transport.close();
  });
});

describe('peerjs transport: fewer dials in flight while dials stall', () => {
  /** `count` more peers that `self` dials. */
  const moreDialled = (count: number): NodeName[] => {
    const out: NodeName[] = [];
    while (out.length < count) {
      const node = randomNodeName(cryptoRandomIndex);
      if (node !== self && node !== dialled && node !== dialling && !out.includes(node) && isDialler(self, node)) out.push(node);
    }
    return out;
  };
  const openDial = (conn: InstanceType<typeof fake.FakeConnection>): void => {
    conn.peerConnection!.set({ signalingState: 'stable', remoteDescription: { sdp: 'v=0' }, connectionState: 'connected', iceConnectionState: 'connected' }, 'connectionstatechange');
    conn.open = true;
    conn.dataChannel.readyState = 'open';
    conn.emit('open');
  };

  it('after every dial in flight went unanswered, only MIN_PENDING_DIALS start again; each that opens lets one more start', async () => {
    const others = moreDialled(2 * MAX_PENDING_DIALS);
    const { transport, peer } = start(others);
    await opened();
    expect(peer().dials).toHaveLength(MAX_PENDING_DIALS);
    // Nothing is answered (a machine too busy to answer in time): all are given up together.
    await vi.advanceTimersByTimeAsync(DIAL_ANSWER_TIMEOUT_MS + LINK_MAINTENANCE_MS);
    expect(transport.stats().mesh?.dialsStalled.noAnswer).toBe(MAX_PENDING_DIALS);
    const redials = peer().dials.filter((conn) => !conn.closed);
    expect(redials).toHaveLength(MIN_PENDING_DIALS);
    // One opens: the window widens by one, so two more start in its place.
    openDial(redials[0]!);
    await vi.advanceTimersByTimeAsync(LINK_MAINTENANCE_MS);
    const negotiating = peer().dials.filter((conn) => !conn.closed && !conn.open);
    expect(negotiating).toHaveLength(MIN_PENDING_DIALS + 1);
    transport.close();
  });

  it('on a quiet machine (every dial opens) it keeps MAX_PENDING_DIALS in flight', async () => {
    const others = moreDialled(2 * MAX_PENDING_DIALS);
    const { transport, peer } = start(others);
    await opened();
    const first = [...peer().dials];
    expect(first).toHaveLength(MAX_PENDING_DIALS);
    for (const conn of first) openDial(conn);
    await vi.advanceTimersByTimeAsync(LINK_MAINTENANCE_MS);
    expect(peer().dials.filter((conn) => !conn.open)).toHaveLength(MAX_PENDING_DIALS);
    transport.close();
  });
});
