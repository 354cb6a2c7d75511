/**
 * The lifecycle through the real server with short timings: maximum running
 * time with notices (files kept), idle stops that spare busy work, the admin
 * commands (expire, extend, reap), and expiry handled by the server's own
 * reconcile loop. Effects are checked on the engine and in the store.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { loadConfigDir } from '../../src/config/config-source.ts';

const runId = testRunId();
const islet = new IsletProcess(runId);
const driver = new DockerDriver();

const name = (env: string, account: string) => `${islet.instance}.${env}.${account}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Stop reasons the store recorded (account -> reason), asserted in a test of their own. */
const stopReasons = new Map<string, string | undefined>();

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'bin/islet'),
      [...args, '--config', islet.configDir, '--data', islet.dataDir],
      { env: { ...process.env, ISLET_INSTANCE: islet.instance }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface AccountJson {
  name: string;
  expiresAt: string;
  expired: boolean;
  containers: { environment: string; containerId: string; name: string; state: string; stopReason?: string }[];
}

async function accounts(): Promise<AccountJson[]> {
  const r = await cli('accounts', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AccountJson[];
}

/** Polls the engine until the container's state satisfies `ok`; returns the last state seen. */
async function waitState(idOrName: string, ok: (s: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await driver.inspect(idOrName))?.state ?? 'absent';
    if (ok(s) || Date.now() > deadline) return s;
    await sleep(250);
  }
}

function db<T>(fn: (d: DatabaseSync) => T): T {
  const d = new DatabaseSync(join(islet.dataDir, 'islet.db'));
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

/** A trainee with a new account, at the menu. */
async function newTrainee(account: string): Promise<TmuxSsh> {
  const s = await gate(islet.port);
  await createAccount(s, account);
  return s;
}

describe('lifecycle', { concurrency: false }, () => {
  before(async () => {
    appendFileSync(join(islet.configDir, 'islet.yaml'), '\ncheck_interval: 1s\nreconcile_interval: 2s\n');
    const env = (extra: string) => `image: islet/demo:latest\nuser: student\ncommand: /bin/sh -l\n${extra}\n`;
    writeFileSync(join(islet.configDir, 'environments/short.yaml'), env('description: Ten seconds at most\ntimeout: 10s'));
    writeFileSync(join(islet.configDir, 'environments/idle.yaml'), env('description: Stopped when idle\nidle_stop: 2s'));
    await islet.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await islet.dispose();
    await sweepTestContainers(runId);
  });

  test('maximum running time: notice, stop with the files kept, start again', async () => {
    const s = await newTrainee('tina');
    await choose(s, 'short');
    await s.waitFor('Enjoy yourself!');
    await s.waitFor(PROMPT);
    await sh(s, 'echo keep > f');
    const id = (await driver.inspect(name('short', 'tina')))!.id;
    await s.waitFor('This environment reached its maximum running time and is being stopped. Your files are kept; choose it again to start it.', 25_000);
    assert.match(
      await s.history(),
      /\[ISLET\] This environment reaches its maximum running time in 1 minute and will then be stopped\. Your files are kept\.[\s\S]*reached its maximum running time and is being stopped/,
      'the notice came before the stop',
    );
    const stopped = await islet.waitForLog((l) => l.event === 'container_stopped' && l.account === 'tina');
    assert.equal(stopped.reason, 'max_runtime');
    assert.equal(await waitState(id, (x) => x === 'exited', 5000), 'exited', 'stopped, not removed');
    const tina = (await accounts()).find((a) => a.name === 'tina');
    assert.equal(tina?.containers[0]?.state, 'exited');
    stopReasons.set('tina', tina?.containers[0]?.stopReason);

    await choose(s, 'short'); // back at the menu once the shell is stopped
    await s.waitFor('Welcome back!');
    await s.waitFor(PROMPT);
    assert.match(await sh(s, 'cat f'), /^keep$/m, 'files survive the stop');
    assert.equal((await driver.inspect(name('short', 'tina')))?.id, id, 'the same container, started again');
    // Leave it stopped, so its next max_runtime stop does not overlap the idle test below.
    await s.line('exit');
    await s.waitFor('Available configurations:');
    await s.close();
  });

  test('idle_stop: an idle container is stopped, a busy one is spared', async (t) => {
    const idle = await newTrainee('ivan');
    await choose(idle, 'idle');
    await idle.waitFor(PROMPT);
    const idleId = (await driver.inspect(name('idle', 'ivan')))!.id;
    const busy = await newTrainee('ivy');
    await choose(busy, 'idle');
    await busy.waitFor(PROMPT);
    await sh(busy, '(while :; do :; done &)');
    const busyId = (await driver.inspect(name('idle', 'ivy')))!.id;
    // Both leave abruptly; nothing runs in ivan's container.
    await idle.close();
    await busy.close();
    const left = Date.now();
    await islet.waitForLog((l) => l.event === 'environment_detached' && l.account === 'ivy');

    const st = await waitState(idleId, (x) => x === 'exited', 12_000);
    assert.equal(st, 'exited', 'the idle container is stopped');
    const stop = await islet.waitForLog((l) => l.event === 'container_stopped' && l.account === 'ivan');
    assert.equal(stop.reason, 'idle');
    assert.ok(Date.now() - left < 12_000, `stopped within the window (${Date.now() - left} ms)`);
    t.diagnostic(`idle container exited ${Date.now() - left} ms after its trainee left`);
    await sleep(2500); // one reconcile pass after the stop
    stopReasons.set('ivan', (await accounts()).find((a) => a.name === 'ivan')?.containers[0]?.stopReason);

    const spared = await islet.waitForLog((l) => l.event === 'idle_spared' && l.container === busyId.slice(0, 12), 8000);
    assert.ok(Number(spared.cpuPercent) >= 5, 'spared for its CPU use');
    await sleep(Math.max(0, 8000 - (Date.now() - left)));
    assert.equal((await driver.inspect(busyId))?.state, 'running', 'the busy container still runs 8 s after its trainee left');
    assert.ok(!islet.logs.some((l) => l.event === 'container_stopped' && l.account === 'ivy'));
    await driver.remove(busyId); // stop burning a core for the rest of the file
  });

  test('the reason of a stop ISLET decided is kept for the admin (accounts shows it)', () => {
    const seen = JSON.stringify(Object.fromEntries(stopReasons));
    assert.match(stopReasons.get('tina') ?? '', /^max_runtime/, `max_runtime stop; recorded: ${seen}`);
    assert.match(stopReasons.get('ivan') ?? '', /^idle/, `idle stop; recorded: ${seen}`);
  });

  test('admin: extend moves the expiry, expire removes the containers and the account', async () => {
    const s = await newTrainee('adam');
    await choose(s, 'demo');
    await s.waitFor(PROMPT);
    await s.close();
    const id = (await driver.inspect(name('demo', 'adam')))!.id;

    const before = new Date((await accounts()).find((a) => a.name === 'adam')!.expiresAt).getTime();
    const ext = await cli('extend', 'adam', '1d');
    assert.equal(ext.code, 0, ext.stderr);
    assert.match(ext.stdout, /^adam now expires /m);
    const afterExt = new Date((await accounts()).find((a) => a.name === 'adam')!.expiresAt).getTime();
    assert.equal(afterExt - before, 86_400_000, 'moved by exactly one day');

    const exp = await cli('expire', 'adam');
    assert.equal(exp.code, 0, exp.stderr);
    assert.doesNotMatch(exp.stdout, /account_gone|orphan/);
    assert.equal(await driver.inspect(id), undefined, 'the container is gone from the engine');
    assert.ok(!(await accounts()).some((a) => a.name === 'adam'), 'the account is gone');
    assert.equal(db((d) => d.prepare('SELECT COUNT(*) AS n FROM ownership WHERE account = ?').get('adam') as { n: number }).n, 0, 'no ownership row left');

    const t = await gate(islet.port);
    await t.waitFor('[new/existing]:');
    await t.line('existing');
    await t.waitFor('Username:');
    await t.line('adam');
    await t.waitFor('Password:');
    await t.line('trainee1');
    await t.waitFor('Login failed, try again (1/3).');
    await t.close();

    const missing = await cli('extend', 'nobody', '1d');
    assert.notEqual(missing.code, 0, 'extending an unknown account fails');
  });

  test("an account expired in the store is removed by the server's own reconcile loop", async () => {
    const s = await newTrainee('eve');
    await choose(s, 'demo');
    await s.waitFor(PROMPT);
    await s.close();
    const id = (await driver.inspect(name('demo', 'eve')))!.id;
    const keep = (await driver.inspect(name('short', 'tina')))!.id;
    db((d) => d.prepare('UPDATE accounts SET expires_at = ? WHERE name = ?').run(Date.now() - 1000, 'eve'));

    await islet.waitForLog((l) => l.event === 'account_expired' && l.account === 'eve', 8000);
    const removed = await islet.waitForLog((l) => l.event === 'container_removed' && l.account === 'eve');
    assert.equal(removed.reason, 'account_expired');
    assert.equal(await driver.inspect(id), undefined, 'the container is gone from the engine');
    assert.equal(db((d) => d.prepare('SELECT COUNT(*) AS n FROM accounts WHERE name = ?').get('eve') as { n: number }).n, 0, 'the account row is deleted');
    assert.equal(db((d) => d.prepare('SELECT COUNT(*) AS n FROM ownership WHERE account = ?').get('eve') as { n: number }).n, 0, 'and its ownership rows');
    assert.ok(await driver.inspect(keep), "other accounts' containers are left alone");
  });

  test('admin: reap --dry-run reports a planted orphan and leaves it; reap removes it (server stopped)', async () => {
    await islet.stop(); // the server's own loop would remove the orphan before we look; admin commands work without it
    const demo = loadConfigDir(islet.configDir).environments.find((e) => e.name === 'demo')!;
    const ghost = await driver.create({
      name: name('demo', 'ghost'),
      env: demo,
      // Made as this server would make it: with its store id, or reap would refuse it as another data directory's.
      labels: {
        'islet.managed': 'true',
        'islet.instance': islet.instance,
        'islet.store': db((d) => String((d.prepare(`SELECT value FROM meta WHERE key = 'store_id'`).get() as { value: string }).value)),
        'islet.account': 'ghost',
        'islet.environment': 'demo',
        'islet.test': runId,
      },
    });

    const dry = await cli('reap', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^would remove container ${name('demo', 'ghost').replace(/\./g, '\\.')} \\(account_gone\\)$`, 'm'));
    assert.ok(await driver.inspect(ghost.id), 'a dry run leaves it');

    const real = await cli('reap');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`^remove container ${name('demo', 'ghost').replace(/\./g, '\\.')} \\(account_gone\\)$`, 'm'));
    assert.equal(await driver.inspect(ghost.id), undefined, 'reap removed it');
    assert.ok(await driver.inspect(name('short', 'tina')), 'and nothing of a live account');

    const again = await cli('reap', '--dry-run');
    assert.doesNotMatch(again.stdout, /ghost/, 'idempotent: nothing left to do about it');
  });
});
