import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { AccountService } from '../accounts/account-service.ts';
import { accessFromConfig } from '../access/access-from-config.ts';
import { ConfigSource } from '../config/config-source.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { Authenticator } from './authenticator.ts';

/** A real Authenticator with the server's throttling, a clock the test moves, and the log lines it wrote. */
async function rig(t: { after(f: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'islet-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'environments'));
  writeFileSync(join(dir, 'islet.yaml'), 'login_failure_delay: 8s\n');
  const config = new ConfigSource(dir);
  const store = new SqliteStore(':memory:');
  const clock = { now: Date.now() };
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _e, cb) {
        logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    }),
  );
  const access = accessFromConfig(config, store, log, () => clock.now);
  const accounts = new AccountService(store, () => new Date(clock.now));
  const policy = { minPasswordLength: 4, days: 3, reserved: new Set(['demo']) };
  await accounts.create('alice', 'right-alice', policy);
  await accounts.create('bob', 'right-bob', policy);
  await accounts.sealed();
  return { auth: new Authenticator(config, accounts, store, access.throttle, undefined, () => new Date(clock.now)), clock, logs, store, access };
}

test('per account: 10 wrong passwords pause its password logins from every address, with a message; others are untouched', async (t) => {
  const { auth, clock, logs } = await rig(t);
  for (let i = 0; i < 9; i++) {
    const r = await auth.password('alice', `wrong${i}`, `10.0.0.${i + 1}`); // from nine addresses
    assert.equal(r.ok, false);
    assert.equal(r.ok ? undefined : r.message, undefined);
  }
  assert.equal((await auth.password('alice', 'right-alice', '10.0.1.1')).ok, true, 'control: 9 failures do not lock');
  for (let i = 0; i < 10; i++) await auth.password('alice+demo', `wrong${i}`, `10.0.2.${i + 1}`);
  const locked = logs.find((l) => l.event === 'account_throttled');
  assert.equal(locked?.account, 'alice');
  assert.equal(locked?.code, 'ACCOUNT_THROTTLED');
  for (const client of ['10.0.2.1', '10.0.9.9']) {
    const r = await auth.password('alice', 'right-alice', client);
    assert.equal(r.ok, false, `the right password is refused from ${client}`);
    assert.equal(r.ok ? '' : r.reason, 'account_throttled');
    assert.match(r.ok ? '' : (r.message ?? ''), /Too many wrong passwords for this account: password logins are paused until .* \(1 minute\)/);
  }
  const menu = await auth.accountPassword('alice', 'right-alice', '10.0.3.3');
  assert.equal(menu.ok, false, "the menu's existing-user login is paused too");
  assert.equal((await auth.password('bob', 'right-bob', '10.0.2.1')).ok, true, 'another account still logs in');
  assert.equal((await auth.password('demo', 'demo', '10.0.2.1')).ok, true, 'the gate still works');
  assert.equal(JSON.stringify(logs).includes('right-alice'), false, 'no password is logged');
  clock.now += 60_001;
  assert.equal((await auth.password('alice', 'right-alice', '10.0.2.1')).ok, true, 'after the lock the right password works');
});

test('the gate account (its password is public) and unknown names never pause anyone', async (t) => {
  const { auth, store } = await rig(t);
  for (let i = 0; i < 25; i++) {
    await auth.password('demo', `wrong${i}`, `10.1.0.${i}`);
    await auth.password(`ghost${i % 2}`, 'x', `10.1.1.${i}`);
  }
  assert.deepEqual(await store.listLoginThrottles(), []);
  assert.equal((await auth.password('demo', 'demo', '10.1.0.1')).ok, true);
});

test('one address: failures are answered later and later, a right password never waits, and 60 failures lock nobody out', async (t) => {
  const { auth } = await rig(t);
  const delays: number[] = [];
  for (let i = 0; i < 60; i++) {
    const r = await auth.password('demo', `wrong${i}`, '10.2.0.1');
    delays.push(r.ok ? -1 : (r.delayMs ?? 0));
  }
  assert.deepEqual(delays.slice(0, 9), [0, 0, 0, 0, 0, 500, 1000, 2000, 4000]);
  assert.equal(Math.max(...delays), 8000, 'capped at login_failure_delay');
  const right = await auth.password('demo', 'demo', '10.2.0.1');
  assert.equal(right.ok, true, 'the room behind this address still gets in');
  const acct = await auth.password('alice', 'right-alice', '10.2.0.1');
  assert.equal(acct.ok, true);
});

test('an expired account: the right password says so and counts nothing', async (t) => {
  const { auth, clock, store } = await rig(t);
  clock.now += 4 * 86_400_000;
  for (let i = 0; i < 12; i++) {
    const r = await auth.accountPassword('alice', 'right-alice', '10.3.0.1');
    assert.equal(r.ok ? '' : r.reason, 'expired');
    assert.match(r.ok ? '' : (r.message ?? ''), /expired/);
  }
  assert.deepEqual(await store.listLoginThrottles(), []);
});

test("a key login reads expiry from the accounts' clock: refused once that clock passes the account's end", async (t) => {
  const { auth, clock, store } = await rig(t);
  await store.addKey({ account: 'alice', algo: 'ssh-ed25519', data: 'AAAAkey', comment: 'laptop', addedAt: new Date(clock.now) });
  const accept = () => undefined;
  // Control: the same key logs in while the account is live (the probe can succeed).
  const live = await auth.publicKey('alice', 'AAAAkey', accept, '10.4.0.1');
  assert.equal(live.ok, true);
  // Four days on by the accounts' clock (the wall clock has not moved): the account has ended.
  clock.now += 4 * 86_400_000;
  const late = await auth.publicKey('alice', 'AAAAkey', accept, '10.4.0.1');
  assert.equal(late.ok ? '' : late.reason, 'expired');
});
