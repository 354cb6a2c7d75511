import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SCHED_IDLE, idleLauncher, schedPolicy } from './idle-policy.ts';

test('schedPolicy reads a normal process as SCHED_OTHER, and one started by idleLauncher as SCHED_IDLE', async (t) => {
  assert.equal(schedPolicy('self'), 0, 'the probe reads the test runner as SCHED_OTHER');
  const chrt = idleLauncher();
  // Debian and Ubuntu always have util-linux's chrt; without it the hasher falls back to nice 19 (its own test).
  assert.ok(chrt, 'chrt --idle works on this host');
  const child = spawn(chrt, ['--idle', '0', 'sleep', '30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  // chrt execs sleep in the same process: wait until it has.
  for (let i = 0; i < 100 && schedPolicy(child.pid!) !== SCHED_IDLE; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(schedPolicy(child.pid!), SCHED_IDLE);
});

test('schedPolicy answers undefined for a process that does not exist', () => {
  assert.equal(schedPolicy(2 ** 22 + 7), undefined);
});
