/**
 * Whether the engine's storm throughput depends on how many creates ISLET lets run at once (its mutation cap,
 * 8): the engine alone's storm (bench/lib/engine-storm.ts: N containers of the demo environment with ISLET's
 * create body, straight through the Engine API) at each cap given, the caps' order turning every repetition, a
 * settled machine (bench/lib/settle.ts) before each storm. Per storm: p50, p95 and max of the time until each
 * container runs, and how busy the machine's CPUs were over it (/proc/stat).
 *
 * Why: a cold storm's excess over the engine alone is the CPU ISLET adds while both cores are busy
 * (docs/performance.md, "Login storm"). A cap under which the engine's throughput held while it left CPU idle
 * would give ISLET's work room without slowing the containers; this says whether such a cap exists here.
 *
 * Writes bench/results/<date>-engine-caps.json.
 * Usage: node bench/engine-caps.ts [--containers 100] [--caps 2,4,8] [--reps 3]
 */
import { readCpuTimes } from '../src/os/host-quiet.ts';
import { engineStorm } from './lib/engine-storm.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { busyShare, settle } from './lib/settle.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'containers', 100);
const REPS = numArg(argv, 'reps', 3);
const capsArg = argv.includes('--caps') ? argv[argv.indexOf('--caps') + 1]! : '2,4,8';
const CAPS = capsArg.split(',').map((c) => {
  const n = Number(c);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--caps: positive integers separated by commas, not ${capsArg}`);
  return n;
});

interface Storm {
  readonly cap: number;
  readonly rep: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly max_ms: number;
  /** Busy share (0..1) of all CPUs from the storm's start until its last container ran. */
  readonly cpu_busy: number;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const storms: Storm[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    for (const cap of rep % 2 === 0 ? CAPS : [...CAPS].reverse()) {
      await settle();
      const a = readCpuTimes()!;
      let b = a;
      const done = await engineStorm(N, cap, (edge) => {
        if (edge === 'end') b = readCpuTimes()!;
      });
      const s = {
        cap,
        rep,
        p50_ms: round1(pct(done, 0.5)),
        p95_ms: round1(pct(done, 0.95)),
        max_ms: round1(Math.max(...done)),
        cpu_busy: Math.round(busyShare(a, b) * 1000) / 1000,
      };
      storms.push(s);
      console.log(JSON.stringify(s));
    }
  }
  const by = (cap: number) => storms.filter((s) => s.cap === cap);
  const summary = CAPS.map((cap) => {
    const p95 = by(cap).map((s) => s.p95_ms);
    return {
      cap,
      p95_ms: { min: Math.min(...p95), median: pct(p95, 0.5), max: Math.max(...p95) },
      cpu_busy_median: pct(
        by(cap).map((s) => s.cpu_busy),
        0.5,
      ),
    };
  });
  console.log(JSON.stringify(summary));
  writeResult('engine-caps', { benchmark: 'engine-caps', date, machine: machineInfo(), containers: N, caps: CAPS, reps: REPS, summary, storms });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
