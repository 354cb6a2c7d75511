import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compareVersions, highestVersion, sortVersions } from './version-sort.ts';

test('versions sort as versions, not as text (ContainNSM #17)', () => {
  assert.deepEqual(
    sortVersions(['4.10.0', '4.9.2', '4.99.3', '4.1'], (v) => v),
    ['4.1', '4.9.2', '4.10.0', '4.99.3'],
  );
  assert.equal(highestVersion(['3.4.10', '4.0.17', '4.4.19', '10.0']), '10.0');
  // Control: plain text order would put 4.10.0 before 4.9.2, which the sort must not.
  assert.deepEqual(['4.9.2', '4.10.0'].sort(), ['4.10.0', '4.9.2']);
});

test('Debian rules: epoch, tilde, revision, letters', () => {
  assert.ok(compareVersions('1:3.0.8.2-6', '5.0.2-1') > 0, 'epoch wins');
  assert.ok(compareVersions('1.0~pre4-9', '1.0-1') < 0, 'tilde before release');
  assert.ok(compareVersions('4.99.0-2+deb11u1', '4.99.0-2') > 0);
  assert.ok(compareVersions('3.09b', '3.09') > 0);
  assert.equal(compareVersions('1.01', '1.1'), 0);
});

test('agrees with dpkg --compare-versions on the starter catalogue versions', { skip: !hasDpkg() }, () => {
  const vs = [
    '4.99.0-2+deb11u1',
    '4.99.3-1',
    '4.99.5-2',
    '1:3.0.8.2-6+b1',
    '1:5.0.2+git20250321.41f65e2-2',
    '1.0~pre4-7',
    '1.0~pre4-9+b1',
    '1.47+ds1-2',
    '1.47+ds1-5+b1',
    '0.96-8',
    '0.96-12',
  ];
  for (const a of vs)
    for (const b of vs) {
      const ours = Math.sign(compareVersions(a, b));
      const lt = dpkg(a, 'lt', b);
      const gt = dpkg(a, 'gt', b);
      assert.equal(ours, lt ? -1 : gt ? 1 : 0, `${a} vs ${b}`);
    }
});

function hasDpkg(): boolean {
  try {
    execFileSync('dpkg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
function dpkg(a: string, op: string, b: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', a, op, b]);
    return true;
  } catch {
    return false;
  }
}
