/**
 * The engine floor's create body must be ISLET's own (issue 15.4): ISLET's server starts a network-off
 * container without the engine's network sandbox and with its own /etc/hosts bind
 * (src/runtime/docker/hosts-files.ts), under its idle CPU group for trainees (trainee-group.ts), guarded from
 * starving, so the floor does too, with hosts files in a directory of its own. Files before 2026-12-05's thirty-seventh session left the
 * group out: their floors and engine storms ran in the engine's own group while ISLET's containers (since ab8c611)
 * ran in the idle one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostsFiles, type LocalEngineOptions } from '../../src/runtime/docker/index.ts';
import { guardGroup, traineeGroupOptions } from './trainee-group.ts';

/**
 * `traineeGroup: false` leaves the group out, for an A/B against ISLET with `runtime.trainee_cpu: engine`. `guard: false`
 * runs no guard of the floor's own, for a floor sampled only beside a running ISLET server (which guards the group).
 */
export function floorOptions(opts: { traineeGroup?: boolean; guard?: boolean } = {}): { local: LocalEngineOptions; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'islet-bench-hosts-'));
  const hosts = new HostsFiles(dir);
  const group = opts.traineeGroup === false ? {} : traineeGroupOptions('engine floor');
  // Guarded as ISLET's server guards it (trainee-group.ts).
  const guard = opts.guard === false ? { stop: () => undefined } : guardGroup('engine floor', group);
  return {
    local: { hostsFileFor: (h) => hosts.fileFor(h), ...group },
    dispose: () => {
      guard.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
