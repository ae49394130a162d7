/**
 * Gives Node what PeerJS expects of a browser, so a robot runs the very transport a tab runs
 * (src/transport/peerjs.ts): WebRTC from `node-datachannel`'s polyfill (libdatachannel; its
 * prebuilt binary comes with the npm package) and a WebSocket from `ws` (Node 20 has none).
 *
 * Import this module before anything that imports 'peerjs': PeerJS reads the WebRTC globals
 * when it is first evaluated. Adapter code: it fills globals and does nothing else.
 *
 * node-datachannel's ICE agent ignores loopback: robots and tabs pair over the machine's other
 * addresses (the LAN on a teacher's laptop; a veth pair inside the tests' own namespace, see
 * netns.ts).
 *
 * Two more browser behaviours it copies, because Node differs and a robot would die of them:
 *  - a WebSocket 'error' nobody listens to (BrowserLikeWebSocket, below);
 *  - an unhandled promise rejection: a tab logs it and runs on; Node ends the process. PeerJS
 *    1.5.5 has one on a path a big room takes all the time: an ICE candidate that arrives after
 *    its connection was closed (a dial given up and re-dialled, see DIAL_TIMEOUT_MS) fails
 *    `addIceCandidate`, and the error handler then reads the closed connection's `provider`,
 *    which is null (negotiator.ts handleCandidate), inside an async message handler nobody
 *    awaits. Measured: in a 40-node room on a loaded machine (6 robots a process), 3 of 6 worker
 *    processes died of it within two minutes, each taking its robots out of the room, so the
 *    mesh never formed. Exactly that rejection is logged and dropped here, as a tab would; any
 *    other still ends the process.
 */
import { RTCIceCandidate, RTCPeerConnection, RTCSessionDescription } from 'node-datachannel/polyfill';
import { initLogger, PeerConnection as NativePeerConnection } from 'node-datachannel';
import WebSocket from 'ws';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AnswerGate } from './answer-gate.ts';
import { leanPeerConnection } from './lean-native.ts';
import { dialTraceEnabled, traceNativeLog, tracePeerConnection, traceSignaling } from './dial-trace.ts';

if (dialTraceEnabled) initLogger((process.env['CP_DEBUG_DIALS_NATIVE'] ?? 'Warning') as Parameters<typeof initLogger>[0], traceNativeLog);

/**
 * A browser WebSocket that fails (server not up yet, restarting, or too slow to accept under
 * load) fires 'error' then 'close', and nothing else happens if no one listens to 'error'. `ws`
 * is an EventEmitter: an 'error' nobody listens to throws and ends the process. Neither PeerJS's
 * socket nor our roster socket sets onerror (both recover on 'close'), so in Node a robot whose
 * signaling connection failed once took its whole process (up to ROBOTS_PER_PROCESS robots) out
 * of the room. Measured: robots started 2 s before their server all died of ECONNREFUSED. The
 * listener below restores the browser's behaviour; 'close' still follows and handlers set with
 * onerror still run.
 */
class BrowserLikeWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
    if (dialTraceEnabled) {
      const self = new URL(String(args[0])).searchParams.get('id') ?? '?';
      this.on('message', (data: Buffer) => traceSignaling(self, data.toString(), false));
      const send = this.send.bind(this) as (data: unknown) => void;
      this.send = ((data: unknown) => {
        traceSignaling(self, data, true);
        send(data);
      }) as typeof this.send;
    }
  }
}

/**
 * Benchmarks only: CP_BENCH_RTC (JSON) adds node-datachannel RtcConfig fields to every connection
 * (e.g. {"enableIceUdpMux":true}, which gets a fixed port per process), to compare native options.
 */
const benchRtc = JSON.parse(process.env['CP_BENCH_RTC'] ?? '{}') as Record<string, unknown>;
if (benchRtc['enableIceUdpMux'] === true && benchRtc['portRangeBegin'] === undefined) {
  const port = 20_000 + (process.pid % 20_000);
  Object.assign(benchRtc, { portRangeBegin: port, portRangeEnd: port });
}
/**
 * A robot's connections use no ICE servers at all, whatever config they are made with: robots
 * run on the teacher's machine and reach the room by host candidates (robot.ts passes an empty
 * list too). This also covers the one connection PeerJS's load-time feature check makes with its
 * own built-in public servers: a browser leaves that connection unused, but node-datachannel
 * starts gathering at once and would have contacted those servers from the teacher's laptop.
 */
function withoutIceServers(config: RTCConfiguration | undefined): RTCConfiguration {
  return { ...config, iceServers: [] };
}

/** What a robot's new connection is made with, and what to call once it is closed. */
export interface RobotConnectionSettings {
  readonly config: Readonly<Record<string, unknown>>;
  readonly closed?: () => void;
}

/**
 * node-datachannel settings of one robot's connections (robot.ts runs the robot's transport inside
 * withRobotRtc): every RTCPeerConnection PeerJS creates for it, in whatever callback or timer that
 * descends from its start, gets `settings(peer)`, `peer` being the remote peer id when the
 * connection is made inside towardsPeer (peerjs-remote.ts). A connection made outside (none is)
 * gets the defaults.
 */
