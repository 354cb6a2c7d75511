import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const probe = join(import.meta.dirname, 'loop-lag-probe.ts');

test("the probe notes a blocked loop in its own process, and a child forked with that process's environment writes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-loop-probe-'));
  try {
    const file = join(dir, 'lag.txt');
    // The parent blocks its loop for 60 ms once the timer runs; the child (same --import, same environment) blocks
    // its own for 200 ms. Only the parent's lateness may reach the file.
    const script = `
      const { spawnSync } = require('node:child_process');
      const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
      setTimeout(() => {
        busy(60);
        const child = 'setTimeout(() => { const end = performance.now() + 200; while (performance.now() < end); }, 20); setTimeout(() => {}, 60)';
        const r = spawnSync(process.execPath, ['--import=${probe}', '-e', child], { env: process.env, stdio: 'inherit' });
        if (r.status !== 0) process.exit(2);
        console.log(process.env.LOOP_LAG_FILE === undefined ? 'unset' : 'set');
      }, 20);
      setTimeout(() => {}, 400);
    `;
    const out = execFileSync(process.execPath, [`--import=${probe}`, '-e', script], { env: { ...process.env, LOOP_LAG_FILE: file }, encoding: 'utf8' });
    assert.equal(out.trim(), 'unset');
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number));
    // The parent's 60 ms block shows (plus the child's run, which blocks the parent's loop as well: spawnSync).
    assert.ok(
      lines.some(([, late]) => late! >= 50),
      `a late line of 50 ms or more: ${JSON.stringify(lines)}`,
    );
    for (const l of lines) assert.equal(l.length, 3, 'wall clock, lateness, monotonic clock');
    // No line of the child's own 200 ms block written by the child: every line's monotonic time is the parent's,
    // and the parent saw the child's run as one late turn covering it, so no two lines overlap in time.
    const spans = lines.map(([, late, mono]) => [mono! - late!, mono!]).sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i]![0]! >= spans[i - 1]![1]! - 6, `overlapping late episodes (two writers): ${JSON.stringify(spans)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
