import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite-store.ts';
import { AccountService, formatRemaining } from './account-service.ts';
import { INTERIM_N, hashPassword, needsRehash, verifyPassword } from './password.ts';
import { IsletError } from '../core/islet-error.ts';

const policy = { minPasswordLength: 4, days: 3, reserved: new Set(['demo']) };

test('scrypt hashes are salted, self-describing and verify only the right password', async () => {
  const a = await hashPassword('secret');
  const b = await hashPassword('secret');
  assert.notEqual(a, b, 'salted');
  assert.match(a, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('secret', a), true);
  assert.equal(await verifyPassword('Secret', a), false);
  assert.equal(await verifyPassword('secret', 'garbage'), false);
  assert.ok(!a.includes('secret'));
});

test('usernames are rejected, never altered; reserved and taken names refused', async () => {
  let now = new Date('2026-11-23T12:00:00Z');
  const svc = new AccountService(new SqliteStore(':memory:'), () => now);
  assert.equal((await svc.checkUsername('', policy))?.userMessage, 'Empty value not permitted');
  for (const bad of ['bad name', 'x-y', 'ünï', 'a'.repeat(33), 'a\u0000b', '../x'])
    assert.equal((await svc.checkUsername(bad, policy))?.code, 'ACCOUNT_INVALID_NAME', bad);
  assert.equal((await svc.checkUsername('DEMO', policy))?.code, 'ACCOUNT_EXISTS');
  const acct = await svc.create('alice1', 'pass', policy);
  assert.equal(acct.expiresAt.getTime() - acct.createdAt.getTime(), 3 * 86_400_000);
  assert.equal((await svc.checkUsername('alice1', policy))?.userMessage, 'User already exists! Try a different one.');
  await assert.rejects(svc.create('bob', 'abc', policy), (e: IsletError) => e.code === 'ACCOUNT_WEAK_PASSWORD');
  assert.equal((await svc.login('alice1', 'pass')).name, 'alice1');
  await assert.rejects(svc.login('alice1', 'nope'), (e: IsletError) => e.code === 'ACCOUNT_BAD_LOGIN' && !e.message.includes('nope'));
  await assert.rejects(svc.login('nobody', 'pass'), (e: IsletError) => e.code === 'ACCOUNT_BAD_LOGIN');
  now = new Date(acct.expiresAt.getTime() + 1);
  await assert.rejects(svc.login('alice1', 'pass'), (e: IsletError) => e.code === 'ACCOUNT_EXPIRED' && /expired on/.test(e.userMessage));
});

test('a new account is stored at once with an interim hash, then sealed at full cost in the background', async () => {
  const store = new SqliteStore(':memory:');
  const svc = new AccountService(store);
  const created = await Promise.all(['s1', 's2', 's3'].map((n) => svc.create(n, `pw-${n}`, policy)));
  for (const a of created) {
    assert.match(a.passwordHash, new RegExp(`^scrypt\\$${INTERIM_N}\\$8\\$1\\$`), 'interim cost');
    assert.ok(needsRehash(a.passwordHash));
    assert.ok(!a.passwordHash.includes(`pw-${a.name}`));
  }
  // The interim hash already logs the trainee in.
  assert.equal((await svc.login('s3', 'pw-s3')).name, 's3');
  await assert.rejects(svc.login('s2', 'pw-s3'), (e: IsletError) => e.code === 'ACCOUNT_BAD_LOGIN');
  await svc.sealed();
  for (const n of ['s1', 's2', 's3']) {
    const h = (await store.getAccount(n))!.passwordHash;
    assert.match(h, /^scrypt\$32768\$8\$1\$/, 'full cost once sealed');
    assert.equal(needsRehash(h), false);
    assert.equal(await verifyPassword(`pw-${n}`, h), true);
  }
});

test('an account left with an interim hash (ISLET stopped before sealing) logs in and is sealed then', async () => {
  const store = new SqliteStore(':memory:');
  const first = new AccountService(store, undefined, undefined, () => new Promise(() => undefined)); // a hasher that never answers
  await first.create('cut', 'pw-cut', policy);
  await first.stop(50);
  assert.ok(needsRehash((await store.getAccount('cut'))!.passwordHash), 'still interim after the stop');
  const next = new AccountService(store); // the next ISLET process
  assert.equal((await next.login('cut', 'pw-cut')).name, 'cut');
  await next.sealed();
  const h = (await store.getAccount('cut'))!.passwordHash;
  assert.equal(needsRehash(h), false, 'sealed by the login');
  assert.equal(await verifyPassword('pw-cut', h), true);
  await assert.rejects(next.login('cut', 'wrong'), (e: IsletError) => e.code === 'ACCOUNT_BAD_LOGIN');
});

test('remaining time reads like a person wrote it', async () => {
  const t0 = new Date(0);
  assert.equal(formatRemaining(t0, new Date((2 * 86400 + 3 * 3600) * 1000)), '2 days 3 hours');
  assert.equal(formatRemaining(t0, new Date(3 * 86400 * 1000)), '3 days');
  assert.equal(formatRemaining(t0, new Date(3600 * 1000 + 60_000)), '1 hour 1 minute');
  assert.equal(formatRemaining(t0, new Date(10_000)), '1 minute');
});
