/**
 * What the CPU-weight governor (src/lifecycle/cpu-weight-governor.ts) costs ISLET's event loop: N idle
 * containers on the real engine (`sleep`, weight 1024), the governor over them through the real DockerDriver
 * (the host's cgroup files), ticked every GOVERNOR_TICK_MS for `--seconds`; each tick's wall time (the loop is
 * held that long: the reads are synchronous), and the process's CPU time over the window against the same
 * window without ticks. One container among them runs a busy loop, so the lowering and its write are in it.
 * Containers are labelled islet.test=<run> and removed a few at a time afterwards, also on failure.
 *
 * Writes bench/results/<date>-governor-cost.json.
 * Usage: node bench/governor-cost.ts [--n 200] [--seconds 20]
 */
import { execFileSync } from 'node:child_process';
import { CpuWeightGovernor, GOVERNOR_TICK_MS } from '../src/lifecycle/cpu-weight-governor.ts';
import { DockerDriver } from '../src/runtime/docker/index.ts';
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
  // Eight at a time: the engine's mutations are capped, and a create storm is not what is measured here.
  for (let i = 0; i < N; i += 8) {
    const batch = Array.from({ length: Math.min(8, N - i) }, (_, k) =>
      Promise.resolve().then(() => docker('run', '-d', '--label', `islet.test=${runId}`, '--network', 'none', 'islet/demo:latest', 'sleep', '100000')),
    );
    ids.push(...(await Promise.all(batch)));
  }
  docker('exec', '-d', ids[0]!, 'sh', '-c', 'while :; do :; done');
  const engine = new DockerDriver({ callTimeoutMs: 15_000 });
  const setCpuWeight = engine.setCpuWeight;
  if (!setCpuWeight) throw new Error('the engine is not on this machine: no CPU weights to set');
  const governor = new CpuWeightGovernor({
    driver: { cpuTime: (id) => engine.cpuTime(id), setCpuWeight },
    targets: async () => ids.map((id) => ({ id, shares: 1024 })),
    settings: () => ({ busyShares: 2, busyPercent: 90 }),
    log: memoryLogger().log,
  });
  const window = async (tick: boolean): Promise<{ cpuMs: number; ticks: number[] }> => {
    const ticks: number[] = [];
    const c0 = process.cpuUsage();
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until) {
      if (tick) {
        const t0 = performance.now();
        await governor.tick();
        ticks.push(performance.now() - t0);
      }
      await sleep(GOVERNOR_TICK_MS);
    }
    const c = process.cpuUsage(c0);
    return { cpuMs: (c.user + c.system) / 1000, ticks };
  };
  const idle = await window(false);
  const governed = await window(true);
  const lowered = governor.lowered;
  await governor.close();
  const t = governed.ticks.slice(1); // the first tick writes every container's own weight (first sight)
  writeResult('governor-cost', {
    benchmark: 'governor-cost',
    date,
    method: { n: N, seconds: SECONDS, tick_ms: GOVERNOR_TICK_MS, busy_containers: 1 },
    first_tick_ms: round1(governed.ticks[0] ?? Number.NaN),
    tick_ms: { p50: round1(pct(t, 0.5)), p95: round1(pct(t, 0.95)), max: round1(Math.max(...t)), ticks: t.length },
    // This process's CPU over the window with the governor ticking, and over as long a window without.
    cpu_ms: { governed: round1(governed.cpuMs), idle: round1(idle.cpuMs) },
    cpu_percent_of_a_core: round1(((governed.cpuMs - idle.cpuMs) / (SECONDS * 1000)) * 100),
    lowered_at_end: lowered,
  });
}

try {
  await main();
} finally {
  await sweepTestContainers(runId);
}
