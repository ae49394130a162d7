import { describe, expect, it } from 'vitest';
import { SIGNALING_RETRY_BASE_MS, SIGNALING_RETRY_MAX_MS } from '../../../src/limits.ts';
import { backoffDelay } from '../../../src/transport/peerjs.ts';
import { parseClientConfig, parseRosterMessage } from '../../../src/transport/signaling-protocol.ts';

describe('signaling backoff', () => {
  it('doubles from SIGNALING_RETRY_BASE_MS, is capped at SIGNALING_RETRY_MAX_MS, with ±25 % jitter', () => {
    expect(backoffDelay(0, 0.5)).toBe(SIGNALING_RETRY_BASE_MS);
    expect(backoffDelay(1, 0.5)).toBe(2 * SIGNALING_RETRY_BASE_MS);
    expect(backoffDelay(50, 0.5)).toBe(SIGNALING_RETRY_MAX_MS);
    expect(backoffDelay(0, 0)).toBe(0.75 * SIGNALING_RETRY_BASE_MS);
    expect(backoffDelay(50, 1)).toBe(1.25 * SIGNALING_RETRY_MAX_MS);
  });
});

describe('client config (ICE servers)', () => {
  it('accepts STUN/TURN entries with optional credentials', () => {
    const config = { iceServers: [{ urls: ['turn:t.example:3478', 'turns:t.example:5349'], username: 'u', credential: 'p' }, { urls: 'stun:s.example' }] };
    expect(parseClientConfig(config)).toEqual({ ...config, joinOrigins: [] });
    expect(parseClientConfig({ iceServers: [] })).toEqual({ iceServers: [], joinOrigins: [] });
  });

  it('carries the join origins npm start found, and only http(s) origins', () => {
    const joinOrigins = ['http://192.168.1.20:8080', 'https://[fe80::1]:8443'];
    expect(parseClientConfig({ iceServers: [], joinOrigins })).toEqual({ iceServers: [], joinOrigins });
    for (const bad of [['javascript:alert(1)'], ['http://x/path'], 'http://x', new Array(9).fill('http://x')]) {
      expect(parseClientConfig({ iceServers: [], joinOrigins: bad })).toBeUndefined();
    }
  });

  it('refuses anything else', () => {
    for (const bad of [null, {}, { iceServers: [{ urls: 'http://x' }] }, { iceServers: [{ urls: [] }] }, { iceServers: [{ urls: 'turn:x', username: 5 }] }, { iceServers: new Array(9).fill({ urls: 'stun:x' }) }]) {
      expect(parseClientConfig(bad)).toBeUndefined();
    }
  });
});

describe('roster messages', () => {
  it('parses what the server sends and nothing else', () => {
    expect(parseRosterMessage('{"type":"leave","node":"abcdef"}')).toEqual({ type: 'leave', node: 'abcdef' });
    expect(parseRosterMessage('{"type":"join","member":{"node":"abcdef","name":" Ada ","role":"host"}}')).toEqual({
      type: 'join',
      member: { node: 'abcdef', name: 'Ada', role: 'host' },
    });
    for (const bad of ['nope', '{"type":"leave","node":"ABCDEF"}', '{"type":"roster","room":"KQ7RX","members":[{"node":"abcdef"}]}', '{"type":"join"}', '{"type":"kick"}']) {
      expect(parseRosterMessage(bad)).toBeUndefined();
    }
  });
});
