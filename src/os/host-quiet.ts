/**
 * Waits for spare CPU on the host: for work that should use only what trainees leave (sealing passwords).
 *
 * Why not just nice 19: a login storm keeps both cores of a small host busy with container starts that
 * sleep often (mounts, namespaces, runc), and a nice-19 scrypt fills every gap. scrypt is memory-hard: it
 * evicts the caches the starts use and delays every wake-up by its slice. Measured in the 100-login storm
 * (bench/results/2026-12-01-login-storm.json): ISLET's processes used 6.17 and 6.24 CPU-s in the storm
 * windows with the hasher at nice 19 alone (commit 22e2335, in that file's history), 2.25 and 2.48 with
 * this gate (b6dfc2d). So the hasher waits until a CPU is idle, and runs at nice 19 as well.
 *
 * Contract: never throws. Without /proc/stat (another OS) the host counts as quiet: the wait must not
 * become a way to never seal.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Cumulative CPU time of the whole host, in clock ticks: idle (idle + iowait) and total. */
export interface CpuTimes {
  readonly idle: number;
  readonly total: number;
}

/** The first line of /proc/stat; undefined when there is none. */
export function readCpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (!line.startsWith('cpu ') || f.length < 5 || f.some((n) => !Number.isFinite(n))) return undefined;
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

export interface HostQuietOptions {
  /** Idle CPUs (averaged over a sample) that count as quiet; default 1. */
  readonly idleCpus?: number;
  /** The sample window (ms); default 250. */
  readonly sampleMs?: number;
  /** Give up waiting after this long (ms) and answer 'timeout'; default 10 minutes. */
  readonly maxWaitMs?: number;
  /** Ends the wait at once ('aborted'), e.g. at shutdown. */
  readonly signal?: AbortSignal;
  readonly read?: () => CpuTimes | undefined;
  readonly cpus?: number;
}

export const HOST_QUIET_MAX_WAIT_MS = 10 * 60_000;

/** Resolves once a sample window had at least `idleCpus` idle CPUs (or the wait ends otherwise). */
export async function untilHostQuiet(o: HostQuietOptions = {}): Promise<'quiet' | 'timeout' | 'aborted' | 'unknown'> {
  const read = o.read ?? readCpuTimes;
  const cpus = o.cpus ?? availableParallelism();
  const sampleMs = o.sampleMs ?? 250;
  const deadline = Date.now() + (o.maxWaitMs ?? HOST_QUIET_MAX_WAIT_MS);
  let before = read();
  if (!before) return 'unknown';
  for (;;) {
    const waited = await sleep(sampleMs, o.signal);
    if (!waited) return 'aborted';
    const now = read();
    if (!now) return 'unknown';
    const total = now.total - before.total;
    if (total > 0 && ((now.idle - before.idle) / total) * cpus >= (o.idleCpus ?? 1)) return 'quiet';
    if (Date.now() >= deadline) return 'timeout';
    before = now;
  }
}

/** false when aborted. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * untilHostQuiet for a stream of jobs: the wait is counted from the first job that found the host busy, so
 * on a host that never quiets down the first job waits `maxWaitMs` and the later ones one sample each
 * (work held back forever would be work never done). A quiet sample starts the count afresh.
 *
 * Every job waiting at once shares one sampling of the host, and they go together when it answers: a
 * storm's hundred new accounts each read /proc/stat four times a second before (readCpuTimes was 1.6 % of
 * ISLET's main thread in the profiled cold storm of 2026-12-02), and they would all have seen the same
 * quiet sample anyway (the hasher then seals them one at a time).
 */
export class QuietGate {
  readonly #o: HostQuietOptions;
  readonly #now: () => number;
  #busySince: number | undefined;
  readonly #waiting = new Set<(r: QuietAnswer) => void>();
  /** Ends the shared sampling when every job waiting for it was aborted. */
  #sampling: AbortController | undefined;

  constructor(o: HostQuietOptions = {}, now: () => number = Date.now) {
    this.#o = o;
    this.#now = now;
  }

  wait(signal?: AbortSignal): Promise<QuietAnswer> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const done = (r: QuietAnswer) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => {
        this.#waiting.delete(done);
        if (this.#waiting.size === 0) this.#sampling?.abort();
        resolve('aborted');
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(done);
      if (!this.#sampling) void this.#sample();
    });
  }

  /** One sampling at a time; its answer goes to every job waiting when it comes (those that came during it too). */
  async #sample(): Promise<void> {
    while (this.#waiting.size > 0) {
      const start = this.#now();
      this.#busySince ??= start;
      const left = (this.#o.maxWaitMs ?? HOST_QUIET_MAX_WAIT_MS) - (start - this.#busySince);
      const ac = new AbortController();
      this.#sampling = ac;
      const r = await untilHostQuiet({ ...this.#o, maxWaitMs: Math.max(0, left), signal: ac.signal });
      // Ended because every job waiting had gone (each was answered then); one that came since starts a new sample.
      if (r === 'aborted') continue;
      if (r === 'quiet' || r === 'unknown') this.#busySince = undefined;
      const answered = [...this.#waiting];
      this.#waiting.clear();
      for (const done of answered) done(r);
    }
    this.#sampling = undefined;
  }
}

export type QuietAnswer = 'quiet' | 'timeout' | 'aborted' | 'unknown';
