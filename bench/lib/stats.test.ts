import { test } from 'node:test';
import assert from 'node:assert/strict';
import { median, ratios, spread } from './stats.ts';

test('median: odd, even, empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('spread: min / median / max over finite values only', () => {
  assert.deepEqual(spread([5, Number.NaN, 1, 3]), { min: 1, median: 3, max: 5, n: 3 });
  assert.equal(spread([]).n, 0);
});

test('ratios: each run against one yardstick, rounded', () => {
  assert.deepEqual(ratios([2000, 3000, 6100], 2000), { min: 1, median: 1.5, max: 3.05, n: 3 });
});
