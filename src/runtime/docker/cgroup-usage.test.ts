import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupUsage } from './cgroup-usage.ts';

const ID = 'a'.repeat(64);

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'islet-cgroup-'));
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  return root;
}

test('cgroup v1, cgroupfs driver: cpuacct.usage in ns; memory less total_inactive_file', (t) => {
  const root = tree({
    'cpuacct/cpuacct.usage': '1\n',
    [`cpuacct/docker/${ID}/cpuacct.usage`]: '5241765054346\n',
    [`memory/docker/${ID}/memory.usage_in_bytes`]: '169107456\n',
    [`memory/docker/${ID}/memory.stat`]: 'cache 1\ninactive_file 7\ntotal_inactive_file 42405888\n',
  });
  t.after(() => rmSync(root, { recursive: true }));
  assert.deepEqual(CgroupUsage.detect(root)?.read(ID), { cpuNs: 5241765054346, memoryBytes: 169107456 - 42405888 });
});

test('cgroup v2, systemd driver: usage_usec to ns; memory.current less inactive_file', (t) => {
  const root = tree({
    'cgroup.controllers': 'cpu memory pids\n',
    [`system.slice/docker-${ID}.scope/cpu.stat`]: 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n',
    [`system.slice/docker-${ID}.scope/memory.current`]: '1000000\n',
    [`system.slice/docker-${ID}.scope/memory.stat`]: 'anon 5\nactive_file 3\ninactive_file 200000\n',
  });
  t.after(() => rmSync(root, { recursive: true }));
  assert.deepEqual(CgroupUsage.detect(root)?.read(ID), { cpuNs: 2_500_000, memoryBytes: 800_000 });
});

test('no cgroup for the id (another machine, stopped), a short id or name, an unknown hierarchy: undefined, so the engine is asked', (t) => {
  const root = tree({ 'cgroup.controllers': 'cpu\n', [`docker/${ID}/cpu.stat`]: 'usage_usec 10\n', [`docker/${ID}/memory.current`]: '5\n' });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  assert.deepEqual(r.read(ID), { cpuNs: 10_000, memoryBytes: 5 }, 'control: the layout is read');
  assert.equal(r.read('b'.repeat(64)), undefined);
  assert.equal(r.read(ID.slice(0, 12)), undefined);
  assert.equal(r.read('../../etc'), undefined);
  const empty = tree({ 'x/y': '' });
  t.after(() => rmSync(empty, { recursive: true }));
  assert.equal(CgroupUsage.detect(empty), undefined);
});

test('CPU is read on every call; memory at most every 5 s per container (it moves slowly and costs two reads)', (t) => {
  const root = tree({ 'cgroup.controllers': 'cpu\n', [`docker/${ID}/cpu.stat`]: 'usage_usec 10\n', [`docker/${ID}/memory.current`]: '5\n' });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  assert.deepEqual(r.read(ID, 1000), { cpuNs: 10_000, memoryBytes: 5 });
  writeFileSync(join(root, `docker/${ID}/cpu.stat`), 'usage_usec 20\n');
  writeFileSync(join(root, `docker/${ID}/memory.current`), '7\n');
  assert.deepEqual(r.read(ID, 5999), { cpuNs: 20_000, memoryBytes: 5 }, 'new CPU, memory from 5 s ago at most');
  assert.deepEqual(r.read(ID, 6000), { cpuNs: 20_000, memoryBytes: 7 }, 'memory read again after 5 s');
});
