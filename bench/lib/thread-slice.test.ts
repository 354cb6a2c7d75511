import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getPriority, release } from 'node:os';
import { MIN_SLICE_NS, setSlices, setThreadSlice, threadSlice } from './thread-slice.ts';

/** Linux took a fair thread's slice request from sched_setattr in 6.12. */
function kernelTakesSlices(): boolean {
  const [major = 0, minor = 0] = release().split('.').map(Number);
  return major > 6 || (major === 6 && minor >= 12);
}

async function niceSleeper(t: { after: (fn: () => void) => void }, nice: number): Promise<number> {
  const child = spawn('nice', ['-n', String(nice), 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  // nice execs sleep in the same process: wait until it has.
  for (let i = 0; i < 100 && getPriority(child.pid!) !== nice; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(getPriority(child.pid!), nice, 'the sleeper runs at the nice it was started with');
  return child.pid!;
}

test('sets a thread’s slice request and keeps its nice; a second call changes nothing', async (t) => {
  const pid = await niceSleeper(t, 5);
  const before = threadSlice(pid);
  assert.ok(before !== undefined && before > 300_000, `the kernel's default slice is read (${before} ns)`);
  if (!kernelTakesSlices()) {
    assert.equal(setThreadSlice(pid, 300_000), 'unsupported');
    assert.equal(threadSlice(pid), before);
    return;
  }
  assert.equal(setThreadSlice(pid, 300_000), 'set');
  assert.equal(threadSlice(pid), 300_000);
  assert.equal(getPriority(pid), 5, 'sched_setattr was given the thread’s own nice back');
  assert.equal(setThreadSlice(pid, 300_000), 'unchanged');
});

test('a request below the kernel’s range is raised to its minimum', { skip: !kernelTakesSlices() && 'kernel before 6.12' }, async (t) => {
  const pid = await niceSleeper(t, 0);
  assert.equal(setThreadSlice(pid, 1), 'set');
  assert.equal(threadSlice(pid), MIN_SLICE_NS);
});

test('a thread that does not exist is unsupported, not an exception', () => {
  assert.equal(threadSlice(2 ** 22 + 7), undefined);
  assert.equal(setThreadSlice(2 ** 22 + 7, 300_000), 'unsupported');
});

test('setSlices: one call sets many threads, 0 gives the kernel’s slice back, a gone thread is counted', {
  skip: !kernelTakesSlices() && 'kernel before 6.12',
}, async (t) => {
  const a = await niceSleeper(t, 3);
  const b = await niceSleeper(t, 0);
  const before = threadSlice(a);
  assert.ok(before !== undefined && before > 200_000, `the kernel's default slice is read (${before} ns)`);
  assert.deepEqual(setSlices([a, b, 999_999_999], 200_000, { resetOnFork: true }), { set: 2, failed: 1 });
  assert.equal(threadSlice(a), 200_000);
  assert.equal(threadSlice(b), 200_000);
  assert.equal(getPriority(a), 3, 'each thread keeps its own nice');
  assert.deepEqual(setSlices([a, b], 0, { resetOnFork: true }), { set: 2, failed: 0 });
  assert.equal(threadSlice(a), before, 'runtime 0 clears the request');
});
