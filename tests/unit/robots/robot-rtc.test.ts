/**
 * One robot's connection settings (src/robots/node-webrtc.ts withRobotRtc, robot.ts): every
 * RTCPeerConnection PeerJS makes for a robot, at once or later from a timer or a socket event
 * that descends from the robot's start, carries the robot's settings (its shared UDP port); one
 * made for another robot carries the other's, and one made outside any robot the defaults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withRobotRtc } from '../../../src/robots/node-webrtc.ts';
import { Robot } from '../../../src/robots/robot.ts';
import { ROBOT_UDP_MUX_PORTS } from '../../../src/limits.ts';
import { normalizeRoomCode } from '../../../src/rooms/room-code.ts';

type Config = Record<string, unknown>;

function connectionConfig(): Config {
  const pc = new (globalThis.RTCPeerConnection as unknown as new (c?: RTCConfiguration) => RTCPeerConnection)({ iceServers: [] });
  const config = pc.getConfiguration() as unknown as Config;
  pc.close();
  return config;
}

describe('robots: per-robot connection settings', () => {
  it('reach connections made synchronously and from timers scheduled inside, and no others', async () => {
    const a = { enableIceUdpMux: true, portRangeBegin: 41_001, portRangeEnd: 41_001 };
    const b = { enableIceUdpMux: true, portRangeBegin: 41_002, portRangeEnd: 41_002 };
    const now = withRobotRtc(() => a, () => connectionConfig());
    const [later, other] = await Promise.all([
      withRobotRtc(() => a, () => new Promise<Config>((resolve) => setTimeout(() => resolve(connectionConfig()), 5))),
      withRobotRtc(() => b, () => new Promise<Config>((resolve) => setTimeout(() => resolve(connectionConfig()), 1))),
    ]);
    expect(now).toMatchObject(a);
    expect(later).toMatchObject(a);
    expect(other).toMatchObject(b);
    const outside = connectionConfig();
    expect(outside['enableIceUdpMux']).toBeUndefined();
    expect(outside['portRangeBegin']).toBeUndefined();
  });
});

describe('robots: the shared UDP port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-robot-rtc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const room = normalizeRoomCode('ABCDEFG')!;
  const signaling = { host: '127.0.0.1', port: 9, secure: false, path: '/peerjs' };

  it('is a few free ports per robot, none shared with another robot, taken in turn by its connections', async () => {
    const one = new Robot({ room, name: 'Robot 1', signaling, dataDir: join(dir, 'r1') });
    const two = new Robot({ room, name: 'Robot 2', signaling, dataDir: join(dir, 'r2') });
    expect(one.udpMuxPorts).toEqual([]);
    expect(one.nextConnectionSettings()).toEqual({}); // no ports reserved: node-datachannel's defaults
    const taken = new Set<number>();
    await one.reserveUdpPorts(taken);
    await two.reserveUdpPorts(taken);
    const ports = [...one.udpMuxPorts, ...two.udpMuxPorts];
    expect(one.udpMuxPorts).toHaveLength(ROBOT_UDP_MUX_PORTS);
    expect(new Set(ports).size).toBe(2 * ROBOT_UDP_MUX_PORTS);
    expect(ports.every((p) => p > 0 && taken.has(p))).toBe(true);
    // Reserving again (a restart) keeps the ports.
    const before = one.udpMuxPorts;
    await one.reserveUdpPorts(taken);
    expect(one.udpMuxPorts).toBe(before);
    // Each next connection takes the next port: a re-dial lands on another port than the connection before it.
    const used = Array.from({ length: ROBOT_UDP_MUX_PORTS }, () => one.nextConnectionSettings());
    expect(used[0]).toMatchObject({ enableIceUdpMux: true, portRangeBegin: before[1], portRangeEnd: before[1] });
    expect(new Set(used.map((u) => u['portRangeBegin'])).size).toBe(ROBOT_UDP_MUX_PORTS);
  });
});
