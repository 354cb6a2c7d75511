import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternateArms, armsSummary, type Block, configArms, type SliceTarget } from './block-ab.ts';

test('armsSummary pools each arm’s keys; a key whose wait spans a switch counts in neither', () => {
  const blocks: Block[] = [
    { arm: 'short', from: 0, to: 1000 },
    { arm: 'default', from: 1000, to: 2000 },
  ];
  const echoes = [
    { at: 100, ms: 10 },
    { at: 200, ms: 60 },
    { at: 990, ms: 20 }, // ends after the switch: neither arm
    { at: 1100, ms: 5 },
  ];
  const out = armsSummary(blocks, echoes, [], 0, { shortUs: 100, defaultNs: 1_400_000, blockMs: 1000, slowMs: 50 });
  assert.equal(out.arms.short.keys, 2);
  assert.equal(out.arms.short.slow_keys, 1);
  assert.equal(out.arms.default.keys, 1);
  assert.deepEqual(out.slice_us, { short: 100, default: 1400 });
  assert.deepEqual(
    out.blocks.map((b) => [b.arm, b.keys]),
    [
      ['short', 2],
      ['default', 1],
    ],
  );
});

test('alternateArms switches in blocks, opens with the arm asked for, and stop() puts the default back and removes', async () => {
  const calls: string[] = [];
  const target: SliceTarget = { defaultNs: 1, set: (a) => calls.push(a), remove: () => calls.push('removed') };
  const blocks: Block[] = [];
  const ab = alternateArms(target, performance.now(), blocks, { blockMs: 30, first: 'short' });
  // Two switches, however slow the machine's timers (a fixed sleep met a loaded machine with one switch made).
  for (let i = 0; i < 200 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  ab.stop(performance.now());
  ab.stop(performance.now()); // a second stop does nothing
  assert.deepEqual(calls.slice(0, 3), ['short', 'default', 'short']);
  assert.deepEqual(calls.slice(-2), ['default', 'removed']);
  assert.equal(calls.filter((c) => c === 'removed').length, 1);
  assert.ok(blocks.length >= 3 && blocks.every((b) => Number.isFinite(b.to)), 'every block closed');
});

test("configArms rewrites one top-level setting of ISLET's islet.yaml per arm, adding it where absent, and leaves the rest", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'block-ab-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'islet.yaml');
  writeFileSync(file, 'server_priority: 0\nruntime:\n  terminal: relay');
  const arms = configArms(file, 'typing_cpu_shares', 262144, 0);
  arms.set('short');
  assert.equal(readFileSync(file, 'utf8'), 'server_priority: 0\nruntime:\n  terminal: relay\ntyping_cpu_shares: 262144\n');
  arms.set('default');
  assert.equal(readFileSync(file, 'utf8'), 'server_priority: 0\nruntime:\n  terminal: relay\ntyping_cpu_shares: 0\n');
  arms.set('short');
  assert.match(readFileSync(file, 'utf8'), /^typing_cpu_shares: 262144$/m);
  assert.equal(readFileSync(file, 'utf8').match(/typing_cpu_shares/g)?.length, 1, 'replaced, not added twice');
});
