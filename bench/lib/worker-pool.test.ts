import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded } from './worker-pool.ts';

test('seeded: the same seed draws the same delays in every pool, another seed others, all in [0, 1)', () => {
  const draw = (seed: number) => Array.from({ length: 1000 }, seeded(seed));
  const a = draw(100_004);
  assert.deepEqual(draw(100_004), a);
  assert.notDeepEqual(draw(100_005), a);
  assert.ok(a.every((x) => x >= 0 && x < 1));
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(mean > 0.45 && mean < 0.55, `roughly uniform (mean ${mean})`);
});
