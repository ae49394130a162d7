/** Security headers on every response of the real server, over HTTP on 127.0.0.1. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';

const HOST = '127.0.0.1';

function head(port: number, target: string, headers: Record<string, string> = {}): Promise<Record<string, string | string[] | undefined>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path: target, method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `default-src 'self'; script-src 'self'` → { 'default-src': ["'self'"], … } */
function directives(csp: unknown): Record<string, string[]> {
  expect(typeof csp).toBe('string');
  const parsed: Record<string, string[]> = {};
  for (const part of String(csp).split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) parsed[name] = values;
  }
  return parsed;
}

describe('security headers', () => {
  let server: SignalingServer;
  let port: number;

  beforeAll(async () => {
    const site = mkdtempSync(path.join(tmpdir(), 'cp-headers-'));
    writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>t</title>');
    server = createSignalingServer({ host: HOST, port: 0, staticDir: site });
    port = (await server.ready).port;
  });

  afterAll(async () => {
    await server.close();
  });

  it('the app page gets a CSP that allows only this origin, no inline code, and no framing', async () => {
    const headers = await head(port, '/');
    const csp = directives(headers['content-security-policy']);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['script-src-attr']).toEqual(["'none'"]);
    expect(csp['style-src']).toEqual(["'self'"]);
    expect(csp['img-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    // The signaling sockets of this very host, and nothing else.
    expect(csp['connect-src']).toEqual(["'self'", `ws://${HOST}:${port}`, `wss://${HOST}:${port}`]);
    expect(String(headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval|upgrade-insecure-requests|data:|https:/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    // A classroom server is often plain http on a LAN address: never pin https.
    expect(headers['strict-transport-security']).toBeUndefined();
  });

  it('the signaling endpoints and errors carry them too', async () => {
    for (const target of ['/config.json', '/signal/peerjs/id', '/missing.js']) {
      const headers = await head(port, target);
      expect(directives(headers['content-security-policy'])['frame-ancestors'], target).toEqual(["'none'"]);
      expect(headers['x-content-type-options'], target).toBe('nosniff');
      expect(headers['referrer-policy'], target).toBe('no-referrer');
    }
  });

  it('never echoes a Host header that is not a plain host[:port] into the policy', async () => {
    const headers = await head(port, '/', { host: "evil.example; script-src 'unsafe-inline'" });
    const csp = directives(headers['content-security-policy']);
    expect(csp['connect-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
  });
});
