/**
 * Restart safety: the server process is killed (SIGKILL, no clean-up at all)
 * while 20 trainees are attached to their shells, and started again on the
 * same config and data dirs. Accounts, containers and the processes in them
 * survive; nothing is duplicated; everybody resumes where they were.
 * Trainees use the node ssh2 client (several at once), the server is the real
 * `islet serve`, containers run on the real engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { IsletProcess, repoRoot, type LogLine } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import type { SshTrainee } from '../helpers/ssh-trainee.ts';
import { SSH_PROMPT, chooseSsh, gateSsh, loginSsh, newAccountSsh, shSsh } from '../helpers/ssh-journey.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import type { InstanceInfo } from '../../src/runtime/runtime-driver.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();
const N = 20;
const AT_ONCE = 5;
const name = (i: number) => `trainee${String(i).padStart(2, '0')}`;
/** A process unique to trainee i: sleep 123400 … 123419 (same width, so none is a prefix of another). */
const marker = (i: number) => `sleep 1234${String(i).padStart(2, '0')}`;
const open = new Set<SshTrainee>();

/** Runs `fn` for 0..n-1, `k` at a time; rejects with the first failure once all have settled. */
async function pool(n: number, k: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < n) {
        const i = next++;
        try {
          await fn(i);
        } catch (err) {
          errors.push(err);
        }
      }
    }),
  );
  if (errors.length) throw errors[0];
}

interface AccountJson {
  name: string;
  expiresAt: string;
  containers: { environment: string; containerId: string; name: string; state: string }[];
}

