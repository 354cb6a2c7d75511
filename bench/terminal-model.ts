/**
 * The server-side terminal model's cost (issue 12.4): memory per live session with
 * `--sessions` models alive at once, each holding a shell history (scrollback full)
 * under a full-screen program's alternate screen (a top-like, coloured screen), and
 * the time a reattach waits for its paint (ScreenModels.restore: every byte fed is
 * parsed, then the screen serialized), idle and right behind 64 KiB of fresh output.
 * Also a `yes` flood into one model: the queue stays bounded and the model resyncs.
 *
 * Memory is heapUsed + external + arrayBuffers after a forced GC, before and after
 * (run with --expose-gc; the script re-executes itself with it when missing).
 * Targets (issue 12): ≤ 1 MB per session at 1000 sessions; reattach with restore ≤ 60 ms.
 *
 * Writes bench/results/<date>-terminal-model.json with the commit, command and machine.
 * Usage: node bench/terminal-model.ts [--sessions 1000] [--cols 120] [--rows 40] [--restores 200]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { ScreenModels } from '../src/terminal-model/screen-models.ts';
import { SCREEN_DEFAULTS, ScreenModel } from '../src/terminal-model/screen-model.ts';
import { repoRoot } from '../test/helpers/islet-process.ts';
import { machineInfo } from './lib/machine.ts';
import { pct, round1, writeResult } from './lib/results.ts';

const argv = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};

if (typeof globalThis.gc !== 'function') {
  const args = ['--expose-gc', '--disable-warning=ExperimentalWarning', ...process.execArgv, import.meta.filename, ...argv];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const gc = globalThis.gc as () => void;

const sessions = num('sessions', 1000);
const cols = num('cols', 120);
const rows = num('rows', 40);
const restores = num('restores', 200);
const size = { cols, rows };

/** What a trainee's terminal holds: 300 lines of shell output (so the scrollback is full), then top on the alternate screen. */
function screenBytes(i: number): Buffer {
  const lines: string[] = [];
  for (let n = 0; n < 300; n++) {
    const min = String(n % 60).padStart(2, '0');
    lines.push(`student@demo:~$ ls -l /var/log/file-${i}-${n}.log  \x1b[32m-rw-r--r--\x1b[0m 1 student student ${1000 + n} Nov 30 09:${min}`);
  }
  let top = '\x1b[?1049h\x1b[H\x1b[2J';
  top += `Mem: 2031616K used, 1994752K free, 0K shrd, 12345K buff, 456789K cached\r\nCPU:   3% usr   1% sys   0% nic  95% idle   0% io   0% irq   0% sirq\r\n`;
  top += '\x1b[7m  PID  PPID USER     STAT   VSZ %VSZ CPU %CPU COMMAND'.padEnd(cols + 4) + '\x1b[0m\r\n';
  for (let r = 4; r <= rows; r++) {
    top += `\x1b[${r};1H${String(r * 7 + i).padStart(5)}     1 student  S     ${1600 + r}   0%   ${r % 2}   0% /bin/sh -c worker-${r}`.slice(0, cols + 10);
  }
  top += `\x1b[1;1H`;
  return Buffer.from(`${lines.join('\r\n')}\r\n${top}`);
}

const mem = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
};
const total = (m: ReturnType<typeof mem>) => m.heap + m.external + m.arrayBuffers;

