/**
 * Wires a room session to the real transport and the classroom's protocol. Pages call this;
 * everything below it (RoomSession, the transport) stays testable without a browser.
 */
import { parseClassroomMessage, type ClassroomMessage } from '../classroom/protocol.ts';
import type { RoomCode } from '../rooms/room-code.ts';
import { createPeerTransport } from '../transport/peerjs.ts';
import type { PeerRole } from '../transport/types.ts';
import { RoomSession } from './room.svelte.ts';

/** The teacher's page refreshes each student's round trip this often (2 messages per student). */
const HOST_PROBE_PERIOD_MS = 2_000;

/** The name the teacher's screen carries in everyone's list. */
export const HOST_DISPLAY_NAME = 'Teacher';

export type ClassroomSession = RoomSession<ClassroomMessage>;

export function openClassroomSession(room: RoomCode, name: string, role: PeerRole): ClassroomSession {
  return new RoomSession<ClassroomMessage>({
    room,
    name,
    role,
    parse: parseClassroomMessage,
    connect: (parse) => createPeerTransport({ room, name, role, parse }),
    probeEveryMs: role === 'host' ? HOST_PROBE_PERIOD_MS : 0,
  });
}
