/**
 * Password hashing with scrypt (Node's built-in, memory-hard KDF).
 *
 * Parameters: N=2^15, r=8, p=1, 16-byte random salt, 32-byte key, about
 * 32 MiB and about 60 ms of CPU per hash (bench/seal-cost.ts). The encoded form
 * `scrypt$N$r$p$salt$key` (base64) keeps the parameters with the hash so they
 * can be raised later without invalidating existing accounts.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, keylen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, { N: n, r, p, maxmem: MAXMEM }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, n: number = N): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, n, R, P, KEYLEN);
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * The cost of the interim hash a new account is stored with at once (about
 * 4 MiB and 7.5 ms of CPU, bench/seal-cost.ts), before its full-cost hash replaces it in the background:
 * still a salted memory-hard KDF, an eighth of the full cost.
 */
export const INTERIM_N = 2 ** 12;

/** True when `encoded` is below the full cost (an interim hash, or an older, cheaper one): rehash at the next login. */
export function needsRehash(encoded: string): boolean {
  const parts = encoded.split('$');
  return parts[0] !== 'scrypt' || Number(parts[1]) < N || Number(parts[2]) < R;
}

/** Timing-safe check of a password against an encoded hash; false for any malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length === 0) return false;
  const key = await derive(password, salt, n, r, p, expected.length);
  return timingSafeEqual(key, expected);
}

/** A valid hash of a random password, verified against when a username is unknown so that timing does not reveal which names exist. */
export const decoyHash: Promise<string> = hashPassword(randomBytes(16).toString('hex'));
