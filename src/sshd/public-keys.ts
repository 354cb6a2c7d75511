/**
 * SSH public keys for direct login: parsing an authorized_keys line, and
 * checking a client's signature against an enrolled key. The session engine
 * knows keys only as opaque enrolled lines (sessions/authenticator.ts); this
 * file is the SSH format it is handed by the composition root.
 */
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import type { KeyRefusal, PublicKeyFormat, PublicKeyLine } from '../sessions/index.ts';

export type { PublicKeyLine };

/** Key types a trainee may enroll. ssh2 cannot verify security-key (sk-*) signatures, so those are refused at enrollment. */
const allowed = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;

/**
 * Signature algorithms accepted for user keys, named as in SSH (and advertised as server-sig-algs, see
 * patches/ssh2+1.17.0.patch): an RSA key must sign with SHA-2 (rsa-sha2-256/512, RFC 8332), never SHA-1 `ssh-rsa`.
 */
export const userSignatureAlgorithms = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
] as const;

/**
 * The SSH signature algorithm a login request uses: ssh2 reports an RSA key as `ssh-rsa` plus the hash
 * (`sha256`/`sha512` for rsa-sha2-*, none for SHA-1 ssh-rsa).
 */
export function signatureAlgorithm(keyAlgo: string, hashAlgo: string | undefined): string {
  if (keyAlgo !== 'ssh-rsa') return hashAlgo ? `${keyAlgo}/${hashAlgo}` : keyAlgo;
  return hashAlgo === 'sha256' ? 'rsa-sha2-256' : hashAlgo === 'sha512' ? 'rsa-sha2-512' : 'ssh-rsa';
}

/**
 * Whether a login with the enrolled key `k`, announced as `keyAlgo` with `hashAlgo`, uses an accepted
 * signature algorithm. The announced key type must be the enrolled key's own: otherwise a client could
 * name another type and have an RSA key checked with the default (SHA-1) hash.
 */
export function signatureAccepted(k: PublicKeyLine, keyAlgo: string, hashAlgo: string | undefined): boolean {
  return keyAlgo === k.algo && (userSignatureAlgorithms as readonly string[]).includes(signatureAlgorithm(keyAlgo, hashAlgo));
}

/** Parses one authorized_keys-style line ("type base64 [comment]"); a reason string when it is not a usable public key. */
export function parsePublicKey(line: string): PublicKeyLine | string {
  const trimmed = line.trim();
  if (trimmed.length > 16_384) return 'that key is too long';
  const m = /^(\S+)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/.exec(trimmed);
  if (!m) return 'expected a line like "ssh-ed25519 AAAA... comment"';
  if (!allowed.test(m[1]!)) return `key type ${m[1]!.slice(0, 40)} is not accepted (use ssh-ed25519, ecdsa or rsa)`;
  const parsed = ssh2.utils.parseKey(`${m[1]} ${m[2]}`);
  if (parsed instanceof Error) return 'that is not a valid public key';
  const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey | undefined;
  if (!key || key.isPrivateKey()) return 'that is not a public key';
  // The stored type decides how signatures are checked (verifyKeySignature): it must be the key's own.
  if (key.type !== m[1]) return `that key is ${key.type.slice(0, 40)}, not ${m[1]!.slice(0, 40)}`;
  return { algo: m[1]!, data: m[2]!, comment: (m[3] ?? '').replace(/[\x00-\x1f\x7f]/g, '').slice(0, 200) };
}

/**
 * Whether `signature` over `blob` was made with the enrolled key, with an accepted algorithm: the check
 * uses the enrolled key's own type, so an RSA key verifies only with SHA-2 whatever type the client named.
 */
export function verifyKeySignature(k: PublicKeyLine, blob: Buffer, signature: Buffer, hashAlgo: string | undefined): boolean {
  if (!signatureAccepted(k, k.algo, hashAlgo)) return false;
  const parsed = ssh2.utils.parseKey(`${k.algo} ${k.data}`);
  if (parsed instanceof Error) return false;
  const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;
  return key.verify(blob, signature, hashAlgo as never) === true;
}

/** What the SSH door hands the session engine for enrolling keys (menu, `islet keys add`). */
export const sshPublicKeys: PublicKeyFormat = { parse: parsePublicKey };

/**
 * Why a public-key login with the enrolled key `k` is refused, or undefined when it may go on. Without a
 * signature (the client asks whether a key would do) only the algorithm is checked; with one, it must verify.
 */
export function keyRefusal(
  k: PublicKeyLine,
  key: { algo: string; hashAlgo?: string | undefined },
  signed?: { blob: Buffer; signature: Buffer; hashAlgo: string | undefined },
): KeyRefusal | undefined {
  if (!signatureAccepted(k, key.algo, signed ? signed.hashAlgo : key.hashAlgo)) return 'signature_algorithm';
  if (signed && !verifyKeySignature(k, signed.blob, signed.signature, signed.hashAlgo)) return 'bad_signature';
  return undefined;
}
