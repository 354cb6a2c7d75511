/**
 * The recorder's own CPU per echoed keystroke, in process and without the noise of a shared machine
 * (process.cpuUsage counts this process's CPU only): S sessions' CastWriters each get K one-byte
 * output events a second for D seconds — every session then writes its file once a second, the most
 * writes recording does — and the CPU is divided by the events. Read against ISLET's CPU per keystroke
 * in bench/recording-overhead.ts (≈0.5 ms at 100 trainees) for the overhead per key.
 *
 * Writes bench/results/<date>-recording-writer-cost.json.
 * Usage: node bench/recording-writer-cost.ts [--sessions 100] [--keys 12] [--seconds 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CastWriter } from '../src/recordings/cast-writer.ts';
import { writeResult } from './lib/results.ts';
import { numArg } from './lib/targets.ts';

const argv = process.argv.slice(2);
const S = numArg(argv, 'sessions', 100);
const K = numArg(argv, 'keys', 12);
const D = numArg(argv, 'seconds', 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const date = new Date().toISOString();
const dir = mkdtempSync(join(tmpdir(), 'islet-writer-cost-'));
try {
  const meta = { account: 'bench', door: 'ssh', login: 'bench', pid: process.pid, run: 'bench', input: false };
  const ws = Array.from(
    { length: S },
    (_, i) => new CastWriter(join(dir, `${i}.cast`), { cols: 80, rows: 24, term: 'xterm', title: 'b', islet: meta }, { maxBytes: 0 }),
  );
  const key = Buffer.from('x');
  const loop = async (record: boolean) => {
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    let events = 0;
    while (Date.now() - t0 < D * 1000) {
      if (record) for (const w of ws) w.output(key);
      events += S;
      await sleep(1000 / K);
    }
    const c = process.cpuUsage(c0);
    return { events, cpu_ms: (c.user + c.system) / 1000 };
  };
  await sleep(1500); // files open
  const base = await loop(false); // the loop alone, subtracted
  const rec = await loop(true);
  await Promise.all(ws.map((w) => w.exit(0)));
  const us = ((rec.cpu_ms - base.cpu_ms) * 1000) / rec.events;
  console.log(
    `${S} sessions × ${K} keys/s × ${D} s: recording ${rec.cpu_ms.toFixed(1)} ms CPU, loop alone ${base.cpu_ms.toFixed(1)} ms: ${us.toFixed(2)} µs per key`,
  );
  writeResult('recording-writer-cost', {
    date,
    benchmark: 'recording-writer-cost',
    method: {
      sessions: S,
      keys_per_s: K,
      seconds: D,
      cpu: 'process.cpuUsage of this process (user+system), recording loop less the same loop without recording',
    },
    result: { us_per_key: Math.round(us * 100) / 100, recording_cpu_ms: rec.cpu_ms, loop_cpu_ms: base.cpu_ms, events: rec.events },
  } as { date: string });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
