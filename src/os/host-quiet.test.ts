import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuietGate, readCpuTimes, untilHostQuiet, type CpuTimes } from './host-quiet.ts';

/** A host whose samples are given: each entry is the idle share of one sample window. */
function host(shares: number[]): () => CpuTimes {
  let idle = 0,
    total = 0,
    i = -1;
  return () => {
    if (i >= 0) {
      const s = shares[Math.min(i, shares.length - 1)]!;
      idle += 100 * s;
      total += 100;
    }
    i++;
    return { idle, total };
  };
}

test('this host has /proc/stat: cumulative idle and total ticks that grow', async () => {
  const a = readCpuTimes();
  assert.ok(a && a.total > 0 && a.idle >= 0 && a.idle <= a.total);
  await new Promise((r) => setTimeout(r, 30));
  const b = readCpuTimes()!;
  assert.ok(b.total >= a.total && b.idle >= a.idle);
});

test('waits through busy samples and answers quiet at the first with a whole idle CPU', async () => {
  let reads = 0;
  const h = host([0.1, 0.3, 0.49, 0.5]);
  const r = await untilHostQuiet({ cpus: 2, sampleMs: 1, read: () => (reads++, h()) });
  assert.equal(r, 'quiet');
  assert.equal(reads, 5, 'the first read, then four windows: 0.2, 0.6 and 0.98 idle CPUs were not enough, 1.0 was');
});

test('gives up after maxWaitMs on a host that stays busy; an abort ends the wait at once; no /proc/stat counts as unknown', async () => {
  assert.equal(await untilHostQuiet({ cpus: 2, sampleMs: 5, maxWaitMs: 30, read: host([0]) }), 'timeout');
  const ac = new AbortController();
  const t0 = Date.now();
  const waiting = untilHostQuiet({ cpus: 2, sampleMs: 60_000, read: host([0]), signal: ac.signal });
  ac.abort();
  assert.equal(await waiting, 'aborted');
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(await untilHostQuiet({ read: () => undefined }), 'unknown');
});

test('QuietGate: on a host that stays busy the first job waits maxWaitMs, the next ones one sample each; a quiet sample restarts the count', async () => {
  let busy = true;
  let idle = 0,
    total = 0;
  const read = () => {
    total += 100;
    if (!busy) idle += 100;
    return { idle, total };
  };
  const gate = new QuietGate({ cpus: 2, sampleMs: 5, maxWaitMs: 150, read });
  let t0 = performance.now();
  assert.equal(await gate.wait(), 'timeout');
  assert.ok(performance.now() - t0 >= 140, 'the first waited the whole maxWaitMs');
  t0 = performance.now();
  assert.equal(await gate.wait(), 'timeout');
  assert.ok(performance.now() - t0 < 100, 'the next one sample only');
  busy = false;
  assert.equal(await gate.wait(), 'quiet');
  busy = true;
  t0 = performance.now();
  assert.equal(await gate.wait(), 'timeout');
  assert.ok(performance.now() - t0 >= 140, 'after a quiet sample, a busy host is waited for again');
});

test('QuietGate: jobs waiting at once share one sampling and go together; when all of them leave, the sampling stops', async () => {
  let reads = 0;
  let busy = true;
  let idle = 0,
    total = 0;
  const read = () => {
    reads++;
    total += 100;
    if (!busy) idle += 100;
    return { idle, total };
  };
  const gate = new QuietGate({ cpus: 2, sampleMs: 10, read });
  const jobs = Array.from({ length: 50 }, () => gate.wait());
  await new Promise((r) => setTimeout(r, 60));
  busy = false;
  assert.deepEqual(new Set(await Promise.all(jobs)), new Set(['quiet']));
  assert.ok(reads < 30, `50 jobs, one sampling: ${reads} reads of /proc/stat`);
  // Control: one sampling per job reads at least once per job and sample.
  reads = 0;
  busy = true;
  const alone = Array.from({ length: 5 }, () => untilHostQuiet({ cpus: 2, sampleMs: 10, maxWaitMs: 30, read }));
  await Promise.all(alone);
  assert.ok(reads >= 5 * 2, `the probe counts reads: ${reads}`);
  // Every job aborted: the sampling ends (no more reads), and a job that comes later is answered.
  const ac = new AbortController();
  const gone = [gate.wait(ac.signal), gate.wait(ac.signal)];
  await new Promise((r) => setTimeout(r, 30));
  ac.abort();
  assert.deepEqual(await Promise.all(gone), ['aborted', 'aborted']);
  await new Promise((r) => setTimeout(r, 30));
  const after = reads;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(reads, after, 'nothing samples once every job left');
  busy = false;
  assert.equal(await gate.wait(), 'quiet');
});
