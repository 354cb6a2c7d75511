import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeCutoff, everyRunPast, type ExerciseRun } from './cutoff.ts';

const runs = (system: string, n: number, kind: 'loaded' | 'solo', ms: number[]): ExerciseRun[] =>
  ms.map((exercise_ms, rep) => ({ system, n, rep, kind, exercise_ms }));

// ISLET solo 2 s, peer solo 1.5 s: shared solo = median of all six = 1.75 s.
const data: ExerciseRun[] = [
  ...runs('islet', 1, 'solo', [2000, 2000, 2100]),
  ...runs('peer', 1, 'solo', [1500, 1500, 1400]),
  ...runs('islet', 50, 'loaded', [4000, 5000, 6100]),
  ...runs('peer', 50, 'loaded', [4000, 4600, 5000]),
  ...runs('islet', 100, 'loaded', [5900, 6100, 6500]),
  ...runs('peer', 100, 'loaded', [5000, 5300, 6000]),
];

test('analyzeCutoff: shared and own yardsticks give different cut-offs from the same runs', () => {
  const a = analyzeCutoff(data);
  assert.equal(a.shared_solo.median, 1750);
  assert.equal(a.own_solo.islet!.median, 2000);
  assert.equal(a.own_solo.peer!.median, 1500);
  // Peer at 50: 4600 / 1750 = 2.63 (shared, below 3) but 4600 / 1500 = 3.07 (own, above); at 100 against
  // the shared 1.75 s one run stays below 3 (5000 / 1750 = 2.86), so not every run crossed.
  assert.deepEqual(a.cutoff.shared.peer, { median: 100, earliest: 100, all_runs: null });
  assert.deepEqual(a.cutoff.own.peer, { median: 50, earliest: 50, all_runs: 100 });
  // ISLET at 100 against its own 2 s: 5900 / 2000 = 2.95 < 3 < 6100 / 2000: median crosses, not every run.
  assert.deepEqual(a.cutoff.own.islet, { median: 100, earliest: 50, all_runs: null });
  assert.equal(a.max_n.islet, 100);
});

test('analyzeCutoff: the table keeps min / median / max of the exercise and of each ratio', () => {
  const row = analyzeCutoff(data).table.find((r) => r.system === 'islet' && r.n === 50)!;
  assert.deepEqual(row.exercise, { min: 4000, median: 5000, max: 6100, n: 3 });
  assert.deepEqual(row.ratio_own, { min: 2, median: 2.5, max: 3.05, n: 3 });
});

test('analyzeCutoff: a slow solo run is part of the yardstick, never a cut-off at n = 1', () => {
  const a = analyzeCutoff([...runs('peer', 1, 'solo', [1000, 1000, 1000, 3500]), ...runs('peer', 50, 'loaded', [1500])]);
  assert.deepEqual(a.cutoff.own.peer, { median: null, earliest: null, all_runs: null });
});

test('analyzeCutoff: a system never reaching 3x says null, not the last n', () => {
  const a = analyzeCutoff([...runs('peer', 1, 'solo', [1000, 1000]), ...runs('peer', 200, 'loaded', [1500, 2900])]);
  assert.deepEqual(a.cutoff.own.peer, { median: null, earliest: null, all_runs: null });
});

test('everyRunPast: only when every run of every system crossed against both yardsticks at that step', () => {
  const a = analyzeCutoff(data);
  // At 100 the peer's 5000 ms is 2.86x the shared 1.75 s: not every run is past, so larger steps still count.
  assert.equal(everyRunPast(a, 100), false);
  assert.equal(everyRunPast(a, 50), false);
  const past = analyzeCutoff([...data, ...runs('islet', 150, 'loaded', [6300, 7000, 9000]), ...runs('peer', 150, 'loaded', [5300, 6000, 9000])]);
  assert.equal(everyRunPast(past, 150), true);
  // A step one system has not run yet is not past for it.
  assert.equal(everyRunPast(analyzeCutoff([...data, ...runs('islet', 150, 'loaded', [9000, 9000, 9000])]), 150), false);
});
