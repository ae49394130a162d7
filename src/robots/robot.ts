/**
 * A robot: a real node of a classroom room running headless in Node on the teacher's machine.
 * It is exactly what a student tab is minus the screen: its own node id and secret token, its
 * own WebRTC links (PeerJS over node-datachannel, the transport tabs use), its own durable state
 * (a FileStore in its own directory), and the same Classroom and LiveNode as a tab. It proposes
 * when told, answers the teacher's round-trip probes, and can be crashed (no goodbye: the room
 * learns it from the signaling server, as for a crashed tab) and restarted (same id, same stored
 * state: a Paxos acceptor keeps its promises).
 */
import { withRobotRtc, type RobotConnectionSettings } from './node-webrtc.ts'; // first: PeerJS reads the WebRTC globals when it is evaluated
import './peerjs-remote.ts'; // loads PeerJS once the WebRTC globals are in place, and tells each connection its peer
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Value } from '../core/types.ts';
import { Classroom } from '../classroom/classroom.ts';
import { parseClassroomMessage, type ClassroomMessage, type DecisionId } from '../classroom/protocol.ts';
import { proposalChoices } from '../classroom/scenarios.ts';
import { ALGORITHMS } from '../machines/index.ts';
import { LOG_ALGORITHMS } from '../machines/log-index.ts';
import type { RoomCode } from '../rooms/room-code.ts';
import { systemClock } from '../transport/clock.ts';
import { isToken, newIdentity, type TabIdentity } from '../transport/identity.ts';
import { createPeerTransport, type PeerTransport, type SignalingEndpoint } from '../transport/peerjs.ts';
import type { MeshCounters, PeerId } from '../transport/types.ts';
import { isNodeName } from '../rooms/room-code.ts';
import { applicationView, roomPayloadParser, type RoomPayload } from '../ui/room/channel.ts';
import { isProbe, Prober } from '../ui/room/probe.ts';
import { FileStore } from './file-store.ts';
import { RobotUdpMux } from './udp-mux.ts';
import { ROBOT_UDP_MUX_PORTS } from '../limits.ts';

export interface RobotOptions {
  readonly room: RoomCode;
  /** Display name, e.g. "Robot 7" (validated by the transport). */
  readonly name: string;
  readonly signaling: SignalingEndpoint;
  /** This robot's own directory: its identity and its nodes' durable state. */
  readonly dataDir: string;
  /** Where decisions and failures are told (the CLI prints them). */
  readonly onEvent?: (event: RobotEvent) => void;
}

export type RobotStatus = 'stopped' | 'running' | 'crashed' | 'refused';

export type RobotEvent =
  | { readonly type: 'decided'; readonly robot: PeerId; readonly decision: DecisionId; readonly value: Value; readonly at: number }
  | { readonly type: 'status'; readonly robot: PeerId; readonly status: RobotStatus; readonly reason?: string };

export interface RobotDecisionState {
  readonly decision: DecisionId;
  readonly algorithm: string;
  readonly phase: string;
  readonly decided: Value | undefined;
  readonly proposed: readonly Value[];
}

export interface RobotSnapshot {
  readonly id: PeerId;
  readonly name: string;
  readonly status: RobotStatus;
  /** Peers this robot sees as connected now. */
  readonly connected: number;
  /** How its links were made and remade (the transport's counters), while it runs. */
  readonly mesh?: MeshCounters;
  /** Data-channel frames it sent and received, and liveness frames it sent (the transport's counters), while it runs. */
  readonly frames?: { readonly sent: number; readonly received: number; readonly heartbeats: number };
  /** Date.now() when a peer last became connected to it (the transport's lastConnectedAt), while it runs. */
  readonly lastConnectedAt?: number;
  readonly decisions: readonly RobotDecisionState[];
}

const IDENTITY_FILE = 'identity.json';

/** The robot's node id and token: kept in its directory so a restart is the same node. */
export function loadOrMintIdentity(dataDir: string): TabIdentity {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, IDENTITY_FILE);
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { node?: unknown; token?: unknown };
    if (isNodeName(raw.node) && isToken(raw.token)) return { node: raw.node, token: raw.token };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`robot identity ${file} is unreadable; remove the directory to make a new robot`);
    }
  }
  const identity = newIdentity();
  writeFileSync(file, JSON.stringify(identity));
  return identity;
}

