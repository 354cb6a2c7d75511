/**
 * The CPU-weight governor (src/lifecycle/cpu-weight-governor.ts) on the real engine: a container that keeps a
 * core busy gets the busy weight in its cgroup file while its quiet neighbour keeps its own, the busy one gets
 * its weight back once quiet, close() undoes a lowering, and a restart applies the configured weight again (the
 * driver's contract: nothing it sets outlives the run).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { memoryLogger } from '../helpers/unit-world.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { expectWeight, weightOf } from '../helpers/cgroup-weight.ts';
import { CpuWeightGovernor, GOVERNOR_TICK_MS } from '../../src/lifecycle/cpu-weight-governor.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';

const runId = testRunId();
after(() => sweepTestContainers(runId));

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const expect = expectWeight;

test('a busy container is lowered and given its weight back once quiet; its neighbour is untouched; a restart applies the configured weight', async () => {
  const run = (name: string) =>
    docker('run', '-d', '--label', `islet.test=${runId}`, '--cpu-shares', '512', '--name', `${runId}-${name}`, 'islet/demo:latest', 'sleep', '1000');
  const busy = run('busy');
  const quiet = run('quiet');
  const driver = new DockerDriver({ callTimeoutMs: 15_000 });
  assert.equal(driver.usageLocal, true, 'the engine is on this machine');
  // The probe reads what the engine wrote at start: the configured 512, so a later 64 is the governor's doing.
  assert.equal(weightOf(busy), expect(512));
  assert.equal(weightOf(quiet), expect(512));

  const setCpuWeight = driver.setCpuWeight;
  assert.ok(setCpuWeight, 'a local engine: the driver sets weights');
  const { log } = memoryLogger();
  const governor = new CpuWeightGovernor({
    driver: { cpuTime: (id) => driver.cpuTime(id), setCpuWeight },
    targets: async () => [
      { id: busy, shares: 512 },
      { id: quiet, shares: 512 },
    ],
    settings: () => ({ busyShares: 64, busyPercent: 50 }),
    log,
  });
  const ticks = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await governor.tick();
      await sleep(GOVERNOR_TICK_MS);
    }
  };
  await ticks(2);
  assert.equal(weightOf(busy), expect(512), 'idle so far');
  // Busy for 4 s, then quiet.
  docker('exec', '-d', busy, 'timeout', '4', 'sh', '-c', 'while :; do :; done');
  for (let i = 0; i < 6 && governor.lowered === 0; i++) await ticks(1);
  assert.equal(weightOf(busy), expect(64), 'busy: lowered');
  assert.equal(weightOf(quiet), expect(512), 'the quiet neighbour keeps its weight');
  assert.equal(governor.lowered, 1);
  // The loop ends 4 s after it began; four quiet ticks later the weight is back (allow a slow machine some more).
  for (let i = 0; i < 30 && governor.lowered > 0; i++) await ticks(1);
  assert.equal(governor.lowered, 0);
  assert.equal(weightOf(busy), expect(512), 'quiet again: its own weight');

  docker('exec', '-d', busy, 'sh', '-c', 'while :; do :; done');
  for (let i = 0; i < 20 && governor.lowered === 0; i++) await ticks(1);
  assert.equal(weightOf(busy), expect(64));
  await governor.close();
  assert.equal(weightOf(busy), expect(512), 'close(): the weight is given back although the loop still runs');

  assert.equal(await setCpuWeight(busy, 64), true);
  assert.equal(weightOf(busy), expect(64));
  docker('restart', '-t', '0', busy);
  assert.equal(weightOf(busy), expect(512), 'a restart applies the configured weight');
});
