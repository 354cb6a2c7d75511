/**
 * Per-process CPU accounting of one measured slot (issue 15.4): the system's front end (ISLET's node
 * process and its hasher; the peer's sshd listener with every sshd, bash menu, sqlite3 and docker CLI
 * under it), dockerd, containerd, the containerd shims, the system's containers (their cgroups), the
 * load generator (this process) and the rest of the machine (everything else: other work on a shared
 * host shows up there). Seconds of CPU over the slot's window.
 *
 * `front_end_threads`: the front end's own process by thread name (`main`, `libuv-worker` for the pool that runs
 * its scrypt, `V8Worker` for the engine's compiler and GC helpers, ISLET's `islet-recording` …), so that the front
 * end's figure can be read by what it was spent on; absent when the front end is not one process that ran over
 * the whole window (the engine alone has none).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLK_TCK, CpuMeter, allProcs, containerCpuSeconds, descendants, threadCpu } from './proc-cpu.ts';

/** Busy seconds of the whole machine so far (/proc/stat: all but idle and iowait). */
export function machineBusySeconds(stat = readFileSync('/proc/stat', 'utf8')): number {
  const f = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return busy / CLK_TCK;
}

export type CpuGroups = Record<string, number>;

export class SlotCpu {
  readonly #meter: CpuMeter;
  readonly #filter: string;
  #containers0 = new Map<string, number>();
  #gen0 = process.cpuUsage();
  #machine0 = 0;
  #t0 = 0;
  readonly #serverPid: number;
  #threads0 = new Map<string, number>();

  readonly #fromZero: boolean;

  /**
   * `opts.newContainers`: also count containers created during the window, from zero (a storm); by default only
   * those that existed at start() count (a slot of the workload, whose containers are all there before).
   */
  constructor(serverPid: number, containerFilter: string, opts: { newContainers?: boolean } = {}) {
    this.#filter = containerFilter;
    this.#serverPid = serverPid;
    this.#fromZero = opts.newContainers ?? false;
    this.#meter = new CpuMeter(() => {
      const procs = allProcs();
      const by = (c: (comm: string) => boolean) => procs.filter((p) => c(p.comm)).map((p) => p.pid);
      return {
        front_end: descendants(serverPid, procs).map((p) => p.pid),
        dockerd: by((c) => c === 'dockerd'),
        containerd: by((c) => c === 'containerd'),
        shims: by((c) => c.startsWith('containerd-shim')),
      };
    });
  }

  #containers(): Map<string, number> {
    const ids = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', this.#filter], { timeout: 30_000 }).toString().split('\n').filter(Boolean);
    return new Map(ids.map((id) => [id, containerCpuSeconds(id)]));
  }

  start(): void {
    this.#containers0 = this.#containers();
    this.#threads0 = threadCpu(this.#serverPid);
    this.#meter.start();
    this.#gen0 = process.cpuUsage();
    this.#machine0 = machineBusySeconds();
    this.#t0 = performance.now();
  }

  /** CPU seconds per group since start(), the window's length, and the machine's busy seconds. */
  stop(): { window_s: number; machine_s: number; groups: CpuGroups; front_end_threads?: CpuGroups } {
    const machine_s = machineBusySeconds() - this.#machine0;
    const threads = threadCpu(this.#serverPid);
    const window_s = (performance.now() - this.#t0) / 1000;
    const g = process.cpuUsage(this.#gen0);
    const { groups } = this.#meter.delta();
    let containers = 0;
    for (const [id, s] of this.#containers()) {
      const before = this.#containers0.get(id) ?? (this.#fromZero ? 0 : undefined);
      if (before !== undefined && Number.isFinite(s) && Number.isFinite(before)) containers += s - before;
    }
    const out: CpuGroups = { ...groups, containers, generator: (g.user + g.system) / 1e6 };
    const counted = Object.values(out).reduce((a, b) => a + b, 0);
    out.rest_of_machine = Math.max(0, machine_s - counted);
    for (const k of Object.keys(out)) out[k] = Math.round(out[k]! * 1000) / 1000;
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const whole = threads.size > 0 && this.#threads0.has('main');
    const front_end_threads: CpuGroups = {};
    if (whole) for (const [name, s] of threads) front_end_threads[name] = r3(s - (this.#threads0.get(name) ?? 0));
    return { window_s: r3(window_s), machine_s: r3(machine_s), groups: out, ...(whole ? { front_end_threads } : {}) };
  }
}
