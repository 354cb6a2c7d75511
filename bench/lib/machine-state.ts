/**
 * How fast this machine is right now, probed in about half a second and recorded with every result
 * (`run.machine_state_at_start` and `_at_end`), so that a file taken in one of the VM's slow spells says so itself.
 *
 * Why these probes: on the Firecracker VM the figures were taken on, the same boot has run the engine
 * alone's storm 4× slower in the afternoon than in the morning while plain CPU work (md5sum of 300 MB)
 * took the same time. What a container start does a lot of, and md5sum does not, is touch fresh memory
 * and fork: runc, the shims and the network hook are new processes each time. In that slow spell
 * (2026-12-01 22:10 UTC) one first-touch page fault cost about 16 µs and a `/bin/true` spawned from Node
 * 7.5 to 13 ms; the figures of a normal spell on this VM are not known yet.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface MachineState {
  /** Mean cost of one first-touch 4 KiB page fault over 64 MiB (µs). */
  readonly pageFaultUs: number;
  /** Median wall time of spawning /bin/true from this process, over 9 spawns (ms). */
  readonly spawnMs: number;
  /** /proc/pressure/cpu "some avg60" (per cent), or null where the kernel has no PSI. */
  readonly cpuPressureAvg60: number | null;
  /** 1-minute load average. */
  readonly load1: number;
}

const PAGE = 4096;

/** µs per first-touch page fault: a fresh buffer outside the V8 heap (its own mapping), one byte per page. */
export function pageFaultUs(bytes = 64 << 20): number {
  const t0 = process.hrtime.bigint();
  const b = Buffer.allocUnsafeSlow(bytes);
  for (let i = 0; i < bytes; i += PAGE) b[i] = 1;
  return Number(process.hrtime.bigint() - t0) / 1e3 / (bytes / PAGE);
}

export function spawnMs(times = 9): number {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    spawnSync('/bin/true');
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(times / 2)]!;
}

/** The "some avg60" field of a /proc/pressure/cpu text, or null when absent. */
export function parseCpuPressure(text: string): number | null {
  const m = /^some .*\bavg60=([\d.]+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function machineState(): MachineState {
  let psi: string | undefined;
  try {
    psi = readFileSync('/proc/pressure/cpu', 'utf8');
  } catch {
    /* no PSI: recorded as null */
  }
  return {
    pageFaultUs: round2(pageFaultUs()),
    spawnMs: round2(spawnMs()),
    cpuPressureAvg60: psi === undefined ? null : parseCpuPressure(psi),
    load1: round2(loadavg()[0]!),
  };
}
