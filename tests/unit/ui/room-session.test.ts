import { describe, expect, it } from 'vitest';
import { normalizeRoomCode, type RoomCode } from '../../../src/rooms/room-code.ts';
import type { SignalingState } from '../../../src/transport/peerjs.ts';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import type { PeerRole } from '../../../src/transport/types.ts';
import type { RoomPayload } from '../../../src/ui/room/channel.ts';
import { RoomSession, type RoomLink } from '../../../src/ui/room.svelte.ts';

type Chat = { readonly type: 'chat'; readonly text: string };
const parseChat = (raw: unknown): Chat | undefined =>
  typeof raw === 'object' && raw !== null && (raw as Chat).type === 'chat' && typeof (raw as Chat).text === 'string'
    ? { type: 'chat', text: (raw as Chat).text }
    : undefined;

const ROOM = normalizeRoomCode('KQ7RXA4') as RoomCode;

/** Room sessions on an in-memory network: the transport contract's other implementation. */
function sessions(network: MemoryNetwork) {
  const open = (id: string, name: string, role: PeerRole, probeEveryMs = 0): RoomSession<Chat> =>
    new RoomSession<Chat>({
      room: ROOM,
      name,
      role,
      parse: parseChat,
      probeEveryMs,
      connect: (parse): RoomLink<RoomPayload<Chat>> => {
        const transport = network.createTransport(id, { name, role, parse });
        const open: SignalingState = { kind: 'open' };
        return {
          ...transport,
          signaling: () => open,
          onSignaling: () => () => undefined,
          links: () => [],
          sendRawFrame: (to, frame) => transport.sendRawFrame(to, frame),
        };
      },
    });
  return open;
}

describe('RoomSession', () => {
  it('lists the room, measures round trips, and keeps probes away from the application', async () => {
    const network = new MemoryNetwork({ delayMs: 2 });
    const open = sessions(network);
    const ada = open('aaaaaa', 'Ada', 'student');
    const bo = open('bbbbbb', 'Bo', 'student');
    const chats: unknown[] = [];
    bo.app.onMessage((from, message) => chats.push([from, message]));

    await expect.poll(() => ada.peers.map((p) => [p.id, p.name, p.status])).toEqual([['bbbbbb', 'Bo', 'connected']]);
    expect(ada.self).toBe('aaaaaa');
    const rtt = await ada.probe('bbbbbb');
    expect(rtt).toBeGreaterThanOrEqual(3); // two link delays of 2 ms, give or take a timer tick
    expect(ada.roundTrip('bbbbbb')).toBe(rtt);
    expect(chats).toEqual([]);

    ada.app.send('bbbbbb', { type: 'chat', text: 'hi' });
    await expect.poll(() => chats).toEqual([['aaaaaa', { type: 'chat', text: 'hi' }]]);
    ada.leave();
    bo.leave();
  });

  it("probes every peer on the teacher's page, and forgets a peer's round trip once it is down", async () => {
    const network = new MemoryNetwork();
    const open = sessions(network);
    const host = open('hhhhhh', 'Teacher', 'host', 20);
    const ada = open('aaaaaa', 'Ada', 'student');
    await expect.poll(() => host.roundTrip('aaaaaa')).toBeGreaterThanOrEqual(0);

    ada.leave(); // goodbye: down at once
    ada.leave(); // idempotent
    await expect.poll(() => host.peers.map((p) => p.status)).toEqual(['down']);
    expect(host.roundTrip('aaaaaa')).toBeUndefined();
    expect(await host.probe('aaaaaa')).toBeUndefined();
    host.leave();
  });
});
