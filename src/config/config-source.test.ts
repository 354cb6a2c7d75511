import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSource, RECHECK_MS, loadConfigDir } from './config-source.ts';
import { formatIssue } from './config-issue.ts';

function dir(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'islet-cfg-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), text);
  }
  return d;
}

test('YAML environments inherit islet.yaml defaults; the file name is the name; menu order is by file name', (t) => {
  const d = dir(t, {
    'islet.yaml': 'days: 5\ndefaults:\n  memory: 256m\n  pids_limit: 100\n',
    'environments/zeta.yaml': 'image: islet/demo\n',
    'environments/alpha.yml': 'image: islet/demo\nmemory: 64m\ndescription: First\n',
  });
  const c = loadConfigDir(d);
  assert.deepEqual(c.issues, []);
  assert.equal(c.global.days, 5);
  assert.deepEqual(
    c.environments.map((e) => e.name),
    ['alpha', 'zeta'],
  );
  assert.equal(c.environments[0]!.memory, 64 * 1024 ** 2);
  assert.equal(c.environments[1]!.memory, 256 * 1024 ** 2);
  assert.equal(c.environments[1]!.pids_limit, 100);
  assert.deepEqual(
    c.plugins.map((p) => p.name),
    ['clear', 'del_training', 'del_user', 'restart', 'add_key', 'export'],
  );
});

test('errors name the file, the line and the option', (t) => {
  const d = dir(t, {
    'environments/bad.yaml': 'image: islet/demo\ndescription: x\nmemory: lots\nnetwork: host\nbogus: 1\n',
    'environments/broken.yaml': 'image: [unclosed\n',
    'environments/noimage.yaml': 'description: no image\n',
  });
  const c = loadConfigDir(d);
  const text = c.issues.map(formatIssue).join('\n');
  assert.match(text, /bad\.yaml:3: critical: memory: memory: expected a size/);
  assert.match(text, /bad\.yaml:4: critical: network: /);
  assert.match(text, /bad\.yaml:5: critical: bogus: unknown option .*\[CONFIG_UNKNOWN_OPTION\]/);
  assert.match(text, /broken\.yaml:\d+: critical: .*\[CONFIG_SYNTAX\]/);
  assert.match(text, /noimage\.yaml(:\d+)?: critical: image: required option is missing/);
  assert.deepEqual(c.environments, []);
});

test('an edit shows at the next read; a broken edit keeps the last good version in service', (t) => {
  const d = dir(t, { 'environments/demo.yaml': 'image: islet/demo\ndescription: one\n' });
  const src = new ConfigSource(d);
  assert.equal(src.current().environments[0]!.description, 'one');
  const path = join(d, 'environments/demo.yaml');
  writeFileSync(path, 'image: islet/demo\ndescription: two\n');
  utimesSync(path, new Date(), new Date(Date.now() + 2000));
  assert.equal(src.current().environments[0]!.description, 'two');
  writeFileSync(path, 'image: islet/demo\ndescription: three\nmemory: nope\n');
  utimesSync(path, new Date(), new Date(Date.now() + 4000));
  const c = src.current();
  assert.equal(c.environments[0]!.description, 'two', 'last good version kept');
  assert.ok(c.issues.some((i) => i.severity === 'critical' && i.line === 3));
  writeFileSync(join(d, 'environments/new.yaml'), 'image: islet/demo\n');
  assert.deepEqual(
    src.current().environments.map((e) => e.name),
    ['demo', 'new'],
    'a new file appears without a restart',
  );
});

