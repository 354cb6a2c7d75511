/**
 * The store's schema as ordered migrations, one list for SQLite and PostgreSQL (docs/store.md).
 *
 * Contract: a database records the migrations applied to it in `schema_version` (one row per version);
 * opening a store applies the missing ones in order, in one transaction, under a lock (SQLite: BEGIN
 * IMMEDIATE; PostgreSQL: an advisory transaction lock), so two servers starting at once apply each once.
 * Migrations are never edited once released: a change of schema is a new migration at the end.
 * Version 1 is the schema of the releases before versioning (every CREATE is IF NOT EXISTS), so a
 * database made by them upgrades in place. A database newer than this list is refused (an older ISLET
 * must not write a schema it does not know).
 *
 * Times are milliseconds since the epoch in integer columns on both engines (BIGINT on PostgreSQL).
 */
/** PostgreSQL advisory locks of ISLET itself (the two-int key space, apart from Store.exclusive's bigint keys). */
export const PG_LOCK_CLASS = 0x1511e7;
export const PG_MIGRATE_LOCK = 1;
export const PG_CAPACITY_LOCK = 2;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, ownership, keys, login throttles, store id, taken-over containers',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS accounts (
        name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE IF NOT EXISTS ownership (
        account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
        environment TEXT NOT NULL, container_id TEXT NOT NULL, container_name TEXT NOT NULL, created_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'stopped', started_at INTEGER, last_seen_at INTEGER, stop_reason TEXT,
        PRIMARY KEY (account, environment)
      ) STRICT`,
      `CREATE TABLE IF NOT EXISTS keys (
        account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
        algo TEXT NOT NULL, data TEXT NOT NULL, comment TEXT NOT NULL, added_at INTEGER NOT NULL,
        PRIMARY KEY (account, data)
      ) STRICT`,
      `CREATE TABLE IF NOT EXISTS login_throttle (
        account TEXT PRIMARY KEY REFERENCES accounts(name) ON DELETE CASCADE,
        failures TEXT NOT NULL, level INTEGER NOT NULL, locked_at INTEGER, locked_until INTEGER
      ) STRICT`,
      'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT',
      `CREATE TABLE IF NOT EXISTS adopted_containers (
        container_id TEXT PRIMARY KEY, from_store TEXT NOT NULL, adopted_at INTEGER NOT NULL
      ) STRICT`,
    ],
    postgres: [
      `CREATE TABLE IF NOT EXISTS accounts (
        name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS ownership (
        account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
        environment TEXT NOT NULL, container_id TEXT NOT NULL, container_name TEXT NOT NULL, created_at BIGINT NOT NULL,
        state TEXT NOT NULL DEFAULT 'stopped', started_at BIGINT, last_seen_at BIGINT, stop_reason TEXT,
        PRIMARY KEY (account, environment)
      )`,
      `CREATE TABLE IF NOT EXISTS keys (
        account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,
        algo TEXT NOT NULL, data TEXT NOT NULL, comment TEXT NOT NULL, added_at BIGINT NOT NULL,
        PRIMARY KEY (account, data)
      )`,
      `CREATE TABLE IF NOT EXISTS login_throttle (
        account TEXT PRIMARY KEY REFERENCES accounts(name) ON DELETE CASCADE,
        failures TEXT NOT NULL, level INTEGER NOT NULL, locked_at BIGINT, locked_until BIGINT
      )`,
      'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
      `CREATE TABLE IF NOT EXISTS adopted_containers (
        container_id TEXT PRIMARY KEY, from_store TEXT NOT NULL, adopted_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    name: 'accounts.environments: the environments an account may use (JSON array; NULL: every enabled one)',
    // SQLite has no ADD COLUMN IF NOT EXISTS: the SQLite migrator skips an ADD COLUMN whose column exists
    // (databases opened by the release that added it before versioning).
    sqlite: ['ALTER TABLE accounts ADD COLUMN environments TEXT'],
    postgres: ['ALTER TABLE accounts ADD COLUMN IF NOT EXISTS environments TEXT'],
  },
  {
    version: 3,
    name: 'capacity claims (starts in progress, counted across servers) and leases (the reconciler leader)',
    sqlite: [
      'CREATE TABLE capacity_claims (id TEXT PRIMARY KEY, account TEXT NOT NULL, expires_at INTEGER NOT NULL) STRICT',
      'CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL) STRICT',
      'CREATE INDEX ownership_state ON ownership (state, account)',
    ],
    postgres: [
      'CREATE TABLE capacity_claims (id TEXT PRIMARY KEY, account TEXT NOT NULL, expires_at BIGINT NOT NULL)',
      'CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)',
      'CREATE INDEX ownership_state ON ownership (state, account)',
    ],
  },
  {
    version: 4,
    name: 'PostgreSQL: islet_claim_capacity, the capacity claim in one round trip',
    sqlite: [],
    // The rule of capacity.ts, under the capacity advisory lock, held to the end of the calling statement's
    // transaction. The case suite holds both to one behaviour.
    postgres: [
      `CREATE OR REPLACE FUNCTION islet_claim_capacity(p_id TEXT, p_account TEXT, p_max INTEGER, p_max_account INTEGER, p_now BIGINT, p_expires BIGINT)
      RETURNS TEXT LANGUAGE plpgsql AS $$
      DECLARE total BIGINT; mine BIGINT;
      BEGIN
        PERFORM pg_advisory_xact_lock(${PG_LOCK_CLASS}, ${PG_CAPACITY_LOCK});
        DELETE FROM capacity_claims WHERE expires_at <= p_now;
        SELECT (SELECT COUNT(*) FROM ownership WHERE state = 'running') + (SELECT COUNT(*) FROM capacity_claims),
               (SELECT COUNT(*) FROM ownership WHERE state = 'running' AND account = p_account)
                 + (SELECT COUNT(*) FROM capacity_claims WHERE account = p_account)
          INTO total, mine;
        IF p_max_account > 0 AND mine >= p_max_account THEN RETURN 'account_full'; END IF;
        IF p_max > 0 AND total >= p_max THEN RETURN 'full'; END IF;
        INSERT INTO capacity_claims (id, account, expires_at) VALUES (p_id, p_account, p_expires);
        RETURN 'ok';
      END $$`,
    ],
  },
  {
    version: 5,
    name: 'address_events (failed logins and account creations per address, counted across servers); PostgreSQL: islet_login_failed, islet_address_event',
    sqlite: [
      'CREATE TABLE address_events (kind TEXT NOT NULL, address TEXT NOT NULL, at_ms INTEGER NOT NULL) STRICT',
      'CREATE INDEX address_events_key ON address_events (kind, address, at_ms)',
    ],
    // The rules of throttle-rule.ts in one statement each: a wrong password under the throttle row's lock
    // (FOR UPDATE, the row made first when missing), an address event under a transaction advisory lock on
    // its key (the one-bigint key space; a collision with an exclusive() key only serialises the two).
    postgres: [
      'CREATE TABLE address_events (kind TEXT NOT NULL, address TEXT NOT NULL, at_ms BIGINT NOT NULL)',
      'CREATE INDEX address_events_key ON address_events (kind, address, at_ms)',
      `CREATE OR REPLACE FUNCTION islet_login_failed(p_account TEXT, p_now BIGINT, p_window BIGINT, p_max INTEGER, p_first BIGINT, p_cap BIGINT,
        p_reset BIGINT, OUT o_failures INTEGER, OUT o_level INTEGER, OUT o_locked_until BIGINT, OUT o_newly BOOLEAN)
      LANGUAGE plpgsql AS $$
      DECLARE t login_throttle%ROWTYPE; f BIGINT[]; n INTEGER; lvl INTEGER; until BIGINT;
      BEGIN
        INSERT INTO login_throttle (account, failures, level) SELECT p_account, '[]', 0
          WHERE EXISTS (SELECT 1 FROM accounts WHERE name = p_account) ON CONFLICT (account) DO NOTHING;
        SELECT * INTO t FROM login_throttle WHERE account = p_account FOR UPDATE;
        IF NOT FOUND THEN RETURN; END IF;
        IF t.locked_until IS NOT NULL AND t.locked_until > p_now THEN
          o_failures := 0; o_level := t.level; o_locked_until := t.locked_until; o_newly := false; RETURN;
        END IF;
        SELECT COALESCE(array_agg(x ORDER BY x), '{}') INTO f
          FROM (SELECT value::BIGINT AS x FROM json_array_elements_text(t.failures::json)) s WHERE x > p_now - p_window;
        f := f || p_now;
        n := cardinality(f);
        IF n > GREATEST(1, p_max) THEN f := f[n - GREATEST(1, p_max) + 1 : n]; n := cardinality(f); END IF;
        lvl := CASE WHEN t.locked_at IS NOT NULL AND p_now - t.locked_at < p_reset THEN t.level ELSE 0 END;
        IF n < p_max THEN
          UPDATE login_throttle SET failures = array_to_json(f)::TEXT, level = lvl, locked_until = NULL WHERE account = p_account;
          o_failures := n; o_level := lvl; o_newly := false; RETURN;
        END IF;
        lvl := lvl + 1;
        until := p_now + LEAST(p_cap, p_first * (2::BIGINT ^ LEAST(30, GREATEST(0, lvl - 1)))::BIGINT);
        UPDATE login_throttle SET failures = '[]', level = lvl, locked_at = p_now, locked_until = until WHERE account = p_account;
        o_failures := 0; o_level := lvl; o_locked_until := until; o_newly := true;
      END $$`,
      `CREATE OR REPLACE FUNCTION islet_address_event(p_kind TEXT, p_address TEXT, p_now BIGINT, p_window BIGINT, p_limit INTEGER, p_cap INTEGER,
        OUT o_times BIGINT[], OUT o_recorded BOOLEAN)
      LANGUAGE plpgsql AS $$
      DECLARE n INTEGER;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_kind || ' ' || p_address, 0));
        DELETE FROM address_events WHERE kind = p_kind AND address = p_address AND at_ms <= p_now - p_window;
        SELECT COUNT(*) INTO n FROM address_events WHERE kind = p_kind AND address = p_address;
        o_recorded := p_limit <= 0 OR n < p_limit;
        IF o_recorded THEN
          INSERT INTO address_events (kind, address, at_ms) VALUES (p_kind, p_address, p_now);
          n := n + 1;
        END IF;
        IF p_cap > 0 AND n > p_cap THEN
          DELETE FROM address_events WHERE ctid IN
            (SELECT ctid FROM address_events WHERE kind = p_kind AND address = p_address ORDER BY at_ms LIMIT n - p_cap);
        END IF;
        SELECT COALESCE(array_agg(at_ms ORDER BY at_ms), '{}') INTO o_times FROM address_events WHERE kind = p_kind AND address = p_address;
      END $$`,
    ],
  },
  {
    version: 6,
    name: "instructor console sessions (a token's hash, never the token) and the per-instructor login back-off",
    // instructor_throttle has login_throttle's columns (rows.ts toThrottle reads both) without its account
    // foreign key: instructors are the config's, no store accounts.
    sqlite: [
      'CREATE TABLE instructor_sessions (token_hash TEXT PRIMARY KEY, instructor TEXT NOT NULL, credential TEXT NOT NULL, expires_at INTEGER NOT NULL) STRICT',
      `CREATE TABLE instructor_throttle (
        account TEXT PRIMARY KEY, failures TEXT NOT NULL, level INTEGER NOT NULL, locked_at INTEGER, locked_until INTEGER
      ) STRICT`,
    ],
    postgres: [
      'CREATE TABLE instructor_sessions (token_hash TEXT PRIMARY KEY, instructor TEXT NOT NULL, credential TEXT NOT NULL, expires_at BIGINT NOT NULL)',
      'CREATE TABLE instructor_throttle (account TEXT PRIMARY KEY, failures TEXT NOT NULL, level INTEGER NOT NULL, locked_at BIGINT, locked_until BIGINT)',
    ],
  },
];

/** The schema version this ISLET writes. */
export const schemaVersion = migrations[migrations.length - 1]!.version;

/** What a refused (too new) database says. */
export function tooNew(found: number): string {
  return `the database has schema version ${found}, newer than this ISLET knows (${schemaVersion}): upgrade ISLET`;
}
