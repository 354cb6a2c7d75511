/**
 * Where the keystroke-echo tail comes from (issue 15.4): ISLET (nice 0, as in the comparison) with n − 1
 * trainees running the paper's workload (the same pool as bench/workload.ts), every echo timed, ISLET's
 * event-loop lateness recorded from inside (lib/loop-lag-probe.ts), and, where the kernel's tracefs is
 * available, the scheduler traced (sched_switch, sched_waking) for part of the window: how long ISLET's
 * event-loop thread waited for a CPU, its longest stretch on one, and what ran on each CPU while it waited
 * long (lib/sched-trace.ts); ISLET's loop-late episodes placed in that trace (on a CPU, held off one, or asleep);
 * and the same for a control, a Node process at the same priority that does nothing but the probe's timer; and
 * every program's wait for a CPU once woken (`trace.wake_latency`: dockerd, the shims and the shells are hops of
 * every echo, so this says which hop a busy machine delays); and, for every traced key that waited 20 ms or more
 * (`trace.keys_by_hop`), how long its own trainee's relay and shell, ISLET's loop and the generator's were held
 * off a CPU while it waited.
 * Writes bench/results/<date>-echo-trace.json (with --exercise, <date>-echo-trace-exercise.json).
 *
 * `--exercise`: one more trainee (the probe) runs the cut-off exercise (lib/workload.ts's EXERCISE) back to
 * back for the whole window, as in bench/workload.ts's loaded slots, whose echoes are all taken while it runs.
 * Without it the window has the working trainees only.
 *
 * `--trace-seconds 0` does not trace.
 *
 * `--slice-ab US`: through the window, the slice request of ISLET's event-loop thread (lib/thread-slice.ts, Linux
 * 6.12+) alternates between the kernel's default and US µs in blocks of `--block` seconds (default 10), so both
 * arms meet the same trainees on the same machine in the same minutes. Keys whose wait spans a switch count in
 * neither arm. It tests whether a shorter slice, which lets a waking thread preempt sooner, shortens the echo
 * tail (no effect was found: docs/performance.md, "A shorter scheduler slice"). Writes <date>-echo-trace[-exercise]-slice-ab.json.
 *
 * `--terminal-slice-ab US`: the same alternation on every typist's relay and shell (with SCHED_RESET_ON_FORK, so
 * what the shell starts keeps the kernel's slice), which is what `runtime.terminal_slice_us` sets; ISLET runs with
 * `terminal_slice_us: 0` under it. Writes <date>-echo-trace[-exercise]-terminal-slice-ab.json.
 *
 * `--rt-probe`: bench/rt-probe.c (a SCHED_FIFO thread on each core) runs through the window; `rt_probe` lists its
 * stalls of 10 ms or more in the window and counts the slow keys that waited through one (docs/performance.md,
 * "A steady room: where the tail waits").
 *
 * `--busy-shares N`: ISLET's `busy_cpu_shares` (src/lifecycle/cpu-weight-governor.ts; 0 turns the governor off);
 * without it ISLET's default; `--busy-percent P` its `busy_cpu_percent` likewise. The result records the weight
 * the exercise's container had at the window's end, and (`keys_by_own_weight`) the echo figures of the keys typed
 * while the typist's own container was lowered (its last command kept a core busy, and the governor has not yet
 * given its weight back) and of the others.
 *
 * Usage: node bench/echo-trace.ts [--n 100] [--seconds 40] [--trace-seconds 15] [--settle 10] [--exercise]
 *        [--slice-ab 100 | --terminal-slice-ab 100 | --relay-cgroup-ab | --typing-boost-ab 262144 | --typing-shares-ab 262144]
 *        [--typing-shares N] [--block 10 --slice-first short|default]
 *        [--rt-probe] [--busy-shares 64] [--busy-percent 90]
 */
