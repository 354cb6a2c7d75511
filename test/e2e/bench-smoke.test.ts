/**
 * The benchmark harness still works end to end (not how fast: speed is
 * measured by `npm run bench`, never asserted here). One trainee through
 * login-latency and throughput against ISLET, results written to a temp dir
 * in the documented shape, and the charts drawn from them.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/islet-process.ts';
import { dataPathTables } from '../../bench/lib/data-path-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'islet-bench-'));
const node = join(repoRoot, 'node_modules/.bin/node');

function bench(script: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      ['--disable-warning=ExperimentalWarning', join(repoRoot, 'bench', script), ...args],
      { env: { ...process.env, ISLET_BENCH_RESULTS: dir }, timeout: 180_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${script}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

const result = (name: string) => {
  const f = readdirSync(dir).find((x) => x.endsWith(`-${name}.json`));
  assert.ok(f, `${name} result written`);
  return JSON.parse(readFileSync(join(dir, f), 'utf8'));
};

describe('benchmark harness', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('login-latency and throughput run against ISLET and write their results; the charts are drawn', async () => {
    await bench('login-latency.ts', '--trainees', '1', '--targets', 'islet');
    const lat = result('login-latency');
    for (const kind of ['first_menu', 'new', 'reattach', 'restart', 'warm', 'engine_floor', 'openssh_first_menu', 'openssh_new']) {
      const xs = lat.samples.islet[kind] as number[];
      assert.ok(Array.isArray(xs) && xs.length > 0 && xs.every((x) => Number.isFinite(x) && x > 0), `${kind}: ${JSON.stringify(xs)}`);
    }
    assert.equal(lat.machine.cpus > 0, true);

    await bench('throughput.ts', '--targets', 'islet', '--mb', '2', '--runs', '1');
    const tp = result('throughput');
    assert.equal(tp.runs.length, 1);
    assert.ok(tp.runs[0].mb >= 2, `received the whole file: ${tp.runs[0].mb} MB`);

    const out = await bench('charts.ts', dir);
    for (const chart of ['time-to-shell.svg', 'throughput.svg']) {
      assert.match(out, new RegExp(chart.replace('.', '\\.')));
      assert.match(readFileSync(join(dir, 'charts', chart), 'utf8'), /^<svg/);
    }
  });

  test('data-path-cpu runs against ISLET (native crypto) and writes CPU by process for tty, keys and exec; the doc tables render', async () => {
    await bench(
      'data-path-cpu.ts',
      '--targets',
      'islet',
      '--islet-crypto',
      'native',
      '--ciphers',
      'chacha20-poly1305@openssh.com',
      '--mb',
      '10',
      '--keys',
      '61',
      '--runs',
      '1',
    );
    const r = result('data-path-cpu');
    assert.ok(r.commit && r.command && r.start && r.end && r.machine.cpus > 0, 'commit, command, start, end and machine recorded');
    assert.deepEqual(r.steps.map((s: { step: string }) => s.step).sort(), ['exec', 'keys', 'tty']);
    const tty = r.steps.find((s: { step: string }) => s.step === 'tty');
    assert.equal(tty.crypto, 'native');
    assert.ok(tty.mb >= 10, `received the whole stream: ${tty.mb} MB`);
    assert.ok(tty.cpu.islet > 0 && tty.cpu.server >= tty.cpu.islet, JSON.stringify(tty.cpu));
    for (const g of ['dockerd', 'containerd', 'shim', 'container', 'client']) assert.ok(Number.isFinite(tty.cpu[g]), `${g} read: ${JSON.stringify(tty.cpu)}`);
    assert.equal(r.steps.find((s: { step: string }) => s.step === 'keys').keys, 61);
    assert.match(dataPathTables({ ...r, file: 'x.json' }), /\| ISLET, native crypto \| chacha20-poly1305 \|/);
  });
});
