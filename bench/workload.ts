/**
 * Trainees per host (the paper's Table 1 cut-off) and keystroke echo under load, interleaved (issue 15.2).
 * All systems run at once — `islet` (ISLET at nice 0, like the peer), `peer` (the original design) and
 * optionally `islet-nice` (ISLET's own server_priority, −10), `islet-flat` (nice 0 with the CPU-weight
 * governor off, `busy_cpu_shares: 0`, src/lifecycle/cpu-weight-governor.ts) and `islet-engine` (nice 0 with
 * trainees' terminals through the engine's attach, `runtime.terminal: engine`, not the pty relay) and `islet-slice` (nice 0
 * with the relay and the shell asking for a 100 µs scheduler slice, `runtime.terminal_slice_us: 100`; 2026-12-04-workload-slice-ab.json
 * ran the opposite pair, `islet-slice0`, while that was the default) and `islet-shared` (nice 0 with its containers in the
 * engine's own CPU group, `runtime.trainee_cpu: engine`, not ISLET's idle one) — each with its own trainees in their own
 * containers. At every step n the systems take turns (the order changing every repetition), several repetitions: n−1 of one system's trainees
 * run the paper's workload (lib/workload.ts) while its n-th trainee times a fixed CPU-bound exercise,
 * then they pause and the next system's turn starts (lib/interleave.ts); every repetition also times each
 * system's exercise with nobody working (its solo time, in the same interleaving). After the coarse steps,
 * finer steps are measured near each 3× crossing, with the rooms at the largest measured step's size (the pools only grow:
 * the trainees past n stay connected and idle), so a finer step compares the systems with each other, not with the
 * coarse steps around it. The cut-off is computed against the shared solo time
 * and against each system's own, with min / median / max (lib/cutoff.ts). Every echo of the working
 * trainees' keys is timed; every loaded slot's CPU is accounted per process group (lib/slot-cpu.ts), and records how
 * late the generator's event loop and an idle control's were, and whether its slow keys waited through such a spell
 * (`late`, lib/lag-watch.ts).
 * `--profile`: after the compared runs, a separate ISLET (nice 0) runs under `node --cpu-prof` with
 * PROFILE_N − 1 trainees working for PROFILE_SECONDS; its main thread's profile is summarised into the
 * result. The profiler is never on a compared system: its sampling (a signal to the main thread every
 * millisecond) slowed the profiled ISLET's echo tail and exercise in the comparison (issue 15.2).
 * `--start spread|in-step` (default spread): where the working trainees start in the script (lib/worker-pool.ts).
 * `--exercise-timeout S` (default 600): a loaded slot's exercise still running after S seconds is interrupted
 * (Ctrl-C) and recorded as taking S seconds, with `exercise_timed_out` (a lower bound: past the knee of the
 * room's demand a slot can run for many minutes, and one such slot must not lose the whole run). Its ratio is
 * then a lower bound too, which is all a crossing needs while S is at least three times the solo time.
 * Coarse steps above one where every run of every system is past 3x against both yardsticks are skipped
 * (`method.skipped_steps`; `--all-steps` measures them): they cannot move a cut-off, and on a slow machine
 * (2026-12-02, n=150 of a run stopped by hand) a slot there took minutes per system.
 * Writes bench/results/<date>-workload.json, or <date>-<name>.json with `--name` (a run of steps above the
 * main run's: `--name workload-cutoff`, read on by the targets table); after every step the finished steps
 * are in <date>-<name>-partial.json, which the complete file replaces.
 *
 * Usage: node bench/workload.ts [--systems islet,peer,islet-nice,islet-flat,islet-engine,islet-slice,islet-shared] [--steps 1,25,50,100,150,200]
 *          [--reps 3] [--settle 15] [--refine 2] [--refine-max 6] [--profile] [--profile-n 100] [--profile-seconds 60]
 *          [--exercise-timeout 600] [--name workload] [--all-steps] [--start spread|in-step]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import { analyzeCutoff, everyRunPast, type ExerciseRun } from './lib/cutoff.ts';
import { summarizeCpuProfile } from './lib/cpu-profile.ts';
import { refineSteps, stepSlots, type Slot } from './lib/interleave.ts';
import { openJourney, run } from './lib/journey.ts';
import { SHELL_PROMPT } from './lib/targets.ts';
import { pct, resultPath, round1, writeResult } from './lib/results.ts';
import { settle } from './lib/settle.ts';
import { SlotCpu, type CpuGroups } from './lib/slot-cpu.ts';
import { stepCpu } from './lib/step-cpu.ts';
import { median } from './lib/stats.ts';
import { numArg, startTarget, type Target } from './lib/targets.ts';
import { WorkerPool, type PoolStart } from './lib/worker-pool.ts';
import { EXERCISE } from './lib/workload.ts';
import { LagWatch, lateDuring } from './lib/lag-watch.ts';

const argv = process.argv.slice(2);
const list = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return (i >= 0 ? argv[i + 1]! : fallback).split(',').filter(Boolean);
};
const SYSTEMS = list('systems', 'islet,peer,islet-nice');
const STEPS = list('steps', '1,25,50,100,150,200').map(Number);
const REPS = numArg(argv, 'reps', 3);
const SETTLE_MS = numArg(argv, 'settle', 15) * 1000;
/** Finer steps per crossing curve, and in all (islet's and the peer's own-solo curves first). */
const REFINE = numArg(argv, 'refine', 2);
const REFINE_MAX = numArg(argv, 'refine-max', 6);
const PROFILE = argv.includes('--profile');
const EXERCISE_TIMEOUT_MS = numArg(argv, 'exercise-timeout', 600) * 1000;
/** Skip the coarse steps above one where every run of every system is past 3x (`--all-steps` measures them anyway). */
const STOP_PAST = !argv.includes('--all-steps');
const NAME = argv.includes('--name') ? argv[argv.indexOf('--name') + 1]! : 'workload';
/** Where the working trainees start in the script (lib/worker-pool.ts): spread (default) or in-step (as before 2026-12-04). */
const START: PoolStart = ((v) => {
  if (v !== 'spread' && v !== 'in-step') throw new Error('--start: spread or in-step');
  return v;
})(argv.includes('--start') ? argv[argv.indexOf('--start') + 1] : 'spread');
if (!/^[a-z][a-z0-9-]*$/.test(NAME)) throw new Error(`--name ${NAME}: lower-case letters, digits and dashes`);
const PROFILE_N = numArg(argv, 'profile-n', 100);
const PROFILE_SECONDS = numArg(argv, 'profile-seconds', 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const s of SYSTEMS)
  if (!['islet', 'peer', 'islet-nice', 'islet-flat', 'islet-engine', 'islet-slice', 'islet-shared'].includes(s)) {
    throw new Error(`unknown system ${s} (islet, peer, islet-nice, islet-flat, islet-engine, islet-slice, islet-shared)`);
  }

