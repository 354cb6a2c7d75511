/**
 * What the CPU-weight governor (src/lifecycle/cpu-weight-governor.ts) costs ISLET's event loop: N idle
 * containers on the real engine (`sleep`, weight 1024), in ISLET's idle trainee group as the server puts them
 * (`runtime.trainee_cpu: idle`; the engine's own group where this host has none), the governor over them through
 * the real DockerDriver (the host's cgroup files, the group's counter too), ticked every GOVERNOR_TICK_MS for
 * `--seconds` in each of two rooms: a quiet one (every container idle: the governor reads the group's counter and
 * no container) and then a busy one (one container runs a busy loop, so every container is read, and the lowering
 * and its write are in it). Each tick's wall time (the loop is held that long: the reads are synchronous), the
 * container reads per tick, and the process's CPU time over each window against as long a window without ticks.
 * Containers are labelled islet.test=<run> and removed a few at a time afterwards, also on failure.
 *
 * Writes bench/results/<date>-governor-cost.json.
 * Usage: node bench/governor-cost.ts [--n 200] [--seconds 20]
 */
import { execFileSync } from 'node:child_process';
import { CpuWeightGovernor, GOVERNOR_TICK_MS } from '../src/lifecycle/cpu-weight-governor.ts';
import { DockerDriver } from '../src/runtime/docker/index.ts';
import { prepareTraineeCpuGroup, TRAINEE_CPU_PARENT } from '../src/runtime/docker/trainee-cpu-group.ts';
import { memoryLogger } from '../test/helpers/unit-world.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'n', 200);
const SECONDS = numArg(argv, 'seconds', 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runId = testRunId();
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', timeout: 120_000 }).trim();

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const ids: string[] = [];
  const group = prepareTraineeCpuGroup();
  const inGroup = 'parent' in group;
  const parent = inGroup ? ['--cgroup-parent', TRAINEE_CPU_PARENT] : [];
  // Eight at a time: the engine's mutations are capped, and a create storm is not what is measured here.
  for (let i = 0; i < N; i += 8) {
    const batch = Array.from({ length: Math.min(8, N - i) }, (_, k) =>
      Promise.resolve().then(() =>
        docker('run', '-d', '--label', `islet.test=${runId}`, ...parent, '--network', 'none', 'islet/demo:latest', 'sleep', '100000'),
      ),
    );
    ids.push(...(await Promise.all(batch)));
  }
  const engine = new DockerDriver({ callTimeoutMs: 15_000 });
  const setCpuWeight = engine.setCpuWeight;
  if (!setCpuWeight) throw new Error('the engine is not on this machine: no CPU weights to set');
  let reads = 0;
  const governor = new CpuWeightGovernor({
    driver: {
      cpuTime: (id) => {
        reads++;
        return engine.cpuTime(id);
      },
      setCpuWeight,
      groupCpuTime: () => engine.groupCpuTime(),
    },
    targets: async () => ids.map((id) => ({ id, shares: 1024 })),
    settings: () => ({ busyShares: 2, busyPercent: 90 }),
    log: memoryLogger().log,
  });
  const window = async (tick: boolean): Promise<{ cpuMs: number; ticks: number[]; reads: number[] }> => {
    const ticks: number[] = [];
    const tickReads: number[] = [];
    const c0 = process.cpuUsage();
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until) {
      if (tick) {
        const [t0, r0] = [performance.now(), reads];
        await governor.tick();
        ticks.push(performance.now() - t0);
        tickReads.push(reads - r0);
      }
      await sleep(GOVERNOR_TICK_MS);
    }
    const c = process.cpuUsage(c0);
    return { cpuMs: (c.user + c.system) / 1000, ticks, reads: tickReads };
  };
  const idle = await window(false);
  const quiet = await window(true);
  const quietTicks = governor.quietTicks;
  docker('exec', '-d', ids[0]!, 'sh', '-c', 'while :; do :; done');
  const governed = await window(true);
  const lowered = governor.lowered;
  await governor.close();
  // The quiet room's first tick writes every container's own weight (first sight), its second has no earlier group
  // reading to compare; the busy room's first tick is its first read of the stale containers (a new baseline each).
  const summary = (ticks: number[]) => ({ p50: round1(pct(ticks, 0.5)), p95: round1(pct(ticks, 0.95)), max: round1(Math.max(...ticks)), ticks: ticks.length });
  const percent = (ms: number) => round1(((ms - idle.cpuMs) / (SECONDS * 1000)) * 100);
  writeResult('governor-cost', {
    benchmark: 'governor-cost',
    date,
    method: { n: N, seconds: SECONDS, tick_ms: GOVERNOR_TICK_MS, busy_containers: 1, trainee_group: inGroup ? TRAINEE_CPU_PARENT : group.reason },
    first_tick_ms: round1(quiet.ticks[0] ?? Number.NaN),
    // The busy room: one container keeps a core busy, so the group is never quiet and every container is read.
    tick_ms: summary(governed.ticks.slice(1)),
    container_reads_per_tick: { busy: round1(pct(governed.reads.slice(1), 0.5)), quiet: round1(pct(quiet.reads.slice(2), 0.5)) },
    // The quiet room: every container idle; ticks the governor found quiet read the group's counter and no container.
    quiet_tick_ms: summary(quiet.ticks.slice(2)),
    quiet_ticks: quietTicks,
    // This process's CPU over each window with the governor ticking, and over as long a window without.
    cpu_ms: { governed: round1(governed.cpuMs), quiet: round1(quiet.cpuMs), idle: round1(idle.cpuMs) },
    cpu_percent_of_a_core: percent(governed.cpuMs),
    quiet_cpu_percent_of_a_core: percent(quiet.cpuMs),
    lowered_at_end: lowered,
  });
}

try {
  await main();
} finally {
  await sweepTestContainers(runId);
}
