/**
 * Serves the built app (dist/) from the signaling server's port: exact files by path, the SPA's
 * index.html for page routes, correct content types, no way out of the root, and caching that
 * matches Vite's output (hashed files under /assets/ never change; everything else revalidates).
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
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': String(stat.size),
      'Last-Modified': stat.mtime.toUTCString(),
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };
}
