/**
 * `ssh -L` into the trainee's own lab: a forwarded HTTP request is answered
 * by a server inside a `network: none` container; ports not listed, other
 * hosts and remote forwarding are refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { choose, createAccount, gate } from '../helpers/trainee.ts';
import { OPENSSH_BATCH } from '../helpers/openssh-args.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const keys = mkdtempSync(join(tmpdir(), 'islet-fwd-'));
const children: ChildProcess[] = [];

const sshBase = () => ['-p', String(islet.port), ...OPENSSH_BATCH, '-i', join(keys, 'k')];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Starts `ssh -N -L local:target` and resolves once the local port listens. */
async function forward(local: number, target: string, extra: string[] = []): Promise<ChildProcess> {
  const p = spawn('ssh', [...sshBase(), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${local}:${target}`, ...extra, 'lab1+web@127.0.0.1'], {
    stdio: 'ignore',
  });
  children.push(p);
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${local}/`, { signal: AbortSignal.timeout(500) }).then(
      () => true,
      (e: Error) => !/ECONNREFUSED/.test(String((e as { cause?: Error }).cause?.message ?? e.message)),
    );
    if (ok) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('ssh -L did not start listening');
}

describe('port forwarding into the trainee lab over OpenSSH', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(
      join(islet.configDir, 'environments/web.yaml'),
      'image: islet/demo:latest\nuser: student\nnetwork: none\nforward_ports: [8080]\ndescription: Web lab\n',
    );
    await islet.start();
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'k')]);
    const s = await gate(islet.port);
    await createAccount(s, 'lab1');
    await choose(s, 'add_key');
    await s.line(readFileSync(join(keys, 'k.pub'), 'utf8').trim());
    await s.waitFor('Key added.');
    await s.close();
    // A web server inside the trainee's container, on its loopback only (the container has no network).
    await run(
      'ssh',
      [...sshBase(), 'lab1+web@127.0.0.1', 'mkdir -p www && echo hello-from-lab > www/index.html && httpd -p 127.0.0.1:8080 -h www && ip -o link | wc -l'],
      { timeout: 30_000 },
    );
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(keys, { recursive: true, force: true });
  });

  test('a forwarded HTTP request is answered by the server inside the network:none container', async () => {
    const { stdout } = await run('ssh', [...sshBase(), 'lab1+web@127.0.0.1', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "'], { timeout: 30_000 });
    assert.equal(stdout.trim(), 'lo', 'the container has only loopback');
    const local = await freePort();
    const p = await forward(local, 'localhost:8080');
    const res = await fetch(`http://127.0.0.1:${local}/index.html`);
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), 'hello-from-lab');
    const again = await fetch(`http://127.0.0.1:${local}/index.html`);
    assert.equal((await again.text()).trim(), 'hello-from-lab', 'a second connection works too');
    p.kill();
    assert.ok(islet.logs.some((l) => l.event === 'forward_opened' && l.port === 8080));
  });

  test('ports not listed, other hosts and remote forwarding are refused', async () => {
    const local = await freePort();
    const p = await forward(local, 'localhost:22');
    await assert.rejects(fetch(`http://127.0.0.1:${local}/`, { signal: AbortSignal.timeout(5000) }), 'port 22 is not in forward_ports');
    p.kill();
    const l2 = await freePort();
    const q = await forward(l2, '172.17.0.1:8080');
    await assert.rejects(fetch(`http://127.0.0.1:${l2}/`, { signal: AbortSignal.timeout(5000) }), 'only localhost inside the container');
    q.kill();
    const r = await new Promise<number>((resolve) => {
      const c = spawn('ssh', [...sshBase(), '-N', '-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9', 'lab1+web@127.0.0.1'], { stdio: 'ignore' });
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      c.on('close', (code) => {
        clearTimeout(t);
        resolve(code ?? -1);
      });
    });
    assert.equal(r, 255, 'remote forwarding is refused');
  });
});
