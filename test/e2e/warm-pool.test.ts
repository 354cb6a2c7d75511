/**
 * Warm pools through the real server: containers wait ready, a new trainee
 * claims one (renamed to the trainee), the pool refills, the reconciler
 * leaves claimed and unclaimed pool containers alone, and a restart adopts
 * the pool instead of growing it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();

async function pool(): Promise<string[]> {
  const all = await driver.find({ 'islet.instance': islet.instance, 'islet.pool': 'true' });
  return all
    .filter((c) => c.name.includes('.pool-') && c.state === 'running')
    .map((c) => c.id)
    .sort();
}
async function poolOf(n: number, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await pool();
    if (p.length === n) return p;
    if (Date.now() > deadline) throw new Error(`pool has ${p.length}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('warm pool', { concurrency: false }, () => {
  before(async () => {
    writeFileSync(join(islet.configDir, 'islet.yaml'), 'reconcile_interval: 1s\n');
    writeFileSync(join(islet.configDir, 'environments/warm.yaml'), 'image: islet/demo:latest\nuser: student\nwarm_pool: 2\n');
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('a new trainee claims a ready container; the pool refills; the reconciler keeps both', async () => {
    const before = await poolOf(2);
    const s = await gate(islet.port);
    await createAccount(s, 'quick');
    await choose(s, 'warm');
    await s.waitFor('Enjoy yourself!');
    await s.waitFor(PROMPT);
    assert.equal(await sh(s, 'id -un'), 'student');
    const mine = await driver.inspect(`${islet.instance}.warm.quick`);
    assert.ok(mine && before.includes(mine.id), 'the trainee got one of the ready containers');
    assert.match(mine.labels['islet.store'] ?? '', /^[0-9a-f]{16}$/, 'pool containers carry the store id like every other (docs/lifecycle.md)');
    const after = await poolOf(2);
    assert.ok(!after.includes(mine.id), 'the claimed container left the pool, which refilled');
    await new Promise((r) => setTimeout(r, 2500)); // two reconcile passes
    assert.equal((await driver.inspect(mine.id))?.state, 'running', 'the reconciler keeps the claimed container');
    assert.deepEqual(await pool(), after, 'and the pool');
    assert.ok(!islet.logs.some((l) => l.event === 'container_removed'), 'nothing was removed');
    await s.line('exit');
    await choose(s, 'warm');
    await s.waitFor('Welcome back!');
    await s.waitFor(PROMPT);
    assert.equal((await driver.inspect(`${islet.instance}.warm.quick`))?.id, mine.id, 'coming back finds the same container');
    await s.close();
  });

  test('after a restart the pool is adopted, not grown', async () => {
    const beforeIds = await poolOf(2);
    await islet.stop('SIGKILL');
    await islet.start();
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(await poolOf(2), beforeIds);
  });
});
