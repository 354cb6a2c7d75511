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
