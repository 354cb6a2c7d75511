import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakdown, parseSchedTrace, threadTraces, wakeLatencies, whoRan } from './sched-trace.ts';

const sw = (cpu: number, t: string, prev: [string, number, string], next: [string, number]) =>
  ` ${prev[0]}-${prev[1]} [00${cpu}] d..2. ${t}: sched_switch: ` +
  `prev_comm=${prev[0]} prev_pid=${prev[1]} prev_prio=120 prev_state=${prev[2]} ==> next_comm=${next[0]} next_pid=${next[1]} next_prio=120`;
const wake = (cpu: number, t: string, comm: string, pid: number) =>
  ` <idle>-0 [00${cpu}] dNh3. ${t}: sched_waking: comm=${comm} pid=${pid} prio=120 target_cpu=00${cpu}`;

test('a woken thread waits until it is switched in; a preempted one from the switch out; who ran meanwhile is summed per CPU', () => {
  const t = parseSchedTrace(
    [
      sw(0, '100.000000', ['swapper/0', 0, 'R'], ['MainThread', 42]),
      sw(0, '100.002000', ['MainThread', 42, 'S'], ['containerd-shim', 7]),
      wake(1, '100.003000', 'MainThread', 42), // woken while cpu0 runs a shim and cpu1 a hasher
      sw(1, '100.003000', ['swapper/1', 0, 'R'], ['libuv-worker', 9]),
      sw(0, '100.008000', ['containerd-shim', 7, 'S'], ['containerd-shim', 8]), // a second shim
      sw(0, '100.013000', ['containerd-shim', 8, 'S'], ['MainThread', 42]), // 10 ms later
      sw(0, '100.015000', ['MainThread', 42, 'R'], ['sh', 11]), // preempted
      sw(0, '100.016500', ['sh', 11, 'S'], ['MainThread', 42]), // 1.5 ms later
      sw(1, '100.020000', ['libuv-worker', 9, 'S'], ['swapper/1', 0]),
    ],
    42,
  );
  assert.deepEqual(
    t.waits.map((w) => [w.how, w.to - w.from]),
    [
      ['woken', 10_000],
      ['preempted', 1_500],
    ],
  );
  assert.deepEqual(
    t.runs.map((r) => r.to - r.from),
    [2_000, 2_000],
  );
  assert.deepEqual(whoRan(t, t.waits[0]!), [
    { cpu: 0, program: 'containerd-shim', ms: 10, threads: 2 },
    { cpu: 1, program: 'libuv-worker', ms: 10, threads: 1 },
  ]);
});

test('a wait whose switch-in line is missing ends when the thread is seen switching out', () => {
  const t = parseSchedTrace(
    [
      wake(1, '5.000000', 'MainThread', 42),
      sw(1, '5.000100', ['MainThread', 42, 'S'], ['swapper/1', 0]),
      wake(1, '6.000000', 'MainThread', 42),
      sw(0, '6.000200', ['x', 3, 'S'], ['MainThread', 42]),
    ],
    42,
  );
  assert.deepEqual(
    t.waits.map((w) => w.to - w.from),
    [200],
  );
});

test("an interval's time splits into on a CPU, runnable and asleep, with the preemptions and wake-ups that began in it", () => {
  const t = parseSchedTrace(
    [
      sw(0, '100.000000', ['swapper/0', 0, 'R'], ['MainThread', 42]),
      sw(0, '100.002000', ['MainThread', 42, 'R'], ['containerd-shim', 7]), // preempted 1 ms
      sw(0, '100.003000', ['containerd-shim', 7, 'S'], ['MainThread', 42]),
      sw(0, '100.004000', ['MainThread', 42, 'S'], ['dockerd', 5]), // asleep 4 ms
      wake(1, '100.008000', 'MainThread', 42), // woken, waits 2 ms
      sw(0, '100.010000', ['dockerd', 5, 'S'], ['MainThread', 42]),
      sw(0, '100.012000', ['MainThread', 42, 'S'], ['swapper/0', 0]),
    ],
    42,
  );
  // From 1 ms in (half of the first run) to 11 ms in (half of the last).
  assert.deepEqual(breakdown(t, 100_001_000, 100_011_000), { ms: 10, cpuMs: 3, runnableMs: 3, asleepMs: 4, preemptions: 1, wakeups: 1 });
  // An interval that begins inside a wait counts its part of it, not the wait's start.
  assert.deepEqual(breakdown(t, 100_009_000, 100_011_000), { ms: 2, cpuMs: 1, runnableMs: 1, asleepMs: 0, preemptions: 0, wakeups: 0 });
});

test('wake latencies are pooled per program (every shim one), from each waking to the next switch in', () => {
  const lines = [
    wake(0, '200.000000', 'containerd-shim', 7),
    sw(0, '200.004000', ['md5sum', 30, 'R'], ['containerd-shim', 7]), // 4 ms
    wake(1, '200.010000', 'containerd-shim', 8),
    wake(1, '200.011000', 'containerd-shim', 8), // a second waking keeps the first
    sw(1, '200.022000', ['md5sum', 31, 'R'], ['containerd-shim', 8]), // 12 ms
    wake(0, '200.030000', 'bash', 11),
    sw(0, '200.030500', ['containerd-shim', 7, 'S'], ['bash', 11]), // 0.5 ms
    wake(0, '200.040000', 'dockerd', 5), // never switched in before the dump ends: not counted
    wake(1, '200.050000', 'node', 9), // woken while on its CPU: switches out, then in 30 ms later
    sw(1, '200.050100', ['node', 9, 'S'], ['swapper/1', 0]),
    sw(1, '200.080000', ['swapper/1', 0, 'R'], ['node', 9]),
  ];
  assert.deepEqual(wakeLatencies(lines, 1), [
    { program: 'containerd-shim', wakeups: 2, p50Ms: 4, p99Ms: 12, maxMs: 12, over10ms: 1 }, // nearest rank, as pct()
    { program: 'bash', wakeups: 1, p50Ms: 0.5, p99Ms: 0.5, maxMs: 0.5, over10ms: 0 },
  ]);
  assert.deepEqual(
    wakeLatencies(lines, 2).map((w) => w.program),
    ['containerd-shim'],
    'programs under minWakeups are left out',
  );
});

test('threadTraces follows several threads in one pass, each as parseSchedTrace would alone', () => {
  const lines = [
    sw(0, '200.000000', ['swapper/0', 0, 'R'], ['.islet-relay', 5]),
    wake(0, '200.000500', 'sh', 6), // the relay wakes the shell, which waits for cpu0
    sw(0, '200.001000', ['.islet-relay', 5, 'S'], ['md5sum', 9]),
    sw(0, '200.004000', ['md5sum', 9, 'R'], ['sh', 6]), // 3.5 ms after its waking
    wake(0, '200.004500', '.islet-relay', 5),
    sw(0, '200.005000', ['sh', 6, 'S'], ['.islet-relay', 5]), // 0.5 ms
  ];
  const { threads } = threadTraces(lines, [5, 6, 77]);
  for (const pid of [5, 6]) {
    const alone = parseSchedTrace(lines, pid);
    assert.deepEqual(threads.get(pid), { runs: alone.runs, waits: alone.waits });
  }
  assert.deepEqual(
    threads.get(6)!.waits.map((w) => w.to - w.from),
    [3_500],
  );
  assert.deepEqual(
    threads.get(5)!.waits.map((w) => w.to - w.from),
    [500],
  );
  assert.deepEqual(threads.get(77), { runs: [], waits: [] }, 'a thread the dump never shows');
});
