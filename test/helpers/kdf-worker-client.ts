/**
 * The password-hashing worker (src/accounts/kdf-worker.ts) driven directly, without BackgroundHasher's priority
 * and quiet gate: forked with the environment given, one seal at a time over its IPC protocol. For the test and
 * the benchmark of what a seal costs the process (src/accounts/background-hasher.test.ts, bench/seal-cost.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KDF_MALLOC_ENV } from '../../src/os/kdf-malloc.ts';

/** USER_HZ: /proc's CPU times are in these ticks on Linux. */
const TICKS_PER_S = 100;

/** A process's CPU time so far and its minor page faults (/proc/<pid>/stat). */
export function procStat(pid: number): { cpuMs: number; minorFaults: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the comm: state is field 3, so minflt (10) is index 7, utime (14) 11, stime (15) 12.
  return { cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S, minorFaults: Number(f[7]) };
}

export interface KdfWorker {
  readonly child: ChildProcess;
  /** Seals one password; resolves when the worker answered with a hash. */
  seal(password: string): Promise<void>;
  stop(): void;
}

/**
 * `env` (default: this process's) without KDF_MALLOC_ENV's settings, so that a "without" arm is one even when the
 * caller itself runs under them (a test started from a served shell, a bench from `islet serve`'s environment).
 */
export function withoutKdfMalloc(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of Object.keys(KDF_MALLOC_ENV)) delete out[k];
  return out;
}

export function forkKdfWorker(env: Readonly<Record<string, string>>): KdfWorker {
  const child = fork(new URL('../../src/accounts/kdf-worker.ts', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...withoutKdfMalloc(), UV_THREADPOOL_SIZE: '1', ...env },
  });
  let id = 0;
  const seal = (password: string) =>
    new Promise<void>((resolve, reject) => {
      const mine = ++id;
      const onMessage = (m: { id: number; hash?: string; error?: string }) => {
        if (m.id !== mine) return;
        child.off('message', onMessage);
        if (m.hash) resolve();
        else reject(new Error(m.error ?? 'no hash'));
      };
      child.on('message', onMessage);
      child.send({ id: mine, password });
    });
  return { child, seal, stop: () => child.connected && child.disconnect() };
}
