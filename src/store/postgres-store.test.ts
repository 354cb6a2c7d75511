/**
 * PostgresStore on a real PostgreSQL (test/helpers/postgres.ts: Debian's server in a temporary directory,
 * one database per store, all removed at the end): the Store case suite, then what only a shared store
 * does — two stores on one database (two front doors) serialise per key and count capacity together, the
 * leader lease passes to the other server when its holder stops renewing, a lock of a dead server is
 * released, and an older schema upgrades in place.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { IsletError } from '../core/islet-error.ts';
import { LeaderLease } from '../lifecycle/leader-lease.ts';
import { createLogger } from '../logger.ts';
import { testRunId } from '../../test/helpers/engine.ts';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.ts';
import { migrations, schemaVersion } from './migrations.ts';
import { PostgresStore, redactUrl } from './postgres-store.ts';
import { storeConformance } from './store.case.ts';

const runId = testRunId();
let server: TestPostgres;
const opened: PostgresStore[] = [];
const open = async (url: string) => {
  const s = await PostgresStore.open(url);
  opened.push(s);
  return s;
};

before(async () => {
  server = await startPostgres(runId);
});
after(async () => {
  await Promise.allSettled(opened.map((s) => s.close()));
  server?.stop();
});

storeConformance('PostgresStore', async () => open(await server.database('case')));

const T0 = 1_700_000_000_000;
const acct = (name: string) => ({ name, passwordHash: 'scrypt$x', createdAt: new Date(T0), expiresAt: new Date(T0 + 86_400_000) });
const silent = createLogger({ level: 'silent' });

describe('PostgresStore shared by two front doors', () => {
  test('both see one store: the same store id, accounts and ownership written by either', async () => {
    const url = await server.database('shared');
    const [a, b] = [await open(url), await open(url)];
    assert.equal(a.storeId(), b.storeId());
    assert.equal(await a.createAccount(acct('alice')), true);
    assert.equal(await b.createAccount(acct('alice')), false, 'the name is taken on the other server too');
    await b.putOwnership({ account: 'alice', environment: 'demo', containerId: 'c1', containerName: 'x', createdAt: new Date(T0) });
    assert.equal((await a.getOwnership('alice', 'demo'))?.containerId, 'c1');
  });

  test('two servers at once: six wrong passwords lock at the sixth, not later; a limit of 3 address events is never overshot', async () => {
    const url = await server.database('throttle');
    const [a, b] = [await open(url), await open(url)];
    await a.createAccount(acct('alice'));
    const lim = { failures: 6, windowMs: 60_000, firstLockMs: 60_000, maxLockMs: 600_000, levelResetMs: 86_400_000 };
    // Three on each server, all at once: a read-modify-write per server would count some of them once.
    const outs = await Promise.all([a, a, a, b, b, b].map((s, i) => s.loginFailed('alice', new Date(T0 + i), lim)));
    assert.equal(outs.filter((o) => o?.newlyLocked).length, 1, 'exactly one of the six starts the lock');
    assert.ok((await b.getLoginThrottle('alice'))?.lockedUntil, 'locked after six, seen by both');
    // Control: five leave it unlocked (the probe counts, and the sixth is what locks).
    await a.deleteLoginThrottle('alice');
    await Promise.all([a, a, a, b, b].map((s, i) => s.loginFailed('alice', new Date(T0 + i), lim)));
    assert.equal((await a.getLoginThrottle('alice'))?.lockedUntil, undefined, 'five: not locked');
    assert.equal((await a.getLoginThrottle('alice'))?.failures.length, 5, 'five counted');
    const take = (s: PostgresStore, i: number) =>
      s.addressEvent({ kind: 'account_created', key: '10.0.0.1', now: new Date(T0 + i), windowMs: 600_000, limit: 3 });
    const took = await Promise.all([a, b, a, b, a, b, a, b].map(take));
    assert.equal(took.filter((r) => r.recorded).length, 3, 'eight takes from two servers for three places');
    assert.equal(await b.countAddressEvents('account_created', '10.0.0.1', new Date(0)), 3);
  });

  test('exclusive: one key is held by one server at a time; another key (control) is not blocked', async () => {
    const url = await server.database('exclusive');
    const [a, b] = [await open(url), await open(url)];
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inA = new Promise<void>((r) => {
      entered = r;
    });
    const first = a.exclusive('alice\0demo', async () => {
      seen.push('a in');
      entered();
      await gate;
      seen.push('a out');
    });
    await inA;
    const second = b.exclusive('alice\0demo', async () => {
      seen.push('b in');
    });
    await b.exclusive('bob\0demo', async () => {
      seen.push('b other key');
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen, ['a in', 'b other key'], 'b waits for the key a holds, not for another key');
    release();
    await Promise.all([first, second]);
    assert.deepEqual(seen, ['a in', 'b other key', 'a out', 'b in']);
  });

  test('exclusive: a server that dies holding a key (its connection ends) releases it at once', async () => {
    const url = await server.database('dead');
    const [a, b] = [await open(url), await open(url)];
    let entered!: () => void;
    const inA = new Promise<void>((r) => {
      entered = r;
    });
    let finish!: () => void;
    const hung = a.exclusive('alice\0demo', async () => {
      entered();
      await new Promise<void>((r) => {
        finish = r;
      }); // holds the key until the server "dies" below
    });
    await inA;
    let bIn = false;
    const waiting = b.exclusive('alice\0demo', async () => {
      bIn = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bIn, false, 'control: the key is held while its connection lives');
    const db = new URL(url).pathname.slice(1);
    const killed = server.psql(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_locks l JOIN pg_stat_activity s USING (pid)
        WHERE l.locktype = 'advisory' AND l.granted AND s.datname = '${db}'`,
    );
    assert.equal(killed, '1', 'the holding session was found and ended');
    await waiting;
    assert.equal(bIn, true);
    finish(); // the dead server's work ends; its unlock finds the connection gone
    await hung;
  });

  test('capacity: two servers claiming the last places at once take exactly the limit', async () => {
    const url = await server.database('capacity');
    const [a, b] = [await open(url), await open(url)];
    for (const n of ['alice', 'bob']) await a.createAccount(acct(n));
    const now = new Date(T0);
    const expiresAt = new Date(T0 + 60_000);
    const claims = Array.from({ length: 10 }, (_, i) =>
      (i % 2 ? a : b).claimCapacity({ id: `c${i}`, account: i % 2 ? 'alice' : 'bob', maxContainers: 3, maxPerAccount: 0, now, expiresAt }),
    );
    const answers = await Promise.all(claims);
    assert.equal(answers.filter((x) => x === 'ok').length, 3, JSON.stringify(answers));
    assert.equal(answers.filter((x) => x === 'full').length, 7);
    await b.releaseCapacity(`c${answers.indexOf('ok')}`);
    assert.equal(await a.claimCapacity({ id: 'late', account: 'alice', maxContainers: 3, maxPerAccount: 0, now, expiresAt }), 'ok', 'a released place is free');
  });

  test('leader lease: one server leads; when it stops renewing (dies) the other takes over after the lease expires', async () => {
    const url = await server.database('leader');
    const [a, b] = [await open(url), await open(url)];
    const la = new LeaderLease({ store: a, log: silent, holder: 'server-a', ttlMs: 1500, renewMs: 300 });
    const lb = new LeaderLease({ store: b, log: silent, holder: 'server-b', ttlMs: 1500, renewMs: 300 });
    assert.equal(await la.renew(), true);
    assert.equal(await lb.renew(), false, 'a leads');
    const renewing = setInterval(() => void la.renew(), 300); // a's renewal timer (LeaderLease.start does the same)
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await lb.renew(), false, 'past the first expiry, still a: its renewals hold the lease');
    assert.equal(la.isLeader(), true);
    // a dies: its renewals stop, its row stays with the last expiry.
    clearInterval(renewing);
    await la.renew();
    assert.equal(await lb.renew(), false, 'right after the death the lease has not expired yet');
    const t0 = Date.now();
    while (!(await lb.renew())) {
      assert.ok(Date.now() - t0 < 5000, 'b takes over within the lease time');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(Date.now() - t0 >= 800, `not before the lease ran out (${Date.now() - t0} ms)`);
    assert.equal(lb.isLeader(), true);
    await lb.stop();
    const lc = new LeaderLease({ store: a, log: silent, holder: 'server-c', ttlMs: 1500, renewMs: 300 });
    assert.equal(await lc.renew(), true, 'a lease given up by stop() is free at once');
  });
});

describe('PostgresStore schema', () => {
  test('a database at an older schema version upgrades in place, data kept', async () => {
    const url = await server.database('upgrade');
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await pool.query('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const sql of migrations[0]!.postgres) await pool.query(sql);
      await pool.query(`INSERT INTO schema_version VALUES (1, 'base', 0)`);
      await pool.query(`INSERT INTO accounts (name, password_hash, created_at, expires_at) VALUES ('old', 'scrypt$old', 1, 2)`);
      await pool.query(`INSERT INTO meta (key, value) VALUES ('store_id', '00112233deadbeef')`);
    } finally {
      await pool.end();
    }
    const s = await open(url);
    assert.equal(s.storeId(), '00112233deadbeef', 'the store id is kept');
    assert.deepEqual(await s.getAccount('old'), { name: 'old', passwordHash: 'scrypt$old', createdAt: new Date(1), expiresAt: new Date(2) });
    assert.equal(await s.createAccount({ ...acct('new'), environments: ['demo'] }), true, 'version 2: environments');
    assert.deepEqual((await s.getAccount('new'))?.environments, ['demo']);
    assert.equal(await s.acquireLease('x', 'me', new Date(0), new Date(1)), true, 'version 3: leases');
    assert.equal(server.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version", new URL(url).pathname.slice(1)), '1,2,3,4,5,6');
    assert.equal(schemaVersion, 6);
  });

  test('a database newer than this ISLET is refused with STORE_FAILED; the error never shows the password', async () => {
    const url = await server.database('newer');
    await (await open(url)).close();
    const db = new URL(url).pathname.slice(1);
    server.psql(`INSERT INTO schema_version VALUES (${schemaVersion + 1}, 'from the future', 0)`, db);
    const password = new URL(url).password;
    await assert.rejects(PostgresStore.open(url), (e: unknown) => {
      assert.ok(e instanceof IsletError && e.code === 'STORE_FAILED', String(e));
      assert.match(e.message, /newer than this ISLET knows/);
      assert.ok(!JSON.stringify({ m: e.message, d: e.detail, u: e.userMessage }).includes(password), 'no password in the error');
      return true;
    });
    const wrong = url.replace(`:${password}@`, ':wrong-password@');
    await assert.rejects(PostgresStore.open(wrong), (e: unknown) => {
      assert.ok(e instanceof IsletError && e.code === 'STORE_FAILED');
      assert.ok(!JSON.stringify({ m: e.message, d: e.detail }).includes('wrong-password'), 'no password in the error');
      assert.match(e.message, /password authentication failed/);
      return true;
    });
    assert.equal(redactUrl('postgres://u:secret@h:5/d'), 'postgres://u:***@h:5/d');
  });
});
