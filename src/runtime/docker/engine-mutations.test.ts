import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultEngineMutations } from './engine-mutations.ts';

test('the default cap is 8 whatever the machine (engine-mutations.ts says why)', () => {
  assert.equal(defaultEngineMutations(), 8);
});
