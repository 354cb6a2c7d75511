/**
 * Waits until the machine is quiet before a timed phase, and says how long that took.
 *
 * Why: a storm removes its 100 containers on the way out, and the kernel goes on tearing down their
 * cgroups, mounts and namespaces for a while after the engine has answered (kworker cgroup_release). A
 * storm started at once could run beside that teardown, and whichever system went second would pay for the
 * first one's containers. Every storm now starts on a machine whose CPUs were mostly idle for `quietMs`.
 * (In the first runs with it, 2026-12-02, the machine was quiet again within one window of 2 s.)
 *
 * Contract: resolves with the wait and the busy share of the last window; never rejects (without
 * /proc/stat it answers quiet at once). It gives up after `maxMs` (a machine that never quiets is recorded
 * as such, `quiet: false`, and the phase goes ahead).
 */
import { readCpuTimes, type CpuTimes } from '../../src/os/host-quiet.ts';

/** Busy share (0..1) of all CPUs between two readings (iowait counts as idle, as in readCpuTimes). */
export function busyShare(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total;
  return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
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
  const t0 = performance.now();
  for (;;) {
    const a = readCpuTimes();
    await new Promise((r) => setTimeout(r, quietMs));
    const b = readCpuTimes();
    // No /proc/stat (another OS): nothing to wait for.
    if (!a || !b) return { waitedMs: Math.round(performance.now() - t0), busy: 0, quiet: true };
    const busy = busyShare(a, b);
    const waitedMs = Math.round(performance.now() - t0);
    if (busy < busyBelow) return { waitedMs, busy: Math.round(busy * 1000) / 1000, quiet: true };
    if (waitedMs >= maxMs) return { waitedMs, busy: Math.round(busy * 1000) / 1000, quiet: false };
  }
}
