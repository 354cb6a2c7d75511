/**
 * Restart safety under load: the server is killed (SIGKILL, no clean-up) in the middle of a 20-account
 * creation storm, and again in the middle of a 20-container creation storm, then started again on the
 * same data directory. Promises checked:
 * - every account exists with a working password, or not at all (its name is free to take again);
 * - after one reconcile pass (`islet reap`, with the server still down) no container of the instance
 *   is without its store row, and no row names a missing container;
 * - after the restart every trainee gets one container (no duplicates) and runs a command in it.
 * The real `islet serve`, node's ssh2 client and the real engine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { Client } from 'ssh2';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import type { SshTrainee } from '../helpers/ssh-trainee.ts';
import { gateSsh, newAccountSsh } from '../helpers/ssh-journey.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';

const run = promisify(execFile);
const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();
const N = 20;
const names = Array.from({ length: N }, (_, i) => `storm${String(i).padStart(2, '0')}`);
const pw = (name: string) => `pw-${name}`;
const open = new Set<SshTrainee | Client>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AccountJson {
  name: string;
  containers: { environment: string; containerId: string; name: string; state: string }[];
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'bin/islet'), [...args, '--config', islet.configDir, '--data', islet.dataDir], {
    env: { ...process.env, ISLET_INSTANCE: islet.instance, ISLET_TEST_RUN: runId },
    timeout: 60_000,
  });
  return stdout;
}
const accounts = async () => JSON.parse(await cli('accounts', '--json')) as AccountJson[];
const mine = () => driver.find({ 'islet.instance': islet.instance });

/** Logs in directly as `user` and runs `cmd`; resolves with stdout, or the error's message prefixed by "error:". */
function direct(user: string, password: string, cmd?: string): Promise<string> {
  const c = new Client();
  open.add(c);
  return new Promise<string>((resolve) => {
    const done = (s: string) => {
      open.delete(c);
      c.destroy();
      resolve(s);
    };
    c.on('error', (e: Error) => done(`error: ${e.message}`));
    c.on('close', () => done('error: closed'));
    c.on('ready', () => {
      if (!cmd) {
        done('ready');
        return;
      }
      c.exec(cmd, (err, ch) => {
        if (err) {
          done(`error: ${err.message}`);
          return;
        }
        let out = '';
        ch.on('data', (b: Buffer) => {
          out += b;
        });
        ch.stderr.on('data', () => undefined);
        ch.on('close', () => done(out.trim()));
      });
    });
    c.connect({ host: '127.0.0.1', port: islet.port, username: user, password, hostVerifier: () => true, readyTimeout: 60_000 });
  });
}

/** Accounts whose stored hash is still the interim one (scrypt below N=2^15): stored, not yet sealed. */
function interimHashes(): number {
  const db = new DatabaseSync(join(islet.dataDir, 'islet.db'), { readOnly: true });
  try {
    const rows = db.prepare('SELECT password_hash AS h FROM accounts').all() as { h: string }[];
    return rows.filter((r) => Number(r.h.split('$')[1]) < 2 ** 15).length;
  } finally {
    db.close();
  }
}

/** Runs `fn` for every item, `k` at a time, collecting the failures instead of stopping at the first. */
async function pool<T>(items: readonly T[], k: number, fn: (x: T) => Promise<void>): Promise<unknown[]> {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < items.length) {
        const x = items[next++]!;
        try {
          await fn(x);
        } catch (err) {
          errors.push(err);
        }
      }
    }),
  );
  return errors;
}

/** One reconcile pass with the server down, then: every container has its row and every row its container. */
async function assertRowsMatchContainers(what: string): Promise<Map<string, string>> {
  await cli('reap');
  const list = await accounts();
  const rows = new Map<string, string>(); // container id -> account
  for (const a of list) for (const c of a.containers) rows.set(c.containerId, a.name);
  const containers = await mine();
  const orphans = containers.filter((c) => rows.get(c.id) !== c.labels['islet.account']).map((c) => `${c.name} (${c.state})`);
  assert.deepEqual(orphans, [], `${what}: containers without their store row after one reconcile pass`);
  const ids = new Set(containers.map((c) => c.id));
  assert.deepEqual(
    [...rows.keys()].filter((id) => !ids.has(id)),
    [],
    `${what}: rows naming a container that does not exist`,
  );
  return new Map(containers.map((c) => [c.labels['islet.account']!, c.id]));
}

