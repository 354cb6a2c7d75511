import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDirLock } from './dir-lock.ts';

test("holders of one lock take turns; a dead owner's lock is taken over", async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'islet-lock-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const lock = join(d, 'x.lock');
  const events: string[] = [];
  const run = (n: string): Promise<void> =>
    withDirLock(lock, async () => {
      events.push(`${n}+`);
      await new Promise((r) => setTimeout(r, 50));
      events.push(`${n}-`);
    });
  await Promise.all([run('a'), run('b')]);
  assert.deepEqual(events, ['a+', 'a-', 'b+', 'b-']);
  // A lock left by a process that no longer exists (pid 2^22+ is above pid_max's default).
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), '4194999');
  assert.equal(await withDirLock(lock, async () => 'taken', { waitMs: 5000 }), 'taken');
  // Control: a lock held by a live process (this one) is not taken over.
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), String(process.pid));
  await assert.rejects(
    withDirLock(lock, async () => 'no', { waitMs: 700 }),
    /still held/,
  );
});
