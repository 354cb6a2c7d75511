/**
 * ISLET's own CPU per keystroke and per output command, at a base commit (A) against the working tree (B),
 * interleaved A B B A … in one run, so the machine's load moves both alike (issue 15.4: "measure before and
 * after"). Both servers run at once, each with one trainee through the OpenSSH client (one cipher, the
 * gate's menu, a new account, the demo environment). Per repetition and system:
 * - keys: K keystrokes typed one at a time, each waiting for its echo (lines of 60, then Enter);
 * - commands: C times `ls -la /usr/bin | head -60` (about 4 KB of output, as the paper's workload prints).
 * CPU is utime+stime of ISLET's node process (/proc/<pid>/stat, 10 ms ticks: keep K and C large).
 *
 * A is `git archive <base>` in a temporary directory, running on this checkout's node_modules (linked),
 * except ssh2, which is copied and carries the base commit's own patches/ssh2+1.17.0.patch (the working
 * tree's patch reversed, the base's applied), so a change to that patch is measured too.
 *
 * Writes bench/results/<date>-islet-ab-cpu.json (ISLET_BENCH_RESULTS moves it).
 * Usage: node bench/islet-ab-cpu.ts --base <commit> [--keys 2000] [--commands 100] [--reps 8]
 *          [--cipher chacha20-poly1305@openssh.com]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsletProcess, repoRoot } from '../test/helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../test/helpers/engine.ts';
import { OpenSshClient } from './lib/openssh-client.ts';
import { CLK_TCK, procStat } from './lib/proc-cpu.ts';
import { round1, writeResult } from './lib/results.ts';
import { median } from './lib/stats.ts';
import { numArg, SHELL_PROMPT } from './lib/targets.ts';

const argv = process.argv.slice(2);
const strArg = (name: string, fallback?: string): string => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
};
const BASE = strArg('base');
const KEYS = numArg(argv, 'keys', 2000);
const COMMANDS = numArg(argv, 'commands', 100);
const REPS = numArg(argv, 'reps', 8);
const CIPHER = strArg('cipher', 'chacha20-poly1305@openssh.com');
const SSH2_PATCH = 'patches/ssh2+1.17.0.patch';

/** The base commit's tree, runnable: this checkout's node_modules linked, ssh2 copied with the base's patch. */
function baseTree(commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'islet-ab-base-'));
  execFileSync('bash', ['-c', `git -C "${repoRoot}" archive "${commit}" | tar -x -C "${dir}"`], { timeout: 120_000 });
  mkdirSync(join(dir, 'node_modules'));
  for (const e of readdirSync(join(repoRoot, 'node_modules'))) if (e !== 'ssh2') symlinkSync(join(repoRoot, 'node_modules', e), join(dir, 'node_modules', e));
  cpSync(join(repoRoot, 'node_modules/ssh2'), join(dir, 'node_modules/ssh2'), { recursive: true });
  const patch = (file: string, reverse: boolean) =>
    execFileSync('patch', ['-p1', '--batch', '--silent', ...(reverse ? ['-R'] : []), '-i', file], { cwd: dir, timeout: 30_000 });
  if (existsSync(join(repoRoot, SSH2_PATCH))) patch(join(repoRoot, SSH2_PATCH), true);
  if (existsSync(join(dir, SSH2_PATCH))) patch(join(dir, SSH2_PATCH), false);
  return dir;
}

interface Sys {
  readonly name: 'A' | 'B';
  readonly islet: { pid?: number; port: number; dispose(): Promise<void> };
  readonly runId: string;
  readonly client: OpenSshClient;
}

