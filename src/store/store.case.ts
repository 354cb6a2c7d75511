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
import { storeCoordinationCases } from './store-coordination.case.ts';
import { acct, own } from './store-fixtures.ts';
import type { Store } from './store.ts';

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
        await s.markSeenMany(
          [
            { account: 'alice', environment: 'web' },
            { account: 'bob', environment: 'demo' },
            { account: 'nobody', environment: 'demo' },
          ],
          new Date(40),
        );
        assert.deepEqual(
          [(await s.getOwnership('alice', 'web'))?.lastSeenAt?.getTime(), (await s.getOwnership('bob', 'demo'))?.lastSeenAt?.getTime()],
          [40, 40],
          'seen many: every pair with a row',
        );
        assert.equal((await s.getOwnership('alice', 'demo'))?.lastSeenAt?.getTime(), 30, 'a pair not named is left alone');
        await s.markSeenMany([], new Date(50));
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

    storeCoordinationCases(withStore);
  });
}
