/**
 * Static serving with precompressed variants, over real HTTP on 127.0.0.1: the variants the
 * build writes (scripts/vite-delivery.ts precompressDir, run here on a temporary site) are sent
 * per Accept-Encoding, with Vary, per-variant ETags, revalidation and the right caching.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompressDir } from '../../../scripts/vite-delivery.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling/server.ts';
import { acceptedEncodings } from '../../../signaling/static.ts';
import { PRECOMPRESS_MIN_BYTES } from '../../../src/limits.ts';

const HOST = '127.0.0.1';
const SCRIPT = `export const words = ${JSON.stringify('consensus '.repeat(2_000))};\n`;
const INDEX = `<!doctype html><title>t</title><script type="module" src="/assets/app-abc123.js"></script>${'<!-- pad -->'.repeat(200)}`;

interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function get(port: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files, compressed', () => {
  let server: SignalingServer;
  let port: number;
  let site: string;

  beforeAll(async () => {
    site = mkdtempSync(path.join(tmpdir(), 'cp-static-'));
    mkdirSync(path.join(site, 'assets'));
    mkdirSync(path.join(site, '.vite'));
    writeFileSync(path.join(site, 'index.html'), INDEX);
    writeFileSync(path.join(site, 'assets', 'app-abc123.js'), SCRIPT);
    writeFileSync(path.join(site, 'assets', 'tiny-abc123.js'), 'export {};\n');
    writeFileSync(path.join(site, 'assets', 'logo-abc123.png'), Buffer.alloc(4_000, 7));
    writeFileSync(path.join(site, '.vite', 'chunks.json'), '{"chunks":[]}');
    await precompressDir(site);
    server = createSignalingServer({ host: HOST, port: 0, staticDir: site });
    port = (await server.ready).port;
  });

  afterAll(async () => {
    await server.close();
  });

  it('the build step writes .br and .gz for text files over the threshold only', () => {
    const br = readFileSync(path.join(site, 'assets', 'app-abc123.js.br'));
    const gz = readFileSync(path.join(site, 'assets', 'app-abc123.js.gz'));
    expect(brotliDecompressSync(br).toString()).toBe(SCRIPT);
    expect(gunzipSync(gz).toString()).toBe(SCRIPT);
    expect(() => readFileSync(path.join(site, 'assets', 'tiny-abc123.js.gz'))).toThrow();
    expect('export {};\n'.length).toBeLessThan(PRECOMPRESS_MIN_BYTES);
    expect(() => readFileSync(path.join(site, 'assets', 'logo-abc123.png.gz'))).toThrow(); // not text
    expect(() => readFileSync(path.join(site, '.vite', 'chunks.json.gz'))).toThrow(); // never served anyway
  });

  it('sends brotli to a browser that accepts it, with Vary, the variant’s length and immutable caching', async () => {
    const res = await get(port, '/assets/app-abc123.js', { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['vary']).toBe('Accept-Encoding');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(Number(res.headers['content-length'])).toBe(res.body.length);
    expect(res.body.length).toBeLessThan(SCRIPT.length / 10);
    expect(brotliDecompressSync(res.body).toString()).toBe(SCRIPT);
  });

  it('sends gzip when brotli is not accepted, and identity when nothing is', async () => {
    const gz = await get(port, '/assets/app-abc123.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);
    const refusedBr = await get(port, '/assets/app-abc123.js', { 'accept-encoding': 'br;q=0, gzip;q=0.5' });
    expect(refusedBr.headers['content-encoding']).toBe('gzip');
    const plain = await get(port, '/assets/app-abc123.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept-Encoding'); // the response varies even when not compressed
    expect(plain.body.toString()).toBe(SCRIPT);
    const identityOnly = await get(port, '/assets/app-abc123.js', { 'accept-encoding': 'identity' });
    expect(identityOnly.headers['content-encoding']).toBeUndefined();
  });

  it('compresses the app page for page routes too, and revalidates it (no-cache)', async () => {
    const res = await get(port, '/?room=KQ7RX', { 'accept-encoding': 'br' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(res.body).toString()).toBe(INDEX);
  });

  it('gives each variant its own ETag and answers a matching revalidation with 304', async () => {
    const br = await get(port, '/index.html', { 'accept-encoding': 'br' });
    const gz = await get(port, '/index.html', { 'accept-encoding': 'gzip' });
    const plain = await get(port, '/index.html');
    const tags = [br, gz, plain].map((r) => r.headers['etag']);
    expect(new Set(tags).size).toBe(3);
    const again = await get(port, '/index.html', { 'accept-encoding': 'br', 'if-none-match': String(br.headers['etag']) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers['vary']).toBe('Accept-Encoding');
    // The gzip tag does not validate the brotli representation.
    const mismatch = await get(port, '/index.html', { 'accept-encoding': 'br', 'if-none-match': String(gz.headers['etag']) });
    expect(mismatch.status).toBe(200);
    const since = await get(port, '/index.html', { 'if-modified-since': String(plain.headers['last-modified']) });
    expect(since.status).toBe(304);
  });

  it('answers HEAD with the chosen variant’s headers and no body', async () => {
    const res = await get(port, '/assets/app-abc123.js', { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(res.body.length).toBe(0);
  });

  it('serves files without variants as they are, without Vary', async () => {
    const res = await get(port, '/assets/logo-abc123.png', { 'accept-encoding': 'br, gzip' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['vary']).toBeUndefined();
    expect(res.body.length).toBe(4_000);
  });

  it('never serves dot-directories such as the build’s chunk graph', async () => {
    expect((await get(port, '/.vite/chunks.json')).status).toBe(404);
    expect((await get(port, '/.vite/')).status).toBe(404);
    expect((await get(port, '/assets/../.vite/chunks.json')).status).toBe(400);
  });
});

describe('Accept-Encoding parsing', () => {
  it('reads q-values, wildcards and the x-gzip alias', () => {
    expect(acceptedEncodings('gzip, deflate, br')).toEqual({ br: 1, gzip: 1 });
    expect(acceptedEncodings('br;q=0.2, gzip;q=0.8')).toEqual({ br: 0.2, gzip: 0.8 });
    expect(acceptedEncodings('*')).toEqual({ br: 1, gzip: 1 });
    expect(acceptedEncodings('*;q=0.5, br;q=0')).toEqual({ br: 0, gzip: 0.5 });
    expect(acceptedEncodings('x-gzip')).toEqual({ br: 0, gzip: 1 });
    expect(acceptedEncodings(undefined)).toEqual({ br: 0, gzip: 0 });
    expect(acceptedEncodings('identity')).toEqual({ br: 0, gzip: 0 });
  });

  it('ignores malformed q-values and absurdly long headers', () => {
    expect(acceptedEncodings('br;q=2, gzip;q=abc')).toEqual({ br: 0, gzip: 0 });
    expect(acceptedEncodings(`${'x, '.repeat(200)}br`)).toEqual({ br: 0, gzip: 0 });
  });
});
