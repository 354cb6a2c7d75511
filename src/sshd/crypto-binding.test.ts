/**
 * ssh2's native crypto binding must load under the Node that runs the tests (the Node that runs
 * ISLET): ssh2 falls back to JavaScript crypto silently otherwise. The control proves the probe
 * can say "javascript": a child Node with native addons blocked, as an addon built for another
 * Node is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cryptoBinding, cryptoBindingRemedy, logCryptoBinding, type CryptoBinding } from './crypto-binding.ts';
import type { Logger } from '../logger.ts';

const blocker = join(import.meta.dirname, '../../test/helpers/block-native-addons.cjs');

function probeInChild(preload: string[]): Promise<CryptoBinding> {
  const script = `import { cryptoBinding } from ${JSON.stringify(join(import.meta.dirname, 'crypto-binding.ts'))}; console.log(JSON.stringify(cryptoBinding()));`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...preload, '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as CryptoBinding);
      },
    );
  });
}

test('ssh2 loads its native crypto binding under the Node that runs the tests', () => {
  const b = cryptoBinding();
  assert.equal(b.node, process.version);
  assert.equal(b.binding, 'native', `ssh2 ${b.ssh2} runs its JavaScript fallback under Node ${b.node}: ${b.reason}; ${cryptoBindingRemedy}`);
  // cpu-features is an optional dependency of ssh2, which npm drops when its own install script fails (as in one fresh
  // clone of 2026-12-06); scripts/native-addons.sh, run by the test setup, restores it wherever the lockfile has it.
  const lock = JSON.parse(readFileSync(join(import.meta.dirname, '../../package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  if (lock.packages['node_modules/cpu-features'])
    assert.equal(b.cpuFeatures, true, 'cpu-features (ssh2 picks AES-GCM first only when it knows the CPU has AES-NI) loads too');
  else assert.equal(b.cpuFeatures, false, 'the lockfile has no cpu-features for this machine: the probe must say so');
  assert.match(b.ssh2, /^\d+\.\d+\.\d+/);
});

test('control: with native addons blocked the probe reports the JavaScript fallback and why; unblocked, native', async () => {
  const blocked = await probeInChild(['--require', blocker]);
  assert.equal(blocked.binding, 'javascript');
  assert.equal(blocked.cpuFeatures, false);
  assert.match(blocked.reason ?? '', /native addon blocked by the test: .*sshcrypto\.node/);
  const unblocked = await probeInChild([]);
  assert.equal(unblocked.binding, 'native', 'the same child without the preload loads the addon');
});

test('the startup line is event ssh_crypto: info when native, a warning with the reason and the remedy when not', () => {
  const calls: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log = {
    info: (fields: Record<string, unknown>, msg: string) => calls.push({ level: 'info', fields, msg }),
    warn: (fields: Record<string, unknown>, msg: string) => calls.push({ level: 'warn', fields, msg }),
  } as unknown as Logger;
  logCryptoBinding(log, { binding: 'native', ssh2: '1.17.0', cpuFeatures: true, node: 'v24.0.0' });
  logCryptoBinding(log, { binding: 'javascript', ssh2: '1.17.0', cpuFeatures: false, node: 'v24.0.0', reason: 'Module did not self-register' });
  assert.deepEqual(
    calls.map((c) => [c.level, c.fields.event, c.fields.binding, c.fields.ssh2]),
    [
      ['info', 'ssh_crypto', 'native', '1.17.0'],
      ['warn', 'ssh_crypto', 'javascript', '1.17.0'],
    ],
  );
  assert.equal(calls[1]!.fields.reason, 'Module did not self-register');
  assert.ok(calls[1]!.msg.includes(cryptoBindingRemedy));
});
