/**
 * Login storm: N trainees (default 100) connect at the same moment through
 * real SSH; each creates an account and enters an environment. Per trainee,
 * the time from ssh start to the shell prompt (success rate, p50/p95/max),
 * with its phases (first menu, and within it the SSH login; account; environment). Runs the engine alone
 * (N containers straight through the Engine API: the floor of the same run) and ISLET cold (every trainee
 * gets a new container; no warm pool beside it), then the peer (the original design) cold, then ISLET with
 * a warm pool of N (a server of its own). After each cold storm, with the N shells live,
 * each trainee types a character once a second: echo p50/p95/p99.
 * Writes bench/results/<date>-login-storm.json.
 *
 * With --rounds R the engine-alone and cold storms repeat R times, in the order of lib/storm-order.ts (the
 * engine alone and ISLET alternate, each first in every other round; the peer's cold storms follow them
 * all, recorded in `storm_order`), and each figure pools the rounds (the per-round p95s are in `rounds`).
 *
 * Every storm starts on a quiet machine (bench/lib/settle.ts: the last one's container teardown goes on in
 * the kernel after the engine answered) and records the wait, and this generator's event-loop delay over
 * the storm (a late generator reads every system late).
 *
 * Every storm (the engine alone and each cold one) also records per-process CPU over its window
 * (`cpu`: the front end, dockerd, containerd, shims, the containers, this load generator and the rest of
 * the machine, as bench/workload.ts's slots), so a storm's time over the engine's can be read as CPU.
 *
 * `--profile`: after everything else, one more ISLET cold storm on a server of its own under
 * `node --cpu-prof` (never a compared one: the profiler slows what it samples); its main thread's profile
 * over the storm is summarised into `islet_profile`.
 *
 * `--warm-only`: ISLET's warm storm alone (no engine alone, no cold storms, no peer), written as
 * <date>-login-storm-warm.json: for comparing two commits' warm claims (bench/ab-commits.sh). With `--profile`
 * that warm storm runs under the profiler instead (<date>-login-storm-warm-profile.json). The warm storm's
 * per-process CPU is in `cpu_warm`.
 *
 * `--trainee-cpu engine`: ISLET with `runtime.trainee_cpu: engine` and the engine alone's containers in the
 * engine's own CPU group too, not ISLET's idle one (an A/B of the idle group's cost to a cold storm; ISLET only,
 * since the peer's group follows ISLET's default), written as <date>-login-storm-engine-group.json.
 *
 * `--engine-mutations N`: ISLET with `runtime.engine_mutations: N` and the engine alone N at a time, not the
 * machine's default cap (src/runtime/docker/engine-mutations.ts): an A/B of the cap's effect on a cold storm (ISLET
 * only, no warm storm), written as <date>-login-storm-engine-mutations-N.json.
 *
 * Usage: node bench/login-storm.ts [--trainees 100] [--targets islet,peer] [--rounds 1] [--profile] [--warm-only]
 *          [--trainee-cpu idle|engine] [--engine-mutations N]
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { DockerDriver } from '../src/runtime/docker/index.ts';
import type { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import { engineStorm } from './lib/engine-storm.ts';
import { DEFAULT_ENGINE_MUTATIONS } from '../src/runtime/docker/engine-mutations.ts';
import { openJourney, type JourneyTimes } from './lib/journey.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { summarizeCpuProfile } from './lib/cpu-profile.ts';
import { SlotCpu } from './lib/slot-cpu.ts';
import { settle, type Settled } from './lib/settle.ts';
import { stormOrder } from './lib/storm-order.ts';
import { numArg, startIslet, startTarget, targetsFromArgs, type Target, type TargetName } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'trainees', 100);
/** Rounds of (engine alone, each system cold), in the order of lib/storm-order.ts. */
const ROUNDS = numArg(argv, 'rounds', 1);
const PROFILE = argv.includes('--profile');
/** `--engine-mutations N`: ISLET's cap set to N, and the engine alone's; 0 (not given): the machine's default for both. */
const CAP_SET = numArg(argv, 'engine-mutations', 0);
if (!Number.isInteger(CAP_SET) || CAP_SET < 0 || CAP_SET > 64) throw new Error('--engine-mutations: an integer from 1 to 64');
/** The engine alone's creates at once: ISLET's own mutation cap here (the bench's config leaves runtime.engine_mutations at 0). */
const CAP = CAP_SET > 0 ? CAP_SET : DEFAULT_ENGINE_MUTATIONS;
const WARM_ONLY = argv.includes('--warm-only');
const ENGINE_GROUP = argv.includes('--trainee-cpu') && argv[argv.indexOf('--trainee-cpu') + 1] === 'engine';
/** ISLET's own config for the A/B above; the engine alone follows it. */
const RUNTIME_LINES = [...(ENGINE_GROUP ? ['  trainee_cpu: engine'] : []), ...(CAP_SET > 0 ? [`  engine_mutations: ${CAP_SET}`] : [])];
const GROUP_CONFIG = RUNTIME_LINES.length > 0 ? { config: ['runtime:', ...RUNTIME_LINES] } : {};
/** A pid with no processes under it: the engine alone has no front end. */
const NO_FRONT_END = 2 ** 22 + 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  times: number[];
  failures: number;
  errors: string[];
  phases: { firstMenu: number[]; login: number[]; account: number[]; shell: number[] };
  /** How long the machine took to quiet down before the storm (bench/lib/settle.ts). */
  settled?: Settled;
  /** This generator's event-loop delay over the storm (ms): a late generator reads late times for every system. */
  generatorLag?: { p50: number; p99: number; max: number };
}

