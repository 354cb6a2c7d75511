/**
 * Event-loop lateness of the load generator and of an idle control (lib/loop-lag-probe.ts writes the lines),
 * for benches that time echoes: a key that waited while the generator's own loop was late was stretched by the
 * generator, and one that waited while the control was late met a wait any process at nice 0 in a group of its own
 * would have met (a wake-up that came late, a CPU that was not free). That is not a stall of the machine itself: a
 * SCHED_FIFO probe on each core (bench/rt-probe.c) was never late by 10 ms in a 40 s window in which the control
 * was late by over 8 ms 25 times (docs/performance.md, "A steady room: where the tail waits").
 *
 * Contract: start() loads the probe into this process (once per process: the probe reads its file name at
 * import) and spawns the control, a Node process at nice 0 in a session of its own that runs nothing but the
 * probe's timer (and exits when its parent is gone); stop()
 * kills the control and removes the files' directory. Never throws from stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./loop-lag-probe.ts', import.meta.url));

/** The control's program: nothing but the probe's timer, and a check once a second that its parent still runs. */
const CONTROL = `const parent = process.ppid; setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 1000);`;

export interface Late {
  /** When the late timer ran, in this process's performance.now(). */
  readonly at: number;
  readonly late: number;
  /** The same moment on CLOCK_MONOTONIC (ms), as the probe read it. */
  readonly mono: number;
}

/** The lateness lines (wall-clock ms, late ms, monotonic ms) of a loop-lag-probe file within [from, to] of this process's clock. */
export function lateness(file: string, from: number, to: number): Late[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').map(Number) as [number, number, number])
    .map(([at, late, mono]) => ({ at: at - performance.timeOrigin, late, mono }))
    .filter((x) => x.at >= from && x.at <= to);
}

/** A timer late by `late` at `at` means its loop did not run over [at − late, at]: was it so while `key` waited? */
export function lateDuring(lags: readonly Late[], key: { at: number; ms: number }, min: number): boolean {
  return lags.some((l) => l.late >= min && l.at - l.late < key.at + key.ms && l.at > key.at);
}

export class LagWatch {
  readonly dir: string;
  readonly generatorFile: string;
  readonly controlFile: string;
  #control: ChildProcess | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'islet-lag-'));
    this.generatorFile = join(this.dir, 'generator-lag.txt');
    this.controlFile = join(this.dir, 'control-lag.txt');
  }

  get controlPid(): number | undefined {
    return this.#control?.pid;
  }

  async start(): Promise<void> {
    process.env.LOOP_LAG_FILE = this.generatorFile;
    await import('./loop-lag-probe.ts');
    // In a session of its own (detached: setsid), so that with the kernel's autogroups on it is scheduled as a
    // group of its own, as ISLET's server is (test/helpers/islet-process.ts starts it detached). Until 2026-12-04
    // it shared the generator's session, whose group it shared with the generator at nice −10 (9.3 times its
    // weight), so its lateness also counted the generator's own bursts. Being detached it would outlive a
    // generator that died without stop(): it exits once its parent is gone.
    this.#control = spawn(process.execPath, [`--import=${PROBE}`, '-e', CONTROL], {
      env: { ...process.env, LOOP_LAG_FILE: this.controlFile },
      stdio: 'ignore',
      detached: true,
    });
    if (this.#control.pid !== undefined) setPriority(this.#control.pid, 0); // it inherits the generator's −10
  }

  generator(from: number, to: number): Late[] {
    return lateness(this.generatorFile, from, to);
  }

  control(from: number, to: number): Late[] {
    return lateness(this.controlFile, from, to);
  }

  /** Kills the control; keeps the files when `keep` (for a closer look), else removes them. */
  stop(keep = false): void {
    this.#control?.kill();
    this.#control = undefined;
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
