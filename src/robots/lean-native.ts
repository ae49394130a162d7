/**
 * node-datachannel's native connection as its polyfill sees it, minus the callbacks no robot
 * listens to. Adapter code (node-webrtc.ts hands it to the polyfill as `peerConnection`).
 *
 * Why: each callback the polyfill registers becomes a Node-API thread-safe function, that is one
 * libuv async handle, and libuv walks every async handle of the process whenever any one fires
 * (each frame a robot receives is one such wake-up). The polyfill registers 7 per connection and
 * 5 per data channel whether anyone listens or not: ~8,400 handles in a process of 18 robots in a
 * room of 40, walked on every frame. A robot needs 4 per connection (+1 on the answering side)
 * and 3 per channel. Left out:
 *  - signaling and ICE-gathering state changes: the states themselves stay readable (the native
 *    getters), PeerJS reads them; RobotPeerConnection fires 'signalingstatechange' itself after
 *    the description calls that change it (the only ones that do);
 *  - 'datachannel' on the dialling side: only an answerer is offered a channel, so it is
 *    registered when a remote offer is applied, before libdatachannel can announce one;
 *  - a channel's 'error' (PeerJS listens for 'close', which follows it) and 'bufferedamountlow'
 *    (only PeerJS's stream serializations wait for it; robots send 'raw').
 */
import type { DataChannel, DescriptionType, PeerConnection } from 'node-datachannel';

const skip = (): void => {};

/** A proxy of `target` whose listed methods are replaced, and whose others run on `target` itself (native methods need their own `this`). */
function overriding<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (method === undefined) bound.set(property, (method = (value as (...args: unknown[]) => unknown).bind(object)));
      return method;
    },
  });
}

function leanDataChannel(channel: DataChannel): DataChannel {
  return overriding(channel, { onError: skip, onBufferedAmountLow: skip });
}

export function leanPeerConnection(connection: PeerConnection): PeerConnection {
  let onDataChannel: ((channel: DataChannel) => void) | undefined;
  let offered = false;
  const registerDataChannel = (): void => {
    if (onDataChannel !== undefined && offered) connection.onDataChannel(onDataChannel);
  };
  return overriding(connection, {
    onSignalingStateChange: skip,
    onGatheringStateChange: skip,
    onDataChannel: (callback: (channel: DataChannel) => void) => {
      onDataChannel = (channel) => callback(leanDataChannel(channel));
      registerDataChannel();
    },
    setRemoteDescription: (sdp: string, type: DescriptionType) => {
      if (type === 'offer' && !offered) {
        offered = true;
        registerDataChannel();
      }
      connection.setRemoteDescription(sdp, type);
    },
    createDataChannel: (...args: Parameters<PeerConnection['createDataChannel']>) => leanDataChannel(connection.createDataChannel(...args)),
  });
}
