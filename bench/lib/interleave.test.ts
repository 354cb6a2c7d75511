import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refineSteps, stepSlots, turnOrder } from './interleave.ts';

test('stepSlots: systems take turns within every repetition, loaded then solo, the order turning each repetition', () => {
  const s = stepSlots(['islet', 'peer'], 50, 2).map((x) => `${x.system}:${x.kind}:${x.rep}`);
  assert.deepEqual(s, ['islet:loaded:0', 'peer:loaded:0', 'islet:solo:0', 'peer:solo:0', 'peer:loaded:1', 'islet:loaded:1', 'peer:solo:1', 'islet:solo:1']);
});

test('turnOrder: three systems give the rows of a Williams square: each first twice, each ordered neighbour pair twice', () => {
  const rows = [0, 1, 2, 3, 4, 5].map((rep) => turnOrder(['a', 'b', 'c'], rep).join(''));
  assert.deepEqual(rows, ['abc', 'cba', 'bca', 'acb', 'cab', 'bac']);
  const pairs = new Map<string, number>();
  for (const r of rows) for (const p of [r.slice(0, 2), r.slice(1, 3)]) pairs.set(p, (pairs.get(p) ?? 0) + 1);
  assert.deepEqual([...pairs.values()], [2, 2, 2, 2, 2, 2]);
  assert.deepEqual(rows.map((r) => r[0]).sort(), ['a', 'a', 'b', 'b', 'c', 'c']);
});

test('turnOrder: two systems alternate A B, B A, B A, A B', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((rep) => turnOrder(['a', 'b'], rep).join('')),
    ['ab', 'ba', 'ba', 'ab'],
  );
  assert.deepEqual(turnOrder(['only'], 3), ['only']);
});

test('stepSlots: n = 1 is solo runs only', () => {
  assert.deepEqual(
    stepSlots(['a', 'b', 'c'], 1, 1).map((x) => `${x.system}:${x.kind}`),
    ['a:solo', 'b:solo', 'c:solo'],
  );
});

test('refineSteps: evenly spaced n inside each crossing interval, none near a measured n', () => {
  const islet = [
    { n: 1, ratio: 1 },
    { n: 100, ratio: 2.1 },
    { n: 150, ratio: 3.2 },
  ];
  const peer = [
    { n: 1, ratio: 1 },
    { n: 150, ratio: 2.5 },
    { n: 200, ratio: 3.1 },
  ];
  assert.deepEqual(refineSteps([islet, peer], [1, 100, 150, 200]), [113, 125, 138, 163, 175, 188]);
});

test('refineSteps: at most max in all, the first curves first', () => {
  const a = [
    { n: 100, ratio: 2 },
    { n: 150, ratio: 3.1 },
  ];
  const b = [
    { n: 150, ratio: 2 },
    { n: 200, ratio: 3.1 },
  ];
  assert.deepEqual(refineSteps([a, b], [100, 150, 200], { perCurve: 3, max: 4 }), [113, 125, 138, 163]);
});

test('refineSteps: nothing for a curve that never crosses or crosses at once; gap respected', () => {
  assert.deepEqual(
    refineSteps(
      [
        [
          { n: 1, ratio: 1 },
          { n: 200, ratio: 2.9 },
        ],
      ],
      [1, 200],
    ),
    [],
  );
  assert.deepEqual(refineSteps([[{ n: 25, ratio: 3.5 }]], [25]), []);
  assert.deepEqual(
    refineSteps(
      [
        [
          { n: 100, ratio: 2 },
          { n: 108, ratio: 3 },
        ],
      ],
      [100, 108],
      { minGap: 5 },
    ),
    [],
  );
});
