import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Services, periodic, type Service } from './service.ts';

test('a periodic service runs at start and on its interval, never overlapping, and not after stop', async () => {
  let runs = 0;
  let running = 0;
  let overlapped = false;
  const s = periodic('t', 20, async () => {
    runs++;
    running++;
    if (running > 1) overlapped = true;
    await sleep(30);
    running--;
  });
  s.start();
  await sleep(150);
  s.stop();
  const stoppedAt = runs;
  assert.ok(runs >= 2, `ran ${runs} times`);
  assert.equal(overlapped, false);
  await sleep(100);
  assert.equal(runs, stoppedAt, 'no run after stop');
});

test('a failing run does not stop the schedule (control: it ran more than once)', async () => {
  let runs = 0;
  const s = periodic('f', 10, () => {
    runs++;
    throw new Error('boom');
  });
  s.start();
  await sleep(80);
  s.stop();
  assert.ok(runs > 1);
});

test('services start in order and stop in reverse; start twice starts once', async () => {
  const seen: string[] = [];
  const svc = (name: string): Service => ({
    name,
    start: () => {
      seen.push(`start ${name}`);
    },
    stop: async () => {
      seen.push(`stop ${name}`);
    },
  });
  const all = new Services().add(svc('a'), svc('b'));
  all.start();
  all.start();
  await all.stop();
  assert.deepEqual(seen, ['start a', 'start b', 'stop b', 'stop a']);
});
