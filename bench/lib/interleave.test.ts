import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refineSteps, stepSlots } from './interleave.ts';

test('stepSlots: systems alternate within every repetition, loaded then solo', () => {
  const s = stepSlots(['islet', 'peer'], 50, 2).map((x) => `${x.system}:${x.kind}:${x.rep}`);
  assert.deepEqual(s, ['islet:loaded:0', 'peer:loaded:0', 'islet:solo:0', 'peer:solo:0', 'islet:loaded:1', 'peer:loaded:1', 'islet:solo:1', 'peer:solo:1']);
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
