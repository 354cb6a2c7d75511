/**
 * `disk_quota` end to end against a many-small-files fill: the real server's
 * periodic disk check (every 2 s here) stops a container whose trainee writes
 * thousands of tiny files — each far under the 1 GiB `fsize` limit, and
 * together only a few kilobytes by the engine's own byte count (`SizeRw`),
 * yet megabytes of the host's disk. Files are kept; the stop reason is stored.
 * Control: the same container, under its quota, runs through several checks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';
import { SSH_PROMPT, chooseSsh, newAccountSsh, shSsh } from '../helpers/ssh-journey.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();
const docker = new Docker();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUOTA_MB = 16;
/** Two-byte files: 8,000 of them are 16 kB of data and about 32 MB of 4 KiB blocks. */
const FILES = 8000;
let t: SshTrainee | undefined;

interface AccountJson {
  name: string;
  containers: { environment: string; containerId: string; state: string; stopReason?: string }[];
}

describe('disk_quota stops a many-small-files fill', { concurrency: false }, () => {
  before(async () => {
    appendFileSync(join(islet.configDir, 'islet.yaml'), '\ndisk_check_interval: 2s\n');
    writeFileSync(
      join(islet.configDir, 'environments', 'tiny.yaml'),
      `image: islet/demo:latest\ndescription: Small disk quota\nuser: student\ncommand: /bin/sh -l\ndisk_quota: ${QUOTA_MB}m\n`,
    );
    await islet.start();
  });
  after(async () => {
    t?.end();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test(`${FILES} two-byte files: the container is stopped over its ${QUOTA_MB} MB quota, files kept, reason stored`, async (ctx) => {
    t = new SshTrainee();
    await t.connect(islet.port);
    await newAccountSsh(t, 'tiny');
    await chooseSsh(t, 'tiny');
    await t.waitFor(SSH_PROMPT);
    const name = `${islet.instance}.tiny.tiny`;
    const id = (await driver.inspect(name))!.id;

    // Control: under the quota, the container runs through several checks (the first comes 5 s after start).
    await shSsh(t, 'echo small > note');
    await sleep(9000);
    assert.equal((await driver.inspect(id))?.state, 'running', 'a container under its quota is left running');
    assert.ok(!islet.logs.some((l) => l.event === 'container_stopped'), 'nothing stopped yet');

    t.send(`mkdir -p many && cd many && i=0; while [ $i -lt ${FILES} ]; do echo x > f$i; i=$((i+1)); done; echo "wrote=$i"\r`);
    await t.waitFor(new RegExp(`over its quota of ${QUOTA_MB} MB, and is being stopped`), 120_000);
    const stopped = await islet.waitForLog((l) => l.event === 'container_stopped' && l.account === 'tiny', 30_000);
    assert.equal(stopped.reason, 'disk_quota');
    for (let i = 0; i < 40 && (await driver.inspect(id))?.state !== 'exited'; i++) await sleep(250);
    assert.equal((await driver.inspect(id))?.state, 'exited', 'stopped, not removed');

    const { stdout } = await run(join(repoRoot, 'bin/islet'), ['accounts', '--json', '--config', islet.configDir, '--data', islet.dataDir], {
      env: { ...process.env, ISLET_INSTANCE: islet.instance },
      timeout: 30_000,
    });
    const row = (JSON.parse(stdout) as AccountJson[]).find((a) => a.name === 'tiny')?.containers[0];
    assert.match(row?.stopReason ?? '', new RegExp(`^disk_quota: \\d+ MB written, quota ${QUOTA_MB} MB`));

    // What was written, read on the host: many files, few bytes. The engine's byte count alone would
    // never have reached the quota; the blocks they take did.
    const info = (await docker.getContainer(id).inspect({ size: true } as object)) as { SizeRw?: number; GraphDriver?: { Data?: { UpperDir?: string } } };
    const files = readdirSync(join(info.GraphDriver!.Data!.UpperDir!, 'home/student/many')).length;
    ctx.diagnostic(`stopped after ${files} files; the engine counts ${info.SizeRw} bytes written; ${row?.stopReason}`);
    assert.ok(files > QUOTA_MB * 256 && files <= FILES, `over the quota by the blocks they take, and kept (${files} files of 4 KiB)`);
    assert.ok((info.SizeRw ?? 0) < 1024 * 1024, `by the engine's byte count (${info.SizeRw}) the fill is far under the quota: only the blocks stopped it`);
  });
});
