/**
 * Applies the missing migrations (migrations.ts) to a PostgreSQL database, in one transaction under the
 * advisory transaction lock PG_MIGRATE_LOCK: a second server opening the same database at once waits for
 * the lock and then finds them applied.
 */
import type pg from 'pg';
import { PG_LOCK_CLASS, PG_MIGRATE_LOCK, migrations, schemaVersion, tooNew } from './migrations.ts';

async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    c.release();
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    c.release(err as Error);
    throw err;
  }
}

/** Applies the missing migrations in one transaction under the MIGRATE lock; returns the version after. */
export async function migratePostgres(pool: pg.Pool, now = Date.now()): Promise<number> {
  return inTransaction(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [PG_LOCK_CLASS, PG_MIGRATE_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const found = Number((await c.query('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version')).rows[0].v);
    if (found > schemaVersion) throw new Error(tooNew(found));
    for (const m of migrations) {
      if (m.version <= found) continue;
      for (const sql of m.postgres) await c.query(sql);
      await c.query('INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now]);
    }
    return Math.max(found, schemaVersion);
  });
}
