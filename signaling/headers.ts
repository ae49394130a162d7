/**
 * Security headers on every HTTP response of our server (app files, /config.json, PeerServer's
 * API), set with helmet 8.3.0 in its plain-Node form (it takes Node's req/res; no Express).
 *
 * The Content-Security-Policy allows exactly what the app uses:
 * - scripts and styles from this origin only. Vite emits every script and stylesheet as a file
 *   (no inline <script>, no inline <style>); Svelte sets dynamic styles (`style:width`) through
 *   the CSSOM (`element.style`), which CSP does not govern, and our components have no `style`
 *   attributes in markup, so neither 'unsafe-inline' nor 'unsafe-eval' is needed;
 * - connections to this origin: /config.json, PeerServer's HTTP API, and the two signaling
 *   WebSockets (PeerJS's and the roster). 'self' covers ws:/wss: of the same host in CSP Level 3;
 *   the explicit ws://host and wss://host entries are for browsers that predate that rule
 *   (older Safari on school iPads). WebRTC data channels are not fetches: CSP has no say on them;
 * - images from this origin (the favicon; the QR code is an inline SVG path, no data: URL);
 * - nothing may frame the app (frame-ancestors 'none', and X-Frame-Options for old browsers):
 *   no other site can overlay a room's buttons.
 * Not set: upgrade-insecure-requests (helmet's default), since classrooms run on plain http on
 * the LAN, and HSTS, since a teacher's laptop is an IP address that may serve http tomorrow.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** A Host header we are willing to echo into the policy: a hostname or IP, optional port. */
const SAFE_HOST = /^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** ws:// and wss:// of the request's own host (never of anything else), for connect-src. */
function sameHostSockets(req: IncomingMessage): string {
  const host = req.headers.host;
  return host !== undefined && SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : '';
}

export const CONTENT_SECURITY_POLICY_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'", sameHostSockets],
  'manifest-src': ["'self'"],
  'object-src': ["'none'"],
  // Solo mode's explorer runs in a Web Worker built from our own origin (src/explore/worker.ts).
  'worker-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
} as const;

const setHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY_DIRECTIVES },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false,
  xFrameOptions: { action: 'deny' },
  // Helmet's defaults for the rest: nosniff, COOP/CORP same-origin, Origin-Agent-Cluster, no
  // DNS prefetch, no cross-domain policies, X-XSS-Protection 0. COEP stays off (helmet's default).
});

/** Sets the headers on `res` (synchronously: helmet calls `next` before returning). */
export function applySecurityHeaders(req: IncomingMessage, res: ServerResponse): void {
  let failure: unknown;
  setHeaders(req, res, (error?: unknown) => {
    failure = error;
  });
  // Only a malformed directive (our constant above) can fail: a programming error, not input.
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
}
