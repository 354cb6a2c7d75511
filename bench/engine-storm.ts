/**
 * The engine's own floor for a login storm: N containers (default 100) of the
 * demo environment created and started at once straight through the Engine
 * API (dockerode), at most C at a time (default 8, ISLET's mutation cap), the
 * same create body ISLET sends. No SSH, no accounts: what no front end can
 * beat on this machine. Prints p50/p95 of the time each container was running
 * since the storm began, and writes bench/results/<date>-engine-storm.json.
 *
 * Usage: node bench/engine-storm.ts [--containers 100] [--concurrency 8]
 */
import { join } from 'node:path';
import Docker from 'dockerode';
import { repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { loadConfigDir } from '../src/config/config-source.ts';
import { createOptions } from '../src/runtime/docker/index.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'containers', 100);
const C = numArg(argv, 'concurrency', 8);

async function main(): Promise<void> {
  const runId = testRunId();
  const docker = new Docker();
  const env = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
  const done: number[] = [];
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) {
          const i = next++;
          const { name: _n, ...body } = createOptions({
            name: `estorm-${runId}-${i}`,
            env,
            labels: { 'islet.test': runId },
            tty: { cols: 80, rows: 24 },
            term: 'xterm',
          });
          const c = await docker.createContainer(body);
          await c.start();
          done.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await sweepTestContainers(runId);
  }
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
