/**
 * The web door's latency, beside SSH's in the same run (issue 12 performance):
 *   - page_clock_to_menu (the target's figure): Chromium (Debian's, via
 *     playwright-core), each load in a fresh browser context (no cache, no
 *     cookie), on the page's own clock: from its navigation start to the
 *     animation frame after the first menu prompt is in xterm's buffer (an
 *     observer the bench adds to the page before it loads: xterm's
 *     onWriteParsed), so Chromium making the context and tab is not counted;
 *   - page_load_to_menu: the same from Node, goto() to the observer's mark
 *     seen (Chromium's context and tab and the DevTools round trips included);
 *   - echo_ws: one keystroke's echo in a live shell over the WebSocket
 *     (a Node client speaking the page's protocol, test/browser/ws-client.ts);
 *   - echo_ssh: the same keystroke over SSH (ssh2 client), same shell;
 *   - choice_to_shell_reattach_{ws,ssh}: environment choice to the shell prompt,
 *     back into the running shell, through each door in turn.
 * One idle trainee on a quiet machine; not asserted anywhere. Writes
 * bench/results/<date>-web-latency.json with the commit, command and machine.
 *
 *   - echo_{ws,ssh}_idle: the same with IDLE idle WebSocket sessions open (at the gate's first prompt);
 *   - choice_to_shell_new_{ws,ssh}: environment choice to the prompt in a new container (a new account each);
 *   - restore_full_screen_{ws,ssh}: environment choice to BusyBox top's screen painted, top running in the
 *     shell left by the previous window (the screen model's restore, or top's redraw, whichever is first).
 *   - echo_{ws,ssh}_working: WORKING trainees run the paper's workload (lib/workload.ts: commands typed a
 *     character at a time, a random pause under 10 s before each, a short CPU task among them), half through
 *     the web door (lib/web-trainee.ts) and half over SSH, all at once; every character's echo is timed by the
 *     trainee that typed it, over WORK_SECONDS once all have joined.
 * The machine's load average is recorded at the start, around the working phase and at the end: the
 * machine may be shared, and figures taken under load are read as such.
 * The first WARMUP loads (default 2) are Chromium warming up after its launch (its network service, fonts and
 * caches of a browser that just started: a trainee's browser is already running) and are recorded apart.
 * Robustness (one figure from one block of loads, or one window of work, moved with the machine's state from run to run):
 *   - page loads run in ROUNDS rounds of LOADS, spread between the other phases (the first before any other work,
 *     the next after the echo phases, the last after the reattaches), each round reported with min/p50/p90/max,
 *     and the renderer's own CPU time per load (Chromium's Performance.getMetrics: ThreadTime is its main
 *     thread, ProcessTime the whole renderer process, background compile included), which the machine's load
 *     moves far less than the wall clock: two builds compared under load are compared on that;
 *   - the working phase is cut into WINDOWS equal windows; both doors' trainees work in every window, and each
 *     window's p99 is reported for both doors with the number of windows where the web's was at or below SSH's.
 *   - a returning trainee (page_clock_returning_ms): per round, RETURNING more visits in one browser context after
 *     a first (its cache warm: the page's versioned files are immutable, and Chromium keeps V8's code for them);
 *     the target's figure stays the fresh context's.
 * --pages-only runs the page-load rounds alone (no container is started), for comparing builds of the page.
 * Usage: node bench/web-latency.ts [--loads 20] [--rounds 3] [--warmup 2] [--keys 200] [--reattaches 10] [--idle 100] [--new 5]
 *   [--working 100] [--work-seconds 60] [--windows 6] [--returning 5] [--pages-only]
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import type { BrowserContext, CDPSession } from 'playwright-core';
import { launchChromium, startWithWeb } from '../test/browser/browser.ts';
import { WebClient, pageCookie } from '../test/browser/ws-client.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg, type Target } from './lib/targets.ts';
import { openJourney } from './lib/journey.ts';
import { runWorkload, type EchoSample } from './lib/workload.ts';
import { spreadStartAt } from './lib/worker-pool.ts';
import { openWebJourney, type ScriptedTrainee } from './lib/web-trainee.ts';

const argv = process.argv.slice(2);
const LOADS = numArg(argv, 'loads', 10);
const WARMUP = numArg(argv, 'warmup', 2);
const KEYS = numArg(argv, 'keys', 200);
const REATTACHES = numArg(argv, 'reattaches', 10);
const IDLE = numArg(argv, 'idle', 100);
const NEW = numArg(argv, 'new', 5);
const WORKING = numArg(argv, 'working', 100);
const WORK_SECONDS = numArg(argv, 'work-seconds', 60);
const ROUNDS = Math.max(1, numArg(argv, 'rounds', 3));
const WINDOWS = Math.max(1, numArg(argv, 'windows', 6));
const PAGES_ONLY = argv.includes('--pages-only');
const RETURNING = numArg(argv, 'returning', 5);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loads1: { at: string; what: string; loadavg: number[] }[] = [];
const noteLoad = (what: string) => loads1.push({ at: new Date().toISOString(), what, loadavg: load() });
const summary = (xs: number[]) => ({
  n: xs.length,
  p50: round1(pct(xs, 0.5)),
  p90: round1(pct(xs, 0.9)),
  p99: round1(pct(xs, 0.99)),
  max: round1(Math.max(...xs)),
  samples: xs.map(round1),
});
const PROMPT = /\$ (\x1b\[J)?$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Runs the two doors' samples in turn, the first door alternating, so neither always follows the other. */
const inTurn = async (i: number, web: () => Promise<void>, ssh: () => Promise<void>) => {
  if (i % 2 === 0) {
    await web();
    await ssh();
  } else {
    await ssh();
    await web();
  }
};

