import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { autogroupNice, setAutogroupNice } from './autogroup.ts';

const enabled = (() => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
})();

test('a session gets its own autogroup, and its nice can be lowered and (as root) raised', {
  skip: !enabled ? 'this kernel has no scheduler autogroups (or they are off)' : false,
}, async (t) => {
  // A child in its own session: changing its group leaves the test runner's alone.
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const pid = child.pid!;
  const mine = readFileSync('/proc/self/autogroup', 'utf8').split(' ')[0];
  assert.notEqual(readFileSync(`/proc/${pid}/autogroup`, 'utf8').split(' ')[0], mine, 'a new session is a new group');
  assert.equal(autogroupNice(pid), 0, 'probe reads a fresh group at nice 0');
  assert.equal(setAutogroupNice(pid, 7), 'set');
  assert.equal(autogroupNice(pid), 7);
  assert.equal(setAutogroupNice(pid, 7), 'unchanged');
  if (process.getuid?.() === 0) {
    assert.equal(setAutogroupNice(pid, -4), 'set');
    assert.equal(autogroupNice(pid), -4);
  }
});

test('no such process: absent, never a throw', () => {
  assert.equal(autogroupNice(2 ** 22 + 1), undefined);
  assert.equal(setAutogroupNice(2 ** 22 + 1, 3), 'absent');
});
