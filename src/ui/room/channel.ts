/**
 * One transport, two audiences: the room's own probes and the application (the classroom).
 * The application gets a `Transport<M>` that never sees a probe, so it stays unaware of them,
 * and the boundary parser accepts exactly `M | ProbeMessage`.
 */
import type { MessageParser, PeerId, PeerInfo, RejectReason, Transport, Unsubscribe } from '../../transport/types.ts';
import { isProbe, parseProbe, type ProbeMessage } from './probe.ts';

/** The union that travels: the application's messages plus the room's probes. */
export type RoomPayload<M> = M | ProbeMessage;

/** Boundary parser for the room's payload: probes first (their types are reserved), then `M`. */
export function roomPayloadParser<M extends { readonly type: string }>(parse: MessageParser<M>): MessageParser<RoomPayload<M>> {
  return (raw) => parseProbe(raw) ?? parse(raw);
}

/** The application's view of the room's transport: probes filtered out of everything it sees. */
export function applicationView<M extends { readonly type: string }>(transport: Transport<RoomPayload<M>>): Transport<M> {
  return {
    get self(): PeerId {
      return transport.self;
    },
    send: (to, message) => transport.send(to, message),
    broadcast: (message) => transport.broadcast(message),
    onMessage(handler: (from: PeerId, message: M) => void): Unsubscribe {
      return transport.onMessage((from, message) => {
        if (!isProbe(message)) handler(from, message);
      });
    },
    onPeers: (handler: (peers: readonly PeerInfo[]) => void) => transport.onPeers(handler),
    onReject: (handler: (from: PeerId, reason: RejectReason) => void) => transport.onReject(handler),
    peers: () => transport.peers(),
    stats: () => transport.stats(),
    // The room session owns the connection's lifetime; the application cannot end it for everyone.
    close: () => undefined,
  };
}
