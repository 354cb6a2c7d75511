/**
 * The engine's own floor for a login storm: `n` containers of the demo environment created and started
 * straight through the Engine API (dockerode), `concurrency` at a time (ISLET's mutation cap, 8:
 * src/runtime/docker/engine-mutations.ts), with the
 * create body ISLET's server sends (its hosts file and CPU group too: floor-options.ts). No SSH, no accounts:
 * what no front end can beat. Times: ms from the storm's start until each container runs. Removes what it made.
 *
 * `onWindow`, if given, is called with the storm's container filter at its start and once every container runs
 * (before they are removed): per-process CPU accounting of the same window (bench/login-storm.ts).
 */
import { join } from 'node:path';
import Docker from 'dockerode';
import { repoRoot } from '../../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../../test/helpers/engine.ts';
import { loadConfigDir } from '../../src/config/config-source.ts';
import { createOptions } from '../../src/runtime/docker/index.ts';
import { floorOptions } from './floor-options.ts';

export async function engineStorm(
  n: number,
  concurrency: number,
  onWindow?: (edge: 'start' | 'end', filter: string) => void,
  opts: { traineeGroup?: boolean } = {},
): Promise<number[]> {
  const runId = testRunId();
  onWindow?.('start', `label=islet.test=${runId}`);
  const docker = new Docker();
  const env = loadConfigDir(join(repoRoot, 'examples')).environments.find((e) => e.name === 'demo')!;
  const done: number[] = [];
  const hosts = floorOptions(opts);
  let next = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          const { name: _n, ...body } = createOptions(
            { name: `estorm-${runId}-${i}`, env, labels: { 'islet.test': runId }, tty: { cols: 80, rows: 24 }, term: 'xterm' },
            hosts.local,
          );
          const c = await docker.createContainer(body);
          await c.start();
          done.push(performance.now() - t0);
        }
      }),
    );
    onWindow?.('end', `label=islet.test=${runId}`);
  } finally {
    await sweepTestContainers(runId);
    hosts.dispose();
  }
  return done;
}
