import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimedOut, eachLimited } from './each-limited.ts';

test('at most `limit` run at once, every outcome is reported in order, a slow one times out', async () => {
  let running = 0;
  let peak = 0;
  const out = await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, 300, async (n) => {
    running++;
    peak = Math.max(peak, running);
    try {
      if (n === 5)
        await new Promise((r) => setTimeout(r, 2000)); // hangs past the limit
      else await new Promise((r) => setTimeout(r, 20));
      if (n === 2) throw new Error('two failed');
      return n * 10;
    } finally {
      running--;
    }
  });
  assert.equal(peak, 3);
  assert.deepEqual(
    out.map((o) => o.item),
    [1, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(
    out.map((o) => (o.ok ? o.value : (o.error as Error).message)),
    [10, 'two failed', 30, 40, 'no answer within 0 s; it may still finish', 60, 70],
  );
  assert.ok(!out[4]!.ok && out[4]!.error instanceof TimedOut);
});

test('an empty selection does nothing', async () => {
  assert.deepEqual(await eachLimited([], 3, 100, async () => 1), []);
});