describe('SIGKILL in the middle of a storm', { concurrency: false }, () => {
  before(async () => {
    // Every trainee comes from 127.0.0.1: the per-address rate must not be what stops the storm.
    appendFileSync(join(islet.configDir, 'islet.yaml'), '\nssh_new_connections_per_ip: 10000\nssh_max_connections_per_ip: 1000\n');
    await islet.start();
  });
  after(async () => {
    for (const t of open) t.end();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  let killedMidAccounts = false;
  let killed = false;

  test('20 accounts created at once, SIGKILL after the 6th: each account exists with a working password, or not at all', async (ctx) => {
    // Trainees arrive 100 ms apart (a room, not one script), so the kill finds some mid-creation, some
    // stored with their interim hash and not yet sealed, and some not yet arrived.
    const connectionErrors: string[] = [];
    const storm = Promise.all(
      names.map(async (name, i) => {
        await sleep(i * 100);
        if (islet.pid === undefined || killed) return;
        try {
          const { t } = await gateSsh(islet.port);
          open.add(t);
          await newAccountSsh(t, name, pw(name)); // the server dies under most of them
        } catch (err) {
          // What this test checks is the store after the kill, so a trainee's connection error is reported,
          // not thrown (an unawaited rejection here failed a CI run with ECONNRESET before the kill).
          if (!killed) connectionErrors.push(`${name}: ${(err as Error).message}`);
        }
      }),
    );
    const created = () => islet.logs.filter((l) => l.event === 'account_created').length;
    for (const deadline = Date.now() + 60_000; created() < 6 && Date.now() < deadline; ) await sleep(5);
    killed = true;
    const code = await islet.stop('SIGKILL');
    assert.equal(code, null, 'killed by a signal');
    const createdLogged = created();
    await Promise.race([storm, sleep(15_000)]);
    for (const t of open) t.end();
    open.clear();
    killedMidAccounts = true;

    const listed = (await accounts()).map((a) => a.name);
    const interim = interimHashes();
    if (connectionErrors.length) ctx.diagnostic(`trainee errors before the kill: ${connectionErrors.join('; ')}`);
    ctx.diagnostic(
      `killed with ${createdLogged} account_created logged; ${listed.length} accounts in the store, ${interim} of them with their interim hash (not yet sealed)`,
    );
    assert.ok(listed.length >= 6, `the accounts logged as created are kept (${listed.length})`);
    assert.ok(listed.length < N, `the kill came before the storm finished (${listed.length} of ${N} stored): the test did not kill mid-storm`);
    assert.deepEqual(
      listed.filter((n) => !names.includes(n)),
      [],
      "no account but the storm's",
    );

    await islet.start();
    // Every stored account logs in with its password; every other name is free and can be created now.
    const bad: string[] = [];
    await pool(names, 5, async (name) => {
      if (listed.includes(name)) {
        const r = await direct(name, pw(name));
        if (r !== 'ready') bad.push(`${name}: stored, but its password does not log in (${r})`);
      } else {
        const { t } = await gateSsh(islet.port);
        open.add(t);
        try {
          await newAccountSsh(t, name, pw(name));
        } catch (err) {
          bad.push(`${name}: not stored, yet cannot be created again (${(err as Error).message.slice(0, 200)})`);
        }
        t.end();
        open.delete(t);
      }
    });
    assert.deepEqual(bad, []);
    assert.deepEqual((await accounts()).map((a) => a.name).sort(), [...names].sort(), 'all 20 exist now');
  });

  test('20 containers created at once, SIGKILL at the 5th: after one reconcile pass no container is without its row; after a restart one container each', async (ctx) => {
    assert.ok(killedMidAccounts, 'the accounts of the first test are needed');
    assert.equal((await mine()).length, 0, 'no container yet');
    const storm = Promise.all(names.map((name) => direct(`${name}+demo`, pw(name), 'echo ok')));
    // Kill once the engine holds 5 containers: the other creations (and some starts) are in flight.
    const deadline = Date.now() + 60_000;
    while ((await mine()).length < 5 && Date.now() < deadline) await sleep(20);
    const code = await islet.stop('SIGKILL');
    assert.equal(code, null, 'killed by a signal');
    const results = await Promise.race([storm, sleep(30_000).then(() => [] as string[])]);
    for (const c of open) c.end();
    open.clear();
    // Creations the engine had accepted finish without the server; let them land before the pass.
    await sleep(2000);
    const atKill = await mine();
    ctx.diagnostic(
      `at the kill: ${results.filter((r) => r === 'ok').length} commands had answered, ${atKill.length} containers on the engine (${atKill.filter((c) => c.state === 'created').length} never started)`,
    );
    assert.ok(results.filter((r) => r === 'ok').length < N, 'the kill came before every command answered');
    assert.ok(atKill.length > 0, 'the engine holds containers of the storm');

    const rowsAtKill = new Set((await accounts()).flatMap((a) => a.containers.map((c) => c.containerId)));
    ctx.diagnostic(`before the reconcile pass: ${atKill.filter((c) => !rowsAtKill.has(c.id)).length} of ${atKill.length} containers had no store row`);
    const kept = await assertRowsMatchContainers('after the kill');

    await islet.start();
    const answers = await Promise.all(names.map((name) => direct(`${name}+demo`, pw(name), 'echo ok')));
    assert.deepEqual(
      answers.filter((a) => a !== 'ok'),
      [],
      'every trainee runs a command after the restart',
    );
    const after = await mine();
    const byAccount = new Map<string, string[]>();
    for (const c of after) byAccount.set(c.labels['islet.account']!, [...(byAccount.get(c.labels['islet.account']!) ?? []), c.id]);
    assert.deepEqual(
      names.filter((n) => byAccount.get(n)?.length !== 1),
      [],
      'exactly one container per account',
    );
    for (const [account, id] of kept) assert.equal(byAccount.get(account)?.[0], id, `${account}: the container from before the kill was kept, not replaced`);
    await islet.stop('SIGTERM');
    await assertRowsMatchContainers('after the restart');
  });
});
