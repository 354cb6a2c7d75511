/**
 * User-key signatures as docs/ssh.md says: an RSA key signs in with SHA-2 (rsa-sha2-256/512) only, and
 * the server-sig-algs list ISLET advertises is well formed and names exactly the accepted algorithms.
 *
 * Two clients, because each proves a different side:
 *  - OpenSSH reads server-sig-algs: with only `ssh-rsa` allowed it finds no common algorithm and never
 *    signs ("no mutual signature algorithm") — what a trainee sees, but the server is not asked.
 *  - paramiko (test/clients/paramiko_rsa_sig.py) is made to ignore server-sig-algs and sign with the one
 *    algorithm it is given, so the SERVER must refuse the SHA-1 signature; the same client with
 *    rsa-sha2-256 and rsa-sha2-512 signs in (the control).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { addKey, createAccount, gate } from '../helpers/trainee.ts';

const runFile = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const dir = mkdtempSync(join(tmpdir(), 'islet-sigs-'));
const rsaKey = join(dir, 'id_rsa');
const user = 'sigs';

function ssh(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      'ssh',
      [
        '-p',
        String(islet.port),
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'PreferredAuthentications=publickey',
        '-i',
        rsaKey,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (b) => {
      stdout += b;
    });
    p.stderr.on('data', (b) => {
      stderr += b;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function paramiko(algorithm: string): Promise<{ ok: boolean; stdout?: string; error?: string }> {
  const r = await runFile('/usr/bin/python3', [join(repoRoot, 'test/clients/paramiko_rsa_sig.py'), String(islet.port), `${user}+demo`, rsaKey, algorithm], {
    timeout: 90_000,
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  });
  return JSON.parse(r.stdout) as { ok: boolean; stdout?: string; error?: string };
}

describe('user-key signatures', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
    await runFile('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-f', rsaKey]);
    const s = await gate(islet.port);
    await createAccount(s, user, 'Sigs-pw-1');
    await addKey(s, readFileSync(`${rsaKey}.pub`, 'utf8'));
    await s.close();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(dir, { recursive: true, force: true });
  });

  test('server-sig-algs, as OpenSSH parses it, is exactly the SHA-2 list; an enrolled RSA key signs in with rsa-sha2-256', async () => {
    const r = await ssh(['-vvv', '-o', 'PubkeyAcceptedAlgorithms=rsa-sha2-256', `${user}+demo@127.0.0.1`, 'echo signed-in']);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(r.stdout, 'signed-in\n');
    const m = /kex_input_ext_info: server-sig-algs=<([^>]*)>/.exec(r.stderr);
    assert.ok(m, 'OpenSSH received server-sig-algs');
    assert.deepEqual(m[1]!.split(','), ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256']);
    assert.match(r.stderr, /Server accepts key: .*RSA/);
  });

  test('OpenSSH allowed only SHA-1 ssh-rsa finds no common signature algorithm and is refused', async () => {
    const r = await ssh(['-v', '-o', 'PubkeyAcceptedAlgorithms=ssh-rsa', `${user}+demo@127.0.0.1`, 'echo signed-in']);
    assert.equal(r.code, 255);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /no mutual signature algorithm/);
    assert.match(r.stderr, /Permission denied \(publickey/);
  });

  test('a client that signs with SHA-1 ssh-rsa anyway is refused by the server; rsa-sha2-256 and rsa-sha2-512 sign in (control)', async () => {
    assert.deepEqual(await paramiko('rsa-sha2-256'), { ok: true, stdout: 'signed-in\n' }, 'the forcing client works');
    assert.deepEqual(await paramiko('rsa-sha2-512'), { ok: true, stdout: 'signed-in\n' });
    const sha1 = await paramiko('ssh-rsa');
    assert.equal(sha1.ok, false);
    assert.match(sha1.error ?? '', /Authentication failed/);
    const refused = await islet.waitForLog((l) => l.event === 'account_login_failed' && l.user === `${user}+demo` && l.method === 'publickey');
    assert.equal(refused.reason, 'signature_algorithm', 'refused for its algorithm, not for a bad signature');
  });
});
