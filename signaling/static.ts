/**
 * Serves the built app (dist/) from the signaling server's port: exact files by path, the SPA's
 * index.html for page routes, correct content types, no way out of the root, and caching that
 * matches Vite's output (hashed files under /assets/ never change; everything else revalidates).
 *
 * Compression: the build writes `file.br` and `file.gz` beside each text asset
 * (scripts/vite-delivery.ts). A request whose Accept-Encoding allows one gets those bytes with
 * Content-Encoding (brotli preferred at equal preference: smaller); every response of a file
 * that has variants says `Vary: Accept-Encoding` so caches keep them apart, and each variant has
 * its own ETag. Nothing is compressed per request.
 *
 * Paths with a segment starting with '.' (e.g. `.vite/`, the build's chunk graph) are never served.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Vite puts content-hashed files here: safe to cache for a year. */
const IMMUTABLE_PREFIX = '/assets/';

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(text);
}

/**
 * Resolves a request path inside `root`, or undefined if it is malformed or escapes the root
 * (`..`, encoded `%2e%2e`, backslashes, NUL). Exported for tests.
 */
export function resolveInside(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const resolved = path.resolve(root, `.${path.posix.normalize(`/${decoded}`)}`);
  const rootWithSep = root.endsWith(path.sep) ? root : root + path.sep;
  if (resolved !== root && !resolved.startsWith(rootWithSep)) return undefined;
  // Also refuse any literal '..' segment, even one that normalises back inside.
  if (decoded.split('/').includes('..')) return undefined;
  return resolved;
}

async function regularFile(file: string): Promise<{ size: number; mtime: Date } | undefined> {
  try {
    const stat = await fs.stat(file);
    return stat.isFile() ? { size: stat.size, mtime: stat.mtime } : undefined;
  } catch {
    return undefined;
  }
}

/** The encodings we keep precompressed, most preferred first, with the suffix of their file. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof ENCODINGS)[number]['name'];

/** Longest Accept-Encoding we parse; real browsers send ~30 characters. */
const MAX_ACCEPT_ENCODING_LENGTH = 256;

/**
 * The q-value the client gives each encoding we have (RFC 9110 §12.5.3): an explicit entry wins
 * over `*`; absent and not covered by `*` means not acceptable (q = 0). Exported for tests.
 */
export function acceptedEncodings(header: string | undefined): Readonly<Record<Encoding, number>> {
  const q: Record<Encoding, number> = { br: 0, gzip: 0 };
  if (header === undefined || header.length > MAX_ACCEPT_ENCODING_LENGTH) return q;
  let wildcard: number | undefined;
  const explicit = new Map<string, number>();
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(value) || value < 0 || value > 1) continue;
    if (token === '*') wildcard = value;
    else if (token !== '') explicit.set(token === 'x-gzip' ? 'gzip' : token, value);
  }
  for (const { name } of ENCODINGS) q[name] = explicit.get(name) ?? wildcard ?? 0;
  return q;
}

/** The best precompressed variant of `file` the client accepts, if one exists. */
async function pickVariant(
  file: string,
  acceptEncoding: string | undefined,
): Promise<{ variants: boolean; chosen?: { encoding: Encoding; file: string; size: number; mtime: Date } }> {
  const q = acceptedEncodings(acceptEncoding);
  let variants = false;
  let best: { encoding: Encoding; file: string; size: number; mtime: Date; q: number } | undefined;
  for (const { name, suffix } of ENCODINGS) {
    const stat = await regularFile(file + suffix);
    if (stat === undefined) continue;
    variants = true;
    // ENCODINGS is in preference order: a later one must be strictly preferred by the client.
    if (q[name] > 0 && (best === undefined || q[name] > best.q)) best = { encoding: name, file: file + suffix, ...stat, q: q[name] };
  }
  return best === undefined ? { variants } : { variants, chosen: best };
}

/** A validator per representation: size and mtime of the bytes sent, and their encoding. */
function etagOf(stat: { size: number; mtime: Date }, encoding: Encoding | undefined): string {
  return `"${stat.size.toString(36)}-${Math.floor(stat.mtime.getTime()).toString(36)}${encoding ? `-${encoding}` : ''}"`;
}

/** If-None-Match first (RFC 9110 §13.2.2); If-Modified-Since only without it. */
function notModified(req: IncomingMessage, etag: string, mtime: Date): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .some((tag) => tag === '*' || tag === etag);
  }
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(mtime.getTime() / 1000) * 1000 <= since;
}

export function createStaticHandler(rootDir: string): StaticHandler {
  const root = path.resolve(rootDir);
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
      return;
    }
    const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
    const target = resolveInside(root, urlPath);
    if (target === undefined) {
      plain(res, 400, 'Bad path');
      return;
    }
    if (path.relative(root, target).split(path.sep).some((segment) => segment.startsWith('.'))) {
      plain(res, 404, 'Not found'); // build artefacts (.vite/) and any dotfile stay private
      return;
    }
    let file = target;
    let stat = await regularFile(file);
    if (stat === undefined && urlPath.endsWith('/')) {
      file = path.join(target, 'index.html');
      stat = await regularFile(file);
    }
    if (stat === undefined) {
      // A page route (no file extension) gets the app; a missing asset is a real 404.
      if (path.posix.extname(urlPath) !== '') {
        plain(res, 404, 'Not found');
        return;
      }
      file = path.join(root, 'index.html');
      stat = await regularFile(file);
      if (stat === undefined) {
        plain(res, 503, 'The app is not built yet: run `npm run build` (npm start does it for you).');
        return;
      }
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const immutable = urlPath.startsWith(IMMUTABLE_PREFIX);
    const { variants, chosen } = await pickVariant(file, req.headers['accept-encoding']);
    const sent = chosen ?? { file, size: stat.size, mtime: stat.mtime, encoding: undefined };
    const etag = etagOf(sent, sent.encoding);
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Last-Modified': stat.mtime.toUTCString(),
      ETag: etag,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(variants ? { Vary: 'Accept-Encoding' } : {}),
    };
    if (notModified(req, etag, stat.mtime)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      ...(sent.encoding ? { 'Content-Encoding': sent.encoding } : {}),
      'Content-Length': String(sent.size),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(sent.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
