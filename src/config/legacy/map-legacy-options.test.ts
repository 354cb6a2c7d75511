/**
 * mapLegacy, the `docker run` side: MOUNT, LOCAL_OPTIONS/GLOBAL_OPTIONS/OPTIONS flags, NETWORK, ENVS and the
 * environment's env, VIRTUAL_PORT, and the plain one-value variables (CPUSHARES, DAYS, REMOVE, TIMEOUT, COMMAND, DNS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureChain } from './fixtures/chain.ts';
import { mapInline as map } from './fixtures/map-inline.ts';

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
    'ENABLE=yes\nHOSTNAME=a\nMEMORY=1g\nWORKDIR=/w\nGLOBAL_OPTIONS="--pids-limit 100 -m 2g"\n' +
      'LOCAL_OPTIONS="--hostname b --read-only -w /other -u nobody --net bridge --dns 1.1.1.1"\nDNS=9.9.9.9',
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
    'ENABLE=yes\nENVIRONMENT=img\nexport PLATFORM=islet\nexport EMPTY=""\nLOCAL=x\n' +
      'ENVS="ENVIRONMENT PLATFORM EMPTY LOCAL MISSING USERNAME 9bad"\nLOCAL_OPTIONS="-e FROM_FLAG=1 -e PLATFORM"',
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
