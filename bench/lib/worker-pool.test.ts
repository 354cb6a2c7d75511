import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seeded, WorkerPool } from './worker-pool.ts';
import { WORKLOAD_COMMANDS } from './workload.ts';

test('seeded: the same seed draws the same delays in every pool, another seed others, all in [0, 1)', () => {
  const draw = (seed: number) => Array.from({ length: 1000 }, seeded(seed));
  const a = draw(100_004);
  assert.deepEqual(draw(100_004), a);
  assert.notDeepEqual(draw(100_005), a);
  assert.ok(a.every((x) => x >= 0 && x < 1));
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(mean > 0.45 && mean < 0.55, `roughly uniform (mean ${mean})`);
});

test('WorkerPool start: spread puts a room of 99 on every command of the script, the same in every pool; in-step all on the first', () => {
  const counts = (pool: WorkerPool) => {
    const c = new Array<number>(WORKLOAD_COMMANDS.length).fill(0);
    for (let i = 0; i < 99; i++) c[pool.startAt(i)]!++;
    return c;
  };
  const spread = counts(new WorkerPool());
  assert.deepEqual(counts(new WorkerPool({ start: 'spread' })), spread);
  // 99 over 12 commands: 8.25 each on average; a seeding that bunched them would leave commands empty.
  assert.ok(Math.min(...spread) >= 3 && Math.max(...spread) <= 16, `spread ${spread}`);
  assert.deepEqual(counts(new WorkerPool({ start: 'in-step' })), [99, ...new Array<number>(WORKLOAD_COMMANDS.length - 1).fill(0)]);
  // What the result files record as the room's start comes from the pool, not from a literal beside it.
  assert.equal(new WorkerPool().start, 'spread');
  assert.equal(new WorkerPool({ start: 'in-step' }).start, 'in-step');
});
