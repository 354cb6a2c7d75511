import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigIssue } from '../config-issue.ts';
import { mapLegacy, type LegacyKind } from './map-legacy.ts';
import { formatSize } from './values.ts';
import { parseLegacyConf } from './parse-legacy-conf.ts';
import { allIssues, chain, fixtureChain } from './fixtures/chain.ts';

/** Maps one inline file on its own (every variable is its own). */
const map = (text: string, kind: LegacyKind = 'environment', file = 'environments/t.conf') => {
  const p = parseLegacyConf(text, file, new Map());
  assert.deepEqual(
    p.issues.filter((i) => i.severity === 'critical'),
    [],
    'fixture text must parse',
  );
  return mapLegacy(p.vars, kind, file);
};
const byOption = (issues: readonly ConfigIssue[], option: string) => issues.filter((i) => i.option === option);

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
        '\n==================================\n Welcome to the Bro environment\n     ____\n    /    \\\n   | (o)  |   "bro"\n    \\____/\n==================================\n',
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

test('SWAP: total ≥ memory → the difference; below memory → taken as extra swap with a warning; -1 → unset', () => {
  const ge = map('ENABLE=yes\nMEMORY=256m\nSWAP=512m');
  assert.equal(ge.environment.swap, '256m');
  assert.deepEqual(ge.issues, []);
  const eq = map('ENABLE=yes\nMEMORY=1g\nSWAP=1024m');
  assert.equal(eq.environment.swap, '0');
  const lt = map('ENABLE=yes\nMEMORY=256m\nSWAP=10m');
  assert.equal(lt.environment.swap, '10m');
  assert.equal(lt.issues.length, 1);
  assert.deepEqual([lt.issues[0]!.option, lt.issues[0]!.line, lt.issues[0]!.severity], ['SWAP', 3, 'warning']);
  assert.match(lt.issues[0]!.message, /memory\+swap total.*266m/);
  const unl = map('ENABLE=yes\nMEMORY=256m\nSWAP="-1"');
  assert.equal(unl.environment.swap, undefined);
  assert.equal(unl.issues[0]!.severity, 'warning');
  const bad = map('ENABLE=yes\nMEMORY=256m\nSWAP=lots');
  assert.equal(bad.environment.swap, undefined);
  assert.equal(bad.issues[0]!.severity, 'critical');
  const nomem = map('ENABLE=yes\nSWAP=64m');
  assert.equal(nomem.environment.swap, '64m');
  assert.equal(nomem.issues[0]!.severity, 'warning');
  // --memory-swap among the options follows SWAP (it comes later on the original command line).
  const opt = map('ENABLE=yes\nMEMORY=256m\nSWAP=10m\nLOCAL_OPTIONS="--memory-swap=1g"');
  assert.equal(opt.environment.swap, '768m');
  assert.deepEqual(opt.origins.swap, { line: 4, variable: 'LOCAL_OPTIONS' });
});

test("SWAP inherited from the module is converted against the environment's own MEMORY", () => {
  const steps = chain([
    ['modules/docker.conf', 'module', 'MEMORY=256m\nSWAP=512m'],
    ['environments/x.conf', 'environment', 'ENABLE=yes\nMEMORY=128m'],
  ]);
  assert.equal(steps[0]!.mapped.environment.swap, '256m');
  assert.equal(steps[1]!.mapped.environment.swap, '384m');
});

test('formatSize picks the largest exact unit', () => {
  assert.deepEqual(
    [formatSize(0), formatSize(1024), formatSize(266 * 1024 ** 2), formatSize(2 * 1024 ** 3), formatSize(1500)],
    ['0', '1k', '266m', '2g', '1500'],
  );
});

