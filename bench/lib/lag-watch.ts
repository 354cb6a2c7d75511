/**
 * Event-loop lateness of the load generator and of an idle control (lib/loop-lag-probe.ts writes the lines),
 * for benches that time echoes: a key that waited while the generator's own loop was late was stretched by the
 * generator, and one that waited while the control was late met a machine-wide stall (a wake-up that came late,
 * a CPU that was not free), which no server design removes.
 *
 * Contract: start() loads the probe into this process (once per process: the probe reads its file name at
 * import) and spawns the control, a Node process at nice 0 that runs nothing but the probe's timer; stop()
 * kills the control and removes the files' directory. Never throws from stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('./loop-lag-probe.ts', import.meta.url));

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
    this.#control = spawn(process.execPath, [`--import=${PROBE}`, '-e', 'setInterval(() => {}, 2 ** 30)'], {
      env: { ...process.env, LOOP_LAG_FILE: this.controlFile },
      stdio: 'ignore',
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
