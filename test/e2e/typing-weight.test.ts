/**
 * The typing weight through the whole stack (src/lifecycle/cpu-weight-governor.ts typed(), fed by the shell pipe):
 * a trainee typing a line over SSH has their container raised in its cgroup file on the real engine; the Enter
 * gives its own weight back before the command runs, and so does a second without a key.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsletProcess } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { SSH_PROMPT, chooseSsh, gateSsh, newAccountSsh } from '../helpers/ssh-journey.ts';
import type { SshTrainee } from '../helpers/ssh-trainee.ts';
import { expectWeight, weightOf } from '../helpers/cgroup-weight.ts';
import { until } from '../helpers/until.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';

const islet = new IsletProcess(testRunId());
let t: SshTrainee | undefined;
after(async () => {
  t?.end();
  await islet.dispose();
  await sweepTestContainers(islet.runId);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a trainee typing a line has their container raised to typing_cpu_shares; the Enter and a pause give its weight back', async () => {
  // The containers in the engine's own CPU group, not ISLET's idle one: there a tick over which the whole group was quiet
  // (every trainee container on this machine, other tests' too) marks an unraised container stale, and a key does not
  // raise a stale one (by design: in a quiet group a raise buys nothing; cpu-weight-governor.test.ts, "typing raises no
  // stale container"). Whether such a tick falls between the Enter and the next key depended on the rest of the run.
  appendFileSync(join(islet.configDir, 'islet.yaml'), '\ntyping_cpu_shares: 8192\nruntime:\n  trainee_cpu: engine\n');
  await islet.start();
  const gate = await gateSsh(islet.port);
  t = gate.t;
  await newAccountSsh(t, 'typist');
  await chooseSsh(t, 'demo');
  await t.waitFor(SSH_PROMPT);
  const id = (await new DockerDriver().inspect(`${islet.instance}.demo.typist`))?.id;
  assert.ok(id, 'the trainee has a container');
  const parent = execFileSync('docker', ['inspect', '-f', '{{.HostConfig.CgroupParent}}', id], { encoding: 'utf8', timeout: 30_000 }).trim();
  assert.equal(parent, '', "in the engine's own CPU group (see the config above)");
  // The probe: the engine started it at the environment's 1024, so a later 8192 is the governor's doing.
  assert.equal(weightOf(id), expectWeight(1024));
  // The governor lists its containers every few seconds and raises only those it has seen: type until it has.
  let raised = false;
  for (let i = 0; i < 40 && !raised; i++) {
    t.send('e');
    raised = await until('the typing weight', () => weightOf(id) === expectWeight(8192), 500, 50).then(
      () => true,
      () => false,
    );
  }
  assert.ok(raised, 'raised while a line is typed');
  t.send('\x15'); // Ctrl-U: the line so far is dropped (a key too: the weight stays)
  t.send('echo typed-$((6*7))');
  await sleep(200);
  assert.equal(weightOf(id), expectWeight(8192), 'still raised mid-line');
  t.forget();
  t.send('\r');
  await t.waitFor(/typed-42/);
  assert.equal(weightOf(id), expectWeight(1024), 'the Enter: its own weight before the command ran');
  t.send('x');
  await until('the next key to raise it again', () => weightOf(id) === expectWeight(8192), 2000, 50);
  await until('its own weight back after a second without a key', () => weightOf(id) === expectWeight(1024), 4000, 50);
});
