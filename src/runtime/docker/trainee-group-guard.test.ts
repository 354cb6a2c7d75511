import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../../test/helpers/unit-world.ts';
import { HOLD_MS, MAX_HOLD_MS, RESTARVED_WITHIN_MS, TraineeGroupGuard } from './trainee-group-guard.ts';
import type { TraineeGroupIo } from './trainee-group-io.ts';

/** A group whose counters the test advances: per second, the percent of one CPU it used and of the time it waited. */
function world(opts: { setIdleFails?: boolean } = {}) {
  let at = 0;
  let used = 0;
  let waited: number | undefined = 0;
  const marks: boolean[] = [];
  let idle = true;
  const io: TraineeGroupIo = {
    usedNs: () => used,
    waitedNs: () => waited,
    setIdle: (on) => {
      if (opts.setIdleFails) return false;
      marks.push(on);
      idle = on;
      return true;
    },
  };
  const { log, events } = memoryLogger();
  const guard = new TraineeGroupGuard({ io, log, now: () => at });
  /** `s` seconds at these rates, one tick a second. */
  const run = (s: number, usedPct: number, waitedPct: number | undefined) => {
    for (let i = 0; i < s; i++) {
      at += 1000;
      used += usedPct * 1e7;
      if (waitedPct === undefined) waited = undefined;
      else waited = (waited ?? 0) + waitedPct * 1e7;
      guard.tick();
    }
  };
  guard.tick();
  return { guard, run, marks, events, idle: () => idle, at: () => at };
}

test('a group that waits and gets next to no CPU loses its idle mark for a hold, then gets it back', () => {
  const w = world();
  w.run(2, 0.5, 99); // two busy host loops against the idle group
  assert.deepEqual(w.marks, [], 'two starved spans: not yet');
  w.run(1, 0.5, 99);
  assert.deepEqual(w.marks, [false], 'three in a row: the mark is cleared once');
  assert.equal(w.guard.held, true);
  assert.ok(w.events.some((l) => l.event === 'trainee_cpu_starved' && l.hold_seconds === HOLD_MS / 1000));
  w.run(HOLD_MS / 1000 - 1, 50, 60); // without the mark the group gets its share
  assert.equal(w.idle(), false, 'held for the whole hold');
  w.run(2, 50, 60);
  assert.deepEqual(w.marks, [false, true], 'the hold ended: marked idle again');
  assert.equal(w.guard.held, false);
});

test('not starved: a quiet group, a room queueing among itself, a storm sharing the CPUs, a little waiting', () => {
  for (const [usedPct, waitedPct, what] of [
    [0, 0, 'quiet'],
    [190, 95, 'containers busy on both CPUs, queueing among themselves'],
    [50, 95, 'a storm: the containers get half a CPU beside ISLET and the engine'],
    [3.9, 47, "a storm's first containers behind its SSH handshakes"],
    [1, 19, 'under the waiting threshold'],
    [2.5, 100, 'over the use threshold'],
    [1, 10, 'waited ten percent'],
  ] as const) {
    const w = world();
    w.run(5, usedPct, waitedPct);
    assert.deepEqual(w.marks, [], what);
  }
  // Starved spans broken by one that is not: no lift.
  const broken = world();
  for (let i = 0; i < 4; i++) {
    broken.run(2, 0.5, 99);
    broken.run(1, 10, 60);
  }
  assert.deepEqual(broken.marks, [], 'never three in a row');
  // The control: the same world starves with the use below the limit and the waiting above it.
  const w = world();
  w.run(3, 1.9, 21);
  assert.deepEqual(w.marks, [false]);
});

test('starved again soon after the mark came back: each hold twice the last, up to the longest; a calm resets it', () => {
  const w = world();
  const holds: number[] = [];
  for (let k = 0; k < 8; k++) {
    const before = w.guard.lifted;
    while (w.guard.lifted === before) w.run(1, 0.3, 99);
    const from = w.at();
    while (w.guard.held) w.run(1, 0.3, 99); // the host job goes on: starved again at once
    holds.push(w.at() - from);
  }
  const expected = [1, 2, 4, 8, 16, 30, 30, 30].map((k) => Math.min(HOLD_MS * k, MAX_HOLD_MS));
  assert.deepEqual(holds, expected);
  // A calm longer than RESTARVED_WITHIN_MS: the next hold is the first one again.
  w.run(RESTARVED_WITHIN_MS / 1000 + 1, 0, 0);
  const before = w.guard.lifted;
  while (w.guard.lifted === before) w.run(1, 0.3, 99);
  const from = w.at();
  while (w.guard.held) w.run(1, 0.3, 99);
  assert.equal(w.at() - from, HOLD_MS);
});

test('no pressure files: nothing is judged; a mark that cannot be written is tried again; close() marks again', () => {
  const none = world();
  none.run(5, 0, undefined);
  assert.deepEqual(none.marks, []);
  const failing = world({ setIdleFails: true });
  failing.run(5, 0.3, 99);
  assert.equal(failing.guard.held, false, 'not written: not held');
  assert.equal(failing.guard.lifted, 0);
  const w = world();
  w.run(3, 0.3, 99);
  assert.equal(w.guard.held, true);
  w.guard.close();
  assert.deepEqual(w.marks, [false, true]);
  assert.equal(w.guard.held, false);
  w.guard.close();
  assert.deepEqual(w.marks, [false, true], 'close() again: nothing to give back');
});
