/**
 * What recording every session costs ISLET (issue 13.7: ≤ 5 % of ISLET's CPU under the paper's workload at
 * 100 trainees). Two ISLET servers run in one run, alike except `recording` (on: every session an asciicast
 * file, the default; off); each gets its own N trainees in their own containers running the paper's
 * workload (bench/lib/workload.ts: commands typed a key at a time, random pauses under 10 s). The systems
 * take turns, in ABBA order over the repetitions: one system's trainees work for a settle time and then a
 * measured window while the other's wait at their prompts. Measured per window: the CPU time of ISLET's
 * node process (/proc/<pid>/stat utime+stime: the server's main process, where the recorder runs), the
 * keystroke echo (p50/p99) and the load average. The overhead is the median CPU of the recording windows
 * over the median of the plain ones, less one.
 *
 * Writes bench/results/<date>-recording-overhead.json (with the commit and the command: bench/lib/run-meta.ts).
 * Usage: node bench/recording-overhead.ts [--trainees 100] [--reps 2] [--window 60] [--settle 15] [--input] [--profile] [--aa]
 *   (--aa: the control run, both servers without recording: what it shows is the bench's own asymmetry and noise
 *   (the first server started, the workload's variation between windows), the floor under what an A/B can resolve;
 *   --input: the recording server also records input, recording_input: true; --profile: the recording server
 *   runs under `node --cpu-prof` and the result gives the share of its main thread's busy time spent in
 *   src/recordings/ (with the recorder's calls into JSON, TextDecoder and fs; not the door's write it passes on)
 *   — a figure the machine's load moves far less than the A/B difference; `in_windows`: the same inside the
 *   recording system's measured windows only, the steady workload without the logins). Read the A/B from a run
 *   without --profile: every isolate is profiled, the recordings' disk thread too, and its sampler costs the
 *   recording server CPU the plain one does not pay (`threads_s` per window shows it: `v8:ProfEvntProc`).)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJourney } from './lib/journey.ts';
import { CLK_TCK, procStat } from './lib/proc-cpu.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { median } from './lib/stats.ts';
import { numArg, startTarget, type Target } from './lib/targets.ts';
import { WorkerPool } from './lib/worker-pool.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'trainees', 100);
const REPS = numArg(argv, 'reps', 2);
const WINDOW_MS = numArg(argv, 'window', 60) * 1000;
const SETTLE_MS = numArg(argv, 'settle', 15) * 1000;
const INPUT = argv.includes('--input');
const PROFILE = argv.includes('--profile');
const AA = argv.includes('--aa');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticks = (pid: number) => procStat(pid)?.ticks ?? Number.NaN;

/**
 * CPU ticks of each thread of `pid` by thread name (/proc/<pid>/task/<tid>/stat): the main thread, V8's
 * workers (GC), libuv's pool (`libuv-worker`), the recordings' disk thread (`islet-recording`, truncated
 * by the kernel) — what the profile of the main thread does not see.
 */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const comm = tid === String(pid) ? 'main' : st.slice(st.indexOf('(') + 1, close);
      const f = st.slice(close + 2).split(' ');
      out.set(comm, (out.get(comm) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

/**
 * Busy time of a .cpuprofile and the recorder's part of it: the samples whose nearest ISLET or package frame
 * (Node's own `node:` frames and natives skipped, so JSON, TextDecoder and fs calls count for their caller)
 * is in src/recordings/. The door's own write, which the recorder's shadowing write calls, counts for the door.
 */
interface Share {
  busy_ms: number;
  recorder_ms: number;
  recorder_percent: number;
}

/** Monotonic clock in µs: the clock of a .cpuprofile's startTime and samples (V8's TimeTicks, CLOCK_MONOTONIC). */
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * The whole run's share, and the share inside `spans` (monotonic µs: the measured windows of the recording
 * system — steady work only, no logins, no idle turns).
 */
function recorderShare(file: string, spans: readonly (readonly [number, number])[]): Share & { in_windows: Share } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const owner = new Map<number, boolean>();
  const isRecorder = (id: number): boolean => {
    const known = owner.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    const r = url === '' || url.startsWith('node:') ? up !== undefined && isRecorder(up) : url.includes('/src/recordings/');
    owner.set(id, r);
    return r;
  };
  let busy = 0;
  let rec = 0;
  let wBusy = 0;
  let wRec = 0;
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0;
    t += us;
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') return;
    const r = isRecorder(id);
    busy += us;
    if (r) rec += us;
    if (spans.some(([a, b]) => t >= a && t <= b)) {
      wBusy += us;
      if (r) wRec += us;
    }
  });
  const share = (b: number, r: number): Share => ({
    busy_ms: Math.round(b / 1000),
    recorder_ms: Math.round(r / 1000),
    recorder_percent: Math.round((r / b) * 1000) / 10,
  });
  return { ...share(busy, rec), in_windows: share(wBusy, wRec) };
}

