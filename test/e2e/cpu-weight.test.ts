/**
 * The CPU-weight governor (src/lifecycle/cpu-weight-governor.ts) on the real engine: a container that keeps a
 * core busy gets the busy weight in its cgroup file while its quiet neighbour keeps its own, the busy one gets
 * its weight back once quiet, close() undoes a lowering, and a restart applies the configured weight again (the
 * driver's contract: nothing it sets outlives the run).
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { memoryLogger } from '../helpers/unit-world.ts';
import { DockerDriver } from '../../src/runtime/docker/index.ts';
import { expectWeight, weightOf } from '../helpers/cgroup-weight.ts';
import { CpuWeightGovernor, GOVERNOR_TICK_MS } from '../../src/lifecycle/cpu-weight-governor.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { prepareTraineeCpuGroup, TRAINEE_CPU_PARENT } from '../../src/runtime/docker/trainee-cpu-group.ts';

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

test('cpuWaited: a container whose two busy loops share one CPU waits about as long as it runs; a sleeping one does not wait', async (t: TestContext) => {
  const run = (name: string, ...cmd: string[]) =>
    docker('run', '-d', '--label', `islet.test=${runId}`, '--cpuset-cpus', '0', '--name', `${runId}-${name}`, 'islet/demo:latest', ...cmd);
  const starved = run('two-loops', 'sh', '-c', 'while :; do :; done & while :; do :; done');
  const idle = run('sleeper', 'sleep', '1000');
  // Removed at once, not with the file's sweep: the loops would keep a core busy under the tests that follow.
  t.after(() => docker('rm', '-f', starved, idle));
  const driver = new DockerDriver({ callTimeoutMs: 15_000 });
  const cpuWaited = driver.cpuWaited;
  assert.ok(cpuWaited, 'a local engine: the driver reads waiting');
  const first = [await cpuWaited(starved), await cpuWaited(idle)];
  if (first.some((x) => x === undefined)) {
    // No pressure files (a kernel without PSI, a cgroup v1 host without the unified hierarchy): nothing to measure.
    assert.ok(!(await import('node:fs')).existsSync('/proc/pressure/cpu'), 'undefined only where the kernel has no PSI');
    t.skip('this kernel has no pressure stall information');
    return;
  }
  const t0 = performance.now();
  await sleep(1500);
  const ms = performance.now() - t0;
  const waited = (i: number, x: number | undefined) => ((x! - first[i]!) / 1e6 / ms) * 100;
  const [w0, w1] = [waited(0, await cpuWaited(starved)), waited(1, await cpuWaited(idle))];
  t.diagnostic(`waited: two loops on one CPU ${w0.toFixed(1)} %, a sleeper ${w1.toFixed(1)} %`);
  assert.ok(w0 >= 30, `two loops on one CPU waited ${w0.toFixed(1)} % of the time (one always waits)`);
  assert.ok(w1 < 5, `a sleeping container waited ${w1.toFixed(1)} % of the time`);
});

test("in ISLET's trainee group a quiet room's tick reads no container, and a job that starts is still lowered", async (t: TestContext) => {
  const group = prepareTraineeCpuGroup();
  if (!('parent' in group)) {
    t.skip(`no idle trainee group on this host: ${group.reason}`);
    return;
  }
  const run = (name: string) =>
    docker(
      'run',
      '-d',
      '--label',
      `islet.test=${runId}`,
      '--cgroup-parent',
      TRAINEE_CPU_PARENT,
      '--name',
      `${runId}-g-${name}`,
      'islet/demo:latest',
      'sleep',
      '1000',
    );
  const ids = ['a', 'b', 'c'].map(run);
  const driver = new DockerDriver({ callTimeoutMs: 15_000 });
  const setCpuWeight = driver.setCpuWeight!;
  let reads = 0;
  const { log } = memoryLogger();
  const governor = new CpuWeightGovernor({
    driver: {
      cpuTime: (id) => {
        reads++;
        return driver.cpuTime(id);
      },
      setCpuWeight,
      groupCpuTime: () => driver.groupCpuTime(),
    },
    targets: async () => ids.map((id) => ({ id, shares: 1024 })),
    settings: () => ({ busyShares: 64, busyPercent: 50 }),
    log,
  });
  t.after(() => governor.close());
  // Other test files may run containers in the same group meanwhile: a tick counts only when the governor found the
  // group quiet, and then it must have read no container; a few such ticks must come within 20 s.
  await governor.tick();
  assert.equal(reads, 3, 'control: the first tick reads every container (first sight)');
  let quietSeen = 0;
  for (let i = 0; i < 40 && quietSeen < 3; i++) {
    await sleep(GOVERNOR_TICK_MS);
    const r: number = reads;
    const q = governor.quietTicks;
    await governor.tick();
    if (governor.quietTicks > q) {
      quietSeen++;
      assert.equal(reads, r, 'a quiet tick reads no container');
    }
  }
  assert.equal(quietSeen, 3, 'three quiet ticks within 20 s');
  docker('exec', '-d', ids[0]!, 'sh', '-c', 'while :; do :; done');
  for (let i = 0; i < 20 && governor.lowered === 0; i++) {
    await sleep(GOVERNOR_TICK_MS);
    await governor.tick();
  }
  assert.equal(weightOf(ids[0]!), expect(64), 'the busy one is lowered');
  assert.equal(weightOf(ids[1]!), expect(1024), 'its quiet neighbours are not');
  await governor.close();
  assert.equal(weightOf(ids[0]!), expect(1024), 'close(): its weight back');
});
