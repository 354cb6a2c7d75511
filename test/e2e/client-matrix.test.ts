/**
 * The SSH client matrix (docs/ssh.md): every common client against the whole server, each through the
 * menu where it can hold a terminal (driven in tmux), and each with a command (both streams apart, the
 * exit status back) and a file transfer compared byte for byte.
 *
 *   OpenSSH ssh, scp, sftp · PuTTY plink, pscp, psftp · Dropbear dbclient (also as the transport of
 *   OpenSSH's scp -S and sftp -S) · paramiko · asyncssh · curl sftp:// (libssh2)
 *
 * Host keys are checked where the client can (OpenSSH gets none: the other e2e tests cover it): PuTTY
 * with -hostkey <fingerprint>, dbclient against a known_hosts file holding ISLET's ed25519 key.
 * The clients come from Debian (scripts/setup.sh --test).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, addKey, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { OPENSSH_BATCH } from '../helpers/openssh-args.ts';

const runFile = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const dir = mkdtempSync(join(tmpdir(), 'islet-clients-'));
const user = 'matrix';
const password = 'Matrix-pw1';
const key = join(dir, 'id_ed25519');
const dropbearKey = join(dir, 'id_dropbear');
const payload = join(dir, 'payload.bin');
/** Debian's python3, which has python3-paramiko and python3-asyncssh (a pyenv python3 on PATH would not). */
const python = '/usr/bin/python3';
let hostKeyFingerprint = '';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client to its end; stdin is closed at once unless `input` is given. Never throws. */
function client(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: dir });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (b) => {
      stdout += b;
    });
    p.stderr.on('data', (b) => {
      stderr += b;
    });
    p.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The command every client runs: two streams and an exit status to keep apart. */
const probe = 'echo out; echo err >&2; hostname; exit 3';

function assertProbe(r: Result, name: string, stderr: RegExp | string = 'err\n'): void {
  assert.equal(r.code, 3, `${name}: exit status comes back; stderr: ${r.stderr}`);
  assert.equal(r.stdout, 'out\ndemo\n', `${name}: stdout`);
  if (typeof stderr === 'string') assert.equal(r.stderr, stderr, `${name}: stderr apart from stdout`);
  else assert.match(r.stderr, stderr, `${name}: stderr apart from stdout`);
}

