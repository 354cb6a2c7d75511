/**
 * What watching costs the trainee (issue 13 performance: watching a terminal adds <= 10 ms to the
 * trainee's keystroke echo p99). One real server with the web door; one SSH trainee (ssh2 client) in a
 * demo shell; an instructor logged in to the console watching that shell over /console/ws/watch (a Node
 * WebSocket client that reads everything it is sent, as the console page does).
 *
 * Same run, interleaved to spread drift: ROUNDS rounds of [KEYS echoes unwatched, KEYS echoes watched
 * by WATCHERS watchers]. Each echo: one 'a' typed, time to the first byte back (a Ctrl-U every 40 keys
 * keeps the line short). Writes bench/results/<date>-console-watch.json with the commit and command.
 *
 * Usage: node bench/console-watch.ts [--keys 200] [--rounds 3] [--watchers 1]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { WebSocket } from 'ws';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { SshTrainee } from '../test/helpers/ssh-trainee.ts';
import { startWithWeb } from '../test/browser/browser.ts';
import { pct, round1, writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const KEYS = numArg(argv, 'keys', 200);
const ROUNDS = numArg(argv, 'rounds', 3);
const WATCHERS = numArg(argv, 'watchers', 1);
const PROMPT = /student@[\w.-]+:[^\n]*\$ (\x1b\[6n|\x1b\[J)*$/;
const summary = (xs: number[]) => ({
  n: xs.length,
  p50: round1(pct(xs, 0.5)),
  p90: round1(pct(xs, 0.9)),
  p99: round1(pct(xs, 0.99)),
  max: round1(Math.max(...xs)),
});

async function echoes(s: SshTrainee, n: number, out: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (i % 40 === 39) {
      s.send('\x15');
      await new Promise((r) => setTimeout(r, 50));
    }
    out.push(await s.echo('a'));
  }
  s.send('\x15');
  await new Promise((r) => setTimeout(r, 200));
}

/** Logs in to the console; returns the cookie header for requests. */
async function consoleLogin(base: string, name: string, password: string): Promise<string> {
  const r = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: base },
    body: JSON.stringify({ name, password }),
  });
  if (!r.ok) throw new Error(`console login: ${r.status} ${await r.text()}`);
  return r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

function watch(base: string, cookie: string, account: string): Promise<{ ws: WebSocket; bytes: () => number }> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/console/ws/watch?account=${account}&environment=demo`, { headers: { cookie, origin: base } });
  let bytes = 0;
  return new Promise((resolve, reject) => {
    ws.on('message', (d: Buffer, binary: boolean) => {
      if (binary) bytes += d.length;
      else if ((JSON.parse(d.toString()) as { t: string }).t === 'watching') resolve({ ws, bytes: () => bytes });
      else if ((JSON.parse(d.toString()) as { t: string }).t === 'error') reject(new Error(d.toString()));
    });
    ws.on('error', reject);
  });
}

const runId = testRunId();
const islet = new IsletProcess(runId, { logLevel: 'info' });
try {
  execFileSync(join(repoRoot, 'bin/islet'), ['instructor', 'add', 'ada', '--config', islet.configDir], { input: 'instructor-pw-1\n' });
  const base = await startWithWeb(islet);
  const account = `w${runId.slice(0, 7)}`;
  const s = new SshTrainee();
  await s.connect(islet.port);
  for (const [wait, answer] of [
    [/\[new\/existing\]: $/, 'new'],
    [/Choose a username.*: $/, account],
    [/Choose a password.*: $/, 'trainee1'],
    [/Verify your password: $/, 'trainee1'],
  ] as const) {
    await s.waitFor(wait, 60_000);
    s.send(`${answer}\r`);
  }
  const m = await s.waitFor(/(\d+)\) demo\s+\|[\s\S]*\[Choice\]: $/, 60_000);
  s.send(`${m[1]}\r`);
  await s.waitFor(PROMPT, 120_000);
  await new Promise((r) => setTimeout(r, 1000));
  const cookie = await consoleLogin(base, 'ada', 'instructor-pw-1');
  const unwatched: number[] = [];
  const watched: number[] = [];
  let watcherBytes = 0;
  await echoes(s, 20, []); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    await echoes(s, KEYS, unwatched);
    const ws = await Promise.all(Array.from({ length: WATCHERS }, () => watch(base, cookie, account)));
    await new Promise((res) => setTimeout(res, 500)); // the "watching" notice is written and echoed
    await echoes(s, KEYS, watched);
    for (const w of ws) {
      watcherBytes += w.bytes();
      w.ws.close();
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  s.end();
  const a = summary(unwatched);
  const b = summary(watched);
  const result = {
    date: new Date().toISOString(),
    bench: 'console-watch',
    command: `node bench/console-watch.ts ${argv.join(' ')}`.trim(),
    keys: KEYS,
    rounds: ROUNDS,
    watchers: WATCHERS,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    echo_ms_unwatched: a,
    echo_ms_watched: b,
    p99_added_ms: round1(b.p99 - a.p99),
    target: 'watching adds <= 10 ms to echo p99',
    met: b.p99 - a.p99 <= 10,
    watcher_bytes: watcherBytes,
  };
  console.log(JSON.stringify(result, null, 2));
  writeResult('console-watch', result);
} finally {
  await islet.dispose();
  await sweepTestContainers(runId);
}
