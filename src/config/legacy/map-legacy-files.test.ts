/**
 * mapLegacy, file by file: the fixture chain (islet.conf → modules/docker.conf → environment), the global file,
 * the plugin files, and which file a variable and its issues belong to (ENABLE/VISIBLE, BANNER, unknown,
 * misplaced and pre-2016 names).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapLegacy } from './map-legacy.ts';
import { allIssues, chain, fixtureChain } from './fixtures/chain.ts';
import { mapInline as map } from './fixtures/map-inline.ts';

test('brolive through islet.conf and modules/docker.conf maps every field', () => {
  const steps = fixtureChain('environments/brolive.conf');
  const env = steps[2]!.mapped.environment;
  assert.deepEqual(
    { ...env, cap_add: undefined, cap_drop: undefined },
    {
      image: 'broplatform/brolive',
      description: 'Bro 2.4 training image',
      enabled: true,
      user: 'demo',
      workdir: '/home/demo',
      command: 'bash',
      cpu_shares: 1024,
      memory: '256m',
      swap: '10m',
      hostname: 'bro',
      network: 'none',
      dns: ['127.0.0.1'],
      mounts: [{ source: '/exercises', target: '/exercises' }],
      env: { ENVIRONMENT: 'broplatform/brolive', PLATFORM: 'islet' },
      ulimits: { nofile: '1024:2048' },
      motd: 'Training materials are in /exercises',
      banner:
        '\n==================================\n Welcome to the Bro environment\n' +
        '     ____\n    /    \\\n   | (o)  |   "bro"\n    \\____/\n==================================\n',
      remove_on_exit: false,
      timeout: '8h',
      days: 3,
      cap_add: undefined,
      cap_drop: undefined,
    },
  );
  // Module: SETFCAP/SETUID/SETGID "yes" are the original's defaults and are withheld; the environment adds NET_RAW.
  // cap_drop is left to ISLET's default (ALL): the module's 34 "no" only confirm it.
  assert.deepEqual(env.cap_add, ['NET_RAW']);
  assert.equal(env.cap_drop, undefined);
  assert.deepEqual(steps[2]!.mapped.origins['cap_add.NET_RAW'], { line: 16, variable: 'CAP_NET_RAW' });
  // Origins point at the variable and its line.
  assert.deepEqual(steps[2]!.mapped.origins.memory, { line: 10, variable: 'MEMORY' });
  assert.deepEqual(steps[2]!.mapped.origins.image, { line: 2, variable: 'ENVIRONMENT' });
  assert.deepEqual(steps[2]!.mapped.origins.timeout, { line: 10, variable: 'TIMEOUT' }); // line 10 of modules/docker.conf
  assert.equal(steps[2]!.vars.get('TIMEOUT'), steps[1]!.vars.get('TIMEOUT'));
  // The only issues of the whole chain: the withheld capabilities, said once by the module, and SWAP below MEMORY.
  const issues = allIssues(steps);
  assert.deepEqual(
    issues.map((i) => [i.file, i.line, i.option, i.severity]),
    [
      ['modules/docker.conf', 30, 'CAP_SETFCAP', 'warning'],
      ['environments/brolive.conf', 11, 'SWAP', 'warning'],
    ],
  );
  assert.match(issues[0]!.message, /CAP_SETFCAP, CAP_SETUID, CAP_SETGID="yes" .*ISLET keeps them dropped/);
});

test('the global file maps onto global settings and defaults', () => {
  const [g] = chain([['islet.conf', 'global']]);
  assert.deepEqual(g!.mapped.issues, []);
  assert.deepEqual(
    { ...g!.mapped.global, banner: undefined },
    { banner: undefined, failure_count: 3, min_password_length: 4, days: 3, debug: false, reconcile_interval: 60 },
    'INTERVAL=60 sets the reconciler period',
  );
  assert.match(g!.mapped.global.banner!, /Environment for Training"/);
  assert.deepEqual(g!.mapped.environment, { timeout: '8h', days: 3 });
  assert.deepEqual(g!.mapped.origins.failure_count, { line: 34, variable: 'FAILURE_COUNT' });
  assert.equal(g!.mapped.plugin, undefined);
});

test('global kind: DEBUG=yes, bad numbers are critical, "Yes" is not yes', () => {
  const m = map('DEBUG=yes\nFAILURE_COUNT=three\nMIN_PASSWD_LEN=8\nDAYS=1.5', 'global', 'islet.conf');
  assert.deepEqual(m.global, { debug: true, min_password_length: 8, days: 1.5 });
  assert.deepEqual(
    m.issues.map((i) => [i.option, i.line, i.severity, i.code]),
    [['FAILURE_COUNT', 2, 'critical', 'CONFIG_INVALID']],
  );
  const n = map('DEBUG=Yes', 'global', 'islet.conf');
  assert.equal(n.global.debug, false);
  assert.equal(n.issues[0]!.severity, 'warning');
});

test('enabled: only the environment file\'s own ENABLE/VISIBLE count, exactly "yes"', () => {
  assert.equal(map('ENABLE="yes"').environment.enabled, true);
  assert.equal(map('VISIBLE=yes').environment.enabled, true);
  assert.equal(map('ENABLE=no\nVISIBLE=yes').environment.enabled, true);
  const no = map('ENABLE=no');
  assert.equal(no.environment.enabled, false);
  assert.deepEqual(no.issues, []);
  const odd = map('ENABLE=Yes');
  assert.equal(odd.environment.enabled, false);
  assert.equal(odd.issues[0]!.severity, 'warning');
  const missing = map('ENVIRONMENT=x');
  assert.equal(missing.environment.enabled, false);
  assert.match(missing.issues[0]!.message, /hidden from the menu/);
  // VISIBLE="yes" from an earlier file does not show an environment (the original unset it per file).
  const steps = chain([
    ['modules/docker.conf', 'module', 'VISIBLE=yes\nENABLE=yes'],
    ['environments/e.conf', 'environment', 'ENVIRONMENT=x'],
  ]);
  assert.equal(steps[1]!.mapped.environment.enabled, false);
  // …and in the global and module files it does not become a default.
  assert.equal(steps[0]!.mapped.environment.enabled, undefined);
});

test('BANNER: global banner in islet.conf, per file elsewhere', () => {
  const steps = fixtureChain('environments/e.conf', 'environment', 'ENABLE=yes\nENVIRONMENT=x');
  assert.equal(steps[2]!.mapped.environment.banner, undefined);
  assert.equal(steps[1]!.mapped.environment.banner, undefined);
  const own = fixtureChain('environments/e.conf', 'environment', 'ENABLE=yes\nBANNER="hi"');
  assert.equal(own[2]!.mapped.environment.banner, 'hi');
});

test('issues are raised once, in the file that sets the variable', () => {
  const steps = chain([
    ['islet.conf', 'global', 'MYSTERY=1\nNETWORK=host\nDEBUG=maybe'],
    ['modules/docker.conf', 'module', 'MEMORY=256m'],
    ['environments/e.conf', 'environment', 'ENABLE=yes\nENVIRONMENT=x'],
  ]);
  assert.deepEqual(steps[0]!.mapped.issues.map((i) => [i.option, i.severity]).sort(), [
    ['DEBUG', 'warning'],
    ['MYSTERY', 'warning'],
    ['NETWORK', 'critical'],
  ]);
  assert.deepEqual(steps[1]!.mapped.issues, []);
  assert.deepEqual(steps[2]!.mapped.issues, []);
  // Without ownVars every variable counts as the file's own.
  assert.equal(mapLegacy(steps[2]!.vars, 'environment', 'e.conf').issues.length, 3);
});

test('unknown variables warn with their line; known ones without meaning are silent', () => {
  const m = map(
    [
      'ENABLE=yes',
      'VERSION=ISLETVERS',
      'USER="USERACCOUNT"',
      'CONFIG_DIR=/etc/islet',
      'INSTALL_DIR=/opt/islet',
      'LIBISLET=x',
      'DB=x',
      'LOG=x',
      'MODULE=docker',
      'GROUP=islet',
      'INTERVAL=60',
      'INTERFACE=eth0',
      'BIND=1.2.3.4',
      'DOCKER_DIR=x',
      'METADATA=x',
      'PLATFORM=islet',
      'LOCAL_ENV=""',
      'MEMROY=256m',
      'CAP_FLY=yes',
      'export LD_LIBRARY_PATH=/usr/local/lib',
    ].join('\n'),
  );
  assert.deepEqual(
    m.issues.map((i) => [i.option, i.line, i.code, i.severity]),
    [
      ['MEMROY', 18, 'CONFIG_UNKNOWN_OPTION', 'warning'],
      ['CAP_FLY', 19, 'CONFIG_UNKNOWN_OPTION', 'warning'],
    ],
  );
  assert.equal(m.issues[0]!.file, 'environments/t.conf');
});

test('misplaced variables: login settings outside islet.conf, PLUGIN in an environment', () => {
  const m = map('ENABLE=yes\nFAILURE_COUNT=5\nPLUGIN=clear');
  assert.deepEqual(
    m.issues.map((i) => [i.option, i.severity]),
    [
      ['FAILURE_COUNT', 'warning'],
      ['PLUGIN', 'warning'],
    ],
  );
  assert.deepEqual(m.global, {});
});

test('old names from before 2016 still map, with a warning', () => {
  const m = map('ENABLE=yes\nIMAGE=old/image\nCPU=512\nRAM=128m');
  assert.deepEqual([m.environment.image, m.environment.cpu_shares, m.environment.memory], ['old/image', 512, '128m']);
  assert.equal(m.issues.length, 3);
  assert.equal(map('ENABLE=yes\nIMAGE=old\nENVIRONMENT=new').environment.image, 'new');
});

test('plugins: the four shipped files map onto the four actions', () => {
  const expect = {
    clear: ['clear', 'Clear the screen'],
    del_training: ['reset_environment', 'Delete a training environment'],
    del_user: ['delete_account', 'Delete your user account'],
    restart: ['restart', 'Restart ISLET session'],
  } as const;
  for (const [name, [action, description]] of Object.entries(expect)) {
    const steps = fixtureChain(`plugins/${name}.conf`, 'plugin');
    const m = steps[2]!.mapped;
    assert.deepEqual(m.plugin, { name, action, enabled: true, description }, name);
    assert.deepEqual(m.environment, {});
    assert.deepEqual(
      allIssues(steps).filter((i) => i.file !== 'modules/docker.conf'),
      [],
      name,
    );
    assert.deepEqual(m.origins.action, { line: 4, variable: 'PLUGIN' });
  }
});

test('plugins: unknown script, missing PLUGIN, hidden plugin, environment variables in a plugin file', () => {
  const unknown = map('ENABLE=yes\nPLUGIN="rm_rf"', 'plugin', '/etc/islet/plugins/evil.conf');
  assert.equal(unknown.plugin, undefined);
  assert.deepEqual(
    unknown.issues.map((i) => [i.option, i.line, i.severity, i.code]),
    [['PLUGIN', 2, 'critical', 'CONFIG_INVALID']],
  );
  assert.match(unknown.issues[0]!.message, /^Plugin rm_rf does not exist/);
  const missing = map('ENABLE=yes', 'plugin', 'plugins/x.conf');
  assert.equal(missing.plugin, undefined);
  assert.equal(missing.issues[0]!.severity, 'critical');
  const hidden = map('PLUGIN=clear\nMEMORY=1g', 'plugin', '/etc/islet/plugins/wipe.conf');
  assert.deepEqual(hidden.plugin, { name: 'wipe', action: 'clear', enabled: false });
  assert.deepEqual(hidden.issues.map((i) => i.option).sort(), ['ENABLE', 'MEMORY']);
});
