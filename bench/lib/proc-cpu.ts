/**
 * CPU time of processes from /proc/<pid>/stat (utime + stime, every thread of
 * the process, in clock ticks), and of a container from its cgroup. A reading
 * is taken before and after a measured step; a process that exits in between
 * loses what it spent (the data-path processes all outlive the step).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { containerCgroupDirs } from '../../src/runtime/docker/cgroup-paths.ts';

/** Clock ticks per second (USER_HZ): the unit of utime/stime. */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly ticks: number;
}

export function procStat(pid: number, file = `/proc/${pid}/stat`): ProcStat | undefined {
  let s: string;
  try {
    s = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may hold spaces or parentheses: the fields after it start at the last ')'.
  const close = s.lastIndexOf(')');
  const comm = s.slice(s.indexOf('(') + 1, close);
  const f = s.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) };
}

/**
 * CPU seconds of each thread of `pid` by thread name (`comm`), the threads of one name summed and the main thread
 * as `main`; empty when there is no such process. A thread that ends between two readings loses what it spent.
 */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const t = procStat(Number(tid), `/proc/${pid}/task/${tid}/stat`);
    if (!t) continue;
    const name = t.pid === pid ? 'main' : t.comm.trim();
    out.set(name, (out.get(name) ?? 0) + t.ticks / CLK_TCK);
  }
  return out;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function allProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync('/proc'))
    if (/^\d+$/.test(d)) {
      const p = procStat(Number(d));
      if (p) out.push(p);
    }
  return out;
}

/** `root` and every process below it. */
export function descendants(root: number, procs: readonly ProcStat[] = allProcs()): ProcStat[] {
  const inTree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs)
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
  }
  return procs.filter((p) => inTree.has(p.pid));
}

/** Pids of processes whose comm is `comm` (and whose command line contains `arg`, when given). */
export function pidsOf(comm: string, arg?: string): number[] {
  return allProcs()
    .filter((p) => p.comm === comm && (arg === undefined || cmdline(p.pid).includes(arg)))
    .map((p) => p.pid);
}

/**
 * CPU seconds a container's processes used (cgroup v1 cpuacct or v2 cpu.stat), wherever its group is (ISLET's idle
 * trainee group or the engine's, src/runtime/docker/cgroup-paths.ts); NaN when not found.
 */
export function containerCpuSeconds(id: string): number {
  for (const root of ['/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/cpu,cpuacct']) {
    for (const dir of containerCgroupDirs(root, id)) {
      try {
        return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
      } catch {
        /* next */
      }
    }
  }
  for (const dir of containerCgroupDirs('/sys/fs/cgroup', id)) {
    try {
      return Number(/^usage_usec (\d+)/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))?.[1]) / 1e6;
    } catch {
      /* next */
    }
  }
  return Number.NaN;
}

/**
 * A set of processes sorted into named groups, read before and after a step:
 * `delta()` gives each group's CPU seconds in between. Groups are re-resolved
 * at each reading, so a process that starts during the step counts in full.
 */
export class CpuMeter {
  readonly #groups: () => Record<string, readonly number[]>;
  #before = new Map<number, number>();

  constructor(groups: () => Record<string, readonly number[]>) {
    this.#groups = groups;
  }

  start(): void {
    this.#before = new Map();
    for (const pids of Object.values(this.#groups()))
      for (const pid of pids) {
        const s = procStat(pid);
        if (s) this.#before.set(pid, s.ticks);
      }
  }

  /** CPU seconds per group since start(), and the processes counted (pid, comm, seconds). */
  delta(): { groups: Record<string, number>; processes: { group: string; pid: number; comm: string; s: number }[] } {
    const groups: Record<string, number> = {};
    const processes: { group: string; pid: number; comm: string; s: number }[] = [];
    for (const [group, pids] of Object.entries(this.#groups())) {
      let ticks = 0;
      for (const pid of pids) {
        const s = procStat(pid);
        if (!s) continue;
        const d = s.ticks - (this.#before.get(pid) ?? 0);
        ticks += d;
        processes.push({ group, pid, comm: s.comm, s: d / CLK_TCK });
      }
      groups[group] = ticks / CLK_TCK;
    }
    return { groups, processes };
  }
}
