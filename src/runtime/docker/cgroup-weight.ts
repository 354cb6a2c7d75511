/**
 * Sets a running container's CPU weight in the host's cgroup files, for an engine on this machine.
 *
 * Why not the Engine API's update: every update goes through containerd to `runc update`, a process start (not
 * measured here), at the moments the machine is busiest, while the file is one small write. The engine keeps its
 * own record of the container's `CpuShares`, so a restart of the container applies the configured weight again:
 * nothing set here outlives the run.
 *
 * Contract: `set(id, shares)` takes a full 64-hex container id and a weight in `docker --cpu-shares` units
 * (2 to 262144) and returns true once written, false when this host has no cgroup for the container (stopped,
 * gone, another machine's engine, an unknown layout). cgroup v2 gets the engine's own conversion to
 * `cpu.weight` (runc's ConvertCPUSharesToCgroupV2Value). Layouts: cgroup v1 and v2, each place cgroup-paths.ts
 * lists (ISLET's idle trainee group, Docker's cgroupfs and systemd drivers).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerCgroupDirs, isFullContainerId } from './cgroup-paths.ts';

/** `--cpu-shares` as cgroup v2's cpu.weight (1 to 10000), as runc converts it. */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

export class CgroupWeight {
  /** The container's weight files to try, in order, and the text to write for a weight. */
  readonly #paths: (id: string) => string[];
  readonly #text: (shares: number) => string;

  private constructor(paths: (id: string) => string[], text: (shares: number) => string) {
    this.#paths = paths;
    this.#text = text;
  }

  /** The writer for this host's cgroup hierarchy under `root`, or undefined when neither v1's cpu controller nor v2 is there. */
  static detect(root = '/sys/fs/cgroup'): CgroupWeight | undefined {
    if (existsSync(join(root, 'cgroup.controllers'))) {
      return new CgroupWeight(
        (id) => containerCgroupDirs(root, id).map((d) => join(d, 'cpu.weight')),
        (s) => String(sharesToWeight(s)),
      );
    }
    if (existsSync(join(root, 'cpu', 'cpu.shares'))) {
      return new CgroupWeight(
        (id) => containerCgroupDirs(join(root, 'cpu'), id).map((d) => join(d, 'cpu.shares')),
        (s) => String(s),
      );
    }
    return undefined;
  }

  set(id: string, shares: number): boolean {
    if (!isFullContainerId(id) || !Number.isInteger(shares) || shares < 2 || shares > 262144) return false;
    for (const path of this.#paths(id)) {
      try {
        // No create flag: a cgroup that is not there is not made (writing into a missing directory fails anyway).
        writeFileSync(path, this.#text(shares), { flag: 'r+' });
        return true;
      } catch {
        // the other layout's path, or no cgroup here
      }
    }
    return false;
  }
}
