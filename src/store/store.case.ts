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

export function storeConformance(name: string, makeStore: () => Store): void {
  const withStore = (fn: (s: Store) => void) => () => {
    const s = makeStore();
    try {
      fn(s);
    } finally {
      s.close();
    }
  };

  describe(`Store cases: ${name}`, () => {
    test(
      'accounts: created once (a taken name is refused, not overwritten), read, listed by name, changed, deleted',
      withStore((s) => {
        assert.equal(s.createAccount(acct('bob')), true);
        assert.equal(s.createAccount(acct('alice')), true);
        assert.equal(s.createAccount({ ...acct('alice', 5), passwordHash: 'other' }), false);
        assert.deepEqual(s.getAccount('alice'), acct('alice'));
        assert.equal(s.getAccount('nobody'), undefined);
        assert.deepEqual(
          s.listAccounts().map((a) => a.name),
          ['alice', 'bob'],
        );
        assert.equal(s.setExpiry('alice', new Date(42)), true);
        assert.equal(s.getAccount('alice')?.expiresAt.getTime(), 42);
        assert.equal(s.setPasswordHash('alice', 'scrypt$new'), true);
        assert.equal(s.getAccount('alice')?.passwordHash, 'scrypt$new');
        assert.equal(s.setExpiry('nobody', new Date(1)), false);
        assert.equal(s.setPasswordHash('nobody', 'x'), false);
        assert.equal(s.deleteAccount('alice'), true);
        assert.equal(s.deleteAccount('alice'), false);
        assert.deepEqual(
          s.listAccounts().map((a) => a.name),
          ['bob'],
        );
      }),
    );

    test(
      'names are exact: case-sensitive, and hostile text is stored and found literally',
      withStore((s) => {
        const evil = "x'); DROP TABLE accounts; --";
        assert.equal(s.createAccount(acct('alice')), true);
        assert.equal(s.createAccount(acct('Alice')), true, 'usernames are case-sensitive');
        assert.equal(s.createAccount(acct(evil)), true);
        assert.equal(s.getAccount(evil)?.name, evil);
        assert.equal(s.getAccount('ALICE'), undefined);
        assert.equal(s.listAccounts().length, 3);
      }),
    );

    test(
      'ownership: one row per (account, environment), replaced by put, listed in order; only for an existing account',
      withStore((s) => {
        s.createAccount(acct('alice'));
        s.createAccount(acct('bob'));
        s.putOwnership(own('bob', 'demo'));
        s.putOwnership(own('alice', 'web'));
        s.putOwnership(own('alice', 'demo', 'c1'));
        s.putOwnership(own('alice', 'demo', 'c2'));
        assert.deepEqual(s.getOwnership('alice', 'demo'), { ...own('alice', 'demo', 'c2'), state: 'stopped' }, 'put replaces; state defaults to stopped');
        assert.deepEqual(
          s.listOwnership().map((o) => `${o.account}/${o.environment}`),
          ['alice/demo', 'alice/web', 'bob/demo'],
        );
        assert.deepEqual(
          s.listOwnership('alice').map((o) => o.environment),
          ['demo', 'web'],
        );
        assert.deepEqual(s.listOwnership('nobody'), []);
        assert.throws(
          () => s.putOwnership(own('nobody', 'demo')),
          (e: unknown) => e instanceof IsletError && e.code === 'STORE_FAILED',
        );
        s.deleteOwnership('alice', 'web');
        assert.equal(s.getOwnership('alice', 'web'), undefined);
        const full = { ...own('bob', 'demo'), state: 'running' as const, startedAt: new Date(1), lastSeenAt: new Date(2), stopReason: 'x' };
        s.putOwnership(full);
        assert.deepEqual(s.getOwnership('bob', 'demo'), full, 'every field round-trips');
      }),
    );

    test(
      'marks: started (running, times, reason cleared), seen, stopped (the first reason wins); counted per account',
      withStore((s) => {
        s.createAccount(acct('alice'));
        s.createAccount(acct('bob'));
        s.putOwnership(own('alice', 'demo'));
        s.putOwnership(own('alice', 'web'));
        s.putOwnership(own('bob', 'demo'));
        assert.equal(s.countRunning(), 0);
        s.markStarted('alice', 'demo', new Date(10));
        s.markStarted('alice', 'web', new Date(11));
        s.markStarted('bob', 'demo', new Date(12));
        assert.deepEqual([s.countRunning(), s.countRunning('alice'), s.countRunning('bob'), s.countRunning('nobody')], [3, 2, 1, 0]);
        const o = s.getOwnership('alice', 'demo');
        assert.deepEqual([o?.state, o?.startedAt?.getTime(), o?.lastSeenAt?.getTime(), o?.stopReason], ['running', 10, 10, undefined]);
        s.markSeen('alice', 'demo', new Date(20));
        assert.equal(s.getOwnership('alice', 'demo')?.lastSeenAt?.getTime(), 20);
        assert.equal(s.getOwnership('alice', 'demo')?.startedAt?.getTime(), 10, 'seen leaves the start time');
        s.markStopped('alice', 'demo', 'idle: 10 min');
        s.markStopped('alice', 'demo', 'shell exited');
        assert.deepEqual([s.getOwnership('alice', 'demo')?.state, s.getOwnership('alice', 'demo')?.stopReason], ['stopped', 'idle: 10 min']);
        assert.deepEqual([s.countRunning(), s.countRunning('alice')], [2, 1]);
        s.markStarted('alice', 'demo', new Date(30));
        assert.equal(s.getOwnership('alice', 'demo')?.stopReason, undefined, 'a new start clears the reason');
        s.markStarted('nobody', 'demo', new Date(1));
        s.markSeen('nobody', 'demo', new Date(1));
        s.markStopped('nobody', 'demo', 'x');
        assert.equal(s.getOwnership('nobody', 'demo'), undefined, 'marks never create rows');
      }),
    );

    test(
      'keys: only for an existing account, once per key, listed in the order added',
      withStore((s) => {
        s.createAccount(acct('alice'));
        const key = (data: string, at: number) => ({ account: 'alice', algo: 'ssh-ed25519', data, comment: `k${at}`, addedAt: new Date(at) });
        assert.equal(s.addKey(key('AAAB', 2)), true);
        assert.equal(s.addKey(key('AAAA', 1)), true);
        assert.equal(s.addKey(key('AAAB', 3)), false, 'the same key twice');
        assert.equal(s.addKey({ ...key('AAAC', 1), account: 'nobody' }), false);
        assert.deepEqual(s.listKeys('alice'), [key('AAAA', 1), key('AAAB', 2)]);
        assert.deepEqual(s.listKeys('nobody'), []);
      }),
    );

    test(
      'login throttles: only for an existing account, round-trip, replaced, listed, cleared',
      withStore((s) => {
        s.createAccount(acct('alice'));
        s.createAccount(acct('bob'));
        const t = { account: 'bob', failures: [new Date(1), new Date(2)], level: 2, lockedAt: new Date(3), lockedUntil: new Date(4) };
        assert.equal(s.putLoginThrottle(t), true);
        assert.deepEqual(s.getLoginThrottle('bob'), t);
        assert.equal(s.putLoginThrottle({ account: 'alice', failures: [new Date(5)], level: 0 }), true);
        assert.deepEqual(s.getLoginThrottle('alice'), { account: 'alice', failures: [new Date(5)], level: 0 }, 'no lock times when unlocked');
        assert.equal(s.putLoginThrottle({ ...t, level: 3 }), true);
        assert.equal(s.getLoginThrottle('bob')?.level, 3, 'put replaces');
        assert.equal(s.putLoginThrottle({ ...t, account: 'nobody' }), false);
        assert.deepEqual(
          s.listLoginThrottles().map((x) => x.account),
          ['alice', 'bob'],
        );
        assert.equal(s.deleteLoginThrottle('bob'), true);
        assert.equal(s.deleteLoginThrottle('bob'), false);
        assert.equal(s.getLoginThrottle('bob'), undefined);
      }),
    );

    test(
      "deleting an account takes its ownership rows, keys and throttle with it, and nobody else's",
      withStore((s) => {
        s.createAccount(acct('alice'));
        s.createAccount(acct('bob'));
        for (const a of ['alice', 'bob']) {
          s.putOwnership(own(a, 'demo'));
          s.markStarted(a, 'demo', new Date(1));
          s.addKey({ account: a, algo: 'ssh-ed25519', data: `K${a}`, comment: '', addedAt: new Date(1) });
          s.putLoginThrottle({ account: a, failures: [new Date(1)], level: 1 });
        }
        assert.equal(s.deleteAccount('alice'), true);
        assert.equal(s.getOwnership('alice', 'demo'), undefined);
        assert.deepEqual(s.listKeys('alice'), []);
        assert.equal(s.getLoginThrottle('alice'), undefined);
        assert.equal(s.countRunning(), 1);
        assert.ok(s.getOwnership('bob', 'demo') && s.listKeys('bob').length === 1 && s.getLoginThrottle('bob'), 'control: bob keeps his');
        s.createAccount(acct('alice'));
        const left = [s.listOwnership('alice'), s.listKeys('alice'), s.getLoginThrottle('alice')];
        assert.deepEqual(left, [[], [], undefined], 'a new account of the same name starts empty');
      }),
    );

    test(
      'store id: 16 hex digits, stable; taken-over containers recorded once and forgotten',
      withStore((s) => {
        const id = s.storeId();
        assert.match(id, /^[0-9a-f]{16}$/);
        assert.equal(s.storeId(), id);
        assert.notEqual(makeStore().storeId(), id, 'another store has another id');
        s.adoptContainer('c1', 'other', new Date(1));
        s.adoptContainer('c1', 'other', new Date(2));
        s.adoptContainer('c2', 'third', new Date(3));
        assert.deepEqual([...s.listAdopted()].sort(), ['c1', 'c2']);
        s.listAdopted().add('c3');
        assert.deepEqual([...s.listAdopted()].sort(), ['c1', 'c2'], 'the returned set is a copy');
        s.forgetAdopted('c1');
        s.forgetAdopted('never');
        assert.deepEqual([...s.listAdopted()], ['c2']);
      }),
    );
  });
}
