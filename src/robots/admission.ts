/**
 * Admits the teacher's robots at the signaling server before they connect, under the room's
 * teacher key (the contract is the server's: `POST /signal/rooms/ROOM/robots`, body
 * `{ robots: [{ node, token }] }`, `Authorization: Bearer <teacher key>`; see
 * src/transport/signaling-protocol.ts). Admitted robots are listed with `robot: true` and are
 * exempt from the server's per-address limits; they still count as students of the room.
 *
 * Without a teacher key robots are not admitted and join like any student tab would: that works
 * on a server that admits students freely, and is what the CLI does (with a warning) when no key
 * is given.
 */
import { MAX_PEERS_PER_ROOM } from '../limits.ts';
import type { RoomCode } from '../rooms/room-code.ts';
import type { TabIdentity } from '../transport/identity.ts';
import type { SignalingEndpoint } from '../transport/peerjs.ts';
import { SIGNALING_PATH } from '../transport/signaling-protocol.ts';

/** How long the server may take to answer an admission; it is one small in-memory write. */
const ADMISSION_TIMEOUT_MS = 10_000;

export function robotsUrl(endpoint: SignalingEndpoint, room: RoomCode): string {
  const scheme = endpoint.secure ? 'https' : 'http';
  const base = (endpoint.path ?? SIGNALING_PATH).replace(/\/+$/, '');
  return `${scheme}://${endpoint.host}:${endpoint.port}${base}/rooms/${room}/robots`;
}

export class AdmissionError extends Error {}

/** Registers `robots` (node + token) in `room`; throws an AdmissionError saying why not. */
export async function admitRobots(
  endpoint: SignalingEndpoint,
  room: RoomCode,
  hostKey: string,
  robots: readonly TabIdentity[],
): Promise<void> {
  // 404 also means "the teacher's page has not claimed the room yet": a teacher who starts the
  // robots right after opening the room page is a moment early, not wrong.
  for (let attempt = 1; ; attempt++) {
    try {
      return await admitOnce(endpoint, room, hostKey, robots);
    } catch (error) {
      if (!(error instanceof NotYetClaimed) || attempt >= ADMISSION_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, ADMISSION_RETRY_MS));
    }
  }
}

class NotYetClaimed extends AdmissionError {}

const ADMISSION_ATTEMPTS = 10;
const ADMISSION_RETRY_MS = 500;

async function admitOnce(endpoint: SignalingEndpoint, room: RoomCode, hostKey: string, robots: readonly TabIdentity[]): Promise<void> {
  if (robots.length === 0) return;
  if (robots.length > MAX_PEERS_PER_ROOM) throw new AdmissionError(`at most ${MAX_PEERS_PER_ROOM} robots fit a room`);
  let response: Response;
  try {
    response = await fetch(robotsUrl(endpoint, room), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hostKey}` },
      body: JSON.stringify({ robots: robots.map(({ node, token }) => ({ node, token })) }),
      signal: AbortSignal.timeout(ADMISSION_TIMEOUT_MS),
    });
  } catch (error) {
    throw new AdmissionError(`the signaling server did not answer the robot admission: ${(error as Error).message}`);
  }
  if (response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    const admitted = (body as { robots?: unknown } | undefined)?.robots;
    if (Array.isArray(admitted) && robots.every((r) => admitted.includes(r.node))) return;
    throw new AdmissionError('the server answered the robot admission with something else (an older server without robots?)');
  }
  if (response.status === 404) throw new NotYetClaimed('robots not admitted (404): no such room, or its teacher has not opened the room page yet');
  const reasons: Record<number, string> = {
    401: 'the teacher key is wrong or missing',
    404: 'no such room, or its teacher has not opened the room page yet',
    409: 'a robot id already belongs to someone else',
    429: 'the server is throttling this address',
    507: 'the room is full',
  };
  throw new AdmissionError(`robots not admitted (${response.status}): ${reasons[response.status] ?? (await response.text()).slice(0, 200)}`);
}
