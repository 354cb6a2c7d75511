import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.ts';
import { storeConformance } from './store.case.ts';

storeConformance('SqliteStore', () => new SqliteStore(':memory:'));

const acct = (name: string, created = 1_700_000_000_000) => ({
  name,
  passwordHash: 'scrypt$x',
  createdAt: new Date(created),
  expiresAt: new Date(created + 86_400_000),
});

test('accounts and ownership survive reopening the file; names are unique; delete cascades', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'islet.db');
  let s = new SqliteStore(path);
  assert.equal(await s.createAccount(acct('alice')), true);
  assert.equal(await s.createAccount(acct('alice', 5)), false, 'a taken name is refused, not overwritten');
  assert.equal((await s.getAccount('alice'))?.createdAt.getTime(), 1_700_000_000_000);
  await s.putOwnership({ account: 'alice', environment: 'demo', containerId: 'c1', containerName: 'islet.demo.alice', createdAt: new Date(1) });
  await s.putOwnership({ account: 'alice', environment: 'demo', containerId: 'c2', containerName: 'islet.demo.alice', createdAt: new Date(2) });
  await s.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  s = new SqliteStore(path);
  assert.equal((await s.getOwnership('alice', 'demo'))?.containerId, 'c2', 'put replaces the row of the pair');
  assert.deepEqual(
    (await s.listAccounts()).map((a) => a.name),
    ['alice'],
  );
  assert.equal(await s.setExpiry('alice', new Date(42)), true);
  assert.equal((await s.getAccount('alice'))?.expiresAt.getTime(), 42);
  assert.equal(await s.deleteAccount('alice'), true);
  assert.equal(await s.getOwnership('alice', 'demo'), undefined, 'ownership rows go with the account');
  assert.equal(await s.deleteAccount('alice'), false);
  await s.close();
});

test('hostile names are stored and looked up literally (parameterised SQL)', async () => {
  const s = new SqliteStore(':memory:');
  const evil = "x'); DROP TABLE accounts; --";
  assert.equal(await s.createAccount(acct(evil)), true);
  assert.equal((await s.getAccount(evil))?.name, evil);
  assert.equal((await s.listAccounts()).length, 1);
  await s.close();
});

test('the store id is made once, kept across reopening, and differs between data directories; taken-over ids are recorded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = new SqliteStore(join(dir, 'a.db'));
  const id = a.storeId();
  assert.match(id, /^[0-9a-f]{16}$/);
  await a.adoptContainer('c1', 'other', new Date(1));
  await a.adoptContainer('c1', 'other', new Date(2));
  await a.close();
  const again = new SqliteStore(join(dir, 'a.db'));
  assert.equal(again.storeId(), id, 'reopening keeps the id');
  assert.deepEqual([...(await again.listAdopted())], ['c1']);
  await again.forgetAdopted('c1');
  assert.deepEqual([...(await again.listAdopted())], []);
  await again.close();
  const b = new SqliteStore(join(dir, 'b.db'));
  assert.notEqual(b.storeId(), id, 'another data directory has another id');
  await b.close();
});
