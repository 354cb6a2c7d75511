/**
 * `islet serve` takes every flag the README and `npm start` pass (--config --data --listen --http --metrics
 * --log-level): each door comes up on the address its flag names. A flag the parser does not know makes the
 * command exit at once, which a test through environment variables alone would never see. The server also runs
 * under the malloc settings for full-cost hashing (src/os/kdf-malloc.ts), which it gives itself at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../helpers/islet-process.ts';
import { sweepTestContainers, testRunId } from '../helpers/engine.ts';
import { KDF_MALLOC_ENV } from '../../src/os/kdf-malloc.ts';
import { withoutKdfMalloc } from '../helpers/kdf-worker-client.ts';

test('islet serve --listen --http --metrics: the SSH door, the web door and the metrics listener all listen', async (t) => {
  const runId = testRunId();
  const data = mkdtempSync(join(tmpdir(), 'islet-flags-'));
  const args = [
    'serve',
    '--config',
    join(repoRoot, 'examples'),
    '--data',
    data,
    '--listen',
    '127.0.0.1:0',
    '--http',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
    '--log-level',
    'info',
  ];
  // Launched without the malloc settings, so that finding them in the server shows it gave them to itself.
  const env = { ...withoutKdfMalloc(), ISLET_INSTANCE: `t${runId}`, ISLET_TEST_RUN: runId };
  const child = spawn(join(repoRoot, 'bin/islet'), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    child.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
    await sweepTestContainers(runId);
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const events = new Map<string, Record<string, unknown>>();
  const want = ['listening', 'web_listening', 'metrics_listening'];
  const all = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 60_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        if (typeof o.event === 'string') events.set(o.event, o);
      } catch {
        /* not a log line */
      }
      if (want.every((e) => events.has(e))) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  assert.ok(all, `not every door listened (saw ${[...events.keys()].filter((e) => e.endsWith('listening')).join(', ') || 'none'}); stderr: ${stderr}`);
  const web = events.get('web_listening')!;
  const page = await fetch(`http://127.0.0.1:${String(web.port)}/`);
  assert.equal(page.status, 200, 'the web door serves its page on the --http address');
  const metrics = events.get('metrics_listening')!;
  const health = await fetch(`http://127.0.0.1:${String(metrics.port)}/healthz`);
  assert.ok([200, 503].includes(health.status), `the metrics listener answers /healthz (${health.status})`);
  // bin/islet execs Node and `serve` re-executes itself: the listening process is the one spawned, now with them.
  const environ = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
  for (const [k, v] of Object.entries(KDF_MALLOC_ENV)) assert.ok(environ.includes(`${k}=${v}`), `the server runs with ${k}=${v}`);
});
