import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineState, pageFaultUs, parseCpuPressure } from './machine-state.ts';

test('parseCpuPressure reads some avg60, null without it', () => {
  const text = 'some avg10=2.72 avg60=24.41 avg300=47.05 total=21557520500\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
  assert.equal(parseCpuPressure(text), 24.41);
  assert.equal(parseCpuPressure('full avg10=0.00 avg60=3.00 avg300=0.00 total=0\n'), null);
  assert.equal(parseCpuPressure(''), null);
});

test('pageFaultUs: a positive, finite time per page', () => {
  // Its size on a given machine is what it records; only its shape can be checked here.
  const us = pageFaultUs(4 << 20);
  assert.ok(Number.isFinite(us) && us > 0, String(us));
});

test('machineState: every figure present and plausible', () => {
  const s = machineState();
  assert.ok(s.pageFaultUs > 0 && s.pageFaultUs < 10_000, JSON.stringify(s));
  assert.ok(s.spawnMs > 0 && s.spawnMs < 10_000, JSON.stringify(s));
  assert.ok(s.load1 >= 0);
  assert.ok(s.cpuPressureAvg60 === null || s.cpuPressureAvg60 >= 0);
});
