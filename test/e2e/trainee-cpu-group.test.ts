/**
 * runtime.trainee_cpu on the real engine (src/runtime/docker/trainee-cpu-group.ts): a driver asked for the idle group
 * creates trainee containers under ISLET's `islet-trainees` cgroup, marked `cpu.idle`, where the governor's reads and
 * writes still find them; a driver not asked leaves them in the engine's own group (the control, which also proves
 * the probe tells the two apart).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigDir } from '../../src/config/config-source.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { cpuHierarchy } from '../../src/runtime/docker/trainee-cpu-group.ts';
import { expectWeight, weightOf } from '../helpers/cgroup-weight.ts';
import { repoRoot } from '../helpers/islet-process.ts';
import { LABEL_TEST, sweepTestContainers, testRunId } from '../helpers/engine.ts';

const runId = testRunId();
after(() => sweepTestContainers(runId));

const demo = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;

/** The container's cgroup directory in the cpu hierarchy, by where it is found. */
function placeOf(id: string): 'islet-trainees' | 'docker' | 'elsewhere' {
  const h = cpuHierarchy()!;
  if (existsSync(join(h, 'islet-trainees', id))) return 'islet-trainees';
  if (existsSync(join(h, 'docker', id))) return 'docker';
  return 'elsewhere';
}

test('trainee containers go under the idle group when asked, under the engine group otherwise; weights and CPU time still read and written', async (t) => {
  const hierarchy = cpuHierarchy();
  assert.ok(hierarchy, 'this machine has a cpu controller');
  const grouped = new DockerDriver({ callTimeoutMs: 15_000, traineeCpuGroup: true });
  const plain = new DockerDriver({ callTimeoutMs: 15_000 });
  assert.equal(plain.traineeCpuGroup(), undefined, 'not asked: no group');
  const g = await grouped.traineeCpuGroup()!;
  if ('reason' in g) {
    // Only a kernel or engine that cannot have it; on the CI machine (cgroupfs, Linux 6) this must not happen.
    assert.fail(`the idle group is unavailable here: ${g.reason}`);
  }
  assert.equal(g.parent, '/islet-trainees');
  assert.equal(readFileSync(join(hierarchy, 'islet-trainees', 'cpu.idle'), 'utf8').trim(), '1', 'the group is marked idle');

  const make = (driver: DockerDriver, suffix: string) =>
    driver.create({ name: `${runId}-cpu-${suffix}`, env: { ...demo, command: 'sleep 600' }, labels: { [LABEL_TEST]: runId } });
  const a = await make(grouped, 'idle');
  const b = await make(plain, 'engine');
  await grouped.start(a.id);
  await plain.start(b.id);
  // Control first: the engine's own group is where an unasked driver's container is.
  assert.equal(placeOf(b.id), 'docker');
  assert.equal(placeOf(a.id), 'islet-trainees');

  // The governor's paths (cgroup-paths.ts) find the container in the idle group: CPU time and weight.
  assert.equal(weightOf(a.id), expectWeight(demo.cpu_shares));
  assert.equal(await grouped.setCpuWeight!(a.id, 64), true);
  assert.equal(weightOf(a.id), expectWeight(64));
  const cpu = await grouped.cpuTime(a.id);
  assert.equal(typeof cpu, 'number', `cpuTime read: ${cpu}`);
  t.diagnostic(`idle group ${g.parent}; container cpu time ${cpu}`);
});