import { exec } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openJourney, run } from './lib/journey.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { breakdown, parseSchedTrace, program, threadTraces, wakeLatencies, whoRan } from './lib/sched-trace.ts';
import { numArg, startTarget } from './lib/targets.ts';
import { WorkerPool } from './lib/worker-pool.ts';
import { EXERCISE } from './lib/workload.ts';
import { repoRoot } from '../test/helpers/islet-process.ts';
import { threadSlice } from './lib/thread-slice.ts';
import { LagWatch, lateDuring, lateness, type Late } from './lib/lag-watch.ts';
import { type RtProbeOutput, startRtProbe, stallsDuring } from './lib/rt-probe.ts';
import { alternateArms, armsSummary, type Block, configArms, relayCgroupArms, terminalArms, isletThreadArms, typingBoostArms } from './lib/block-ab.ts';
import { containerCgroupDirs } from '../src/runtime/docker/cgroup-paths.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'n', 100);
const SECONDS = numArg(argv, 'seconds', 40);
const TRACE_SECONDS = numArg(argv, 'trace-seconds', 15);
const SETTLE_MS = numArg(argv, 'settle', 10) * 1000;
const WITH_EXERCISE = argv.includes('--exercise');
const BUSY_SHARES = argv.includes('--busy-shares') ? numArg(argv, 'busy-shares', 64) : undefined;
const BUSY_PERCENT = argv.includes('--busy-percent') ? numArg(argv, 'busy-percent', 90) : undefined;
/** ISLET's `runtime.terminal` for the run (src/runtime/docker/pty-relays.ts); without it ISLET's default. */
const TERMINAL = argv.includes('--terminal') ? argv[argv.indexOf('--terminal') + 1] : undefined;
if (TERMINAL !== undefined && TERMINAL !== 'engine' && TERMINAL !== 'relay') throw new Error('--terminal: engine or relay');
const SLICE_AB_US = numArg(argv, 'slice-ab', 0);
/** The same A/B on the typists' relays and shells instead of ISLET's thread (`runtime.terminal_slice_us`'s place). */
const TERMINAL_SLICE_AB_US = numArg(argv, 'terminal-slice-ab', 0);
/**
 * `--relay-cgroup-ab`: the same alternation, but the treated arm moves every typist's relay out of its container's
 * cpu cgroup (cgroup v1's cpu controller only; memory and pids stay) into one group of its own beside the engine's
 * `docker` group, so a woken relay no longer queues among the containers' running jobs; its shell stays. A
 * diagnostic of where the tail waits, not a product setting: a relay that forked there would start its program
 * outside the container's CPU group, and no relay forks in the window (the shells live through it).
 */
const RELAY_CGROUP_AB = argv.includes('--relay-cgroup-ab');
/**
 * `--typing-boost-ab SHARES`: the same alternation, but the treated arm raises a trainee's container to SHARES cpu
 * weight while the trainee types a command and puts it back to 1024 before the command runs (lib/block-ab.ts
 * typingBoostArms): whether weighting the typing container, as ISLET could on a key's arrival, takes the shell's and
 * the relay's wait out of the containers' queue.
 */
const TYPING_BOOST_AB = numArg(argv, 'typing-boost-ab', 0);
/**
 * `--typing-shares-ab SHARES`: the product's own typing weight (`typing_cpu_shares`, src/lifecycle/cpu-weight-governor.ts)
 * alternates between SHARES (the treated arm) and 0 (off) through the window, by rewriting ISLET's islet.yaml.
 * `--typing-shares N` instead sets it for the whole run; without either, ISLET's default.
 */
const TYPING_SHARES_AB = numArg(argv, 'typing-shares-ab', 0);
const TYPING_SHARES = argv.includes('--typing-shares') ? numArg(argv, 'typing-shares', 0) : undefined;
/** `--rt-probe`: bench/rt-probe.c runs through the window, and the result says which slow keys met a stall of the machine. */
const RT_PROBE = argv.includes('--rt-probe');
/** Which within-room A/B the run makes, if any (each names its result file's suffix and what the arms are). */
type AbKind = 'slice' | 'terminal-slice' | 'relay-cgroup' | 'typing-boost' | 'typing-shares';
const AB_KINDS = (
  [
    ['slice', SLICE_AB_US > 0],
    ['terminal-slice', TERMINAL_SLICE_AB_US > 0],
    ['relay-cgroup', RELAY_CGROUP_AB],
    ['typing-boost', TYPING_BOOST_AB > 0],
    ['typing-shares', TYPING_SHARES_AB > 0],
  ] as const
)
  .filter(([, on]) => on)
  .map(([kind]) => kind as AbKind);
if (AB_KINDS.length > 1) throw new Error('--slice-ab, --terminal-slice-ab, --relay-cgroup-ab, --typing-boost-ab, --typing-shares-ab: one at a time');
const AB: AbKind | undefined = AB_KINDS[0];
// The generator's own boost writes the weights ISLET's typing weight would: the product's is off under it.
if ((AB === 'typing-boost' || AB === 'typing-shares') && TYPING_SHARES !== undefined) throw new Error(`--typing-shares does not go with --${AB}-ab`);
/** What the treated arm (called `short` in the result) is, per A/B. */
const AB_TREATED: Record<AbKind, string> = {
  slice: 'islet',
  'terminal-slice': 'terminals',
  'relay-cgroup': 'relay-cpu-cgroup (short: relays in their own group)',
  'typing-boost': `typing-boost (short: a typing trainee's container at ${TYPING_BOOST_AB} shares, set by the generator)`,
  'typing-shares': `typing_cpu_shares (short: ${TYPING_SHARES_AB}, default: 0)`,
};
const AB_US = SLICE_AB_US || TERMINAL_SLICE_AB_US;
const BLOCK_MS = numArg(argv, 'block', 10) * 1000;
// Which arm opens the window: `--slice-first short|default`; without it, by the minute's parity.
const SLICE_FIRST = argv.includes('--slice-first') ? argv[argv.indexOf('--slice-first') + 1] : undefined;
const abOpts = { blockMs: BLOCK_MS, first: SLICE_FIRST };
const SLOW_MS = 50;
const T = '/sys/kernel/tracing';
const sh = promisify(exec);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function tracing(): Promise<boolean> {
  if (!existsSync(`${T}/trace`)) await sh(`mount -t tracefs nodev ${T}`).catch(() => undefined);
  return existsSync(`${T}/set_event`);
}

