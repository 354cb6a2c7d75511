/**
 * How long a container's tasks waited for a CPU: the kernel's pressure stall information ("PSI", Linux 4.20 and
 * later) of its cgroup, `cpu.pressure`'s `some ... total=` (microseconds during which at least one of its tasks was
 * runnable but not running), for an engine on this machine.
 *
 * Why: a job that wants a core can get next to none of it while the CPUs are short (ISLET's trainee group runs at
 * idle priority, and the CPU-weight governor lowers a busy container to a weight of 2), so its CPU use alone cannot
 * tell it from an idle one; its waiting can (src/lifecycle/lifecycle-service.ts spares such a container from idle
 * culling).
 *
 * Contract: `stalledNs(id)` takes a full 64-hex container id and answers the cumulative stall in nanoseconds, or
 * undefined where this host has no such file for it (no PSI, a cgroup v1 host without the unified hierarchy, a
 * container on another machine, a stopped or missing one). The file is under cgroup v2's root, or under
 * `unified/` on a hybrid host (v1 controllers beside the v2 hierarchy), at each place cgroup-paths.ts lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerCgroupDirs, isFullContainerId } from './cgroup-paths.ts';

const SOME_TOTAL = /^some .*\btotal=(\d+)/m;

/** The `some` line's cumulative total in `cpu.pressure` text, in microseconds; undefined when absent. */
export function someTotalUs(text: string): number | undefined {
  const m = SOME_TOTAL.exec(text);
  return m ? Number(m[1]) : undefined;
}

export class CgroupPressure {
  readonly #roots: readonly string[];

  constructor(roots: readonly string[] = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    this.#roots = roots;
  }

  /** stalledNs as RuntimeDriver.cpuWaited. */
  reader(): (id: string) => Promise<number | undefined> {
    return async (id) => this.stalledNs(id);
  }

  // Each call looks in every place (a few failed opens, microseconds each, for a check every few seconds): nothing is
  // remembered about a container, so nothing is left behind when it goes.
  stalledNs(id: string): number | undefined {
    if (!isFullContainerId(id)) return undefined;
    for (const dir of this.#roots.flatMap((r) => containerCgroupDirs(r, id))) {
      let text: string;
      try {
        text = readFileSync(join(dir, 'cpu.pressure'), 'latin1');
      } catch {
        continue;
      }
      const us = someTotalUs(text);
      if (us !== undefined) return us * 1000;
    }
    return undefined;
  }
}
