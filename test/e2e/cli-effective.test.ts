/**
 * `islet check --effective <environment>` through the real CLI: the settings a
 * trainee's container gets, each with its file:line or "default".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/islet-process.ts';
import { readFixture } from '../../src/config/legacy/fixtures/chain.ts';

function islet(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(repoRoot, 'bin/islet'), args, { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code) : 0, out: stdout + stderr });
    });
  });
}

function configDir(t: { after: (f: () => void) => void }, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'islet-effective-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

/** The row of a setting: [value, from]. */
function row(out: string, setting: string): [string, string] {
  const m = new RegExp(`^  ${setting.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s{2,}(.+?)\\s{2,}(\\S.*)$`, 'm').exec(out);
  assert.ok(m, `a row for ${setting} in:\n${out}`);
  return [m[1]!.trim(), m[2]!.trim()];
}

test('a legacy environment: each setting with its file:line and variable, or default', async (t) => {
  const d = configDir(t, {
    'environments/lab.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nCAP_NET_RAW="yes"\nULIMIT_NOFILE="256:512"\nMEMORY="256m"\n',
  });
  const r = await islet('check', '--config', d, '--effective', 'lab');
  assert.equal(r.code, 0, r.out);
  const file = join(d, 'environments/lab.conf');
  assert.deepEqual(row(r.out, 'capabilities'), ['NET_RAW', "cap_drop and cap_add, by the engine's rule"]);
  assert.deepEqual(row(r.out, 'capability NET_RAW'), ['added', `${file}:3 (CAP_NET_RAW)`]);
  assert.deepEqual(row(r.out, 'cap_drop'), ['ALL', 'default']);
  assert.deepEqual(row(r.out, 'ulimit nofile'), ['256:512', `${file}:4 (ULIMIT_NOFILE)`]);
  assert.deepEqual(row(r.out, 'ulimit fsize'), ['1073741824:1073741824 (1g)', 'default']);
  assert.deepEqual(row(r.out, 'no_new_privileges'), ['yes', 'default']);
  assert.deepEqual(row(r.out, 'pids_limit'), ['256', 'default']);
  assert.deepEqual(row(r.out, 'memory'), ['256m', `${file}:5 (MEMORY)`]);
  assert.deepEqual(row(r.out, 'network'), ['none', 'default']);
  assert.deepEqual(row(r.out, 'privileged'), ['no', 'always']);
  assert.deepEqual(row(r.out, 'read_only_root'), ['no', 'default']);
  assert.deepEqual(row(r.out, 'mounts'), ['(none)', 'default']);
  assert.deepEqual(row(r.out, 'user'), ["the image's USER", 'default']);
});

test('beside the original module: capabilities none, the module says once that SETFCAP/SETUID/SETGID are withheld', async (t) => {
  const d = configDir(t, {
    'islet.conf': readFixture('islet.conf'),
    'modules/docker.conf': readFixture('modules/docker.conf'),
    'environments/lab.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nCAP_NET_RAW="no"\n',
  });
  const e = await islet('check', '--config', d, '--effective', 'lab');
  assert.equal(e.code, 0, e.out);
  assert.deepEqual(row(e.out, 'capabilities'), ['none', "cap_drop and cap_add, by the engine's rule"]);
  assert.deepEqual(row(e.out, 'ulimit nofile'), ['1024:2048', `${join(d, 'modules/docker.conf')}:70 (ULIMIT_NOFILE)`]);
  assert.deepEqual(row(e.out, 'ulimit fsize'), ['1073741824:1073741824 (1g)', 'default']);
  const c = await islet('check', '--no-engine', '--config', d);
  assert.equal(c.code, 1, c.out);
  assert.equal(c.out.match(/CAP_SETFCAP, CAP_SETUID, CAP_SETGID="yes"/g)?.length, 1, c.out);
  assert.match(c.out, /docker\.conf:30: warning: CAP_SETFCAP: .*ISLET keeps them dropped/);
});

test("--json gives the same settings; a YAML cap_drop without ALL shows Docker's default set and check warns", async (t) => {
  const d = configDir(t, {
    'islet.yaml': 'defaults:\n  pids_limit: 100\n',
    'environments/weak.yaml': 'image: islet/demo:latest\ncap_drop: [NET_RAW]\n',
  });
  const j = await islet('check', '--config', d, '--effective', 'weak', '--json');
  assert.equal(j.code, 0, j.out);
  const parsed = JSON.parse(j.out) as { environment: string; settings: { setting: string; value: string; source: string }[] };
  const get = (s: string) => parsed.settings.find((x) => x.setting === s);
  assert.equal(parsed.environment, 'weak');
  assert.deepEqual(get('capabilities')?.value.split(' '), [
    'AUDIT_WRITE',
    'CHOWN',
    'DAC_OVERRIDE',
    'FOWNER',
    'FSETID',
    'KILL',
    'MKNOD',
    'NET_BIND_SERVICE',
    'SETFCAP',
    'SETGID',
    'SETPCAP',
    'SETUID',
    'SYS_CHROOT',
  ]);
  assert.equal(get('cap_drop')?.source, `${join(d, 'environments/weak.yaml')}:2 (cap_drop)`);
  assert.deepEqual([get('pids_limit')?.value, get('pids_limit')?.source], ['100', `${join(d, 'islet.yaml')}:2 (defaults.pids_limit)`]);
  const c = await islet('check', '--no-engine', '--config', d);
  assert.equal(c.code, 1, c.out);
  assert.match(c.out, /weak\.yaml: warning: cap_drop: environment "weak" does not drop ALL capabilities.*CHOWN/);
});

test('an unknown or broken environment is CRITICAL (exit 2) with its problems', async (t) => {
  const d = configDir(t, { 'environments/bad.conf': 'ENVIRONMENT="islet/demo:latest"\nENABLE="yes"\nNETWORK="host"\n' });
  const bad = await islet('check', '--config', d, '--effective', 'bad');
  assert.equal(bad.code, 2, bad.out);
  assert.match(bad.out, /bad\.conf:3: critical: NETWORK: .*host/);
  assert.match(bad.out, /^CRITICAL: no valid environment "bad"/m);
  const none = await islet('check', '--config', d, '--effective', 'nope');
  assert.equal(none.code, 2, none.out);
  assert.match(none.out, /^CRITICAL: no valid environment "nope" \(valid environments: none\)/m);
});