interface System {
  readonly name: 'recording' | 'plain';
  readonly target: Target;
  readonly pool: WorkerPool;
}

interface Window {
  readonly system: string;
  readonly rep: number;
  readonly seconds: number;
  readonly cpu_s: number;
  readonly cpu_cores: number;
  /** ISLET's CPU per echoed keystroke of the working trainees: the cost per unit of work done in the window. */
  readonly cpu_ms_per_key: number;
  readonly echo_ms: { p50: number; p99: number; samples: number };
  readonly load1: number;
  readonly still_busy_at_pause: number;
  /** CPU seconds by thread name over the window. */
  readonly threads_s: Record<string, number>;
  /** The window in monotonic µs (to find it in the profile). */
  readonly mono_us: readonly [number, number];
}

async function measure(sys: System, rep: number): Promise<Window> {
  sys.pool.activate(N);
  await sleep(SETTLE_MS);
  const pid = sys.target.pid;
  const t0 = ticks(pid);
  const th0 = threadTicks(pid);
  const from = performance.now();
  const monoFrom = monoUs();
  await sleep(WINDOW_MS);
  const t1 = ticks(pid);
  const th1 = threadTicks(pid);
  const to = performance.now();
  const monoTo = monoUs();
  const busy = await sys.pool.pause();
  const seconds = (to - from) / 1000;
  const cpu = (t1 - t0) / CLK_TCK;
  const echoes = sys.pool.echoes.filter((e) => e.at >= from && e.at <= to).map((e) => e.ms);
  const w: Window = {
    system: sys.name,
    rep,
    seconds: round1(seconds),
    cpu_s: Math.round(cpu * 100) / 100,
    cpu_cores: Math.round((cpu / seconds) * 1000) / 1000,
    cpu_ms_per_key: Math.round(((cpu * 1000) / Math.max(1, echoes.length)) * 100) / 100,
    echo_ms: { p50: round1(pct(echoes, 0.5)), p99: round1(pct(echoes, 0.99)), samples: echoes.length },
    load1: round1(loadavg()[0]!),
    still_busy_at_pause: busy,
    mono_us: [monoFrom, monoTo],
    threads_s: Object.fromEntries(
      [...th1].map(([name, t]) => [name, Math.round(((t - (th0.get(name) ?? 0)) / CLK_TCK) * 100) / 100] as const).filter(([, sec]) => sec > 0),
    ),
  };
  console.log(
    `rep ${rep} ${w.system}: ISLET ${w.cpu_s} s CPU in ${w.seconds} s (${w.cpu_cores} cores, ${w.cpu_ms_per_key} ms per key), ` +
      `echo p50/p99 ${w.echo_ms.p50}/${w.echo_ms.p99} ms, load ${w.load1}; threads ${JSON.stringify(w.threads_s)}`,
  );
  return w;
}

