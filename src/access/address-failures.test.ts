import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../store/memory-store.ts';
import { AddressFailures } from './address-failures.ts';
import { FREE_FAILURES, failureDelayMs } from './failure-delay.ts';

const limits = { lockoutAfter: 300, windowSeconds: 300, maxDelaySeconds: 10 };

test('the failure delay is nothing for the first few, then doubles from 0.5 s up to the cap', () => {
  assert.deepEqual(
    [1, FREE_FAILURES, FREE_FAILURES + 1, FREE_FAILURES + 2, FREE_FAILURES + 3, FREE_FAILURES + 6, 1000].map((n) => failureDelayMs(n, 10_000)),
    [0, 0, 500, 1000, 2000, 10_000, 10_000],
  );
  assert.equal(failureDelayMs(50, 0), 0, '0 turns the delay off');
});

test('failures from one address grow its delay; the delay falls back once the minute has passed', async () => {
  let now = 0;
  const a = new AddressFailures(
    new MemoryStore(),
    () => limits,
    () => now,
  );
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    now += 100;
    delays.push((await a.failed('10.0.0.1')).delayMs);
  }
  assert.deepEqual(delays, [0, 0, 0, 0, 0, 500, 1000, 2000, 4000, 8000]);
  assert.equal((await a.failed('10.0.0.2')).delayMs, 0, 'another address is not slowed');
  now += 60_001;
  assert.equal((await a.failed('10.0.0.1')).delayMs, 0, 'a minute later the address is answered at once again');
  assert.equal(a.lockedOut('10.0.0.1'), false, 'sixty failures are far from a lock-out');
});

test('a hard lock-out only at the room-sized rate, for the window, then the address is clean', async () => {
  let now = 0;
  const a = new AddressFailures(
    new MemoryStore(),
    () => limits,
    () => now,
  );
  for (let i = 1; i < 300; i++) {
    now += 10;
    assert.equal((await a.failed('10.0.0.9')).locked, false, `failure ${i}`);
  }
  assert.equal(a.lockedOut('10.0.0.9'), false);
  assert.equal((await a.failed('10.0.0.9')).locked, true, 'the 300th failure in 5 minutes locks the address');
  assert.equal(a.lockedOut('10.0.0.9'), true);
  assert.equal(a.lockedOut('10.0.0.8'), false);
  now += 300_001;
  assert.equal(a.lockedOut('10.0.0.9'), false, 'over after ssh_lockout');
  assert.equal((await a.failed('10.0.0.9')).delayMs, 0, 'and its count starts again');
});

test('failures spread wider than the window never lock', async () => {
  let now = 0;
  const a = new AddressFailures(
    new MemoryStore(),
    () => ({ ...limits, lockoutAfter: 10 }),
    () => now,
  );
  for (let i = 0; i < 100; i++) {
    now += 34_000;
    assert.equal((await a.failed('10.0.0.3')).locked, false);
  }
});
