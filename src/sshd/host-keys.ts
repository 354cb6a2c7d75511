/**
 * SSH host keys: ed25519 (preferred) and ECDSA P-256 (for clients without
 * ed25519), generated on first start into the data dir with mode 0600 and
 * kept, so trainees never see a "host key changed" warning after a restart.
 *
 * No RSA key: ssh2 (1.17) always offers SHA-1 `ssh-rsa` signatures next to
 * rsa-sha2-* for an RSA host key, whatever the algorithm list says, and SHA-1
 * signatures are refused by policy (docs/security.md). Every client that has
 * RSA-SHA2 (OpenSSH >= 7.2, PuTTY >= 0.75) also has ECDSA or ed25519.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateKeyPairSync } from 'node:crypto';
import { IsletError } from '../core/islet-error.ts';

/**
 * ssh2 1.17 writes an ed25519 key whose public half starts with a zero byte as 31 bytes, and then cannot
 * read it back ("Malformed OpenSSH private key"): about 1 key in 170. Generate until ssh2 reads it.
 */
export function readableEd25519(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519');
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
}

const kinds = [
  { file: 'ssh_host_ed25519_key', make: readableEd25519 },
  // PEM (SEC1): ssh2 cannot read back the OpenSSH-format ECDSA keys its own generator writes.
  {
    file: 'ssh_host_ecdsa_key',
    make: () => {
      const k = generateKeyPairSync('ec', {
        namedCurve: 'prime256v1',
        privateKeyEncoding: { type: 'sec1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      const parsed = ssh2.utils.parseKey(k.privateKey);
      const pub = parsed instanceof Error ? '' : (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH().toString('base64');
      return { private: k.privateKey, public: `ecdsa-sha2-nistp256 ${pub}` };
    },
  },
] as const;

export function loadHostKeys(dataDir: string): Buffer[] {
  return kinds.map(({ file, make }) => {
    const path = join(dataDir, file);
    if (!existsSync(path)) {
      const pair = make();
      writeFileSync(path, pair.private, { mode: 0o600 });
      writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
    }
    chmodSync(path, 0o600);
    const key = readFileSync(path);
    const parsed = ssh2.utils.parseKey(key);
    if (parsed instanceof Error) {
      throw new IsletError('HOST_KEY_INVALID', 'the server cannot start', `${path}: ${parsed.message}; remove it (and its .pub) to have a new key generated`);
    }
    return key;
  });
}
