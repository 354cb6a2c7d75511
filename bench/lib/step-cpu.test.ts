import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepCpu } from './step-cpu.ts';

test('stepCpu: all repetitions over their summed windows, so a long one weighs by its length', () => {
  // Two repetitions of 10 s and 90 s, each keeping the front end 1 core busy: 1 core, whatever the lengths.
  const c = stepCpu(
    [
      { window_s: 10, groups: { front_end: 10, dockerd: 1 } },
      { window_s: 90, groups: { front_end: 90, dockerd: 9 } },
    ],
    101,
  );
  assert.equal(c.cpu_cores.front_end, 1);
  assert.equal(c.cpu_cores.dockerd, 0.1);
  // The mean CPU over the median window (the old way) says 50 / 50 = 1 here, but 36.7 / 10 = 3.7 with three
  // repetitions of 10, 10 and 90 s; this way it stays 1.
  const three = stepCpu(
    [
      { window_s: 10, groups: { front_end: 10 } },
      { window_s: 10, groups: { front_end: 10 } },
      { window_s: 90, groups: { front_end: 90 } },
    ],
    101,
  );
  assert.equal(three.cpu_cores.front_end, 1);
  // 1 core over 100 working trainees: 10 ms per trainee per second.
  assert.equal(three.cpu_ms_per_trainee_s.front_end, 10);
});

test('stepCpu: no windows gives no figures, not zeros', () => {
  const c = stepCpu([], 10);
  assert.deepEqual(c.cpu_cores, {});
});
