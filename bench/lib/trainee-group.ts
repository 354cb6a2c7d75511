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
import { traineeGroupGuardService } from '../../src/runtime/docker/trainee-group-guard.ts';
import { memoryLogger } from '../../test/helpers/unit-world.ts';

export function traineeGroupOptions(who: string): { cgroupParent?: string } {
  const cgroupDriver = execFileSync('docker', ['info', '--format', '{{.CgroupDriver}}'], { encoding: 'utf8', timeout: 30_000 }).trim();
  const group = groupForEngine(cgroupDriver);
  if ('reason' in group) {
    console.log(`${who}: containers under the engine's own CPU group (${group.reason})`);
    return {};
  }
  return { cgroupParent: group.parent };
}

/**
 * ISLET's guard over the group (src/runtime/docker/trainee-group-guard.ts), run here as ISLET's server runs it, for a
 * system the benchmark puts in the group with no ISLET server beside it (the peer; the engine floor and the engine
 * alone's storm): the group's behaviour when starved is then alike too. `warnings()`: its lines at warn (a lift).
 * Nothing is started where the containers are not in the group (`cgroupParent` absent).
 */
export function guardGroup(who: string, local: { cgroupParent?: string }): { stop(): void; warnings(): string[] } {
  if (!local.cgroupParent) return { stop: () => undefined, warnings: () => [] };
  const { log, events } = memoryLogger();
  const parent = local.cgroupParent;
  const guard = traineeGroupGuardService(async () => ({ parent }), log);
  guard.start();
  const warnings = () => events.filter((e) => Number(e.level) >= 40).map((e) => JSON.stringify(e).slice(0, 600));
  return {
    stop: () => {
      guard.stop();
      for (const w of warnings()) console.log(`${who}: ${w}`);
    },
    warnings,
  };
}
