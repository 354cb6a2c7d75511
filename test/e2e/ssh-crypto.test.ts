/**
 * Which crypto the real server runs is visible: `islet serve` logs event ssh_crypto at startup, and
 * `islet check` warns (exit 1, SSH_CRYPTO_FALLBACK) when ssh2's native binding does not load. The
 * fallback case is made by a preload that blocks native addons (test/helpers/block-native-addons.cjs);
 * each case has its unblocked control.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const blocked = { NODE_OPTIONS: `--require ${join(repoRoot, 'test/helpers/block-native-addons.cjs')}` };

function check(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'bin/islet'),
      ['check', '--config', join(repoRoot, 'examples'), '--no-engine'],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code) : 0, out: stdout + stderr });
      },
    );
  });
}

test('islet check: OK with the native binding; a warning (exit 1, SSH_CRYPTO_FALLBACK) when it does not load', async () => {
  const ok = await check({});
  assert.equal(ok.code, 0, ok.out);
  assert.doesNotMatch(ok.out, /SSH_CRYPTO_FALLBACK/);
  const fallback = await check(blocked);
  assert.equal(fallback.code, 1, fallback.out);
  assert.match(
    fallback.out,
    /^ssh2: warning: its native crypto binding does not load under Node v24\.[^\n]*blocked by the test[^\n]*\[SSH_CRYPTO_FALLBACK\]$/m,
  );
  assert.match(fallback.out, /^WARNING: .*1 warning\(s\)$/m);
});

describe('islet serve: the startup log says which crypto ssh2 runs', { concurrency: false }, () => {
  const runId = testRunId();
  const islet = new IsletProcess(runId, { logLevel: 'info' });
  after(async () => {
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('native: event ssh_crypto, binding native, with the ssh2 version, before listening', async () => {
    await islet.start();
    const line = await islet.waitForLog((l) => l.event === 'ssh_crypto');
    assert.equal(line.binding, 'native', JSON.stringify(line));
    assert.match(String(line.ssh2), /^\d+\.\d+\.\d+/);
    assert.ok(islet.logs.indexOf(line) < islet.logs.findIndex((l) => l.event === 'listening'));
    await islet.stop();
  });

  test('control: with native addons blocked, a warning with binding javascript and the reason', async () => {
    islet.logs.length = 0;
    await islet.start(blocked);
    const line = await islet.waitForLog((l) => l.event === 'ssh_crypto');
    assert.equal(line.binding, 'javascript', JSON.stringify(line));
    assert.equal(line.level, 40, 'logged as a warning');
    assert.match(String(line.reason), /blocked by the test: .*sshcrypto\.node/);
    await islet.stop();
  });
});
