import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { BackgroundHasher } from './background-hasher.ts';
import { KDF_MALLOC_ENV } from '../os/kdf-malloc.ts';
import { verifyPassword } from './password.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { autogroupNice } from '../os/autogroup.ts';
import { SCHED_IDLE, idleLauncher, schedPolicy } from '../os/idle-policy.ts';
import { forkKdfWorker, procStat } from '../../test/helpers/kdf-worker-client.ts';

test('hashes in a child process at nice 19 and SCHED_IDLE; the hashes verify', async () => {
  const h = new BackgroundHasher();
  try {
    const [a, b] = await Promise.all([h.hash('first-pw'), h.hash('second-pw')]);
    assert.ok(h.pid && h.pid !== process.pid, 'a separate process');
    assert.equal(getPriority(h.pid), 19, 'idle priority');
    assert.ok(idleLauncher(), 'chrt --idle works here (Debian and Ubuntu have util-linux)');
    assert.equal(schedPolicy(h.pid), SCHED_IDLE, 'SCHED_IDLE: its core counts as idle when another thread wakes');
    assert.equal(schedPolicy('self'), 0, 'the probe reads this process as SCHED_OTHER');
    // With autogroups on, the process nice ranks it only inside its session's group: it has its own, at 19.
    if (autogroupNice('self') !== undefined) {
      const group = (pid: number | 'self') => readFileSync(`/proc/${pid}/autogroup`, 'utf8').split(' ')[0];
      assert.notEqual(group(h.pid), group('self'), 'its own session and autogroup');
      assert.equal(autogroupNice(h.pid), 19, "its group's nice");
    }
    // One seal at a time: the child has one libuv pool thread (scrypt runs there), though two jobs were sent at once.
    const pool = readdirSync(`/proc/${h.pid}/task`).filter((t) => readFileSync(`/proc/${h.pid}/task/${t}/comm`, 'utf8').trim() === 'libuv-worker');
    assert.equal(pool.length, 1, 'one libuv pool thread');
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

test('an idle hashing process is let go after idleMs; the next job starts a new one', async () => {
  const h = new BackgroundHasher(undefined, { idleMs: 300 });
  try {
    assert.equal(h.pid, undefined, 'no process before the first job');
    const a = await h.hash('first');
    const pid = h.pid;
    assert.ok(pid, 'a process while there was work');
    // A process kept busy is not let go: a job sent just before the idle time keeps it.
    await new Promise((r) => setTimeout(r, 200));
    await h.hash('second');
    assert.equal(h.pid, pid, 'the same process for a job within the idle time');
    const deadline = Date.now() + 10_000;
    while (h.pid !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.pid, undefined, 'let go after the idle time');
    const alive = () => {
      try {
        process.kill(pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, 'the idle process has exited');
    const b = await h.hash('third');
    assert.ok(h.pid && h.pid !== pid, 'a new process for the next job');
    assert.equal(await verifyPassword('first', a), true);
    assert.equal(await verifyPassword('third', b), true);
  } finally {
    await h.close();
  }
});

test('with a quiet gate, a job waits for it before any hashing process starts; close() ends the wait and the job is still hashed', async () => {
  let open: () => void = () => undefined;
  let asked = 0;
  const h = new BackgroundHasher(undefined, {
    quiet: (signal) =>
      new Promise<void>((resolve) => {
        asked++;
        open = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  });
  try {
    const first = h.hash('gated-pw');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(asked, 1);
    assert.equal(h.pid, undefined, 'no hashing process while the host is busy');
    open();
    assert.equal(await verifyPassword('gated-pw', await first), true);
    assert.ok(h.pid, 'the child hashed it once the gate opened');
    const second = h.hash('closing-pw');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(asked, 2);
    await h.close();
    assert.equal(await verifyPassword('closing-pw', await second), true, 'close() let it through: hashed in process');
  } finally {
    await h.close();
  }
});

test('a quiet answer lets the jobs after it through for quietRunMs without asking again; any other answer is asked each time', async () => {
  const gate = (answer: string) => {
    const g = { asked: 0, quiet: (_signal: AbortSignal) => (g.asked++, Promise.resolve(answer)) };
    return g;
  };
  // The probe first: with no run (quietRunMs 0) every job of three in a row asks.
  const each = gate('quiet');
  const a = new BackgroundHasher(undefined, { quiet: each.quiet, quietRunMs: 0 });
  try {
    for (const pw of ['q1', 'q2', 'q3']) await a.hash(pw);
    assert.equal(each.asked, 3);
  } finally {
    await a.close();
  }
  const run = gate('quiet');
  const b = new BackgroundHasher(undefined, { quiet: run.quiet, quietRunMs: 60_000 });
  try {
    for (const pw of ['r1', 'r2', 'r3']) assert.equal(await verifyPassword(pw, await b.hash(pw)), true);
    assert.equal(run.asked, 1, 'one quiet answer, three seals');
  } finally {
    await b.close();
  }
  const busy = gate('timeout');
  const c = new BackgroundHasher(undefined, { quiet: busy.quiet, quietRunMs: 60_000 });
  try {
    for (const pw of ['t1', 't2']) await c.hash(pw);
    assert.equal(busy.asked, 2, 'a timeout (host never quiet) starts no run');
  } finally {
    await c.close();
  }
});

test("KDF_MALLOC_ENV: a seal reuses the last one's pages instead of faulting in 32 MiB again", async () => {
  // The same worker forked with and without the settings; the third seal's page faults counted in each. Without
  // them the probe must see the 8192 faults of a fresh 32 MiB, or it could not tell the two apart.
  const faultsOfThirdSeal = async (env: Record<string, string>) => {
    const w = forkKdfWorker(env);
    try {
      await w.seal('pw-1');
      await w.seal('pw-2');
      const before = procStat(w.child.pid!).minorFaults;
      await w.seal('pw-3');
      return procStat(w.child.pid!).minorFaults - before;
    } finally {
      w.stop();
    }
  };
  const plain = await faultsOfThirdSeal({});
  assert.ok(plain >= 8000, `without the settings a seal faults in its 32 MiB (${plain} faults)`);
  const kept = await faultsOfThirdSeal(KDF_MALLOC_ENV);
  assert.ok(kept < 1000, `with them the pages are reused (${kept} faults)`);
});
