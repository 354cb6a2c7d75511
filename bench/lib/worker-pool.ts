/**
 * The working trainees of one system in the interleaved comparison: grown on demand (ten joining at a
 * time, arrivals rather than a storm), all running the paper's workload loop, of which only the first k
 * are active at a time. Pausing waits until no active trainee is typing or running a command, so the
 * next system's slot starts on a quiet host.
 *
 * Common random numbers (issue 15.2): each activation reseeds every trainee's random delays from its index
 * and the activation's count, so trainee i of every system draws the same delays in the same slot of the
 * interleaving. The systems then face the same pattern of the room's activity, and what differs between
 * their slots is the system, not the luck of the draw.
 *
 * Where each trainee starts in the script (`start`): 'spread' (the default) starts trainee i at a command drawn
 * from its index, the same in every system's pool, so the room's CPU task (the script's md5sum) is spread over
 * time as in a room that has worked a while; 'in-step' starts everyone at the first command, as the pool did
 * before 2026-12-04: the whole room then reached the md5sum together about a minute of activity in, which in
 * the runs of step 100 alone fell in one repetition (the fourth), heavy for both systems in every run.
 */
import type { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { runWorkload, WORKLOAD_COMMANDS, type EchoSample } from './workload.ts';

export type PoolStart = 'spread' | 'in-step';

interface Worker {
  readonly t: SshTrainee;
  active: boolean;
  random: () => number;
  readonly state: { busy: boolean };
  readonly done: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator (mulberry32): the same seed gives the same sequence in every system's pool. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The command trainee `index` of a spread room starts at: drawn from the index, the same in every pool and run. */
export function spreadStartAt(index: number): number {
  return Math.floor(seeded(0x5eed_0000 + index)() * WORKLOAD_COMMANDS.length);
}

export class WorkerPool {
  readonly echoes: EchoSample[] = [];
  failures = 0;
  readonly #workers: Worker[] = [];
  #stop = false;
  #activations = 0;
  readonly #start: PoolStart;
  readonly #onTyping: ((index: number, typing: boolean) => void) | undefined;

  /** `onTyping`: told when trainee `index` starts and stops typing a command (WorkloadOptions.onTyping). */
  constructor(opts: { start?: PoolStart; onTyping?: (index: number, typing: boolean) => void } = {}) {
    this.#start = opts.start ?? 'spread';
    this.#onTyping = opts.onTyping;
  }

  /** Where this pool's trainees start in the script ('spread' or 'in-step'), for the result files to say. */
  get start(): PoolStart {
    return this.#start;
  }

  /** Where trainee `index` starts in the script (see `start` above). */
  startAt(index: number): number {
    return this.#start === 'spread' ? spreadStartAt(index) : 0;
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Opens trainees until there are `n` (each in its own new container), ten at a time. */
  async grow(n: number, open: (index: number) => Promise<SshTrainee>): Promise<void> {
    while (this.#workers.length < n) {
      const base = this.#workers.length;
      const batch = await Promise.all(Array.from({ length: Math.min(10, n - base) }, (_, k) => open(base + k)));
      for (const [k, t] of batch.entries()) {
        const w: Worker = {
          t,
          active: false,
          random: seeded(base + k + 1),
          state: { busy: false },
          done: Promise.resolve().then(() =>
            runWorkload(t, {
              loops: Infinity,
              maxDelayMs: 10_000,
              random: () => w.random(),
              typingGapMs: 80,
              echoes: this.echoes,
              who: base + k, // the index `open` was given
              stopped: () => this.#stop,
              paused: () => !w.active,
              state: w.state,
              startAt: this.startAt(base + k),
              ...(this.#onTyping ? { onTyping: (typing: boolean) => this.#onTyping?.(base + k, typing) } : {}),
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
    this.#activations++;
    this.#workers.forEach((w, i) => {
      w.active = i < k;
      w.random = seeded((i + 1) * 100_003 + this.#activations);
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
