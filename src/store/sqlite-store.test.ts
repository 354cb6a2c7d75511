import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { IsletError } from '../core/islet-error.ts';
import { schemaVersion } from './migrations.ts';
import { sqliteSchemaVersion } from './sqlite-migrate.ts';
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

/** The schema of the releases before versioned migrations (src/store/sqlite-store.ts as it was), verbatim. */
const schemaBeforeVersioning = `
CREATE TABLE IF NOT EXISTS accounts (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS ownership (
  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  environment TEXT NOT NULL,
  container_id TEXT NOT NULL,
  container_name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'stopped',
  started_at INTEGER,
  last_seen_at INTEGER,
  stop_reason TEXT,
  PRIMARY KEY (account, environment)
) STRICT;
CREATE TABLE IF NOT EXISTS keys (
  account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
  algo TEXT NOT NULL,
  data TEXT NOT NULL,
  comment TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (account, data)
) STRICT;
CREATE TABLE IF NOT EXISTS login_throttle (
  account TEXT PRIMARY KEY REFERENCES accounts(name) ON DELETE CASCADE,
  failures TEXT NOT NULL,
  level INTEGER NOT NULL,
  locked_at INTEGER,
  locked_until INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS adopted_containers (
  container_id TEXT PRIMARY KEY,
  from_store TEXT NOT NULL,
  adopted_at INTEGER NOT NULL
) STRICT;
`;

test('a database made before versioned migrations upgrades in place: data, store id and throttles kept, new tables usable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'islet.db');
  const old = new DatabaseSync(path);
  old.exec(schemaBeforeVersioning);
  old.exec(`INSERT INTO accounts VALUES ('alice', 'scrypt$a', 1, 2);
    INSERT INTO ownership (account, environment, container_id, container_name, created_at, state)
      VALUES ('alice', 'demo', 'c1', 'islet.demo.alice', 3, 'running');
    INSERT INTO login_throttle VALUES ('alice', '[5]', 1, NULL, NULL);
    INSERT INTO meta VALUES ('store_id', '0011223344556677')`);
  old.close();
  const s = new SqliteStore(path);
  assert.equal(s.storeId(), '0011223344556677');
  assert.deepEqual(await s.getAccount('alice'), { name: 'alice', passwordHash: 'scrypt$a', createdAt: new Date(1), expiresAt: new Date(2) });
  assert.equal((await s.getOwnership('alice', 'demo'))?.containerId, 'c1');
  assert.equal((await s.getLoginThrottle('alice'))?.level, 1);
  assert.equal(await s.createAccount({ ...acct('bob'), environments: ['demo'] }), true);
  assert.deepEqual((await s.getAccount('bob'))?.environments, ['demo'], 'version 2: environments');
  const claim = { id: 'x', account: 'bob', maxContainers: 1, maxPerAccount: 0, now: new Date(0), expiresAt: new Date(1) };
  assert.equal(await s.claimCapacity(claim), 'full', "version 3: claims; alice's running container fills the one place");
  await s.close();
  const db = new DatabaseSync(path);
  assert.equal(sqliteSchemaVersion(db), schemaVersion);
  assert.deepEqual(
    (db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[]).map((r) => r.version),
    [1, 2, 3, 4, 5, 6],
  );
  db.close();
  const again = new SqliteStore(path);
  assert.equal((await again.getAccount('bob'))?.name, 'bob', 'reopening applies nothing twice');
  await again.close();
});

test('a database with a newer schema than this ISLET is refused with STORE_FAILED (control: the current one opens)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'islet.db');
  await new SqliteStore(path).close();
  await new SqliteStore(path).close();
  const db = new DatabaseSync(path);
  db.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(schemaVersion + 1, 'from the future');
  db.close();
  assert.throws(
    () => new SqliteStore(path),
    (e: unknown) => e instanceof IsletError && e.code === 'STORE_FAILED' && /newer than this ISLET knows/.test(e.message),
  );
});
