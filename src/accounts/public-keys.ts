/**
 * SSH public keys for direct login: parsing an authorized_keys line, and
 * checking a client's signature against an enrolled key.
 */
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

export interface PublicKeyLine { readonly algo: string; readonly data: string; readonly comment: string }

const allowed = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

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
  return { algo: m[1]!, data: m[2]!, comment: (m[3] ?? '').replace(/[\x00-\x1f\x7f]/g, '').slice(0, 200) };
}

/** Whether `signature` over `blob` was made with the enrolled key. */
export function verifyKeySignature(k: PublicKeyLine, blob: Buffer, signature: Buffer, hashAlgo: string | undefined): boolean {
  const parsed = ssh2.utils.parseKey(`${k.algo} ${k.data}`);
  if (parsed instanceof Error) return false;
  const key = (Array.isArray(parsed) ? parsed[0] : parsed) as ParsedKey;
  return key.verify(blob, signature, hashAlgo as never) === true;
}
