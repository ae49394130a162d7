/**
 * A bare page holding one PeerJS transport, for the transport contract suite running in
 * Chromium (tests/e2e/transport-contract.spec.ts) and for benchmarks. Opened as
 * /harness.html?room=CODE&name=NAME[&role=host]; everything it knows is exposed read-only on
 * `window.transportHarness`. It accepts any JSON object as an application message.
 */
import { isRecord, type UnknownRecord } from '../core/validate.ts';
import { parseDisplayName, parseRole } from '../rooms/names.ts';
import { normalizeRoomCode } from '../rooms/room-code.ts';
import { createPeerTransport, type PeerTransport } from './peerjs.ts';
import type { PeerId, RejectReason } from './types.ts';

export interface HarnessReceived {
  readonly from: PeerId;
  readonly message: UnknownRecord;
  readonly at: number;
}

export interface TransportHarness {
  readonly transport: PeerTransport<UnknownRecord>;
  readonly received: HarnessReceived[];
  readonly rejects: { readonly from: PeerId; readonly reason: RejectReason; readonly at: number }[];
  /** performance.now() when the page started the transport. */
  readonly startedAt: number;
}

declare global {
  interface Window {
    transportHarness?: TransportHarness;
  }
}

const params = new URLSearchParams(location.search);
const room = normalizeRoomCode(params.get('room') ?? '');
const name = parseDisplayName(params.get('name') ?? 'harness');
const role = parseRole(params.get('role') ?? 'student') ?? 'student';
const status = document.getElementById('status');

if (room === undefined || name === undefined) {
  if (status) status.textContent = 'usage: /harness.html?room=CODE&name=NAME';
} else {
  const startedAt = performance.now();
  const transport = createPeerTransport<UnknownRecord>({
    room,
    name,
    role,
    parse: (raw) => (isRecord(raw) ? raw : undefined),
  });
  const harness: TransportHarness = { transport, received: [], rejects: [], startedAt };
  transport.onMessage((from, message) => harness.received.push({ from, message, at: performance.now() }));
  transport.onReject((from, reason) => harness.rejects.push({ from, reason, at: performance.now() }));
  transport.onPeers((peers) => {
    if (status) status.textContent = peers.map((p) => `${p.id} ${p.status}`).join('\n');
  });
  window.transportHarness = harness;
}
