/**
 * Export of a trainee's work: the menu shows the download command,
 * `islet export` archives a home for the instructor, export_on_expiry keeps
 * a home when the clock removes the container, and `islet keys` enrolls keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { OPENSSH_BATCH } from '../helpers/openssh-args.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const work = mkdtempSync(join(tmpdir(), 'islet-export-'));
const driver = new DockerDriver();
const islet_ = (...args: string[]) =>
  run(join(repoRoot, 'bin/islet'), [...args, '--config', islet.configDir, '--data', islet.dataDir], {
    env: { ...process.env, ISLET_INSTANCE: islet.instance },
    timeout: 60_000,
  });

describe("export of a trainee's work", { concurrency: false }, () => {
  before(async () => {
    writeFileSync(join(islet.configDir, 'islet.yaml'), 'public_address: islet.example.org:2222\nreconcile_interval: 1s\n');
    writeFileSync(join(islet.configDir, 'environments/keepme.yaml'), 'image: islet/demo:latest\nuser: student\nexport_on_expiry: true\n');
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
    rmSync(work, { recursive: true, force: true });
  });

  test('the menu shows the download command; islet export archives the home as .tar.gz', async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'erika');
    await choose(s, 'demo');
    await s.waitFor(PROMPT);
    await sh(s, 'mkdir -p lab && echo "my notes" > lab/notes.txt');
    await s.line('exit');
    await choose(s, 'export');
    await s.waitFor('scp -P 2222 -r erika+demo@islet.example.org:/home/student ./erika-demo');
    await s.close();
    const { stdout } = await islet_('export', 'erika', 'demo');
    const file = stdout.trim();
    assert.match(file, /exports\/erika-demo-.*\.tar\.gz$/);
    const list = (await run('tar', ['tzf', file])).stdout;
    assert.match(list, /student\/lab\/notes\.txt/);
    await run('tar', ['xzf', file, '-C', work]);
    assert.equal((await run('cat', [join(work, 'student/lab/notes.txt')])).stdout, 'my notes\n');
  });

  test("export_on_expiry archives the home before the expired account's container is removed", async () => {
    const s = await gate(islet.port);
    await createAccount(s, 'frida');
    await choose(s, 'keepme');
    await s.waitFor(PROMPT);
    await sh(s, 'echo precious > result.txt');
    await s.close();
    await islet_('expire', 'frida');
    // The CLI and the server's own reconcile loop may both act; whichever exports first, the container goes once its archive is whole.
    for (let i = 0; i < 100 && (await driver.inspect(`${islet.instance}.keepme.frida`)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await driver.inspect(`${islet.instance}.keepme.frida`), undefined, 'the container is removed');
    const files = readdirSync(join(islet.dataDir, 'exports')).filter((f) => f.startsWith('frida-keepme-'));
    assert.equal(files.length, 1, 'one archive was written, even with two reconcilers at work');
    assert.ok(files[0]!.endsWith('.tar.gz'), 'complete, not partial');
    const out = (await run('tar', ['xzOf', join(islet.dataDir, 'exports', files[0]!), 'student/result.txt'])).stdout;
    assert.equal(out, 'precious\n');
  });

  test('islet keys enrolls an authorized_keys file; the key then logs in directly', async () => {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'k')]);
    const s = await gate(islet.port);
    await createAccount(s, 'gus');
    await s.close();
    writeFileSync(join(work, 'authorized_keys'), `# comment\n${(await run('cat', [join(work, 'k.pub')])).stdout}not-a-key\n`);
    const r = await islet_('keys', 'gus', join(work, 'authorized_keys')).catch((e: { stdout: string; code: number }) => e);
    assert.match(r.stdout, /added 1 key\(s\) for gus/);
    assert.match(r.stdout, /skipped line 3:/);
    const { stdout } = await run('ssh', ['-p', String(islet.port), ...OPENSSH_BATCH, '-i', join(work, 'k'), 'gus+demo@127.0.0.1', 'echo keyed-in'], {
      timeout: 30_000,
    });
    assert.equal(stdout, 'keyed-in\n');
  });
});