async function main(): Promise<void> {
  const models = new ScreenModels({ enabled: () => true, maxDetached: sessions + 1, redraw: () => {} });
  const before = mem();
  const ids: string[] = [];
  for (let i = 0; i < sessions; i++) {
    const id = `c${i}`;
    ids.push(id);
    const v = models.join(id, size)!;
    v.feed(screenBytes(i));
    v.leave(); // detached, as between a drop and the reattach
    if (i % 50 === 49) await models.restore(id, size); // let the parser keep up
  }
  for (const id of ids) await models.restore(id, size);
  const after = mem();
  const perSessionBytes = (total(after) - total(before)) / sessions;
  const rssPerSessionBytes = (after.rss - before.rss) / sessions;

  // Reattach paints: idle models, then models right behind 64 KiB of fresh output.
  const idle: number[] = [];
  let paintBytes = 0;
  for (let k = 0; k < restores; k++) {
    const id = ids[(k * 7919) % sessions]!;
    const t = performance.now();
    const p = await models.restore(id, size);
    idle.push(performance.now() - t);
    paintBytes = Math.max(paintBytes, Buffer.byteLength(p ?? ''));
  }
  const busy: number[] = [];
  const burst = Buffer.from('x'.repeat(79) + '\r\n')
    .toString()
    .repeat(Math.ceil(65536 / 81));
  for (let k = 0; k < Math.min(restores, 50); k++) {
    const id = ids[(k * 104729) % sessions]!;
    const v = models.join(id, size)!;
    v.feed(Buffer.from(burst));
    const t = performance.now();
    await models.restore(id, size);
    busy.push(performance.now() - t);
    v.leave();
  }

  // A `yes` flood into one model, fed far faster than it parses.
  let redraws = 0;
  const flood = new ScreenModel({
    size,
    onResync: () => {
      redraws++;
    },
    cooldownMs: 200,
  });
  const chunk = Buffer.from('y\n'.repeat(8192));
  let maxQueued = 0;
  const floodBefore = mem();
  const floodCpu = process.cpuUsage();
  const floodStart = performance.now();
  for (let n = 0; n < 6400; n++) {
    // 100 MiB
    flood.feed(chunk);
    maxQueued = Math.max(maxQueued, flood.queuedBytes);
    if (n % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  const floodMs = performance.now() - floodStart;
  await new Promise((r) => setTimeout(r, 400));
  const floodCpuMs = (process.cpuUsage(floodCpu).user + process.cpuUsage(floodCpu).system) / 1000;
  const floodAfter = mem();
  flood.dispose();

  // Parse cost of ordinary output that the model keeps up with: 1 MiB of `ls -l`-like lines, in 4 KiB pieces.
  const burstModel = new ScreenModel({ size, maxQueuedBytes: 2 * 2 ** 20 });
  const text = Buffer.from(screenBytes(0).toString().split('\x1b[?1049h')[0]!.repeat(40)).subarray(0, 2 ** 20);
  const burstCpu = process.cpuUsage();
  const burstStart = performance.now();
  for (let o = 0; o < text.length; o += 4096) burstModel.feed(text.subarray(o, o + 4096));
  await burstModel.snapshot();
  const burstMs = performance.now() - burstStart;
  const bc = process.cpuUsage(burstCpu);
  burstModel.dispose();
  models.close();

  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    /* recorded as unknown */
  }
  const ms = (xs: number[]) => ({ p50: round1(pct(xs, 0.5)), p95: round1(pct(xs, 0.95)), p99: round1(pct(xs, 0.99)), max: round1(Math.max(...xs)) });
  const result = {
    benchmark: 'terminal-model',
    date: new Date().toISOString(),
    commit,
    command: `node bench/terminal-model.ts ${argv.join(' ')}`.trim(),
    machine: machineInfo(),
    settings: { sessions, cols, rows, scrollback: SCREEN_DEFAULTS.scrollback, maxQueuedBytes: SCREEN_DEFAULTS.maxQueuedBytes },
    memory: {
      perSessionKiB: round1(perSessionBytes / 1024),
      perSessionRssKiB: round1(rssPerSessionBytes / 1024),
      totalMiB: round1((total(after) - total(before)) / 2 ** 20),
      targetPerSessionKiB: 1024,
    },
    restoreMs: { idle: ms(idle), behind64KiB: ms(busy), target: 60, maxPaintKiB: round1(paintBytes / 1024) },
    flood: {
      fedMiB: 100,
      ms: Math.round(floodMs),
      maxQueuedKiB: round1(maxQueued / 1024),
      resyncs: flood.resyncs,
      redrawsAsked: redraws,
      heapGrowthMiB: round1((total(floodAfter) - total(floodBefore)) / 2 ** 20),
      cpuMs: Math.round(floodCpuMs),
    },
    parse: { mib: 1, ms: Math.round(burstMs), cpuMs: Math.round((bc.user + bc.system) / 1000) },
  };
  console.log(JSON.stringify({ memory: result.memory, restoreMs: result.restoreMs, flood: result.flood, parse: result.parse }, null, 2));
  writeResult('terminal-model', result);
}

await main();
