/**
 * The console roster's cost and latency on the REAL engine (bench/console-roster.ts --engine docker):
 * the real `islet serve` (IsletProcess, web door on, one instructor in its config), N trainees logged in
 * over SSH (ssh2 clients, the bench's scripted journey: a new account each, the demo environment, each in
 * its own islet/demo container at its shell prompt), mostly idle: each second about 1 in 20 types a key
 * and rubs it out. The instructor logs in at /console/login as the page does and holds /console/ws/roster.
 *
 * Measured, interleaved in one run (closed, open, closed, open … over --rounds): ISLET's CPU
 * (/proc/<pid>/stat utime+stime of its node process) over a window with no console open and over one with
 * the roster open, after a settle time each; the roster's cost is the median open window less the median
 * closed one, in % of one core. The same schedule of changes runs in both kinds of window (so their own
 * cost cancels): every 30 s one trainee starts a busy loop (stopped 25 s later), a second SSH login joins
 * an account's shell and leaves 6 s later, twice. In open windows the time from each change to the push
 * carrying the changed row is recorded: a login from the moment the environment is chosen (an upper
 * bound: it includes the attach), a leave from the client's close, a busy loop from the command sent to
 * the first push with the row's CPU at 20 % or more, and its end to the first push under 5 % (an engine on
 * this machine: its cgroup files read for every container twice a second, CPU over the last second; else
 * Docker stats calls, at most 20 a second, so a cycle over N containers takes N / 20 s).
 *
 * Containers are made by ISLET itself (5 logins at a time, its own mutation caps) and carry the run's
 * islet.test label; at the end they are removed 3 at a time (sweepTestContainers), even on failure.
 */
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { hashPassword } from '../../src/accounts/password.ts';
import { sweepTestContainers, testRunId } from '../../test/helpers/engine.ts';
import { IsletProcess } from '../../test/helpers/islet-process.ts';
import type { SshTrainee } from '../../test/helpers/ssh-trainee.ts';
import { openJourney } from './journey.ts';
import { CLK_TCK, pidsOf, procStat } from './proc-cpu.ts';
import { pct, round1, writeResult } from './results.ts';
import { median } from './stats.ts';
import { LOAD_TEST_CONFIG, type Target } from './targets.ts';

export interface DockerRosterOptions {
  readonly trainees: number;
  readonly rounds: number;
  readonly windowMs: number;
  readonly settleMs: number;
}

