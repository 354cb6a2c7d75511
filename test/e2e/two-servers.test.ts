/**
 * Two ISLETs, two data directories, one engine and the SAME instance name
 * (what a typo in --data gives): nothing of the first is ever touched by the
 * second. Server B running beside A leaves A's live trainee container alone;
 * B's own trainee of the same name is refused A's container; B started once
 * A has containers refuses to start and says why; `islet reap`
 * with the wrong --data refuses and removes nothing, with the right one it
 * still reaps what it owns; and `--take-over` (the explicit way out) makes the
 * other store's container this one's (B then adopts it), which proves the
 * refusal was what kept it from B.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { IsletProcess, repoRoot } from '../helpers/islet-process.ts';
import { TmuxSsh } from '../helpers/tmux-ssh.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { PROMPT, choose, createAccount, gate, sh } from '../helpers/trainee.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { loadConfigDir } from '../../src/config/config-source.ts';

const runId = testRunId();
// One run id for both: the same instance name (t<runId>) and the same islet.test label, two data directories.
const a = new IsletProcess(runId);
const b = new IsletProcess(runId);
const driver = new DockerDriver();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const aliceName = `${a.instance}.demo.alice`;

function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'bin/islet'),
      [...args, '--config', a.configDir, '--data', dataDir],
      { env: { ...process.env, ISLET_INSTANCE: a.instance }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function storeIdOf(dataDir: string): string {
  const d = new DatabaseSync(join(dataDir, 'islet.db'));
  try {
    return String((d.prepare(`SELECT value FROM meta WHERE key = 'store_id'`).get() as { value: string }).value);
  } finally {
    d.close();
  }
}

describe('two servers, two data directories, one engine, one instance name', { concurrency: false }, () => {
  let s: TmuxSsh;
  let aliceId = '';

  before(async () => {
    assert.equal(a.instance, b.instance, 'both servers use the same instance name');
    assert.notEqual(a.dataDir, b.dataDir);
    // B reconciles every second; A only at start, so A's own loop never reaps what the admin tests plant.
    appendFileSync(join(a.configDir, 'islet.yaml'), '\nreconcile_interval: 10m\n');
    appendFileSync(join(b.configDir, 'islet.yaml'), '\nreconcile_interval: 1s\n');
    await a.start();
  });
  after(async () => {
    await TmuxSsh.closeAll();
    await a.dispose();
    await b.dispose();
    await sweepTestContainers(runId);
  });

  test("B running beside A leaves the live container of A's trainee alone", async () => {
    await b.start(); // A has no container yet: nothing to refuse
    s = await gate(a.port);
    await createAccount(s, 'alice');
    await choose(s, 'demo');
    await s.waitFor(PROMPT);
    await sh(s, 'echo precious > ~/work.txt');
    const info = await driver.inspect(aliceName);
    assert.equal(info?.state, 'running', "alice's container is running");
    aliceId = info.id;
    assert.equal(info.labels['islet.store'], storeIdOf(a.dataDir), "the container carries the store id of A's data directory");
    assert.notEqual(storeIdOf(b.dataDir), storeIdOf(a.dataDir), 'the two data directories have different store ids');

    // B's reconciler lists it (the warning proves B looked), several passes in a row, and leaves it.
    const seen = await b.waitForLog((l) => l.event === 'foreign_containers' && l.count === 1, 15_000);
    assert.ok(seen);
    // B's own trainee of the same name: the container named for her is A's, so B refuses to use it (and leaves it).
    const other = await gate(b.port);
    await createAccount(other, 'alice');
    await choose(other, 'demo');
    await other.waitFor('This environment cannot be started here right now. Please tell the instructor.');
    await b.waitForLog((l) => l.event === 'environment_failed' && l.code === 'OWNERSHIP_FOREIGN');
    await other.close();
    await sleep(3000);
    assert.ok(!b.logs.some((l) => l.event === 'container_removed'), 'B removed nothing');
    const still = await driver.inspect(aliceName);
    assert.equal(still?.id, aliceId, 'the same container');
    assert.equal(still?.state, 'running', 'still running');
    assert.match(await sh(s, 'cat ~/work.txt'), /^precious$/m, "alice's shell and files are untouched");
  });

  test('B started while A has a container refuses to start, names the count and leaves it', async () => {
    await b.stop();
    await assert.rejects(b.start(), (err: Error) => {
      assert.match(err.message, /OWNERSHIP_FOREIGN/);
      assert.match(
        err.message,
        new RegExp(
          `refusing to start: 1 container\\(s\\) under instance name "${a.instance}" \\(1 running\\) belong to another ISLET data directory \\(1 of store ${storeIdOf(a.dataDir)}\\)`,
        ),
      );
      assert.match(err.message, /--take-over/);
      assert.ok(err.message.includes(b.dataDir), 'the message names this data directory');
      return true;
    });
    assert.equal(await b.stop(), 3, 'B exited by itself with the refusal');
    const still = await driver.inspect(aliceName);
    assert.equal(still?.id, aliceId);
    assert.equal(still?.state, 'running');
    assert.match(await sh(s, 'cat ~/work.txt'), /^precious$/m);
  });

  test('islet reap with the wrong --data removes nothing; with the right one it still reaps what it owns', async () => {
    // A container A owns whose account does not exist: what a reap removes (account_gone).
    const demo = loadConfigDir(a.configDir).environments.find((e) => e.name === 'demo')!;
    const ghost = await driver.create({
      name: `${a.instance}.demo.ghost`,
      env: demo,
      labels: { 'islet.instance': a.instance, 'islet.store': storeIdOf(a.dataDir), 'islet.account': 'ghost', 'islet.environment': 'demo', 'islet.test': runId },
    });

    for (const args of [['reap'], ['reap', '--dry-run']]) {
      const wrong = await cli(b.dataDir, ...args);
      assert.equal(wrong.code, 3, `${args.join(' ')} with the wrong --data fails: ${wrong.stdout}${wrong.stderr}`);
      assert.match(wrong.stderr, /\[OWNERSHIP_FOREIGN\] refusing to start: 2 container\(s\)/);
      assert.doesNotMatch(wrong.stdout, /remove container/);
    }
    assert.ok(await driver.inspect(ghost.id), 'the wrong data directory removed nothing');
    assert.equal((await driver.inspect(aliceName))?.id, aliceId);

    const right = await cli(a.dataDir, 'reap');
    assert.equal(right.code, 0, right.stderr);
    assert.match(
      right.stdout,
      new RegExp(`^remove container ${a.instance}\\.demo\\.ghost \\(account_gone\\)$`, 'm'),
      'control: the right data directory reaps what it owns',
    );
    assert.equal(await driver.inspect(ghost.id), undefined);
    assert.doesNotMatch(right.stdout, /alice/, 'and leaves its live trainee alone');
    assert.equal((await driver.inspect(aliceName))?.state, 'running');
  });

  test("--take-over is the explicit way out: the other store's container becomes this one's", async () => {
    const taken = await cli(b.dataDir, 'reap', '--take-over');
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(taken.stderr, /"event":"container_taken_over"/, 'each container taken over is logged');
    // B has an account alice of its own (the first test), so B's reconciler now adopts the container for her:
    // control that, once owned, B acts on it, so the refusal above was what kept it from B.
    assert.match(taken.stdout, new RegExp(`^adopt container ${aliceName.replace(/\./g, '\\.')} for alice/demo$`, 'm'));
    const row = new DatabaseSync(join(b.dataDir, 'islet.db'));
    try {
      assert.equal((row.prepare(`SELECT container_id FROM ownership WHERE account = 'alice'`).get() as { container_id: string }).container_id, aliceId);
    } finally {
      row.close();
    }
  });
});
