/**
 * LifecycleService against the real engine with an injected clock: the
 * decisions use the fake time, the effects (stopped, removed, files kept,
 * CPU really used) are the engine's.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { ConfigSource } from '../config/config-source.ts';
import { DockerDriver } from '../runtime/docker/index.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { AttachRegistry } from '../sessions/attach-registry.ts';
import { LABEL_INSTANCE, LABEL_STORE } from '../runtime/names.ts';
import { createLogger } from '../logger.ts';
import { LifecycleService } from './lifecycle-service.ts';
import { MemoryTerminal } from '../../test/helpers/memory-terminal.ts';
import { sweepTestContainers, testRunId } from '../../test/helpers/engine.ts';

const runId = testRunId();
const instance = `lc${runId}`;
const driver = new DockerDriver();
const dir = mkdtempSync(join(tmpdir(), 'islet-lc-'));
mkdirSync(join(dir, 'config/environments'), { recursive: true });
writeFileSync(join(dir, 'config/environments/demo.yaml'), 'image: islet/demo:latest\nuser: student\ntimeout: 1h\nidle_stop: 10m\ndisk_quota: 16m\n');
const config = new ConfigSource(join(dir, 'config'));
const store = new SqliteStore(join(dir, 'islet.db'));
let clock = new Date('2026-11-23T12:00:00Z');
const advance = (s: number) => {
  clock = new Date(clock.getTime() + s * 1000);
};
const attached = new AttachRegistry();
const lifecycle = new LifecycleService({ store, driver, config, log: createLogger({ level: 'silent' }), instance, attached, now: () => clock });

after(async () => {
  await sweepTestContainers(runId);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A container as the runner would make it, running `script`, recorded as started now. */
async function make(account: string, script: string): Promise<string> {
  const env = { ...config.current().environments[0]!, command: ['/bin/sh', '-c', script] };
  const info = await driver.create({
    name: `${instance}.demo.${account}`,
    env,
    labels: { 'islet.test': runId, [LABEL_INSTANCE]: instance, [LABEL_STORE]: store.storeId(), 'islet.account': account, 'islet.environment': 'demo' },
  });
  await driver.start(info.id);
  if (!(await store.getAccount(account)))
    await store.createAccount({ name: account, passwordHash: 'x', createdAt: clock, expiresAt: new Date(clock.getTime() + 3 * 86_400_000) });
  await store.putOwnership({
    account,
    environment: 'demo',
    containerId: info.id,
    containerName: info.name,
    createdAt: info.createdAt,
    state: 'running',
    startedAt: clock,
    lastSeenAt: clock,
  });
  return info.id;
}

async function fileIn(id: string, path: string): Promise<string> {
  const tar = await new Docker().getContainer(id).getArchive({ path });
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

test('maximum running time: warned at 5 and 1 minutes, then stopped with files kept and the reason recorded', async () => {
  const id = await make('runner1', 'echo precious > /home/student/work.txt; exec sleep 100000');
  const term = new MemoryTerminal();
  attached.add(id, term);
  advance(3600 - 299);
  await lifecycle.check();
  assert.match(term.output, /maximum running time in 5 minutes/);
  advance(250);
  await lifecycle.check();
  assert.match(term.output, /maximum running time in 1 minute\b/);
  assert.equal((await driver.inspect(id))?.state, 'running');
  advance(60);
  await lifecycle.check();
  assert.match(term.output, /reached its maximum running time and is being stopped/);
  const after = await driver.inspect(id);
  assert.equal(after?.state, 'exited', 'stopped, not removed');
  assert.match(await fileIn(id, '/home/student/work.txt'), /precious/, 'files are kept');
  assert.match((await store.getOwnership('runner1', 'demo'))?.stopReason ?? '', /^max_runtime/);
  attached.remove(id, term);
});

test('idle culling stops an idle container but spares one whose processes use CPU', async () => {
  const idle = await make('idler', 'exec sleep 100000');
  const busy = await make('busy', 'while :; do :; done');
  advance(601);
  await lifecycle.check(); // first CPU sample for both candidates
  await new Promise((r) => setTimeout(r, 1000));
  advance(1);
  await lifecycle.check();
  assert.equal((await driver.inspect(idle))?.state, 'exited');
  assert.match((await store.getOwnership('idler', 'demo'))?.stopReason ?? '', /^idle/);
  assert.equal((await driver.inspect(busy))?.state, 'running', 'a busy container keeps running');
  await driver.stop(busy, 0);
});

test('reconcile: dry run changes nothing; a real run removes an expired account, its containers and orphans, and adopts', async () => {
  const mine = await make('expiring', 'exec sleep 100000');
  const keep = await make('keeper', 'exec sleep 100000');
  await store.deleteOwnership('keeper', 'demo'); // drift: a live container the store forgot
  const env = config.current().environments[0]!;
  const orphan = await driver.create({
    name: `${instance}.demo.ghost`,
    env,
    labels: { 'islet.test': runId, [LABEL_INSTANCE]: instance, [LABEL_STORE]: store.storeId(), 'islet.account': 'ghost', 'islet.environment': 'demo' },
  });
  await store.setExpiry('expiring', clock);
  const planned = await lifecycle.reconcile(true);
  const kinds = planned.map((a) => `${a.kind}:${'reason' in a ? a.reason : ''}`).sort();
  assert.ok(
    kinds.includes('remove:account_expired') && kinds.includes('remove:account_gone') && kinds.includes('adopt:') && kinds.includes('delete_account:expired'),
    kinds.join(','),
  );
  assert.ok(await driver.inspect(mine), 'dry run removed nothing');
  assert.ok(await store.getAccount('expiring'));
  await lifecycle.reconcile();
  assert.equal(await driver.inspect(mine), undefined);
  assert.equal(await driver.inspect(orphan.id), undefined);
  assert.equal(await store.getAccount('expiring'), undefined);
  assert.equal((await store.getOwnership('keeper', 'demo'))?.containerId, keep, 'adopted');
  const again = (await lifecycle.reconcile(true)).filter((a) => a.kind !== 'sync_state');
  assert.deepEqual(
    again.filter((a) => !(a.kind === 'remove' && a.account !== 'expiring' && a.account !== 'ghost')),
    [],
    'idempotent',
  );
});

test('disk quota: a container that writes past its quota is stopped with files kept and the reason recorded', async () => {
  const id = await make('filler', 'dd if=/dev/zero of=/home/student/big bs=1M count=24 2>/dev/null; echo done > /home/student/marker; exec sleep 100000');
  const small = await make('tidy', 'exec sleep 100000');
  for (
    let i = 0;
    i < 50 &&
    !(await fileIn(id, '/home/student/marker').then(
      () => true,
      () => false,
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  await lifecycle.checkDisk();
  assert.equal((await driver.inspect(id))?.state, 'exited');
  assert.match((await store.getOwnership('filler', 'demo'))?.stopReason ?? '', /^disk_quota: 24 MB written, quota 16 MB/);
  assert.equal((await driver.inspect(small))?.state, 'running', 'a container under its quota is left alone');
  await driver.stop(small, 0);
});
