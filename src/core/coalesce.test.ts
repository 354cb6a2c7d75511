import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce } from './coalesce.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a flood of values becomes a few calls, never overlapping, and the last value is delivered', async () => {
  const calls: number[] = [];
  let running = 0,
    overlap = false;
  const c = coalesce(async (v: number) => {
    running++;
    if (running > 1) overlap = true;
    calls.push(v);
    await sleep(5);
    running--;
  }, 50);
  for (let i = 1; i <= 10_000; i++) c.push(i);
  await sleep(30);
  for (let i = 10_001; i <= 20_000; i++) c.push(i);
  await sleep(200);
  assert.equal(overlap, false);
  assert.ok(calls.length <= 4, `calls: ${calls.join(',')}`);
  assert.equal(calls[0], 1, 'the first value goes out at once');
  assert.equal(calls.at(-1), 20_000, 'the newest value wins');
});

test('cancel drops the pending value; a failing call does not stop later ones', async () => {
  const calls: number[] = [];
  const c = coalesce((v: number) => {
    calls.push(v);
    if (v === 1) throw new Error('boom');
  }, 20);
  c.push(1);
  c.push(2);
  await sleep(60);
  assert.deepEqual(calls, [1, 2]);
  c.push(3);
  c.push(4);
  c.cancel();
  c.push(5);
  await sleep(60);
  assert.deepEqual(calls, [1, 2, 3]);
});