test('capabilities: yes adds, no changes nothing (already dropped), DROP_ALL says ALL, ADD_ALL adds all but the named drops', () => {
  const a = map('ENABLE=yes\nCAP_NET_RAW="yes"\nCAP_CHOWN="no"\nCAP_KILL=no\nCAP_SYS_TIME=""');
  assert.deepEqual(a.environment.cap_add, ['NET_RAW']);
  assert.equal(a.environment.cap_drop, undefined, "cap_drop stays ISLET's default (ALL)");
  assert.deepEqual(a.issues, []);
  const d = map('ENABLE=yes\nDROP_ALL="yes"\nCAP_NET_RAW="yes"\nCAP_CHOWN="no"');
  assert.deepEqual(d.environment.cap_drop, ['ALL']);
  assert.deepEqual(d.environment.cap_add, ['NET_RAW']);
  assert.deepEqual(d.origins.cap_drop, { line: 2, variable: 'DROP_ALL' });
  const all = map('ENABLE=yes\nADD_ALL=yes\nCAP_MKNOD=no');
  assert.deepEqual(all.environment.cap_add, ['ALL']);
  assert.deepEqual(all.environment.cap_drop, ['ALL', 'MKNOD']);
  assert.equal(byOption(all.issues, 'ADD_ALL')[0]!.severity, 'warning');
  // DROP_ALL="no" does not bring back Docker's default set (the original's did): nothing is added.
  const none = map('ENABLE=yes\nDROP_ALL=no');
  assert.deepEqual([none.environment.cap_add, none.environment.cap_drop], [[], undefined]);
  // A value that is neither yes nor no: neither added nor dropped, with a warning.
  const odd = map('ENABLE=yes\nCAP_NET_RAW=true');
  assert.deepEqual([odd.environment.cap_add, odd.environment.cap_drop], [[], undefined]);
  assert.deepEqual(
    odd.issues.map((i) => [i.option, i.line, i.severity]),
    [['CAP_NET_RAW', 2, 'warning']],
  );
});

test('capabilities from the module chain, DROP_ALL in the environment', () => {
  const steps = fixtureChain('environments/x.conf', 'environment', 'ENABLE=yes\nENVIRONMENT=ubuntu\nDROP_ALL="yes"\nCAP_NET_ADMIN=yes');
  const env = steps[2]!.mapped.environment;
  assert.deepEqual(env.cap_drop, ['ALL']);
  assert.deepEqual(env.cap_add, ['NET_ADMIN']);
});

test('SETFCAP/SETUID/SETGID: withheld when inherited from the module, added when the environment names them', () => {
  const own = fixtureChain('environments/x.conf', 'environment', 'ENABLE=yes\nENVIRONMENT=ubuntu\nCAP_SETUID="yes"');
  assert.deepEqual(own[2]!.mapped.environment.cap_add, ['SETUID']);
  assert.deepEqual(own[2]!.mapped.issues, [], 'the environment is not told again');
  // Without a module, an environment's own "yes" is an ordinary add.
  assert.deepEqual(map('ENABLE=yes\nCAP_SETGID=yes').environment.cap_add, ['SETGID']);
  // A module that says "yes" to one of them and "yes" to another capability: only the other is a default.
  const mod = map('CAP_SETUID=yes\nCAP_NET_RAW=yes', 'module', 'modules/docker.conf');
  assert.deepEqual(mod.environment.cap_add, ['NET_RAW']);
  assert.deepEqual(
    mod.issues.map((i) => [i.option, i.line, i.severity]),
    [['CAP_SETUID', 1, 'warning']],
  );
});

test('capability flags without CAP_* variables leave cap_drop to the schema default', () => {
  const m = map('ENABLE=yes\nLOCAL_OPTIONS="--cap-add=NET_RAW --cap-add=NET_ADMIN"');
  assert.deepEqual(m.environment.cap_add, ['NET_RAW', 'NET_ADMIN']);
  assert.equal(m.environment.cap_drop, undefined);
  assert.equal(map('ENABLE=yes').environment.cap_add, undefined);
});

test('ulimits: "" and "no" are unset; values kept as written; flags and variables combine', () => {
  const m = map(
    'ENABLE=yes\nULIMIT_CORE=""\nULIMIT_NPROC="no"\nULIMIT_NOFILE="1024:2048"\nULIMIT_STACK=8192\nGLOBAL_OPTIONS="--ulimit nproc=10 --ulimit fsize=1000"\nULIMIT_FSIZE=2000',
  );
  assert.deepEqual(m.environment.ulimits, { nproc: '10', fsize: '2000', nofile: '1024:2048', stack: '8192' });
  assert.deepEqual(m.issues, []);
  assert.equal(map('ENABLE=yes\nULIMIT_CORE=""').environment.ulimits, undefined);
  const unknown = map('ENABLE=yes\nULIMIT_BOGUS=1');
  assert.deepEqual(
    unknown.issues.map((i) => [i.option, i.code]),
    [['ULIMIT_BOGUS', 'CONFIG_UNKNOWN_OPTION']],
  );
});