interface System {
  readonly name: string;
  readonly target: Target;
  readonly probe: SshTrainee;
  readonly pool: WorkerPool;
}

/** One measured slot, as written to the result file. */
interface SlotResult extends ExerciseRun {
  readonly started: string;
  readonly echo_ms?: { p50: number; p95: number; p99: number; samples: number };
  readonly echoes?: number[];
  readonly cpu?: { window_s: number; machine_s: number; groups: CpuGroups };
  readonly load1: number;
  readonly still_busy_at_pause?: number;
  readonly workload_failures: number;
  readonly exercise_timed_out?: true;
  /**
   * Over the window: how often the generator's event loop and an idle control's were late by 20 ms or more (and by
   * how much at most), and the keys over SLOW_MS by what was late while they waited (lib/lag-watch.ts): a key that
   * waited while the control was late met a machine-wide stall; one while only the generator was, the generator.
   */
  readonly late?: {
    readonly generator: { over_20ms: number; max_ms: number };
    readonly control: { over_20ms: number; max_ms: number };
    readonly slow_keys: { count: number; control: number; generator_only: number; neither: number };
  };
}

/**
 * Busy share of both CPUs under which the machine counts as calm after the rooms grow: above lib/settle.ts's
 * default (0.15) because hundreds of idle containers' shims and the VM's own daemons keep it there at the largest
 * steps (the calm windows of archive/2026-12-05-workload-96fdc88.json's `growth_settle`: 0.15 to 0.18 busy at 100
 * to 200).
 */
