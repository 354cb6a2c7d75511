/**
 * SSH host keys: ed25519 (preferred) and RSA (for old clients), generated on
 * first start into the data dir with mode 0600 and kept, so trainees never see
 * a "host key changed" warning after a restart.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

const kinds = [
  { file: 'ssh_host_ed25519_key', make: () => ssh2.utils.generateKeyPairSync('ed25519') },
  { file: 'ssh_host_rsa_key', make: () => ssh2.utils.generateKeyPairSync('rsa', { bits: 3072 }) },
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
    return readFileSync(path);
  });
}