test('MOUNT lists: several -v, --volume, --mount; missing :ro warns; other flags and named volumes refused', () => {
  const m = map('ENABLE=yes\nMOUNT="-v /exercises:/exercises:ro -v /data/:/data/:ro --volume /pcaps:/pcaps --mount type=bind,source=/x,target=/y,readonly"');
  assert.deepEqual(m.environment.mounts, [
    { source: '/exercises', target: '/exercises' },
    { source: '/data/', target: '/data/' },
    { source: '/pcaps', target: '/pcaps' },
    { source: '/x', target: '/y' },
  ]);
  assert.deepEqual(
    m.issues.map((i) => [i.option, i.line, i.severity]),
    [['MOUNT', 2, 'warning']],
  );
  assert.match(m.issues[0]!.message, /\/pcaps.*read-only anyway/);
  assert.equal(map('ENABLE=yes\nMOUNT=""').environment.mounts, undefined);
  const bad = map('ENABLE=yes\nMOUNT="-v myvolume:/data --privileged"');
  assert.deepEqual(
    bad.issues.map((i) => [i.option, i.severity]),
    [
      ['MOUNT', 'critical'],
      ['MOUNT', 'critical'],
    ],
  );
  assert.equal(bad.environment.mounts, undefined);
});

test('LOCAL_OPTIONS/GLOBAL_OPTIONS/OPTIONS: allowed flags map onto fields; others refused with file, line and variable', () => {
  const m = map(
    'ENABLE=yes\nHOSTNAME=a\nMEMORY=1g\nWORKDIR=/w\nGLOBAL_OPTIONS="--pids-limit 100 -m 2g"\nLOCAL_OPTIONS="--hostname b --read-only -w /other -u nobody --net bridge --dns 1.1.1.1"\nDNS=9.9.9.9',
  );
  const e = m.environment;
  assert.equal(e.pids_limit, 100);
  assert.equal(e.memory, '2g'); // options come after --memory on the original command line
  assert.equal(e.hostname, 'b');
  assert.equal(e.read_only_root, true);
  assert.equal(e.workdir, '/w'); // WORKDIR's --workdir came after the options
  assert.equal(e.user, 'nobody');
  assert.equal(e.network, 'bridge');
  assert.deepEqual(e.dns, ['9.9.9.9', '1.1.1.1']);
  assert.deepEqual(m.origins.pids_limit, { line: 5, variable: 'GLOBAL_OPTIONS' });
  assert.deepEqual(m.origins.hostname, { line: 6, variable: 'LOCAL_OPTIONS' });
  assert.deepEqual(m.issues, []);

  const old = map('ENABLE=yes\nOPTIONS="--cap-add=NET_RAW"');
  assert.deepEqual(old.environment.cap_add, ['NET_RAW']);
  assert.deepEqual(
    old.issues.map((i) => [i.option, i.code, i.severity]),
    [['OPTIONS', 'CONFIG_UNKNOWN_OPTION', 'warning']],
  );

  const steps = fixtureChain('bad/options.conf');
  const issues = steps[2]!.mapped.issues;
  assert.deepEqual(
    issues.filter((i) => i.severity === 'critical').map((i) => [i.file, i.line, i.option, i.code]),
    [
      ['bad/options.conf', 4, 'GLOBAL_OPTIONS', 'CONFIG_FORBIDDEN'],
      ['bad/options.conf', 4, 'GLOBAL_OPTIONS', 'CONFIG_FORBIDDEN'],
      ['bad/options.conf', 4, 'GLOBAL_OPTIONS', 'CONFIG_FORBIDDEN'],
      ['bad/options.conf', 4, 'GLOBAL_OPTIONS', 'CONFIG_FORBIDDEN'],
      ['bad/options.conf', 4, 'GLOBAL_OPTIONS', 'CONFIG_FORBIDDEN'],
      ['bad/options.conf', 3, 'LOCAL_OPTIONS', 'CONFIG_FORBIDDEN'],
    ],
  );
  assert.ok(issues.some((i) => i.message.includes('--privileged')));
  assert.ok(issues.some((i) => i.message.includes('--pid')));
  assert.ok(issues.some((i) => i.message.includes('--device')));
  // The allowed flag of the same line still maps.
  assert.ok(steps[2]!.mapped.environment.cap_add!.includes('NET_ADMIN'));
});

