/**
 * The SSH front door against real clients: auth methods, host keys kept
 * across restarts with mode 0600, old-client RSA keys, refusals, SIGTERM.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);

describe('SSH front door', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('host keys are generated once, mode 0600, and kept across a restart', async () => {
    const ed = join(islet.dataDir, 'ssh_host_ed25519_key');
    const rsa = join(islet.dataDir, 'ssh_host_ecdsa_key');
    assert.equal(statSync(ed).mode & 0o777, 0o600);
    assert.equal(statSync(rsa).mode & 0o777, 0o600);
    assert.equal(statSync(islet.dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(islet.dataDir, 'islet.db')).mode & 0o777, 0o600);
    const before = readFileSync(ed, 'utf8');
    const { stdout: scan1 } = await run('ssh-keyscan', ['-p', String(islet.port), '-t', 'ed25519,ecdsa,rsa', '127.0.0.1']);
    assert.match(scan1, /ssh-ed25519 /);
    assert.match(scan1, /ecdsa-sha2-nistp256 /, 'an ECDSA host key is offered for clients without ed25519');
    assert.doesNotMatch(scan1, /ssh-rsa /, 'no RSA host key: ssh2 would offer SHA-1 signatures with it');
    assert.doesNotMatch(scan1, /OpenSSH|ssh2js/, 'no software version beyond "ISLET"');
    await islet.stop();
    await islet.start();
    assert.equal(readFileSync(ed, 'utf8'), before);
    const { stdout: scan2 } = await run('ssh-keyscan', ['-p', String(islet.port), '-t', 'ed25519,ecdsa', '127.0.0.1']);
    const keys = (s: string) =>
      s
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(' ').slice(1).join(' '))
        .sort();
    assert.deepEqual(keys(scan2), keys(scan1), 'same host keys after restart');
  });

  test('keyboard-interactive works for the gate login (OpenSSH), and a client without ed25519 can use the ECDSA key', async () => {
    const s = await TmuxSsh.connect({
      port: islet.port,
      extraArgs: ['-o', 'PreferredAuthentications=keyboard-interactive', '-o', 'HostKeyAlgorithms=ecdsa-sha2-nistp256'],
    });
    await s.waitFor(/\(demo@127\.0\.0\.1\) Password:/);
    await s.line('demo');
    await s.waitFor('Are you a new or existing user? [new/existing]:');
    await s.close();
  });

  test('exec, subsystems and port forwarding are refused', async () => {
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: 'demo', password: 'demo', hostVerifier: () => true }),
    );
    const execErr = await new Promise<Error | undefined>((res) => c.exec('id', (err) => res(err ?? undefined)));
    assert.ok(execErr, 'exec refused');
    const sftpErr = await new Promise<Error | undefined>((res) => c.sftp((err) => res(err ?? undefined)));
    assert.ok(sftpErr, 'sftp refused');
    const fwdErr = await new Promise<Error | undefined>((res) => c.forwardOut('127.0.0.1', 1, '127.0.0.1', 22, (err) => res(err ?? undefined)));
    assert.ok(fwdErr, 'tcp forwarding refused');
    c.end();
  });

  test('a client without a terminal is told to use ssh -t', async () => {
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: 'demo', password: 'demo', hostVerifier: () => true }),
    );
    const out = await new Promise<string>((res, rej) =>
      c.shell(false, (err, ch) => {
        if (err) return rej(err);
        let b = '';
        ch.on('data', (d: Buffer) => {
          b += d;
        });
        ch.on('close', () => res(b));
      }),
    );
    assert.match(out, /ISLET needs a terminal/);
    c.end();
  });

  test('SIGTERM tells attached trainees the server is restarting and leaves their containers running', async () => {
    const s = await TmuxSsh.connect({ port: islet.port });
    await s.waitFor(/password:/i);
    await s.line('demo');
    await s.waitFor('[new/existing]:');
    const code = await islet.stop('SIGTERM');
    assert.equal(code, 0);
    await s.waitFor('ISLET is restarting; reconnect in a moment to resume your session.');
    await s.waitExit();
    await s.close();
    await islet.start();
  });
});
