/**
 * The server's store and limits from the environment (`npm start`, `npm run dev`), checked:
 * a value that is set but not understood is an error at start, never a silent default.
 *
 *   STATE_DB                  the SQLite file (default ./data/playground.sqlite)
 *   ROOM_RETENTION_HOURS      how long a teacher's room lives after it was last used (default 24)
 *   TRUSTED_ADDRESSES         comma-separated client addresses exempt from per-address limits
 *                             (default "127.0.0.1,::1"; "none" limits everyone)
 *   LIMIT_ROOMS_PER_ADDRESS, LIMIT_SOCKETS_PER_ADDRESS, LIMIT_JOINS_PER_MINUTE,
 *   LIMIT_NEW_ROOM_CODES_PER_MINUTE, LIMIT_TABS_PER_ADDRESS_PER_ROOM   (defaults: SERVER_LIMITS)
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { SERVER_LIMITS } from '../src/limits.ts';
import type { AddressLimits } from './abuse.ts';
import type { RegistryLimits } from './rooms.ts';

export const DEFAULT_STATE_DB = path.join('data', 'playground.sqlite');
/** A year: longer retention than that is a typo, and the point of retention is forgetting. */
const MAX_RETENTION_HOURS = 24 * 366;

export interface ServerEnvConfig {
  readonly stateDb: string;
  readonly limits: Partial<RegistryLimits & AddressLimits>;
}

export type ParsedEnv = { readonly ok: true; readonly config: ServerEnvConfig } | { readonly ok: false; readonly error: string };

const COUNT_VARIABLES = [
  ['LIMIT_ROOMS_PER_ADDRESS', 'roomsPerAddress'],
  ['LIMIT_SOCKETS_PER_ADDRESS', 'socketsPerAddress'],
  ['LIMIT_JOINS_PER_MINUTE', 'joinsPerAddressPerMinute'],
  ['LIMIT_NEW_ROOM_CODES_PER_MINUTE', 'newRoomCodesPerAddressPerMinute'],
  ['LIMIT_TABS_PER_ADDRESS_PER_ROOM', 'tabsPerAddressPerRoom'],
] as const;

/** Reads the variables above from `env`, relative paths against `cwd`. */
export function parseServerEnv(env: Readonly<Record<string, string | undefined>>, cwd: string): ParsedEnv {
  const limits: Record<string, unknown> = {};
  const stateDb = env['STATE_DB']?.trim() || DEFAULT_STATE_DB;
  const retention = env['ROOM_RETENTION_HOURS']?.trim();
  if (retention) {
    const hours = Number(retention);
    if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_RETENTION_HOURS) {
      return { ok: false, error: `ROOM_RETENTION_HOURS must be a number of hours above 0 and at most ${MAX_RETENTION_HOURS}, got "${retention}"` };
    }
    limits['roomRetentionMs'] = Math.round(hours * 3_600_000);
    // An unclaimed room never outlives a claimed one.
    limits['unclaimedRoomRetentionMs'] = Math.min(SERVER_LIMITS.unclaimedRoomRetentionMs, Math.round(hours * 3_600_000));
  }
  const trusted = env['TRUSTED_ADDRESSES']?.trim();
  if (trusted) {
    const list = trusted === 'none' ? [] : trusted.split(',').map((a) => a.trim());
    const bad = list.find((a) => isIP(a) === 0);
    if (bad !== undefined) return { ok: false, error: `TRUSTED_ADDRESSES: "${bad}" is not an IP address (comma-separated list, or "none")` };
    limits['trustedAddresses'] = list;
  }
  for (const [variable, field] of COUNT_VARIABLES) {
    const raw = env[variable]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 100_000) return { ok: false, error: `${variable} must be a whole number from 1 to 100000, got "${raw}"` };
    limits[field] = value;
  }
  return {
    ok: true,
    config: { stateDb: stateDb === ':memory:' ? stateDb : path.resolve(cwd, stateDb), limits: limits as Partial<RegistryLimits & AddressLimits> },
  };
}
