/**
 * Which crypto ssh2 runs for every byte of every session: its native addon
 * (sshcrypto.node, OpenSSL) or its JavaScript fallback.
 *
 * ssh2 falls back silently when the addon does not load, e.g. when it was built
 * for another Node than the one running ISLET ("Module did not self-register";
 * scripts/native-addons.sh builds it for ISLET's Node). This module makes the
 * fallback visible: a startup log line, a warning in `islet check`, and a test.
 *
 * Contract: reports what ssh2 itself loaded (its own `bindingAvailable` flag in
 * the same module instance ISLET's server uses), never a separate probe that
 * could disagree with it.
 */
import { createRequire } from 'node:module';
import type { Logger } from '../logger.ts';

export interface CryptoBinding {
  /** native: ssh2's OpenSSL addon; javascript: its slower fallback. */
  readonly binding: 'native' | 'javascript';
  readonly ssh2: string;
  /** cpu-features loaded: ssh2 orders AES-GCM ahead of ChaCha20 only when it knows the CPU has AES-NI. */
  readonly cpuFeatures: boolean;
  readonly node: string;
  /** Why the addon did not load (the dlopen error), when binding is javascript. */
  readonly reason?: string;
}

const ssh2Require = createRequire(createRequire(import.meta.url).resolve('ssh2'));

function loadError(id: string): string | undefined {
  try {
    ssh2Require(id);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

export function cryptoBinding(): CryptoBinding {
  const ssh2 = (ssh2Require('../package.json') as { version: string }).version;
  const native = (ssh2Require('./protocol/crypto.js') as { bindingAvailable: boolean }).bindingAvailable;
  const cpuFeatures = loadError('cpu-features') === undefined;
  const base = { ssh2, cpuFeatures, node: process.version };
  if (native) return { binding: 'native', ...base };
  return { binding: 'javascript', ...base, reason: loadError('./protocol/crypto/build/Release/sshcrypto.node') ?? 'not loaded' };
}

/** What an admin does about the fallback; shared by the startup log and `islet check`. */
export const cryptoBindingRemedy = 'run scripts/native-addons.sh (or npm install) to build it for this Node';

/** The startup line (event ssh_crypto): info when native, a warning when the fallback runs. */
export function logCryptoBinding(log: Logger, b: CryptoBinding = cryptoBinding()): CryptoBinding {
  const fields = {
    event: 'ssh_crypto',
    binding: b.binding,
    ssh2: b.ssh2,
    cpu_features: b.cpuFeatures,
    node: b.node,
    ...(b.reason ? { reason: b.reason } : {}),
  };
  if (b.binding === 'native') log.info(fields, `ssh2 ${b.ssh2} uses its native crypto binding`);
  else log.warn(fields, `ssh2 ${b.ssh2} runs its JavaScript crypto fallback (slower on every byte): ${cryptoBindingRemedy}`);
  return b;
}