interface Running {
  readonly link: PeerTransport<RoomPayload<ClassroomMessage>>;
  readonly classroom: Classroom;
  readonly prober: Prober;
  readonly unsubscribe: () => void;
}

export class Robot {
  readonly identity: TabIdentity;
  private running: Running | undefined;
  private state: RobotStatus = 'stopped';
  /** Decisions whose outcome this incarnation has already told (each is told once per start). */
  private told = new Set<DecisionId>();
  /** The UDP ports this robot's connections share (udp-mux.ts), bound at its first start and kept across restarts. */
  private mux: RobotUdpMux | undefined;

  constructor(private readonly options: RobotOptions) {
    this.identity = loadOrMintIdentity(options.dataDir);
  }

  get id(): PeerId {
    return this.identity.node;
  }

  get name(): string {
    return this.options.name;
  }

  get status(): RobotStatus {
    return this.state;
  }

  /** Joins the room (again, after a crash: same id, same stored state). */
  start(): void {
    if (this.running !== undefined) return;
    if (this.mux === undefined && udpMuxEnabled()) this.mux = RobotUdpMux.open(udpMuxPorts());
    withRobotRtc((peer) => this.connectionSettings(peer), () => this.run());
  }

  /** The UDP ports this robot's connections share (none before its first start, or with CP_BENCH_MUX=off). */
  get udpMuxPorts(): readonly number[] {
    return this.mux?.ports ?? [];
  }

  /** node-datachannel settings of this robot's next connection towards `peer` (udp-mux.ts). */
  connectionSettings(peer: string | undefined): RobotConnectionSettings {
    return this.mux?.settingsFor(peer) ?? { config: {} };
  }

  private run(): void {
    const link = createPeerTransport<RoomPayload<ClassroomMessage>>({
      room: this.options.room,
      name: this.options.name,
      role: 'student',
      parse: roomPayloadParser(parseClassroomMessage),
      identity: this.identity,
      signaling: this.options.signaling,
      iceServers: [],
      ...benchHeartbeat(),
    });
    const prober = new Prober({
      now: () => performance.now(),
      send: (to, message) => link.send(to, message),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    });
    // The teacher's page probes every student's round trip: a robot answers like a tab.
    const offProbes = link.onMessage((from, message) => {
      if (isProbe(message)) prober.receive(from, message);
    });
    let classroom: Classroom;
    try {
      classroom = new Classroom({
        transport: applicationView(link),
        role: 'student',
        store: new FileStore(join(this.options.dataDir, 'store')),
        clock: systemClock,
        random: Math.random,
        algorithms: ALGORITHMS,
        // A robot is a replica of the room's order book like a tab (a 40-node book needs them).
        logAlgorithms: LOG_ALGORITHMS,
      });
    } catch (error) {
      // Unreadable storage: never a fresh start over state this node had. Stay out of the room.
      offProbes();
      prober.close();
      link.abort();
      this.setStatus('refused', (error as Error).message);
      return;
    }
    this.told = new Set();
    const offChanges = classroom.subscribe(() => this.tellDecisions());
    this.running = { link, classroom, prober, unsubscribe: () => (offProbes(), offChanges()) };
    this.setStatus('running');
    this.tellDecisions();
  }

  /** A crash: no goodbye, no cleanup the algorithm could notice; stored state stays on disk. */
  crash(): void {
    const running = this.stop();
    running?.link.abort();
    if (running) this.setStatus('crashed');
  }

  /** Leaves the room politely (goodbye), as a closed tab does. */
  leave(): void {
    const running = this.stop();
    running?.link.close();
    if (running) this.setStatus('stopped');
  }

  restart(): void {
    this.crash();
    this.start();
  }

  /**
   * tryInitialize on this robot's node of the newest decision it is a member of (or `decision`).
   * Without a value it picks one of the scenario's choices, a different one per robot. Returns
   * an error to show, or undefined.
   */
  propose(value?: Value, decision?: DecisionId): string | undefined {
    const running = this.running;
    if (running === undefined) return `${this.name} is not running`;
    const target = decision ?? running.classroom.decisions().find((d) => running.classroom.node(d.id) !== undefined)?.id;
    const announcement = running.classroom.decisions().find((d) => d.id === target);
    if (target === undefined || announcement === undefined) return `${this.name} is not a member of any decision`;
    const participants = running.classroom
      .peers()
      .filter((p) => p.role === 'student' && p.status !== 'down')
      .map((p) => p.name);
    const choices = proposalChoices(announcement.scenario, participants);
    const chosen = value ?? choices[hashIndex(this.id, choices.length)];
    if (chosen === undefined) return 'nothing to propose';
    return running.classroom.propose(target, chosen);
  }

