/**
 * Display names typed by students, shown on every screen of the room. They travel through the
 * signaling server's roster and the transport's hello, and are validated the same way at both
 * boundaries. The UI renders them as text; this keeps them short and printable.
 */
import { MAX_NAME_LENGTH } from '../limits.ts';
import type { PeerRole } from '../transport/types.ts';

/** Control characters, and format characters such as bidi overrides that can garble a tile. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Trims, collapses runs of whitespace, strips control/format characters, and refuses what is
 * empty afterwards or longer than MAX_NAME_LENGTH characters (counted in code points, so an
 * emoji counts once). Never throws.
 */
export function parseDisplayName(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 4 * MAX_NAME_LENGTH) return undefined;
  const cleaned = raw.replace(/\s+/g, ' ').replace(INVISIBLE, '').replace(/ {2,}/g, ' ').trim();
  if (cleaned.length === 0 || [...cleaned].length > MAX_NAME_LENGTH) return undefined;
  return cleaned;
}

export function parseRole(raw: unknown): PeerRole | undefined {
  return raw === 'student' || raw === 'host' ? raw : undefined;
}