type WindowCpu = ReturnType<SlotCpu['stop']>;

async function storm(target: Target, tag: string, choice: string): Promise<{ run: Run; trainees: SshTrainee[]; cpu: WindowCpu }> {
  const trainees: SshTrainee[] = [];
  const run: Run = { times: [], failures: 0, errors: [], phases: { firstMenu: [], login: [], account: [], shell: [] } };
  run.settled = await settle();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu = new SlotCpu(target.pid, target.containerFilter, { newContainers: true });
  cpu.start();
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      try {
        const { trainee, times } = await openJourney(target, { account: `${tag}${i}`, password: 'stormpw', choice, timeoutMs: 120_000 });
        trainees.push(trainee);
        const r = (k: keyof JourneyTimes) => round1(times[k]);
        run.times.push(r('total'));
        run.phases.firstMenu.push(r('firstMenu'));
        run.phases.login.push(r('login'));
        run.phases.account.push(r('account'));
        run.phases.shell.push(r('shell'));
      } catch (err) {
        run.failures++;
        if (run.errors.length < 5) run.errors.push(String(err).slice(-500));
      }
    }),
  );
  lag.disable();
  const ms = (ns: number) => round1(ns / 1e6);
  run.generatorLag = { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max) };
  return { run, trainees, cpu: cpu.stop() };
}

const summary = (xs: number[]) => ({ n: xs.length, p50: round1(pct(xs, 0.5)), p95: round1(pct(xs, 0.95)), max: round1(Math.max(...xs)) });

async function echoLatency(trainees: SshTrainee[], rounds: number): Promise<number[]> {
  const out: number[] = [];
  await Promise.all(
    trainees.map(async (t, i) => {
      await sleep((i * 1000) / trainees.length); // spread the typing over each second
      for (let k = 0; k < rounds; k++) {
        t.skip();
        out.push(await t.echo(String.fromCharCode(97 + (k % 26))));
        t.send('\x7f'); // erase it again
        await sleep(1000);
      }
    }),
  );
  return out;
}

/** Waits until ISLET's warm pool holds `n` running containers. */
async function poolReady(n: number): Promise<void> {
  const d = new DockerDriver();
  const t0 = Date.now();
  while (Date.now() - t0 < 600_000) {
    const ready = (await d.find({ 'islet.pool': 'true' })).filter((c) => c.name.includes('.pool-') && c.state === 'running').length;
    if (ready >= n) return;
    await sleep(1000);
  }
  throw new Error('the warm pool did not fill within 10 minutes');
}