async function main(): Promise<void> {
  try {
    setPriority(process.pid, -10); // the load generator's own scheduling delay must not swamp the echo times (as bench/workload.ts)
  } catch {
    console.log('load generator priority unchanged (not root)');
  }
  const date = new Date().toISOString();
  const loadStart = loadavg().map(round1);
  const systems: System[] = [];
  const windows: Window[] = [];
  const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), 'islet-rec-prof-')) : undefined;
  try {
    for (const name of ['recording', 'plain'] as const) {
      const config = name === 'plain' || AA ? ['recording: false'] : ['recording: true', `recording_input: ${INPUT}`];
      // Both servers are profiled (so the A/B stays like for like); the recording one's profile is read.
      const prof = profileDir ? { nodeOptions: `--cpu-prof --cpu-prof-dir=${join(profileDir, name)}` } : {};
      const target = await startTarget('islet', { config, ...prof });
      const sys: System = { name, target, pool: new WorkerPool() };
      systems.push(sys);
      await sys.pool.grow(N, async (i) => {
        const { trainee } = await openJourney(target, { account: `w${i}`, password: 'benchpw', choice: target.choices.demo, timeoutMs: 180_000 });
        return trainee;
      });
      console.log(`${name}: ${N} trainees at their prompts`);
    }
    // ABBA: each system is measured first as often as second, so a drift of the machine's load falls on both.
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? systems : [...systems].reverse();
      for (const sys of order) windows.push(await measure(sys, rep));
    }
  } finally {
    for (const s of systems) {
      await s.pool.close();
      await s.target.close();
    }
  }
  let profile;
  if (profileDir) {
    // The hasher child writes a profile of its own; the server's main thread is the largest by far.
    const dir = join(profileDir, 'recording');
    const f = readdirSync(dir)
      .filter((x) => x.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
    const spans = windows.filter((w) => w.system === 'recording').map((w) => w.mono_us);
    if (f) profile = { whole_run: true, ...recorderShare(join(dir, f), spans) };
    if (process.env.KEEP_PROFILE) console.log(`profiles kept in ${profileDir}`);
    else rmSync(profileDir, { recursive: true, force: true });
    console.log(`profile of the recording server, whole run: ${JSON.stringify(profile)}`);
  }
  const med = (name: string, f: (w: Window) => number) => Math.round(median(windows.filter((w) => w.system === name).map(f)) * 1000) / 1000;
  const rec = med('recording', (w) => w.cpu_cores);
  const plain = med('plain', (w) => w.cpu_cores);
  const overhead = Math.round((rec / plain - 1) * 1000) / 10;
  // On a shared machine the trainees get through less work when it is busier: the cost per keystroke is the fairer figure.
  const recKey = med('recording', (w) => w.cpu_ms_per_key);
  const plainKey = med('plain', (w) => w.cpu_ms_per_key);
  const overheadKey = Math.round((recKey / plainKey - 1) * 1000) / 10;
  console.log(`ISLET CPU, median over ${REPS} windows: recording ${rec} cores, plain ${plain} cores: ${overhead} %`);
  console.log(`per keystroke: recording ${recKey} ms, plain ${plainKey} ms: ${overheadKey} %`);
  const result = {
    date,
    benchmark: 'recording-overhead',
    method: {
      trainees: N,
      // Where the working trainees started in the script (bench/lib/worker-pool.ts); files before 2026-12-04: in step.
      start: systems[0]?.pool.start ?? null,
      reps: REPS,
      window_s: WINDOW_MS / 1000,
      settle_s: SETTLE_MS / 1000,
      order: 'ABBA',
      recording_input: INPUT,
      profiled: PROFILE,
      control_aa: AA,
      cpu: "ISLET's node process, /proc/<pid>/stat utime+stime over each window",
    },
    load_at_start: loadStart,
    result: {
      recording_cores: rec,
      plain_cores: plain,
      overhead_percent: overhead,
      recording_cpu_ms_per_key: recKey,
      plain_cpu_ms_per_key: plainKey,
      overhead_per_key_percent: overheadKey,
      limit_percent: 5,
    },
    ...(profile ? { profile } : {}),
    windows,
    problems: systems.flatMap((s) => s.target.problems().slice(0, 20)),
  };
  writeResult(AA ? 'recording-overhead-aa' : 'recording-overhead', result);
}

await main();
