/**
 * Waits until the machine is quiet before a timed phase, and says how long that took.
 *
 * Why: a storm removes its 100 containers on the way out, and the kernel goes on tearing down their
 * cgroups, mounts and namespaces for a while after the engine has answered (kworker cgroup_release). The
 * next storm started at once ran beside that teardown, so whichever system went second paid for the first
 * one's containers. Every storm now starts on a machine whose CPUs were mostly idle for `quietMs`.
 *
 * Contract: resolves with the wait and the busy share of the last window; never rejects. It gives up after
 * `maxMs` (a machine that never quiets is recorded as such, `quiet: false`, and the phase goes ahead).
 */
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Busy and total jiffies of the aggregate `cpu` line of a /proc/stat text (iowait counts as idle). */
export function parseProcStat(text: string): CpuTimes {
  const line = /^cpu\s+(.*)$/m.exec(text);
  if (!line) throw new Error('no aggregate cpu line in /proc/stat');
  const f = line[1]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in user and nice.
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Busy share (0..1) between two readings. */
export function busyShare(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total;
  return total > 0 ? (b.busy - a.busy) / total : 0;
}

export interface Settled {
  readonly waitedMs: number;
  /** Busy share of all CPUs in the last window. */
  readonly busy: number;
  readonly quiet: boolean;
}

export async function settle(opts: { busyBelow?: number; quietMs?: number; maxMs?: number } = {}): Promise<Settled> {
  const busyBelow = opts.busyBelow ?? 0.15;
  const quietMs = opts.quietMs ?? 2000;
  const maxMs = opts.maxMs ?? 60_000;
  const read = () => parseProcStat(readFileSync('/proc/stat', 'utf8'));
  const t0 = performance.now();
  for (;;) {
    const a = read();
    await new Promise((r) => setTimeout(r, quietMs));
    const busy = busyShare(a, read());
    const waitedMs = Math.round(performance.now() - t0);
    if (busy < busyBelow) return { waitedMs, busy: Math.round(busy * 1000) / 1000, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, busy: Math.round(busy * 1000) / 1000, quiet: false };
  }
}
