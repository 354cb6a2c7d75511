/**
 * `islet check` against real config dirs and the real engine: Nagios exit
 * codes and file:line problems.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/islet-process.ts';

function check(dir: string, ...extra: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'bin/islet'), ['check', '--config', dir, ...extra], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, out: stdout + stderr });
    });
  });
}

function configDir(t: { after: (f: () => void) => void }, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'islet-check-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

test('the shipped example config is OK against the real engine (exit 0)', async () => {
  const r = await check(join(repoRoot, 'examples'));
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^OK: 1 environment\(s\)/m);
});

test('unknown legacy variables are warnings (exit 1)', async (t) => {
  const d = configDir(t, { 'environments/x.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nFROBNICATE="yes"\n' });
  const r = await check(d);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /x\.conf:3: warning: FROBNICATE: .*\[CONFIG_UNKNOWN_OPTION\]/);
});

test('invalid values, forbidden constructs and missing images are critical with file:line (exit 2)', async (t) => {
  const d = configDir(t, {
    'environments/a.yaml': 'image: islet/demo:latest\npids_limit: lots\n',
    'environments/b.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nCOMMAND=`id`\n',
    'environments/c.yaml': 'image: islet/not-built-here:0\n',
  });
  const r = await check(d);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /a\.yaml:2: critical: pids_limit: /);
  assert.match(r.out, /b\.conf:3: critical: .*\[CONFIG_FORBIDDEN\]/);
  assert.match(r.out, /c\.yaml: critical: image: image islet\/not-built-here:0 .*\[IMAGE_MISSING\]/);
});

test('a missing config dir is UNKNOWN (exit 3)', async () => {
  const r = await check('/nonexistent/islet-config');
  assert.equal(r.code, 3, r.out);
});
