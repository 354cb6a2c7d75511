/**
 * File transfer with the real OpenSSH tools against the real server:
 * `scp` (SFTP protocol) and `sftp -b` as alice+demo with an enrolled key.
 * Files land in the trainee's container with its user's ownership; the
 * kernel decides what that user may reach; big files stream through ISLET
 * without being held in its memory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, type SFTPWrapper } from 'ssh2';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { LABEL_ACCOUNT } from '../../src/runtime/names.ts';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { LABEL_TEST, sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { choose, createAccount, gate } from '../helpers/trainee.ts';

const exec = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-sftp-'));
const key = join(work, 'key');
const USER = 'alice+demo';
const BIG = 200_000_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const SSH_OPTS = `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes -o PreferredAuthentications=publickey -i ${key}`;

function tool(cmd: 'ssh' | 'scp' | 'sftp', args: string[], timeoutMs = 60_000): Promise<Result> {
  const port = cmd === 'ssh' ? ['-p', String(islet.port)] : ['-P', String(islet.port)];
  return run(cmd, [...port, ...SSH_OPTS.split(' '), ...args], timeoutMs);
}

/** A shell command line of the test's own making (redirections), run in the work directory. */
function shell(line: string, timeoutMs = 120_000): Promise<Result> {
  return run('sh', ['-c', line], timeoutMs);
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (b) => {
      stdout += b;
    });
    p.stderr.on('data', (b) => {
      stderr += b;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const remote = (path: string) => `${USER}@127.0.0.1:${path}`;
const inContainer = async (cmd: string) => (await tool('ssh', [`${USER}@127.0.0.1`, cmd])).stdout.trim();

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function rssKiB(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${islet.pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** Runs `fn` while sampling ISLET's resident memory; resolves with fn's result and the highest sample. */
async function sampled<T>(fn: () => Promise<T>): Promise<{ value: T; peakKiB: number }> {
  let peakKiB = rssKiB();
  const timer = setInterval(() => {
    peakKiB = Math.max(peakKiB, rssKiB());
  }, 50);
  try {
    const value = await fn();
    return { value, peakKiB: Math.max(peakKiB, rssKiB()) };
  } finally {
    clearInterval(timer);
  }
}

async function aliceContainer(): Promise<string> {
  const [c] = await new DockerDriver().find({ [LABEL_TEST]: runId, [LABEL_ACCOUNT]: 'alice' });
  assert.ok(c, "alice's demo container exists");
  return c.id;
}

describe('sftp and scp into the trainee container', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const s = await gate(islet.port);
    await createAccount(s, 'alice', 'secret1');
    await choose(s, 'add_key');
    await s.waitFor('Paste one SSH public key line');
    await s.line(readFileSync(`${key}.pub`, 'utf8').trim());
    await s.waitFor('Key added.');
    await s.close();
    // Fail fast (not test by test after long timeouts) when the server does not answer SFTP at all.
    writeFileSync(join(work, 'pwd.batch'), 'pwd\n');
    const probe = await tool('sftp', ['-b', 'pwd.batch', `${USER}@127.0.0.1`], 30_000);
    assert.match(probe.stdout, /Remote working directory: \/home\/student/, `sftp does not answer (code ${probe.code}): ${probe.stderr}`);
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('scp round trip of a small file, byte for byte, owned by the container user', async () => {
    const data = randomBytes(5000);
    writeFileSync(join(work, 'small.bin'), data);
    const up = await tool('scp', ['small.bin', remote('small.bin')]);
    assert.equal(up.code, 0, up.stderr);
    const down = await tool('scp', [remote('small.bin'), 'small.back']);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(readFileSync(join(work, 'small.back')).equals(data));
    assert.equal(await inContainer('stat -c "%u %g %a %s" /home/student/small.bin'), '1000 1000 644 5000');
  });

  test("a 200 MB file streams both ways without being held in ISLET's memory", async (t) => {
    // The SSH transport alone (ssh2's buffers, the heap growing to its working size) takes some memory
    // at this speed: measure the peak of the same 200 MB both ways over a plain `ssh` command first,
    // then check SFTP stays close to it. A server holding the file would peak ~200 MB higher.
    await exec('dd', ['if=/dev/urandom', `of=${join(work, 'big.bin')}`, 'bs=1000000', `count=${BIG / 1_000_000}`, 'status=none']);
    const startKiB = rssKiB();
    const plain = await sampled(async () => {
      assert.equal((await shell(`ssh -p ${islet.port} ${SSH_OPTS} ${USER}@127.0.0.1 'cat > /dev/null' < big.bin`)).code, 0);
      assert.equal((await shell(`ssh -p ${islet.port} ${SSH_OPTS} ${USER}@127.0.0.1 'head -c ${BIG} /dev/zero' > /dev/null`)).code, 0);
    });
    const before = Math.max(plain.peakKiB, rssKiB());
    const {
      value: [upSec, downSec],
      peakKiB,
    } = await sampled(async () => {
      let t0 = Date.now();
      const up = await tool('scp', ['big.bin', remote('big.bin')], 120_000);
      assert.equal(up.code, 0, up.stderr);
      const upSec = (Date.now() - t0) / 1000;
      t0 = Date.now();
      const down = await tool('scp', [remote('big.bin'), 'big.back'], 120_000);
      assert.equal(down.code, 0, down.stderr);
      return [upSec, (Date.now() - t0) / 1000];
    });
    assert.equal(await sha256(join(work, 'big.back')), await sha256(join(work, 'big.bin')));
    assert.equal(await inContainer('stat -c "%u %s" /home/student/big.bin'), `1000 ${BIG}`);
    const growthMiB = (peakKiB - before) / 1024;
    t.diagnostic(
      `200 MB: up ${(BIG / 1e6 / upSec).toFixed(1)} MB/s (${upSec.toFixed(1)} s), down ${(BIG / 1e6 / downSec).toFixed(1)} MB/s (${downSec.toFixed(1)} s); ISLET RSS ${Math.round(startKiB / 1024)} MiB at start, peak ${Math.round(before / 1024)} MiB for plain ssh streams, peak ${Math.round(peakKiB / 1024)} MiB for scp (+${growthMiB.toFixed(1)} MiB over plain ssh, +${((peakKiB - startKiB) / 1024).toFixed(1)} MiB over start)`,
    );
    assert.ok(growthMiB < 64, `ISLET's memory peak grew by ${growthMiB.toFixed(1)} MiB over plain ssh streams of the same size`);
    rmSync(join(work, 'big.bin'));
    rmSync(join(work, 'big.back'));
    await inContainer('rm -f big.bin');
  });

  test('scp -r copies a directory tree both ways', async () => {
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'a', 'b'), { recursive: true });
    mkdirSync(join(tree, 'empty'));
    writeFileSync(join(tree, 'a', 'one.txt'), 'one\n');
    writeFileSync(join(tree, 'a', 'b', 'two words.txt'), 'two\n');
    writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(tree, 'rand.bin'), randomBytes(300_000));
    const up = await tool('scp', ['-r', 'tree', remote('')]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(
      await inContainer('cd tree && find . | sort && stat -c "%u %a" run.sh a/b'),
      '.\n./a\n./a/b\n./a/b/two words.txt\n./a/one.txt\n./empty\n./rand.bin\n./run.sh\n1000 755\n1000 755',
    );
    const down = await tool('scp', ['-r', remote('tree'), 'tree.back']);
    assert.equal(down.code, 0, down.stderr);
    for (const f of ['a/one.txt', 'a/b/two words.txt', 'run.sh', 'rand.bin']) {
      assert.ok(readFileSync(join(work, 'tree.back', f)).equals(readFileSync(join(tree, f))), f);
    }
  });

  test('sftp -b: ls, mkdir, put, get, rename, chmod, symlink, rm, rmdir', async () => {
    writeFileSync(join(work, 'note.txt'), 'hello sftp\n');
    writeFileSync(
      join(work, 'batch'),
      [
        'mkdir box',
        'cd box',
        'put note.txt',
        'ls -l',
        'rename note.txt renamed.txt',
        'chmod 600 renamed.txt',
        'symlink renamed.txt link.txt',
        'ls -l',
        'get renamed.txt got.txt',
        'rm link.txt',
        'rm renamed.txt',
        'cd ..',
        'rmdir box',
        'ls',
        '',
      ].join('\n'),
    );
    const r = await tool('sftp', ['-b', 'batch', `${USER}@127.0.0.1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /-rw-r--r-- +1 student +student +11 \w{3} [ \d]\d \d\d:\d\d note\.txt/);
    assert.match(r.stdout, /-rw------- +1 student +student +11 .* renamed\.txt/);
    assert.match(r.stdout, /lrwxrwxrwx +1 student +student +11 .* link\.txt/);
    assert.equal(readFileSync(join(work, 'got.txt'), 'utf8'), 'hello sftp\n');
    assert.doesNotMatch(r.stdout.split('sftp> ls\n')[1] ?? '', /box/, 'box was removed');
    assert.equal(await inContainer('ls -a box 2>&1; echo done'), 'ls: box: No such file or directory\ndone');
  });

  test('out-of-order writes and scattered reads over one handle (node ssh2 client)', async () => {
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: USER, privateKey: readFileSync(key), hostVerifier: () => true }),
    );
    try {
      const sftp = await new Promise<SFTPWrapper>((res, rej) => c.sftp((err, s) => (err ? rej(err) : res(s))));
      const data = randomBytes(1_000_000);
      const call = <T>(f: (cb: (err: Error | null | undefined, v: T) => void) => void) =>
        new Promise<T>((res, rej) => f((err, v) => (err ? rej(err) : res(v))));
      const h = await call<Buffer>((cb) => sftp.open('scatter.bin', 'w', cb));
      const offsets = Array.from({ length: 1_000_000 / 50_000 }, (_, i) => i * 50_000).reverse();
      await Promise.all(offsets.map((o) => call<void>((cb) => sftp.write(h, data, o, 50_000, o, (err) => cb(err, undefined)))));
      // Far beyond what is held for reordering: a seeking writer leaves a hole.
      await call<void>((cb) => sftp.write(h, Buffer.from('END'), 0, 3, 20_000_000, (err) => cb(err, undefined)));
      await call<void>((cb) => sftp.close(h, (err) => cb(err, undefined)));
      const r = await call<Buffer>((cb) => sftp.open('scatter.bin', 'r', cb));
      const tail = Buffer.alloc(10);
      assert.equal(await new Promise<number>((res, rej) => sftp.read(r, tail, 0, 10, 19_999_997, (err, n) => (err ? rej(err) : res(n)))), 6);
      assert.equal(tail.subarray(0, 6).toString('latin1'), '\0\0\0END');
      for (const [o, n] of [
        [900_000, 100_000],
        [10, 1000],
        [500_000, 30_000],
        [999_990, 10],
      ] as const) {
        const buf = Buffer.alloc(n);
        const got = await new Promise<number>((res, rej) => sftp.read(r, buf, 0, n, o, (err, bytes) => (err ? rej(err) : res(bytes))));
        assert.ok(buf.subarray(0, got).equals(data.subarray(o, o + n)), `bytes at ${o}`);
      }
      await call<void>((cb) => sftp.close(r, (err) => cb(err, undefined)));
      const st = await call<{ size: number; uid: number }>((cb) => sftp.stat('scatter.bin', cb));
      assert.deepEqual([st.size, st.uid], [20_000_003, 1000]);
      await assert.rejects(
        call((cb) => sftp.stat('/no/such/file', cb)),
        /No such file/,
      );
    } finally {
      c.end();
    }
  });

  test('the kernel decides: a root-only file cannot be read, / cannot be written, both said clearly', async () => {
    const driver = new DockerDriver();
    const id = await aliceContainer();
    const e = await driver.exec(id, { cmd: ['sh', '-c', 'echo top-secret > /root-only.txt && chmod 600 /root-only.txt'], user: 'root' });
    e.stdin.end();
    assert.equal(await e.exited, 0);
    const get = await tool('scp', [remote('/root-only.txt'), 'stolen.txt']);
    assert.notEqual(get.code, 0);
    assert.match(get.stderr, /\/root-only\.txt.*Permission denied/);
    const put = await tool('scp', ['small.bin', remote('/')]);
    assert.notEqual(put.code, 0);
    assert.match(put.stderr, /"\/small\.bin": Permission denied/);
    const missing = await tool('scp', [remote('/no/such/file'), 'x']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such file or directory/);
  });

  test('the gate login gets no sftp', async () => {
    const c = new Client();
    await new Promise<void>((res, rej) =>
      c
        .once('ready', () => res())
        .once('error', rej)
        .connect({ host: '127.0.0.1', port: islet.port, username: 'demo', password: 'demo', hostVerifier: () => true }),
    );
    try {
      const err = await new Promise<Error | undefined>((res) => c.sftp((e) => res(e ?? undefined)));
      assert.ok(err, 'the sftp subsystem is refused');
    } finally {
      c.end();
    }
  });
});
