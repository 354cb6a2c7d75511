/**
 * Memory readings from /proc: a process tree's resident set (the server's own
 * memory: ISLET's node process, or the peer's sshd with every bash and docker
 * CLI under it) and the host's memory in use (MemTotal - MemAvailable).
 */
import { readFileSync, readdirSync } from 'node:fs';

function status(pid: number): { ppid: number; rssKb: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return { ppid, rssKb };
  } catch {
    return undefined;
  }
}

/** Proportional set size (kB) of one process: its private pages plus its share of pages it maps with others. */
function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Memory (MB) of `root` and all its descendants: the sum of their resident
 * sets (which counts a page shared by many processes once per process) and of
 * their proportional sets (which splits it), and how many processes.
 */
export function treeRssMb(root: number): { mb: number; pssMb: number; processes: number } {
  const all = new Map<number, { ppid: number; rssKb: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = status(Number(d));
    if (st) all.set(Number(d), st);
  }
  const inTree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, st] of all)
      if (!inTree.has(pid) && inTree.has(st.ppid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  let kb = 0,
    pss = 0;
  for (const pid of inTree) {
    kb += all.get(pid)?.rssKb ?? 0;
    pss += pssKb(pid);
  }
  return { mb: kb / 1024, pssMb: pss / 1024, processes: inTree.size };
}

/** Host memory in use (MB): MemTotal - MemAvailable. */
export function hostUsedMb(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const get = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  return (get('MemTotal') - get('MemAvailable')) / 1024;
}
