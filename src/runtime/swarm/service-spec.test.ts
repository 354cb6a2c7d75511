import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSchema } from '../../config/schema.ts';
import type { Environment } from '../../config/schema.ts';
import { IsletError } from '../../core/islet-error.ts';
import { LABEL_SWARM_NAME, LABEL_SWARM_NNP, serviceName, serviceSpec } from './service-spec.ts';

const env = (over: Record<string, unknown> = {}): Environment =>
  ({
    ...environmentSchema.parse({ image: 'islet/demo:latest', user: 'student', memory: '128m', pids_limit: 64, ...over }),
    name: 'demo',
    source: 'test',
  }) as Environment;

test('a service of one task at most, restart none, the limits, capabilities, labels and no network', () => {
  const s = serviceSpec({ name: 'i1.demo.alice', env: env({ ulimits: { nofile: '1024:2048' }, cap_add: ['CHOWN'] }), labels: { 'islet.account': 'alice' } });
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body read field by field
  const t = s.TaskTemplate as Record<string, any>;
  assert.deepEqual(s.Mode, { Replicated: { Replicas: 0 } });
  assert.equal(t.RestartPolicy.Condition, 'none');
  assert.equal(t.Resources.Limits.MemoryBytes, 128 << 20);
  assert.equal(t.Resources.Limits.Pids, 64);
  assert.deepEqual(t.ContainerSpec.CapabilityDrop, ['ALL']);
  assert.deepEqual(t.ContainerSpec.CapabilityAdd, ['CHOWN']);
  assert.deepEqual(
    t.ContainerSpec.Ulimits.find((u: { Name: string }) => u.Name === 'nofile'),
    { Name: 'nofile', Soft: 1024, Hard: 2048 },
  );
  assert.deepEqual(t.Networks, []);
  assert.equal(t.ContainerSpec.User, 'student');
  assert.equal(t.ContainerSpec.Dir, '/home/student');
  assert.equal(t.ContainerSpec.TTY, true);
  assert.equal(s.Labels['islet.account'], 'alice');
  assert.equal(s.Labels['islet.managed'], 'true');
  assert.equal(s.Labels[LABEL_SWARM_NAME], 'i1.demo.alice');
  assert.equal(s.Labels[LABEL_SWARM_NNP], 'true');
});

test('environments needing a network are refused, not silently isolated', () => {
  const lab = { ...env(), lab_network: { replay: 'x/y' } } as unknown as Environment;
  for (const e of [env({ network: 'bridge' }), lab]) {
    assert.throws(
      () => serviceSpec({ name: 'x', env: e, labels: {} }),
      (e: unknown) => e instanceof IsletError && e.code === 'RUNTIME_UNSUPPORTED',
    );
  }
  // Control: the same environment without a network is accepted.
  assert.ok(serviceSpec({ name: 'x', env: env(), labels: {} }));
});

test('service names are DNS labels, unique per instance name, at most 63 characters', () => {
  const a = serviceName('t123.demo.alice');
  assert.match(a, /^[A-Za-z0-9](?:[-_]*[A-Za-z0-9]+)*$/);
  assert.notEqual(serviceName('t123.demo.alice'), serviceName('t123-demo-alice'));
  assert.equal(serviceName('t123.demo.alice'), a);
  assert.ok(serviceName(`${'x'.repeat(40)}.${'y'.repeat(62)}.z`).length <= 63);
});