async function accounts(): Promise<AccountJson[]> {
  const { stdout } = await run(join(repoRoot, 'bin/islet'), ['accounts', '--json', '--config', islet.configDir, '--data', islet.dataDir], {
    env: { ...process.env, ISLET_INSTANCE: islet.instance },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as AccountJson[];
}

async function waitForLogAfter(from: number, pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = islet.logs.slice(from).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mine = () => driver.find({ 'islet.instance': islet.instance });

describe('restart safety: SIGKILL with 20 attached trainees', { concurrency: false }, () => {
  before(async () => {
    await islet.start();
  });
  after(async () => {
    for (const t of open) t.end();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  const idsBefore = new Map<string, string>(); // account -> container id
  let killed = false; // the later tests need the first one's kill, not a second server beside a live one

  test('20 trainees create accounts, enter demo and start a background process each', async () => {
    const dropped: Promise<void>[] = [];
    await pool(N, AT_ONCE, async (i) => {
      const { t, closed } = await gateSsh(islet.port);
      open.add(t);
      dropped.push(closed);
      await newAccountSsh(t, name(i), `pw${i}pw`);
      await chooseSsh(t, 'demo');
      await t.waitFor(/Enjoy yourself!/);
      await t.waitFor(SSH_PROMPT);
      t.send(`${marker(i)} &\r`);
      // The background child may not have exec'd sleep yet when ps first looks.
      let ps = '';
      for (let k = 0; k < 20 && !new RegExp(`\\b${marker(i)}\\b`).test(ps); k++) ps = await shSsh(t, 'ps');
      assert.match(ps, new RegExp(`\\b${marker(i)}\\b`), `${name(i)}: the background process runs`);
    });
    const found = await mine();
    assert.equal(found.length, N, 'one container per trainee');
    for (const c of found) {
      assert.equal(c.state, 'running', `${c.name} runs`);
      idsBefore.set(c.labels['islet.account']!, c.id);
    }
    assert.equal(idsBefore.size, N, 'every trainee has their own container');

    // The server dies with everybody attached: no SIGTERM handler, no clean-up.
    const code = await islet.stop('SIGKILL');
    assert.equal(code, null, 'killed by a signal');
    await Promise.race([Promise.all(dropped), new Promise((_, rej) => setTimeout(() => rej(new Error('clients did not notice the server died')), 15_000))]);
    for (const t of open) t.end();
    open.clear();
    killed = true;

    const orphaned = await mine();
    assert.equal(orphaned.length, N, 'the containers outlive the server');
    for (const c of orphaned) {
      assert.equal(c.state, 'running', `${c.name} still runs without the server`);
      assert.equal(idsBefore.get(c.labels['islet.account']!), c.id);
    }
  });

  test('after a restart: same accounts, same containers (no duplicates), still running', async () => {
    assert.ok(killed, 'the first test did not get as far as the kill');
    const from = islet.logs.length;
    await islet.start();
    // Let the start-up reconcile finish before judging it.
    await waitForLogAfter(from, (l) => l.event === 'listening');
    await new Promise((r) => setTimeout(r, 1500));
    const bad = islet.logs.slice(from).filter((l) => l.event === 'container_removed' || l.event === 'reconcile_failed' || l.event === 'account_expired');
    assert.deepEqual(bad, [], 'the start-up reconcile removes nothing');

    const list = await accounts();
    assert.deepEqual(list.map((a) => a.name).sort(), Array.from({ length: N }, (_, i) => name(i)).sort(), 'every account is still there');
    for (const a of list) {
      assert.equal(a.containers.length, 1, `${a.name} owns one container`);
      assert.equal(a.containers[0]!.environment, 'demo');
      assert.equal(a.containers[0]!.containerId, idsBefore.get(a.name), `${a.name}: the store names the same container`);
      assert.equal(a.containers[0]!.state, 'running');
    }

    const found: InstanceInfo[] = await mine();
    assert.equal(found.length, N, 'exactly 20 containers for the instance');
    assert.deepEqual(found.map((c) => c.id).sort(), [...idsBefore.values()].sort(), 'the same container ids');
    assert.ok(
      found.every((c) => c.state === 'running'),
      'all still running',
    );
  });

  test('every trainee logs in again and finds their own process', async () => {
    assert.ok(killed, 'the first test did not get as far as the kill');
    await pool(N, AT_ONCE, async (i) => {
      const { t } = await gateSsh(islet.port);
      open.add(t);
      await loginSsh(t, name(i), `pw${i}pw`);
      await chooseSsh(t, 'demo');
      await t.waitFor(/Welcome back!/);
      const ps = await shSsh(t, 'ps');
      const sleeps = ps.match(/sleep 1234\d\d/g) ?? [];
      assert.deepEqual(sleeps, [marker(i)], `${name(i)} sees its own process and nobody else's:\n${ps}`);
      t.end();
      open.delete(t);
    });
    const found = await mine();
    assert.equal(found.length, N, 'still no duplicates after everybody re-attached');
    assert.deepEqual(found.map((c) => c.id).sort(), [...idsBefore.values()].sort());
    const attached = islet.logs.filter((l) => l.event === 'environment_attached').length;
    assert.equal(attached, N, 'every login re-attached to a live container');
    assert.equal(islet.logs.filter((l) => l.event === 'environment_started').length, N, 'no container was created anew after the restart');
  });

  test('SIGTERM: an attached trainee is told ISLET is restarting, and the shell survives', async () => {
    assert.ok(killed, 'the first test did not get as far as the kill');
    const { t, closed } = await gateSsh(islet.port);
    open.add(t);
    await loginSsh(t, name(0), 'pw0pw');
    await chooseSsh(t, 'demo');
    await t.waitFor(/Welcome back!/);
    await shSsh(t, 'echo attached');
    assert.equal(await islet.stop('SIGTERM'), 0, 'a clean exit');
    await t.waitFor(/ISLET is restarting; reconnect in a moment to resume your session\./, 10_000);
    await closed;
    open.delete(t);
    const c = await driver.inspect(idsBefore.get(name(0))!);
    assert.equal(c?.state, 'running', 'the container keeps running across a clean stop too');
    await islet.start();
    const { t: again } = await gateSsh(islet.port);
    open.add(again);
    await loginSsh(again, name(0), 'pw0pw');
    await chooseSsh(again, 'demo');
    await again.waitFor(/Welcome back!/);
    assert.match(await shSsh(again, 'ps'), new RegExp(`\\b${marker(0)}\\b`));
    again.end();
    open.delete(again);
  });
});
