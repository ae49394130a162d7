/**
 * One robot's connection settings (src/robots/node-webrtc.ts withRobotRtc, robot.ts, udp-mux.ts,
 * peerjs-remote.ts): every RTCPeerConnection PeerJS makes for a robot, at once or later from a
 * timer or a socket event that descends from the robot's start, carries the robot's settings for
 * the peer it is towards; its port is given back once, when it closes; one made for another
 * robot carries the other's, and one made outside any robot the defaults.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { towardsPeer, withRobotRtc, type RobotConnectionSettings } from '../../../src/robots/node-webrtc.ts';
import { Robot } from '../../../src/robots/robot.ts';
import { connectionPeersLearnt } from '../../../src/robots/peerjs-remote.ts';
import { MuxPortBook, RobotUdpMux } from '../../../src/robots/udp-mux.ts';
import { ROBOT_UDP_MUX_HOLD_MS, ROBOT_UDP_MUX_PORTS } from '../../../src/limits.ts';
import { normalizeRoomCode } from '../../../src/rooms/room-code.ts';
import * as peerjs from 'peerjs';

type Config = Record<string, unknown>;
type Pc = RTCPeerConnection;

function newConnection(): Pc {
  return new (globalThis.RTCPeerConnection as unknown as new (c?: RTCConfiguration) => Pc)({ iceServers: [] });
}

function connectionConfig(): Config {
  const pc = newConnection();
  const config = pc.getConfiguration() as unknown as Config;
  pc.close();
  return config;
}

const settings = (config: Config): (() => RobotConnectionSettings) => () => ({ config });

describe('robots: per-robot connection settings', () => {
  it('reach connections made synchronously and from timers scheduled inside, and no others', async () => {
    const a = { enableIceUdpMux: true, portRangeBegin: 41_001, portRangeEnd: 41_001 };
    const b = { enableIceUdpMux: true, portRangeBegin: 41_002, portRangeEnd: 41_002 };
    const now = withRobotRtc(settings(a), () => connectionConfig());
    const [later, other] = await Promise.all([
      withRobotRtc(settings(a), () => new Promise<Config>((resolve) => setTimeout(() => resolve(connectionConfig()), 5))),
      withRobotRtc(settings(b), () => new Promise<Config>((resolve) => setTimeout(() => resolve(connectionConfig()), 1))),
    ]);
    expect(now).toMatchObject(a);
    expect(later).toMatchObject(a);
    expect(other).toMatchObject(b);
    const outside = connectionConfig();
    expect(outside['enableIceUdpMux']).toBeUndefined();
    expect(outside['portRangeBegin']).toBeUndefined();
  });

  it('are asked for the peer a connection is towards, and told once when it closes', () => {
    const asked: (string | undefined)[] = [];
    let closed = 0;
    const pcs = withRobotRtc(
      (peer) => (asked.push(peer), { config: {}, closed: () => closed++ }),
      () => [towardsPeer('peer-b', () => newConnection()), newConnection()],
    );
    expect(asked).toEqual(['peer-b', undefined]);
    pcs[0]!.close();
    pcs[0]!.close();
    expect(closed).toBe(1);
    pcs[1]!.close();
    expect(closed).toBe(2);
  });
});

/** A loopback port nobody listens on (PeerJS's signaling socket fails there, which is all these tests need). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('robots: PeerJS tells each connection its peer (peerjs-remote.ts)', () => {
  const PeerClass = peerjs.Peer ?? (peerjs as unknown as { default: { Peer: typeof peerjs.Peer } }).default.Peer;

  it('a dial is towards the peer dialled, an answer towards the OFFER’s sender', async () => {
    await connectionPeersLearnt;
    const offerer = newConnection();
    offerer.createDataChannel('x');
    const offer = await offerer.createOffer();
    offerer.close();
    const asked: (string | undefined)[] = [];
    const port = await closedPort();
    const peer = withRobotRtc(
      (remote) => (asked.push(remote), { config: {} }),
      () => {
        const p = new PeerClass('robot-a', { host: '127.0.0.1', port, path: '/', secure: false, debug: 0 });
        p.on('error', () => {}); // the server is not there
        p.connect('robot-b', { serialization: 'json' });
        (p as unknown as { _handleMessage(m: unknown): void })._handleMessage({
          type: 'OFFER',
          src: 'robot-c',
          payload: { connectionId: 'dc_test', type: 'data', serialization: 'json', label: 'dc_test', reliable: true, sdp: { type: 'offer', sdp: offer.sdp } },
        });
        return p;
      },
    );
    peer.destroy();
    expect(asked).toEqual(['robot-b', 'robot-c']);
  });
});

describe('robots: which shared port a connection takes (MuxPortBook)', () => {
  it('never two live connections towards one peer on one port; the least loaded port otherwise', () => {
    const book = new MuxPortBook([1, 2], 1_000);
    expect(book.take('p', 0)).toBe(1);
    expect(book.take('p', 0)).toBe(2); // port 1 already carries one towards p
    expect(book.take('p', 0)).toBeUndefined(); // a third towards p: a socket of its own
    book.release(1, 'p', 0);
    // Other peers go to the least loaded port (the first of equals).
    expect(book.take('q', 5_000)).toBe(1); // 0 live on 1, 1 on 2
    expect(book.take('r', 5_000)).toBe(1); // 1 and 1
    expect(book.take('s', 5_000)).toBe(2); // 2 and 1
    expect([book.liveOn(1), book.liveOn(2)]).toEqual([2, 2]);
  });

  it('a closed connection holds its port towards its peer for the hold time', () => {
    const book = new MuxPortBook([7], 1_000);
    expect(book.take('p', 0)).toBe(7);
    book.release(7, 'p', 100);
    expect(book.take('p', 1_099)).toBeUndefined();
    expect(book.take('q', 1_099)).toBe(7); // other peers are not held back
    expect(book.take('p', 1_100)).toBe(7);
  });

  it('refuses to give back what it did not give', () => {
    const book = new MuxPortBook([7], 1_000);
    expect(() => book.release(7, 'p', 0)).toThrow(/no connection towards p/);
    expect(book.take('p', 0)).toBe(7);
    book.release(7, 'p', 0);
    expect(() => book.release(7, 'p', 0)).toThrow();
  });
});

describe('robots: the shared UDP ports (RobotUdpMux)', () => {
  it('are bound and held: no other socket can take one', async () => {
    const mux = RobotUdpMux.open(2);
    try {
      expect(mux.ports).toHaveLength(2);
      expect(new Set(mux.ports).size).toBe(2);
      for (const port of mux.ports) {
        const socket = createSocket('udp4');
        const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
          socket.once('error', resolve);
          socket.bind(port, () => resolve(undefined));
        });
        socket.close();
        expect(error?.code).toBe('EADDRINUSE');
      }
    } finally {
      mux.close();
    }
  });

  it('gives each connection towards a peer its own port, and the port back when it closes', () => {
    let now = 0;
    const mux = RobotUdpMux.open(2, () => now);
    try {
      const one = mux.settingsFor('p');
      const two = mux.settingsFor('p');
      expect(one.config).toMatchObject({ enableIceUdpMux: true });
      expect(one.config['portRangeBegin']).toBe(one.config['portRangeEnd']);
      expect(new Set([one.config['portRangeBegin'], two.config['portRangeBegin']])).toEqual(new Set(mux.ports));
      expect(mux.settingsFor('p')).toEqual({ config: {} }); // a socket of its own
      expect(mux.settingsFor(undefined)).toEqual({ config: {} });
      one.closed!();
      now = ROBOT_UDP_MUX_HOLD_MS;
      expect(mux.settingsFor('p').config['portRangeBegin']).toBe(one.config['portRangeBegin']);
    } finally {
      mux.close();
    }
  });
});

describe('robots: a robot’s ports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-robot-rtc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const room = normalizeRoomCode('ABCDEFG')!;

  it('are bound at its first start (the default), kept across a restart, and differ from another robot’s', async () => {
    const signaling = { host: '127.0.0.1', port: await closedPort(), secure: false, path: '/peerjs' };
    const one = new Robot({ room, name: 'Robot 1', signaling, dataDir: join(dir, 'r1') });
    const two = new Robot({ room, name: 'Robot 2', signaling, dataDir: join(dir, 'r2') });
    expect(one.udpMuxPorts).toEqual([]);
    expect(one.connectionSettings('p')).toEqual({ config: {} }); // not started: node-datachannel's defaults
    one.start();
    two.start();
    try {
      expect(one.udpMuxPorts).toHaveLength(ROBOT_UDP_MUX_PORTS);
      expect(new Set([...one.udpMuxPorts, ...two.udpMuxPorts]).size).toBe(2 * ROBOT_UDP_MUX_PORTS);
      const before = one.udpMuxPorts;
      one.restart();
      expect(one.udpMuxPorts).toBe(before);
      expect(one.connectionSettings('p').config).toMatchObject({ enableIceUdpMux: true });
    } finally {
      one.crash();
      two.crash();
    }
  });

  it('are not bound with CP_BENCH_MUX=off (benchmarks comparing a socket per connection)', async () => {
    process.env['CP_BENCH_MUX'] = 'off';
    const signaling = { host: '127.0.0.1', port: await closedPort(), secure: false, path: '/peerjs' };
    const robot = new Robot({ room, name: 'Robot 3', signaling, dataDir: join(dir, 'r3') });
    robot.start();
    try {
      expect(robot.udpMuxPorts).toEqual([]);
      expect(robot.connectionSettings('p')).toEqual({ config: {} });
    } finally {
      robot.crash();
      delete process.env['CP_BENCH_MUX'];
    }
  });

  it('refuses a CP_BENCH_MUX_PORTS that is not 1..ROBOT_UDP_MUX_PORTS, rather than measure no port as the mux', async () => {
    const signaling = { host: '127.0.0.1', port: await closedPort(), secure: false, path: '/peerjs' };
    try {
      for (const bad of ['0', 'two', String(ROBOT_UDP_MUX_PORTS + 1)]) {
        process.env['CP_BENCH_MUX_PORTS'] = bad;
        const robot = new Robot({ room, name: 'Robot 4', signaling, dataDir: join(dir, 'r4') });
        expect(() => robot.start()).toThrow(/CP_BENCH_MUX_PORTS/);
        expect(robot.udpMuxPorts).toEqual([]);
      }
      process.env['CP_BENCH_MUX_PORTS'] = '1';
      const one = new Robot({ room, name: 'Robot 5', signaling, dataDir: join(dir, 'r5') });
      one.start();
      expect(one.udpMuxPorts).toHaveLength(1);
      one.crash();
    } finally {
      delete process.env['CP_BENCH_MUX_PORTS'];
    }
  });
});