const started = new Date().toISOString();
noteLoad('start');
const runId = testRunId();
const islet = new IsletProcess(runId, { logLevel: 'info' });
const chrome = await launchChromium();
try {
  // Every client here shares one address: the per-address rate of new connections (120 a minute) would refuse the idle crowd.
  // …and the working crowd: as bench/lib/targets.ts lifts them for the SSH load tests.
  appendFileSync(
    join(islet.configDir, 'islet.yaml'),
    [
      '',
      'ssh_new_connections_per_ip: 100000',
      'ssh_max_connections: 5000',
      'ssh_max_connections_per_ip: 5000',
      'ssh_login_grace: 120s',
      'account_creations_per_ip: 100000',
      'max_containers: 100000',
      '',
    ].join('\n'),
  );
  const base = await startWithWeb(islet);
  const account = `wl${runId.slice(0, 6)}`;
  const pw = 'benchpw1';

  // Page load to the first menu prompt, in Chromium. The observer runs in the page before its own scripts:
  // once the page's terminal exists it checks the buffer after every parsed write, and marks the animation
  // frame after the prompt is there (the frame that shows it).
  const observer = () => {
    let done = false;
    const hit = () => {
      const b = (globalThis as any).islet.term.buffer.active;
      if (done) return;
      // The cursor's line: where a prompt waiting for input is (scanning the whole buffer after every parsed
      // write cost the page's main thread a few ms per load, charged to the page).
      for (const y of [b.baseY + b.cursorY])
        if (b.getLine(y)?.translateToString(true).includes('[new/existing]:')) {
          done = true;
          performance.mark('bench:menu-parsed');
          requestAnimationFrame(() => {
            performance.mark('bench:menu');
            (globalThis as any).__benchMenuDone();
          });
          return;
        }
    };
    // Awaited over the DevTools protocol (Runtime.evaluate, awaitPromise): Playwright's waitForFunction would
    // inject its ~330 KB script into the page mid-load, whose compile and run on the page's main thread (12 ms
    // of its CPU, 20 of the renderer's, in an interleaved probe) were charged to the page.
    (globalThis as any).__benchMenu = new Promise((r) => {
      (globalThis as any).__benchMenuDone = r;
    });
    const find = () => {
      const t = (globalThis as any).islet?.term;
      if (!t) {
        setTimeout(find, 2);
        return;
      }
      t.onWriteParsed(hit);
      hit();
    };
    find();
  };
  /** Resolves once the page has marked the menu's frame (the observer's promise; retried while the navigation swaps the document). */
  const menuShown = async (cdp: CDPSession) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await Promise.race([
        cdp.send('Runtime.evaluate', { expression: 'globalThis.__benchMenu', awaitPromise: true }).then(
          (x) => (x.exceptionDetails ? 'no' : 'yes'),
          () => 'no',
        ),
        sleep(Math.max(0, deadline - Date.now())).then(() => 'timeout'),
      ]);
      if (r === 'yes') return;
      if (r === 'timeout' || Date.now() > deadline) throw new Error('the page did not show the menu within 30 s');
      await sleep(20);
    }
  };
  const loads: number[] = [];
  const inPage: number[] = [];
  const phaseSamples: Record<string, number[]> = {};
  let phases: Record<string, number> = {};
  const warmup: number[] = [];
  /** One round per call: its loads on the page clock, and the renderer's CPU time (ms) at the menu. */
  const rounds: { at: string; loadavg: number[]; menu_ms: number[]; renderer_main_cpu_ms: number[]; renderer_cpu_ms: number[]; returning_ms: number[] }[] = [];
  /** LOADS page loads, each in a fresh browser context (no cache, no cookie); the first call also runs the warm-up. */
  /** One visit in a new tab of `ctx`: the wall clock from Node, the renderer's CPU time (ms) and the page's marks at the menu. */
  const oneLoad = async (ctx: BrowserContext) => {
    const page = await ctx.newPage();
    // The renderer's CPU time: enabled before the navigation, read at the menu (seconds, cumulative for the process).
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    const t0 = performance.now();
    await page.goto(`${base}/`, { waitUntil: 'commit' });
    await menuShown(cdp);
    const wall = performance.now() - t0;
    const cpu = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value * 1000]));
    const marks: Record<string, number> = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const m: Record<string, number> = Object.fromEntries(performance.getEntriesByType('mark').map((e) => [e.name, e.startTime]));
      return { response_end: n.responseEnd, dom_content_loaded: n.domContentLoadedEventEnd, ...m };
    });
    await page.evaluate(() => (globalThis as any).islet.conn.bye());
    await page.close();
    return { wall, cpu, marks };
  };
  const pageLoads = async (): Promise<void> => {
    const round = {
      at: new Date().toISOString(),
      loadavg: load(),
      menu_ms: [] as number[],
      renderer_main_cpu_ms: [] as number[],
      renderer_cpu_ms: [] as number[],
      returning_ms: [] as number[],
    };
    for (let i = rounds.length ? 0 : -WARMUP; i < LOADS; i++) {
      const ctx = await chrome.browser.newContext();
      await ctx.addInitScript(observer);
      const { wall, cpu, marks } = await oneLoad(ctx);
      if (i < 0) warmup.push(marks['bench:menu']!);
      else {
        loads.push(wall);
        inPage.push(marks['bench:menu']!);
        round.menu_ms.push(round1(marks['bench:menu']!));
        round.renderer_main_cpu_ms.push(round1(cpu.ThreadTime ?? Number.NaN));
        round.renderer_cpu_ms.push(round1(cpu.ProcessTime ?? Number.NaN));
        for (const [k, v] of Object.entries(marks)) (phaseSamples[k] ??= []).push(v);
        if (i === 0 && !rounds.length) phases = marks;
      }
      await ctx.close();
    }
    // A returning trainee: one browser context (its HTTP cache, and V8's code cache kept with it) visited
    // RETURNING + 1 times, a new tab each; the first visit is a fresh load and not counted here.
    const ctx = await chrome.browser.newContext();
    await ctx.addInitScript(observer);
    for (let k = 0; k <= RETURNING; k++) {
      const { marks } = await oneLoad(ctx);
      if (k > 0) round.returning_ms.push(round1(marks['bench:menu']!));
    }
    await ctx.close();
    rounds.push(round);
    noteLoad(`after page loads, round ${rounds.length}`);
  };
  const roundSummary = () =>
    rounds.map((r) => ({
      at: r.at,
      loadavg: r.loadavg,
      n: r.menu_ms.length,
      min: round1(Math.min(...r.menu_ms)),
      p50: round1(pct(r.menu_ms, 0.5)),
      p90: round1(pct(r.menu_ms, 0.9)),
      max: round1(Math.max(...r.menu_ms)),
      renderer_main_cpu_p50: round1(pct(r.renderer_main_cpu_ms, 0.5)),
      renderer_cpu_p50: round1(pct(r.renderer_cpu_ms, 0.5)),
      returning_p50: round1(pct(r.returning_ms, 0.5)),
      returning_max: round1(Math.max(...r.returning_ms)),
    }));
  // The first rounds now, before any other work; one after the echo phases and one after the reattaches (in
  // between other work, as a trainee's page load meets a busy server), if ROUNDS leaves them.
  let roundsLeft = ROUNDS;
  const pageRound = async () => {
    if (roundsLeft-- > 0) await pageLoads();
  };
  do await pageRound();
  while (roundsLeft > (PAGES_ONLY ? 0 : 2));
  const pageFields = () => ({
    page_clock_to_menu_ms: summary(inPage),
    page_clock_rounds: roundSummary(),
    page_rounds_samples: rounds,
    page_clock_returning_ms: summary(rounds.flatMap((r) => r.returning_ms)),
    page_load_to_menu_ms: summary(loads),
    page_clock_warmup_ms: warmup.map(round1),
    first_load_phases_ms: phases,
    load_phases_p50_ms: Object.fromEntries(Object.entries(phaseSamples).map(([k, v]) => [k, round1(pct(v, 0.5))])),
  });
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    /* recorded as unknown */
  }
  const header = () => ({
    started,
    date: new Date().toISOString(),
    commit,
    command: `node bench/web-latency.ts ${argv.join(' ')}`.trim(),
    machine: machineInfo(),
    // The load average (1, 5, 15 min) at each phase; `run` (bench/lib/run-meta.ts) has the commit, dirty paths, start and end.
    load_average: loads1,
  });
  if (PAGES_ONLY) {
    noteLoad('end');
    const result = { benchmark: 'web-pageload', ...header(), ...pageFields() };
    writeResult('web-pageload', result);
    console.log(
      JSON.stringify(
        {
          page_clock_to_menu_ms: { ...result.page_clock_to_menu_ms, samples: undefined },
          page_clock_returning_ms: { ...result.page_clock_returning_ms, samples: undefined },
          rounds: result.page_clock_rounds,
          load_phases_p50_ms: result.load_phases_p50_ms,
        },
        null,
        1,
      ),
    );
  } else {
    // A trainee with a live shell, through the web door.
    const c = new WebClient(base, { origin: base, cookie: await pageCookie(base) });
    c.hello({ cols: 120, rows: 40 });
    await c.waitText('[new/existing]: ');
    c.type('new\r');
    await c.waitText('Choose a username');
    c.type(`${account}\r`);
    await c.waitText('Choose a password');
    c.type(`${pw}\r`);
    await c.waitText('Verify');
    c.type(`${pw}\r`);
    const menu = await c.until(() => /(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/.exec(c.text) ?? undefined, 30_000, 'menu');
    c.type(`${menu[1]}\r`);
    await c.until(() => /student@[^\n]*\$ /.test(c.text) || undefined, 120_000, 'shell prompt');
    await new Promise((r) => setTimeout(r, 500));
    /**
     * KEYS keystrokes over the WebSocket and KEYS over SSH into the same shell, interleaved (which door goes first
     * alternates), so both are timed under the same conditions; the line is cleared every 40. The two windows share
     * the shell and see each other's echoes: each echo is timed alone, the next keystroke only once the other
     * window has its copy.
     */
    const echoes = async (): Promise<{ ws: number[]; ssh: number[] }> => {
      const s = new SshTrainee();
      await s.connect(islet.port, `${account}+demo`, pw);
      await s.waitFor(PROMPT, 60_000);
      await sleep(500);
      const sshGot = async (n: number) => {
        const until = Date.now() + 10_000;
        while (s.bytes <= n && Date.now() < until) await sleep(1);
      };
      const wsEcho = async () => {
        const before = c.received;
        const other = s.bytes;
        const t0 = performance.now();
        c.type('a');
        await c.until(() => c.received > before || undefined, 10_000, 'echo');
        const ms = performance.now() - t0;
        await sshGot(other);
        return ms;
      };
      const sshEcho = async () => {
        const other = c.received;
        const ms = await s.echo('a');
        await c.until(() => c.received > other || undefined, 10_000, 'mirrored echo');
        return ms;
      };
      const ws: number[] = [];
      const ssh: number[] = [];
      for (let i = 0; i < KEYS; i++) {
        if (i % 40 === 39) {
          c.type('\x15');
          await sleep(100);
        }
        if (i % 2 === 0) {
          ws.push(await wsEcho());
          ssh.push(await sshEcho());
        } else {
          ssh.push(await sshEcho());
          ws.push(await wsEcho());
        }
      }
      c.type('\x15');
      s.end();
      await sleep(300);
      return { ws, ssh };
    };
    const alone = await echoes();
    // IDLE idle trainees on the web door: WebSocket sessions from Node waiting at the gate's first prompt.
    const idle: WebClient[] = [];
    for (let i = 0; i < IDLE; i++) {
      const w = new WebClient(base, { origin: base });
      w.hello({ cols: 120, rows: 40 });
      idle.push(w);
      if (i % 10 === 9) await Promise.all(idle.slice(-10).map((x) => x.waitText('[new/existing]: ', 60_000)));
    }
    await Promise.all(idle.map((x) => x.waitText('[new/existing]: ', 60_000)));
    const withIdle = await echoes();
    for (const w of idle) w.close();
    await Promise.all(idle.map((w) => w.closed));
    noteLoad('after echo with idle trainees');
    await pageRound();
    c.send({ t: 'bye' });
    await c.closed;

    const MENU = /(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/;
    const SHELL = /student@[^\n]*\$ /;
    /**
     * Through one door: log in (as the account, or through the gate creating account `name`), then time the
     * environment choice to `until` in the output; the window then leaves and the shell stays.
     */
    const choose = async (door: 'ws' | 'ssh', until: RegExp, name?: string): Promise<number> => {
      let ms: number;
      if (door === 'ws') {
        const w = new WebClient(base, { origin: base });
        if (name) {
          w.hello({ cols: 120, rows: 40 });
          await w.waitText('[new/existing]: ');
          w.type('new\r');
          await w.waitText('Choose a username');
          w.type(`${name}\r`);
          await w.waitText('Choose a password');
          w.type(`${pw}\r`);
          await w.waitText('Verify');
        } else {
          w.hello({ login: account, cols: 120, rows: 40 });
          await w.waitText(`${account}'s password: `);
        }
        w.type(`${pw}\r`);
        const wm = await w.until(() => MENU.exec(w.text) ?? undefined, 30_000, 'menu');
        const from = w.text.length;
        const t0 = performance.now();
        w.type(`${wm[1]}\r`);
        await w.until(() => until.test(w.text.slice(from)) || undefined, 120_000, String(until));
        ms = performance.now() - t0;
        w.send({ t: 'bye' });
        await w.closed;
      } else {
        const t = new SshTrainee();
        if (name) {
          await t.connect(islet.port, 'demo', 'demo');
          await t.waitFor(/\[new\/existing\]: /, 30_000);
          t.send('new\r');
          await t.waitFor(/Choose a username/, 30_000);
          t.send(`${name}\r`);
          await t.waitFor(/Choose a password/, 30_000);
          t.send(`${pw}\r`);
          await t.waitFor(/Verify/, 30_000);
          t.send(`${pw}\r`);
        } else await t.connect(islet.port, account, pw);
        const tm = await t.waitFor(MENU, 30_000);
        t.skip();
        const t0 = performance.now();
        t.send(`${tm[1]}\r`);
        await t.waitFor(until, 120_000);
        ms = performance.now() - t0;
        t.end();
      }
      await sleep(300);
      return ms;
    };

    // Environment choice to the shell prompt, back into the running shell (the reattach path), the doors in turn.
    const choiceWs: number[] = [];
    const choiceSsh: number[] = [];
    for (let i = 0; i < REATTACHES; i++) {
      await inTurn(
        i,
        async () => void choiceWs.push(await choose('ws', SHELL)),
        async () => void choiceSsh.push(await choose('ssh', SHELL)),
      );
    }

    // Environment choice to the shell prompt in a new container: a new account per sample, the doors in turn.
    const newWs: number[] = [];
    const newSsh: number[] = [];
    for (let i = 0; i < NEW; i++) {
      const name = `${account.slice(0, 7)}n${i}`;
      await inTurn(
        i,
        async () => void newWs.push(await choose('ws', SHELL, `${name}w`)),
        async () => void newSsh.push(await choose('ssh', SHELL, `${name}s`)),
      );
    }

    // Reattach to a full screen: top runs in the shell; the doors in turn choose the environment again.
    const TOP = /Load average/;
    const restoreWs: number[] = [];
    const restoreSsh: number[] = [];
    {
      const t = new SshTrainee();
      await t.connect(islet.port, `${account}+demo`, pw);
      await t.waitFor(PROMPT, 60_000);
      t.send('top\r');
      await t.waitFor(TOP, 30_000);
      t.end();
      await sleep(300);
    }
    for (let i = 0; i < REATTACHES; i++) {
      await inTurn(
        i,
        async () => void restoreWs.push(await choose('ws', TOP)),
        async () => void restoreSsh.push(await choose('ssh', TOP)),
      );
    }

    await pageRound();

    // Keystroke echo with WORKING trainees running the paper's workload, half through each door, all at once.
    noteLoad('before working trainees');
    const workEchoes = { web: [] as EchoSample[], ssh: [] as EchoSample[] };
    const workers: { door: 'web' | 'ssh'; t: ScriptedTrainee; done: Promise<{ commands: number; failures: number }> }[] = [];
    let stop = false;
    const target = { port: islet.port, gate: { user: 'demo', password: 'demo' } } as unknown as Target;
    const joinErrors: string[] = [];
    while (workers.length < WORKING) {
      // Ten join at a time, alternating doors (arrivals, not a storm), as bench/workload.ts grows its room.
      const batch = Array.from({ length: Math.min(10, WORKING - workers.length) }, (_, k) => workers.length + k);
      const joined = await Promise.all(
        batch.map(async (n) => {
          const door: 'web' | 'ssh' = n % 2 === 0 ? 'web' : 'ssh';
          const o = { account: `${account.slice(0, 6)}k${n}`, password: pw, choice: menu[1]!, timeoutMs: 120_000 };
          try {
            const t: ScriptedTrainee = door === 'web' ? await openWebJourney(base, o) : (await openJourney(target, o)).trainee;
            return { door, t };
          } catch (err) {
            joinErrors.push(`${door} ${n}: ${String(err).slice(0, 200)}`);
            return undefined;
          }
        }),
      );
      for (const j of joined) {
        if (!j) continue;
        // runWorkload uses only the ScriptedTrainee methods of an SshTrainee. Each starts at its own command of the
        // script (lib/worker-pool.ts, spreadStartAt; results before 2026-12-04 started everyone at the first).
        const startAt = spreadStartAt(workers.length);
        const done = runWorkload(j.t as SshTrainee, {
          loops: Infinity,
          maxDelayMs: 10_000,
          typingGapMs: 80,
          echoes: workEchoes[j.door],
          stopped: () => stop,
          startAt,
        });
        workers.push({ door: j.door, t: j.t, done });
      }
      if (joinErrors.length > 5) throw new Error(`trainees failed to join:\n${joinErrors.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 5000)); // settle: every trainee past its first command
    const w0 = performance.now();
    noteLoad('working phase starts');
    const loadDuring: number[] = [];
    for (let s = 0; s < WORK_SECONDS; s += 10) {
      await new Promise((r) => setTimeout(r, Math.min(10, WORK_SECONDS - s) * 1000));
      loadDuring.push(loadavg()[0]!);
    }
    const w1 = performance.now();
    noteLoad('working phase ends');
    stop = true;
    const outcomes = await Promise.all(workers.map((w) => w.done));
    for (const w of workers) w.t.end();
    const inWindow = (xs: EchoSample[], from = w0, to = w1) => xs.filter((e) => e.at >= from && e.at <= to).map((e) => e.ms);
    // The same interval in WINDOWS equal windows: both doors' trainees typed in every one of them.
    const windows = Array.from({ length: WINDOWS }, (_, k) => {
      const from = w0 + ((w1 - w0) * k) / WINDOWS;
      const to = w0 + ((w1 - w0) * (k + 1)) / WINDOWS;
      const web = inWindow(workEchoes.web, from, to);
      const ssh = inWindow(workEchoes.ssh, from, to);
      return {
        n_web: web.length,
        n_ssh: ssh.length,
        p99_web: round1(pct(web, 0.99)),
        p99_ssh: round1(pct(ssh, 0.99)),
        p50_web: round1(pct(web, 0.5)),
        p50_ssh: round1(pct(ssh, 0.5)),
      };
    });
    // Only windows where both doors have samples compare.
    const comparable = windows.filter((w) => w.n_web > 0 && w.n_ssh > 0);
    const webAtOrBelow = comparable.filter((w) => w.p99_web <= w.p99_ssh).length;

    noteLoad('end');
    const result = {
      benchmark: 'web-latency',
      ...header(),
      note:
        'Loopback; echo_* with one trainee, echo_*_idle with idle_web_sessions more WebSocket sessions open. ' +
        "page_clock_to_menu is the page's own clock from navigation start to the frame after the first menu prompt is in xterm's buffer " +
        "(the target's figure); " +
        "the first loads after Chromium's launch are its warm-up, recorded apart (page_clock_warmup_ms); " +
        "page_load_to_menu is goto() to that mark seen from Node (Chromium creating a fresh context's first page and DevTools round trips included); " +
        "echo_* time one keystroke to its echo in a live shell; echo_*_working are the working trainees' own echoes, by door.",
      ...pageFields(),
      echo_ws_ms: summary(alone.ws),
      echo_ssh_ms: summary(alone.ssh),
      idle_web_sessions: IDLE,
      echo_ws_idle_ms: summary(withIdle.ws),
      echo_ssh_idle_ms: summary(withIdle.ssh),
      choice_to_shell_new_ws_ms: summary(newWs),
      choice_to_shell_new_ssh_ms: summary(newSsh),
      restore_full_screen_ws_ms: summary(restoreWs),
      restore_full_screen_ssh_ms: summary(restoreSsh),
      choice_to_shell_reattach_ws_ms: summary(choiceWs),
      choice_to_shell_reattach_ssh_ms: summary(choiceSsh),
      working_trainees: { web: workers.filter((w) => w.door === 'web').length, ssh: workers.filter((w) => w.door === 'ssh').length, join_errors: joinErrors },
      work_seconds: round1((w1 - w0) / 1000),
      load1_during_work: loadDuring.map(round1),
      workload_commands: outcomes.reduce((a, o) => a + o.commands, 0),
      // Where the working trainees started in the script (bench/lib/worker-pool.ts); files before 2026-12-04 have no such field: in step.
      workload_start: 'spread',
      workload_failures: outcomes.reduce((a, o) => a + o.failures, 0),
      echo_ws_working_ms: summary(inWindow(workEchoes.web)),
      echo_ssh_working_ms: summary(inWindow(workEchoes.ssh)),
      echo_working_windows: windows,
      echo_working_windows_web_at_or_below_ssh: `${webAtOrBelow} of ${comparable.length}`,
    };
    writeResult('web-latency', result);
    const brief = (x: ReturnType<typeof summary>) => ({ ...x, samples: undefined });
    console.log(
      JSON.stringify(
        {
          page_load_to_menu_ms: brief(result.page_load_to_menu_ms),
          page_clock_to_menu_ms: brief(result.page_clock_to_menu_ms),
          page_clock_returning_ms: brief(result.page_clock_returning_ms),
          page_clock_rounds: result.page_clock_rounds,
          phases,
          echo_ws_ms: brief(result.echo_ws_ms),
          echo_ssh_ms: brief(result.echo_ssh_ms),
          echo_ws_idle_ms: brief(result.echo_ws_idle_ms),
          echo_ssh_idle_ms: brief(result.echo_ssh_idle_ms),
          new_ws_ms: brief(result.choice_to_shell_new_ws_ms),
          new_ssh_ms: brief(result.choice_to_shell_new_ssh_ms),
          restore_ws_ms: brief(result.restore_full_screen_ws_ms),
          restore_ssh_ms: brief(result.restore_full_screen_ssh_ms),
          choice_ws_ms: brief(result.choice_to_shell_reattach_ws_ms),
          choice_ssh_ms: brief(result.choice_to_shell_reattach_ssh_ms),
          working: result.working_trainees,
          load1_during_work: result.load1_during_work,
          workload: { commands: result.workload_commands, failures: result.workload_failures },
          echo_ws_working_ms: brief(result.echo_ws_working_ms),
          echo_ssh_working_ms: brief(result.echo_ssh_working_ms),
          echo_working_windows: result.echo_working_windows,
          echo_working_windows_web_at_or_below_ssh: result.echo_working_windows_web_at_or_below_ssh,
          load_phases_p50_ms: result.load_phases_p50_ms,
        },
        null,
        1,
      ),
    );
  }
} finally {
  await chrome.close();
  await islet.dispose();
  await sweepTestContainers(runId);
}
