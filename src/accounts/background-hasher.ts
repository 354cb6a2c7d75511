/**
 * Hashes passwords in a child process at the lowest CPU priority: SCHED_IDLE where util-linux's chrt can
 * start it so (src/os/idle-policy.ts: a core running only the hasher then counts as idle when a trainee's
 * or ISLET's thread wakes), nice 19 in any case; one seal at a time (one libuv pool thread).
 *
 * Why: a room creating accounts together would otherwise fill every core
 * with scrypt (about 60 ms of CPU each here: bench/seal-cost.ts) exactly when the same trainees are
 * waiting for their menus and shells. At idle priority the hashing uses what
 * the interactive work leaves. Logins of existing accounts still verify in
 * process at normal priority: they are on the trainee's path.
 *
 * Contract: hash() always resolves with a valid encoded hash or rejects; if
 * the child cannot be started or dies, jobs fall back to hashing in process.
 * The child is started on the first job and let go after `idleMs` with
 * nothing to do (a Node process is tens of MB: a server holding a room of
 * idle sessions has no accounts to seal); the next job starts a new one.
 * With `quiet` (the server: src/os/host-quiet.ts), a job first waits for
 * an idle CPU, since nice 19 alone still takes the gaps of a login storm;
 * close() ends that wait. A quiet answer lets the jobs after it go on for
 * `quietRunMs` (QUIET_RUN_MS) without asking again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { hashPassword } from './password.ts';
import { setAutogroupNice } from '../os/autogroup.ts';
import { idleLauncher } from '../os/idle-policy.ts';
import { KDF_MALLOC_ENV } from '../os/kdf-malloc.ts';

interface Pending {
  resolve: (hash: string) => void;
  reject: (err: Error) => void;
  password: string;
  /** The process it was sent to: only that one's exit hands it back to be hashed in process. */
  child: ChildProcess;
}

/**
 * How long one quiet answer lets seals go on without asking the gate again. AccountService hands jobs over one at a
 * time, so a gate asked for every job took a fresh sample (250 ms) before each seal of about 60 ms: the 1000 new
 * accounts of a density run sealed at two or three a second, and were not all sealed five minutes after the last
 * one joined (bench/results/2026-12-05-sealing/). Asking again after a run keeps what the gate is for, since a storm
 * that starts meanwhile holds the seals after at most this long; and that sample is taken with no seal running, so
 * the hasher's own CPU does not count against the idle CPU it waits for.
 */
export const QUIET_RUN_MS = 1000;

/** How long a hashing process with nothing to do is kept (the next job would otherwise wait for a start). */
export const HASHER_IDLE_MS = 30_000;

export class BackgroundHasher {
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  #closed = false;
  readonly #onWarning: (msg: string, err?: unknown) => void;
  readonly #idleMs: number;
  #idleTimer: NodeJS.Timeout | undefined;

  /** Answers 'quiet' (src/os/host-quiet.ts QuietAnswer) when the host has a CPU to spare; anything else is not quiet. */
  readonly #quiet: ((signal: AbortSignal) => Promise<unknown>) | undefined;
  readonly #quietRunMs: number;
  /** Until when (performance.now()) the last quiet answer lets jobs through without asking. */
  #quietUntil = 0;
  readonly #closing = new AbortController();

  constructor(
    onWarning: (msg: string, err?: unknown) => void = () => undefined,
    opts: { idleMs?: number; quiet?: (signal: AbortSignal) => Promise<unknown>; quietRunMs?: number } = {},
  ) {
    this.#onWarning = onWarning;
    this.#idleMs = opts.idleMs ?? HASHER_IDLE_MS;
    this.#quiet = opts.quiet;
    this.#quietRunMs = opts.quietRunMs ?? QUIET_RUN_MS;
  }