test('original .conf files and YAML sit side by side with the original precedence', (t) => {
  const d = dir(t, {
    'islet.conf': 'DAYS=7\nFAILURE_COUNT=5\nMIN_PASSWD_LEN=6\nTIMEOUT="8h"\n',
    'modules/docker.conf': '  ULIMIT_NPROC="100:200"\nREMOVE="no"\nTIMEOUT="4h"\n',
    'environments/legacy.conf':
      'ENVIRONMENT="islet/demo"\nDESCRIPTION="Old style"\nENABLE="yes"\nVIRTUSER="student"\nMEMORY="128m"\nHOSTNAME="oldbox"\nTIMEOUT="2h"\n',
    'environments/modern.yaml': 'image: islet/demo\ndescription: New style\n',
    'plugins/clear.conf': 'ENABLE="yes"\nDESCRIPTION="Clear the screen"\nPLUGIN="clear"\n',
  });
  const c = loadConfigDir(d);
  assert.deepEqual(
    c.issues.filter((i) => i.severity === 'critical'),
    [],
  );
  assert.equal(c.global.days, 7);
  assert.equal(c.global.failure_count, 5);
  assert.equal(c.global.min_password_length, 6);
  const legacy = c.environments.find((e) => e.name === 'legacy')!;
  const modern = c.environments.find((e) => e.name === 'modern')!;
  assert.equal(legacy.description, 'Old style');
  assert.equal(legacy.user, 'student');
  assert.equal(legacy.memory, 128 * 1024 ** 2);
  assert.equal(legacy.hostname, 'oldbox');
  assert.equal(legacy.timeout, 7200, 'environment beats module beats global');
  assert.equal(modern.timeout, 4 * 3600, 'YAML environments inherit the legacy module too');
  assert.deepEqual(legacy.ulimits.nproc, { soft: 100, hard: 200 });
  assert.deepEqual(
    c.plugins.map((p) => [p.name, p.action]),
    [['clear', 'clear']],
    'plugin files replace the default list',
  );
});

test('a .conf file that tries to run a command is refused with its line, never executed', (t) => {
  const d = dir(t, { 'environments/evil.conf': 'ENVIRONMENT="islet/demo"\nENABLE="yes"\nDESCRIPTION="$(touch /tmp/islet-pwned)"\n' });
  const c = loadConfigDir(d);
  assert.deepEqual(c.environments, []);
  const i = c.issues.find((x) => x.code === 'CONFIG_FORBIDDEN');
  assert.equal(i?.line, 3);
});

/** Reads until `ok` holds; returns how long it took (ms). */
async function until(read: () => boolean, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!read()) {
    if (performance.now() - t0 > ms) throw new Error(`not seen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}

test('watch: reads between changes look at no file; an edit, a new file and a new directory show at the change event, well before RECHECK_MS', async (t) => {
  const d = dir(t, { 'environments/demo.yaml': 'image: islet/demo\ndescription: one\n' });
  const src = new ConfigSource(d, undefined, { watch: true });
  t.after(() => src.close());
  assert.equal(src.current().environments[0]!.description, 'one');
  const path = join(d, 'environments/demo.yaml');
  writeFileSync(path, 'image: islet/demo\ndescription: two\n');
  // No event can have run yet in this tick: a read that fingerprinted would already see "two".
  assert.equal(src.current().environments[0]!.description, 'one', 'the trusted fingerprint is not re-read');
  assert.ok((await until(() => src.current().environments[0]!.description === 'two', RECHECK_MS / 2)) < RECHECK_MS / 2);
  writeFileSync(join(d, 'environments/new.yaml'), 'image: islet/demo\n');
  await until(() => src.current().environments.length === 2, RECHECK_MS / 2);
  rmSync(join(d, 'plugins'), { recursive: true, force: true });
  mkdirSync(join(d, 'plugins'));
  writeFileSync(join(d, 'plugins/p.yaml'), 'name: clearit\naction: clear\n');
  await until(() => src.current().plugins.length === 1, RECHECK_MS / 2);
});

test('without watch every read fingerprints: an edit shows at the very next read', (t) => {
  const d = dir(t, { 'environments/demo.yaml': 'image: islet/demo\ndescription: one\n' });
  const src = new ConfigSource(d);
  assert.equal(src.current().environments[0]!.description, 'one');
  writeFileSync(join(d, 'environments/demo.yaml'), 'image: islet/demo\ndescription: two!\n');
  assert.equal(src.current().environments[0]!.description, 'two!');
});
