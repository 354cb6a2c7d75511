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
import { HASHER_MALLOC_ENV } from '../src/accounts/background-hasher.ts';
import { forkKdfWorker, procStat } from '../test/helpers/kdf-worker-client.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const SEALS = numArg(argv, 'seals', 20);
const REPS = numArg(argv, 'reps', 3);

interface Arm {
  readonly arm: 'default' | 'malloc_env';
  readonly rep: number;
  readonly wall_ms_per_seal: number;
  readonly cpu_ms_per_seal: number;
  readonly minor_faults_per_seal: number;
}

async function measure(arm: Arm['arm'], rep: number): Promise<Arm> {
  const w = forkKdfWorker(arm === 'malloc_env' ? HASHER_MALLOC_ENV : {});
  try {
    await w.seal('warm-1');
    await w.seal('warm-2');
    const before = procStat(w.child.pid!);
    const t0 = performance.now();
    for (let i = 0; i < SEALS; i++) await w.seal(`pw-${i}`);
    const wall = performance.now() - t0;
    const after = procStat(w.child.pid!);
    return {
      arm,
      rep,
      wall_ms_per_seal: round1(wall / SEALS),
      cpu_ms_per_seal: round1((after.cpuMs - before.cpuMs) / SEALS),
      minor_faults_per_seal: round1((after.minorFaults - before.minorFaults) / SEALS),
    };
  } finally {
    w.stop();
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
