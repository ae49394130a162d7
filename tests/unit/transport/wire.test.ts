import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../../src/limits.ts';
import { MAX_PROTOCOL_VERSION, PROTOCOL_VERSION } from '../../../src/transport/signaling-protocol.ts';
import { decodeFrame, encodeEnvelope } from '../../../src/transport/wire.ts';

type Msg = { readonly kind: 'vote'; readonly value: string };
const parseMsg = (raw: unknown): Msg | undefined =>
  typeof raw === 'object' && raw !== null && (raw as Msg).kind === 'vote' && typeof (raw as Msg).value === 'string'
    ? { kind: 'vote', value: (raw as Msg).value }
    : undefined;

function roundTrip(envelope: Parameters<typeof encodeEnvelope<Msg>>[0]) {
  const encoded = encodeEnvelope(envelope);
  if (!encoded.ok) throw new Error(encoded.reason);
  return decodeFrame(encoded.text, parseMsg);
}

describe('wire envelope', () => {
  it('round-trips every envelope type', () => {
    expect(roundTrip({ type: 'hello', name: 'Ada', role: 'host', protocol: PROTOCOL_VERSION })).toEqual({
      ok: true,
      envelope: { type: 'hello', name: 'Ada', role: 'host', protocol: PROTOCOL_VERSION },
    });
    expect(roundTrip({ type: 'heartbeat' })).toEqual({ ok: true, envelope: { type: 'heartbeat' } });
    expect(roundTrip({ type: 'goodbye' })).toEqual({ ok: true, envelope: { type: 'goodbye' } });
    expect(roundTrip({ type: 'app', payload: { kind: 'vote', value: 'red' } })).toEqual({
      ok: true,
      envelope: { type: 'app', payload: { kind: 'vote', value: 'red' } },
    });
  });

  it('returns what the application parser returns, not the raw object', () => {
    const decoded = decodeFrame('{"type":"app","payload":{"kind":"vote","value":"red","from":"n9","extra":1}}', parseMsg);
    expect(decoded).toEqual({ ok: true, envelope: { type: 'app', payload: { kind: 'vote', value: 'red' } } });
  });

  it.each([
    ['not JSON', 'vote red', 'malformed'],
    ['truncated JSON', '{"type":"app","payl', 'malformed'],
    ['a JSON array', '[{"type":"heartbeat"}]', 'malformed'],
    ['a JSON string', '"heartbeat"', 'malformed'],
    ['null', 'null', 'malformed'],
    ['a number', '42', 'malformed'],
    ['no type', '{"payload":{}}', 'malformed'],
    ['a non-string type', '{"type":7}', 'malformed'],
    ['an unknown type', '{"type":"teleport"}', 'unknown-type'],
    ['an app without payload', '{"type":"app"}', 'malformed'],
    ['an app the parser refuses', '{"type":"app","payload":{"kind":"vote","value":3}}', 'malformed'],
    ['an app with extra envelope fields', '{"type":"app","payload":{"kind":"vote","value":"x"},"from":"n1"}', 'malformed'],
    ['a hello with an empty name', '{"type":"hello","name":"   ","role":"student"}', 'malformed'],
    ['a hello with a too-long name', `{"type":"hello","name":"${'x'.repeat(33)}","role":"student"}`, 'malformed'],
    ['a hello with an unknown role', '{"type":"hello","name":"Eve","role":"root"}', 'malformed'],
    ['a heartbeat with fields', '{"type":"heartbeat","at":1}', 'malformed'],
    ['a hello with a negative protocol', '{"type":"hello","name":"Eve","role":"student","protocol":-1}', 'malformed'],
    ['a hello with a fractional protocol', '{"type":"hello","name":"Eve","role":"student","protocol":1.5}', 'malformed'],
    ['a hello with a string protocol', '{"type":"hello","name":"Eve","role":"student","protocol":"1"}', 'malformed'],
    ['a hello with a protocol past the bound', `{"type":"hello","name":"Eve","role":"student","protocol":${MAX_PROTOCOL_VERSION + 1}}`, 'malformed'],
  ] as const)('drops %s as %s', (_what, frame, reason) => {
    expect(decodeFrame(frame, parseMsg)).toEqual({ ok: false, reason });
  });

  it('reads a hello without a protocol (a bundle from before versioning) as version 0', () => {
    expect(decodeFrame('{"type":"hello","name":"Old","role":"student"}', parseMsg)).toEqual({
      ok: true,
      envelope: { type: 'hello', name: 'Old', role: 'student', protocol: 0 },
    });
  });

  it('drops binary frames and non-string values as malformed', () => {
    expect(decodeFrame(new ArrayBuffer(8), parseMsg)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeFrame({ type: 'heartbeat' }, parseMsg)).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeFrame(undefined, parseMsg)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('treats a throwing parser as a refusal', () => {
    const throwing = (): Msg => {
      throw new Error('boom');
    };
    expect(decodeFrame('{"type":"app","payload":{}}', throwing)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('measures the size limit in UTF-8 bytes, at exactly MAX_MESSAGE_BYTES', () => {
    const frameOf = (filler: string) => `{"type":"app","payload":{"kind":"vote","value":"${filler}"}}`;
    const overhead = frameOf('').length;
    const fits = frameOf('a'.repeat(MAX_MESSAGE_BYTES - overhead));
    expect(fits.length).toBe(MAX_MESSAGE_BYTES);
    expect(decodeFrame(fits, parseMsg).ok).toBe(true);
    expect(decodeFrame(frameOf('a'.repeat(MAX_MESSAGE_BYTES - overhead + 1)), parseMsg)).toEqual({ ok: false, reason: 'oversized' });
    // 'é' is one UTF-16 unit but two UTF-8 bytes: fewer characters than the limit, more bytes.
    const accented = frameOf('é'.repeat(Math.ceil((MAX_MESSAGE_BYTES - overhead) / 2) + 1));
    expect(accented.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(decodeFrame(accented, parseMsg)).toEqual({ ok: false, reason: 'oversized' });
  });

  it('refuses to encode what would be dropped on arrival', () => {
    expect(encodeEnvelope<Msg>({ type: 'app', payload: { kind: 'vote', value: 'x'.repeat(MAX_MESSAGE_BYTES) } })).toEqual({
      ok: false,
      reason: 'oversized',
    });
    expect(encodeEnvelope<unknown>({ type: 'app', payload: undefined })).toEqual({ ok: false, reason: 'malformed' });
    expect(encodeEnvelope<unknown>({ type: 'app', payload: 10n })).toEqual({ ok: false, reason: 'malformed' });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(encodeEnvelope<unknown>({ type: 'app', payload: cyclic })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never throws, whatever the frame', () => {
    const frames: unknown[] = ['{"type":"app","payload":', '{"__proto__":{"type":"app"}}', '{"type":"constructor"}', '\u0000', Symbol('x'), () => 1];
    for (const frame of frames) expect(() => decodeFrame(frame, parseMsg)).not.toThrow();
    expect(decodeFrame('{"__proto__":{"type":"heartbeat"}}', parseMsg)).toEqual({ ok: false, reason: 'malformed' });
  });
});
