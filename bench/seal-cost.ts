/**
 * What one seal (a new account's full-cost scrypt, N=2^15 r=8) costs the hashing process, with and without
 * `KDF_MALLOC_ENV` (src/os/kdf-malloc.ts): the product's own worker (kdf-worker.ts) forked both
 * ways, in turn, `--reps` times; each time two seals to warm it, then `--seals` seals one after another, timed
 * from the parent (wall) and from the child's /proc/<pid>/stat (CPU in clock ticks, minor page faults). The
 * child runs at normal priority here: what is measured is the work, not how the idle policy shares it out.
 *
 * And what one login's verify of a sealed account costs the server, which runs it on libuv's pool (4 threads, as
 * the server has): test/helpers/verify-probe.ts, the product's verifyPassword, started both ways in turn; 4
 * verifies at once to warm every pool thread, then `--seals` one after another, measured as above, and the
 * process's VmRSS after them (the settings' price: pages kept). `islet serve` runs under the settings since it
 * re-executes itself with them (src/cli/islet.ts).
 *
 * And what a new account's interim hash (scrypt at INTERIM_N, computed by the server on the same pool while the
 * trainee waits) costs, both ways, measured as the verifies are (`interim_summary`).
 *
 * Writes bench/results/<date>-seal-cost.json.
 * Usage: node bench/seal-cost.ts [--seals 20] [--reps 3]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KDF_MALLOC_ENV } from '../src/os/kdf-malloc.ts';
import { forkKdfWorker, procStat, withoutKdfMalloc } from '../test/helpers/kdf-worker-client.ts';
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
  const w = forkKdfWorker(arm === 'malloc_env' ? KDF_MALLOC_ENV : {});
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

interface VerifyArm {
  readonly arm: 'default' | 'malloc_env';
  readonly rep: number;
  readonly cpu_ms_per_verify: number;
  readonly minor_faults_per_verify: number;
  readonly rss_mib_after: number;
}

const VERIFY_PROBE = fileURLToPath(new URL('../test/helpers/verify-probe.ts', import.meta.url));

function measureVerify(arm: VerifyArm['arm'], rep: number, what: 'verify' | 'interim' = 'verify'): VerifyArm {
  const env = withoutKdfMalloc();
  delete env.UV_THREADPOOL_SIZE; // the server's pool: libuv's default
  const r = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', VERIFY_PROBE, '4', String(SEALS), ...(what === 'interim' ? ['interim'] : [])],
    {
      env: arm === 'malloc_env' ? { ...env, ...KDF_MALLOC_ENV } : env,
      encoding: 'utf8',
      timeout: 600_000,
    },
  );
  if (r.status !== 0) throw new Error(`verify probe failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout) as { measured: string; verified: boolean; cpuMs: number; minorFaults: number; rssMiB: number };
  if (m.measured !== what) throw new Error(`verify probe measured ${m.measured}, not ${what}`);
  if (!m.verified) throw new Error(`verify probe: a ${what} failed`);
  return { arm, rep, cpu_ms_per_verify: round1(m.cpuMs / SEALS), minor_faults_per_verify: round1(m.minorFaults / SEALS), rss_mib_after: round1(m.rssMiB) };
}

type ArmName = 'default' | 'malloc_env';

/** `--reps` repetitions of both arms; the order turns every repetition, so neither arm always meets the machine first. */
async function interleaved<R>(measureArm: (arm: ArmName, rep: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const order: ArmName[] = rep % 2 === 0 ? ['default', 'malloc_env'] : ['malloc_env', 'default'];
    for (const arm of order) {
      const r = await measureArm(arm, rep);
      out.push(r);
      console.log(JSON.stringify(r));
    }
  }
  return out;
}

/** Each arm's median of each figure named. */
function medians<R extends { arm: ArmName }>(runs: readonly R[], keys: readonly (keyof R & string)[]): Record<ArmName, Record<string, number>> {
  const of = (arm: ArmName) =>
    Object.fromEntries(
      keys.map((k) => [
        k,
        pct(
          runs.filter((r) => r.arm === arm).map((r) => Number(r[k])),
          0.5,
        ),
      ]),
    );
  return { default: of('default'), malloc_env: of('malloc_env') };
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const runs = await interleaved<Arm>((arm, rep) => measure(arm, rep));
  const summary = medians(runs, ['wall_ms_per_seal', 'cpu_ms_per_seal', 'minor_faults_per_seal']);
  console.log(JSON.stringify(summary));
  const verifies = await interleaved<VerifyArm>((arm, rep) => Promise.resolve(measureVerify(arm, rep)));
  const verifySummary = medians(verifies, ['cpu_ms_per_verify', 'minor_faults_per_verify', 'rss_mib_after']);
  console.log(JSON.stringify(verifySummary));
  const interims = await interleaved<VerifyArm>((arm, rep) => Promise.resolve(measureVerify(arm, rep, 'interim')));
  const interimSummary = medians(interims, ['cpu_ms_per_verify', 'minor_faults_per_verify']);
  console.log(JSON.stringify(interimSummary));
  writeResult('seal-cost', {
    benchmark: 'seal-cost',
    date,
    method: { seals: SEALS, verifies: SEALS, reps: REPS, malloc_env: KDF_MALLOC_ENV, verify_pool_threads: 'libuv default (4)' },
    summary,
    verify_summary: verifySummary,
    // cpu_ms_per_verify here is per interim hash (the same probe, `interim`).
    interim_summary: interimSummary,
    runs,
    verify_runs: verifies,
    interim_runs: interims,
  });
}

await main();
