// The FIFO semaphore that caps the Docker driver's engine mutations and removals.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore, SemaphoreTimeout } from './semaphore.ts';

describe('Semaphore', () => {
  test('caps concurrency and grants in FIFO order', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    let active = 0,
      peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        sem.run(async () => {
          order.push(i);
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 10));
          active--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(sem.active, 0);
  });

  test('a freed slot goes to the oldest priority waiter first, then FIFO', async () => {
    const sem = new Semaphore(1);
    const hold = await sem.acquire();
    const order: string[] = [];
    const take = (name: string, priority: boolean) =>
      sem.acquire(Infinity, priority).then((release) => {
        order.push(name);
        release();
      });
    const all = [take('create-1', false), take('create-2', false), take('start-1', true), take('create-3', false), take('start-2', true)];
    assert.equal(sem.waiting, 5);
    hold();
    await Promise.all(all);
    assert.deepEqual(order, ['start-1', 'start-2', 'create-1', 'create-2', 'create-3']);
    assert.equal(sem.active, 0);
  });

  test('a priority waiter that times out gives up its place', async () => {
    const sem = new Semaphore(1);
    const hold = await sem.acquire();
    await assert.rejects(sem.acquire(20, true), SemaphoreTimeout);
    assert.equal(sem.waiting, 0);
    const next = sem.acquire(Infinity, false);
    hold();
    (await next)();
    assert.equal(sem.active, 0);
  });

  test('a bounded wait rejects with SemaphoreTimeout and gives up its place', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    await assert.rejects(sem.acquire(30), SemaphoreTimeout);
    assert.equal(sem.waiting, 0);
    release();
    release(); // idempotent
    assert.equal(sem.active, 0);
    const r2 = await sem.acquire(30);
    r2();
  });

  test('a failing task releases its slot', async () => {
    const sem = new Semaphore(1);
    await assert.rejects(
      sem.run(async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(sem.active, 0);
  });

  test('rejects a non-positive size', () => {
    assert.throws(() => new Semaphore(0), RangeError);
  });
});