test('NETWORK: none and bridge map; host and others are critical', () => {
  assert.equal(map('ENABLE=yes\nNETWORK=bridge').environment.network, 'bridge');
  const host = map('ENABLE=yes\nNETWORK="host"');
  assert.equal(host.environment.network, undefined);
  assert.deepEqual(
    host.issues.map((i) => [i.option, i.line, i.severity, i.code]),
    [['NETWORK', 2, 'critical', 'CONFIG_INVALID']],
  );
  assert.equal(map('ENABLE=yes\nNETWORK=macvlan').issues[0]!.severity, 'critical');
});

test('ENVS: exported values pass, session variables become placeholders, others warn and are left out', () => {
  const m = map(
    'ENABLE=yes\nENVIRONMENT=img\nexport PLATFORM=islet\nexport EMPTY=""\nLOCAL=x\nENVS="ENVIRONMENT PLATFORM EMPTY LOCAL MISSING USERNAME 9bad"\nLOCAL_OPTIONS="-e FROM_FLAG=1 -e PLATFORM"',
  );
  assert.deepEqual(m.environment.env, { FROM_FLAG: '1', PLATFORM: 'islet', EMPTY: '', USERNAME: '${USERNAME}' });
  assert.deepEqual(
    m.issues.map((i) => [i.option, i.line]),
    [
      ['ENVS', 6],
      ['ENVS', 6],
      ['ENVS', 6],
      ['ENVS', 6],
    ],
  );
  assert.match(
    m.issues.map((i) => i.message).join('\n'),
    /ENVIRONMENT, which is not exported[\s\S]*LOCAL, which is not exported[\s\S]*MISSING, which is not defined[\s\S]*9bad/,
  );
});

test('env values named __proto__ stay plain data', () => {
  const m = map('ENABLE=yes\nexport __proto__=x\nENVS="__proto__"');
  assert.deepEqual(Object.keys(m.environment.env!), ['__proto__']);
  assert.equal(Object.getPrototypeOf(m.environment.env), Object.prototype);
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

test('VIRTUAL_PORT becomes an allowed ssh -L port; a bad value is critical', () => {
  const m = map('ENABLE=yes\nENVIRONMENT=x\nVIRTUAL_PORT=8080');
  assert.deepEqual(m.origins.forward_ports, { line: 3, variable: 'VIRTUAL_PORT' });
  assert.deepEqual(m.environment.forward_ports, [8080]);
  assert.deepEqual(m.issues, []);
  const bad = map('ENABLE=yes\nENVIRONMENT=x\nVIRTUAL_PORT=http');
  assert.deepEqual(
    bad.issues.map((i) => [i.option, i.severity]),
    [['VIRTUAL_PORT', 'critical']],
  );
  assert.equal(m.environment.remove_on_exit, undefined);
});

test('plain values: CPUSHARES, DAYS, REMOVE, TIMEOUT, COMMAND, DNS', () => {
  const m = map('ENABLE=yes\nCPUSHARES=512\nDAYS=7\nREMOVE=yes\nTIMEOUT=4h\nCOMMAND="su demo"\nDNS="1.1.1.1  8.8.8.8"\nDESCRIPTION=""');
  const e = m.environment;
  assert.deepEqual(
    [e.cpu_shares, e.days, e.remove_on_exit, e.timeout, e.command, e.dns, e.description],
    [512, 7, true, '4h', 'su demo', ['1.1.1.1', '8.8.8.8'], ''],
  );
  const bad = map('ENABLE=yes\nCPUSHARES=many\nREMOVE=sure');
  assert.equal(bad.environment.cpu_shares, undefined);
  assert.equal(bad.environment.remove_on_exit, false);
  assert.deepEqual(
    bad.issues.map((i) => [i.option, i.severity]),
    [
      ['CPUSHARES', 'critical'],
      ['REMOVE', 'warning'],
    ],
  );
  // REMOVE="no" does not cancel a --rm among the options.
  assert.equal(map('ENABLE=yes\nREMOVE=no\nLOCAL_OPTIONS=--rm').environment.remove_on_exit, true);
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
