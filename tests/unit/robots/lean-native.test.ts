/**
 * A robot's native connection registers only the callbacks a robot listens to (lean-native.ts):
 * each registration is a libuv handle walked on every frame the process receives. Checked on a
 * recording stand-in for node-datachannel's native objects, then on a real pair of robot
 * connections that open a channel and exchange a message (in a namespace of our own only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DataChannel, PeerConnection } from 'node-datachannel';
import { leanPeerConnection } from '../../../src/robots/lean-native.ts';
import '../../../src/robots/node-webrtc.ts';
import { addRobotVeth, isIsolated } from '../../bench/isolate.ts';

/** Records which on…() registrations and calls reach the "native" object. */
function recorder<T>(calls: string[], name: string, extra: Record<string, (...args: never[]) => unknown> = {}): T {
  return new Proxy(extra, {
    get(target, property) {
      if (typeof property !== 'string') return undefined;
      if (Object.hasOwn(target, property)) return target[property];
      return (...args: unknown[]) => {
        calls.push(`${name}.${property}`);
        return typeof args[0] === 'function' ? undefined : `${name}.${property}:result`;
      };
    },
  }) as T;
}

describe('robots: lean native connection', () => {
  it('forwards what a robot listens to, drops the rest, and registers datachannel only once an offer is applied', () => {
    const calls: string[] = [];
    let offered: ((channel: DataChannel) => void) | undefined;
    const channel = recorder<DataChannel>(calls, 'dc');
    const native = recorder<PeerConnection>(calls, 'pc', {
      createDataChannel: () => channel,
      onDataChannel: (cb: (channel: DataChannel) => void) => void ((offered = cb), calls.push('pc.onDataChannel')),
    });
    const lean = leanPeerConnection(native);
    for (const name of ['onStateChange', 'onIceStateChange', 'onSignalingStateChange', 'onGatheringStateChange', 'onLocalDescription', 'onLocalCandidate'] as const) {
      lean[name](() => {});
    }
    let announced: DataChannel | undefined;
    lean.onDataChannel((dc) => void (announced = dc));
    expect(calls).toEqual(['pc.onStateChange', 'pc.onIceStateChange', 'pc.onLocalDescription', 'pc.onLocalCandidate']);
    expect(lean.signalingState()).toBe('pc.signalingState:result'); // states stay readable
    lean.setRemoteDescription('v=0', 'answer');
    expect(calls.at(-1)).toBe('pc.setRemoteDescription');
    lean.setRemoteDescription('v=0', 'offer');
    expect(calls.slice(-2)).toEqual(['pc.onDataChannel', 'pc.setRemoteDescription']);
    lean.setRemoteDescription('v=0', 'offer');
    expect(calls.filter((c) => c === 'pc.onDataChannel')).toHaveLength(1);

    calls.length = 0;
    offered!(channel);
    const made = lean.createDataChannel('x');
    for (const dc of [announced!, made]) {
      for (const name of ['onOpen', 'onClosed', 'onError', 'onBufferedAmountLow', 'onMessage'] as const) dc[name](() => {});
      dc.sendMessage('hi');
    }
    expect(calls).toEqual([...Array(2).fill(['dc.onOpen', 'dc.onClosed', 'dc.onMessage', 'dc.sendMessage']).flat()]);
  });

  it('an offer applied before anyone asked for datachannel registers it when asked, once', () => {
    const calls: string[] = [];
    const lean = leanPeerConnection(recorder<PeerConnection>(calls, 'pc'));
    lean.setRemoteDescription('v=0', 'offer');
    expect(calls).toEqual(['pc.setRemoteDescription']);
    lean.onDataChannel(() => {});
    expect(calls).toEqual(['pc.setRemoteDescription', 'pc.onDataChannel']);
  });
});

// These two connect for real, so only inside a network namespace of our own (CI's npm test runs
// in one; the robots' veth pair is added there): never over this machine's own addresses.
const ISOLATED = isIsolated();
describe.skipIf(!ISOLATED)(`robots: two lean connections${ISOLATED ? '' : ' (not run: needs a network namespace of its own, as CI gives npm test)'}`, () => {
  beforeAll(() => {
    const problem = addRobotVeth();
    if (problem !== undefined) throw new Error(`the connections need an address to gather: ${problem}`);
  });
  it('open a channel both ways, exchange a message, say when the answer arrived and close', async () => {
    const make = (): RTCPeerConnection => new (globalThis.RTCPeerConnection as unknown as new (c?: RTCConfiguration) => RTCPeerConnection)({ iceServers: [] });
    const [dialler, answerer] = [make(), make()];
    try {
      const signaling: string[] = [];
      dialler.addEventListener('signalingstatechange', () => signaling.push(dialler.signalingState));
      dialler.onicecandidate = (e) => void (e.candidate && answerer.addIceCandidate(e.candidate));
      answerer.onicecandidate = (e) => void (e.candidate && dialler.addIceCandidate(e.candidate));
      const channel = dialler.createDataChannel('x');
      const offered = new Promise<RTCDataChannel>((resolve) => (answerer.ondatachannel = (e) => resolve(e.channel)));
      const offer = await dialler.createOffer();
      await dialler.setLocalDescription(offer);
      await answerer.setRemoteDescription(offer);
      const answer = await answerer.createAnswer();
      await answerer.setLocalDescription(answer);
      await dialler.setRemoteDescription(answer);
      expect(signaling).toEqual(['have-local-offer', 'stable']);
      const remote = await offered;
      const heard = new Promise<unknown>((resolve) => (remote.onmessage = (e) => resolve(e.data)));
      if (channel.readyState !== 'open') await new Promise((resolve) => (channel.onopen = resolve));
      channel.send('hello');
      expect(await heard).toBe('hello');
      const closed = new Promise((resolve) => (remote.onclose = resolve));
      channel.close();
      await closed;
    } finally {
      dialler.close();
      answerer.close();
    }
  }, 20_000);
});
