import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultUlimits, layerEnvironment } from './environment-layers.ts';

const at = (file: string) => (p: readonly string[]) => ({ file, option: p.join('.') });

test('defaultUlimits is the schema default in input form', () => {
  assert.deepEqual(defaultUlimits(), { nofile: '1024:2048', fsize: '1073741824:1073741824' });
});

test('layers: later wins per option, ulimits per limit over the defaults, sources recorded', () => {
  const l = layerEnvironment([
    { data: { memory: '1g', ulimits: { nproc: 10 }, cap_add: ['NET_RAW'] }, where: at('defaults') },
    { data: { memory: '2g', ulimits: { nofile: '1:2' }, cap_add: ['chown'] }, where: at('env') },
  ]);
  assert.deepEqual(l.input, { memory: '2g', cap_add: ['chown'], ulimits: { nofile: '1:2', fsize: '1073741824:1073741824', nproc: 10 } });
  assert.equal(l.sourceOf('memory')?.file, 'env');
  assert.equal(l.sourceOf('ulimits.nproc')?.file, 'defaults');
  assert.equal(l.sourceOf('ulimits.fsize'), undefined);
  assert.equal(l.sourceOf('cap_add.NET_RAW'), undefined, 'a replaced list forgets the old entries');
  assert.equal(l.sourceOf('cap_add.CHOWN')?.file, 'env');
});

test('a ulimits value that is not a mapping reaches the schema as written (so it is reported)', () => {
  assert.equal(layerEnvironment([{ data: { ulimits: 'lots' }, where: at('env') }]).input.ulimits, 'lots');
});
