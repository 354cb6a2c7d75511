import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyShare, settle } from './settle.ts';

test('busyShare of two readings', () => {
  assert.equal(busyShare({ idle: 900, total: 1000 }, { idle: 1050, total: 1200 }), 0.25);
  assert.equal(busyShare({ idle: 900, total: 1000 }, { idle: 900, total: 1000 }), 0);
});

test('settle on this machine: resolves within its bounds, quiet or not', async () => {
  const s = await settle({ quietMs: 200, maxMs: 400, busyBelow: 1.01 });
  assert.equal(s.quiet, true, 'every machine is below 101 % busy');
  assert.ok(s.waitedMs >= 190 && s.waitedMs < 2000, `waited ${s.waitedMs} ms`);
  // Control: nothing is below 0 % busy, so it gives up after maxMs.
  const never = await settle({ quietMs: 100, maxMs: 250, busyBelow: -1 });
  assert.equal(never.quiet, false);
  assert.ok(never.waitedMs >= 250, `gave up after ${never.waitedMs} ms`);
});
