/**
 * mapLegacy, limits and privileges: MEMORY/SWAP (and formatSize, which writes the converted swap), the CAP_*,
 * DROP_ALL and ADD_ALL capabilities, and the ULIMIT_* variables.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigIssue } from '../config-issue.ts';
import { formatSize } from './values.ts';
import { chain, fixtureChain } from './fixtures/chain.ts';
import { mapInline as map } from './fixtures/map-inline.ts';

const byOption = (issues: readonly ConfigIssue[], option: string) => issues.filter((i) => i.option === option);

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
    'ENABLE=yes\nULIMIT_CORE=""\nULIMIT_NPROC="no"\nULIMIT_NOFILE="1024:2048"\nULIMIT_STACK=8192\n' +
      'GLOBAL_OPTIONS="--ulimit nproc=10 --ulimit fsize=1000"\nULIMIT_FSIZE=2000',
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