type Kind = 'login' | 'leave' | 'busy' | 'idle';
interface Pending {
  readonly kind: Kind;
  readonly account: string;
  readonly t0: number;
  readonly done: (row: Row) => boolean;
}
interface Row {
  readonly account: string;
  readonly environment: string | null;
  readonly state: string;
  readonly doors: readonly string[];
  readonly cpuPercent: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'benchpw1';
const INSTRUCTOR_PW = 'bench-instructor';

export async function dockerRoster(o: DockerRosterOptions): Promise<void> {
  const runId = testRunId();
  const islet = new IsletProcess(runId, { logLevel: 'info' });
  const hash = await hashPassword(INSTRUCTOR_PW, 2 ** 12);
  appendFileSync(
    `${islet.configDir}/islet.yaml`,
    ['', ...LOAD_TEST_CONFIG, 'server_priority: 0', 'instructors:', '  - name: ada', `    password_hash: "${hash}"`, ''].join('\n'),
  );
  const trainees: SshTrainee[] = [];
  const extras = new Set<SshTrainee>();
  const loadStart = loadavg().map(round1);
  try {
    await islet.start({ ISLET_HTTP: '127.0.0.1:0', ISLET_METRICS: '127.0.0.1:0' });
    const web = Number((await islet.waitForLog((l) => l.event === 'web_listening', 30_000)).port);
    const metricsPort = Number((await islet.waitForLog((l) => l.event === 'metrics_listening', 30_000)).port);
    /** Stats calls ISLET made so far (its engine-call counter, operation usage): the sampler's real rate. */
    const statsCalls = async () => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((x) => x.text());
      return Number(/^islet_engine_calls_total\{operation="usage"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    /** The engine's own CPU (dockerd), for the record: what the stats calls cost on the other side. */
    // The host's engine: the busiest dockerd (other helpers' labs may run engines in containers, seen here too).
    const dockerd = pidsOf('dockerd').sort((a, b) => (procStat(b)?.ticks ?? 0) - (procStat(a)?.ticks ?? 0))[0];
    const base = `http://127.0.0.1:${web}`;
    const pid = islet.pid!;
    const target = { port: islet.port, gate: { user: 'demo', password: 'demo' }, choices: { demo: '1' } } as unknown as Target;
    const account = (i: number) => `w${String(i).padStart(4, '0')}`;
    const started = Date.now();
    // Five logins at a time: arrivals, not a storm (ISLET caps its own engine mutations besides).
    for (let i = 0; i < o.trainees; i += 5) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(5, o.trainees - i) }, (_, k) =>
          openJourney(target, { account: account(i + k), password: PASSWORD, choice: '1', timeoutMs: 180_000 }).then((j) => j.trainee),
        ),
      );
      for (const t of batch) {
        t.divert(() => undefined); // output dropped: nobody reads it
        trainees.push(t);
      }
      if (trainees.length % 50 === 0) console.log(`${trainees.length} trainees at their prompts (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    const setupS = Math.round((Date.now() - started) / 1000);
    console.log(`${o.trainees} trainees in their shells, each in its own container (${setupS} s); load ${loadavg()[0]!.toFixed(1)}`);

    const r = await fetch(`${base}/console/login`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada', password: INSTRUCTOR_PW }),
      signal: AbortSignal.timeout(30_000),
    });
    if (r.status !== 200) throw new Error(`console login failed: ${r.status} ${await r.text()}`);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;

    // Trainees that take part in changes do not type (keys would land in a busy loop or a second terminal).
    const busyIdx = (n: number) => (n * 37 + 11) % o.trainees;
    const joinIdx = (n: number) => (n * 53 + 29) % o.trainees;
    const quiet = new Set<number>();
    const typing = setInterval(() => {
      for (let i = 0; i < trainees.length; i++) {
        if (quiet.has(i) || Math.random() >= 1 / 20) continue;
        const t = trainees[i]!;
        t.send('x');
        setTimeout(() => t.send('\x7f'), 300);
      }
    }, 1000);

    const latencies: Record<Kind, number[]> = { login: [], leave: [], busy: [], idle: [] };
    const missed: { kind: Kind; account: string }[] = [];
    let pending: Pending[] = [];
    let measuring = false;
    const expect = (p: Pending) => {
      if (measuring) pending.push(p);
    };
    const problems: string[] = [];

    /** One 30 s period of changes, the same in every window; resolves when its busy loop is stopped. */
    let period = 0;
    const changes = async (until: number) => {
      while (Date.now() + 30_000 <= until) {
        const n = period++;
        const b = busyIdx(n);
        const bt = trainees[b]!;
        quiet.add(b);
        const steps: Promise<unknown>[] = [];
        bt.send('while :; do :; done\r');
        expect({ kind: 'busy', account: account(b), t0: Date.now(), done: (row) => (row.cpuPercent ?? 0) >= 20 });
        for (const [at, m] of [
          [3_000, 2 * n],
          [15_000, 2 * n + 1],
        ] as const) {
          steps.push(
            (async () => {
              await sleep(at);
              const j = joinIdx(m) === b ? (joinIdx(m) + 1) % o.trainees : joinIdx(m);
              quiet.add(j);
              const a = account(j);
              let extra: SshTrainee | undefined;
              try {
                const t0 = Date.now();
                // The login is the journey up to the shell; the change is stamped when the environment is chosen.
                const jr = await openJourney(target, { account: a, password: PASSWORD, existing: true, choice: '1', timeoutMs: 60_000 });
                extra = jr.trainee;
                extras.add(extra);
                const chosen = t0 + jr.times.firstMenu + jr.times.account;
                expect({ kind: 'login', account: a, t0: chosen, done: (row) => row.doors.length >= 2 });
                await sleep(6_000);
                expect({ kind: 'leave', account: a, t0: Date.now(), done: (row) => row.doors.length === 1 });
                extra.end();
              } catch (e) {
                problems.push(`second login to ${a}: ${String(e).slice(0, 200)}`);
                extra?.end();
              } finally {
                if (extra) extras.delete(extra);
                quiet.delete(j);
              }
            })(),
          );
        }
        steps.push(
          (async () => {
            await sleep(25_000);
            bt.send('\x03');
            // The loop's end counts only once its start was seen (else the row's old, idle figure would match at once).
            const unseen = pending.find((p) => p.kind === 'busy' && p.account === account(b));
            if (!unseen) expect({ kind: 'idle', account: account(b), t0: Date.now(), done: (row) => row.cpuPercent !== null && row.cpuPercent < 5 });
            await sleep(5_000);
            quiet.delete(b);
          })(),
        );
        await Promise.all(steps);
      }
    };

    const cpuTicks = () => procStat(pid)?.ticks ?? Number.NaN;
    const windows: {
      console: boolean;
      cpu_percent: number;
      seconds: number;
      pushes: number;
      kib: number;
      stats_calls_per_s: number;
      dockerd_cpu_percent: number | null;
      load1: number;
    }[] = [];
    let firstRows = 0;
    for (let round = 0; round < o.rounds; round++) {
      for (const open of [false, true]) {
        let ws: WebSocket | undefined;
        let pushes = 0;
        let bytes = 0;
        if (open) {
          ws = new WebSocket(`${base.replace('http', 'ws')}/console/ws/roster`, { headers: { origin: base, cookie } });
          ws.on('message', (d: Buffer) => {
            pushes++;
            bytes += d.length;
            const m = JSON.parse(String(d)) as { upsert?: Row[] };
            if (pushes === 1) firstRows = m.upsert?.length ?? 0;
            const now = Date.now();
            for (const row of m.upsert ?? []) {
              if (row.state === 'menu' || row.environment !== 'demo') continue;
              pending = pending.filter((p) => {
                if (p.account !== row.account || !p.done(row)) return true;
                latencies[p.kind].push(now - p.t0);
                return false;
              });
            }
          });
          await new Promise((res, rej) => {
            ws!.once('open', res).once('error', rej);
            setTimeout(() => rej(new Error('roster socket did not open in 30 s')), 30_000).unref();
          });
        }
        // Changes run through settle and window alike; only open windows look for their pushes.
        measuring = open;
        const total = o.settleMs + o.windowMs;
        const work = changes(Date.now() + total);
        await sleep(o.settleMs);
        const p0 = pushes;
        const b0 = bytes;
        const s0 = await statsCalls();
        const d0 = dockerd ? (procStat(dockerd)?.ticks ?? Number.NaN) : Number.NaN;
        const c0 = cpuTicks();
        const t0 = performance.now();
        await sleep(o.windowMs);
        const c1 = cpuTicks();
        const d1 = dockerd ? (procStat(dockerd)?.ticks ?? Number.NaN) : Number.NaN;
        const s1 = await statsCalls();
        const s = (performance.now() - t0) / 1000;
        await work;
        measuring = false;
        for (const p of pending) missed.push({ kind: p.kind, account: p.account });
        pending = [];
        ws?.close();
        const w = {
          console: open,
          cpu_percent: round1(((c1 - c0) / CLK_TCK / s) * 100),
          seconds: round1(s),
          pushes: pushes - p0,
          kib: Math.round((bytes - b0) / 1024),
          stats_calls_per_s: round1((s1 - s0) / s),
          dockerd_cpu_percent: dockerd ? round1(((d1 - d0) / CLK_TCK / s) * 100) : null,
          load1: round1(loadavg()[0]!),
        };
        windows.push(w);
        console.log(
          `round ${round + 1} console ${open ? 'open  ' : 'closed'}: ISLET CPU ${w.cpu_percent}% of one core over ${w.seconds} s` +
            `${open ? `, ${w.pushes} pushes, ${w.kib} KiB, ${w.stats_calls_per_s} stats calls/s` : ''}; dockerd ${w.dockerd_cpu_percent}%; load ${w.load1}`,
        );
        await sleep(2_000); // the socket's close reaches the hub, the sampler stops
      }
    }
    clearInterval(typing);
    const closed = windows.filter((w) => !w.console).map((w) => w.cpu_percent);
    const opened = windows.filter((w) => w.console).map((w) => w.cpu_percent);
    const lat = (xs: number[]) => ({ n: xs.length, p50: round1(pct(xs, 0.5)), max: xs.length ? round1(Math.max(...xs)) : null });
    const result = {
      date: new Date().toISOString(),
      benchmark: 'console-roster',
      engine: 'docker (real islet serve, ssh2 trainees, islet/demo containers)',
      trainees: o.trainees,
      rounds: o.rounds,
      window_s: o.windowMs / 1000,
      settle_s: o.settleMs / 1000,
      setup_s: setupS,
      first_push_rows: firstRows,
      cpu: "ISLET's node process, /proc/<pid>/stat utime+stime over each window",
      islet_cpu_percent_console_closed: closed,
      islet_cpu_percent_console_open: opened,
      roster_cost_percent_of_one_core: round1(median(opened) - median(closed)),
      target_cost_percent: 5,
      change_to_console_ms: {
        login: lat(latencies.login),
        leave: lat(latencies.leave),
        presence_all: lat([...latencies.login, ...latencies.leave]),
        busy_loop_cpu: lat(latencies.busy),
        busy_loop_stopped_cpu: lat(latencies.idle),
      },
      not_seen_by_window_end: missed,
      target_latency_ms: 2000,
      windows,
      load_at_start: loadStart,
      load_at_end: loadavg().map(round1),
      problems: [...problems, ...islet.logs.filter((l) => Number(l.level) >= 50).map((l) => JSON.stringify(l).slice(0, 300))].slice(0, 20),
    };
    console.log(JSON.stringify({ cost: result.roster_cost_percent_of_one_core, closed, opened, latency: result.change_to_console_ms, missed: missed.length }));
    writeResult('console-roster-docker', result);
  } finally {
    for (const t of [...extras, ...trainees]) t.end();
    // A --cpu-prof profile (NODE_OPTIONS) is written only at a clean exit: SIGTERM first (dispose kills).
    if (process.env.NODE_OPTIONS?.includes('--cpu-prof')) await Promise.race([islet.stop('SIGTERM').catch(() => undefined), sleep(30_000)]);
    await islet.dispose();
    const t0 = Date.now();
    const removed = await sweepTestContainers(runId);
    console.log(`removed ${removed} containers (3 at a time) in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
}
