/**
 * Account.environments (the environments an account made in bulk may use) in both stores, and an older
 * SQLite database without the column: opened, migrated in place, its accounts kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MemoryStore } from './memory-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

const acct = (name: string, environments?: string[]) => ({
  name,
  passwordHash: 'scrypt$x',
  createdAt: new Date(1_700_000_000_000),
  expiresAt: new Date(1_800_000_000_000),
  ...(environments ? { environments } : {}),
});

for (const [name, make] of [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore', () => new SqliteStore(':memory:')],
] as const)
  test(`${name}: an account's allowed environments round-trip; absent stays absent`, async () => {
    const s: Store = make();
    try {
      assert.equal(await s.createAccount(acct('a', ['shell', 'web'])), true);
      assert.equal(await s.createAccount(acct('b')), true);
      assert.deepEqual((await s.getAccount('a'))!.environments, ['shell', 'web']);
      assert.equal('environments' in (await s.getAccount('b'))!, false);
      assert.deepEqual(
        (await s.listAccounts()).map((a) => a.environments),
        [['shell', 'web'], undefined],
      );
    } finally {
      await s.close();
    }
  });

test('SqliteStore: a database made before the column existed gains it on opening and keeps its accounts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-envcol-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'islet.db');
  const old = new DatabaseSync(file);
  old.exec(`CREATE TABLE accounts (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT;
    INSERT INTO accounts VALUES ('old', 'scrypt$y', 1, 2);`);
  old.close();
  const cols = () => {
    const db = new DatabaseSync(file);
    const names = (db.prepare('PRAGMA table_info(accounts)').all() as { name: string }[]).map((c) => c.name);
    db.close();
    return names;
  };
  assert.ok(!cols().includes('environments')); // control: the old shape really lacks it
  const s = new SqliteStore(file);
  assert.ok(cols().includes('environments'));
  assert.equal((await s.getAccount('old'))!.environments, undefined);
  await s.createAccount(acct('new', ['shell']));
  await s.close();
  const again = new SqliteStore(file); // a second opening finds the column and adds nothing
  assert.deepEqual((await again.getAccount('new'))!.environments, ['shell']);
  await again.close();
});
