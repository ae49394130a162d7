/**
 * Debugging only (CP_DEBUG_DIALS=DIR): a trace of every WebRTC handshake a robot process makes,
 * to tell where a dial that never opens got stuck. Both halves a handshake needs are recorded:
 * - the signaling messages (OFFER, ANSWER, CANDIDATE) this process sent and received, per
 *   PeerJS connection id, read off the PeerJS WebSocket;
 * - each RTCPeerConnection's own story: signaling, gathering, ICE and connection states,
 *   candidates gathered, remote candidates added (and why one was refused).
 * A connection whose data channel is not open TRACE_AFTER_MS after it was created is written to
 * DIR/<pid>.jsonl with the messages of its PeerJS connection (joined through the ICE ufrag of
 * its local description), so the two ends of one stuck dial can be put side by side. Adapter
 * code: with the variable unset, nothing here runs.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { observeDials } from '../transport/dial-debug.ts';

const TRACE_AFTER_MS = 6_000;

interface ConnectionMessages {
  peer: string;
  /** True if this process sent the OFFER (it dialled). */
  dialled: boolean | undefined;
  localUfrag: string | undefined;
  remoteUfrag: string | undefined;
  readonly events: string[];
}

interface PcTrace {
  readonly id: number;
  readonly createdAt: number;
  readonly events: string[];
  written: boolean;
  channelOpen: boolean;
}

const dir = process.env['CP_DEBUG_DIALS'];
const started = Date.now();
const byConnection = new Map<string, ConnectionMessages>();
const pcs = new Map<RTCPeerConnection, PcTrace>();
let nextPc = 0;

export const dialTraceEnabled = dir !== undefined && dir !== '';

function at(): string {
  return ((Date.now() - started) / 1000).toFixed(3);
}

function ufragOf(sdp: unknown): string | undefined {
  return typeof sdp === 'string' ? /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] : undefined;
}

function shortCandidate(candidate: unknown): string {
  const text = typeof candidate === 'string' ? candidate : String((candidate as { candidate?: unknown } | undefined)?.candidate ?? '');
  const parts = text.replace(/^a=/, '').split(' ');
  return `${parts[4] ?? '?'}:${parts[5] ?? '?'}/${parts[2] ?? '?'}/${parts[7] ?? '?'}`;
}

/** Records one PeerJS signaling message of the socket registered as `self`, `out` for sent. */
export function traceSignaling(self: string, raw: unknown, out: boolean): void {
  if (!dialTraceEnabled) return;
  let message: { type?: string; src?: string; dst?: string; payload?: { connectionId?: string; sdp?: { sdp?: string }; candidate?: unknown } };
  try {
    message = JSON.parse(typeof raw === 'string' ? raw : String(raw)) as typeof message;
  } catch {
    return;
  }
  const type = message.type;
  const id = message.payload?.connectionId;
  if (id === undefined || (type !== 'OFFER' && type !== 'ANSWER' && type !== 'CANDIDATE')) {
    if (type === 'EXPIRE' || type === 'LEAVE' || type === 'ERROR') appendLine({ kind: 'server', at: at(), type, src: message.src });
    return;
  }
  // Both ends of a handshake between two robots of this process share the connection id.
  const key = `${self} ${id}`;
  let entry = byConnection.get(key);
  if (entry === undefined) {
    entry = { peer: (out ? message.dst : message.src) ?? '?', dialled: undefined, localUfrag: undefined, remoteUfrag: undefined, events: [] };
    byConnection.set(key, entry);
  }
  if (type === 'OFFER') entry.dialled = out;
  const ufrag = ufragOf(message.payload?.sdp?.sdp);
  if (ufrag !== undefined) {
    if (out) entry.localUfrag = ufrag;
    else entry.remoteUfrag = ufrag;
  }
  const fingerprint = /a=fingerprint:\S+ (\S+)/.exec(message.payload?.sdp?.sdp ?? '')?.[1];
  const detail = type === 'CANDIDATE' ? ` ${shortCandidate(message.payload?.candidate)}` : fingerprint !== undefined ? ` fingerprint ${fingerprint.slice(0, 23)}` : '';
  entry.events.push(`${at()} ${out ? '>' : '<'}${type}${detail}`);
}

function appendLine(json: Record<string, unknown>): void {
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(`${dir}/${process.pid}.jsonl`, `${JSON.stringify(json)}\n`);
}

