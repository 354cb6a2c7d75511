import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traineeGroupIo } from './trainee-group-io.ts';

const PRESSURE = 'some avg10=28.03 avg60=26.02 avg300=25.05 total=1494047\nfull avg10=27.93 avg60=21.97 avg300=19.24 total=1201340\n';

// Fake cgroup roots: plain files, the group's cpu.idle made by the test as the kernel makes it on mkdir.
function fake(layout: 'v1' | 'v2', files: boolean): string {
  const r = mkdtempSync(join(tmpdir(), 'islet-cgio-'));
  const put = (dir: string, name: string, text: string) => {
    mkdirSync(dir, { recursive: true });
    if (files) writeFileSync(join(dir, name), text);
  };
  if (layout === 'v2') {
    writeFileSync(join(r, 'cgroup.controllers'), 'cpu memory pids\n');
    const g = join(r, 'islet-trainees');
    put(g, 'cpu.stat', 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n');
    put(g, 'cpu.pressure', PRESSURE);
    put(g, 'cpu.idle', '1\n');
  } else {
    put(join(r, 'cpu', 'islet-trainees'), 'cpu.idle', '1\n');
    put(join(r, 'cpuacct', 'islet-trainees'), 'cpuacct.usage', '987654321\n');
    put(join(r, 'unified', 'islet-trainees'), 'cpu.pressure', PRESSURE);
  }
  return r;
}

for (const layout of ['v1', 'v2'] as const) {
  test(`cgroup ${layout}: the group's CPU time, its waiting (PSI some total) and its idle mark`, () => {
    const r = fake(layout, true);
    try {
      const io = traineeGroupIo(r);
      assert.ok(io);
      assert.equal(io.usedNs(), layout === 'v2' ? 123_456_000 : 987_654_321);
      assert.equal(io.waitedNs(), 1_494_047_000, 'the some line, not the full one');
      const idle = layout === 'v2' ? join(r, 'islet-trainees', 'cpu.idle') : join(r, 'cpu', 'islet-trainees', 'cpu.idle');
      assert.equal(io.setIdle(false), true);
      assert.equal(readFileSync(idle, 'utf8').trim(), '0');
      assert.equal(io.setIdle(true), true);
      assert.equal(readFileSync(idle, 'utf8').trim(), '1');
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });

  test(`cgroup ${layout}: without the files nothing is read and the mark is never created`, () => {
    const r = fake(layout, false);
    try {
      const io = traineeGroupIo(r);
      assert.ok(io);
      assert.equal(io.usedNs(), undefined);
      assert.equal(io.waitedNs(), undefined);
      assert.equal(io.setIdle(false), false);
    } finally {
      rmSync(r, { recursive: true, force: true });
    }
  });
}

test('neither layout: no io', () => {
  const r = mkdtempSync(join(tmpdir(), 'islet-cgio-'));
  try {
    assert.equal(traineeGroupIo(r), undefined);
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});
