import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLK_TCK } from './proc-cpu.ts';
import { machineBusySeconds } from './slot-cpu.ts';

test('machineBusySeconds: user+nice+system+irq+softirq+steal, not idle or iowait', () => {
  const stat = `cpu  100 10 50 9999 777 1 2 3 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n`;
  assert.equal(machineBusySeconds(stat), (100 + 10 + 50 + 1 + 2 + 3) / CLK_TCK);
});

test('machineBusySeconds: grows while this process spins', () => {
  const a = machineBusySeconds();
  const until = Date.now() + 300;
  while (Date.now() < until);
  assert.ok(machineBusySeconds() - a >= 0.2, 'the busy loop itself counts');
});

test("threadCpu: a process's CPU by thread name, the main thread as main; the pool's work on libuv-worker", async () => {
  const { threadCpu } = await import('./proc-cpu.ts');
  const { scrypt } = await import('node:crypto');
  const before = threadCpu(process.pid);
  // 300 ms of this process's CPU, not of the clock: on a loaded machine the loop may get less than its wall time.
  const c0 = process.cpuUsage();
  for (let u = process.cpuUsage(c0); u.user + u.system < 300_000; u = process.cpuUsage(c0));
  // Work on the thread pool: scrypt at a cost of tens of ms each, four at once.
  await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise((resolve, reject) => scrypt('pw', 'salt', 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 2 ** 20 }, (e, k) => (e ? reject(e) : resolve(k)))),
    ),
  );
  const after = threadCpu(process.pid);
  assert.ok(after.get('main')! - (before.get('main') ?? 0) >= 0.2, 'the busy loop counts on main');
  assert.ok(after.get('libuv-worker')! - (before.get('libuv-worker') ?? 0) >= 0.05, 'the hashes count on the pool');
  assert.equal(threadCpu(2 ** 22 + 1).size, 0, 'no such process: nothing');
});
