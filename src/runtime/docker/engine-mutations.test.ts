import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { defaultEngineMutations } from './engine-mutations.ts';

test('the default cap follows the CPUs, from 2 to 8', () => {
  assert.equal(defaultEngineMutations(1), 2);
  assert.equal(defaultEngineMutations(2), 2);
  assert.equal(defaultEngineMutations(4), 4);
  assert.equal(defaultEngineMutations(8), 8);
  assert.equal(defaultEngineMutations(64), 8);
  assert.equal(defaultEngineMutations(), Math.min(8, Math.max(2, availableParallelism())));
});
