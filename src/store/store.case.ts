/**
 * Store-agnostic case suite: every Store (SQLite now, the in-memory one for
 * unit tests, PostgreSQL later) runs it in a colocated test:
 *
 *   storeConformance('SqliteStore', () => new SqliteStore(':memory:'));
 *
 * Each test gets a fresh, empty store from `makeStore` and closes it. What
 * survives a reopening is the implementation's own test (a file for SQLite).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IsletError } from '../core/islet-error.ts';
import type { Account, Store } from './store.ts';

const T0 = 1_700_000_000_000;
const acct = (name: string, created = T0): Account => ({
  name,
  passwordHash: `scrypt$${name}`,
  createdAt: new Date(created),
  expiresAt: new Date(created + 86_400_000),
});
const own = (account: string, environment: string, containerId = `c-${account}-${environment}`) => ({
  account,
  environment,
  containerId,
  containerName: `islet.${environment}.${account}`,
  createdAt: new Date(T0),
});

export function storeConformance(name: string, makeStore: () => Store | Promise<Store>): void {
  const withStore = (fn: (s: Store) => Promise<void>) => async () => {
    const s = await makeStore();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`Store cases: ${name}`, () => {
    test(
      'accounts: created once (a taken name is refused, not overwritten), read, listed by name, changed, deleted',
      withStore(async (s) => {
        assert.equal(await s.createAccount(acct('bob')), true);
        assert.equal(await s.createAccount(acct('alice')), true);
        assert.equal(await s.createAccount({ ...acct('alice', 5), passwordHash: 'other' }), false);
        assert.deepEqual(await s.getAccount('alice'), acct('alice'));
        assert.equal(await s.getAccount('nobody'), undefined);
        assert.deepEqual(
          (await s.listAccounts()).map((a) => a.name),
          ['alice', 'bob'],
        );
        assert.equal(await s.setExpiry('alice', new Date(42)), true);
        assert.equal((await s.getAccount('alice'))?.expiresAt.getTime(), 42);
        assert.equal(await s.setPasswordHash('alice', 'scrypt$new'), true);
        assert.equal((await s.getAccount('alice'))?.passwordHash, 'scrypt$new');
        assert.equal(await s.setExpiry('nobody', new Date(1)), false);
        assert.equal(await s.setPasswordHash('nobody', 'x'), false);
        assert.equal(await s.deleteAccount('alice'), true);
        assert.equal(await s.deleteAccount('alice'), false);
        assert.deepEqual(
          (await s.listAccounts()).map((a) => a.name),
          ['bob'],
        );
      }),
    );

    test(
      'names are exact: case-sensitive, and hostile text is stored and found literally',
      withStore(async (s) => {
        const evil = "x'); DROP TABLE accounts; --";
        assert.equal(await s.createAccount(acct('alice')), true);
        assert.equal(await s.createAccount(acct('Alice')), true, 'usernames are case-sensitive');
        assert.equal(await s.createAccount(acct(evil)), true);
        assert.equal((await s.getAccount(evil))?.name, evil);
        assert.equal(await s.getAccount('ALICE'), undefined);
        assert.equal((await s.listAccounts()).length, 3);
      }),
    );

    test(
      'ownership: one row per (account, environment), replaced by put, listed in order; only for an existing account',
      withStore(async (s) => {
        await s.createAccount(acct('alice'));
        await s.createAccount(acct('bob'));
        await s.putOwnership(own('bob', 'demo'));
        await s.putOwnership(own('alice', 'web'));
        await s.putOwnership(own('alice', 'demo', 'c1'));
        await s.putOwnership(own('alice', 'demo', 'c2'));
        assert.deepEqual(await s.getOwnership('alice', 'demo'), { ...own('alice', 'demo', 'c2'), state: 'stopped' }, 'put replaces; state defaults to stopped');
        assert.deepEqual(
          (await s.listOwnership()).map((o) => `${o.account}/${o.environment}`),
          ['alice/demo', 'alice/web', 'bob/demo'],
        );
        assert.deepEqual(
          (await s.listOwnership('alice')).map((o) => o.environment),
          ['demo', 'web'],
        );
        assert.deepEqual(await s.listOwnership('nobody'), []);
        await assert.rejects(s.putOwnership(own('nobody', 'demo')), (e: unknown) => e instanceof IsletError && e.code === 'STORE_FAILED');
        await s.deleteOwnership('alice', 'web');
        assert.equal(await s.getOwnership('alice', 'web'), undefined);
        const full = { ...own('bob', 'demo'), state: 'running' as const, startedAt: new Date(1), lastSeenAt: new Date(2), stopReason: 'x' };
        await s.putOwnership(full);
        assert.deepEqual(await s.getOwnership('bob', 'demo'), full, 'every field round-trips');
      }),
    );

    test(
      'marks: started (running, times, reason cleared), seen, stopped (the first reason wins); counted per account',
      withStore(async (s) => {
        await s.createAccount(acct('alice'));
        await s.createAccount(acct('bob'));
        await s.putOwnership(own('alice', 'demo'));
        await s.putOwnership(own('alice', 'web'));
        await s.putOwnership(own('bob', 'demo'));
        assert.equal(await s.countRunning(), 0);
        await s.markStarted('alice', 'demo', new Date(10));
        await s.markStarted('alice', 'web', new Date(11));
        await s.markStarted('bob', 'demo', new Date(12));
        assert.deepEqual([await s.countRunning(), await s.countRunning('alice'), await s.countRunning('bob'), await s.countRunning('nobody')], [3, 2, 1, 0]);
        const o = await s.getOwnership('alice', 'demo');
        assert.deepEqual([o?.state, o?.startedAt?.getTime(), o?.lastSeenAt?.getTime(), o?.stopReason], ['running', 10, 10, undefined]);
        await s.markSeen('alice', 'demo', new Date(20));
        assert.equal((await s.getOwnership('alice', 'demo'))?.lastSeenAt?.getTime(), 20);
        assert.equal((await s.getOwnership('alice', 'demo'))?.startedAt?.getTime(), 10, 'seen leaves the start time');
        await s.markStopped('alice', 'demo', 'idle: 10 min');
        await s.markStopped('alice', 'demo', 'shell exited');
        assert.deepEqual([(await s.getOwnership('alice', 'demo'))?.state, (await s.getOwnership('alice', 'demo'))?.stopReason], ['stopped', 'idle: 10 min']);
        assert.deepEqual([await s.countRunning(), await s.countRunning('alice')], [2, 1]);
        await s.markStarted('alice', 'demo', new Date(30));
        assert.equal((await s.getOwnership('alice', 'demo'))?.stopReason, undefined, 'a new start clears the reason');
        await s.markStarted('nobody', 'demo', new Date(1));
        await s.markSeen('nobody', 'demo', new Date(1));
        await s.markStopped('nobody', 'demo', 'x');
        assert.equal(await s.getOwnership('nobody', 'demo'), undefined, 'marks never create rows');
      }),
    );

    test(
      'keys: only for an existing account, once per key, listed in the order added',
      withStore(async (s) => {
        await s.createAccount(acct('alice'));
        const key = (data: string, at: number) => ({ account: 'alice', algo: 'ssh-ed25519', data, comment: `k${at}`, addedAt: new Date(at) });
        assert.equal(await s.addKey(key('AAAB', 2)), true);
        assert.equal(await s.addKey(key('AAAA', 1)), true);
        assert.equal(await s.addKey(key('AAAB', 3)), false, 'the same key twice');
        assert.equal(await s.addKey({ ...key('AAAC', 1), account: 'nobody' }), false);
        assert.deepEqual(await s.listKeys('alice'), [key('AAAA', 1), key('AAAB', 2)]);
        assert.deepEqual(await s.listKeys('nobody'), []);
      }),
    );

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
      'getLoginAccount and getAccountAndOwnership: one read of what a login and a start read, equal to the separate reads',
      withStore(async (s) => {
        await s.createAccount({ ...acct('alice'), environments: ['demo'] });
        await s.createAccount(acct('bob'));
        assert.deepEqual(await s.getLoginAccount('alice'), { account: await s.getAccount('alice') }, 'no throttle row');
        const t = { account: 'alice', failures: [new Date(1)], level: 1, lockedAt: new Date(2), lockedUntil: new Date(3) };
        await s.putLoginThrottle(t);
        assert.deepEqual(await s.getLoginAccount('alice'), { account: await s.getAccount('alice'), throttle: t });
        assert.equal(await s.getLoginAccount('nobody'), undefined);
        assert.deepEqual(await s.getAccountAndOwnership('alice', 'demo'), { account: await s.getAccount('alice') }, 'no row yet');
        await s.putOwnership({ account: 'alice', environment: 'demo', containerId: 'c1', containerName: 'x', createdAt: new Date(5) });
        await s.markStarted('alice', 'demo', new Date(6));
        await s.putOwnership({ account: 'bob', environment: 'demo', containerId: 'c2', containerName: 'y', createdAt: new Date(5) });
        assert.deepEqual(await s.getAccountAndOwnership('alice', 'demo'), {
          account: await s.getAccount('alice'),
          ownership: await s.getOwnership('alice', 'demo'),
        });
        assert.deepEqual(await s.getAccountAndOwnership('alice', 'other'), { account: await s.getAccount('alice') });
        assert.deepEqual(await s.getAccountAndOwnership('nobody', 'demo'), {});
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
      "deleting an account takes its ownership rows, keys and throttle with it, and nobody else's",
      withStore(async (s) => {
        await s.createAccount(acct('alice'));
        await s.createAccount(acct('bob'));
        for (const a of ['alice', 'bob']) {
          await s.putOwnership(own(a, 'demo'));
          await s.markStarted(a, 'demo', new Date(1));
          await s.addKey({ account: a, algo: 'ssh-ed25519', data: `K${a}`, comment: '', addedAt: new Date(1) });
          await s.putLoginThrottle({ account: a, failures: [new Date(1)], level: 1 });
        }
        assert.equal(await s.deleteAccount('alice'), true);
        assert.equal(await s.getOwnership('alice', 'demo'), undefined);
        assert.deepEqual(await s.listKeys('alice'), []);
        assert.equal(await s.getLoginThrottle('alice'), undefined);
        assert.equal(await s.countRunning(), 1);
        assert.ok(
          (await s.getOwnership('bob', 'demo')) && (await s.listKeys('bob')).length === 1 && (await s.getLoginThrottle('bob')),
          'control: bob keeps his',
        );
        await s.createAccount(acct('alice'));
        const left = [await s.listOwnership('alice'), await s.listKeys('alice'), await s.getLoginThrottle('alice')];
        assert.deepEqual(left, [[], [], undefined], 'a new account of the same name starts empty');
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
      'store id: 16 hex digits, stable; taken-over containers recorded once and forgotten',
      withStore(async (s) => {
        const id = s.storeId();
        assert.match(id, /^[0-9a-f]{16}$/);
        assert.equal(s.storeId(), id);
        const other = await makeStore();
        assert.notEqual(other.storeId(), id, 'another store has another id');
        await other.close();
        await s.adoptContainer('c1', 'other', new Date(1));
        await s.adoptContainer('c1', 'other', new Date(2));
        await s.adoptContainer('c2', 'third', new Date(3));
        assert.deepEqual([...(await s.listAdopted())].sort(), ['c1', 'c2']);
        (await s.listAdopted()).add('c3');
        assert.deepEqual([...(await s.listAdopted())].sort(), ['c1', 'c2'], 'the returned set is a copy');
        await s.forgetAdopted('c1');
        await s.forgetAdopted('never');
        assert.deepEqual([...(await s.listAdopted())], ['c2']);
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
  });
}
