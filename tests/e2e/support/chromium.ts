/**
 * How we launch Chromium for WebRTC between tabs inside a loopback-only network namespace
 * (measured: shared/verified-setup.md, the team's notes). Shared by the e2e config and the mesh benchmark.
 */

/** Debian's chromium unless CHROMIUM_PATH says otherwise (Playwright downloads no browser here). */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  // Without it (and the microphone permission) Chromium gathers no candidate on loopback.
  '--allow-loopback-in-peer-connection',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Nothing but our own server may be contacted: no update, sync or component downloads.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Granting a capture permission lets Chromium enumerate network interfaces; without it WebRTC
 * offers only mDNS candidates, which resolve nowhere in the namespace.
 */
export const CONTEXT_PERMISSIONS: readonly string[] = ['microphone'];
