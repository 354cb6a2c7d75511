/**
 * ISLET's own cgroup for trainee containers, marked idle for the CPU (`cpu.idle`, Linux 5.15 and later), so that every
 * process outside the containers (ISLET's front doors, the engine and its shims, sshd) is run ahead of trainee work
 * the moment it wakes, and the containers share what is left by their own weights.
 *
 * Why: with a hundred containers each starting short jobs, a process at nice 0 outside them waited up to 100 to 260 ms
 * for a CPU in spells (timer probes in bench/results/2026-12-05-host-reserve-probe/), which is where the slow keys'
 * echo waited in ISLET's event loop (docs/performance.md, "A steady room: where the tail waits"); with the engine's
 * group marked idle the same probe waited at most 20 to 31 ms.
 *
 * Contract: `prepareTraineeCpuGroup(root)` makes `<root>/<cpu hierarchy>/islet-trainees` (cgroup v1's cpu controller
 * or v2's unified tree) if it is not there and writes 1 into its `cpu.idle`; it returns the group as a Docker
 * `CgroupParent` (for the engine's cgroupfs driver), or the reason it cannot (no cpu controller, a kernel without
 * `cpu.idle`, no permission). It touches nothing but that one group: the engine's own groups are the engine's.
 * Idempotent; the group is left in place (stopped containers' groups are the engine's to remove).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The group's name under the cgroup root; the containers' own groups are `<name>/<id>`. */
export const TRAINEE_CPU_GROUP = 'islet-trainees';

/** The group as Docker's `HostConfig.CgroupParent` (cgroupfs driver: a path from the cgroup root). */
export const TRAINEE_CPU_PARENT = `/${TRAINEE_CPU_GROUP}`;

export type TraineeCpuGroup = { readonly parent: string } | { readonly reason: string };

/** The directory of the cpu controller's hierarchy under `root`: v2's root, or v1's `cpu`; undefined when neither. */
export function cpuHierarchy(root = '/sys/fs/cgroup'): string | undefined {
  if (existsSync(join(root, 'cgroup.controllers'))) return root;
  if (existsSync(join(root, 'cpu', 'cpu.shares'))) return join(root, 'cpu');
  return undefined;
}

/** The group's files under `root` for one cgroup layout (paths only: the group may not exist yet). */
export interface TraineeGroupFiles {
  /** The directory of its CPU-time file: its containers' groups are under it. */
  readonly cpuDir: string;
  /** Its CPU time: v2's `cpu.stat` (`usage_usec`), v1's `cpuacct.usage` (ns). */
  readonly cpu: string;
  /** Its pressure stall, `cpu.pressure` (v1: on a hybrid host's `unified/` tree only). */
  readonly pressure: string;
  /** Its idle mark, `cpu.idle` (v1: under the cpu controller's hierarchy). */
  readonly idle: string;
}

/**
 * Where the group's files are, for the readers of it (cgroup-usage.ts, trainee-group-io.ts), so that the layouts are
 * spelled out once.
 */
export function traineeGroupFiles(root: string, layout: 'v1' | 'v2', group = TRAINEE_CPU_GROUP): TraineeGroupFiles {
  if (layout === 'v2') {
    const dir = join(root, group);
    return { cpuDir: dir, cpu: join(dir, 'cpu.stat'), pressure: join(dir, 'cpu.pressure'), idle: join(dir, 'cpu.idle') };
  }
  const dir = join(root, 'cpuacct', group);
  return { cpuDir: dir, cpu: join(dir, 'cpuacct.usage'), pressure: join(root, 'unified', group, 'cpu.pressure'), idle: join(root, 'cpu', group, 'cpu.idle') };
}

export function prepareTraineeCpuGroup(root = '/sys/fs/cgroup'): TraineeCpuGroup {
  const hierarchy = cpuHierarchy(root);
  if (!hierarchy) return { reason: `no cpu controller under ${root}` };
  if (hierarchy === root) {
    // cgroup v2: the cpu controller must be enabled for the root's children, or the group has no cpu files.
    let enabled = '';
    try {
      enabled = readFileSync(join(root, 'cgroup.subtree_control'), 'utf8');
    } catch {
      // read below as not enabled
    }
    if (!enabled.split(/\s+/).includes('cpu')) return { reason: `the cpu controller is not enabled in ${join(root, 'cgroup.subtree_control')}` };
  }
  const dir = join(hierarchy, TRAINEE_CPU_GROUP);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    return { reason: `cannot make ${dir}: ${(e as Error).message}` };
  }
  const idle = join(dir, 'cpu.idle');
  if (!existsSync(idle)) return { reason: `${idle} is missing (cpu.idle needs Linux 5.15 or later)` };
  try {
    writeFileSync(idle, '1', { flag: 'r+' });
  } catch (e) {
    return { reason: `cannot write ${idle}: ${(e as Error).message}` };
  }
  return { parent: TRAINEE_CPU_PARENT };
}

/**
 * The group for an engine with this cgroup driver (its `/info`): prepared with `cgroupfs` only, since the systemd
 * driver takes a slice as the parent, not a path.
 */
export function groupForEngine(cgroupDriver: string | undefined, root = '/sys/fs/cgroup'): TraineeCpuGroup {
  return cgroupDriver === 'cgroupfs' ? prepareTraineeCpuGroup(root) : { reason: `the engine's cgroup driver is ${cgroupDriver ?? 'unknown'}, not cgroupfs` };
}
