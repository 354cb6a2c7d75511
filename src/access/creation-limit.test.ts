import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreationLimit } from './creation-limit.ts';

test('account creations per address: the limit within the window, per address, then free again', () => {
  let now = 0;
  const c = new CreationLimit(
    () => ({ perAddress: 3, windowSeconds: 600 }),
    () => now,
  );
  for (let i = 0; i < 3; i++) {
    now += 1000;
    assert.equal(c.allowed('10.0.0.1'), true);
    assert.equal(c.take('10.0.0.1'), true);
  }
  assert.equal(c.allowed('10.0.0.1'), false);
  assert.equal(c.take('10.0.0.1'), false, 'the 4th is refused');
  assert.equal(c.take('10.0.0.2'), true, 'another address is not affected');
  now += 600_000 - 2000;
  assert.equal(c.take('10.0.0.1'), true, 'the first one left the window');
  assert.equal(c.take('10.0.0.1'), false);
});
