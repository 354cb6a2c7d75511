/**
 * CPU of one step of the workload (one system at one n), from its repetitions' slot windows: cores busy per
 * process group, and ms of CPU per working trainee per second.
 *
 * Contract: the CPU of all repetitions over their summed windows, so a long repetition weighs by its length.
 * (Until 2026-12-02 bench/workload.ts divided the mean CPU by the median window, which overstates a step whose
 * windows differ: the peer's at n = 100 in the slow spell of that day added up to 4.6 cores of a 2-core machine.)
 */
import type { CpuGroups } from './slot-cpu.ts';

export interface StepCpu {
  readonly cpu_cores: Record<string, number>;
  readonly cpu_ms_per_trainee_s: Record<string, number>;
}

export function stepCpu(windows: readonly { window_s: number; groups: CpuGroups }[], n: number): StepCpu {
  const seconds = windows.reduce((a, w) => a + w.window_s, 0);
  const sums: Record<string, number> = {};
  for (const w of windows) for (const [g, v] of Object.entries(w.groups)) sums[g] = (sums[g] ?? 0) + v;
  const cores = (v: number) => (seconds > 0 ? v / seconds : Number.NaN);
  // Trainees working besides the one running the exercise.
  const working = Math.max(1, n - 1);
  return {
    cpu_cores: Object.fromEntries(Object.entries(sums).map(([g, v]) => [g, Math.round(cores(v) * 1000) / 1000])),
    cpu_ms_per_trainee_s: Object.fromEntries(Object.entries(sums).map(([g, v]) => [g, Math.round(((cores(v) * 1000) / working) * 10) / 10])),
  };
}