  #spawn(): ChildProcess | undefined {
    if (this.#closed) return undefined;
    if (this.#child?.connected) return this.#child;
    try {
      // Its own session (detached), so its own scheduler autogroup at nice 19 (src/os/autogroup.ts): a nice on the
      // process alone would rank it only against ISLET's own threads, and its scrypt runs on pool threads the
      // process nice does not reach. It exits when the IPC channel closes (kdf-worker.ts), so it never outlives us.
      // Under SCHED_IDLE from its first instruction: chrt sets the policy and execs node, keeping the IPC channel.
      const chrt = idleLauncher();
      const launch = chrt ? { execPath: chrt, execArgv: ['--idle', '0', process.execPath, ...process.execArgv] } : {};
      // One libuv pool thread: seals run one at a time (scrypt is memory-hard; four at once on a small host would
      // hold 128 MiB and evict four times the caches), which is what docs/security.md promises.
      const child = fork(new URL('./kdf-worker.ts', import.meta.url), [], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        detached: true,
        // Its 32 MiB stay mapped from one seal to the next (kdf-malloc.ts); it exits HASHER_IDLE_MS after its last job.
        env: { ...process.env, UV_THREADPOOL_SIZE: '1', ...KDF_MALLOC_ENV },
        ...launch,
      });
      try {
        if (child.pid) {
          setPriority(child.pid, 19);
          if (setAutogroupNice(child.pid, 19) === 'refused') this.#onWarning('could not lower the hashing process group priority');
        }
      } catch (err) {
        this.#onWarning('could not lower the hashing process priority', err);
      }
      child.on('message', (m: { id: number; hash?: string; error?: string }) => {
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.hash) p.resolve(m.hash);
        else this.#inProcess(p);
        this.#armIdle();
      });
      child.on('exit', () => {
        if (this.#child === child) this.#child = undefined;
        // Whatever it had not answered is hashed here instead: nothing is lost.
        for (const [id, p] of this.#pending) {
          if (p.child !== child) continue;
          this.#pending.delete(id);
          this.#inProcess(p);
        }
      });
      child.on('error', (err) => this.#onWarning('hashing process error', err));
      this.#child = child;
      return child;
    } catch (err) {
      this.#onWarning('could not start the hashing process; hashing in process', err);
      return undefined;
    }
  }

  /**
   * Finds out now how the hashing process is started (chrt's probe is a short synchronous process, a few to
   * 20 ms): at the server's start rather than on the event loop of a login storm's first new account.
   */
  prepare(): void {
    idleLauncher();
  }

  /** The hashing process's pid while it runs (tests, diagnostics). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  #inProcess(p: Pick<Pending, 'resolve' | 'reject' | 'password'>): void {
    hashPassword(p.password).then(p.resolve, p.reject);
  }

  /** With nothing pending, lets the child go after idleMs (it exits when the channel closes). */
  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#pending.size > 0 || !this.#child) return;
    this.#idleTimer = setTimeout(() => {
      const child = this.#child;
      if (this.#pending.size > 0 || !child) return;
      this.#child = undefined;
      if (child.connected) child.disconnect();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }

  async hash(password: string): Promise<string> {
    if (this.#quiet && !this.#closed && performance.now() >= this.#quietUntil) {
      const answer = await this.#quiet(this.#closing.signal).catch(() => undefined);
      if (answer === 'quiet') this.#quietUntil = performance.now() + this.#quietRunMs;
    }
    return new Promise((resolve, reject) => {
      clearTimeout(this.#idleTimer);
      const child = this.#spawn();
      if (!child) {
        this.#inProcess({ resolve, reject, password });
        return;
      }
      const p: Pending = { resolve, reject, password, child };
      const id = this.#nextId++;
      this.#pending.set(id, p);
      child.send({ id, password }, (err) => {
        if (err && this.#pending.delete(id)) this.#inProcess(p);
      });
    });
  }

  /** Stops the child once it has answered everything sent to it, or after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true;
    this.#closing.abort(); // a job waiting for a quiet host goes ahead (hashed in process: the child is not started again)
    clearTimeout(this.#idleTimer);
    const deadline = Date.now() + graceMs;
    while (this.#pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const child = this.#child;
    this.#child = undefined;
    if (child?.connected) child.disconnect();
  }
}
