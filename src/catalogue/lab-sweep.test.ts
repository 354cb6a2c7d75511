import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idleLabs, sweepIdleLabs } from './lab-sweep.ts';

/** Runs `fn` with one environment variable changed, restored afterwards. */
async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const was = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (was === undefined) delete process.env[name];
    else process.env[name] = was;
  }
}

test('an engine the client cannot reach: no idle lab, nothing removed, no error', async () => {
  const r = await withEnv('DOCKER_HOST', 'unix:///nonexistent/islet-no-engine.sock', () => sweepIdleLabs('nolab', false));
  assert.deepEqual(r, []);
});

test('no docker client at all: no idle lab, no error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'islet-no-docker-'));
  try {
    assert.deepEqual(await withEnv('PATH', empty, () => idleLabs('nolab')), []);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
