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

test('the CPU file stays open between reads and is read again from its start; closed once not asked about for 30 s', (t) => {
  const root = tree({ 'cpuacct/cpuacct.usage': '1\n', [`cpuacct/docker/${ID}/cpuacct.usage`]: '100\n', [`memory/docker/${ID}/memory.usage_in_bytes`]: '9\n' });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  t.after(() => r.close());
  assert.equal(r.read(ID, 100_000)?.cpuNs, 100);
  assert.equal(r.openFiles, 1);
  writeFileSync(join(root, `cpuacct/docker/${ID}/cpuacct.usage`), '123456789\n');
  assert.equal(r.read(ID, 101_000)?.cpuNs, 123456789, 'the open file read again from offset 0');
  writeFileSync(join(root, `cpuacct/docker/${ID}/cpuacct.usage`), '7\n');
  assert.equal(r.read(ID, 102_000)?.cpuNs, 7, 'a shorter figure is not mixed with the longer one before it');
  const other = 'c'.repeat(64);
  assert.equal(r.read(other, 200_000), undefined, 'another id, no cgroup: nothing opened');
  assert.equal(r.openFiles, 0, 'not asked about for 30 s: closed');
  assert.equal(r.read(ID, 200_001)?.cpuNs, 7, 'opened again when asked');
  assert.equal(r.openFiles, 1);
});

test('cgroup v2 cpu.stat: usage_usec found in the open file, not a field that merely ends in it', (t) => {
  const root = tree({
    'cgroup.controllers': 'cpu\n',
    [`docker/${ID}/cpu.stat`]: 'xusage_usec 5\nusage_usec 42\n',
    [`docker/${ID}/memory.current`]: '5\n',
  });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  t.after(() => r.close());
  assert.equal(r.read(ID)?.cpuNs, 42_000);
});

test('cpu(): the CPU figure alone, without the memory files (a cgroup with no memory files still answers)', (t) => {
  const root = tree({ 'cpuacct/cpuacct.usage': '1\n', [`cpuacct/docker/${ID}/cpuacct.usage`]: '777\n' });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  assert.equal(r.read(ID), undefined, 'control: read() needs the memory files, which are missing here');
  assert.equal(r.cpu(ID), 777);
  writeFileSync(join(root, `cpuacct/docker/${ID}/cpuacct.usage`), '900\n');
  assert.equal(r.cpu(ID), 900, 'read again at every call');
  assert.equal(r.cpu('b'.repeat(64)), undefined);
  r.close();
});

test("groupCpu(): the trainee group's CPU, read again at every call; inGroup(): whether a container's file is under it", (t) => {
  const OTHER = 'b'.repeat(64);
  const root = tree({
    'cgroup.controllers': 'cpu memory pids\n',
    'islet-trainees/cpu.stat': 'usage_usec 9000\nuser_usec 1\n',
    [`islet-trainees/${ID}/cpu.stat`]: 'usage_usec 4000\n',
    [`system.slice/docker-${OTHER}.scope/cpu.stat`]: 'usage_usec 7\n',
  });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  assert.equal(r.groupCpu(), 9_000_000);
  writeFileSync(join(root, 'islet-trainees/cpu.stat'), 'usage_usec 12000\n');
  assert.equal(r.groupCpu(), 12_000_000, 'read again at every call');
  assert.equal(r.inGroup(ID), false, 'not read yet: not known to be in the group');
  assert.equal(r.cpu(ID), 4_000_000);
  assert.equal(r.cpu(OTHER), 7000);
  assert.equal(r.inGroup(ID), true);
  assert.equal(r.inGroup(OTHER), false, "a container in the engine's own group is not bounded by the trainee group");
  r.close();
  const none = tree({ 'cgroup.controllers': 'cpu\n', [`system.slice/docker-${OTHER}.scope/cpu.stat`]: 'usage_usec 7\n' });
  t.after(() => rmSync(none, { recursive: true }));
  const n = CgroupUsage.detect(none)!;
  assert.equal(n.groupCpu(), undefined, 'no trainee group on this host (runtime.trainee_cpu: engine)');
  assert.equal(n.cpu(OTHER), 7000, 'control: the reader itself works here');
  n.close();
});

test('groupCpu() under cgroup v1: the cpuacct hierarchy', (t) => {
  const root = tree({
    'cpuacct/cpuacct.usage': '1\n',
    'cpuacct/islet-trainees/cpuacct.usage': '31337\n',
    [`cpuacct/islet-trainees/${ID}/cpuacct.usage`]: '5\n',
  });
  t.after(() => rmSync(root, { recursive: true }));
  const r = CgroupUsage.detect(root)!;
  assert.equal(r.groupCpu(), 31337);
  assert.equal(r.cpu(ID), 5);
  assert.equal(r.inGroup(ID), true);
  r.close();
});
