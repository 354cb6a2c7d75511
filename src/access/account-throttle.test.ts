import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite-store.ts';
import { AccountThrottle, LEVEL_RESET_MS } from './account-throttle.ts';

const MIN = 60_000;
const limits = { failures: 10, windowSeconds: 900, firstLockSeconds: 60, maxLockSeconds: 3600 };

async function setup(names = ['alice', 'bob']) {
  const store = new SqliteStore(':memory:');
  for (const name of names) await store.createAccount({ name, passwordHash: 'x', createdAt: new Date(0), expiresAt: new Date(1e13) });
  const clock = { now: 1_000_000 };
  return {
    store,
    clock,
    t: new AccountThrottle(
      store,
      () => limits,
      () => clock.now,
    ),
  };
}

test('10 wrong passwords in 15 minutes lock the account for 1 minute; 9 do not; other accounts are untouched', async () => {
  const { t, clock } = await setup();
  for (let i = 1; i <= 9; i++) {
    clock.now += 1000;
    assert.equal((await t.failed('alice')).newlyLocked, false, `failure ${i}`);
  }
  assert.equal(await t.lockedUntil('alice'), undefined);
  const tenth = await t.failed('alice');
  assert.equal(tenth.newlyLocked, true);
  assert.equal(tenth.lockedUntil?.getTime(), clock.now + MIN);
  assert.equal((await t.lockedUntil('alice'))?.getTime(), clock.now + MIN);
  assert.equal(await t.lockedUntil('bob'), undefined, 'another account is not affected');
  clock.now += MIN + 1;
  assert.equal(await t.lockedUntil('alice'), undefined, 'over after the lock');
});

test('failures older than the window do not count', async () => {
  const { t, clock } = await setup();
  for (let i = 0; i < 30; i++) {
    clock.now += 2 * MIN;
    assert.equal((await t.failed('alice')).newlyLocked, false);
  }
});

test('each lock in a row lasts twice the one before: 1, 2, 4 … capped at 60 minutes', async () => {
  const { t, clock } = await setup();
  const lengths: number[] = [];
  for (let lock = 0; lock < 9; lock++) {
    let r;
    for (let i = 0; i < 10; i++) {
      clock.now += 1000;
      r = await t.failed('alice');
    }
    lengths.push((r!.lockedUntil!.getTime() - clock.now) / MIN);
    clock.now = r!.lockedUntil!.getTime() + 1;
  }
  assert.deepEqual(lengths, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
});

test('failures while locked change nothing; a right password or a quiet day starts the back-off over', async () => {
  const { t, clock } = await setup();
  const lockOnce = async () => {
    let r;
    for (let i = 0; i < 10; i++) {
      clock.now += 1000;
      r = await t.failed('alice');
    }
    return r!;
  };
  const first = await lockOnce();
  assert.equal((await t.failed('alice')).lockedUntil?.getTime(), first.lockedUntil!.getTime(), 'a failure while locked does not extend the lock');
  clock.now = first.lockedUntil!.getTime() + 1;
  assert.equal((await lockOnce()).level, 2);
  clock.now += 3 * MIN;
  await t.succeeded('alice');
  assert.equal((await lockOnce()).level, 1, 'the owner logged in: back to 1 minute');
  clock.now += LEVEL_RESET_MS + 1;
  assert.equal((await lockOnce()).level, 1, 'a day after the last lock: back to 1 minute');
});

test('the lock lives in the store: another AccountThrottle (a restart, the CLI) sees it and unlock clears it', async () => {
  const { t, store, clock } = await setup();
  for (let i = 0; i < 10; i++) await t.failed('alice');
  const other = new AccountThrottle(
    store,
    () => limits,
    () => clock.now,
  );
  assert.ok(await other.lockedUntil('alice'));
  assert.deepEqual(
    (await other.locked()).map((x) => x.account),
    ['alice'],
  );
  assert.equal(await other.unlock('alice'), true);
  assert.equal(await t.lockedUntil('alice'), undefined);
  assert.equal(await other.unlock('alice'), false, 'nothing left to clear');
});

test('unknown names are never stored (nobody fills the table by guessing names); a deleted account takes its state along', async () => {
  const { t, store } = await setup();
  for (let i = 0; i < 20; i++) await t.failed('nobody');
  assert.equal(await t.lockedUntil('nobody'), undefined);
  assert.deepEqual(await store.listLoginThrottles(), []);
  await t.failed('alice');
  assert.equal((await store.listLoginThrottles()).length, 1);
  await store.deleteAccount('alice');
  assert.deepEqual(await store.listLoginThrottles(), []);
});
