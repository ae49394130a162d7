import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../../src/transport/memory.ts';
import { applicationView, roomPayloadParser, type RoomPayload } from '../../../src/ui/room/channel.ts';

type Chat = { readonly type: 'chat'; readonly text: string };
const parseChat = (raw: unknown): Chat | undefined =>
  typeof raw === 'object' && raw !== null && (raw as Chat).type === 'chat' && typeof (raw as Chat).text === 'string'
    ? { type: 'chat', text: (raw as Chat).text }
    : undefined;

describe('roomPayloadParser', () => {
  const parse = roomPayloadParser(parseChat);
  it('accepts probes and the application messages, nothing else', () => {
    expect(parse({ type: 'room-probe', seq: 1 })).toEqual({ type: 'room-probe', seq: 1 });
    expect(parse({ type: 'chat', text: 'hi' })).toEqual({ type: 'chat', text: 'hi' });
    expect(parse({ type: 'room-probe' })).toBeUndefined();
    expect(parse({ type: 'other' })).toBeUndefined();
  });
});

describe('applicationView', () => {
  it('delivers application messages and hides probes, on a real (in-memory) transport', async () => {
    const network = new MemoryNetwork();
    const options = { role: 'student' as const, parse: roomPayloadParser(parseChat) };
    const a = network.createTransport<RoomPayload<Chat>>('aaaaaa', { ...options, name: 'A' });
    const b = network.createTransport<RoomPayload<Chat>>('bbbbbb', { ...options, name: 'B' });
    const appB = applicationView<Chat>(b);
    const seen: unknown[] = [];
    appB.onMessage((from, message) => seen.push([from, message]));
    const raw: unknown[] = [];
    b.onMessage((_, message) => raw.push(message));

    await expect.poll(() => a.peers().map((p) => p.status)).toEqual(['connected']);
    a.send('bbbbbb', { type: 'room-probe', seq: 1 });
    a.send('bbbbbb', { type: 'chat', text: 'hello' });
    await expect.poll(() => raw.length).toBe(2);
    expect(seen).toEqual([['aaaaaa', { type: 'chat', text: 'hello' }]]);
    expect(appB.self).toBe('bbbbbb');
    expect(appB.peers()).toEqual(b.peers());

    // The application cannot close the room's connection.
    appB.close();
    a.send('bbbbbb', { type: 'chat', text: 'still here' });
    await expect.poll(() => seen.length).toBe(2);
    a.close();
    b.close();
  });
});
