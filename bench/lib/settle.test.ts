import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyShare, parseProcStat, settle } from './settle.ts';

test('parseProcStat: idle and iowait are idle, steal counts as busy, guest time is not counted twice', () => {
  const t = parseProcStat('cpu  100 10 50 800 40 5 5 20 30 0\ncpu0 50 5 25 400 20 2 3 10 15 0\nintr 1\n');
  assert.deepEqual(t, { busy: 190, total: 1030 });
  assert.throws(() => parseProcStat('intr 1\n'), /no aggregate cpu line/);
});

test('busyShare of two readings', () => {
  assert.equal(busyShare({ busy: 100, total: 1000 }, { busy: 150, total: 1200 }), 0.25);
  assert.equal(busyShare({ busy: 100, total: 1000 }, { busy: 100, total: 1000 }), 0);
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
