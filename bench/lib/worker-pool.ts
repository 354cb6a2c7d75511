/**
 * The working trainees of one system in the interleaved comparison: grown on demand (ten joining at a
 * time, arrivals rather than a storm), all running the paper's workload loop, of which only the first k
 * are active at a time. Pausing waits until no active trainee is typing or running a command, so the
 * next system's slot starts on a quiet host.
 */
import type { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { runWorkload, type EchoSample } from './workload.ts';

interface Worker {
  readonly t: SshTrainee;
  active: boolean;
  readonly state: { busy: boolean };
  readonly done: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WorkerPool {
  readonly echoes: EchoSample[] = [];
  failures = 0;
  readonly #workers: Worker[] = [];
  #stop = false;

  get size(): number {
    return this.#workers.length;
  }

  /** Opens trainees until there are `n` (each in its own new container), ten at a time. */
  async grow(n: number, open: (index: number) => Promise<SshTrainee>): Promise<void> {
    while (this.#workers.length < n) {
      const base = this.#workers.length;
      const batch = await Promise.all(Array.from({ length: Math.min(10, n - base) }, (_, k) => open(base + k)));
      for (const t of batch) {
        const w: Worker = {
          t,
          active: false,
          state: { busy: false },
          done: Promise.resolve().then(() =>
            runWorkload(t, {
              loops: Infinity,
              maxDelayMs: 10_000,
              typingGapMs: 80,
              echoes: this.echoes,
              stopped: () => this.#stop,
              paused: () => !w.active,
              state: w.state,
            }).then((r) => {
              this.failures += r.failures;
            }),
          ),
        };
        this.#workers.push(w);
      }
    }
  }

  /** The first `k` trainees work, the others wait. */
  activate(k: number): void {
    this.#workers.forEach((w, i) => {
      w.active = i < k;
    });
  }

  /** Everyone waits; resolves when no one is mid-command (or after `timeoutMs`). Returns how many were still busy. */
  async pause(timeoutMs = 60_000): Promise<number> {
    for (const w of this.#workers) w.active = false;
    const until = Date.now() + timeoutMs;
    while (this.#workers.some((w) => w.state.busy) && Date.now() < until) await sleep(100);
    return this.#workers.filter((w) => w.state.busy).length;
  }

  async close(): Promise<void> {
    this.#stop = true;
    await Promise.race([Promise.all(this.#workers.map((w) => w.done)), sleep(30_000)]);
    for (const w of this.#workers) w.t.end();
  }
}
