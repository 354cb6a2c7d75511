/**
 * The recorder's own CPU per recorded chunk, in process and without most of the noise of a shared machine
 * (process.cpuUsage counts this process's CPU only, including the kernel's time for its writes): S sessions'
 * CastWriters each get K one-byte output chunks (echoed keys) a second, and with every BURST-th key a command's
 * output (4 chunks of 300 bytes with escape sequences, 1 ms apart, as a shell's output arrives); their files are
 * written as in ISLET (every flush interval, one shared timer). Windows with and without recording alternate
 * (A B A B …, ROUNDS of each, D seconds each); the cost is the median recording window less the median plain one,
 * divided by the chunks. Read against ISLET's CPU per keystroke in bench/recording-overhead.ts (≈0.5 ms at
 * 100 trainees; the paper's workload types ≈1.5 keys a second per trainee, the default K).
 *
 * Writes bench/results/<date>-recording-writer-cost.json (ISLET_BENCH_RESULTS: elsewhere).
 * Usage: node bench/recording-writer-cost.ts [--sessions 100] [--keys 2] [--burst 10] [--seconds 10] [--rounds 3] [--flush ms]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CastWriter } from '../src/recordings/cast-writer.ts';
import { round1, writeResult } from './lib/results.ts';
import { median } from './lib/stats.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const S = numArg(argv, 'sessions', 100);
const K = numArg(argv, 'keys', 2);
const BURST = numArg(argv, 'burst', 10);
const D = numArg(argv, 'seconds', 10);
const ROUNDS = numArg(argv, 'rounds', 3);
/** The writers' flush interval (0: their default, which is what ISLET uses). */
const FLUSH = numArg(argv, 'flush', 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const date = new Date().toISOString();
const loadStart = loadavg().map(round1);
const dir = mkdtempSync(join(tmpdir(), 'islet-writer-cost-'));
try {
  const meta = { account: 'bench', door: 'ssh', login: 'bench', pid: process.pid, run: 'bench', input: false };
  const ws = Array.from(
    { length: S },
    (_, i) =>
      new CastWriter(
        join(dir, `${i}.cast`),
        { cols: 80, rows: 24, term: 'xterm', title: 'b', islet: meta },
        { maxBytes: 0, ...(FLUSH > 0 ? { flushMs: FLUSH } : {}) },
      ),
  );
  const key = Buffer.from('x');
  const line = Buffer.from(
    `\x1b[01;34mbin\x1b[0m  \x1b[01;34metc\x1b[0m  lib  ${'-rw-r--r-- 1 student student 1234 Nov 30 12:00 notes.txt\r\n'.repeat(4)}`.slice(0, 300),
  );
  // Sessions are spread over the second (trainees do not type in step); each tick serves its slice.
  const TICK = 10;
  const window = async (record: boolean) => {
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    let chunks = 0;
    let tick = 0;
    while (Date.now() - t0 < D * 1000) {
      const due = Math.floor(((tick % (1000 / TICK)) * S * K * TICK) / 1000);
      const next = Math.floor((((tick % (1000 / TICK)) + 1) * S * K * TICK) / 1000);
      for (let j = due; j < next; j++) {
        const w = ws[j % S]!;
        if (record) w.output(key);
        chunks++;
        if (BURST > 0 && j % BURST === 0) {
          for (let c = 0; c < 4; c++)
            setTimeout(() => {
              if (record) w.output(line);
            }, c + 1);
          chunks += 4;
        }
      }
      tick++;
      await sleep(TICK);
    }
    await sleep(1200); // the last flush of this window falls in it
    const c = process.cpuUsage(c0);
    return { chunks, cpu_ms: (c.user + c.system) / 1000 };
  };
  await sleep(1500); // files open
  const rec: { chunks: number; cpu_ms: number }[] = [];
  const plain: { chunks: number; cpu_ms: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const record of r % 2 === 0 ? [true, false] : [false, true]) (record ? rec : plain).push(await window(record));
  }
  await Promise.all(ws.map((w) => w.exit(0)));
  const recMs = median(rec.map((x) => x.cpu_ms));
  const plainMs = median(plain.map((x) => x.cpu_ms));
  const chunks = rec[0]!.chunks;
  const us = ((recMs - plainMs) * 1000) / chunks;
  const keys = chunks / (1 + (BURST > 0 ? 4 / BURST : 0));
  const usPerKey = ((recMs - plainMs) * 1000) / keys;
  console.log(
    `${S} sessions × ${K} keys/s (+ 4 output chunks every ${BURST} keys) × ${D} s, ${ROUNDS} rounds ABBA: recording ${recMs.toFixed(1)} ms CPU, ` +
      `plain ${plainMs.toFixed(1)} ms: ${us.toFixed(2)} µs per chunk, ${usPerKey.toFixed(2)} µs per key; load ${loadavg()[0]!.toFixed(1)}`,
  );
  writeResult('recording-writer-cost', {
    date,
    benchmark: 'recording-writer-cost',
    method: {
      sessions: S,
      keys_per_s: K,
      burst_every_keys: BURST,
      seconds: D,
      rounds: ROUNDS,
      flush_ms: FLUSH || 'default',
      cpu: 'process.cpuUsage of this process (user+system) per window; median recording window less median plain window, ABBA',
    },
    load_at_start: loadStart,
    result: {
      us_per_chunk: Math.round(us * 100) / 100,
      us_per_key: Math.round(usPerKey * 100) / 100,
      recording_cpu_ms: rec.map((x) => x.cpu_ms),
      plain_cpu_ms: plain.map((x) => x.cpu_ms),
      chunks,
    },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
