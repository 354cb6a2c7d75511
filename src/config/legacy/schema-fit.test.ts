/**
 * The mapped shapes really fit the schema: whole fixture chains, merged the
 * way the loader merges them, validate against environmentSchema,
 * environmentDefaultsSchema, globalSchema and pluginSchema.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentDefaultsSchema, environmentSchema, globalSchema, pluginSchema } from '../schema.ts';
import { allIssues, fixtureChain } from './fixtures/chain.ts';

const environments = ['brolive', 'sagan', 'silklive', 'argus'];

for (const name of environments) {
  test(`environments/${name}.conf: global + module + environment validates with environmentSchema`, () => {
    const steps = fixtureChain(`environments/${name}.conf`);
    assert.deepEqual(
      allIssues(steps).filter((i) => i.severity === 'critical'),
      [],
    );
    const [g, m, e] = steps.map((s) => s.mapped) as [(typeof steps)[0]['mapped'], (typeof steps)[0]['mapped'], (typeof steps)[0]['mapped']];
    const defaults = environmentDefaultsSchema.safeParse(m.environment);
    assert.ok(defaults.success, JSON.stringify(defaults.error?.issues));
    const merged = { ...m.environment, ...e.environment };
    const r = environmentSchema.safeParse(merged);
    assert.ok(r.success, JSON.stringify(r.error?.issues));
    assert.equal(r.data.enabled, true);
    assert.equal(r.data.network === 'none' || r.data.network === 'bridge', true);
    // The defaults of islet.conf + docker.conf also fit `defaults` inside the global schema.
    const gl = globalSchema.safeParse({ ...g.global, defaults: m.environment });
    assert.ok(gl.success, JSON.stringify(gl.error?.issues));
  });
}

test('argus: converted values as the runtime will see them', () => {
  const steps = fixtureChain('environments/argus.conf');
  const v = environmentSchema.parse({ ...steps[1]!.mapped.environment, ...steps[2]!.mapped.environment });
  assert.equal(v.memory, 256 * 1024 ** 2);
  assert.equal(v.swap, 256 * 1024 ** 2); // SWAP=512m total on MEMORY=256m
  assert.equal(v.timeout, 8 * 3600);
  assert.deepEqual(v.ulimits, { nproc: { soft: 64, hard: 128 }, nofile: { soft: 1024, hard: 2048 } });
  assert.equal(v.pids_limit, 128);
  assert.equal(v.no_new_privileges, true);
  assert.equal(v.read_only_root, true);
  assert.deepEqual(v.env, { TRAINING: 'argus', ENVIRONMENT: 'jonschipp/islet-argus', PLATFORM: 'islet', USERNAME: '${USERNAME}' });
  assert.equal(v.motd, 'Connect to http://${SERVER}:${PPID} from ${CLIENT}');
  assert.ok(v.cap_add.includes('NET_ADMIN') && v.cap_add.includes('NET_RAW'));
});

test('sagan and silklive: multi-line MOTD, TIMEOUT override, VISIBLE=yes, exported LD_LIBRARY_PATH', () => {
  const sagan = environmentSchema.parse({ ...fixtureChain('environments/sagan.conf')[2]!.mapped.environment });
  assert.equal(sagan.motd, 'Start the engine with:\n  $ sudo sagan -D');
  assert.equal(sagan.timeout, 6 * 3600);
  assert.equal(sagan.swap, 10 * 1024 ** 2);
  const silk = environmentSchema.parse({ ...fixtureChain('environments/silklive.conf')[2]!.mapped.environment });
  assert.equal(silk.enabled, true);
  assert.deepEqual(silk.env, { LD_LIBRARY_PATH: '/usr/local/lib' });
  assert.deepEqual(silk.mounts, [{ source: '/data/', target: '/data/' }]);
});

test('plugins validate with pluginSchema', () => {
  for (const name of ['clear', 'del_training', 'del_user', 'restart']) {
    const p = fixtureChain(`plugins/${name}.conf`, 'plugin')[2]!.mapped.plugin;
    const r = pluginSchema.safeParse(p);
    assert.ok(r.success, `${name}: ${JSON.stringify(r.error?.issues)}`);
  }
});

test('origins name every option the environment sets (so validation errors get file:line)', () => {
  const e = fixtureChain('environments/argus.conf')[2]!.mapped;
  for (const key of Object.keys(e.environment)) assert.ok(e.origins[key], `no origin for ${key}`);
});
