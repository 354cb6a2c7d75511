/**
 * Admission control through the real server: a host-wide cap on running
 * containers with a first-come, first-served waiting line, giving up after
 * `admission_wait`, and a per-account cap. Each case runs its own
 * `islet serve` (own config, own instance); trainees use the node ssh2 client.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import type { SshTrainee } from '../helpers/ssh-trainee.ts';
import { SSH_PROMPT, chooseSsh, gateSsh, loginSsh, newAccountSsh, shSsh } from '../helpers/ssh-journey.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';

const driver = new DockerDriver();
const started: IsletProcess[] = [];
const open = new Set<SshTrainee>();

/** A server of its own (own run id, so its own instance) with extra lines appended to the example islet.yaml. */
async function server(globalYaml: string, files: Record<string, string> = {}): Promise<IsletProcess> {
  const islet = new IsletProcess(testRunId());
  started.push(islet);
  appendFileSync(join(islet.configDir, 'islet.yaml'), `\n${globalYaml}\n`);
  for (const [p, text] of Object.entries(files)) writeFileSync(join(islet.configDir, p), text);
  await islet.start();
  return islet;
}

async function trainee(islet: IsletProcess): Promise<SshTrainee> {
  const { t } = await gateSsh(islet.port);
  open.add(t);
  return t;
}

/** State of the container of account/environment on the engine ('absent' when there is none). */
async function state(islet: IsletProcess, env: string, account: string): Promise<string> {
  return (await driver.inspect(`${islet.instance}.${env}.${account}`))?.state ?? 'absent';
}

async function runningCount(islet: IsletProcess): Promise<number> {
  return (await driver.find({ 'islet.instance': islet.instance })).filter((c) => c.state === 'running').length;
}

