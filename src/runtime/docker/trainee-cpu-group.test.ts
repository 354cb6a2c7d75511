import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuHierarchy, groupForEngine, prepareTraineeCpuGroup, TRAINEE_CPU_PARENT, traineeGroupFiles } from './trainee-cpu-group.ts';

// A fake cgroup root: files are plain files here, so the group's cpu.idle is made by the test (the kernel makes it on
// mkdir); the module must never create it (`r+`), which the "kernel without cpu.idle" case checks.
function root(layout: 'v1' | 'v2' | 'none', opts: { idle?: boolean; cpuEnabled?: boolean } = {}): string {
  const r = mkdtempSync(join(tmpdir(), 'islet-cg-'));
  const group = layout === 'v1' ? join(r, 'cpu', 'islet-trainees') : join(r, 'islet-trainees');
  if (layout === 'v1') {
    mkdirSync(join(r, 'cpu'));
    writeFileSync(join(r, 'cpu', 'cpu.shares'), '1024\n');
  }
  if (layout === 'v2') {
    writeFileSync(join(r, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(r, 'cgroup.subtree_control'), opts.cpuEnabled === false ? 'memory pids\n' : 'cpu memory pids\n');
  }
  if (opts.idle !== false && layout !== 'none') {
    mkdirSync(group);
    writeFileSync(join(group, 'cpu.idle'), '0\n');
  }
  return r;
}

test('cgroup v1: the group under the cpu controller is marked idle and given as /islet-trainees', () => {
  const r = root('v1');
  try {
    assert.equal(cpuHierarchy(r), join(r, 'cpu'));
    assert.deepEqual(prepareTraineeCpuGroup(r), { parent: TRAINEE_CPU_PARENT });
    assert.equal(readFileSync(join(r, 'cpu', 'islet-trainees', 'cpu.idle'), 'utf8').trim(), '1');
    // Idempotent.
    assert.deepEqual(prepareTraineeCpuGroup(r), { parent: '/islet-trainees' });
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('cgroup v2: marked idle when the cpu controller is enabled for the root children; a reason when it is not', () => {
  const r = root('v2');
  const off = root('v2', { cpuEnabled: false });
  try {
    assert.deepEqual(prepareTraineeCpuGroup(r), { parent: '/islet-trainees' });
    assert.equal(readFileSync(join(r, 'islet-trainees', 'cpu.idle'), 'utf8').trim(), '1');
    const res = prepareTraineeCpuGroup(off);
    assert.ok('reason' in res && /cpu controller is not enabled/.test(res.reason), JSON.stringify(res));
    assert.equal(readFileSync(join(off, 'islet-trainees', 'cpu.idle'), 'utf8'), '0\n', 'nothing written');
  } finally {
    rmSync(r, { recursive: true, force: true });
    rmSync(off, { recursive: true, force: true });
  }
});

test('a kernel without cpu.idle, or no cpu controller: a reason, and no cpu.idle file made', () => {
  const old = root('v1', { idle: false });
  const none = root('none');
  try {
    const res = prepareTraineeCpuGroup(old);
    assert.ok('reason' in res && /cpu\.idle is missing/.test(res.reason), JSON.stringify(res));
    assert.throws(() => readFileSync(join(old, 'cpu', 'islet-trainees', 'cpu.idle')), /ENOENT/);
    const res2 = prepareTraineeCpuGroup(none);
    assert.ok('reason' in res2 && /no cpu controller/.test(res2.reason), JSON.stringify(res2));
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(none, { recursive: true, force: true });
  }
});

test('groupForEngine: prepared for the cgroupfs driver only; the systemd driver gets a reason and nothing is written', () => {
  const r = root('v1');
  try {
    const res = groupForEngine('systemd', r);
    assert.ok('reason' in res && /systemd, not cgroupfs/.test(res.reason), JSON.stringify(res));
    assert.equal(readFileSync(join(r, 'cpu', 'islet-trainees', 'cpu.idle'), 'utf8'), '0\n', 'nothing written');
    assert.deepEqual(groupForEngine('cgroupfs', r), { parent: '/islet-trainees' });
    assert.equal(readFileSync(join(r, 'cpu', 'islet-trainees', 'cpu.idle'), 'utf8').trim(), '1');
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('traineeGroupFiles: the idle mark it names is the one prepareTraineeCpuGroup writes, in each layout; the CPU time where each kernel keeps it', () => {
  for (const layout of ['v1', 'v2'] as const) {
    const r = root(layout);
    try {
      const f = traineeGroupFiles(r, layout);
      assert.equal(readFileSync(f.idle, 'utf8').trim(), '0', 'the probe: the file is there, unmarked');
      assert.deepEqual(prepareTraineeCpuGroup(r), { parent: TRAINEE_CPU_PARENT });
      assert.equal(readFileSync(f.idle, 'utf8').trim(), '1', layout);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  }
  assert.deepEqual(traineeGroupFiles('/cg', 'v2'), {
    cpuDir: '/cg/islet-trainees',
    cpu: '/cg/islet-trainees/cpu.stat',
    pressure: '/cg/islet-trainees/cpu.pressure',
    idle: '/cg/islet-trainees/cpu.idle',
  });
  assert.deepEqual(traineeGroupFiles('/cg', 'v1', 'g'), {
    cpuDir: '/cg/cpuacct/g',
    cpu: '/cg/cpuacct/g/cpuacct.usage',
    pressure: '/cg/unified/g/cpu.pressure',
    idle: '/cg/cpu/g/cpu.idle',
  });
});
