/**
 * Applies the missing migrations (migrations.ts) to a SQLite database, in one BEGIN IMMEDIATE transaction:
 * a second process opening the same file at once waits (busy_timeout) and then finds them applied.
 */
import type { DatabaseSync } from 'node:sqlite';
import { migrations, schemaVersion, tooNew } from './migrations.ts';

const addColumn = /^ALTER TABLE (\w+) ADD COLUMN (\w+)/i;

/** The database's schema version (0: made before versioning, or empty). */
export function sqliteSchemaVersion(db: DatabaseSync): number {
  const table = db.prepare(`SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get();
  if (!table) return 0;
  return Number((db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version').get() as { v: number }).v);
}

export function migrateSqlite(db: DatabaseSync, now = Date.now()): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT');
    const found = sqliteSchemaVersion(db);
    if (found > schemaVersion) throw new Error(tooNew(found));
    for (const m of migrations) {
      if (m.version <= found) continue;
      for (const sql of m.sqlite) {
        const add = addColumn.exec(sql);
        // Added before versioning by the release that introduced it: nothing to do.
        if (add && (db.prepare(`PRAGMA table_info(${add[1]})`).all() as { name: string }[]).some((c) => c.name === add[2])) continue;
        db.exec(sql);
      }
      db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now);
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