describe('capacity', { concurrency: false }, () => {
  after(async () => {
    for (const t of open) t.end();
    for (const i of started) {
      await i.dispose();
      await sweepTestContainers(i.runId);
    }
  });

  test('max_containers: 1 — the second and third trainee wait in line, in order, and get in as places free', async () => {
    const islet = await server('max_containers: 1\nadmission_wait: 20s');
    const a = await trainee(islet);
    await newAccountSsh(a, 'anna');
    await chooseSsh(a, 'demo');
    await a.waitFor(SSH_PROMPT);

    const b = await trainee(islet);
    await newAccountSsh(b, 'bert');
    await chooseSsh(b, 'demo');
    await b.waitFor(/ISLET is at capacity: you are number 1 in line\. Please wait\.\.\./);
    const c = await trainee(islet);
    await newAccountSsh(c, 'cleo');
    await chooseSsh(c, 'demo');
    await c.waitFor(/ISLET is at capacity: you are number 2 in line\. Please wait\.\.\./);

    assert.equal(await state(islet, 'demo', 'anna'), 'running');
    assert.equal(await state(islet, 'demo', 'bert'), 'absent', 'a waiting trainee gets no container until admitted');
    assert.equal(await state(islet, 'demo', 'cleo'), 'absent');
    assert.equal(await runningCount(islet), 1, 'the cap holds on the engine');

    await new Promise((r) => setTimeout(r, 1500)); // still waiting while anna works
    assert.equal(await state(islet, 'demo', 'bert'), 'absent', 'nobody gets in while the place is taken');

    const freedAt = Date.now();
    a.send('exit\r');
    await a.waitFor(/\[Choice\]: $/);
    await b.waitFor(SSH_PROMPT, 10_000);
    assert.ok(Date.now() - freedAt < 8000, 'the first in line gets in as soon as the place frees (not at the end of the wait)');
    assert.equal(await shSsh(b, 'id -un'), 'student');
    await c.waitFor(/ISLET is at capacity: you are number 1 in line\. Please wait\.\.\./, 10_000);
    assert.equal(await state(islet, 'demo', 'anna'), 'exited');
    assert.equal(await state(islet, 'demo', 'bert'), 'running');
    assert.equal(await state(islet, 'demo', 'cleo'), 'absent', 'the second in line still waits');
    assert.equal(await runningCount(islet), 1);

    b.send('exit\r');
    await c.waitFor(SSH_PROMPT, 10_000);
    assert.equal(await state(islet, 'demo', 'cleo'), 'running');
    assert.equal(await runningCount(islet), 1);
    for (const t of [a, b, c]) {
      t.end();
      open.delete(t);
    }
  });

  test('admission_wait: 2s — a waiting trainee is told ISLET is full, is back at the menu, and can try again later', async () => {
    const islet = await server('max_containers: 1\nadmission_wait: 2s');
    const a = await trainee(islet);
    await newAccountSsh(a, 'anna');
    await chooseSsh(a, 'demo');
    await a.waitFor(SSH_PROMPT);

    const b = await trainee(islet);
    await newAccountSsh(b, 'bert');
    await chooseSsh(b, 'demo');
    const asked = Date.now();
    await b.waitFor(/ISLET is at capacity: you are number 1 in line\. Please wait\.\.\./);
    await b.waitFor(/ISLET is full right now\. Please try again in a moment\./, 10_000);
    const waited = Date.now() - asked;
    assert.ok(waited >= 1500 && waited < 6000, `gave up after about admission_wait (${waited} ms)`);
    const failed = await islet.waitForLog((l) => l.event === 'environment_failed' && l.account === 'bert');
    assert.equal(failed.code, 'CAPACITY_FULL');
    assert.ok(!islet.logs.some((l) => l.event === 'session_error'), 'the session did not crash');
    assert.equal(await state(islet, 'demo', 'bert'), 'absent', 'a refused trainee leaves no container behind');
    assert.equal(await runningCount(islet), 1);

    // The menu still works: once anna leaves, bert gets in.
    a.send('exit\r');
    await a.waitFor(/\[Choice\]: $/);
    await islet.waitForLog((l) => l.event === 'environment_exited' && l.account === 'anna');
    await chooseSsh(b, 'demo', 5000); // the menu came back after the refusal
    await b.waitFor(/Enjoy yourself!/);
    await b.waitFor(SSH_PROMPT, 10_000);
    assert.equal(await shSsh(b, 'echo in'), 'in');
    const info = await driver.inspect(`${islet.instance}.demo.bert`);
    assert.equal(info?.state, 'running');
    for (const t of [a, b]) {
      t.end();
      open.delete(t);
    }
  });

  test('max_containers_per_account: 1 — a second environment of the same account is refused while the first runs', async () => {
    const islet = await server('max_containers_per_account: 1', {
      'environments/second.yaml': 'image: islet/demo:latest\ndescription: A second environment\nuser: student\ncommand: /bin/sh -l\n',
    });
    const first = await trainee(islet);
    await newAccountSsh(first, 'dora');
    await chooseSsh(first, 'demo');
    await first.waitFor(SSH_PROMPT);

    const second = await trainee(islet);
    await loginSsh(second, 'dora');
    await chooseSsh(second, 'second');
    await second.waitFor(/You already have 1 environment\(s\) running\. Exit one of them \(type "exit" in its shell\) and try again\./);
    assert.equal(await state(islet, 'demo', 'dora'), 'running');
    assert.notEqual(await state(islet, 'second', 'dora'), 'running', 'the second environment was not started');
    assert.equal(await runningCount(islet), 1);
    const refused = await islet.waitForLog((l) => l.event === 'environment_failed' && l.account === 'dora');
    assert.equal(refused.code, 'CAPACITY_ACCOUNT');

    // The limit is per account: somebody else may start the same environment.
    const other = await trainee(islet);
    await newAccountSsh(other, 'emil');
    await chooseSsh(other, 'second');
    await other.waitFor(SSH_PROMPT);
    assert.equal(await state(islet, 'second', 'emil'), 'running');

    // Once dora's first shell exits, her second environment starts.
    first.send('exit\r');
    await first.waitFor(/\[Choice\]: $/);
    await islet.waitForLog((l) => l.event === 'environment_exited' && l.account === 'dora');
    await chooseSsh(second, 'second', 5000);
    await second.waitFor(SSH_PROMPT, 10_000);
    assert.equal(await shSsh(second, 'hostname'), 'second');
    assert.equal(await state(islet, 'second', 'dora'), 'running');
    assert.equal(await state(islet, 'demo', 'dora'), 'exited');
    for (const t of [first, second, other]) {
      t.end();
      open.delete(t);
    }
  });
});
