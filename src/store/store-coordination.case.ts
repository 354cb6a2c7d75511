/**
 * The Store cases for what several ISLET processes coordinate through the store: login throttles and address
 * limits, capacity claims, exclusive runs, leases and instructor sessions. Registered by
 * `storeConformance` (store.case.ts) inside its `describe`; `withStore` gives each case a fresh, empty store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acct, own, T0 } from './store-fixtures.ts';
import type { Store } from './store.ts';

export function storeCoordinationCases(withStore: (fn: (s: Store) => Promise<void>) => () => Promise<void>): void {
  test(
    'login throttles: only for an existing account, round-trip, replaced, listed, cleared',
    withStore(async (s) => {
      await s.createAccount(acct('alice'));
      await s.createAccount(acct('bob'));
      const t = { account: 'bob', failures: [new Date(1), new Date(2)], level: 2, lockedAt: new Date(3), lockedUntil: new Date(4) };
      assert.equal(await s.putLoginThrottle(t), true);
      assert.deepEqual(await s.getLoginThrottle('bob'), t);
      assert.equal(await s.putLoginThrottle({ account: 'alice', failures: [new Date(5)], level: 0 }), true);
      assert.deepEqual(await s.getLoginThrottle('alice'), { account: 'alice', failures: [new Date(5)], level: 0 }, 'no lock times when unlocked');
      assert.equal(await s.putLoginThrottle({ ...t, level: 3 }), true);
      assert.equal((await s.getLoginThrottle('bob'))?.level, 3, 'put replaces');
      assert.equal(await s.putLoginThrottle({ ...t, account: 'nobody' }), false);
      assert.deepEqual(
        (await s.listLoginThrottles()).map((x) => x.account),
        ['alice', 'bob'],
      );
      assert.equal(await s.deleteLoginThrottle('bob'), true);
      assert.equal(await s.deleteLoginThrottle('bob'), false);
      assert.equal(await s.getLoginThrottle('bob'), undefined);
    }),
  );

  test(
    'loginFailed: the throttle rule in one step (counts in the window, locks at the limit, doubles, resets), concurrent failures all count',
    withStore(async (s) => {
      await s.createAccount(acct('alice'));
      const lim = { failures: 3, windowMs: 1000, firstLockMs: 60_000, maxLockMs: 200_000, levelResetMs: 86_400_000 };
      assert.equal(await s.loginFailed('nobody', new Date(10), lim), undefined, 'an unknown name is never tracked');
      assert.equal(await s.getLoginThrottle('nobody'), undefined);
      assert.deepEqual(await s.loginFailed('alice', new Date(10), lim), { newlyLocked: false, failures: 1, level: 0 });
      assert.deepEqual(await s.loginFailed('alice', new Date(1500), lim), { newlyLocked: false, failures: 1, level: 0 }, 'the first left the window');
      assert.deepEqual(await s.loginFailed('alice', new Date(1600), lim), { newlyLocked: false, failures: 2, level: 0 });
      assert.deepEqual(await s.loginFailed('alice', new Date(1700), lim), { newlyLocked: true, failures: 0, level: 1, lockedUntil: new Date(61_700) });
      assert.deepEqual(
        await s.loginFailed('alice', new Date(1800), lim),
        { newlyLocked: false, failures: 0, level: 1, lockedUntil: new Date(61_700) },
        'while locked',
      );
      assert.deepEqual(await s.getLoginThrottle('alice'), {
        account: 'alice',
        failures: [],
        level: 1,
        lockedAt: new Date(1700),
        lockedUntil: new Date(61_700),
      });
      for (const t of [70_000, 70_001]) await s.loginFailed('alice', new Date(t), lim);
      const second = await s.loginFailed('alice', new Date(70_002), lim);
      assert.deepEqual(second, { newlyLocked: true, failures: 0, level: 2, lockedUntil: new Date(70_002 + 120_000) }, 'the next lock doubles');
      for (const t of [200_000, 200_001]) await s.loginFailed('alice', new Date(t), lim);
      assert.equal((await s.loginFailed('alice', new Date(200_002), lim))?.lockedUntil?.getTime(), 200_002 + 200_000, 'capped');
      const resetAt = 200_002 + 86_400_000 + 1;
      await s.loginFailed('alice', new Date(resetAt), lim);
      assert.deepEqual(await s.loginFailed('alice', new Date(resetAt + 1), lim), { newlyLocked: false, failures: 2, level: 0 }, 'a day after the lock');
      assert.equal(await s.deleteLoginThrottle('alice'), true);
      // Six at once (two servers sharing a store do this): every one counts, exactly one starts the lock.
      const big = { ...lim, failures: 6, windowMs: 10_000 };
      const outs = await Promise.all(Array.from({ length: 6 }, (_, i) => s.loginFailed('alice', new Date(500_000 + i), big)));
      assert.equal(outs.filter((o) => o?.newlyLocked).length, 1);
    }),
  );

  test(
    'addressEvent: counted per kind and address in a sliding window, a limit never overshot even at once, a cap on what is kept',
    withStore(async (s) => {
      const ev = (key: string, now: number, limit = 0, cap = 0) => s.addressEvent({ kind: 'k', key, now: new Date(now), windowMs: 1000, limit, cap });
      assert.deepEqual(await ev('a', 10), { times: [10], recorded: true });
      assert.deepEqual(await ev('a', 20), { times: [10, 20], recorded: true });
      assert.deepEqual(await ev('b', 20), { times: [20], recorded: true }, 'another address');
      assert.deepEqual(await s.addressEvent({ kind: 'other', key: 'a', now: new Date(20), windowMs: 1000 }), { times: [20], recorded: true }, 'another kind');
      assert.deepEqual(await ev('a', 1015), { times: [20, 1015], recorded: true }, 'the first left the window');
      assert.equal(await s.countAddressEvents('k', 'a', new Date(19)), 2);
      assert.equal(await s.countAddressEvents('k', 'a', new Date(20)), 1);
      assert.deepEqual(await ev('a', 1016, 2), { times: [20, 1015], recorded: false }, 'at the limit: not recorded');
      assert.deepEqual(await ev('a', 1021, 2), { times: [1015, 1021], recorded: true }, 'the limit counts the window only');
      assert.deepEqual(await ev('c', 1, 0, 2), { times: [1], recorded: true });
      await ev('c', 2, 0, 2);
      assert.deepEqual(await ev('c', 3, 0, 2), { times: [2, 3], recorded: true }, 'the cap keeps the newest');
      const at = await Promise.all(Array.from({ length: 10 }, (_, i) => ev('d', 5000 + i, 3)));
      assert.equal(at.filter((r) => r.recorded).length, 3, 'ten at once for three places');
      // A room behind one address: each creation writes one row, yet the window and the cap still hold.
      const room = (now: number) => s.addressEvent({ kind: 'room', key: 'nat', now: new Date(now), windowMs: 10_000, limit: 300, cap: 300 });
      for (let i = 0; i < 300; i++) assert.equal((await room(100 + i)).recorded, true);
      const full = await room(500);
      assert.deepEqual([full.recorded, full.times.length, full.times[0], full.times.at(-1)], [false, 300, 100, 399], 'the 301st in the window is refused');
      const slid = await room(10_100);
      assert.deepEqual([slid.recorded, slid.times.length, slid.times[0], slid.times.at(-1)], [true, 300, 101, 10_100], 'one left the window, one came in');
    }),
  );

  test(
    'capacity: claims count with running containers, in all and per account; released and expired claims free their place',
    withStore(async (s) => {
      await s.createAccount(acct('alice'));
      await s.createAccount(acct('bob'));
      await s.putOwnership(own('alice', 'demo'));
      await s.markStarted('alice', 'demo', new Date(T0));
      const now = new Date(T0);
      const later = new Date(T0 + 60_000);
      const claim = (id: string, account: string, maxContainers: number, maxPerAccount = 0, at = now, expiresAt = later) =>
        s.claimCapacity({ id, account, maxContainers, maxPerAccount, now: at, expiresAt });
      assert.equal(await claim('c1', 'bob', 2), 'ok', '1 running + 0 claims < 2');
      assert.equal(await claim('c2', 'bob', 2), 'full', '1 running + 1 claim = 2');
      assert.equal(await claim('c2', 'bob', 3, 1), 'account_full', "bob's claim counts against bob");
      assert.equal(await claim('c3', 'alice', 0, 1), 'account_full', "alice's running container counts against alice");
      assert.equal(await claim('c3', 'alice', 0, 2), 'ok', 'control: under her limit, no limit in all');
      await s.releaseCapacity('c1');
      await s.releaseCapacity('never');
      assert.equal(await claim('c4', 'bob', 3), 'ok', 'a released claim frees its place: 1 running + c3 + c4 = 3');
      assert.equal(await claim('c5', 'bob', 3), 'full');
      const afterExpiry = new Date(later.getTime() + 1);
      assert.equal(await claim('c5', 'bob', 2, 0, afterExpiry, new Date(afterExpiry.getTime() + 60_000)), 'ok', 'expired claims no longer count');
      await s.markStopped('alice', 'demo', 'x');
      assert.equal(await claim('c6', 'alice', 0, 1, afterExpiry), 'ok', 'a stopped container no longer counts');
    }),
  );

  test(
    'exclusive: one run per key at a time, in order; other keys do not wait; an error releases the key',
    withStore(async (s) => {
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let entered!: () => void;
      const inFirst = new Promise<void>((r) => {
        entered = r;
      });
      const first = s.exclusive('alice\0demo', async () => {
        seen.push('first in');
        entered();
        await gate;
        seen.push('first out');
        throw new Error('first fails');
      });
      await inFirst;
      const second = s.exclusive('alice\0demo', async () => {
        seen.push('second');
        return 2;
      });
      const other = await s.exclusive('bob\0demo', async () => {
        seen.push('other key');
        return 3;
      });
      assert.equal(other, 3);
      assert.deepEqual(seen, ['first in', 'other key'], 'the other key ran while the first holds its key; the second waits');
      release();
      await assert.rejects(first, /first fails/);
      assert.equal(await second, 2);
      assert.deepEqual(seen, ['first in', 'other key', 'first out', 'second']);
    }),
  );

  test(
    'leases: one holder at a time, renewed by its holder, taken over once expired, given up by its holder only; listed by prefix',
    withStore(async (s) => {
      const at = (ms: number) => new Date(T0 + ms);
      assert.equal(await s.acquireLease('reconciler', 'a', at(0), at(10_000)), true);
      assert.equal(await s.acquireLease('reconciler', 'b', at(5_000), at(15_000)), false, 'held by a');
      assert.equal(await s.acquireLease('other', 'b', at(5_000), at(15_000)), true, 'another lease is free');
      assert.equal(await s.acquireLease('reconciler', 'a', at(5_000), at(15_000)), true, 'a renews');
      assert.equal(await s.acquireLease('reconciler', 'b', at(12_000), at(22_000)), false, 'the renewal holds past the first expiry');
      assert.equal(await s.acquireLease('reconciler', 'b', at(15_000), at(25_000)), true, 'a stopped renewing: b takes over');
      assert.equal(await s.acquireLease('reconciler', 'a', at(16_000), at(26_000)), false, 'a lost it');
      await s.releaseLease('reconciler', 'a');
      assert.equal(await s.acquireLease('reconciler', 'a', at(17_000), at(27_000)), false, 'only the holder gives it up');
      await s.releaseLease('reconciler', 'b');
      assert.equal(await s.acquireLease('reconciler', 'a', at(17_000), at(27_000)), true, 'given up: free at once');
      // Listed by prefix as written (`_` and `%` are no wildcards), expired ones too.
      assert.equal(await s.acquireLease('pool-claim:c1', 'x.demo.ann', at(0), at(1)), true);
      assert.equal(await s.acquireLease('pool-claim:c2', 'x.demo.bob', at(0), at(100_000)), true);
      assert.equal(await s.acquireLease('pool_claim:c3', 'x.demo.cy', at(0), at(100_000)), true);
      assert.equal(await s.acquireLease('pool-claim%', 'x.demo.di', at(0), at(100_000)), true);
      assert.deepEqual(await s.listLeases('pool-claim:'), [
        { name: 'pool-claim:c1', holder: 'x.demo.ann' },
        { name: 'pool-claim:c2', holder: 'x.demo.bob' },
      ]);
      assert.deepEqual(await s.listLeases('nothing:'), []);
    }),
  );

  test(
    'instructor sessions (by token hash: round-trip, replaced, ended one, by instructor, expired) and back-off (no account needed)',
    withStore(async (s) => {
      const a = { tokenHash: 'h-a', instructor: 'ada', credential: 'fp1', expiresAt: new Date(T0 + 1000) };
      const b = { tokenHash: 'h-b', instructor: 'bob', credential: 'fp2', expiresAt: new Date(T0 + 5000) };
      const c = { tokenHash: 'h-c', instructor: 'ada', credential: 'fp1', expiresAt: new Date(T0 + 9000) };
      for (const x of [a, b, c]) await s.putInstructorSession(x);
      assert.deepEqual(await s.getInstructorSession('h-a'), a);
      assert.equal(await s.getInstructorSession('h-x'), undefined);
      await s.putInstructorSession({ ...b, credential: 'fp3' });
      assert.equal((await s.getInstructorSession('h-b'))?.credential, 'fp3', 'put replaces');
      assert.equal(await s.deleteInstructorSessions({ expiredAt: new Date(T0 + 1000) }), 1, 'expired at that time: a only');
      assert.equal(await s.getInstructorSession('h-a'), undefined);
      assert.equal(await s.deleteInstructorSessions({ tokenHash: 'h-b' }), 1);
      assert.equal(await s.deleteInstructorSessions({ tokenHash: 'h-b' }), 0);
      assert.deepEqual(await s.getInstructorSession('h-c'), c, 'the others stay');
      assert.equal(await s.deleteInstructorSessions({ instructor: 'ada' }), 1);
      assert.equal(await s.getInstructorSession('h-c'), undefined);
      // The back-off of an instructor, who is no account; apart from the accounts' throttles.
      const t = { account: 'ada', failures: [new Date(1), new Date(2)], level: 2, lockedAt: new Date(3), lockedUntil: new Date(4) };
      await s.putInstructorThrottle(t);
      assert.deepEqual(await s.getInstructorThrottle('ada'), t);
      assert.equal(await s.getLoginThrottle('ada'), undefined, 'not an account throttle');
      await s.putInstructorThrottle({ account: 'ada', failures: [new Date(5)], level: 0 });
      const unlocked = { account: 'ada', failures: [new Date(5)], level: 0 };
      assert.deepEqual(await s.getInstructorThrottle('ada'), unlocked, 'put replaces; no lock times when unlocked');
      assert.equal(await s.deleteInstructorThrottle('ada'), true);
      assert.equal(await s.deleteInstructorThrottle('ada'), false);
      assert.equal(await s.getInstructorThrottle('ada'), undefined);
    }),
  );
}
