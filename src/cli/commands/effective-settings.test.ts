import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentSchema, type EnvironmentInput } from '../../config/schema.ts';
import { effectiveCapabilities, effectiveSettings, formatSource } from './effective-settings.ts';

const env = (input: Partial<EnvironmentInput> = {}) => ({
  ...environmentSchema.parse({ image: 'islet/demo:latest', ...input }),
  name: 'lab',
  source: 'lab.yaml',
});

test("effectiveCapabilities follows the engine: drop ALL gives the adds, add ALL gives all but the drops, else Docker's defaults", () => {
  assert.deepEqual(effectiveCapabilities([], ['ALL']), []);
  assert.deepEqual(effectiveCapabilities(['NET_RAW', 'CHOWN'], ['ALL']), ['CHOWN', 'NET_RAW']);
  assert.equal(effectiveCapabilities(['ALL'], ['ALL']), 'ALL');
  assert.deepEqual(effectiveCapabilities(['ALL'], ['ALL', 'MKNOD']), ['ALL', '-MKNOD']);
  const weak = effectiveCapabilities([], ['NET_RAW']);
  assert.ok(Array.isArray(weak) && weak.includes('CHOWN') && weak.includes('SETUID') && !weak.includes('NET_RAW'));
});

test('effectiveSettings reads the create options: defaults, invariants and sources', () => {
  const s = effectiveSettings(env({ cap_add: ['NET_RAW'], ulimits: { nofile: '256:512' } }), (k) =>
    k === 'cap_add' || k === 'cap_add.NET_RAW' ? { file: 'lab.yaml', line: 2, option: 'cap_add' } : undefined,
  );
  const get = (n: string) => s.find((x) => x.setting === n);
  assert.deepEqual(get('capabilities')?.value, 'NET_RAW');
  assert.deepEqual(get('capability NET_RAW'), { setting: 'capability NET_RAW', value: 'added', source: 'lab.yaml:2 (cap_add)' });
  assert.deepEqual(get('cap_drop'), { setting: 'cap_drop', value: 'ALL', source: 'default' });
  assert.equal(get('no_new_privileges')?.value, 'yes');
  assert.equal(get('privileged')?.source, 'always');
  assert.equal(get('ulimit nofile')?.value, '256:512');
  assert.equal(get('ulimit fsize'), undefined, 'environmentSchema alone does not layer; the loader adds the default limits');
  assert.equal(formatSource({ file: 'a.conf' }), 'a.conf');
});