async function main(): Promise<void> {
  const result = {
    benchmark: 'login-storm',
    date: new Date().toISOString(),
    machine: machineInfo(),
    trainees: N,
    // Where ISLET's cold containers and the engine alone's sat for the CPU (`--trainee-cpu`; the warm storm's: idle).
    trainee_cpu: ENGINE_GROUP ? 'engine' : 'idle',
    // ISLET's engine mutation cap in its cold storms, which the engine alone's storms use too (`--engine-mutations`).
    engine_mutations: CAP,
    runs: {} as Record<string, Run>,
    summary: {} as Record<string, unknown>,
    echo_ms: {} as Record<string, unknown>,
    server_problems: {} as Record<string, unknown>,
    engine_alone: undefined as unknown,
    storm_order: [] as string[],
  };
  const record = (key: string, run: Run, attempts = N) => {
    result.runs[key] = run;
    result.summary[key] = {
      success: `${run.times.length}/${attempts}`,
      total: summary(run.times),
      firstMenu: summary(run.phases.firstMenu),
      login: summary(run.phases.login),
      account: summary(run.phases.account),
      shell: summary(run.phases.shell),
    };
    console.log(key, JSON.stringify(result.summary[key]));
  };
  /** ISLET with a warm pool of N, on a server of its own (with `profileDir`, under --cpu-prof: never a compared run). */
  const warmStorm = async (profileDir?: string) => {
    const pooled = await startTarget('islet', { warmPool: N, ...(profileDir ? { nodeOptions: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}) });
    let window: ProfileWindow | undefined;
    try {
      await poolReady(N); // the pool fills first, so the storm does not race it
      const from = process.hrtime.bigint();
      const warm = await storm(pooled, 'w', pooled.choices.warm!);
      window = { fromUs: Number(from / 1000n), toUs: Number(process.hrtime.bigint() / 1000n) };
      record('islet_warm', warm.run);
      Object.assign(result, { cpu_warm: warm.cpu });
      console.log('warm cpu', JSON.stringify(warm.cpu));
      for (const t of warm.trainees) t.end();
      const problems = pooled.problems();
      result.server_problems.islet_warm = { count: problems.length, first: problems.slice(0, 10) };
    } finally {
      await pooled.close();
    }
    return window;
  };
  if (WARM_ONLY) {
    if (!PROFILE) await warmStorm();
    else {
      // --warm-only --profile: the warm storm under the profiler, its main thread's profile in `islet_profile`.
      const dir = mkdtempSync(join(tmpdir(), 'islet-storm-prof-'));
      try {
        Object.assign(result, { islet_profile: serverProfile(dir, await warmStorm(dir)), islet_profile_method: { storm: 'warm', compared: false } });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    writeResult(PROFILE ? 'login-storm-warm-profile' : 'login-storm-warm', result);
    return;
  }
  // The engine alone, in the same run (issue 15.4: the cold storm's p95 is judged against it), and each
  // system's cold storm, in the order of lib/storm-order.ts (the floor and ISLET alternate; the peer's last).
  const names = targetsFromArgs(argv);
  if (ENGINE_GROUP && names.includes('peer')) throw new Error('--trainee-cpu engine is an A/B of ISLET alone: add --targets islet');
  if (CAP_SET > 0 && names.includes('peer')) throw new Error('--engine-mutations is an A/B of ISLET alone: add --targets islet');
  const engine: number[] = [];
  const colds: Record<string, Run[]> = {};
  const echoes: Record<string, number[]> = {};
  const rounds: Record<string, number>[] = Array.from({ length: ROUNDS }, () => ({}));
  const cpu: Record<string, WindowCpu>[] = Array.from({ length: ROUNDS }, () => ({}));
  for (const { name, round: r } of stormOrder(names, ROUNDS)) {
    const round = rounds[r]!;
    const roundCpu = cpu[r]!;
    if (name === 'engine') {
      let meter: SlotCpu | undefined;
      const quiet = await settle();
      const e = await engineStorm(
        N,
        CAP,
        (edge, filter) => {
          if (edge === 'start') (meter = new SlotCpu(NO_FRONT_END, filter, { newContainers: true })).start();
          else roundCpu.engine = meter!.stop();
        },
        { traineeGroup: !ENGINE_GROUP },
      );
      engine.push(...e);
      Object.assign(round, { engine_p95: round1(pct(e, 0.95)), engine_settle_ms: quiet.waitedMs });
      console.log(`round ${r} engine alone: p95 ${round.engine_p95} ms`);
      continue;
    }
    // Like for like (issue 15.1): ISLET's cold storm runs without a warm pool beside it, as the peer's does.
    const target = await startTarget(name as TargetName, GROUP_CONFIG);
    try {
      const cold = await storm(target, `c${r}x`, target.choices.demo);
      (colds[name] ??= []).push(cold.run);
      roundCpu[name] = cold.cpu;
      round[`${name}_p95`] = round1(pct(cold.run.times, 0.95));
      round[`${name}_settle_ms`] = cold.run.settled?.waitedMs ?? NaN;
      round[`${name}_first_menu_p95`] = round1(pct(cold.run.phases.firstMenu, 0.95));
      round[`${name}_generator_lag_p99`] = cold.run.generatorLag?.p99 ?? NaN;
      (echoes[name] ??= []).push(...(await echoLatency(cold.trainees, 10)));
      for (const t of cold.trainees) t.end();
      const problems = target.problems();
      result.server_problems[`${name}_round${r}`] = { count: problems.length, first: problems.slice(0, 10) };
      if (problems.length) console.log(`${name}: ${problems.length} warnings or errors in the server log; first: ${problems[0]}`);
    } finally {
      await target.close();
    }
    console.log(`round ${r} ${name}: p95 ${round[`${name}_p95`]} ms`, JSON.stringify(roundCpu[name]));
  }
  result.storm_order = stormOrder(names, ROUNDS).map((t) => `${t.name}#${t.round}`);
  result.engine_alone = { containers: N, concurrency: CAP, rounds: ROUNDS, ...summary(engine.map(round1)) };
  Object.assign(result, { rounds, cpu_per_round: cpu });
  console.log('engine alone', JSON.stringify(result.engine_alone));
  for (const name of names) {
    const runs = colds[name] ?? [];
    const merged: Run = {
      times: runs.flatMap((x) => x.times),
      failures: runs.reduce((a, x) => a + x.failures, 0),
      errors: runs.flatMap((x) => x.errors).slice(0, 5),
      phases: {
        firstMenu: runs.flatMap((x) => x.phases.firstMenu),
        login: runs.flatMap((x) => x.phases.login),
        account: runs.flatMap((x) => x.phases.account),
        shell: runs.flatMap((x) => x.phases.shell),
      },
    };
    record(`${name}_cold`, merged, N * ROUNDS);
    const echo = echoes[name] ?? [];
    result.echo_ms[name] = { p50: round1(pct(echo, 0.5)), p95: round1(pct(echo, 0.95)), p99: round1(pct(echo, 0.99)), samples: echo.length, liveShells: N };
    console.log(`${name} echo with ${N} live shells`, JSON.stringify(result.echo_ms[name]));
    if (name === 'islet' && CAP_SET === 0) await warmStorm();
  }
  if (PROFILE) Object.assign(result, await profileColdStorm());
  writeResult(ENGINE_GROUP ? 'login-storm-engine-group' : CAP_SET > 0 ? `login-storm-engine-mutations-${CAP_SET}` : 'login-storm', result);
}

type ProfileWindow = { fromUs: number; toUs: number };

/** The main thread's profile of a server run under --cpu-prof into `dir`, over `window` (the storm). */
function serverProfile(dir: string, window: ProfileWindow | undefined) {
  // The hasher child writes a profile of its own; the server's main thread is the largest by far.
  const f = readdirSync(dir)
    .filter((x) => x.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  // ISLET_BENCH_KEEP_PROFILE=path keeps the raw profile for a closer look (call trees: chrome://inspect or speedscope).
  if (f && process.env.ISLET_BENCH_KEEP_PROFILE) copyFileSync(join(dir, f), process.env.ISLET_BENCH_KEEP_PROFILE);
  return f ? summarizeCpuProfile(JSON.parse(readFileSync(join(dir, f), 'utf8')), window, 25) : undefined;
}

/** One more cold storm on an ISLET of its own under --cpu-prof; its main thread's profile over the storm. */
async function profileColdStorm(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'islet-storm-prof-'));
  let window: ProfileWindow | undefined;
  let cold: Awaited<ReturnType<typeof storm>> | undefined;
  try {
    const target = await startIslet({ nodeOptions: `--cpu-prof --cpu-prof-dir=${dir}` });
    try {
      // The profile's clock is the server's monotonic clock in µs; both processes read the same CLOCK_MONOTONIC.
      const from = process.hrtime.bigint();
      cold = await storm(target, 'p', target.choices.demo);
      window = { fromUs: Number(from / 1000n), toUs: Number(process.hrtime.bigint() / 1000n) };
      for (const t of cold.trainees) t.end();
    } finally {
      await target.close();
    }
    return {
      islet_profile: serverProfile(dir, window),
      islet_profile_method: { trainees: N, compared: false, p95_ms: round1(pct(cold.run.times, 0.95)), cpu: cold.cpu },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
