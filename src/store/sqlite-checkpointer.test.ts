import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { until } from '../../test/helpers/until.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';
import { SqliteStore } from './sqlite-store.ts';

function walDb(dir: string, name: string): { db: DatabaseSync; path: string; write: (from: number, n: number) => number } {
  const path = join(dir, name);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)');
  const put = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
  // Writes n rows of 1 KiB, one commit each; answers the log's size after them.
  const write = (from: number, n: number) => {
    for (let i = from; i < from + n; i++) put.run(i, 'x'.repeat(1024));
    return statSync(`${path}-wal`).size;
  };
  return { db, path, write };
}

const autoPages = (db: DatabaseSync) => Number((db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint);

test('the worker checkpoints the log, so it starts over instead of growing; without it, it grows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-checkpoint-'));
  try {
    // Control first: the automatic checkpoint off and no worker, the log holds both batches (the probe works).
    const bare = walDb(dir, 'bare.db');
    bare.db.exec('PRAGMA wal_autocheckpoint = 0');
    const bareFirst = bare.write(0, 800);
    const bareSecond = bare.write(800, 800);
    assert.ok(bareSecond > bareFirst * 1.8, `without checkpoints the log grows: ${bareFirst} then ${bareSecond} bytes`);
    bare.db.close();

    const { db, path, write } = walDb(dir, 'islet.db');
    const cp = new SqliteCheckpointer(db, path, { everyMs: 20 });
    cp.start();
    assert.equal(autoPages(db), 0, 'the connection no longer checkpoints on its own');
    const first = write(0, 800);
    await until('a checkpoint of the whole log', () => cp.last !== undefined && cp.last.log > 0 && cp.last.checkpointed === cp.last.log);
    const second = write(800, 800);
    assert.ok(second < first * 1.3, `the log started over: ${first} then ${second} bytes`);
    assert.equal(Number((db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n), 1600);
    await cp.close();
    assert.equal(autoPages(db), 1000, 'after close() the connection checkpoints on its own again');
    assert.equal(cp.running, false);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker that fails gives the connection its automatic checkpoint back, and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-checkpoint-'));
  try {
    const { db, path } = walDb(dir, 'islet.db');
    const warnings: string[] = [];
    const cp = new SqliteCheckpointer(db, path, { onWarning: (m) => warnings.push(m), source: 'throw new Error("boom")' });
    cp.start();
    await until('the fallback', () => !cp.running);
    assert.equal(autoPages(db), 1000);
    assert.match(warnings.join('\n'), /background checkpoint stopped/);
    await cp.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a SqliteStore with backgroundCheckpoint runs the worker and stops it at close()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'islet-checkpoint-'));
  try {
    const store = new SqliteStore(join(dir, 'islet.db'), { backgroundCheckpoint: true });
    assert.equal(store.checkpointer?.running, true);
    assert.equal(await store.createAccount({ name: 'alice', passwordHash: 'x', createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) }), true);
    await store.close();
    assert.equal(store.checkpointer?.running, false);
    const plain = new SqliteStore(join(dir, 'islet.db'));
    assert.equal(plain.checkpointer, undefined, 'off unless asked for (the CLI)');
    await plain.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