  snapshot(): RobotSnapshot {
    const running = this.running;
    const stats = running?.link.stats();
    const mesh = stats?.mesh;
    const decisions: RobotDecisionState[] = [];
    for (const announcement of running?.classroom.decisions() ?? []) {
      const node = running?.classroom.node(announcement.id);
      if (node === undefined) continue;
      const view = node.view();
      decisions.push({
        decision: announcement.id,
        algorithm: announcement.algorithm,
        phase: view.phase,
        decided: view.decided,
        proposed: node.proposed,
      });
    }
    return {
      id: this.id,
      name: this.name,
      status: this.state,
      connected: running?.link.peers().filter((p) => p.status === 'connected').length ?? 0,
      ...(mesh !== undefined ? { mesh } : {}),
      ...(stats !== undefined ? { frames: { sent: stats.sent, received: stats.received, heartbeats: stats.heartbeats } } : {}),
      ...(stats?.lastConnectedAt !== undefined ? { lastConnectedAt: stats.lastConnectedAt } : {}),
      decisions,
    };
  }

  private stop(): Running | undefined {
    const running = this.running;
    if (running === undefined) return undefined;
    this.running = undefined;
    running.unsubscribe();
    running.prober.close();
    running.classroom.close();
    return running;
  }

  private tellDecisions(): void {
    const running = this.running;
    if (running === undefined) return;
    for (const announcement of running.classroom.decisions()) {
      if (this.told.has(announcement.id)) continue;
      const decided = running.classroom.node(announcement.id)?.view().decided;
      if (decided === undefined) continue;
      this.told.add(announcement.id);
      this.options.onEvent?.({ type: 'decided', robot: this.id, decision: announcement.id, value: decided, at: Date.now() });
    }
  }

  private setStatus(status: RobotStatus, reason?: string): void {
    this.state = status;
    this.options.onEvent?.({ type: 'status', robot: this.id, status, ...(reason !== undefined ? { reason } : {}) });
  }
}

/** A stable index in [0, n) from a node id: robots spread their default proposals. */
function hashIndex(id: string, n: number): number {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return n === 0 ? 0 : hash % n;
}

/**
 * Benchmarks only (tests/bench/idle.bench.ts breaks an idle room's CPU down): CP_BENCH_HEARTBEAT_MS
 * sets the direct heartbeat interval, CP_BENCH_RELAY_MIN_ROOM the room size from which liveness
 * is relayed (relay.ts; 1000 = never); unset in real use.
 */
function benchHeartbeat(): { heartbeatIntervalMs?: number; relayMinRoom?: number } {
  const beat = process.env['CP_BENCH_HEARTBEAT_MS'];
  const relay = process.env['CP_BENCH_RELAY_MIN_ROOM'];
  return { ...(beat === undefined ? {} : { heartbeatIntervalMs: Number(beat) }), ...(relay === undefined ? {} : { relayMinRoom: Number(relay) }) };
}

/**
 * Every robot shares ROBOT_UDP_MUX_PORTS ports among its connections (udp-mux.ts, limits.ts says
 * what it saves). Benchmarks only: CP_BENCH_MUX=off gives every connection a socket of its own
 * again (node-datachannel's default), to measure the one against the other in the same build.
 */
function udpMuxEnabled(): boolean {
  return process.env['CP_BENCH_MUX'] !== 'off';
}

/** Ports per robot: ROBOT_UDP_MUX_PORTS, or fewer with CP_BENCH_MUX_PORTS (benchmarks comparing 1 and 2). */
function udpMuxPorts(): number {
  const raw = process.env['CP_BENCH_MUX_PORTS'];
  if (raw === undefined) return ROBOT_UDP_MUX_PORTS;
  const ports = Number(raw);
  // A typo must not quietly measure "no ports" (every connection a socket of its own) as the mux.
  if (!Number.isInteger(ports) || ports < 1 || ports > ROBOT_UDP_MUX_PORTS) throw new RangeError(`CP_BENCH_MUX_PORTS: 1–${ROBOT_UDP_MUX_PORTS} ports, not ${raw}`);
  return ports;
}
