/**
 * What the server keeps of a secret is a digest, never the secret: a copy of the store (a backup,
 * a stolen laptop) must not let anyone act as a room's teacher or take a student's node.
 *
 * SHA-256 over a purpose label, the scope (room, node) and the secret. A slow KDF (scrypt) buys
 * nothing here: both secrets are random, not chosen by people (a PeerJS token is 24 characters
 * of 62 ≈ 143 bits; a teacher key is at least 16 of 62 ≈ 95 bits), so a digest cannot be
 * reversed by guessing. The scope in the input means a digest is useless in another room or for
 * another node. Comparisons are constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type SecretPurpose = 'teacher-key' | 'node-token';

/** SHA-256 of "consensus-playground/<purpose>/v1", the scope parts and the secret, NUL-separated. */
export function digestSecret(purpose: SecretPurpose, scope: readonly string[], secret: string): Buffer {
  const hash = createHash('sha256');
  hash.update(`consensus-playground/${purpose}/v1`);
  for (const part of [...scope, secret]) {
    hash.update('\0');
    hash.update(part, 'utf8');
  }
  return hash.digest();
}

/** Constant-time equality of two digests (or any two byte strings). */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of two secrets given as text (tokens held in memory). */
export function sameSecret(a: string, b: string): boolean {
  return sameDigest(Buffer.from(a), Buffer.from(b));
}
