import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupPressure, someTotalUs } from './cgroup-pressure.ts';
import { TRAINEE_CPU_GROUP } from './trainee-cpu-group.ts';

const ID = 'e'.repeat(64);
const PSI = (some: number) => `some avg10=0.00 avg60=0.00 avg300=0.00 total=${some}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n`;

test("someTotalUs: the `some` line's total, not the `full` line's; nothing from text without it", () => {
  assert.equal(someTotalUs(PSI(6700)), 6700);
  assert.equal(someTotalUs('full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n'), undefined);
  assert.equal(someTotalUs(''), undefined);
});

test('stalledNs: v2 root, the hybrid unified/ hierarchy and the trainee group; ns from us; a short id, a missing or gone cgroup: undefined', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'islet-cgroup-pressure-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const put = (dir: string, body: string) => {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'cpu.pressure'), body);
  };
  put(`unified/${TRAINEE_CPU_GROUP}/${ID}`, PSI(1500));
  const p = new CgroupPressure([root, join(root, 'unified')]);
  assert.equal(p.stalledNs(ID), 1_500_000, 'hybrid host, in the trainee group');
  put(`unified/${TRAINEE_CPU_GROUP}/${ID}`, PSI(2500));
  assert.equal(p.stalledNs(ID), 2_500_000, 'read afresh each call');
  const other = 'f'.repeat(64);
  put(`docker/${other}`, PSI(42));
  assert.equal(p.stalledNs(other), 42_000, 'cgroup v2 root, the cgroupfs driver');
  assert.equal(p.stalledNs(ID.slice(0, 12)), undefined, 'only full ids become paths');
  assert.equal(p.stalledNs('0'.repeat(64)), undefined, 'no cgroup');
  rmSync(join(root, 'docker', other), { recursive: true });
  assert.equal(p.stalledNs(other), undefined, 'gone');
});
