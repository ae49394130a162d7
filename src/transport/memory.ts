/**
 * The in-memory transport: every node of a `MemoryNetwork` lives in one JavaScript realm. Used
 * by unit tests and by the transport contract suite. (The in-browser solo mode does not use it:
 * it runs the deterministic simulator of src/sim, whose network is part of the simulation.)
 *
 * It goes through the same `TransportCore` as the PeerJS transport: every message is encoded to
 * a JSON string, carried as a string, and decoded and validated at the receiving boundary.
 * The hub plays the signaling server's part (who is in the room, who left) and the links play
 * ordered, reliable data channels with a controllable delay. Failure controls mirror what a
 * classroom produces: `close` (tab closed: goodbye), `kill` (crash: no goodbye, but the server
 * sees the socket drop), `freeze` (a phone asleep: silent, still registered).
 */
import { systemClock, type TransportClock } from './clock.ts';
import { TransportCore } from './core.ts';
import type { LivenessTiming } from './liveness.ts';
import type { MessageParser, PeerId, PeerRole, Transport } from './types.ts';

/** Delay of one frame on the link from → to, in ms. */
export type LinkDelay = number | ((from: PeerId, to: PeerId) => number);

export interface MemoryNetworkOptions {
  readonly clock?: TransportClock;
  /** Default 0 (delivered on a later task, never synchronously, like a real channel). */
  readonly delayMs?: LinkDelay;
}

export interface MemoryTransportOptions<M> {
  readonly name: string;
  readonly role: PeerRole;
  readonly parse: MessageParser<M>;
  readonly timing?: LivenessTiming;
  readonly heartbeatIntervalMs?: number;
  readonly checkIntervalMs?: number;
}

/** A Transport plus what tests and the contract suite need to provoke the boundary. */
export interface MemoryTransport<M> extends Transport<M> {
  /**
   * Puts `frame` on the link to `to` exactly as given, bypassing our own encoding: how the
   * contract suite plays a hostile or buggy peer. The receiver still validates it.
   */
  sendRawFrame(to: PeerId, frame: unknown): boolean;
}

interface Member {
  readonly core: TransportCore<unknown>;
  readonly name: string;
  readonly role: PeerRole;
  frozen: boolean;
  /** A killed node's frames still in flight are lost (a crash loses what was buffered). */
  killed: boolean;
}

export class MemoryNetwork {
  private readonly clock: TransportClock;
  private delay: LinkDelay;
  private readonly members = new Map<PeerId, Member>();
  /** Per directed link, when its last frame is due: keeps every link FIFO whatever the delays. */
  private readonly linkTail = new Map<string, number>();
  /** Undirected links cut by cut(), as linkKey. */
  private readonly cutLinks = new Set<string>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.delay = options.delayMs ?? 0;
  }

  setDelay(delay: LinkDelay): void {
    this.delay = delay;
  }

  /** Ids currently registered (like the signaling server's room). */
  memberIds(): readonly PeerId[] {
    return [...this.members.keys()].sort();
  }

  /** Joins `id` to the network. Throws if the id is taken (a programming error in a test). */
  createTransport<M>(id: PeerId, options: MemoryTransportOptions<M>): MemoryTransport<M> {
    if (this.members.has(id)) throw new Error(`MemoryNetwork: id ${id} is taken`);
    const core = new TransportCore<M>(
      {
        self: id,
        name: options.name,
        role: options.role,
        parse: options.parse,
        clock: this.clock,
        ...(options.timing ? { timing: options.timing } : {}),
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
        ...(options.checkIntervalMs ? { checkIntervalMs: options.checkIntervalMs } : {}),
      },
      {
        deliver: (to, frame) => this.carry(id, to, frame),
        openLinks: () => this.linksOf(id),
      },
    );
    const member: Member = { core: core as TransportCore<unknown>, name: options.name, role: options.role, frozen: false, killed: false };
    // Like the signaling roster: everyone learns of the newcomer, the newcomer of everyone.
    for (const [otherId, other] of this.members) {
      other.core.listed(id, { name: options.name, role: options.role });
      core.listed(otherId, { name: other.name, role: other.role });
    }
    this.members.set(id, member);
    // Channels "open" one link delay later, and each side says hello.
    for (const otherId of this.members.keys()) {
      if (otherId === id) continue;
      this.later(id, otherId, () => this.members.get(id)?.core.linkOpened(otherId));
      this.later(otherId, id, () => this.members.get(otherId)?.core.linkOpened(id));
    }
    return this.wrap(id, core);
  }

  /** A crashed tab: no goodbye; the hub (like the signaling server's socket) reports it gone. */
  kill(id: PeerId): void {
    const member = this.members.get(id);
    if (!member) return;
    member.killed = true;
    member.core.stop();
    this.leave(id);
  }

  /** A sleeping phone: stays registered, but nothing reaches it and it sends nothing. */
  freeze(id: PeerId): void {
    const member = this.members.get(id);
    if (member) member.frozen = true;
  }

  /**
   * A link that dies on its own (one path of the mesh, both directions) while both ends live and
   * still hear everyone else: frames between `a` and `b` are lost until heal().
   */
  cut(a: PeerId, b: PeerId): void {
    this.cutLinks.add(linkKey(a, b));
  }

  heal(a: PeerId, b: PeerId): void {
    this.cutLinks.delete(linkKey(a, b));
  }

  thaw(id: PeerId): void {
    const member = this.members.get(id);
    if (member) member.frozen = false;
  }

  private wrap<M>(id: PeerId, core: TransportCore<M>): MemoryTransport<M> {
    let closed = false;
    return {
      self: id,
      ...core.transportMethods(),
      sendRawFrame: (to: PeerId, frame: unknown): boolean => this.carry(id, to, frame),
      close: (): void => {
        if (closed) return;
        closed = true;
        core.sayGoodbye();
        core.stop();
        this.leave(id);
      },
    };
  }

  private leave(id: PeerId): void {
    this.members.delete(id);
    for (const key of [...this.linkTail.keys()]) {
      if (key.startsWith(`${id}\n`) || key.endsWith(`\n${id}`)) this.linkTail.delete(key);
    }
    for (const other of this.members.values()) other.core.serverLeft(id);
  }

  private linksOf(id: PeerId): PeerId[] {
    const self = this.members.get(id);
    if (!self || self.frozen) return [];
    return [...this.members.keys()].filter((other) => other !== id);
  }

  private carry(from: PeerId, to: PeerId, frame: unknown): boolean {
    const sender = this.members.get(from);
    if (!sender || !this.members.has(to) || from === to) return false;
    if (sender.frozen) return true; // like a frozen tab: nothing leaves, nobody is told
    if (this.cutLinks.has(linkKey(from, to))) return true; // a dead path: the channel still takes frames
    const receiver = this.members.get(to);
    this.later(from, to, () => {
      // Frames reach the incarnation they were sent to, unless it froze or left meanwhile; a
      // closed sender's last frames (its goodbye) still arrive, a killed sender's are lost.
      if (receiver && this.members.get(to) === receiver && !receiver.frozen && !sender.killed) {
        receiver.core.receive(from, frame);
      }
    });
    return true;
  }

  private later(from: PeerId, to: PeerId, fn: () => void): void {
    const delay = typeof this.delay === 'function' ? this.delay(from, to) : this.delay;
    const key = `${from}\n${to}`;
    const now = this.clock.now();
    const due = Math.max(now + Math.max(0, delay), this.linkTail.get(key) ?? 0);
    this.linkTail.set(key, due);
    this.clock.setTimeout(fn, due - now);
  }
}

function linkKey(a: PeerId, b: PeerId): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`;
}
