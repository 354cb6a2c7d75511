/**
 * What the instructor console's live roster costs (issue 13 performance: roster updates for 200 live
 * trainees arrive within 2 s of a change and cost ISLET <= 5 % of one core at steady state).
 *
 * FAKE ENGINE: the server side runs in a child process on the fake driver (src/runtime/fake/, through
 * test/helpers/unit-world.ts: the real EnvironmentRunner, attach registry, terminal models, admission and
 * store code; the containers and their shells are the fake engine's), with the real console login and
 * roster routes on fastify + @fastify/websocket. N trainees are attached to their shells (in-process
 * terminals) and each types a key every few seconds (their rows change: idle time). The parent is the
 * instructor: it logs in over HTTP and holds /console/ws/roster open like the page.
 * What the fake engine leaves out: the Docker stats calls' cost in the engine and the JSON parsing of
 * their answers in ISLET (a few KB each, at most 20 a second by the sampler's pacing).
 *
 * Measured, interleaved over ROUNDS: the server process's CPU time (process.cpuUsage, user+system) over a
 * window with no console open and a window with the console open; the roster's cost is the difference, in %
 * of one core. Latency: during console windows, every 2 s the server attaches a second terminal to a
 * trainee's shell (a change of its door list) and stamps the time; the parent records when the row with
 * two doors arrives, from the moment the attach registry recorded the terminal.
 *
 * What the fake engine leaves out is measured apart, on the real engine (unless --no-engine): the CPU time
 * ISLET's process spends per Docker stats call (`DockerDriver.usage`, 200 calls, 4 in flight, on one
 * running container), and from it the cost at the sampler's highest rate (20 calls a second).
 *
 * Writes bench/results/<date>-console-roster.json (commit and command: bench/lib/run-meta.ts).
 * Usage: node bench/console-roster.ts [--trainees 200] [--rounds 3] [--window 30] [--settle 5] [--no-engine]
 *
 * REAL ENGINE (--engine docker): the real `islet serve`, N SSH trainees in their own islet/demo containers,
 * the instructor on /console/ws/roster; ISLET's CPU from /proc with the roster open against none, and the
 * time from a login, a leave or a busy loop to the pushed row (bench/lib/console-roster-docker.ts).
 * Writes bench/results/<date>-console-roster-docker.json (ISLET_BENCH_RESULTS=dir writes elsewhere).
 * Usage: node bench/console-roster.ts --engine docker [--trainees 200] [--rounds 2] [--window 60] [--settle 15]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const N = numArg(argv, 'trainees', 200);
const ROUNDS = numArg(argv, 'rounds', 3);
const WINDOW_MS = numArg(argv, 'window', 30) * 1000;
const SETTLE_MS = numArg(argv, 'settle', 5) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ToServer = { t: 'cpu' } | { t: 'change'; k: number } | { t: 'stop' };
type FromServer = { t: 'ready'; port: number } | { t: 'cpu'; us: number } | { t: 'changed'; k: number; account: string; at: number };

const engineArg = argv.indexOf('--engine');
if (engineArg >= 0 && argv[engineArg + 1] === 'docker') {
  const { dockerRoster } = await import('./lib/console-roster-docker.ts');
  await dockerRoster({
    trainees: N,
    rounds: numArg(argv, 'rounds', 2),
    windowMs: numArg(argv, 'window', 60) * 1000,
    settleMs: numArg(argv, 'settle', 15) * 1000,
  });
} else if (argv.includes('--server')) await server();
else await main();

async function server(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: websocket } = await import('@fastify/websocket');
  const { unitWorld } = await import('../test/helpers/unit-world.ts');
  const { MemoryTerminal } = await import('../test/helpers/memory-terminal.ts');
  const { ConsoleLogin } = await import('../src/console/console-login.ts');
  const { rosterHub, rosterRoutes } = await import('../src/console/roster-routes.ts');
  const { hashPassword } = await import('../src/accounts/password.ts');
  const { MenuRoster } = await import('../src/sessions/menu-roster.ts');
  const hash = await hashPassword('bench-instructor', 2 ** 10);
  const w = unitWorld({ islet: `max_containers: ${N + 50}\ninstructors:\n  - name: ada\n    password_hash: "${hash}"\n` });
  const doors = new WeakMap<object, string>();
  const send = (m: FromServer) => process.send!(m);
  const terms: InstanceType<typeof MemoryTerminal>[] = [];
  const env = w.env('demo');
  const day = 86_400_000;
  for (let i = 0; i < N; i++) {
    const account = `t${String(i).padStart(4, '0')}`;
    await w.store.createAccount({ name: account, passwordHash: 'x', createdAt: new Date(), expiresAt: new Date(Date.now() + day) });
    const t = new MemoryTerminal();
    doors.set(t, 'ssh');
    terms.push(t);
    void w.runner.run(t, account, env, () => undefined);
  }
  while (w.runner.attached.containers().length < N) await sleep(100);
  // Trainees at work: each types a key every 2-8 s (the fake shell echoes it); output is dropped.
  for (const t of terms) t.output = '';
  const typing = setInterval(() => {
    for (const t of terms) {
      t.output = '';
      if (Math.random() < 1 / 5) t.type('a');
    }
  }, 1000);
  const login = new ConsoleLogin({ config: w.config, addresses: w.access.addresses, store: w.store, log: w.log });
  const deps = {
    config: w.config,
    log: w.log,
    store: w.store,
    driver: w.driver,
    // Nobody sits in the menu here: an empty menu roster (the hub asks it every tick).
    graph: { runner: w.runner, admission: w.admission, roster: new MenuRoster() },
    doorOf: (t: object) => doors.get(t),
  } as unknown as Parameters<typeof rosterHub>[0];
  const hub = rosterHub(deps);
  const app = Fastify({ logger: false });
  await app.register(websocket);
  await app.register(async (f) => {
    login.routes()(f);
    rosterRoutes(login, hub)(f);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const extra = new Map<number, InstanceType<typeof MemoryTerminal>>();
  process.on('message', async (m: ToServer) => {
    if (m.t === 'cpu') {
      const u = process.cpuUsage();
      send({ t: 'cpu', us: u.user + u.system });
    } else if (m.t === 'change') {
      const account = `t${String(m.k).padStart(4, '0')}`;
      const old = extra.get(m.k);
      if (old) {
        old.close();
        extra.delete(m.k);
      }
      const t = new MemoryTerminal();
      doors.set(t, 'ssh');
      extra.set(m.k, t);
      void w.runner.run(t, account, env, () => undefined);
      // The change is the moment the terminal is attached (its presence time), not when the attach began.
      const stamped = () => {
        const p = w.runner.attached.presence(t);
        if (p) send({ t: 'changed', k: m.k, account, at: p.since });
        else setTimeout(stamped, 1);
      };
      stamped();
    } else if (m.t === 'stop') {
      clearInterval(typing);
      hub.close();
      await app.close();
      process.exit(0);
    }
  });
  send({ t: 'ready', port: (app.server.address() as { port: number }).port });
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(import.meta.filename, ['--server', '--trainees', String(N)], {
    execArgv: ['--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: FromServer[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: FromServer) => {
    inbox.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const next = async <T extends FromServer['t']>(t: T): Promise<Extract<FromServer, { t: T }>> => {
    for (;;) {
      const i = inbox.findIndex((m) => m.t === t);
      if (i >= 0) return inbox.splice(i, 1)[0] as Extract<FromServer, { t: T }>;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  const ask = (m: ToServer) => child.send(m);
  const started = Date.now();
  const { port } = await next('ready');
  console.log(`server ready: ${N} trainees attached (${Math.round((Date.now() - started) / 1000)} s)`);
  const base = `http://127.0.0.1:${port}`;
  const r = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { origin: base, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ada', password: 'bench-instructor' }),
  });
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  if (r.status !== 200) throw new Error(`login failed: ${r.status}`);
  const cpuNow = async () => {
    ask({ t: 'cpu' });
    return (await next('cpu')).us;
  };
  const windows: { console: boolean; cpuPercent: number; bytes: number; messages: number }[] = [];
  const latencies: number[] = [];
  let firstRows = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const open of round % 2 === 0 ? [false, true] : [true, false]) {
      let ws: WebSocket | undefined;
      let bytes = 0;
      let messages = 0;
      const doors = new Map<string, number>();
      const pending = new Map<string, number>();
      if (open) {
        ws = new WebSocket(`${base.replace('http', 'ws')}/console/ws/roster`, { headers: { origin: base, cookie } });
        ws.on('message', (d: Buffer) => {
          bytes += d.length;
          messages++;
          const m = JSON.parse(String(d)) as { upsert: { account: string; doors: string[] }[] };
          if (messages === 1) firstRows = m.upsert.length;
          const now = Date.now();
          for (const row of m.upsert) {
            doors.set(row.account, row.doors.length);
            const t0 = pending.get(row.account);
            if (t0 !== undefined && row.doors.length === 2) {
              latencies.push(now - t0);
              pending.delete(row.account);
            }
          }
        });
        await new Promise((res, rej) => ws!.once('open', res).once('error', rej));
      }
      await sleep(SETTLE_MS);
      const c0 = await cpuNow();
      const t0 = performance.now();
      let k = round * 37;
      const changes = open
        ? setInterval(async () => {
            k = (k + 7) % N;
            ask({ t: 'change', k });
            const c = await next('changed');
            pending.set(c.account, c.at);
          }, 2000)
        : undefined;
      const b0 = bytes;
      const m0 = messages;
      await sleep(WINDOW_MS);
      clearInterval(changes);
      const c1 = await cpuNow();
      const ms = performance.now() - t0;
      const cpuPercent = round1(((c1 - c0) / 1000 / ms) * 100);
      windows.push({ console: open, cpuPercent, bytes: bytes - b0, messages: messages - m0 });
      const pushed = open ? `, ${messages - m0} pushes, ${Math.round((bytes - b0) / 1024)} KiB` : '';
      console.log(`round ${round + 1} console ${open ? 'open  ' : 'closed'}: server CPU ${cpuPercent}% of one core${pushed}`);
      ws?.close();
      if (pending.size) console.log(`  ${pending.size} change(s) not seen by the end of the window`);
    }
  }
  ask({ t: 'stop' });
  const engine = argv.includes('--no-engine') ? undefined : await engineStatsCost();
  if (engine)
    console.log(`Docker stats: ${engine.cpu_ms_per_call} ms of ISLET CPU per call; at 20 calls/s ${engine.percent_of_one_core_at_20_per_s}% of one core`);
  const med = (xs: number[]) => pct(xs, 0.5);
  const closed = windows.filter((w) => !w.console).map((w) => w.cpuPercent);
  const opened = windows.filter((w) => w.console).map((w) => w.cpuPercent);
  const result = {
    date: new Date().toISOString(),
    engine: 'fake (src/runtime/fake via test/helpers/unit-world.ts); console login + roster routes real, on fastify',
    trainees: N,
    rounds: ROUNDS,
    window_s: WINDOW_MS / 1000,
    first_push_rows: firstRows,
    server_cpu_percent_console_closed: closed,
    server_cpu_percent_console_open: opened,
    roster_cost_percent_of_one_core: round1(med(opened) - med(closed)),
    target_cost_percent: 5,
    change_to_console_ms: {
      n: latencies.length,
      p50: round1(pct(latencies, 0.5)),
      p99: round1(pct(latencies, 0.99)),
      max: round1(Math.max(...latencies)),
    },
    target_latency_ms: 2000,
    windows,
    ...(engine ? { engine_stats: engine } : {}),
    loadavg: loadavg().map(round1),
  };
  console.log(JSON.stringify({ cost: result.roster_cost_percent_of_one_core, latency: result.change_to_console_ms }, null, 0));
  writeResult('console-roster', result);
}

/** ISLET's own CPU per Docker stats call (the part of the roster's sampling the fake engine leaves out). */
async function engineStatsCost(): Promise<{ calls: number; cpu_ms_per_call: number; wall_ms_per_call: number; percent_of_one_core_at_20_per_s: number }> {
  const { execFileSync } = await import('node:child_process');
  const { DockerDriver } = await import('../src/runtime/docker/index.ts');
  const label = `islet.test=bench-console-roster-${process.pid}`;
  const id = execFileSync('docker', ['run', '-d', '--rm', '--label', label, '--entrypoint', 'sleep', 'islet/demo:latest', '600'], { timeout: 60_000 })
    .toString()
    .trim();
  try {
    const driver = new DockerDriver();
    for (let i = 0; i < 10; i++) await driver.usage(id);
    const CALLS = 200;
    let next = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next++ < CALLS) if (!(await driver.usage(id))) throw new Error('no stats for a running container');
      }),
    );
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const perCall = (c.user + c.system) / 1000 / CALLS;
    return {
      calls: CALLS,
      cpu_ms_per_call: round1(perCall * 100) / 100,
      wall_ms_per_call: round1(wall / CALLS),
      percent_of_one_core_at_20_per_s: round1(((perCall * 20) / 1000) * 100),
    };
  } finally {
    execFileSync('docker', ['rm', '-f', id], { timeout: 60_000 });
  }
}