const robotRtc = new AsyncLocalStorage<(peer: string | undefined) => RobotConnectionSettings>();

/** Runs `run` so that each connection made in it, or in anything it schedules, gets `settings(peer)` (called per connection). */
export function withRobotRtc<T>(settings: (peer: string | undefined) => RobotConnectionSettings, run: () => T): T {
  return robotRtc.run(settings, run);
}

/** The remote peer of the connections constructed synchronously inside towardsPeer (PeerJS makes its RTCPeerConnection synchronously in connect and on an OFFER). */
let towards: string | undefined;

export function towardsPeer<T>(peer: string, run: () => T): T {
  const outer = towards;
  towards = peer;
  try {
    return run();
  } finally {
    towards = outer;
  }
}

/**
 * Robots' connections register only the native callbacks a robot listens to (lean-native.ts says
 * why); with the dial tracer on they register all, so that it sees every state change.
 */
const lean = !dialTraceEnabled;
let madeConnections = 0;

/** What the polyfill is given: with `lean`, a native connection made here as it would make it (same config, no ICE servers), minus the unused callbacks. */
function polyfillConfig(config: RTCConfiguration): RTCConfiguration {
  if (!lean) return config;
  madeConnections += 1;
  const native = new NativePeerConnection(`robot-${madeConnections}`, { ...(config as Record<string, unknown>), iceServers: [] });
  return { ...config, peerConnection: leanPeerConnection(native) } as RTCConfiguration;
}

class RobotPeerConnection extends RTCPeerConnection {
  private closed: (() => void) | undefined;
  /** Our offer's local candidates wait here for its answer (answer-gate.ts says why). */
  private readonly candidates = new AnswerGate<Event>((event) => super.dispatchEvent(event));

  constructor(config?: RTCConfiguration) {
    const settings = robotRtc.getStore()?.(towards);
    super(polyfillConfig({ ...withoutIceServers(config), ...settings?.config, ...benchRtc } as RTCConfiguration));
    this.closed = settings?.closed;
    // A connection the peer closed reaches 'closed' without our close() (PeerJS then calls it too).
    this.addEventListener('connectionstatechange', () => {
      if (this.connectionState === 'closed') this.release();
    });
    tracePeerConnection(this as unknown as Parameters<typeof tracePeerConnection>[0]);
  }

  /** The polyfill tells PeerJS of each local candidate through an 'icecandidate' event: ours go through the gate. */
  override dispatchEvent(event: Event): boolean {
    if (event.type !== 'icecandidate') return super.dispatchEvent(event);
    this.candidates.candidate(event, this.signalingState === 'have-local-offer');
    return true;
  }

  /** libdatachannel makes and sets its offer as the first channel is created (the state is then have-local-offer). */
  override createDataChannel(label: string, options?: RTCDataChannelInit): ReturnType<RTCPeerConnection['createDataChannel']> {
    const before = this.signalingState;
    const channel = super.createDataChannel(label, options);
    queueMicrotask(() => this.signalingChanged(before)); // as the native event would: after the call
    return channel;
  }

  override async setLocalDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const before = this.signalingState;
    await super.setLocalDescription(description);
    this.signalingChanged(before);
  }

  /** The native call applies the whole description before it returns: an answer opens the gate then. */
  override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const before = this.signalingState;
    await super.setRemoteDescription(description);
    if (description.type === 'answer') this.candidates.answered();
    this.signalingChanged(before);
  }

  /** A lean connection hears no native signaling change: the description calls, which make every change a robot's dial has, tell it instead (PeerJS's transport notes when an answer arrived). */
  private signalingChanged(before: RTCSignalingState): void {
    if (lean && this.signalingState !== before) this.dispatchEvent(new Event('signalingstatechange'));
  }

  override close(): void {
    super.close();
    this.release();
  }

  private release(): void {
    this.candidates.closed();
    const closed = this.closed;
    this.closed = undefined;
    closed?.();
  }
}

const globals = globalThis as Record<string, unknown>;
for (const [name, value] of Object.entries({ RTCPeerConnection: RobotPeerConnection, RTCSessionDescription, RTCIceCandidate, WebSocket: BrowserLikeWebSocket })) {
  if (globals[name] === undefined) globals[name] = value;
}

/** PeerJS's late-candidate failure (above): a TypeError thrown from its negotiator's handleCandidate. */
/** Exported for the test: the servers a robot's connection is given for `config`. */
export const robotIceServersFor = (config: RTCConfiguration | undefined): RTCIceServer[] | undefined => withoutIceServers(config).iceServers;

export function isPeerJsLateCandidateError(reason: unknown): boolean {
  return reason instanceof TypeError && /handleCandidate/.test(reason.stack ?? '') && /negotiator/.test(reason.stack ?? '');
}

process.on('unhandledRejection', (reason) => {
  if (isPeerJsLateCandidateError(reason)) {
    console.warn(`robots: ignored PeerJS's late ICE candidate on a closed connection (${(reason as Error).message})`);
    return;
  }
  // Node's own behaviour for every other unhandled rejection: the process ends, loudly.
  throw reason;
});