async function main(): Promise<void> {
  try {
    setPriority(process.pid, -10); // as bench/workload.ts: the generator's own delays must not swamp what it times
  } catch {
    console.log('load generator priority unchanged (not root)');
  }
  const date = new Date().toISOString();
  const dir = mkdtempSync(join(tmpdir(), 'islet-echo-trace-'));
  const lagFile = join(dir, 'lag.txt');
  const traceFile = join(dir, 'trace.txt');
  // The load generator's own loop is probed too (a late generator stretches every echo it is timing), and a
  // control's: an idle Node process at ISLET's priority, whose lateness is the machine's own.
  const lags = new LagWatch();
  const target = await startTarget('islet', {
    priority: 0,
    nodeOptions: `--import=${join(repoRoot, 'bench/lib/loop-lag-probe.ts')}`,
    env: { LOOP_LAG_FILE: lagFile },
    config: [
      ...(BUSY_SHARES !== undefined ? [`busy_cpu_shares: ${BUSY_SHARES}`] : []),
      ...(BUSY_PERCENT !== undefined ? [`busy_cpu_percent: ${BUSY_PERCENT}`] : []),
      // Off under the generator's own boost and at the start of the product's A/B (its switcher sets it per block).
      ...(AB === 'typing-boost' || AB === 'typing-shares'
        ? ['typing_cpu_shares: 0']
        : TYPING_SHARES !== undefined
          ? [`typing_cpu_shares: ${TYPING_SHARES}`]
          : []),
      ...(TERMINAL !== undefined || TERMINAL_SLICE_AB_US > 0 ? ['runtime:'] : []),
      ...(TERMINAL !== undefined ? [`  terminal: ${TERMINAL}`] : []),
      // The A/B sets the relays' and shells' slices itself: the product's own request must not be under it.
      ...(TERMINAL_SLICE_AB_US > 0 ? ['  terminal_slice_us: 0'] : []),
    ],
  });
  const startSliceNs = threadSlice(target.pid); // the slice ISLET's event-loop thread starts with: the kernel's default
  // With --typing-boost-ab, the typists' hook is wired once their containers are known (after the room is open).
  let onTyping: ((index: number, typing: boolean) => void) | undefined;
  const pool = new WorkerPool({ onTyping: (i, typing) => onTyping?.(i, typing) });
  let traced: { from: number; to: number } | undefined;
  let probe: Awaited<ReturnType<typeof openJourney>>['trainee'] | undefined; // runs the exercise, with --exercise
  let switcher: ReturnType<typeof alternateArms> | undefined; // with an A/B option, until the window ends
  let rt: Awaited<ReturnType<typeof startRtProbe>>; // with --rt-probe, until the window ends
  let bufferKb: string | undefined; // the trace buffer's size before this run, restored after; set while it traces
  let clock = 'local'; // the trace's clock before this run, restored with the buffer
  try {
    await lags.start(); // the control is killed in `finally`: its timer keeps it alive
    await pool.grow(
      N - 1,
      async (i) => (await openJourney(target, { account: `w${i}`, password: 'benchpw', choice: target.choices.demo, timeoutMs: 180_000 })).trainee,
    );
    probe = WITH_EXERCISE
      ? (await openJourney(target, { account: 'probe', password: 'benchpw', choice: target.choices.demo, timeoutMs: 180_000 })).trainee
      : undefined;
    if (probe) await run(probe, EXERCISE, 600_000); // warms the page cache and the binaries once, as bench/workload.ts
    const hops = await hopPids(target.containerFilter); // each typist's relay and shell, for the slow keys' hops
    // The trace buffer is sized before the window and read after it: sizing it (hundreds of MB) and reading
    // it out stalled every process on the machine for up to 0.3 s, which a window around them would count.
    const traceable = TRACE_SECONDS > 0 && (await tracing());
    if (traceable) {
      // Reads "1408", or "7 (expanded: 1408)" before the buffer was ever used: the size to restore is 1408.
      const size = readFileSync(`${T}/buffer_size_kb`, 'utf8');
      bufferKb = /expanded: (\d+)/.exec(size)?.[1] ?? /\d+/.exec(size)?.[0] ?? '1408';
      clock = /\[(\w+)\]/.exec(readFileSync(`${T}/trace_clock`, 'utf8'))?.[1] ?? clock;
      // CLOCK_MONOTONIC, which the loop probe writes beside each late line: the late episodes are placed in the trace by it.
      const events = 'sched:sched_switch sched:sched_waking';
      await sh(`echo 0 > ${T}/tracing_on; echo > ${T}/trace; echo 400000 > ${T}/buffer_size_kb; echo mono > ${T}/trace_clock; echo ${events} > ${T}/set_event`);
    } else if (TRACE_SECONDS > 0) console.log('no tracefs here: echo and event-loop figures only');
    pool.activate(N - 1);
    await sleep(SETTLE_MS);
    const weights = await loweredWatch(target.containerFilter);
    const keyWeights = await trainerWeights(target.containerFilter);
    const abTarget = (kind: AbKind) => {
      switch (kind) {
        case 'slice':
          return isletThreadArms(target.pid, startSliceNs, SLICE_AB_US);
        case 'terminal-slice':
          return terminalArms(hops, TERMINAL_SLICE_AB_US);
        case 'relay-cgroup':
          return relayCgroupArms(hops);
        case 'typing-shares':
          return configArms(target.configFile!, 'typing_cpu_shares', TYPING_SHARES_AB, 0);
        case 'typing-boost': {
          const boost = typingBoostArms(hops, TYPING_BOOST_AB);
          onTyping = boost.onTyping;
          return boost.target;
        }
      }
    };
    // Started before the window and run a second past it, so that the whole window is probed.
    rt = RT_PROBE ? await startRtProbe(SECONDS + 2) : undefined;
    const from = performance.now();
    let exercising = probe !== undefined;
    const exercises: number[] = [];
    const exerciseLoop = (async () => {
      while (probe && exercising) exercises.push(round1((await run(probe, EXERCISE, 600_000)).ms));
    })();
    const blocks: Block[] = [];
    switcher = AB === undefined ? undefined : alternateArms(abTarget(AB), from, blocks, abOpts);
    if (traceable) {
      await sleep(Math.max(0, (SECONDS - TRACE_SECONDS) * 500)); // the traced part sits in the middle of the window
      const t0 = performance.now();
      await sh(`echo 1 > ${T}/tracing_on`);
      await sleep(TRACE_SECONDS * 1000);
      await sh(`echo 0 > ${T}/tracing_on`);
      traced = { from: t0, to: performance.now() };
    }
    await sleep(Math.max(0, SECONDS * 1000 - (performance.now() - from)));
    const lowered = weights.stop();
    const ownWeight = keyWeights.stop();
    exercising = false;
    await exerciseLoop;
    const to = performance.now();
    switcher?.stop(to);
    await pool.pause();
    if (traced) await sh(`cat ${T}/trace > ${traceFile}`);
    const echoes = pool.echoes.filter((e) => e.at >= from && e.at <= to);
    const ms = echoes.map((e) => e.ms);
    const slow = echoes.filter((e) => e.ms > SLOW_MS);
    const lag = lateness(lagFile, from, to);
    const genLag = lags.generator(from, to);
    const controlLag = lags.control(from, to);
    const result: { date: string; [field: string]: unknown } = {
      benchmark: 'echo-trace',
      date,
      method: {
        n: N,
        working: N - 1,
        // Where the working trainees started in the script (bench/lib/worker-pool.ts); files before 2026-12-04: in step.
        start: pool.start,
        exercise: WITH_EXERCISE ? EXERCISE : null,
        seconds: SECONDS,
        settle_ms: SETTLE_MS,
        trace_seconds: TRACE_SECONDS,
        islet_priority: 0,
        busy_cpu_shares: BUSY_SHARES ?? 'default',
        busy_cpu_percent: BUSY_PERCENT ?? 'default',
        terminal: TERMINAL ?? 'default',
        islet_slice_us: SLICE_AB_US > 0 ? 'alternating' : startSliceNs === undefined ? null : startSliceNs / 1000,
        // The typists' relays and shells: 'alternating' with --terminal-slice-ab, else the product's terminal_slice_us.
        terminal_slice_us: TERMINAL_SLICE_AB_US > 0 ? 'alternating' : 'default',
        // With --relay-cgroup-ab: the relays alternate between their containers' cpu cgroups and one of their own.
        relay_cpu_cgroup: RELAY_CGROUP_AB ? 'alternating' : 'container',
        // With --typing-boost-ab: the cpu weight a typing trainee's container had in the treated arm (else none).
        typing_boost_shares: TYPING_BOOST_AB > 0 ? TYPING_BOOST_AB : null,
        // ISLET's typing_cpu_shares: alternating with --typing-shares-ab, 0 under --typing-boost-ab, else the run's value.
        typing_cpu_shares: AB === 'typing-shares' ? `alternating ${TYPING_SHARES_AB} / 0` : AB === 'typing-boost' ? 0 : (TYPING_SHARES ?? 'default'),
        slow_ms: SLOW_MS,
      },
      // The window's start on the wall clock (ms since the epoch): every `at_s` below counts from it, so other
      // recordings of the same minutes (a probe's, the kernel's) can be laid against the keys.
      window_started_epoch_ms: Math.round(performance.timeOrigin + from),
      // Each second of the window: how many of ISLET's containers had a weight under 1024 (the governor's work).
      containers_lowered: lowered,
      // The keys split by whether the typing trainee's own container was at a lowered weight when the key was sent.
      keys_by_own_weight: ownWeight ? byOwnWeight(echoes, ownWeight) : null,
      ...(WITH_EXERCISE ? { exercise_ms: exercises } : {}),
      echo_ms: { keys: ms.length, p50: round1(pct(ms, 0.5)), p95: round1(pct(ms, 0.95)), p99: round1(pct(ms, 0.99)), max: round1(Math.max(...ms)) },
      // Slow keys come together or alone: how many 100 ms windows hold them.
      slow_keys: {
        count: slow.length,
        windows_100ms: new Set(slow.map((e) => Math.floor(e.at / 100))).size,
        // When each slow key was sent (s from the window's start) and how long it waited: bursts show as runs of
        // near times, to be placed against the loops' late episodes and the trace.
        list: slow.map((e) => ({ at_s: round3((e.at - from) / 1000), ms: round1(e.ms) })),
      },
      // Times are seconds from the window's start; `traced` is the part of the window the scheduler was traced.
      ...(traced ? { traced_s: { from: round1((traced.from - from) / 1000), to: round1((traced.to - from) / 1000) } } : {}),
      islet_loop_late_over_8ms: worstLate(lag, from),
      generator_loop_late_over_8ms: worstLate(genLag, from),
      control_loop_late_over_8ms: worstLate(controlLag, from),
      // Each slow key against the two loops: was ISLET's, the generator's, both or neither late by 20 ms or
      // more while it waited for its echo? "Neither" leaves the engine's side (dockerd, shim, the shell).
      slow_keys_while_late: attribute(slow, lag, genLag, 20),
      ...(RT_PROBE ? { rt_probe: rt ? rtProbeSummary(await rt.done(), slow, from, to) : null } : {}),
    };
    if (traced) {
      const lines = readLines(traceFile);
      const t = parseSchedTrace(lines, target.pid);
      result.trace = {
        ...summarizeTrace(t, traced, echoes),
        islet_late_episodes: lateEpisodes(t, lag, from),
        control_late_episodes: lags.controlPid === undefined ? null : lateEpisodes(parseSchedTrace(lines, lags.controlPid), controlLag, from),
        // Every program's wait for a CPU once woken, over the traced part: the hops of the echo's path among them.
        wake_latency: wakeLatencies(lines).slice(0, 25),
        keys_by_hop: keysByHop(lines, echoes, hops, target.pid, t),
      };
    }
    // The arm called `short` is the treated one (AB_TREATED says what it is).
    if (switcher && AB)
      result.slice_ab = {
        of: AB_TREATED[AB],
        ...armsSummary(blocks, echoes, lag, from, { shortUs: AB_US, defaultNs: switcher.defaultNs, blockMs: BLOCK_MS, slowMs: SLOW_MS }),
      };
    const suffix = AB ? `-${AB}-ab` : '';
    writeResult(`${WITH_EXERCISE ? 'echo-trace-exercise' : 'echo-trace'}${suffix}`, result);
  } finally {
    switcher?.stop(performance.now()); // after a failure mid-window too: its timer would keep the process alive
    rt?.stop(); // ended already after a run that got this far; killed after one that failed
    lags.stop(process.env.ECHO_TRACE_KEEP === '1');
    // Only a run that started tracing resets it (also after a failure mid-trace): the kernel is left as it was found.
    if (bufferKb !== undefined)
      await sh(
        `echo 0 > ${T}/tracing_on; echo > ${T}/set_event; echo > ${T}/trace; echo ${bufferKb} > ${T}/buffer_size_kb; echo ${clock} > ${T}/trace_clock`,
      ).catch(() => undefined);
    probe?.end();
    await pool.close();
    await target.close();
    // ECHO_TRACE_KEEP=1 keeps the scratch directory (the trace, the loops' late lines) for a closer look.
    if (process.env.ECHO_TRACE_KEEP === '1') console.log(`kept ${dir} and ${lags.dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** A file's lines, read in pieces: a long trace is more text than one string may hold (512 MiB). */
function readLines(file: string): string[] {
  const buf = readFileSync(file);
  const lines: string[] = [];
  const PIECE = 64 * 1024 * 1024;
  for (let start = 0; start < buf.length; ) {
    let end = Math.min(buf.length, start + PIECE);
    if (end < buf.length) end = buf.indexOf(10, end) + 1 || buf.length; // to the end of the line the piece cuts
    const piece = buf.subarray(start, end).toString('utf8').split('\n');
    if (end < buf.length) piece.pop(); // the piece ended with a newline: its last element is empty
    for (const line of piece) lines.push(line); // not push(...piece): millions of arguments overflow the stack
    start = end;
  }
  return lines;
}

/** CLOCK_MONOTONIC (the trace's clock, `mono`) minus performance.now(), in ms: process.hrtime reads that clock. */
const MONO_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

/**
 * Each working trainee's relay (its container's main process) and shell (the relay's child), host pids, by the
 * trainee's index (account `w<i>`): the container-side hops of every echo with the pty relay.
 */
async function hopPids(filter: string): Promise<Map<number, { relay: number; shell: number }>> {
  const out = new Map<number, { relay: number; shell: number }>();
  const { stdout: ids } = await sh(`docker ps -q --no-trunc --filter ${filter}`, { timeout: 60_000 });
  const list = ids.split('\n').filter(Boolean);
  if (list.length === 0) return out;
  const { stdout } = await sh(`docker inspect --format '{{index .Config.Labels "islet.account"}} {{.State.Pid}}' ${list.join(' ')}`, {
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const line of stdout.split('\n')) {
    const m = /^w(\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    const relay = Number(m[2]);
    let shell = Number.NaN;
    try {
      shell = Number(readFileSync(`/proc/${relay}/task/${relay}/children`, 'utf8').trim().split(/\s+/)[0]);
    } catch {
      // the relay is gone, or runs no child: this trainee's keys are left out of the placement
    }
    if (relay > 0 && shell > 0) out.set(Number(m[1]), { relay, shell });
  }
  return out;
}

/**
 * Where the traced keys that waited 20 ms or more spent that wait: for each, how long its own trainee's relay and
 * shell, ISLET's event loop and the generator's were runnable but not on a CPU (held off by other work) while it
 * waited. Time none of them was held off is time they slept: on each other, on the kernel (a pty's flip buffer, the
 * loopback's softirq), or working.
 */
function keysByHop(
  lines: readonly string[],
  echoes: readonly { at: number; ms: number; who?: number }[],
  hops: ReadonlyMap<number, { relay: number; shell: number }>,
  isletPid: number,
  traced: { first: number; last: number },
) {
  const keys = echoes
    .filter((e) => e.ms >= 20 && e.who !== undefined && hops.has(e.who))
    .map((e) => ({ e, from: (e.at + MONO_OFFSET_MS) * 1000, to: (e.at + e.ms + MONO_OFFSET_MS) * 1000 }))
    .filter((k) => k.from >= traced.first && k.to <= traced.last);
  const pids = new Set<number>([isletPid, process.pid]);
  for (const k of keys) {
    const h = hops.get(k.e.who!)!;
    pids.add(h.relay).add(h.shell);
  }
  const { threads } = threadTraces(lines, pids);
  const held = (pid: number, from: number, to: number) => {
    const t = threads.get(pid);
    return t ? breakdown(t, from, to).runnableMs : 0;
  };
  const placed = keys.map(({ e, from, to }) => {
    const h = hops.get(e.who!)!;
    return {
      ms: round1(e.ms),
      relay: held(h.relay, from, to),
      shell: held(h.shell, from, to),
      islet: held(isletPid, from, to),
      generator: held(process.pid, from, to),
    };
  });
  const sum = (xs: typeof placed, k: 'ms' | 'relay' | 'shell' | 'islet' | 'generator') => round1(xs.reduce((a, x) => a + x[k], 0));
  const total = (over: number) => {
    const xs = placed.filter((x) => x.ms >= over);
    return {
      keys: xs.length,
      ms: sum(xs, 'ms'),
      relay_held_ms: sum(xs, 'relay'),
      shell_held_ms: sum(xs, 'shell'),
      islet_held_ms: sum(xs, 'islet'),
      generator_held_ms: sum(xs, 'generator'),
    };
  };
  return { over_20ms: total(20), over_50ms: total(50), slowest: [...placed].sort((a, b) => b.ms - a.ms).slice(0, 12) };
}

/**
 * What the SCHED_FIFO probe saw in the window: stalls of 10 ms or more (the machine's own: the hypervisor, or
 * kernel code that cannot be preempted), and how many slow keys waited through one. Times in ms from the window's start.
 */
function rtProbeSummary(out: RtProbeOutput, slow: readonly { at: number; ms: number }[], from: number, to: number) {
  const wall = (t: number) => performance.timeOrigin + t;
  const inWindow = stallsDuring(out.stalls, wall(from), wall(to));
  return {
    histograms_ms: { buckets: ['<1', '<2', '<5', '<10', '<20', '<50', '<100', '>=100'], per_core_whole_run: out.histograms },
    stalls_in_window: inWindow.map((st) => ({ cpu: st.cpu, at_s: round3((st.at - wall(from)) / 1000), ms: st.ms })),
    slow_keys_through_a_stall: slow.filter((k) => stallsDuring(inWindow, wall(k.at), wall(k.at + k.ms)).length > 0).length,
  };
}

/** A container's cgroup v1 cpu.shares file, in ISLET's idle trainee group or the engine's (the first that exists). */
function v1SharesFile(id: string): string {
  const files = containerCgroupDirs('/sys/fs/cgroup/cpu', id).map((d) => join(d, 'cpu.shares'));
  return files.find((f) => existsSync(f)) ?? files[0]!;
}

/**
 * Counts, once a second, the containers matching `filter` whose cgroup v1 weight (cpu.shares) is under 1024;
 * stop() gives the seconds with any and the most at once (null where cgroup v1's files are not there).
 */
async function loweredWatch(filter: string): Promise<{ stop(): { seconds_with_any: number; max: number; seconds: number } | null }> {
  const { stdout } = await promisify(exec)(`docker ps -q --no-trunc --filter ${filter}`, { timeout: 60_000 });
  const files = stdout
    .split('\n')
    .filter(Boolean)
    .map((id) => v1SharesFile(id));
  if (!files.length || !existsSync(files[0]!)) return { stop: () => null };
  const counts: number[] = [];
  const timer = setInterval(() => {
    let n = 0;
    for (const f of files) {
      try {
        if (Number(readFileSync(f, 'utf8')) < 1024) n++;
      } catch {
        // the container is gone
      }
    }
    counts.push(n);
  }, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      return { seconds_with_any: counts.filter((n) => n > 0).length, max: Math.max(0, ...counts), seconds: counts.length };
    },
  };
}

/** When each working trainee's container was at a weight under 1024: per trainee number, [from, to) spans in performance.now(). */
type LoweredSpans = Map<number, [number, number][]>;

/**
 * Reads every 100 ms the weight (cgroup v1 cpu.shares) of each working trainee's container (ISLET's names end in
 * `.w<i>`, lib/worker-pool.ts's accounts) and keeps the spans it was under 1024; stop() gives them (null where
 * cgroup v1's files are not there). The reads are ~1000 small files a second, a sliver of one core.
 */
async function trainerWeights(filter: string): Promise<{ stop(): LoweredSpans | null }> {
  const { stdout } = await promisify(exec)(`docker ps --no-trunc --filter ${filter} --format '{{.ID}} {{.Names}}'`, { timeout: 60_000 });
  const files = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\w+) \S*\.w(\d+)$/.exec(line.trim());
    if (m) files.set(Number(m[2]), v1SharesFile(m[1]!));
  }
  const first = files.values().next().value;
  if (!first || !existsSync(first)) return { stop: () => null };
  const spans: LoweredSpans = new Map();
  const open = new Map<number, number>();
  const timer = setInterval(() => {
    const now = performance.now();
    for (const [who, f] of files) {
      let low = false;
      try {
        low = Number(readFileSync(f, 'utf8')) < 1024;
      } catch {
        // the container is gone
      }
      const since = open.get(who);
      if (low && since === undefined) open.set(who, now);
      if (!low && since !== undefined) {
        open.delete(who);
        (spans.get(who) ?? spans.set(who, []).get(who)!).push([since, now]);
      }
    }
  }, 100);
  return {
    stop: () => {
      clearInterval(timer);
      const now = performance.now();
      for (const [who, since] of open) (spans.get(who) ?? spans.set(who, []).get(who)!).push([since, now]);
      return spans;
    },
  };
}

/** Echo figures of the keys sent while their trainee's container was lowered, and of the others. */
function byOwnWeight(echoes: readonly { at: number; ms: number; who?: number }[], spans: LoweredSpans) {
  const lowered = (e: { at: number; who?: number }) => (spans.get(e.who ?? -1) ?? []).some(([a, b]) => e.at >= a && e.at < b);
  const figures = (xs: number[]) => ({
    keys: xs.length,
    p50: round1(pct(xs, 0.5)),
    p95: round1(pct(xs, 0.95)),
    p99: round1(pct(xs, 0.99)),
    over_50ms: xs.filter((x) => x > SLOW_MS).length,
  });
  const known = echoes.filter((e) => e.who !== undefined);
  return {
    lowered: figures(known.filter(lowered).map((e) => e.ms)),
    own_weight: figures(known.filter((e) => !lowered(e)).map((e) => e.ms)),
    spans: [...spans.values()].reduce((a, x) => a + x.length, 0),
  };
}

/** How many times a loop was late, by how much at most, and its five worst, when (s into the window). */
function worstLate(lags: readonly Late[], from: number) {
  return {
    count: lags.length,
    max_ms: round1(Math.max(0, ...lags.map((x) => x.late))),
    worst: [...lags]
      .sort((a, b) => b.late - a.late)
      .slice(0, 5)
      .map((l) => ({ at_s: round1((l.at - from) / 1000), ms: round1(l.late) })),
  };
}

function attribute(keys: readonly { at: number; ms: number }[], islet: readonly Late[], generator: readonly Late[], min: number) {
  const out = { islet: 0, generator: 0, both: 0, neither: 0 };
  for (const k of keys) {
    const i = lateDuring(islet, k, min);
    const g = lateDuring(generator, k, min);
    out[i && g ? 'both' : i ? 'islet' : g ? 'generator' : 'neither']++;
  }
  return out;
}

/**
 * ISLET's loop-late episodes of 20 ms or more inside the traced part, and where its event-loop thread's time
 * went in them (lib/sched-trace.ts's breakdown): on a CPU, runnable but held off it, or asleep;
 * with who ran while it was held off. A probe line late by `late` at `at` means no turn reached the timers
 * over [at − late, at], placed in the trace by the probe's own CLOCK_MONOTONIC reading (the trace's clock here).
 */
function lateEpisodes(t: ReturnType<typeof parseSchedTrace>, lags: readonly Late[], from: number) {
  const episodes = lags
    .filter((l) => l.late >= 20)
    .map((l) => ({ at: l.at, from: (l.mono - l.late) * 1000, to: l.mono * 1000 }))
    .filter((e) => e.from >= t.first && e.to <= t.last)
    .map((e) => ({ at_s: round1((e.at - from) / 1000), ...breakdown(t, e.from, e.to), e }));
  const ran = new Map<string, number>();
  for (const { e } of episodes) {
    const runs = t.all.filter((r) => r.to > e.from && r.from < e.to);
    for (const w of t.waits.filter((w) => w.to > e.from && w.from < e.to))
      for (const r of runs) {
        const o = Math.min(w.to, e.to, r.to) - Math.max(w.from, e.from, r.from);
        if (o > 0) ran.set(program(r.comm), (ran.get(program(r.comm)) ?? 0) + o / 1000);
      }
  }
  const sum = (k: 'ms' | 'cpuMs' | 'runnableMs' | 'asleepMs' | 'preemptions' | 'wakeups') => round1(episodes.reduce((a, x) => a + x[k], 0));
  return {
    count: episodes.length,
    ms: sum('ms'),
    cpu_ms: sum('cpuMs'),
    runnable_ms: sum('runnableMs'),
    asleep_ms: sum('asleepMs'),
    preemptions: sum('preemptions'),
    wakeups: sum('wakeups'),
    // CPU time each program had (on either CPU) while ISLET's thread was held off its own in these episodes.
    ran_while_held_ms: Object.fromEntries(
      [...ran]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([k, v]) => [k, round1(v)]),
    ),
    worst: episodes
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map(({ e: _, ...x }) => x),
  };
}

function summarizeTrace(t: ReturnType<typeof parseSchedTrace>, window: { from: number; to: number }, echoes: { at: number; ms: number }[]) {
  const waits = t.waits.map((w) => (w.to - w.from) / 1000);
  const long = t.waits.filter((w) => w.to - w.from > 10_000);
  const cpu = new Map<string, number>();
  for (const r of t.all) cpu.set(program(r.comm), (cpu.get(program(r.comm)) ?? 0) + (r.to - r.from) / 1000);
  const inWindow = echoes.filter((e) => e.at >= window.from && e.at <= window.to).map((e) => e.ms);
  return {
    seconds: round1((t.last - t.first) / 1e6),
    echo_ms_while_traced: { keys: inWindow.length, p99: round1(pct(inWindow, 0.99)), max: round1(Math.max(...inWindow)) },
    islet_waits_ms: {
      count: waits.length,
      p50: round1(pct(waits, 0.5) * 10) / 10,
      p99: round1(pct(waits, 0.99)),
      max: round1(Math.max(...waits)),
      over_10ms: long.length,
    },
    islet_longest_run_ms: round1(Math.max(...t.runs.map((r) => (r.to - r.from) / 1000))),
    islet_cpu_ms: Math.round(t.runs.reduce((a, r) => a + r.to - r.from, 0) / 1000),
    long_waits: long.map((w) => ({ ms: round1((w.to - w.from) / 1000), how: w.how, meanwhile: whoRan(t, w) })),
    cpu_ms_by_program: Object.fromEntries(
      [...cpu]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, v]) => [k, Math.round(v)]),
    ),
  };
}

await main();
