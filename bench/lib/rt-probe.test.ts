import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRtProbe, stallsDuring, startRtProbe } from './rt-probe.ts';

test('parseRtProbe reads the histograms and the stalls, and skips what it does not know', () => {
  const out = parseRtProbe(
    [
      'cpu 0 hist <1 <2 <5 <10 <20 <50 <100 >=100: 4633 12 24 0 0 1 0 0',
      'late cpu=0 at=1796417964390.4 ms=21.9',
      'rt-probe: no SCHED_FIFO (not root?)',
      'cpu 1 hist <1 <2 <5 <10 <20 <50 <100 >=100: 4700 5 0 0 0 0 0 2',
      '',
    ].join('\n'),
  );
  assert.deepEqual(out.histograms, [
    [4633, 12, 24, 0, 0, 1, 0, 0],
    [4700, 5, 0, 0, 0, 0, 0, 2],
  ]);
  assert.deepEqual(out.stalls, [{ cpu: 0, at: 1796417964390.4, ms: 21.9 }]);
});

test('stallsDuring keeps the stalls that overlap the span, its sleep counted', () => {
  const stalls = [
    { cpu: 0, at: 100, ms: 20 }, // 100..121
    { cpu: 1, at: 200, ms: 10 }, // 200..211
    { cpu: 0, at: 300, ms: 50 }, // 300..351
  ];
  assert.deepEqual(
    stallsDuring(stalls, 120, 205).map((s) => s.at),
    [100, 200],
  );
  assert.deepEqual(stallsDuring(stalls, 122, 199), []);
  assert.deepEqual(
    stallsDuring(stalls, 350, 400).map((s) => s.at),
    [300],
  );
});

test('the probe builds and runs for the seconds given (needs a C compiler)', async (t) => {
  const probe = await startRtProbe(1);
  if (!probe) {
    t.skip('no C compiler here');
    return;
  }
  const out = await probe.done();
  assert.ok(out.histograms.length >= 1, 'one histogram per core');
  // About 1000 wake-ups a second per core, fewer when each is late: a probe that ran counts hundreds.
  const total = out.histograms[0]!.reduce((a, b) => a + b, 0);
  assert.ok(total > 200 && total < 1100, `wake-ups counted on core 0: ${total}`);
});