/** The file `remote` (in the container's home) as `sha256sum` sees it from inside. */
async function remoteSum(remote: string): Promise<string> {
  const r = await client('ssh', [...opensshArgs(), `${user}+demo@127.0.0.1`, `sha256sum ${remote}`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split(' ')[0]!;
}

function sha256(path: string): Promise<string> {
  return runFile('sha256sum', [path]).then((r) => r.stdout.split(' ')[0]!);
}

/** Each downloaded copy (in `dir`) and each uploaded file (in the container's home) is the payload, byte for byte. */
async function assertCopies(downloaded: string[], uploaded: string[]): Promise<void> {
  const sum = await sha256(payload);
  for (const f of downloaded) assert.equal(await sha256(join(dir, f)), sum, `downloaded ${f}`);
  for (const f of uploaded) assert.equal(await remoteSum(f), sum, `uploaded ${f}`);
}

function opensshArgs(): string[] {
  return ['-p', String(islet.port), ...OPENSSH_BATCH, '-o', 'PreferredAuthentications=publickey', '-i', key];
}

function puttyArgs(port: '-P'): string[] {
  return ['-batch', port, String(islet.port), '-hostkey', hostKeyFingerprint, '-pw', password];
}

/** dbclient checks host keys against $HOME/.ssh/known_hosts (bare host name, whatever the port). */
const dropbearEnv = (): NodeJS.ProcessEnv => ({ HOME: join(dir, 'dbhome') });

/**
 * One trip through the menu in a terminal client already started in tmux: pick `demo`, run commands at the
 * prompt (a real TTY of the tmux window's size), leave the shell back to the menu, quit the menu with Ctrl-C.
 */
async function menuTrip(s: TmuxSsh): Promise<void> {
  await s.waitFor('Available configurations:', 60_000);
  await choose(s, 'demo');
  await s.waitFor(PROMPT, 60_000);
  assert.equal(await sh(s, 'hostname'), 'demo');
  assert.match(await sh(s, 'tty'), /^\/dev\/pts\/\d+$/);
  assert.equal(await sh(s, 'stty size'), '40 120', 'the TTY has the client window size');
  await s.line('exit');
  await s.waitFor('Available configurations:');
  await s.keys('C-c');
  await s.waitFor('Quit by user...');
  await s.waitExit();
  await s.close();
}

describe('SSH client matrix', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
    writeFileSync(payload, randomBytes(300_000));
    await runFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    await runFile('dropbearconvert', ['openssh', 'dropbear', key, dropbearKey]);
    const hostPub = readFileSync(join(islet.dataDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(/\s+/);
    hostKeyFingerprint = (await runFile('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(islet.dataDir, 'ssh_host_ed25519_key.pub')])).stdout.split(' ')[1]!;
    mkdirSync(join(dir, 'dbhome/.ssh'), { recursive: true });
    writeFileSync(join(dir, 'dbhome/.ssh/known_hosts'), `127.0.0.1 ${hostPub[0]} ${hostPub[1]}\n`);
    // OpenSSH's scp and sftp call their -S program with OpenSSH options; dbclient ignores the ones it does not know.
    writeFileSync(join(dir, 'dbclient-transport'), `#!/bin/sh\nexec dbclient -i '${dropbearKey}' "$@"\n`);
    chmodSync(join(dir, 'dbclient-transport'), 0o755);
    const s = await gate(islet.port);
    await createAccount(s, user, password);
    await addKey(s, readFileSync(`${key}.pub`, 'utf8'));
    await s.close();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(dir, { recursive: true, force: true });
  });

  test('OpenSSH ssh: the menu in a terminal, and a command', async () => {
    await menuTrip(
      await TmuxSsh.connect({
        port: islet.port,
        user,
        extraArgs: ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'PubkeyAuthentication=yes', '-o', 'PreferredAuthentications=publickey'],
      }),
    );
    assertProbe(await client('ssh', [...opensshArgs(), `${user}+demo@127.0.0.1`, probe]), 'ssh');
  });

  test('OpenSSH scp and sftp: upload and download, byte for byte', async () => {
    const up = await client('scp', [...opensshArgs().map((a) => (a === '-p' ? '-P' : a)), payload, `${user}+demo@127.0.0.1:openssh-scp.bin`]);
    assert.equal(up.code, 0, up.stderr);
    const down = await client('scp', [
      ...opensshArgs().map((a) => (a === '-p' ? '-P' : a)),
      `${user}+demo@127.0.0.1:openssh-scp.bin`,
      join(dir, 'openssh-scp.back'),
    ]);
    assert.equal(down.code, 0, down.stderr);
    const batch = `put ${payload} openssh-sftp.bin\nget openssh-sftp.bin ${join(dir, 'openssh-sftp.back')}\n`;
    const sftp = await client('sftp', [...opensshArgs().map((a) => (a === '-p' ? '-P' : a)), '-b', '-', `${user}+demo@127.0.0.1`], { input: batch });
    assert.equal(sftp.code, 0, sftp.stderr);
    await assertCopies(['openssh-scp.back', 'openssh-sftp.back'], ['openssh-scp.bin', 'openssh-sftp.bin']);
  });

  test('PuTTY plink: the menu in a terminal (host key pinned), and a command', async () => {
    const s = await TmuxSsh.spawn(['plink', '-ssh', '-t', '-P', String(islet.port), '-hostkey', hostKeyFingerprint, '-pw', password, `${user}@127.0.0.1`]);
    // PuTTY's anti-spoofing pause after keyboard-interactive prompts: a trainee presses Return.
    await s.waitFor('Press Return to begin session.', 60_000);
    await s.keys('Enter');
    await menuTrip(s);
    assertProbe(await client('plink', ['-ssh', ...puttyArgs('-P'), `${user}+demo@127.0.0.1`, probe]), 'plink', /^err$/m);
  });

  test('PuTTY plink refuses a server whose host key is not the pinned one (the pin is checked)', async () => {
    const wrong = 'SHA256:' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '');
    const r = await client('plink', ['-ssh', '-batch', '-P', String(islet.port), '-hostkey', wrong, '-pw', password, `${user}+demo@127.0.0.1`, 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FATAL ERROR: Host key not in manually configured list/);
  });

  test('PuTTY pscp and psftp: upload and download, byte for byte', async () => {
    const up = await client('pscp', [...puttyArgs('-P'), '-q', payload, `${user}+demo@127.0.0.1:putty-pscp.bin`]);
    assert.equal(up.code, 0, up.stderr);
    const down = await client('pscp', [...puttyArgs('-P'), '-q', `${user}+demo@127.0.0.1:putty-pscp.bin`, join(dir, 'putty-pscp.back')]);
    assert.equal(down.code, 0, down.stderr);
    writeFileSync(join(dir, 'psftp.batch'), `put ${payload} putty-psftp.bin\nget putty-psftp.bin ${join(dir, 'putty-psftp.back')}\nquit\n`);
    const sftp = await client('psftp', [...puttyArgs('-P'), '-b', join(dir, 'psftp.batch'), `${user}+demo@127.0.0.1`]);
    assert.equal(sftp.code, 0, sftp.stderr);
    await assertCopies(['putty-pscp.back', 'putty-psftp.back'], ['putty-pscp.bin', 'putty-psftp.bin']);
  });

  test('Dropbear dbclient: key exchange with its guessed first packet, a command, and the menu in a terminal', async () => {
    // dbclient sends its curve25519-sha256 guess with its KEXINIT; before patches/ssh2+1.17.0.patch it waited for ever here.
    assertProbe(
      await client('dbclient', ['-i', dropbearKey, '-p', String(islet.port), `${user}+demo@127.0.0.1`, probe], { env: dropbearEnv(), timeoutMs: 60_000 }),
      'dbclient',
    );
    await menuTrip(
      await TmuxSsh.spawn(['env', `HOME=${join(dir, 'dbhome')}`, 'dbclient', '-t', '-i', dropbearKey, '-p', String(islet.port), `${user}@127.0.0.1`]),
    );
  });

  test('Dropbear dbclient as the transport of scp -S and sftp -S: upload and download, byte for byte', async () => {
    const t = ['-S', join(dir, 'dbclient-transport'), '-P', String(islet.port)];
    const up = await client('scp', [...t, payload, `${user}+demo@127.0.0.1:dropbear-scp.bin`], { env: dropbearEnv() });
    assert.equal(up.code, 0, up.stderr);
    const down = await client('scp', [...t, `${user}+demo@127.0.0.1:dropbear-scp.bin`, join(dir, 'dropbear-scp.back')], { env: dropbearEnv() });
    assert.equal(down.code, 0, down.stderr);
    const sftp = await client('sftp', [...t, '-b', '-', `${user}+demo@127.0.0.1`], {
      env: dropbearEnv(),
      input: `put ${payload} dropbear-sftp.bin\nget dropbear-sftp.bin ${join(dir, 'dropbear-sftp.back')}\n`,
    });
    assert.equal(sftp.code, 0, sftp.stderr);
    await assertCopies(['dropbear-scp.back', 'dropbear-sftp.back'], ['dropbear-scp.bin', 'dropbear-sftp.bin']);
  });

  for (const lib of ['paramiko', 'asyncssh'] as const) {
    test(`${lib}: a command and an SFTP round trip`, async () => {
      const r = await client(python, [join(repoRoot, `test/clients/${lib}_client.py`), String(islet.port), `${user}+demo`, key, payload, `${lib}.bin`], {
        env: { PYTHONWARNINGS: 'ignore' },
      });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { stdout: string; stderr: string; code: number; size: number };
      assert.deepEqual({ ...out }, { stdout: 'out\ndemo\n', stderr: 'err\n', code: 3, size: 300_000 });
      await assertCopies(['payload.bin.back'], [`${lib}.bin`]);
    });
  }

  test('curl sftp:// (libssh2): upload and download, byte for byte', async () => {
    const auth = ['-sS', '--insecure', '--user', `${user}+demo:${password}`];
    const up = await client('curl', [...auth, '-T', payload, `sftp://127.0.0.1:${islet.port}/~/curl.bin`]);
    assert.equal(up.code, 0, up.stderr);
    const down = await client('curl', [...auth, '-o', join(dir, 'curl.back'), `sftp://127.0.0.1:${islet.port}/~/curl.bin`]);
    assert.equal(down.code, 0, down.stderr);
    await assertCopies(['curl.back'], ['curl.bin']);
  });
});
