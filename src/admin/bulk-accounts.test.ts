import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountService } from '../accounts/account-service.ts';
import { IsletError } from '../core/islet-error.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { checkBulkRequest, createInBulk } from './bulk-accounts.ts';

const NOW = new Date('2026-11-30T10:00:00Z');
const policy = { minPasswordLength: 8, days: 1, reserved: new Set(['gate']) };
const envs = ['shell', 'web'];

test('accounts are made <prefix>NN with working passphrases, the expiry asked for and the allowed environments stored', async () => {
  const store = new MemoryStore();
  const accounts = new AccountService(store, () => NOW);
  const creds = await createInBulk(accounts, policy, checkBulkRequest({ prefix: 'lab', count: 3, days: 2, environments: ['web'] }, envs));
  assert.deepEqual(
    creds.map((c) => c.name),
    ['lab01', 'lab02', 'lab03'],
  );
  for (const c of creds) {
    const a = await accounts.login(c.name, c.password);
    assert.deepEqual(a.environments, ['web']);
    assert.equal((await store.getAccount(c.name))!.expiresAt.getTime(), NOW.getTime() + 2 * 86_400_000);
    assert.notEqual((await store.getAccount(c.name))!.passwordHash, c.password);
    await assert.rejects(accounts.login(c.name, `${c.password}x`), (e: IsletError) => e.code === 'ACCOUNT_BAD_LOGIN'); // control: the check bites
  }
  await accounts.sealed();
  assert.ok((await store.getAccount('lab01'))!.passwordHash.startsWith('scrypt$32768$'), 'sealed at full cost');
});

test('taken names are skipped and numbering goes on; no environments means no restriction', async () => {
  const store = new MemoryStore();
  const accounts = new AccountService(store, () => NOW);
  await accounts.create('t02', 'already-there', policy);
  const creds = await createInBulk(accounts, policy, checkBulkRequest({ prefix: 't', count: 3, days: 1, environments: [] }, envs));
  assert.deepEqual(
    creds.map((c) => c.name),
    ['t01', 't03', 't04'],
  );
  assert.equal((await store.getAccount('t01'))!.environments, undefined);
  await accounts.login('t02', 'already-there'); // untouched
});

test('a minimum password length above four words gets more words', async () => {
  const accounts = new AccountService(new MemoryStore(), () => NOW);
  const [c] = await createInBulk(accounts, { ...policy, minPasswordLength: 60 }, { prefix: 'x', count: 1, days: 1 });
  assert.ok(c!.password.length >= 60 && c!.password.split('-').length > 4, c!.password);
});

test('bad requests are refused with ADMIN_INVALID naming the value; a good one passes', () => {
  const good = { prefix: 'lab', count: 30, days: 1.5, environments: ['shell'] };
  assert.deepEqual(checkBulkRequest(good, envs), good);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ prefix: '1ab' }, /prefix/],
    [{ prefix: 'a-b' }, /prefix/],
    [{ prefix: '' }, /prefix/],
    [{ count: 0 }, /count/],
    [{ count: 501 }, /count/],
    [{ count: 2.5 }, /count/],
    [{ days: 0 }, /days/],
    [{ days: Number.NaN }, /days/],
    [{ environments: ['nope'] }, /no environment named "nope"/],
    [{ environments: 'shell' }, /environments/],
  ];
  for (const [change, msg] of bad)
    assert.throws(
      () => checkBulkRequest({ ...good, ...change } as never, envs),
      (e: IsletError) => e.code === 'ADMIN_INVALID' && msg.test(e.message),
      JSON.stringify(change),
    );
});