function write(pc: RTCPeerConnection, trace: PcTrace, reason: string): void {
  trace.written = true;
  let localUfrag: string | undefined;
  try {
    localUfrag = ufragOf(pc.localDescription?.sdp);
  } catch {
    // a closed connection has no description
    localUfrag = undefined;
  }
  const connection = [...byConnection].find(([, c]) => localUfrag !== undefined && c.localUfrag === localUfrag);
  const ext = pc as RTCPeerConnection & { ext_localCandidates?: readonly { candidate: string }[]; ext_remoteCandidates?: readonly { candidate: string }[] };
  appendLine({
    kind: 'pc',
    reason,
    pid: process.pid,
    pc: trace.id,
    age: (Date.now() - trace.createdAt) / 1000,
    createdAt: ((trace.createdAt - started) / 1000).toFixed(3),
    states: { signaling: pc.signalingState, gathering: pc.iceGatheringState, ice: pc.iceConnectionState, connection: pc.connectionState },
    localUfrag,
    localCandidates: ext.ext_localCandidates?.map((c) => shortCandidate(c.candidate)),
    remoteCandidates: ext.ext_remoteCandidates?.map((c) => shortCandidate(c.candidate)),
    events: trace.events,
    connectionId: connection?.[0],
    signaling: connection?.[1],
  });
}

/** Starts tracing `pc` (called from the robots' RTCPeerConnection constructor). */
export function tracePeerConnection(pc: RTCPeerConnection): void {
  if (!dialTraceEnabled) return;
  const trace: PcTrace = { id: nextPc++, createdAt: Date.now(), events: [], written: false, channelOpen: false };
  pcs.set(pc, trace);
  const log = (what: string): void => void trace.events.push(`${at()} ${what}`);
  pc.addEventListener('signalingstatechange', () => log(`signaling ${pc.signalingState}`));
  pc.addEventListener('icegatheringstatechange', () => log(`gathering ${pc.iceGatheringState}`));
  pc.addEventListener('iceconnectionstatechange', () => log(`ice ${pc.iceConnectionState}`));
  pc.addEventListener('connectionstatechange', () => {
    log(`connection ${pc.connectionState} (ice ${pc.iceConnectionState}, signaling ${pc.signalingState})`);
    if (pc.connectionState === 'closed' && !trace.written && !trace.channelOpen) write(pc, trace, 'closed before its channel opened');
    if (pc.connectionState === 'closed') pcs.delete(pc);
  });
  pc.addEventListener('icecandidate', (event) => log(`local ${shortCandidate((event as RTCPeerConnectionIceEvent).candidate)}`));
  const watchChannel = (channel: RTCDataChannel): void =>
    channel.addEventListener('open', () => {
      trace.channelOpen = true;
      log('channel open');
    });
  pc.addEventListener('datachannel', (event) => {
    log('datachannel');
    watchChannel((event as RTCDataChannelEvent).channel);
  });
  const createChannel = pc.createDataChannel.bind(pc);
  pc.createDataChannel = (label: string, init?: RTCDataChannelInit): RTCDataChannel => {
    const channel = createChannel(label, init);
    watchChannel(channel);
    return channel;
  };
  const add = pc.addIceCandidate.bind(pc);
  pc.addIceCandidate = async (candidate?: RTCIceCandidateInit | null): Promise<void> => {
    try {
      await add(candidate ?? undefined);
      log(`remote+ ${shortCandidate(candidate)}`);
    } catch (error) {
      log(`remote! ${shortCandidate(candidate)} ${(error as Error).name}: ${(error as Error).message}`);
      throw error;
    }
  };
  const setRemote = pc.setRemoteDescription.bind(pc);
  pc.setRemoteDescription = async (description: RTCSessionDescriptionInit): Promise<void> => {
    log(`setRemote ${description.type}`);
    try {
      await setRemote(description);
    } catch (error) {
      log(`setRemote! ${(error as Error).name}: ${(error as Error).message}`);
      throw error;
    }
  };
  const close = pc.close.bind(pc);
  pc.close = (): void => {
    log(`close() from ${(new Error().stack ?? '').split('\n').slice(2, 6).map((l) => l.trim()).join(' < ')}`);
    close();
  };
}

/** libdatachannel's own log, to the same file (it names no connection: join by time). */
export function traceNativeLog(level: string, message: string): void {
  appendLine({ kind: 'native', at: at(), level, message });
}

if (dialTraceEnabled) {
  observeDials((event) => {
    if (event.kind === 'dial' || (event.kind === 'open' && !event.detail?.includes(', dialled'))) return;
    if (event.kind === 'open') {
      appendLine({ kind: 'opened', at: at(), ageMs: event.ageMs, detail: event.detail });
      return;
    }
    appendLine({ ...event, kind: `dial ${event.kind}`, at: at(), signaling: byConnection.get(`${event.self} ${event.connectionId}`) });
  });
  setInterval(() => {
    const now = Date.now();
    for (const [pc, trace] of pcs) {
      if (trace.written || now - trace.createdAt < TRACE_AFTER_MS) continue;
      if (trace.channelOpen) {
        pcs.delete(pc);
        continue;
      }
      write(pc, trace, `channel not open after ${TRACE_AFTER_MS} ms`);
    }
  }, 1_000).unref();
}
