/**
 * Two `islet serve` front doors sharing one PostgreSQL store (issue 14.2): the login limits are counted across
 * them, not per process. A real PostgreSQL from Debian's package (test/helpers/postgres.ts), two real servers,
 * node's ssh2 client from distinct loopback addresses (127.0.0.x; one per check, so counters never leak).
 * - wrong passwords: three on each door at once pause the account at the sixth (each door alone saw three,
 *   below the limit of six); control: three and two leave it open (the right password gets in);
 * - account creation per address: two sessions on each door at once, limit three: exactly three accounts;
 * - failed logins per address: four on door A, three on B, then one more on A locks the address on A (its own
 *   five are under the limit of eight), and B refuses it at its next failure; another address still gets in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type AnyAuthMethod } from 'ssh2';
import { hashPassword } from '../../src/accounts/password.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { IsletProcess } from '../helpers/islet-process.ts';
import { testRunId } from '../helpers/engine.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { newAccountSsh } from '../helpers/ssh-journey.ts';
import { SshTrainee } from '../helpers/ssh-trainee.ts';

const runId = testRunId();
// One run id for both doors: one instance name, two data directories, one store.
const doorA = new IsletProcess(runId);
const doorB = new IsletProcess(runId);
let pg: TestPostgres;
let store: PostgresStore;
const LIMITS = '\naccount_lock_failures: 6\naccount_creations_per_ip: 3\nssh_auth_failures_per_ip: 8\nlogin_failure_delay: 1s\n';
const PAUSED = /Too many wrong passwords for this account: password logins are paused until .*UTC/;

/** A password login from `local` to `port`: whether it got in, and the banners it was shown. */
function tryPassword(port: number, local: string, username: string, password: string): Promise<{ ready: boolean; banners: string; error?: string }> {
  const client = new Client();
  const banners: string[] = [];
  let offered = false;
  return new Promise((resolve) => {
    let error: string | undefined;
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.end();
      resolve({ ready, banners: banners.join(''), ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => {
      error = 'timeout';
      client.destroy();
    }, 30_000);
    client.on('banner', (m: string) => banners.push(m));
    client.on('ready', () => done(true));
    client.on('error', (e: Error) => {
      error ??= e.message;
    });
    client.on('close', () => done(false));
    client.connect({
      host: '127.0.0.1',
      port,
      localAddress: local,
      username,
      readyTimeout: 30_000,
      hostVerifier: () => true,
      authHandler: (_left, _partial, cb) => {
        const o: AnyAuthMethod | false = offered ? false : { type: 'password', username, password };
        offered = true;
        (cb as (o: AnyAuthMethod | false) => void)(o);
      },
    });
  });
}

describe('two front doors on one PostgreSQL: login limits counted across doors', { concurrency: false, timeout: 300_000 }, () => {
  before(async () => {
    pg = await startPostgres(runId);
    const url = await pg.database('doors');
    store = await PostgresStore.open(url);
    for (const door of [doorA, doorB]) appendFileSync(join(door.configDir, 'islet.yaml'), LIMITS);
    await doorA.start({ ISLET_STORE: url });
    await doorB.start({ ISLET_STORE: url });
    const now = Date.now();
    await store.createAccount({
      name: 'alice',
      passwordHash: await hashPassword('right-one'),
      createdAt: new Date(now),
      expiresAt: new Date(now + 86_400_000),
    });
  });
  after(async () => {
    await doorA.dispose();
    await doorB.dispose();
    await store?.close();
    pg?.stop();
  });

  test('wrong passwords on two doors at once all count: 3 + 3 pause the account at the limit of 6; control: 3 + 2 do not', async () => {
    const wrong = (port: number, i: number) => tryPassword(port, `127.0.0.${20 + i}`, 'alice', 'wrong-one');
    // Control first: five in all, the account stays open (the probe's right password gets in, and clears the count).
    const five = await Promise.all([doorA, doorA, doorA, doorB, doorB].map((d, i) => wrong(d.port, i)));
    assert.ok(five.every((r) => !r.ready));
    assert.equal((await store.getLoginThrottle('alice'))?.failures.length, 5, 'five counted, from both doors');
    const open = await tryPassword(doorB.port, '127.0.0.29', 'alice', 'right-one');
    assert.equal(open.ready, true, `five wrong passwords leave the account open: ${open.banners} ${open.error ?? ''}`);
    assert.equal(await store.getLoginThrottle('alice'), undefined, 'the right password cleared the count');
    // Three on each door at once: each door alone is under the limit; together they are at it.
    const six = await Promise.all([doorA, doorA, doorA, doorB, doorB, doorB].map((d, i) => wrong(d.port, i)));
    assert.ok(six.every((r) => !r.ready));
    const t = await store.getLoginThrottle('alice');
    assert.ok(t?.lockedUntil && t.lockedUntil.getTime() > Date.now(), `locked after six: ${JSON.stringify(t)}`);
    for (const door of [doorA, doorB]) {
      const r = await tryPassword(door.port, '127.0.0.28', 'alice', 'right-one');
      assert.equal(r.ready, false, 'even the right password is refused while paused');
      assert.match(r.banners, PAUSED);
    }
    const started = [...doorA.logs, ...doorB.logs].filter((l) => l.event === 'account_throttled' && l.account === 'alice');
    assert.equal(started.length, 1, 'one door started the pause, once');
  });

  test('account creation per address: two sessions on each door at once, limit 3: exactly three accounts', async () => {
    const create = async (port: number, name: string, local = '127.0.0.40'): Promise<boolean> => {
      const t = new SshTrainee();
      try {
        await t.connect(port, 'demo', 'demo', '127.0.0.1', local);
        // A refused session is told and closed: it ends before the journey does.
        return await Promise.race([newAccountSsh(t, name).then(() => true), t.whenClosed().then(() => false)]);
      } catch {
        return false;
      } finally {
        t.end();
      }
    };
    const made = await Promise.all([create(doorA.port, 'newa1'), create(doorA.port, 'newa2'), create(doorB.port, 'newb1'), create(doorB.port, 'newb2')]);
    const names = (await store.listAccounts()).map((a) => a.name).filter((n) => n.startsWith('new'));
    assert.equal(names.length, 3, `accounts made: ${names.join(', ')} (sessions that got through: ${made.filter(Boolean).length})`);
    assert.equal(made.filter(Boolean).length, 3);
    assert.equal(await store.countAddressEvents('account_created', '127.0.0.40', new Date(0)), 3);
    const limited = [doorA, doorB].map((d) => d.logs.filter((l) => l.event === 'account_creation_limited').length);
    assert.equal(limited[0]! + limited[1]!, 1, `the fourth session is refused (${limited.join(' + ')})`);
    // Control: another address still creates (the limit is per address, not a broken menu).
    assert.equal(await create(doorB.port, 'other1', '127.0.0.41').then(async (ok) => ok && !!(await store.getAccount('other1'))), true);
  });

  test('failed logins per address are counted across doors: 4 on A + 3 on B, then one more on A locks it; B locks at its next', async () => {
    const local = '127.0.0.50';
    const fail = (port: number) => tryPassword(port, local, 'nobody-here', 'x');
    for (let i = 0; i < 4; i++) assert.equal((await fail(doorA.port)).ready, false);
    for (let i = 0; i < 3; i++) assert.equal((await fail(doorB.port)).ready, false);
    // Control: seven in all, under the limit of 8: a right login from this address still gets in on both doors.
    assert.equal((await tryPassword(doorA.port, local, 'demo', 'demo')).ready, true, 'seven failures: not locked on A');
    assert.equal((await tryPassword(doorB.port, local, 'demo', 'demo')).ready, true, 'seven failures: not locked on B');
    await fail(doorA.port); // the eighth, A's own fifth
    assert.equal((await tryPassword(doorA.port, local, 'demo', 'demo')).ready, false, 'A locks the address out');
    await doorA.waitForLog((l) => l.event === 'connection_refused' && l.client === local && l.reason === 'locked_out', 10_000);
    await fail(doorB.port); // B's next failure from it sees the shared count
    assert.equal((await tryPassword(doorB.port, local, 'demo', 'demo')).ready, false, 'B locks it too');
    await doorB.waitForLog((l) => l.event === 'connection_refused' && l.client === local && l.reason === 'locked_out', 10_000);
    assert.equal((await tryPassword(doorB.port, '127.0.0.51', 'demo', 'demo')).ready, true, 'another address still gets in');
  });
});
