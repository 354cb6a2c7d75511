/**
 * The Docker driver's usage() from this host's cgroup files (src/runtime/docker/cgroup-usage.ts) against the
 * Engine API's own stats for the same busy container: the same CPU time (between two stats calls taken around
 * it) and the same memory figure, so the console's roster shows what `docker stats` would.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const runId = testRunId();
after(() => sweepTestContainers(runId));

type Stats = { cpu_stats: { cpu_usage: { total_usage: number } }; memory_stats: { usage: number; stats: Record<string, number> } };

test('usage() reads the cgroup of a busy container: CPU time between two engine stats taken around it, memory as docker stats counts it', async () => {
  const id = execFileSync('docker', ['run', '-d', '--label', `islet.test=${runId}`, 'islet/demo:latest', 'sh', '-c', 'while :; do :; done'], {
    encoding: 'utf8',
    timeout: 60_000,
  }).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const driver = new DockerDriver({ callTimeoutMs: 15_000 });
  assert.equal(driver.usageLocal, true, 'the engine is on this machine and its cgroups are readable');
  const c = new Docker().getContainer(id);
  const stats = async () => (await c.stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as Stats;
  await new Promise((r) => setTimeout(r, 1500));

  const before = await stats();
  const t0 = Date.now();
  const u1 = await driver.usage(id);
  const after1 = await stats();
  assert.ok(u1, 'usage() answered');
  assert.ok(
    u1.cpuNs >= before.cpu_stats.cpu_usage.total_usage && u1.cpuNs <= after1.cpu_stats.cpu_usage.total_usage,
    `cgroup CPU ${u1.cpuNs} lies between the engine's ${before.cpu_stats.cpu_usage.total_usage} and ${after1.cpu_stats.cpu_usage.total_usage}`,
  );
  const m = after1.memory_stats;
  const engineMemory = m.usage - (m.stats.inactive_file ?? m.stats.total_inactive_file ?? 0);
  assert.ok(Math.abs(u1.memoryBytes - engineMemory) < 4 * 1024 * 1024, `memory ${u1.memoryBytes} vs the engine's ${engineMemory}`);

  await new Promise((r) => setTimeout(r, 1000));
  const u2 = await driver.usage(id);
  const percent = ((u2!.cpuNs - u1.cpuNs) / 1e6 / (Date.now() - t0)) * 100;
  assert.ok(percent > 40, `the busy loop shows as busy: ${percent.toFixed(0)} % of a core`);

  execFileSync('docker', ['rm', '-f', id], { timeout: 60_000, stdio: 'ignore' });
  assert.equal(await driver.usage(id), undefined, 'gone: no cgroup, and the engine says 404');
});