async function open(name: 'A' | 'B', root: string): Promise<Sys> {
  // Each tree's own helper: its repoRoot is the tree it lives in, so it starts that tree's bin/islet.
  const { IsletProcess: Islet } = (await import(join(root, 'test/helpers/islet-process.ts'))) as { IsletProcess: typeof IsletProcess };
  const runId = testRunId();
  const islet = new Islet(runId, { logLevel: 'info' });
  await islet.start();
  const c = new OpenSshClient({ port: islet.port, user: 'demo', password: 'demo', cipher: CIPHER });
  const sys: Sys = { name, islet, runId, client: c };
  await c.waitFor(/\[new\/existing\]: $/);
  c.send('new\r');
  await c.waitFor(/Choose a username.*: $/);
  c.send(`ab${name.toLowerCase()}${Date.now().toString(36)}\r`);
  await c.waitFor(/Choose a password.*: $/);
  c.send('benchpass1\r');
  await c.waitFor(/Verify your password: $/);
  c.send('benchpass1\r');
  await c.waitFor(/\[Choice\]: $/);
  c.send('1\r');
  await c.waitFor(SHELL_PROMPT, 120_000);
  return sys;
}

async function keys(c: OpenSshClient): Promise<void> {
  for (let i = 0; i < KEYS; i++) {
    const col = i % 61;
    if (col === 60 || i === KEYS - 1) {
      c.send('\r');
      await c.waitFor(SHELL_PROMPT);
    } else await c.echo(col === 0 ? '#' : 'x');
  }
}

async function commands(c: OpenSshClient): Promise<void> {
  for (let i = 0; i < COMMANDS; i++) {
    c.send(`ls -la /usr/bin | head -60; echo @@D''${i}@@\r`);
    await c.waitFor(new RegExp(`@@D${i}@@`));
    await c.waitFor(SHELL_PROMPT);
  }
}

/** CPU seconds of `pid` spent in `body`. */
async function cpuOf(pid: number, body: () => Promise<void>): Promise<number> {
  const t0 = procStat(pid)?.ticks ?? Number.NaN;
  await body();
  return ((procStat(pid)?.ticks ?? Number.NaN) - t0) / CLK_TCK;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const base = baseTree(BASE);
  const systems: Sys[] = [];
  const rows: { system: string; rep: number; us_per_key: number; ms_per_command: number; load1: number }[] = [];
  try {
    systems.push(await open('A', base), await open('B', repoRoot));
    for (const s of systems) await keys(s.client); // warm-up (JIT, page cache)
    for (let rep = 0; rep < REPS; rep++) {
      for (const s of rep % 2 === 0 ? systems : [...systems].reverse()) {
        const pid = s.islet.pid!;
        const k = await cpuOf(pid, () => keys(s.client));
        const c = await cpuOf(pid, () => commands(s.client));
        const row = {
          system: s.name,
          rep,
          us_per_key: Math.round((k * 1e6) / KEYS),
          ms_per_command: round1((c * 1e4) / COMMANDS) / 10,
          load1: round1(loadavg()[0]!),
        };
        rows.push(row);
        console.log(`rep ${rep} ${s.name}: ${row.us_per_key} us per key, ${row.ms_per_command} ms per command, load ${row.load1}`);
      }
    }
  } finally {
    for (const s of systems) {
      await s.client.close();
      await s.islet.dispose();
      await sweepTestContainers(s.runId);
    }
    rmSync(base, { recursive: true, force: true });
  }
  const summary = (['A', 'B'] as const).map((n) => {
    const mine = rows.filter((r) => r.system === n);
    return {
      system: n,
      tree: n === 'A' ? BASE : 'working tree',
      us_per_key: { median: median(mine.map((r) => r.us_per_key)), runs: mine.map((r) => r.us_per_key) },
      ms_per_command: { median: median(mine.map((r) => r.ms_per_command)), runs: mine.map((r) => r.ms_per_command) },
    };
  });
  for (const s of summary) console.log(JSON.stringify(s));
  writeResult('islet-ab-cpu', {
    date,
    benchmark: 'islet-ab-cpu',
    method: { base: BASE, keys: KEYS, commands: COMMANDS, reps: REPS, cipher: CIPHER, order: 'ABBA', cpu: "ISLET's node process, /proc/<pid>/stat" },
    summary,
    rows,
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
