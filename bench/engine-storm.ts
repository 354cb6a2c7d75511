/**
 * The engine's own floor for a login storm: N containers (default 100) of the
 * demo environment created and started at once straight through the Engine
 * API (dockerode), at most C at a time (default ISLET's mutation cap, 8), the
 * same create body ISLET sends. No SSH, no accounts: what no front end can
 * beat on this machine. Prints p50/p95 of the time each container was running
 * since the storm began, and writes bench/results/<date>-engine-storm.json.
 *
 * Usage: node bench/engine-storm.ts [--containers 100] [--concurrency N]
 */
import { engineStorm } from './lib/engine-storm.ts';
import { DEFAULT_ENGINE_MUTATIONS } from '../src/runtime/docker/engine-mutations.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'containers', 100);
const C = numArg(argv, 'concurrency', DEFAULT_ENGINE_MUTATIONS);

async function main(): Promise<void> {
  const done = await engineStorm(N, C);
  const result = {
    benchmark: 'engine-storm',
    date: new Date().toISOString(),
    machine: machineInfo(),
    containers: N,
    concurrency: C,
    ms: { p50: round1(pct(done, 0.5)), p95: round1(pct(done, 0.95)), max: round1(Math.max(...done)) },
    samples: done.map(round1),
  };
  console.log(`${N} containers, ${C} at a time: running after p50 ${result.ms.p50} ms, p95 ${result.ms.p95} ms, max ${result.ms.max} ms`);
  writeResult('engine-storm', result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
