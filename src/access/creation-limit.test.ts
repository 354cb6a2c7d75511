import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { CreationLimit } from './creation-limit.ts';

test('account creations per address: the limit within the window, per address, then free again', async () => {
  let now = 0;
  const c = new CreationLimit(
    new MemoryStore(),
    () => ({ perAddress: 3, windowSeconds: 600 }),
    () => now,
  );
  for (let i = 0; i < 3; i++) {
    now += 1000;
    assert.equal(await c.allowed('10.0.0.1'), true);
    assert.equal(await c.take('10.0.0.1'), true);
  }
  assert.equal(await c.allowed('10.0.0.1'), false);
  assert.equal(await c.take('10.0.0.1'), false, 'the 4th is refused');
  assert.equal(await c.take('10.0.0.2'), true, 'another address is not affected');
  now += 600_000 - 2000;
  assert.equal(await c.take('10.0.0.1'), true, 'the first one left the window');
  assert.equal(await c.take('10.0.0.1'), false);
});
