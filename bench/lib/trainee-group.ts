/**
 * The CPU group ISLET's server puts trainee containers under on this machine's engine with its default
 * `runtime.trainee_cpu: idle` (src/runtime/docker/trainee-cpu-group.ts, the same `groupForEngine` the server calls):
 * every container the benchmarks compare with ISLET's (the peer's, the engine floor's, the engine storm's) goes
 * there too, so that the create settings are alike (issue 15.1). Empty, with the reason logged, where the engine
 * cannot take the group (a systemd cgroup driver, no `cpu.idle`): then ISLET's containers stay in the engine's
 * group as well.
 */
import { execFileSync } from 'node:child_process';
import { groupForEngine } from '../../src/runtime/docker/trainee-cpu-group.ts';

export function traineeGroupOptions(who: string): { cgroupParent?: string } {
  const cgroupDriver = execFileSync('docker', ['info', '--format', '{{.CgroupDriver}}'], { encoding: 'utf8', timeout: 30_000 }).trim();
  const group = groupForEngine(cgroupDriver);
  if ('reason' in group) {
    console.log(`${who}: containers under the engine's own CPU group (${group.reason})`);
    return {};
  }
  return { cgroupParent: group.parent };
}