const GROWTH_CALM_BUSY = 0.25;

/** A key slower than this counts as slow in `late.slow_keys` (the target's 50 ms). */
const SLOW_MS = 50;
/** The generator's and the control's loop lateness (lib/lag-watch.ts), for every loaded slot. */
const lags = new LagWatch();

/** The loaded slot's exercise; past `EXERCISE_TIMEOUT_MS` it is interrupted and counted as that long (a lower bound). */
async function loadedExercise(probe: SshTrainee): Promise<{ ms: number; timedOut: boolean }> {
  try {
    return { ms: (await run(probe, EXERCISE, EXERCISE_TIMEOUT_MS)).ms, timedOut: false };
  } catch (err) {
    if (!String(err).includes('timeout waiting for')) throw err;
    probe.send('\x03');
    await probe.waitFor(SHELL_PROMPT, 600_000);
    return { ms: EXERCISE_TIMEOUT_MS, timedOut: true };
  }
}

async function startSystem(name: string, profileDir?: string): Promise<System> {
  const target =
    name === 'peer'
      ? await startTarget('peer')
      : await startTarget('islet', {
          priority: name === 'islet-nice' ? -10 : 0,
          ...(name === 'islet-flat' ? { config: ['busy_cpu_shares: 0'] } : {}),
          ...(name === 'islet-engine' ? { config: ['runtime:', '  terminal: engine'] } : {}),
          ...(name === 'islet-slice' ? { config: ['runtime:', '  terminal_slice_us: 100'] } : {}),
          ...(name === 'islet-shared' ? { config: ['runtime:', '  trainee_cpu: engine'] } : {}),
          ...(profileDir ? { nodeOptions: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
        });
  const { trainee: probe } = await openJourney(target, { account: 'probe', password: 'benchpw', choice: target.choices.demo, timeoutMs: 120_000 });
  await run(probe, EXERCISE, 600_000); // warms the page cache and the binaries once
  return { name, target, probe, pool: new WorkerPool({ start: START }) };
}

async function measureSlot(sys: System, slot: Slot): Promise<SlotResult> {
  const started = new Date().toISOString();
  if (slot.kind === 'solo') {
    const { ms } = await run(sys.probe, EXERCISE, 600_000);
    return { ...slot, exercise_ms: round1(ms), started, load1: round1(loadavg()[0]!), workload_failures: sys.pool.failures };
  }
  sys.pool.activate(slot.n - 1);
  await sleep(SETTLE_MS);
  const cpu = new SlotCpu(sys.target.pid, sys.target.containerFilter);
  cpu.start();
  const from = performance.now();
  const { ms, timedOut } = await loadedExercise(sys.probe);
  const to = performance.now();
  const usage = cpu.stop();
  const stillBusy = await sys.pool.pause();
  const keys = sys.pool.echoes.filter((e) => e.at >= from && e.at <= to);
  const window = keys.map((e) => round1(e.ms));
  return {
    ...slot,
    exercise_ms: round1(ms),
    started,
    echo_ms: { p50: round1(pct(window, 0.5)), p95: round1(pct(window, 0.95)), p99: round1(pct(window, 0.99)), samples: window.length },
    echoes: window,
    cpu: usage,
    load1: round1(loadavg()[0]!),
    still_busy_at_pause: stillBusy,
    late: slotLateness(keys, from, to),
    workload_failures: sys.pool.failures,
    ...(timedOut ? { exercise_timed_out: true as const } : {}),
  };
}

/** The slot's `late` field: the two loops' lateness over [from, to] and the slow keys against it. */
function slotLateness(keys: readonly { at: number; ms: number }[], from: number, to: number): NonNullable<SlotResult['late']> {
  const gen = lags.generator(from, to);
  const control = lags.control(from, to);
  const worst = (xs: readonly { late: number }[]) => ({
    over_20ms: xs.filter((x) => x.late >= 20).length,
    max_ms: round1(Math.max(0, ...xs.map((x) => x.late))),
  });
  const slow = keys.filter((k) => k.ms > SLOW_MS);
  const machine = slow.filter((k) => lateDuring(control, k, 20));
  const generatorOnly = slow.filter((k) => !lateDuring(control, k, 20) && lateDuring(gen, k, 20));
  return {
    generator: worst(gen),
    control: worst(control),
    slow_keys: {
      count: slow.length,
      control: machine.length,
      generator_only: generatorOnly.length,
      neither: slow.length - machine.length - generatorOnly.length,
    },
  };
}

/** Opens working trainee `i` of `sys`: a new account and its own container of the demo environment. */
function joinTrainee(sys: System): (i: number) => Promise<SshTrainee> {
  return async (i) => {
    const { trainee } = await openJourney(sys.target, { account: `w${i}`, password: 'benchpw', choice: sys.target.choices.demo, timeoutMs: 180_000 });
    return trainee;
  };
}

/** Per step: how long the machine took to calm after the rooms grew, before the step's first slot (lib/settle.ts). */
const growthSettles: { n: number; waited_ms: number; busy: number; quiet: boolean }[] = [];

async function measureStep(systems: System[], n: number, out: SlotResult[]): Promise<void> {
  for (const sys of systems) {
    await sys.pool.grow(n - 1, joinTrainee(sys));
  }
  // The rooms just grew by up to 50 containers per system, and the kernel and the engine go on with them for a
  // while (archive/2026-12-04-workload-6b4cc52.json, n = 100: the first slot at load 10.6, every slow key in a machine-wide
  // stall). The step's first slot waits until the machine is calm, whichever system it belongs to.
  const calm = await settle({ busyBelow: GROWTH_CALM_BUSY, quietMs: 2000, maxMs: 120_000 });
  growthSettles.push({ n, waited_ms: calm.waitedMs, busy: calm.busy, quiet: calm.quiet });
  console.log(`n=${n}: rooms grown, calm after ${calm.waitedMs} ms (busy ${calm.busy}${calm.quiet ? '' : ', never calm'})`);
  for (const slot of stepSlots(
    systems.map((s) => s.name),
    n,
    REPS,
  )) {
    const sys = systems.find((s) => s.name === slot.system)!;
    const r = await measureSlot(sys, slot);
    out.push(r);
    const echo = r.echo_ms ? `, echo p50/p95/p99 ${r.echo_ms.p50}/${r.echo_ms.p95}/${r.echo_ms.p99} ms over ${r.echo_ms.samples} keys` : '';
    console.log(`n=${n} rep ${slot.rep} ${slot.system} ${slot.kind}: exercise ${r.exercise_ms} ms${echo}, load ${r.load1}`);
  }
}

/** Per system and n: the figures the charts and the report read (medians over the repetitions, echo pooled). */
function summarize(slots: SlotResult[]) {
  const keys = [...new Set(slots.filter((s) => s.kind === 'loaded').map((s) => `${s.system} ${s.n}`))];
  return keys.map((k) => {
    const [system, n] = [k.split(' ')[0]!, Number(k.split(' ')[1])];
    const mine = slots.filter((s) => s.kind === 'loaded' && s.system === system && s.n === n);
    const keys = mine.flatMap((s) => s.echoes ?? []);
    const cpu = stepCpu(
      mine.flatMap((s) => (s.cpu ? [s.cpu] : [])),
      n,
    );
    return {
      target: system,
      n,
      exercise_ms: round1(median(mine.map((s) => s.exercise_ms))),
      exercise_runs: mine.map((s) => s.exercise_ms),
      echo_ms: { p50: round1(pct(keys, 0.5)), p95: round1(pct(keys, 0.95)), p99: round1(pct(keys, 0.99)), samples: keys.length },
      load1: round1(median(mine.map((s) => s.load1))),
      // Cores busy per process group over the repetitions' windows; per working trainee in ms/s (lib/step-cpu.ts).
      ...cpu,
    };
  });
}

async function main(): Promise<void> {
  // The load generator shares the cores; its event loop runs at nice −10 (when root) for every system alike,
  // so its own scheduling delay does not swamp the echo times it measures.
  try {
    setPriority(process.pid, -10);
  } catch {
    console.log('load generator priority unchanged (not root)');
  }
  const date = new Date().toISOString();
  await lags.start();
  const systems: System[] = [];
  const slots: SlotResult[] = [];
  let refined: number[] = [];
  let skipped: number[] = [];
  try {
    for (const name of SYSTEMS) systems.push(await startSystem(name));
    for (const [i, n] of STEPS.entries()) {
      await measureStep(systems, n, slots);
      partial(date, slots, refined, skipped);
      if (STOP_PAST && n > 1 && i < STEPS.length - 1 && everyRunPast(analyzeCutoff(slots), n)) {
        skipped = STEPS.slice(i + 1);
        console.log(`every run of every system is past 3x at n=${n}: steps ${skipped.join(', ')} skipped (they cannot move a cut-off)`);
        break;
      }
    }
    if (REFINE > 0) {
      const a = analyzeCutoff(slots);
      const curve = (s: string, k: 'ratio_own' | 'ratio_shared') => a.table.filter((r) => r.system === s).map((r) => ({ n: r.n, ratio: r[k].median }));
      const curves = [...SYSTEMS.map((s) => curve(s, 'ratio_own')), ...SYSTEMS.map((s) => curve(s, 'ratio_shared'))];
      refined = refineSteps(
        curves,
        STEPS.filter((n) => !skipped.includes(n)),
        { perCurve: REFINE, max: REFINE_MAX },
      );
      console.log(`finer steps near the 3x crossings: ${refined.join(', ') || 'none'}`);
      for (const n of refined) {
        await measureStep(systems, n, slots);
        partial(date, slots, refined, skipped);
      }
    }
  } finally {
    for (const s of systems) {
      await s.pool.close();
      s.probe.end();
      await s.target.close();
    }
    lags.stop();
  }
  const profile = PROFILE ? await profileIslet() : undefined;
  const result = buildResult(date, slots, refined, skipped, profile);
  const analysis = result.analysis;
  console.log(JSON.stringify({ cutoff: analysis.cutoff, shared_solo: analysis.shared_solo, own_solo: analysis.own_solo }));
  writeResult(NAME, result);
  rmSync(resultPath(`${NAME}-partial`, date), { force: true });
}

/** The result file's content from the slots measured so far (`profile`: the --profile pass, when it ran). */
function buildResult(date: string, slots: SlotResult[], refined: number[], skipped: number[], profile?: ReturnType<typeof summarizeCpuProfile>) {
  const analysis = analyzeCutoff(slots);
  return {
    benchmark: 'workload',
    date,
    method: {
      interleaved: true,
      systems: SYSTEMS,
      exercise: EXERCISE,
      exercise_timeout_ms: EXERCISE_TIMEOUT_MS,
      reps: REPS,
      settleMs: SETTLE_MS,
      // The systems' order changes every repetition (lib/interleave.ts turnOrder; from 2026-12-05, before it one fixed order).
      order: 'turnOrder',
      // After the rooms grow, the step's first slot waits for a calm machine (`growth_settle`; from 2026-12-05).
      growth_calm_busy: GROWTH_CALM_BUSY,
      steps: STEPS,
      refined_steps: refined,
      skipped_steps: skipped,
      workload: 'bench/lib/workload.ts (random delay < 10 s before each command, typed at 80 ms per key)',
      // Where each working trainee started in the script (bench/lib/worker-pool.ts); results before 2026-12-04 are in-step.
      start: START,
      generatorNice: -10,
      priorities: { islet: 0, peer: 0, 'islet-nice': -10, 'islet-flat': 0, 'islet-engine': 0, 'islet-slice': 0, 'islet-shared': 0 },
      // Where each system's containers sit for the CPU (runtime.trainee_cpu; the peer's follow ISLET's default when
      // the engine's cgroupfs driver allows, lib/targets.ts startPeer, which says so at start otherwise).
      trainee_cpu: {
        islet: 'idle',
        peer: 'idle',
        'islet-nice': 'idle',
        'islet-flat': 'idle',
        'islet-engine': 'idle',
        'islet-slice': 'idle',
        'islet-shared': 'engine',
      },
      terminal: { islet: 'relay', 'islet-nice': 'relay', 'islet-flat': 'relay', 'islet-engine': 'engine', 'islet-slice': 'relay' },
      // The relay's terminal_slice_us per system ('default': the product's; 0: the kernel's slice).
      terminal_slice_us: { islet: 'default', 'islet-nice': 'default', 'islet-flat': 'default', 'islet-engine': 'default', 'islet-slice': 100 },
      // ISLET's busy_cpu_shares per system ('default': the product's, the peer has no such thing).
      busy_cpu_shares: { islet: 'default', 'islet-nice': 'default', 'islet-flat': 0, 'islet-engine': 'default', 'islet-slice': 'default' },
    },
    steps: summarize(slots),
    analysis,
    // Read by the charts (bench/lib/chart-specs.ts): the shared yardstick and the median cut-offs.
    solo_ms: Object.fromEntries(Object.entries(analysis.own_solo).map(([s, v]) => [s, v.median])),
    shared_solo_ms: analysis.shared_solo.median,
    shared_cutoff: Object.fromEntries(Object.entries(analysis.cutoff.shared).map(([s, c]) => [s, c.median])),
    cutoff: Object.fromEntries(Object.entries(analysis.cutoff.own).map(([s, c]) => [s, c.median])),
    max_tested: analysis.max_n,
    growth_settle: growthSettles,
    ...(profile
      ? { islet_profile: profile, islet_profile_method: { trainees_working: PROFILE_N - 1, seconds: PROFILE_SECONDS, priority: 0, compared: false } }
      : {}),
    slots: slots.map(({ echoes: _e, ...s }) => s),
  };
}

/**
 * After every step, everything measured so far goes to <date>-<name>-partial.json (marked `partial`), so a run
 * stopped by hand or cut short keeps its finished steps in a result file; the complete file replaces it at the end.
 * The report reads only complete files (its pattern does not match the -partial name).
 */
function partial(date: string, slots: SlotResult[], refined: number[], skipped: number[]): void {
  writeResult(`${NAME}-partial`, { ...buildResult(date, slots, refined, skipped), partial: true });
}

/**
 * ISLET's main thread under the workload, on a server of its own after the compared runs: PROFILE_N − 1
 * trainees work for PROFILE_SECONDS after the settle; the profile covers that window only.
 */
async function profileIslet(): Promise<ReturnType<typeof summarizeCpuProfile> | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-workload-prof-'));
  const sys = await startSystem('islet', dir);
  let window: { fromUs: number; toUs: number } | undefined;
  try {
    await sys.pool.grow(PROFILE_N - 1, joinTrainee(sys));
    sys.pool.activate(PROFILE_N - 1);
    await sleep(SETTLE_MS);
    // The profile's clock is the server's monotonic clock in µs; both processes read the same CLOCK_MONOTONIC.
    const from = process.hrtime.bigint();
    await sleep(PROFILE_SECONDS * 1000);
    const to = process.hrtime.bigint();
    window = { fromUs: Number(from / 1000n), toUs: Number(to / 1000n) };
    console.log(`profile: ${PROFILE_N - 1} trainees worked ${PROFILE_SECONDS} s, ${sys.pool.echoes.length} echoes`);
    await sys.pool.pause();
  } finally {
    await sys.pool.close();
    sys.probe.end();
    await sys.target.close();
  }
  try {
    // The hasher child writes a profile of its own; the server's main thread is the largest by far.
    const f = readdirSync(dir)
      .filter((x) => x.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
    return f ? summarizeCpuProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')), window, 20) : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
