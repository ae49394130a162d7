/**
 * The teacher's robots in one Node process: `count` robots of one room, each in its own
 * directory under `dataDir` (robot-1, robot-2, …), so starting the fleet again with the same
 * directory brings back the same nodes with their stored state. Robots are admitted under the
 * teacher's key when one is given (admission.ts), then started a little apart so the room's
 * signaling and handshakes are not hit all at once.
 */
import { join } from 'node:path';
import type { Value } from '../core/types.ts';
import { MAX_PEERS_PER_ROOM, ROBOT_START_SPACING_MS } from '../limits.ts';
import type { RoomCode } from '../rooms/room-code.ts';
import type { SignalingEndpoint } from '../transport/peerjs.ts';
import type { PeerId } from '../transport/types.ts';
import { admitRobots } from './admission.ts';
import { Robot, type RobotEvent, type RobotSnapshot } from './robot.ts';

export interface FleetOptions {
  readonly room: RoomCode;
  readonly count: number;
  readonly signaling: SignalingEndpoint;
  readonly dataDir: string;
  /** Robots are named `${namePrefix} 1` … */
  readonly namePrefix?: string;
  /** Number of the first robot (default 1): a fleet split over processes numbers its robots on. */
  readonly first?: number;
  /** The room's teacher key: admits the robots as the teacher's (optional, see admission.ts). */
  readonly hostKey?: string;
  readonly onEvent?: (event: RobotEvent) => void;
}

export class RobotFleet {
  readonly robots: readonly Robot[];
  private readonly first: number;

  constructor(private readonly options: FleetOptions) {
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_PEERS_PER_ROOM) {
      throw new RangeError(`a fleet has 1–${MAX_PEERS_PER_ROOM} robots, not ${options.count}`);
    }
    const prefix = options.namePrefix ?? 'Robot';
    this.first = options.first ?? 1;
    this.robots = Array.from(
      { length: options.count },
      (_, i) =>
        new Robot({
          room: options.room,
          name: `${prefix} ${this.first + i}`,
          signaling: options.signaling,
          dataDir: join(options.dataDir, `robot-${this.first + i}`),
          ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        }),
    );
  }

  /** Admits (with a teacher key) and starts every robot, ROBOT_START_SPACING_MS apart. */
  async start(): Promise<void> {
    if (this.options.hostKey !== undefined) {
      await admitRobots(this.options.signaling, this.options.room, this.options.hostKey, this.robots.map((r) => r.identity));
    }
    for (const [i, robot] of this.robots.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, ROBOT_START_SPACING_MS));
      robot.start();
    }
  }

  /** A robot by its number, node id or name; undefined if none. */
  find(ref: string): Robot | undefined {
    const index = Number(ref) - this.first;
    if (Number.isInteger(index) && index >= 0 && index < this.robots.length) return this.robots[index];
    return this.robots.find((r) => r.id === ref || r.name === ref);
  }

  /** Every running robot proposes (its own choice unless `value`). Returns the errors, by robot. */
  proposeAll(value?: Value): Record<PeerId, string> {
    const errors: Record<PeerId, string> = {};
    for (const robot of this.robots) {
      if (robot.status !== 'running') continue;
      const error = robot.propose(value);
      if (error !== undefined) errors[robot.id] = error;
    }
    return errors;
  }

  snapshot(): RobotSnapshot[] {
    return this.robots.map((r) => r.snapshot());
  }

  /** Every robot leaves with a goodbye (the CLI's quit). */
  leave(): void {
    for (const robot of this.robots) robot.leave();
  }
}
