/**
 * Puts a live classroom on a room's connection: the same transport the room page opened (its
 * application view, already parsing `ClassroomMessage`), the tab's real clock, and durable
 * storage scoped to this room and this node so a reopened tab restarts as the same node.
 */
import { Classroom } from '../../classroom/classroom.ts';
import type { ClassroomMessage } from '../../classroom/protocol.ts';
import { BrowserStore } from '../../classroom/storage.ts';
import { ALGORITHMS } from '../../machines/index.ts';
import { systemClock } from '../../transport/clock.ts';
import type { PeerRole, Transport } from '../../transport/types.ts';
import { nextFrame } from './frame.ts';

export interface ClassroomConnection {
  readonly room: string;
  readonly role: PeerRole;
  /** The room's application transport (`session.app`): probes filtered out, parser = parseClassroomMessage. */
  readonly app: Transport<ClassroomMessage>;
}

/** The localStorage namespace of one node of one room: `cp:ROOM:NODE:`. */
export function storeNamespace(room: string, node: string): string {
  return `cp:${room}:${node}:`;
}

export function openClassroom(connection: ClassroomConnection, storage: Storage = localStorage): Classroom {
  return new Classroom({
    transport: connection.app,
    role: connection.role,
    store: new BrowserStore(storage, storeNamespace(connection.room, connection.app.self)),
    clock: systemClock,
    // The UI's randomness (decision ids, node seeds); algorithms only ever see the seeds.
    random: Math.random,
    algorithms: ALGORITHMS,
    // The log machines load when the teacher starts an order book, not with the page.
    loadLogAlgorithm: async (name) => (await import('../../machines/log-index.ts')).LOG_ALGORITHMS[name],
    // Reports to the dashboard: at most one per animation frame.
    scheduleFrame: nextFrame,
  });
}
