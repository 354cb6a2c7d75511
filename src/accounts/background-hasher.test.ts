import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { BackgroundHasher } from './background-hasher.ts';
import { verifyPassword } from './password.ts';

test('hashes in a child process at nice 19; the hashes verify', async () => {
  const h = new BackgroundHasher();
  try {
    const [a, b] = await Promise.all([h.hash('first-pw'), h.hash('second-pw')]);
    assert.ok(h.pid && h.pid !== process.pid, 'a separate process');
    assert.equal(getPriority(h.pid), 19, 'idle priority');
    assert.match(a, /^scrypt\$32768\$8\$1\$/);
    assert.equal(await verifyPassword('first-pw', a), true);
    assert.equal(await verifyPassword('second-pw', b), true);
    assert.equal(await verifyPassword('first-pw', b), false);
  } finally {
    await h.close();
  }
});

test('a hashing process that dies loses nothing: its jobs are hashed in process, and a new one starts', async () => {
  const h = new BackgroundHasher();
  try {
    await h.hash('warm-up');
    const pid = h.pid!;
    const jobs = Array.from({ length: 4 }, (_, i) => h.hash(`pw-${i}`));
    process.kill(pid, 'SIGKILL');
    const hashes = await Promise.all(jobs);
    for (const [i, hash] of hashes.entries()) assert.equal(await verifyPassword(`pw-${i}`, hash), true, `job ${i}`);
    const again = await h.hash('after');
    assert.equal(await verifyPassword('after', again), true);
    assert.notEqual(h.pid, pid, 'a new hashing process');
  } finally {
    await h.close();
  }
});
