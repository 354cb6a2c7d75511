import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupWeight, sharesToWeight } from './cgroup-weight.ts';

const ID = 'c'.repeat(64);

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'islet-cgroup-weight-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  return root;
}

test('cgroup v1, cgroupfs driver: cpu.shares gets the weight as given; no cgroup, a short id or a weight out of range: false, nothing written', (t) => {
  // Empty files: a cgroup file takes each write whole, a plain file would keep the old tail (the real files: test/e2e/cpu-weight.test.ts).
  const root = tree({ 'cpu/cpu.shares': '1024\n', [`cpu/docker/${ID}/cpu.shares`]: '' });
  t.after(() => rmSync(root, { recursive: true }));
  const w = CgroupWeight.detect(root)!;
  assert.equal(w.set(ID, 2), true);
  assert.equal(readFileSync(join(root, `cpu/docker/${ID}/cpu.shares`), 'utf8'), '2');
  assert.equal(w.set('d'.repeat(64), 2), false, 'no cgroup for that id');
  assert.equal(w.set(ID.slice(0, 12), 64), false);
  assert.equal(w.set(ID, 1), false);
  assert.equal(w.set(ID, 262145), false);
  assert.equal(readFileSync(join(root, `cpu/docker/${ID}/cpu.shares`), 'utf8'), '2', 'refused weights wrote nothing');
});

test('cgroup v2, systemd driver: cpu.weight as runc converts shares (1024 → 39, 2 → 1, 262144 → 10000)', (t) => {
  const root = tree({ 'cgroup.controllers': 'cpu\n', [`system.slice/docker-${ID}.scope/cpu.weight`]: '' });
  t.after(() => rmSync(root, { recursive: true }));
  assert.deepEqual([sharesToWeight(1024), sharesToWeight(2), sharesToWeight(262144)], [39, 1, 10000]);
  const w = CgroupWeight.detect(root)!;
  assert.equal(w.set(ID, 2), true);
  assert.equal(readFileSync(join(root, `system.slice/docker-${ID}.scope/cpu.weight`), 'utf8'), '1');
  const none = tree({ 'x/y': '' });
  t.after(() => rmSync(none, { recursive: true }));
  assert.equal(CgroupWeight.detect(none), undefined);
});
