/**
 * What one seal (a new account's full-cost scrypt, N=2^15 r=8) costs the hashing process, with and without
 * `HASHER_MALLOC_ENV` (src/accounts/background-hasher.ts): the product's own worker (kdf-worker.ts) forked both
 * ways, in turn, `--reps` times; each time two seals to warm it, then `--seals` seals one after another, timed
 * from the parent (wall) and from the child's /proc/<pid>/stat (CPU in clock ticks, minor page faults). The
 * child runs at normal priority here: what is measured is the work, not how the idle policy shares it out.
 *
 * Writes bench/results/<date>-seal-cost.json.
 * Usage: node bench/seal-cost.ts [--seals 20] [--reps 3]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HASHER_MALLOC_ENV } from '../src/accounts/background-hasher.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const SEALS = numArg(argv, 'seals', 20);
const REPS = numArg(argv, 'reps', 3);
/** USER_HZ: /proc's CPU times are in these ticks on Linux. */
const TICKS_PER_S = 100;

function procStat(pid: number): { cpuMs: number; minorFaults: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the comm: state is field 3, so minflt (10) is index 7, utime (14) 11, stime (15) 12.
  return { cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S, minorFaults: Number(f[7]) };
}

function sealer(child: ChildProcess): (password: string) => Promise<void> {
  let id = 0;
  return (password) =>
    new Promise((resolve, reject) => {
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
}

interface Arm {
  readonly arm: 'default' | 'malloc_env';
  readonly rep: number;
  readonly wall_ms_per_seal: number;
  readonly cpu_ms_per_seal: number;
  readonly minor_faults_per_seal: number;
}

async function measure(arm: Arm['arm'], rep: number): Promise<Arm> {
  const env = { ...process.env, UV_THREADPOOL_SIZE: '1', ...(arm === 'malloc_env' ? HASHER_MALLOC_ENV : {}) };
  const child = fork(new URL('../src/accounts/kdf-worker.ts', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
  try {
    const seal = sealer(child);
    await seal('warm-1');
    await seal('warm-2');
    const before = procStat(child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < SEALS; i++) await seal(`pw-${i}`);
    const wall = performance.now() - t0;
    const after = procStat(child.pid!);
    return {
      arm,
      rep,
      wall_ms_per_seal: round1(wall / SEALS),
      cpu_ms_per_seal: round1((after.cpuMs - before.cpuMs) / SEALS),
      minor_faults_per_seal: round1((after.minorFaults - before.minorFaults) / SEALS),
    };
  } finally {
    child.disconnect();
  }
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const runs: Arm[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    // The order turns every repetition, so neither arm always meets the machine first.
    const order: Arm['arm'][] = rep % 2 === 0 ? ['default', 'malloc_env'] : ['malloc_env', 'default'];
    for (const arm of order) {
      const r = await measure(arm, rep);
      runs.push(r);
      console.log(JSON.stringify(r));
    }
  }
  const summary = Object.fromEntries(
    (['default', 'malloc_env'] as const).map((arm) => {
      const mine = runs.filter((r) => r.arm === arm);
      const med = (k: keyof Omit<Arm, 'arm' | 'rep'>) =>
        pct(
          mine.map((r) => r[k]),
          0.5,
        );
      return [arm, { wall_ms_per_seal: med('wall_ms_per_seal'), cpu_ms_per_seal: med('cpu_ms_per_seal'), minor_faults_per_seal: med('minor_faults_per_seal') }];
    }),
  );
  console.log(JSON.stringify(summary));
  writeResult('seal-cost', { benchmark: 'seal-cost', date, method: { seals: SEALS, reps: REPS, malloc_env: HASHER_MALLOC_ENV }, summary, runs });
}

await main();
