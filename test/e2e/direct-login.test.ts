/**
 * Direct login with the real OpenSSH client: `ssh alice@host` and
 * `ssh alice+env@host` with alice's password or an enrolled key, and
 * commands run with `ssh alice+env@host 'cmd'`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { writeFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { OPENSSH_BATCH } from '../helpers/openssh-args.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const keys = mkdtempSync(join(tmpdir(), 'islet-keys-'));

function ssh(user: string, key: string | undefined, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      'ssh',
      ['-p', String(islet.port), ...OPENSSH_BATCH, '-o', 'PreferredAuthentications=publickey', ...(key ? ['-i', key] : []), `${user}@127.0.0.1`, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (b) => {
      stdout += b;
    });
    p.stderr.on('data', (b) => {
      stderr += b;
    });
    p.stdin.end(input ?? '');
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe('direct login and commands over OpenSSH', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(join(islet.configDir, 'environments/envlab.yaml'), 'image: islet/demo:latest\nuser: student\naccept_env: [COURSE]\n');
    await islet.start();
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'alice')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'other')]);
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(keys, { recursive: true, force: true });
  });

  test('a trainee enrolls a key from the menu', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'alice', 'secret1');
    await choose(s, 'add_key');
    await s.waitFor('Paste one SSH public key line');
    await s.line('not a key');
    await s.waitFor('Key not added:');
    await choose(s, 'add_key');
    await s.line(readFileSync(join(keys, 'alice.pub'), 'utf8').trim());
    await s.waitFor('Key added. Log in directly with: ssh alice@');
    await s.close();
  });

  test('ssh alice+demo@host cmd: stdout and stderr apart, exit status, stdin, and the container is started on demand', async () => {
    const r = await ssh('alice+demo', join(keys, 'alice'), ['echo out; echo err >&2; id -un; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\nstudent\n');
    assert.equal(r.stderr, 'err\n');
    const c = await ssh('alice+demo', join(keys, 'alice'), ['tr a-z A-Z'], 'piped input\n');
    assert.equal(c.stdout, 'PIPED INPUT\n', 'stdin reaches the command and EOF ends it');
    const t = await ssh('alice+demo', join(keys, 'alice'), ['-tt', 'tty']);
    assert.match(t.stdout, /^\/dev\/pts\/\d+/, '-t gives a TTY');
  });

  test('client environment variables pass only where the environment allows them by name', async () => {
    const a = await ssh('alice+envlab', join(keys, 'alice'), ['-o', 'SetEnv=COURSE=nsm101 SECRET=x', 'echo "[$COURSE][$SECRET]"']);
    assert.equal(a.stdout, '[nsm101][]\n');
    const b = await ssh('alice+demo', join(keys, 'alice'), ['-o', 'SetEnv=COURSE=nsm101', 'echo "[$COURSE]"']);
    assert.equal(b.stdout, '[]\n', 'demo accepts no client variables');
  });

  test('legacy scp -O fails with a clear message when the image has no scp', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        'scp',
        ['-O', '-P', String(islet.port), ...OPENSSH_BATCH, '-i', join(keys, 'alice'), join(keys, 'alice.pub'), 'alice+demo@127.0.0.1:x'],
        { timeout: 30_000 },
        (err, _o, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
      );
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /has no scp program; use a current scp/);
  });

  test('node ssh2 client: exec with separate streams and exit code', async () => {
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: 'alice+demo', privateKey: readFileSync(join(keys, 'alice')), hostVerifier: () => true }),
    );
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve, reject) =>
      c.exec('echo o; echo e >&2; exit 5', (err, ch) => {
        if (err) return reject(err);
        let out = '',
          e = '';
        ch.on('data', (b: Buffer) => {
          out += b;
        });
        ch.stderr.on('data', (b: Buffer) => {
          e += b;
        });
        ch.on('exit', (code: number) => {
          ch.on('close', () => resolve({ code, out, err: e }));
        });
      }),
    );
    assert.deepEqual(r, { code: 5, out: 'o\n', err: 'e\n' });
    // A signal request reaches the command (exec of `sleep` gets SIGTERM: status 143 instead of 30 s of waiting).
    const started = Date.now();
    const code = await new Promise<number>((resolve, reject) =>
      c.exec('exec sleep 30', (err, ch) => {
        if (err) return reject(err);
        ch.on('data', () => undefined);
        setTimeout(() => ch.signal('TERM'), 700);
        ch.on('exit', (x: number | null) => resolve(x ?? -1));
      }),
    );
    assert.ok(Date.now() - started < 10_000, 'the command ended at the signal');
    assert.equal(code, 143);
    c.end();
  });

  test('a wrong key gets the normal SSH refusal; the gate login cannot run commands', async () => {
    const r = await ssh('alice+demo', join(keys, 'other'), ['true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied/);
    const g = await ssh('demo', join(keys, 'alice'), ['true']);
    assert.equal(g.code, 255, 'no key login for the gate account');
  });

  test('ssh alice@host goes straight to the menu; ssh alice+demo@host straight into the shell (password or key)', async () => {
    const s = await TmuxSsh.connect({
      port: islet.port,
      user: 'alice',
      extraArgs: ['-i', join(keys, 'alice'), '-o', 'IdentitiesOnly=yes', '-o', 'PubkeyAuthentication=yes', '-o', 'PreferredAuthentications=publickey'],
    });
    await s.waitFor('Your account will expire on');
    await s.waitFor('Available configurations:');
    assert.ok(!(await s.history()).includes('new or existing'), 'no account questions');
    await s.close();
    const p = await TmuxSsh.connect({ port: islet.port, user: 'alice+demo' });
    await p.waitFor(/password:/i);
    await p.line('secret1');
    await p.waitFor('Welcome back!');
    await p.waitFor(PROMPT);
    assert.equal(await sh(p, 'hostname'), 'demo');
    await p.line('exit');
    await p.waitExit();
    await p.close();
    const bad = await TmuxSsh.connect({ port: islet.port, user: 'alice+demo' });
    await bad.waitFor(/password:/i);
    await bad.line('wrong');
    await bad.waitFor(/password:/i);
    await bad.close();
  });
});
